//! inspect's report as a terminal table, Markdown, JSON, CSV, an SVG chart of bytes per
//! pattern, or an HTML page with that chart and the tables: patterns, keys that never
//! expire, the largest keys, and per master on a cluster.

use super::{InspectReport, PatternRow};
use crate::document::{self, Block, Cell, Chart, ChartKind, Document, Reported, Table};
use crate::report::OutputFormat;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The report in `format` (JSON: serde of the model; the rest from its document).
pub fn render(report: &InspectReport, format: OutputFormat) -> anyhow::Result<String> {
    document::render(report, format)
}

impl Reported for InspectReport {
    fn document(&self) -> Document {
        document_of(self)
    }

    fn json(&self) -> anyhow::Result<String> {
        document::json_of(self)
    }
}

/// The heading, the chart, the patterns, then keys that never expire, the largest keys, per
/// master on a cluster and what a streamed file adds; CSV gets one row per pattern.
fn document_of(report: &InspectReport) -> Document {
    let mut doc = Document::new();
    doc.push(Block::Title("Redis memory by key pattern".into()));
    doc.push(Block::Lines(
        heading(report).lines().map(String::from).collect(),
    ));
    doc.push(Block::Chart(chart(report)));
    let mut patterns = Table::new(
        &HEADERS,
        &[false, true, true, true, false, false, false, true],
    );
    patterns.rows = rows(report).map(cells).collect();
    doc.push_for(document::PROSE, Block::Table(patterns));
    if !report.extras.never_expires.is_empty() {
        let mut t = Table::new(
            &[
                "pattern",
                "keys without TTL",
                "of the pattern's keys",
                "bytes",
            ],
            &[false, true, true, true],
        );
        for n in &report.extras.never_expires {
            t.row(vec![
                Cell::code(&n.pattern),
                Cell::number(format!("{:.0}", n.keys)),
                Cell::number(format!("{:.0}%", n.share_of_keys * 100.0)),
                Cell::size(n.bytes),
            ]);
        }
        captioned(&mut doc, "Never expires (keys without a TTL)", t);
    }
    if !report.extras.largest_keys.is_empty() {
        let mut t = Table::new(
            &["key", "pattern", "type", "bytes", "TTL"],
            &[false, false, false, true, false],
        );
        for k in &report.extras.largest_keys {
            t.row(vec![
                Cell::code(&k.key),
                Cell::text(&k.pattern),
                Cell::text(&k.kind),
                Cell::size(k.bytes),
                Cell::text(seconds(k.ttl_seconds)),
            ]);
        }
        let caption = if report.mode == "all" {
            "Largest keys"
        } else {
            "Largest keys (of those read)"
        };
        captioned(&mut doc, caption, t);
    }
    if let Some(nodes) = node_table(report) {
        captioned(&mut doc, "Per master", nodes);
    }
    if let Some(rdb) = &report.rdb {
        for (caption, table) in super::render_rdb::tables(rdb) {
            captioned(&mut doc, caption, table);
        }
    }
    doc.push_for(document::CSV, Block::Table(csv(report)));
    doc
}

/// A further table under its caption, in the prose formats.
pub fn captioned(doc: &mut Document, caption: &str, table: Table) {
    doc.push_for(
        document::PROSE,
        Block::Heading {
            level: 2,
            text: caption.into(),
        },
    );
    doc.push_for(document::PROSE, Block::Table(table));
}

/// Bytes per pattern, largest first (the patterns as listed, then "other").
fn chart(report: &InspectReport) -> Chart {
    let items: Vec<(String, f64)> = report
        .patterns
        .iter()
        .chain(report.other.iter())
        .map(|r| {
            (
                crate::report::cell::printable(&r.pattern).into_owned(),
                r.bytes,
            )
        })
        .collect();
    Chart {
        kind: ChartKind::Bars {
            title: "bytes per key pattern".into(),
            axis: "bytes".into(),
            unit: " B".into(),
            items,
            baseline: None,
        },
        main: true,
    }
}

fn rows(report: &InspectReport) -> impl Iterator<Item = &PatternRow> {
    report
        .patterns
        .iter()
        .chain(report.other.iter())
        .chain(std::iter::once(&report.total))
}

