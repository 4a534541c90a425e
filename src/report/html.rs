//! `.html`: one self-contained page (inline SVG charts and CSS, no script, no external
//! reference): the header, the charts, the table, the explanations and the scenario text.

use super::explained::explained;
use super::{Exporter, Report, human_bytes, percent, relative_percent, thousands};
use std::fmt::Write;

pub struct HtmlExporter;

const STYLE: &str = "body{font-family:sans-serif;margin:24px;max-width:1200px;color:#222}\
table{border-collapse:collapse;margin:8px 0 16px}\
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top;font-size:13px}\
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f0f0f0}\
pre{background:#f7f7f7;border:1px solid #ddd;padding:8px;overflow:auto;font-size:12px}\
.warn{color:#a00}figure{margin:8px 0}svg{max-width:100%;height:auto}";

/// `text` safe inside HTML elements and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A self-contained page around `body` (inline CSS, no script): what `inspect` and
/// `whatif` write for `.html` too.
pub fn page(title: &str, body: &str) -> String {
    let title = escape(title);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>redisadv: {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n{body}</body>\n</html>\n"
    )
}

/// An HTML table: `headers`, then `rows`; `numeric[i]` right-aligns column i.
pub fn table_of(headers: &[&str], rows: &[Vec<String>], numeric: &[bool]) -> String {
    let mut out = String::from("<table>\n");
    let head: Vec<(&str, bool)> = headers.iter().map(|h| (*h, false)).collect();
    let _ = row(&mut out, &head, true);
    for r in rows {
        let cells: Vec<(&str, bool)> = r
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), numeric.get(i).copied().unwrap_or(false)))
            .collect();
        let _ = row(&mut out, &cells, false);
    }
    out.push_str("</table>\n");
    out
}

fn row(out: &mut String, cells: &[(&str, bool)], header: bool) -> std::fmt::Result {
    out.push_str("<tr>");
    for (text, numeric) in cells {
        match (header, numeric) {
            (true, _) => write!(out, "<th>{}</th>", escape(text))?,
            (false, true) => write!(out, "<td class=\"n\">{}</td>", escape(text))?,
            (false, false) => write!(out, "<td>{}</td>", escape(text))?,
        }
    }
    out.push_str("</tr>\n");
    Ok(())
}

impl Exporter for HtmlExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let mut out = String::new();
        let name = escape(&report.scenario.name);
        write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>redisadv: {name}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
             <h1>{name}</h1>\n"
        )?;
        if !report.scenario.description.is_empty() {
            writeln!(out, "<p>{}</p>", escape(report.scenario.description.trim()))?;
        }
        header(report, &mut out)?;
        out.push_str("<h2>Charts</h2>\n");
        if let Some(chart) = super::svg::sweep_chart(report) {
            writeln!(out, "<figure>{}</figure>", chart?)?;
        }
        writeln!(
            out,
            "<figure>{}</figure>",
            super::svg::relative_bars(report)?
        )?;
        if let Some(chart) = super::read::trade_off_chart(report) {
            writeln!(out, "<figure>{}</figure>", chart?)?;
        }
        table(report, &mut out)?;
        explanations(report, &mut out)?;
        writeln!(
            out,
            "<h2>Scenario</h2>\n<p>{}</p>",
            escape(&report.scenario.file)
        )?;
        match std::fs::read_to_string(&report.scenario.file) {
            Ok(text) => writeln!(out, "<pre>{}</pre>", escape(&text))?,
            Err(e) => writeln!(
                out,
                "<p>(the scenario file cannot be read here: {})</p>",
                escape(&e.to_string())
            )?,
        }
        out.push_str("</body>\n</html>\n");
        Ok(out)
    }
}

