//! whatif's report as a terminal table, Markdown, JSON, CSV, an SVG chart of projected
//! bytes per variant, or an HTML page with that chart and the table.

use super::WhatifReport;
use crate::report::OutputFormat;
use crate::report::human_size as human;
use crate::report::sheet::{Sheet, SheetTable};
use std::fmt::Write;

pub fn render(report: &WhatifReport, format: OutputFormat) -> anyhow::Result<String> {
    Ok(match format {
        OutputFormat::Json => serde_json::to_string_pretty(report)? + "\n",
        OutputFormat::Csv => csv(report)?,
        OutputFormat::Markdown => sheet(report).markdown(),
        OutputFormat::Table => sheet(report).terminal(),
        OutputFormat::Svg => chart(report)?,
        OutputFormat::Html => sheet(report).html(&chart(report)?),
    })
}

/// Several families (`--match A --match B`): each family's report, then the server's
/// recommendation; JSON `{"families": [...], "server_recommendation": "..."}`.
pub fn render_many(reports: &[WhatifReport], format: OutputFormat) -> anyhow::Result<String> {
    let server = super::server_advice::recommend(reports);
    Ok(match format {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&serde_json::json!({
                "families": reports,
                "server_recommendation": server,
            }))? + "\n"
        }
        OutputFormat::Markdown | OutputFormat::Table => {
            let mut out = String::new();
            for r in reports {
                out.push_str(&render(r, format)?);
                out.push('\n');
            }
            if format == OutputFormat::Markdown {
                out.push_str("## Server recommendation\n\n");
                for line in server.lines() {
                    let _ = writeln!(out, "{}  ", crate::report::cell::printable(line));
                }
            } else {
                out.push_str(&server);
                out.push('\n');
            }
            out
        }
        _ => anyhow::bail!("several families render as table, markdown or json"),
    })
}

/// The heading, then as stored today and each variant.
fn sheet(r: &WhatifReport) -> Sheet<'static> {
    Sheet {
        title: "What if: the same records cached other ways",
        heading: heading(r),
        tables: vec![SheetTable {
            caption: "Variants",
            headers: &HEADERS,
            rows: r.as_stored.iter().chain(&r.variants).map(cells).collect(),
            numeric: &[false, false, true, true, true, true, true, false],
            code_first: false,
        }],
    }
}

/// Projected bytes per variant, as stored today first; a variant that failed has no bar.
fn chart(r: &WhatifReport) -> anyhow::Result<String> {
    let items: Vec<(String, f64)> = r
        .as_stored
        .iter()
        .chain(&r.variants)
        .filter_map(|p| Some((p.variant.clone(), p.projected_bytes?)))
        .collect();
    let today = r.as_stored.as_ref().and_then(|p| p.projected_bytes);
    crate::chart::bars("projected bytes per variant", "bytes", " B", &items, today)
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

fn cells(p: &super::Projection) -> Vec<String> {
    vec![
        p.variant.clone(),
        p.layout.clone(),
        p.records.to_string(),
        p.unencodable.to_string(),
        p.bytes_per_record
            .map_or("-".into(), |b| format!("{b:.1} B")),
        match (p.projected_bytes, p.projected_ci95) {
            (Some(b), Some(ci)) if ci.is_finite() => format!("{} ±{}", human(b), human(ci)),
            (Some(b), _) => human(b),
            _ => "-".into(),
        },
        match (p.savings_bytes, p.savings_percent, p.savings_percent_ci95) {
            (Some(b), Some(pc), Some(ci)) if ci.is_finite() => {
                format!("{} ({pc:.1}% ±{ci:.1})", human(b))
            }
            (Some(b), Some(pc), _) => format!("{} ({pc:.1}%)", human(b)),
            _ => "-".into(),
        },
        p.error.clone().unwrap_or_default(),
    ]
}

fn csv(r: &WhatifReport) -> anyhow::Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
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
    ])?;
    let f = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.1}"));
    for p in r.as_stored.iter().chain(&r.variants) {
        w.write_record([
            p.variant.clone(),
            p.codec.clone(),
            p.envelope.clone(),
            p.layout.clone(),
            p.redis_ttl.map_or(String::new(), |t| t.to_string()),
            p.records.to_string(),
            p.unencodable.to_string(),
            p.dataset_bytes.map_or(String::new(), |b| b.to_string()),
            f(p.bytes_per_record),
            f(p.projected_bytes),
            f(p.projected_ci95),
            f(r.as_stored.as_ref().and_then(|a| a.projected_bytes)),
            f(p.savings_bytes),
            f(p.savings_ci95),
            f(p.savings_percent),
            f(p.savings_percent_ci95),
            f(p.savings_vs_inspect_percent),
            p.error.clone().unwrap_or_default(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
