//! Charts as SVG text, drawn by plotters' SVG backend. Data in, SVG out: the callers decide
//! what is drawn (relative memory per variant, bytes per record against a swept value, ...).
//!
//! Without a font feature plotters estimates text sizes itself and writes `<text>` elements,
//! so no system font is read and the text stays text (searchable, testable, scalable).

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const WIDTH: u32 = 960;
const FONT: &str = "sans-serif";
/// Bar and line colours, picked in order (colour-blind-safe Okabe-Ito hues).
const COLORS: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(120, 120, 120),
    RGBColor(240, 228, 66),
];
/// The baseline's line and mark colour.
const ACCENT: RGBColor = RGBColor(200, 30, 30);

/// The colour of series or bar `i`.
pub fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

/// One line of a line chart: its points and the points worth a label (`marks`).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub marks: Vec<Mark>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub x: f64,
    pub y: f64,
    pub label: String,
}

fn drawing_error<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing the chart: {e:?}")
}

/// Text width estimate for the label column (plotters' own estimate is as rough).
fn text_width(s: &str, size: u32) -> u32 {
    (s.chars().count() as u32 * size * 11) / 20 + 12
}

/// Horizontal bars, one per `(label, value)`, top to bottom; each bar shows its value with
/// `unit`, and `baseline` (e.g. 100 for relative memory) is a vertical line.
pub fn bars(
    title: &str,
    axis: &str,
    unit: &str,
    items: &[(String, f64)],
    baseline: Option<f64>,
) -> anyhow::Result<String> {
    let n = items.len().max(1);
    let height = 90 + 28 * n as u32;
    let max = items
        .iter()
        .map(|(_, v)| *v)
        .chain(baseline)
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let label_width = items
        .iter()
        .map(|(l, _)| text_width(l, 13))
        .max()
        .unwrap_or(40)
        .clamp(40, WIDTH / 2);
    // The value labels, and where each starts: right of its bar, or right of the baseline
    // when it would otherwise run across that line.
    let texts: Vec<String> = items
        .iter()
        .map(|(_, v)| format!(" {}", labelled(*v, unit)))
        .collect();
    let plot_px = f64::from(WIDTH.saturating_sub(label_width + 34).max(100));
    let widest = texts.iter().map(|t| text_width(t, 12)).max().unwrap_or(0);
    let right = (max * 1.18).max(max + max * f64::from(widest) / plot_px * 1.4);
    let per_px = right / plot_px;
    let starts: Vec<f64> = items
        .iter()
        .zip(&texts)
        .map(|((_, v), t)| match baseline {
            Some(b) if *v < b && *v + f64::from(text_width(t, 12)) * per_px > b => b + 4.0 * per_px,
            _ => *v,
        })
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0.0..right, (0..n - 1).into_segmented())
            .map_err(drawing_error)?;
        let label_of = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) if *i < items.len() => items[items.len() - 1 - i].0.clone(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&label_of)
            .y_label_style((FONT, 13))
            .x_desc(axis)
            .x_label_formatter(&|x| {
                if unit == SIZES {
                    crate::figures::human_size(*x)
                } else {
                    number_text(*x)
                }
            })
            .x_label_style((FONT, 12))
            .draw()
            .map_err(drawing_error)?;
        let row = |k: usize| items.len() - 1 - k;
        chart
            .draw_series(items.iter().enumerate().map(|(k, (_, v))| {
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(row(k))),
                        (*v, SegmentValue::Exact(row(k) + 1)),
                    ],
                    color(0).filled(),
                );
                bar.set_margin(4, 4, 0, 0);
                bar
            }))
            .map_err(drawing_error)?;
        chart
            .draw_series(texts.iter().enumerate().map(|(k, t)| {
                Text::new(
                    t.clone(),
                    (starts[k], SegmentValue::CenterOf(row(k))),
                    (FONT, 12)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                )
            }))
            .map_err(drawing_error)?;
        if let Some(b) = baseline {
            chart
                .draw_series(LineSeries::new(
                    [(b, SegmentValue::Exact(0)), (b, SegmentValue::Exact(n))],
                    ACCENT.stroke_width(2),
                ))
                .map_err(drawing_error)?;
        }
        root.present().map_err(drawing_error)?;
    }
    Ok(svg)
}

/// The unit of bars that are sizes in bytes: labelled in the one size convention
/// ([`crate::figures::human_size`]: `64.16K`), as the tables beside the chart print them.
pub const SIZES: &str = " B";

