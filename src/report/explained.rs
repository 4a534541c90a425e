//! The explanation of one variant as short texts, and the sections each format shows them
//! in (so the formats agree on every figure).

use super::why;
use super::{Report, VariantReport};
use crate::document::{self, Block, Cell, Document, Table};
use crate::explain::{Explanation, encoding, written::SizeStat};

/// Per variant, every explanation figure as text; `-` where the variant has none.
pub struct Explained {
    pub hash_ttl: String,
    pub buckets: String,
    pub overrides: String,
    pub key_bytes: String,
    pub value_bytes: String,
    pub predicted: String,
    pub encodings: String,
    pub ttl: String,
    pub breakdown: Vec<(String, String)>,
    pub why: String,
    pub warnings: Vec<String>,
}

fn sizes(s: &SizeStat) -> String {
    format!("{:.1} / {} / {}", s.mean, s.p50, s.max)
}

fn per_record(bytes: i64, records: u64) -> String {
    if records == 0 {
        "-".into()
    } else {
        format!("{:.1}", bytes as f64 / records as f64)
    }
}

pub fn overrides(v: &VariantReport) -> String {
    if v.overrides.is_empty() {
        "-".into()
    } else {
        v.overrides
            .iter()
            .map(|(k, val)| format!("{k}={val}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `11000 embstr (all keys checked; as predicted)`.
pub fn encodings(e: &Explanation) -> String {
    let m = &e.encodings;
    let scope = if m.sampled {
        format!(
            "sample of {} of {} keys, seed {}",
            m.checked,
            m.keys,
            m.seed.unwrap_or(0)
        )
    } else {
        format!("all {} keys checked", m.checked)
    };
    let verdict = if m.unexpected == 0 {
        "as predicted".to_string()
    } else {
        format!(
            "{} not as predicted: {}",
            m.unexpected,
            m.unexpected_examples.join("; ")
        )
    };
    format!("{} ({scope}; {verdict})", encoding::describe(&m.measured))
}

pub fn explained(report: &Report, v: &VariantReport) -> Explained {
    let mut out = Explained {
        hash_ttl: if v.layout == "hash" {
            v.hash_ttl.clone()
        } else {
            "-".into()
        },
        buckets: "-".into(),
        overrides: overrides(v),
        key_bytes: "-".into(),
        value_bytes: "-".into(),
        predicted: "-".into(),
        encodings: "-".into(),
        ttl: "-".into(),
        breakdown: Vec::new(),
        why: why::line(report, v).unwrap_or_else(|| "-".into()),
        warnings: Vec::new(),
    };
    let Some(m) = v.result.as_ref() else {
        return out;
    };
    let Some(e) = m.explain.as_ref() else {
        return out;
    };
    let w = &e.written;
    if let Some(h) = &w.hash {
        out.buckets = format!(
            "{} buckets, {:.1} fields mean, {} max",
            h.buckets, h.fields_mean, h.fields_max
        );
    }
    out.key_bytes = sizes(&w.key_bytes);
    out.value_bytes = sizes(&w.value_bytes);
    out.predicted = encoding::describe(&w.predicted_encodings);
    out.encodings = encodings(e);
    let t = &e.ttl;
    out.ttl = format!(
        "{} B ({} B/record), {} expires entries, {}; MEMORY STATS expires {} B",
        t.bytes(),
        per_record(t.bytes() as i64, m.records),
        t.expires_entries,
        t.method(),
        t.stats_expires_bytes
    );
    if v.hash_ttl == "field-ttl" && v.layout == "hash" {
        // HEXPIRE's TTLs live in each bucket (and the engine's own index of them), so
        // their cost is in the values part of the breakdown, not here.
        out.ttl.push_str(
            "; field TTLs are not expires entries: their cost is inside the buckets (key \
             names, objects and values)",
        );
    }
    out.breakdown = e
        .breakdown
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                format!(
                    "{} B ({} B/record, {})",
                    p.bytes,
                    per_record(p.bytes, m.records),
                    p.source
                ),
            )
        })
        .collect();
    out.warnings = e.warnings.clone();
    out
}

/// Variants with an explanation to show: measured, and not on a cluster (whose section says
/// why it has none).
fn explainable(report: &Report) -> Vec<&VariantReport> {
    report
        .variants
        .iter()
        .filter(|v| v.result.is_some() && !on_cluster_unexplained(v))
        .collect()
}

/// A variant measured on a cluster, which has no explanation (its section says so).
pub fn on_cluster_unexplained(v: &VariantReport) -> bool {
    v.result
        .as_ref()
        .is_some_and(|m| m.cluster.is_some() && m.explain.is_none())
}

/// The terminal's explanation: per variant, a few indented lines under the table.
pub fn terminal_blocks(report: &Report) -> Document {
    let mut doc = Document::new();
    for v in explainable(report) {
        let e = explained(report, v);
        let mut lines = vec![
            String::new(),
            format!(
                "{}: layout {}, hash_ttl {}, overrides {}",
                v.label(),
                v.layout,
                e.hash_ttl,
                e.overrides
            ),
        ];
        if e.key_bytes == "-" {
            lines.push("  (no explanation in this report)".into());
        } else {
            lines.push(format!(
                "  written    key B {} and value B {} (mean / p50 / max){}",
                e.key_bytes,
                e.value_bytes,
                if e.buckets == "-" {
                    String::new()
                } else {
                    format!("; {}", e.buckets)
                }
            ));
            lines.push(format!(
                "  encodings  {} (predicted {})",
                e.encodings, e.predicted
            ));
            lines.push(format!("  ttl cost   {}", e.ttl));
            for (name, text) in &e.breakdown {
                lines.push(format!("  part       {name}: {text}"));
            }
            lines.push(format!("  why        {}", e.why));
            for w in &e.warnings {
                lines.push(format!("  warning    {w}"));
            }
        }
        doc.push_for(document::TERMINAL, Block::Lines(lines));
    }
    doc
}

/// Markdown's explanation: layout, TTL policy, buckets, overrides and the "why"; sizes
/// written and encodings; the breakdown and the TTL's cost; the plan's warnings.
pub fn markdown_blocks(report: &Report) -> Document {
    let mut doc = Document::new();
    let measured = explainable(report);
    if measured.is_empty() {
        return doc;
    }
    let only = document::MARKDOWN;
    let all: Vec<Explained> = measured.iter().map(|v| explained(report, v)).collect();
    doc.push_for(
        only,
        Block::Heading {
            level: 2,
            text: "Why each variant costs what it costs".into(),
        },
    );
    let mut t = Table::new(
        &["test", "layout", "hash_ttl", "buckets", "overrides", "why"],
        &[],
    );
    for (v, e) in measured.iter().zip(&all) {
        t.row(
            [
                &v.label(),
                &v.layout,
                &e.hash_ttl,
                &e.buckets,
                &e.overrides,
                &e.why,
            ]
            .map(Cell::text)
            .to_vec(),
        );
    }
    doc.push_for(only, Block::Table(t));
    doc.push_for(
        only,
        Block::Paragraph(
            "Sizes as written (bytes, mean / p50 / max; the key is the field name under the \
             hash layout), and the encodings Redis chose (OBJECT ENCODING):"
                .into(),
        ),
    );
    let mut t = Table::new(
        &[
            "test",
            "key bytes",
            "value bytes",
            "encodings measured",
            "predicted",
        ],
        &[],
    );
    for (v, e) in measured.iter().zip(&all) {
        t.row(
            [
                &v.label(),
                &e.key_bytes,
                &e.value_bytes,
                &e.encodings,
                &e.predicted,
            ]
            .map(Cell::text)
            .to_vec(),
        );
    }
    doc.push_for(only, Block::Table(t));
    doc.push_for(
        only,
        Block::Paragraph(
            "Dataset bytes in parts that add up, and the Redis TTL's own cost:".into(),
        ),
    );
    let mut t = Table::new(
        &[
            "test",
            "key table",
            "expires table",
            "key names, objects and values",
            "TTL cost",
        ],
        &[],
    );
    for (v, e) in measured.iter().zip(&all) {
        let part = |i: usize| e.breakdown.get(i).map_or("-".to_string(), |p| p.1.clone());
        t.row(vec![
            Cell::text(v.label()),
            Cell::text(part(0)),
            Cell::text(part(1)),
            Cell::text(part(2)),
            Cell::text(&e.ttl),
        ]);
    }
    doc.push_for(only, Block::Table(t));
    let warned: Vec<String> = measured
        .iter()
        .zip(&all)
        .flat_map(|(v, e)| {
            e.warnings
                .iter()
                .map(move |w| format!("{}: {w}", v.label()))
        })
        .collect();
    if !warned.is_empty() {
        doc.push_for(only, Block::Paragraph("Warnings from the plan:".into()));
        doc.push_for(
            only,
            Block::List {
                items: warned,
                warn: true,
            },
        );
    }
    doc
}

/// The page's explanation: buckets, overrides, encodings and the "why"; the breakdown of
/// dataset bytes; every warning (or "None.").
pub fn html_blocks(report: &Report) -> Document {
    let mut doc = Document::new();
    let measured: Vec<&VariantReport> = report
        .variants
        .iter()
        .filter(|v| v.result.is_some())
        .collect();
    if measured.is_empty() {
        return doc;
    }
    let only = document::HTML;
    let heading = |text: &str| Block::Heading {
        level: 2,
        text: text.into(),
    };
    let all: Vec<Explained> = measured.iter().map(|v| explained(report, v)).collect();
    doc.push_for(only, heading("Why each variant costs what it costs"));
    let mut t = Table::new(
        &["test", "buckets", "overrides", "encodings measured", "why"],
        &[],
    );
    for (v, e) in measured.iter().zip(&all) {
        t.row(
            [&v.label(), &e.buckets, &e.overrides, &e.encodings, &e.why]
                .map(Cell::text)
                .to_vec(),
        );
    }
    doc.push_for(only, Block::Table(t));
    doc.push_for(only, heading("Breakdown of dataset bytes"));
    let mut t = Table::new(&["test", "part", "bytes"], &[]);
    for (v, e) in measured.iter().zip(&all) {
        for (part, figure) in &e.breakdown {
            t.row(vec![
                Cell::text(v.label()),
                Cell::text(part),
                Cell::text(figure),
            ]);
        }
    }
    doc.push_for(only, Block::Table(t));
    doc.push_for(only, heading("Warnings"));
    let warnings: Vec<String> = measured
        .iter()
        .zip(&all)
        .flat_map(|(v, e)| {
            e.warnings
                .iter()
                .map(move |w| format!("{}: {w}", v.label()))
        })
        .collect();
    if warnings.is_empty() {
        doc.push_for(only, Block::Paragraph("None.".into()));
    } else {
        doc.push_for(
            only,
            Block::List {
                items: warnings,
                warn: true,
            },
        );
    }
    doc
}
