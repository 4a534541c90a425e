//! A bench report's charts as data: relative memory as bars (the table's `relative` column,
//! baseline at 100%); a sweep's bytes per record against the swept value, one line per
//! variant, with the runs where the measured encoding changes marked. The `svg` format
//! draws the main one ([`super::document`] picks it).

use super::{Report, VariantReport, relative_percent};
use crate::chart::{Mark, Series};
use crate::document::{Chart, ChartKind};

/// One bar per measured variant: dataset bytes relative to the baseline, in percent.
pub fn relative_bars(report: &Report) -> Chart {
    let items: Vec<(String, f64)> = report
        .variants
        .iter()
        .filter_map(|v| Some((v.label(), relative_percent(report, v)?)))
        .collect();
    Chart {
        kind: ChartKind::Bars {
            title: format!(
                "{}: dataset bytes relative to {} (100%)",
                report.scenario.name, report.baseline
            ),
            axis: "relative memory (%)".into(),
            unit: "%".into(),
            items,
            baseline: Some(100.0),
        },
        main: false,
    }
}

/// The encoding most of a run's keys have (`listpack`, `hashtable`, ...).
fn dominant_encoding(v: &VariantReport) -> Option<String> {
    let e = v.result.as_ref()?.explain.as_ref()?;
    e.encodings
        .measured
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(name, _)| name.clone())
}

/// The swept key the chart's x axis shows: the first whose values are all numbers and that
/// takes more than one value.
pub fn x_key(report: &Report) -> Option<String> {
    let runs: Vec<&VariantReport> = report
        .variants
        .iter()
        .filter(|v| v.sweep.is_some())
        .collect();
    let first = runs.first()?.sweep.as_ref()?;
    first.values.iter().map(|s| s.key.clone()).find(|key| {
        let values: Vec<&str> = runs.iter().filter_map(|r| swept(r, key)).collect();
        values.iter().all(|v| v.parse::<f64>().is_ok()) && values.iter().any(|v| *v != values[0])
    })
}

fn swept<'a>(v: &'a VariantReport, key: &str) -> Option<&'a str> {
    v.sweep
        .as_ref()?
        .values
        .iter()
        .find(|s| s.key == key)
        .map(|s| s.value.as_str())
}

/// The series of a sweep chart: one per variant (its `[[variant]]`, engine and the other
/// swept values); a variant the sweep leaves alone is a flat line across the swept range.
pub fn sweep_series(report: &Report, key: &str) -> Vec<Series> {
    let mut series: Vec<(Series, Vec<Option<String>>)> = Vec::new();
    let mut flat: Vec<(String, f64)> = Vec::new();
    for v in &report.variants {
        let Some(m) = &v.result else { continue };
        let y = super::bytes_per_record(m);
        let (Some(sweep), Some(x)) = (&v.sweep, swept(v, key).and_then(|x| x.parse().ok())) else {
            flat.push((v.label(), y));
            continue;
        };
        let others: Vec<String> = sweep
            .values
            .iter()
            .filter(|s| s.key != key)
            .map(|s| format!("{}={}", s.key, s.value))
            .collect();
        let mut name = match &v.engine {
            Some(e) => format!("{e}/{}", sweep.base),
            None => sweep.base.clone(),
        };
        if !others.is_empty() {
            name = format!("{name}[{}]", others.join(","));
        }
        let at = match series.iter().position(|(s, _)| s.name == name) {
            Some(i) => i,
            None => {
                series.push((
                    Series {
                        name,
                        points: Vec::new(),
                        marks: Vec::new(),
                    },
                    Vec::new(),
                ));
                series.len() - 1
            }
        };
        series[at].0.points.push((x, y));
        series[at].1.push(dominant_encoding(v));
    }
    let (lo, hi) = series
        .iter()
        .flat_map(|(s, _)| s.points.iter().map(|p| p.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    let mut out: Vec<Series> = series
        .into_iter()
        .map(|(mut s, encodings)| {
            let mut order: Vec<usize> = (0..s.points.len()).collect();
            order.sort_by(|&a, &b| s.points[a].0.total_cmp(&s.points[b].0));
            let points: Vec<(f64, f64)> = order.iter().map(|&i| s.points[i]).collect();
            let encodings: Vec<&Option<String>> = order.iter().map(|&i| &encodings[i]).collect();
            for k in 1..points.len() {
                if let (Some(before), Some(now)) = (encodings[k - 1], encodings[k])
                    && before != now
                {
                    s.marks.push(Mark {
                        x: points[k].0,
                        y: points[k].1,
                        label: format!("{before} → {now}"),
                    });
                }
            }
            s.points = points;
            s
        })
        .collect();
    if lo.is_finite() {
        for (name, y) in flat {
            out.push(Series {
                name: format!("{name} (not swept)"),
                points: vec![(lo, y), (hi, y)],
                marks: Vec::new(),
            });
        }
    }
    out
}

/// The sweep chart, if the report has a sweep over a number.
pub fn sweep_chart(report: &Report) -> Option<Chart> {
    let key = x_key(report)?;
    let series = sweep_series(report, &key);
    Some(Chart {
        kind: ChartKind::Lines {
            title: format!(
                "{}: bytes per record against {key} (ringed: the measured encoding changes)",
                report.scenario.name
            ),
            x_label: key,
            y_label: "dataset bytes per record".into(),
            series,
        },
        main: false,
    })
}