fn header(report: &Report, out: &mut String) -> std::fmt::Result {
    let d = &report.scenario.dataset;
    out.push_str("<table>\n");
    let mut line = |k: &str, v: String| row(out, &[(k, false), (&v, false)], false);
    line(
        "server",
        format!(
            "{} {}",
            report.redis.server.as_deref().unwrap_or("Redis"),
            report.redis.version
        ),
    )?;
    line("allocator", report.redis.allocator.clone())?;
    line("target", report.redis.target.clone())?;
    line(
        "scenario",
        format!("{} ({})", report.scenario.name, report.scenario.file),
    )?;
    line(
        "dataset",
        format!(
            "{} records ({} dataset, scale {}, seed {})",
            d.records, d.kind, d.scale, d.seed
        ),
    )?;
    line("clock", report.scenario.clock.kind.clone())?;
    line("baseline", report.baseline.clone())?;
    line("tool", report.tool.clone())?;
    for e in &report.engines {
        line(&format!("engine {}", e.name), super::engine_line(e))?;
    }
    out.push_str("</table>\n");
    if let Some(w) = report.allocator_warning() {
        writeln!(out, "<p class=\"warn\">{}</p>", escape(&w))?;
    }
    Ok(())
}

fn table(report: &Report, out: &mut String) -> std::fmt::Result {
    out.push_str("<h2>Variants</h2>\n<table>\n");
    row(
        out,
        &[
            ("test", false),
            ("used memory", false),
            ("dataset bytes", false),
            ("bytes/record", false),
            ("relative", false),
            ("records", false),
            ("keys", false),
            ("ttl on redis?", false),
            ("encoder", false),
            ("layout", false),
            ("records/s", false),
        ],
        true,
    )?;
    for v in &report.variants {
        let encoder = format!("{} {}", v.codec, v.envelope);
        let ttl = if v.ttl_on_redis() { "yes" } else { "no" };
        match &v.result {
            Some(m) => row(
                out,
                &[
                    (&v.label(), false),
                    (&human_bytes(m.memory.used_memory), true),
                    (&thousands(m.dataset_bytes), true),
                    (&format!("{:.1}", super::bytes_per_record(m)), true),
                    (&percent(relative_percent(report, v)), true),
                    (&thousands(m.records), true),
                    (&thousands(m.keys), true),
                    (ttl, false),
                    (&encoder, false),
                    (&v.layout, false),
                    (&super::rate(m.records_per_second), true),
                ],
                false,
            )?,
            None => row(
                out,
                &[
                    (&v.label(), false),
                    (
                        &format!("FAILED: {}", v.error.as_deref().unwrap_or("unknown error")),
                        false,
                    ),
                ],
                false,
            )?,
        }
    }
    out.push_str("</table>\n");
    if let Some(note) = report.timing_note() {
        writeln!(out, "<p><em>{}.</em></p>", escape(&note))?;
    }
    Ok(())
}

fn explanations(report: &Report, out: &mut String) -> std::fmt::Result {
    let measured: Vec<_> = report
        .variants
        .iter()
        .filter(|v| v.result.is_some())
        .collect();
    if measured.is_empty() {
        return Ok(());
    }
    out.push_str("<h2>Why each variant costs what it costs</h2>\n<table>\n");
    row(
        out,
        &[
            ("test", false),
            ("buckets", false),
            ("overrides", false),
            ("encodings measured", false),
            ("why", false),
        ],
        true,
    )?;
    for v in &measured {
        let e = explained(report, v);
        row(
            out,
            &[
                (&v.label(), false),
                (&e.buckets, false),
                (&e.overrides, false),
                (&e.encodings, false),
                (&e.why, false),
            ],
            false,
        )?;
    }
    out.push_str("</table>\n<h2>Breakdown of dataset bytes</h2>\n<table>\n");
    row(
        out,
        &[("test", false), ("part", false), ("bytes", false)],
        true,
    )?;
    for v in &measured {
        for (part, figure) in explained(report, v).breakdown {
            row(
                out,
                &[(&v.label(), false), (&part, false), (&figure, false)],
                false,
            )?;
        }
    }
    out.push_str("</table>\n<h2>Warnings</h2>\n");
    let warnings: Vec<(String, String)> = measured
        .iter()
        .flat_map(|v| {
            explained(report, v)
                .warnings
                .into_iter()
                .map(|w| (v.label(), w))
        })
        .collect();
    if warnings.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        out.push_str("<ul>\n");
        for (label, w) in warnings {
            writeln!(
                out,
                "<li class=\"warn\">{}: {}</li>",
                escape(&label),
                escape(&w)
            )?;
        }
        out.push_str("</ul>\n");
    }
    Ok(())
}
