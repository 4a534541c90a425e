//! The read figures (`bench --read`) in the table, Markdown and CSV outputs: one row per
//! variant beside its relative memory, then the anchor. Nothing is shown without them.

use super::{Report, VariantReport, percent, relative_percent, thousands};
use crate::document::{self, Block, Cell, Chart, ChartKind, Document, Table};
use crate::read::{PhaseFigures, ReadFigures};

/// One variant on the memory/read trade-off chart: its dataset bytes relative to the
/// baseline (percent) against its get calls per second. For the svg/html chart (issue 11's
/// scatter); empty without read figures.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeOff {
    pub label: String,
    pub relative_memory_percent: f64,
    pub get_ops_per_second: f64,
    pub get_multi_records_per_second: f64,
}

/// The chart's points, one per variant with both figures, in report order.
pub fn trade_off(report: &Report) -> Vec<TradeOff> {
    report
        .variants
        .iter()
        .filter_map(|v| {
            let r = figures(v)?;
            Some(TradeOff {
                label: v.label(),
                relative_memory_percent: relative_percent(report, v)?,
                get_ops_per_second: r.get.ops_per_second,
                get_multi_records_per_second: r.get_multi.records_per_second,
            })
        })
        .collect()
}

/// [`trade_off`] as `(label, relative memory %, get ops/s)`: the shape of
/// `chart::scatter`'s points (issue 11), for the svg/html memory-vs-read chart.
pub fn trade_off_points(report: &Report) -> Vec<(String, f64, f64)> {
    trade_off(report)
        .into_iter()
        .map(|t| (t.label, t.relative_memory_percent, t.get_ops_per_second))
        .collect()
}

/// The memory/read trade-off at a glance: relative memory against get calls per second, one
/// point per variant; `None` in a report without read figures.
pub fn trade_off_chart(report: &Report) -> Option<Chart> {
    let points = trade_off_points(report);
    if points.is_empty() {
        return None;
    }
    Some(Chart {
        kind: ChartKind::Scatter {
            title: format!(
                "{}: relative memory (vs {}) against read throughput",
                report.scenario.name, report.baseline
            ),
            x_label: "relative memory (%)".into(),
            y_label: "get calls/s".into(),
            points,
        },
        main: false,
    })
}

fn figures(v: &VariantReport) -> Option<&ReadFigures> {
    v.result.as_ref().and_then(|m| m.read.as_ref())
}

/// The settings line, from the first variant with read figures; `None` when none has any.
fn settings(report: &Report) -> Option<String> {
    let r = report.variants.iter().find_map(figures)?;
    Some(format!(
        "read path: {} connections, pipeline {}, {} calls per phase (get; get_multi of {} keys), \
         seed {}",
        r.connections, r.pipeline, r.get.calls, r.get_multi.keys_per_call, r.seed
    ))
}

/// `0.21 / 1.10 / 3.52` ms.
fn latency(p: &PhaseFigures) -> String {
    format!(
        "{:.3} / {:.3} / {:.3}",
        p.p50_us / 1000.0,
        p.p99_us / 1000.0,
        p.p999_us / 1000.0
    )
}

fn rate(x: f64) -> String {
    thousands(x.max(0.0).round() as u64)
}

const HEADER: [&str; 9] = [
    "variant",
    "relative memory",
    "get ops/s",
    "get ms p50 / p99 / p99.9",
    "get decode",
    "get_multi records/s",
    "get_multi ms p50 / p99 / p99.9",
    "get_multi decode",
    "misses",
];

fn row(report: &Report, v: &VariantReport, r: &ReadFigures) -> [String; 9] {
    [
        v.label(),
        percent(relative_percent(report, v)),
        rate(r.get.ops_per_second),
        latency(&r.get),
        format!("{:.1}%", r.get.decode_share * 100.0),
        rate(r.get_multi.records_per_second),
        latency(&r.get_multi),
        format!("{:.1}%", r.get_multi.decode_share * 100.0),
        (r.get.misses + r.get_multi.misses).to_string(),
    ]
}