pub use crate::report::human_size as human;

fn mix(map: &BTreeMap<String, u64>) -> String {
    let total: u64 = map.values().sum();
    let mut items: Vec<_> = map.iter().collect();
    items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    items
        .iter()
        .take(4)
        .map(|(k, v)| {
            if items.len() == 1 {
                k.to_string()
            } else {
                format!("{k} {:.0}%", **v as f64 * 100.0 / total.max(1) as f64)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn seconds(s: Option<f64>) -> String {
    match s {
        None => "-".into(),
        Some(s) if s >= 86400.0 => format!("{:.1}d", s / 86400.0),
        Some(s) if s >= 3600.0 => format!("{:.1}h", s / 3600.0),
        Some(s) if s >= 60.0 => format!("{:.1}m", s / 60.0),
        Some(s) => format!("{s:.0}s"),
    }
}

fn ttl(row: &PatternRow) -> String {
    let t = &row.ttl;
    let n = (t.none + t.with).max(1) as f64;
    if t.with == 0 {
        return "none".into();
    }
    format!(
        "{:.0}% min {} med {} max {}",
        t.with as f64 * 100.0 / n,
        seconds(t.min_seconds),
        seconds(t.median_seconds),
        seconds(t.max_seconds)
    )
}

fn cells(row: &PatternRow) -> Vec<Cell> {
    vec![
        Cell::code(&row.pattern),
        Cell::interval(
            format!("{:.0}", row.keys),
            row.keys_ci95,
            format!("{:.0}", row.keys_ci95),
        ),
        Cell::interval(human(row.bytes), row.bytes_ci95, human(row.bytes_ci95)),
        Cell::number(format!("{:.1}%", row.share_of_used_memory * 100.0)),
        Cell::text(ttl(row)),
        Cell::text(mix(&row.encodings)),
        Cell::text(mix(&row.formats)),
        Cell::number(mean_value(row)),
    ]
}

/// Strings' mean length, and hashes' mean field value (from one HSCAN page of each), each
/// labelled; "-" for other types.
fn mean_value(row: &PatternRow) -> String {
    match (row.mean_string_bytes, row.mean_hash_field_bytes) {
        (Some(s), None) => format!("{s:.0} B"),
        (None, Some(h)) => format!("{h:.0} B per hash field"),
        (Some(s), Some(h)) => format!("string {s:.0} B, hash field {h:.0} B"),
        (None, None) => "-".into(),
    }
}

const HEADERS: [&str; 8] = [
    "pattern",
    "keys",
    "bytes",
    "of used",
    "TTL",
    "encodings",
    "formats",
    "mean value",
];

const NODE_HEADERS: [&str; 6] = ["node", "slots", "keys", "used_memory", "read", "bytes"];

/// One line per master of a cluster: its address, slots, DBSIZE, used_memory, keys read and
/// the bytes its keys account for.
fn node_table(report: &InspectReport) -> Option<Table> {
    let cluster = report.cluster.as_ref()?;
    let mut t = Table::new(&NODE_HEADERS, &[false, true, true, true, true, true]);
    for n in &cluster.nodes {
        t.row(vec![
            Cell::text(&n.node),
            Cell::number(n.slots.to_string()),
            Cell::number(n.keys.to_string()),
            Cell::size(n.used_memory as f64),
            Cell::number(n.keys_inspected.to_string()),
            Cell::size(n.bytes),
        ]);
    }
    Some(t)
}

fn heading(report: &InspectReport) -> String {
    let mut out = format!(
        "{} ({}, server {}, db {}): {} keys read of {} in {:.2} s, {} commands; used_memory {}",
        report.target,
        report.mode,
        report.redis_version,
        report.db,
        report.keys_inspected,
        report.dbsize,
        report.seconds,
        report.commands,
        human(report.used_memory as f64)
    );
    if let Some(m) = &report.match_pattern {
        let _ = write!(out, "; --match {m}");
    }
    if let Some(c) = &report.cluster {
        let _ = write!(
            out,
            "\ncluster: {} masters read in turn; keys and used_memory are their sums",
            c.masters
        );
        if report.mode == "sample" {
            let _ = write!(out, "\n{}", c.sampling);
        }
    }
    if let Some(rdb) = &report.rdb {
        out.push_str(&super::render_rdb::heading(report, rdb));
    } else if report.mode == "sample" {
        let _ = write!(
            out,
            "\nsample: {:.2}% of the keyspace by SCAN's cursor; figures extrapolated to {:.0} keys, \
             ± is the 95% interval",
            report.scan_fraction * 100.0,
            report.population_keys
        );
    }
    let _ = write!(
        out,
        "\nbytes = MEMORY USAGE{} + {:.1} B per key with a TTL (the expires table, which MEMORY \
         USAGE leaves out)",
        if report.extras.exact {
            " SAMPLES 0 (exact)"
        } else if report.rdb.is_none() {
            " SAMPLES 1000 (exact for keys of up to 1,000 elements)"
        } else {
            ""
        },
        report.expires_bytes_per_key
    );
    let others: Vec<String> = report
        .extras
        .databases
        .iter()
        .filter(|d| d.db != report.db || report.cluster.is_some())
        .map(|d| format!("db{} {} keys ({} with a TTL)", d.db, d.keys, d.expires))
        .collect();
    if !others.is_empty() && report.cluster.is_none() {
        let _ = write!(
            out,
            "\nother databases (not read; --db N reads one): {}",
            others.join(", ")
        );
    }
    if report.extras.no_touch {
        let _ = write!(
            out,
            "\nLRU: read with CLIENT NO-TOUCH, the keys' idle times were left alone"
        );
    } else if let Some(cause) = &report.extras.touch_cause {
        let _ = write!(out, "\nLRU: {cause}");
    }
    for u in &report.extras.unknown {
        let _ = write!(out, "\nunknown {u}");
    }
    if let Some(note) = &report.extras.patterns_capped {
        let _ = write!(out, "\n{note}");
    }
    if let Some(note) = &report.extras.loaded_copy {
        let _ = write!(out, "\n{note}");
    }
    out
}

/// One row per pattern with every figure unrounded: the CSV format.
fn csv(report: &InspectReport) -> Table {
    let mut t = Table::new(
        &[
            "pattern",
            "example",
            "inspected",
            "keys",
            "keys_ci95",
            "bytes",
            "bytes_ci95",
            "memory_usage_bytes",
            "expires_bytes",
            "share_of_used_memory",
            "ttl_none",
            "ttl_with",
            "ttl_min_s",
            "ttl_median_s",
            "ttl_max_s",
            "encodings",
            "formats",
            "mean_value_bytes",
            "mean_string_bytes",
            "mean_hash_field_bytes",
        ],
        &[],
    );
    let opt = |v: Option<f64>| Cell::number(v.map_or(String::new(), |v| format!("{v}")));
    let map = |m: &BTreeMap<String, u64>| {
        Cell::text(
            m.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(";"),
        )
    };
    for r in rows(report) {
        t.row(vec![
            Cell::code(&r.pattern),
            Cell::code(&r.example),
            Cell::number(r.inspected.to_string()),
            Cell::number(format!("{:.0}", r.keys)),
            Cell::number(format!("{:.0}", r.keys_ci95)),
            Cell::number(format!("{:.0}", r.bytes)),
            Cell::number(format!("{:.0}", r.bytes_ci95)),
            Cell::number(format!("{:.0}", r.memory_usage_bytes)),
            Cell::number(format!("{:.0}", r.expires_bytes)),
            Cell::number(format!("{:.6}", r.share_of_used_memory)),
            Cell::number(r.ttl.none.to_string()),
            Cell::number(r.ttl.with.to_string()),
            opt(r.ttl.min_seconds),
            opt(r.ttl.median_seconds),
            opt(r.ttl.max_seconds),
            map(&r.encodings),
            map(&r.formats),
            opt(r.mean_value_bytes),
            opt(r.mean_string_bytes),
            opt(r.mean_hash_field_bytes),
        ]);
    }
    t
}