/// A bar's label: a size as tables print it, else the value and its unit.
fn labelled(v: f64, unit: &str) -> String {
    if unit == SIZES {
        crate::figures::human_size(v)
    } else {
        format!("{}{unit}", value_text(v))
    }
}

/// A value as bars label it: two decimals below 1000, else whole.
pub fn value_text(v: f64) -> String {
    if v.abs() < 1000.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.0}")
    }
}

/// An axis number: whole numbers without a fraction.
fn number_text(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn span(values: impl Iterator<Item = f64> + Clone, pad: f64) -> std::ops::Range<f64> {
    let lo = values.clone().fold(f64::INFINITY, f64::min);
    let hi = values.fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let room = ((hi - lo) * pad).max(hi.abs() * 0.02).max(1e-9);
    (lo - room)..(hi + room)
}

/// Lines through each series' points, with a legend; each mark is a ring with its label.
pub fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> anyhow::Result<String> {
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    // Not from zero: a line chart shows where a figure jumps, not its share. The band on
    // top keeps the legend off the lines.
    let (x_range, y_range) = (span(xs, 0.04), span(ys, 0.08));
    let band = (y_range.end - y_range.start) * (0.08 + 0.05 * series.len() as f64);
    let y_range = y_range.start..y_range.end + band;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 480)).into_drawing_area();
        let mut chart = axes(&root, title, (x_label, x_range), (y_label, y_range))?;
        for (i, s) in series.iter().enumerate() {
            let c = color(i);
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))
                .map_err(drawing_error)?
                .label(s.name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.filled()));
            chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, c.filled())))
                .map_err(drawing_error)?;
            chart
                .draw_series(s.marks.iter().map(|m| {
                    EmptyElement::at((m.x, m.y))
                        + Circle::new((0, 0), 8, ACCENT.stroke_width(2))
                        + Text::new(m.label.clone(), (10, -18), (FONT, 12).into_font())
                }))
                .map_err(drawing_error)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 12))
            .draw()
            .map_err(drawing_error)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(svg)
}

type Plane<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// A white canvas with the title and both axes (labelled, numbers as [`number_text`]): what
/// the line and scatter charts share.
fn axes<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    (x_label, x_range): (&str, std::ops::Range<f64>),
    (y_label, y_range): (&str, std::ops::Range<f64>),
) -> anyhow::Result<Plane<'a, 'b>> {
    root.fill(&WHITE).map_err(drawing_error)?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 18))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(x_range, y_range)
        .map_err(drawing_error)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|x| number_text(*x))
        .y_label_formatter(&|y| number_text(*y))
        .label_style((FONT, 12))
        .draw()
        .map_err(drawing_error)?;
    Ok(chart)
}

/// One labelled point per `(label, x, y)`.
pub fn scatter(
    title: &str,
    x_label: &str,
    y_label: &str,
    points: &[(String, f64, f64)],
) -> anyhow::Result<String> {
    let (x_range, y_range) = (
        span(points.iter().map(|p| p.1), 0.1),
        span(points.iter().map(|p| p.2), 0.1),
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 520)).into_drawing_area();
        let mut chart = axes(&root, title, (x_label, x_range), (y_label, y_range))?;
        chart
            .draw_series(points.iter().enumerate().map(|(i, (label, x, y))| {
                EmptyElement::at((*x, *y))
                    + Circle::new((0, 0), 4, color(i).filled())
                    + Text::new(label.clone(), (7, -6), (FONT, 12).into_font())
            }))
            .map_err(drawing_error)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_their_text() {
        let svg = bars(
            "t",
            "relative memory (%)",
            "%",
            &[("a".into(), 100.0), ("b_long_name".into(), 65.4)],
            Some(100.0),
        )
        .unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(
            svg.contains("\nb_long_name\n") && svg.contains("\n 65.40%\n"),
            "{svg}"
        );
        let svg = lines(
            "t",
            "x",
            "y",
            &[Series {
                name: "s".into(),
                points: vec![(1.0, 2.0), (2.0, 3.0)],
                marks: vec![Mark {
                    x: 2.0,
                    y: 3.0,
                    label: "hashtable".into(),
                }],
            }],
        )
        .unwrap();
        assert!(svg.contains("\nhashtable\n"), "{svg}");
        let svg = scatter("t", "x", "y", &[("p".into(), 1.0, 1.0)]).unwrap();
        assert!(svg.contains("\np\n"), "{svg}");
    }
}
