//! inspect's report as a terminal table, Markdown, JSON, CSV, an SVG chart of bytes per
//! pattern, or an HTML page with that chart and the tables: patterns, keys that never
//! expire, the largest keys, and per master on a cluster.

use super::{InspectReport, PatternRow};
use crate::report::OutputFormat;
use crate::report::sheet::{Sheet, SheetTable};
use std::collections::BTreeMap;
use std::fmt::Write;

pub fn render(report: &InspectReport, format: OutputFormat) -> anyhow::Result<String> {
    Ok(match format {
        OutputFormat::Json => serde_json::to_string_pretty(report)? + "\n",
        OutputFormat::Csv => csv(report)?,
        OutputFormat::Markdown => sheet(report).markdown(),
        OutputFormat::Table => sheet(report).terminal(),
        OutputFormat::Svg => chart(report)?,
        OutputFormat::Html => sheet(report).html(&chart(report)?),
    })
}

/// The heading, the patterns, and per master on a cluster.
fn sheet(report: &InspectReport) -> Sheet<'static> {
    let mut tables = vec![SheetTable {
        caption: "Patterns",
        headers: &HEADERS,
        rows: rows(report).map(cells).collect(),
        numeric: &[false, true, true, true, false, false, false, true],
        code_first: true,
    }];
    if !report.extras.never_expires.is_empty() {
        tables.push(SheetTable {
            caption: "Never expires (keys without a TTL)",
            headers: &[
                "pattern",
                "keys without TTL",
                "of the pattern's keys",
                "bytes",
            ],
            rows: report
                .extras
                .never_expires
                .iter()
                .map(|n| {
                    vec![
                        n.pattern.clone(),
                        format!("{:.0}", n.keys),
                        format!("{:.0}%", n.share_of_keys * 100.0),
                        human(n.bytes),
                    ]
                })
                .collect(),
            numeric: &[false, true, true, true],
            code_first: true,
        });
    }
    if !report.extras.largest_keys.is_empty() {
        tables.push(SheetTable {
            caption: if report.mode == "all" {
                "Largest keys"
            } else {
                "Largest keys (of those read)"
            },
            headers: &["key", "pattern", "type", "bytes", "TTL"],
            rows: report
                .extras
                .largest_keys
                .iter()
                .map(|k| {
                    vec![
                        k.key.clone(),
                        k.pattern.clone(),
                        k.kind.clone(),
                        human(k.bytes),
                        seconds(k.ttl_seconds),
                    ]
                })
                .collect(),
            numeric: &[false, false, false, true, false],
            code_first: true,
        });
    }
    if let Some(nodes) = node_rows(report) {
        tables.push(SheetTable {
            caption: "Per master",
            headers: &NODE_HEADERS,
            rows: nodes,
            numeric: &[false, true, true, true, true, true],
            code_first: false,
        });
    }
    if let Some(rdb) = &report.rdb {
        tables.extend(crate::rdb_stream::render::tables(rdb));
    }
    Sheet {
        title: "Redis memory by key pattern",
        heading: heading(report),
        tables,
    }
}

/// Bytes per pattern, largest first (the patterns as listed, then "other").
fn chart(report: &InspectReport) -> anyhow::Result<String> {
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
    crate::chart::bars("bytes per key pattern", "bytes", " B", &items, None)
}

fn rows(report: &InspectReport) -> impl Iterator<Item = &PatternRow> {
    report
        .patterns
        .iter()
        .chain(report.other.iter())
        .chain(std::iter::once(&report.total))
}

pub use crate::report::human_size as human;

fn with_ci(value: String, ci: f64, ci_text: String) -> String {
    if ci > 0.0 {
        format!("{value} ±{ci_text}")
    } else {
        value
    }
}

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

fn cells(row: &PatternRow) -> Vec<String> {
    vec![
        row.pattern.clone(),
        with_ci(
            format!("{:.0}", row.keys),
            row.keys_ci95,
            format!("{:.0}", row.keys_ci95),
        ),
        with_ci(human(row.bytes), row.bytes_ci95, human(row.bytes_ci95)),
        format!("{:.1}%", row.share_of_used_memory * 100.0),
        ttl(row),
        mix(&row.encodings),
        mix(&row.formats),
        mean_value(row),
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
fn node_rows(report: &InspectReport) -> Option<Vec<Vec<String>>> {
    let cluster = report.cluster.as_ref()?;
    Some(
        cluster
            .nodes
            .iter()
            .map(|n| {
                vec![
                    n.node.clone(),
                    n.slots.to_string(),
                    n.keys.to_string(),
                    human(n.used_memory as f64),
                    n.keys_inspected.to_string(),
                    human(n.bytes),
                ]
            })
            .collect(),
    )
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
        out.push_str(&crate::rdb_stream::render::heading(report, rdb));
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

fn csv(report: &InspectReport) -> anyhow::Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
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
    ])?;
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
    let map = |m: &BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";")
    };
    for r in rows(report) {
        w.write_record([
            crate::report::cell::csv_safe(&r.pattern),
            crate::report::cell::csv_safe(&r.example),
            r.inspected.to_string(),
            format!("{:.0}", r.keys),
            format!("{:.0}", r.keys_ci95),
            format!("{:.0}", r.bytes),
            format!("{:.0}", r.bytes_ci95),
            format!("{:.0}", r.memory_usage_bytes),
            format!("{:.0}", r.expires_bytes),
            format!("{:.6}", r.share_of_used_memory),
            r.ttl.none.to_string(),
            r.ttl.with.to_string(),
            opt(r.ttl.min_seconds),
            opt(r.ttl.median_seconds),
            opt(r.ttl.max_seconds),
            map(&r.encodings),
            map(&r.formats),
            opt(r.mean_value_bytes),
            opt(r.mean_string_bytes),
            opt(r.mean_hash_field_bytes),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