/// One line per variant on the anchor: both rates and their ratio, or why it did not run.
fn anchor_lines(report: &Report) -> Vec<String> {
    report
        .variants
        .iter()
        .filter_map(|v| {
            let r = figures(v)?;
            Some(match (&r.anchor, &r.anchor_skipped) {
                (Some(a), _) => format!(
                    "{}: {} on {} keys x {}: redisadv {}/s, redis-benchmark {}/s, ratio {:.2}",
                    v.label(),
                    a.command,
                    a.keys.len(),
                    thousands(a.requests_per_key),
                    rate(a.redisadv_ops_per_second),
                    rate(a.redis_benchmark_ops_per_second),
                    a.ratio
                ),
                (None, why) => format!(
                    "{}: anchor not run: {}",
                    v.label(),
                    why.as_deref().unwrap_or("unknown")
                ),
            })
        })
        .collect()
}

const ANCHOR_NOTE: &str = "anchor: redis-benchmark with the same connections and pipeline, \
    the same command on the same keys, beside redisadv's get path (without decoding, as \
    redis-benchmark does not decode)";

/// The read section of the terminal and Markdown: the settings, one row per variant, the
/// anchor; nothing without read figures.
pub fn blocks(report: &Report) -> Document {
    let mut doc = Document::new();
    let Some(title) = settings(report) else {
        return doc;
    };
    let only = document::TEXT;
    doc.push_for(
        only,
        Block::Heading {
            level: 2,
            text: "Read path".into(),
        },
    );
    doc.push_for(only, Block::Paragraph(format!("{}.", capitalized(&title))));
    let mut table = Table::new(&HEADER, &[]);
    for v in &report.variants {
        if let Some(r) = figures(v) {
            table.row(
                row(report, v, r)
                    .map(|c| {
                        // Figures (and "-") right-aligned in the terminal.
                        if c.starts_with(|ch: char| ch.is_ascii_digit() || ch == '-') {
                            Cell::number(c)
                        } else {
                            Cell::text(c)
                        }
                    })
                    .to_vec(),
            );
        }
    }
    doc.push_for(only, Block::Table(table));
    doc.push_for(
        only,
        Block::Paragraph(format!("{}:", capitalized(ANCHOR_NOTE))),
    );
    doc.push_for(
        only,
        Block::List {
            items: anchor_lines(report),
            warn: false,
        },
    );
    doc
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The CSV's read columns: present only in a report with read figures, so CSV without
/// `--read` keeps its columns.
pub fn csv_columns(report: &Report) -> &'static [&'static str] {
    if settings(report).is_some() {
        &CSV_COLUMNS
    } else {
        &[]
    }
}

const CSV_COLUMNS: [&str; 22] = [
    "read_connections",
    "read_pipeline",
    "read_seed",
    "get_calls",
    "get_ops_per_second",
    "get_p50_us",
    "get_p99_us",
    "get_p999_us",
    "get_decode_share",
    "get_misses",
    "get_multi_calls",
    "get_multi_keys_per_call",
    "get_multi_ops_per_second",
    "get_multi_records_per_second",
    "get_multi_p50_us",
    "get_multi_p99_us",
    "get_multi_p999_us",
    "get_multi_decode_share",
    "get_multi_misses",
    "anchor_redisadv_ops_per_second",
    "anchor_redis_benchmark_ops_per_second",
    "anchor_ratio",
];

