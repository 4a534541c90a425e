//! whatif's report as a terminal table, Markdown, JSON, CSV, an SVG chart of projected
//! bytes per variant, or an HTML page with that chart and the table.

use super::WhatifReport;
use crate::document::{self, Block, Cell, Chart, ChartKind, Document, Reported, Table};
use crate::report::OutputFormat;
use crate::report::human_size as human;
use std::fmt::Write;

/// The report in `format` (JSON: serde of the model; the rest from its document).
pub fn render(report: &WhatifReport, format: OutputFormat) -> anyhow::Result<String> {
    document::render(report, format)
}

impl Reported for WhatifReport {
    fn document(&self) -> Document {
        let mut doc = Document::new();
        doc.push(Block::Title(
            "What if: the same records cached other ways".into(),
        ));
        body(self, &mut doc);
        doc
    }

    fn json(&self) -> anyhow::Result<String> {
        document::json_of(self)
    }
}

/// One family's heading lines, chart and table (the CSV its own table).
fn body(r: &WhatifReport, doc: &mut Document) {
    doc.push(Block::Lines(heading(r).lines().map(String::from).collect()));
    doc.push(Block::Chart(chart(r)));
    let mut t = Table::new(
        &HEADERS,
        &[false, false, true, true, true, true, true, false],
    );
    t.rows = r.as_stored.iter().chain(&r.variants).map(cells).collect();
    doc.push_for(document::PROSE, Block::Table(t));
    doc.push_for(document::CSV, Block::Table(csv(r)));
}

/// Several families (`--match A --match B`): each family's report under its glob, then the
/// server's recommendation; JSON `{"families": [...], "server_recommendation": "..."}`.
pub struct Families {
    pub reports: Vec<WhatifReport>,
    pub server_recommendation: String,
}

impl Families {
    pub fn new(reports: Vec<WhatifReport>) -> Self {
        let server_recommendation = super::server_advice::recommend(&reports);
        Families {
            reports,
            server_recommendation,
        }
    }
}

impl Reported for Families {
    fn document(&self) -> Document {
        let mut doc = Document::new();
        doc.push(Block::Title(
            "What if: the same records cached other ways, per family".into(),
        ));
        for r in &self.reports {
            doc.push(Block::Heading {
                level: 2,
                text: format!("--match {}", r.sample.match_glob),
            });
            body(r, &mut doc);
        }
        doc.push(Block::Heading {
            level: 2,
            text: "Server recommendation".into(),
        });
        doc.push(Block::Lines(
            self.server_recommendation
                .lines()
                .map(String::from)
                .collect(),
        ));
        doc
    }

    fn json(&self) -> anyhow::Result<String> {
        document::json_of(&serde_json::json!({
            "families": self.reports,
            "server_recommendation": self.server_recommendation,
        }))
    }
}

/// Projected bytes per variant, as stored today first; a variant that failed has no bar.
fn chart(r: &WhatifReport) -> Chart {
    let items: Vec<(String, f64)> = r
        .as_stored
        .iter()
        .chain(&r.variants)
        .filter_map(|p| Some((p.variant.clone(), p.projected_bytes?)))
        .collect();
    let today = r.as_stored.as_ref().and_then(|p| p.projected_bytes);
    Chart {
        kind: ChartKind::Bars {
            title: "projected bytes per variant".into(),
            axis: "bytes".into(),
            unit: " B".into(),
            items,
            baseline: today,
        },
        main: true,
    }
}

fn heading(r: &WhatifReport) -> String {
    let s = &r.sample;
    // "today" is the first row's figure: the sampled values as stored, measured like the
    // variants; inspect's MEMORY USAGE sum is a different method and says so.
    let today = r.as_stored.as_ref().and_then(|p| p.projected_bytes);
    let today_ci = r.as_stored.as_ref().and_then(|p| p.projected_ci95);
    let mut out = format!(
        "pattern {} (--match {}) in {}: {} records sampled of {} keys; today {} ±{} \
         (as stored, measured on a private server, projected); inspect's MEMORY USAGE + \
         expires share: {} ±{}",
        s.pattern,
        s.match_glob,
        s.source,
        r.sampled_records,
        plus_minus_keys(s.population_keys, s.population_keys_ci95),
        today.map_or("-".into(), human),
        today_ci.map_or("-".into(), human),
        human(s.today_bytes),
        human(s.today_bytes_ci95)
    );
    if s.skipped_not_strings > 0 {
        let _ = write!(
            out,
            "\n{} keys read were not strings and are not in the sample",
            s.skipped_not_strings
        );
    }
    let _ = write!(
        out,
        "\ngrid: {}; hash buckets: {}; TTL variants use {}",
        r.grid,
        s.bucket_rule,
        match r.ttl_seconds {
            Some(t) => format!("redis_ttl {t} s (the sample's median, at least 1 h)"),
            None => "the grid's redis_ttl (no sampled key has a TTL)".into(),
        }
    );
    let _ = write!(
        out,
        "\nprojected = settled used_memory on a private server per record written x \
         population, key and expires tables sized for the population; ± is a 95% interval \
         (sampled sizes and the population estimate); savings against the first row"
    );
    if !r.library.is_empty() && r.variants.iter().any(|p| !p.library.is_empty()) {
        let _ = write!(
            out,
            "\nwritten by {} (as its values and keys tell): the rows after the grid's are its \
             own settings (compression as the library compresses, serializer swaps), keys \
             and TTLs as they are",
            r.library
        );
    }
    for w in &r.warnings {
        let _ = write!(out, "\nwarning: {w}");
    }
    for p in &r.variants {
        for why in &p.cannot_encode {
            let _ = write!(out, "\n{}: {why}", p.variant);
        }
    }
    if !r.recommendation.is_empty() {
        let _ = write!(out, "\n{}", r.recommendation);
    }
    out
}

fn plus_minus_keys(keys: f64, ci: f64) -> String {
    if ci >= 0.5 {
        format!("{keys:.0} ±{ci:.0}")
    } else {
        format!("{keys:.0}")
    }
}

const HEADERS: [&str; 8] = [
    "variant",
    "layout",
    "records",
    "unencodable",
    "per record",
    "projected",
    "savings",
    "error",
];

fn cells(p: &super::Projection) -> Vec<Cell> {
    vec![
        Cell::text(&p.variant),
        Cell::text(&p.layout),
        Cell::number(p.records.to_string()),
        Cell::number(p.unencodable.to_string()),
        Cell::number(
            p.bytes_per_record
                .map_or("-".into(), |b| format!("{b:.1} B")),
        ),
        Cell::number(match (p.projected_bytes, p.projected_ci95) {
            (Some(b), Some(ci)) if ci.is_finite() => format!("{} ±{}", human(b), human(ci)),
            (Some(b), _) => human(b),
            _ => "-".into(),
        }),
        Cell::number(
            match (p.savings_bytes, p.savings_percent, p.savings_percent_ci95) {
                (Some(b), Some(pc), Some(ci)) if ci.is_finite() => {
                    format!("{} ({pc:.1}% ±{ci:.1})", human(b))
                }
                (Some(b), Some(pc), _) => format!("{} ({pc:.1}%)", human(b)),
                _ => "-".into(),
            },
        ),
        Cell::text(p.error.clone().unwrap_or_default()),
    ]
}

/// One row per variant with every figure: the CSV format.
fn csv(r: &WhatifReport) -> Table {
    let mut t = Table::new(
        &[
            "variant",
            "codec",
            "envelope",
            "layout",
            "redis_ttl",
            "records",
            "unencodable",
            "dataset_bytes",
            "bytes_per_record",
            "projected_bytes",
            "projected_ci95",
            "as_stored_bytes",
            "savings_bytes",
            "savings_ci95",
            "savings_percent",
            "savings_percent_ci95",
            "savings_vs_inspect_percent",
            "error",
        ],
        &[],
    );
    let f = |v: Option<f64>| Cell::number(v.map_or(String::new(), |v| format!("{v:.1}")));
    for p in r.as_stored.iter().chain(&r.variants) {
        t.row(vec![
            Cell::text(&p.variant),
            Cell::text(&p.codec),
            Cell::text(&p.envelope),
            Cell::text(&p.layout),
            Cell::number(p.redis_ttl.map_or(String::new(), |t| t.to_string())),
            Cell::number(p.records.to_string()),
            Cell::number(p.unencodable.to_string()),
            Cell::number(p.dataset_bytes.map_or(String::new(), |b| b.to_string())),
            f(p.bytes_per_record),
            f(p.projected_bytes),
            f(p.projected_ci95),
            f(r.as_stored.as_ref().and_then(|a| a.projected_bytes)),
            f(p.savings_bytes),
            f(p.savings_ci95),
            f(p.savings_percent),
            f(p.savings_percent_ci95),
            f(p.savings_vs_inspect_percent),
            Cell::text(p.error.clone().unwrap_or_default()),
        ]);
    }
    t
}