/// A variant's read cells, matching [`csv_columns`].
pub fn csv_cells(report: &Report, v: &VariantReport) -> Vec<String> {
    let n = csv_columns(report).len();
    let Some(r) = figures(v) else {
        return vec![String::new(); n];
    };
    let (g, m) = (&r.get, &r.get_multi);
    let anchor = |f: &dyn Fn(&crate::read::AnchorFigures) -> String| {
        r.anchor.as_ref().map(f).unwrap_or_default()
    };
    vec![
        r.connections.to_string(),
        r.pipeline.to_string(),
        r.seed.to_string(),
        g.calls.to_string(),
        format!("{:.0}", g.ops_per_second),
        format!("{:.1}", g.p50_us),
        format!("{:.1}", g.p99_us),
        format!("{:.1}", g.p999_us),
        format!("{:.4}", g.decode_share),
        g.misses.to_string(),
        m.calls.to_string(),
        m.keys_per_call.to_string(),
        format!("{:.0}", m.ops_per_second),
        format!("{:.0}", m.records_per_second),
        format!("{:.1}", m.p50_us),
        format!("{:.1}", m.p99_us),
        format!("{:.1}", m.p999_us),
        format!("{:.4}", m.decode_share),
        m.misses.to_string(),
        anchor(&|a| format!("{:.0}", a.redisadv_ops_per_second)),
        anchor(&|a| format!("{:.0}", a.redis_benchmark_ops_per_second)),
        anchor(&|a| format!("{:.4}", a.ratio)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::AnchorFigures;

    fn phase(ops: f64, keys: usize) -> PhaseFigures {
        PhaseFigures {
            calls: 100,
            keys_per_call: keys,
            records: 100 * keys as u64,
            seconds: 100.0 / ops,
            ops_per_second: ops,
            records_per_second: ops * keys as f64,
            p50_us: 210.0,
            p99_us: 1100.0,
            p999_us: 3520.0,
            decode_seconds: 0.0,
            decode_share: 0.125,
            misses: 0,
        }
    }

    fn report() -> Report {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/expected/report.json");
        super::super::load(std::path::Path::new(path)).unwrap()
    }

    #[test]
    fn read_figures_show_only_when_present() {
        let mut r = report();
        let plain_csv = super::super::render(&r, super::super::OutputFormat::Csv).unwrap();
        assert!(trade_off(&r).is_empty());
        assert!(trade_off_chart(&r).is_none());
        assert!(
            blocks(&r)
                .blocks_for(super::super::OutputFormat::Table)
                .next()
                .is_none()
        );
        let first = r.variants[0].name.clone();
        r.variants[0].result.as_mut().unwrap().read = Some(ReadFigures {
            connections: 50,
            pipeline: 16,
            seed: 0,
            get: phase(123_456.0, 1),
            get_multi: phase(20_000.0, 10),
            anchor: Some(AnchorFigures {
                command: "GET".into(),
                keys: vec![crate::dataset::Key::Plain("1".into())],
                requests_per_key: 1000,
                redisadv_ops_per_second: 90.0,
                redis_benchmark_ops_per_second: 100.0,
                ratio: 0.9,
            }),
            anchor_skipped: None,
        });
        let points = trade_off(&r);
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].label, first);
        assert_eq!(points[0].get_ops_per_second, 123_456.0);
        assert_eq!(
            trade_off_points(&r),
            [(first.clone(), points[0].relative_memory_percent, 123_456.0)]
        );
        let svg = super::super::render(&r, super::super::OutputFormat::Svg).unwrap();
        assert!(svg.contains("get calls/s") && svg.contains(&format!("\n{first}\n")));
        let t = super::super::render(&r, super::super::OutputFormat::Table).unwrap();
        assert!(t.contains("50 connections, pipeline 16"), "{t}");
        assert!(
            t.contains("123,456") && t.contains("0.210 / 1.100 / 3.520"),
            "{t}"
        );
        assert!(t.contains("redis-benchmark 100/s, ratio 0.90"), "{t}");
        let md = super::super::render(&r, super::super::OutputFormat::Markdown).unwrap();
        assert!(
            md.contains("## Read path") && md.contains("| 12.5% |"),
            "{md}"
        );
        let csv = super::super::render(&r, super::super::OutputFormat::Csv).unwrap();
        let header = csv.lines().next().unwrap();
        assert!(header.starts_with(plain_csv.lines().next().unwrap()));
        assert!(header.ends_with("anchor_ratio"));
        // Every row keeps the header's column count.
        let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
        let width = reader.headers().unwrap().len();
        assert!(reader.records().all(|row| row.unwrap().len() == width));
    }
}
