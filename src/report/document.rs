//! A bench report as a document: the order of its sections, and which formats show each.
//! The terminal, Markdown and HTML have presented a report differently since before the
//! document model (the terminal explains under its table, Markdown has three "why" tables
//! and the samples, HTML a header, charts and the scenario file); those sections are kept
//! per format so no rendering moved. A section shown everywhere is pushed once.

use super::{Report, VariantReport, across_label, engine_line, sections};
use crate::document::{self, Block, Document, Reported};

use crate::document::{PAGES, PICTURES};

impl Reported for Report {
    fn document(&self) -> Document {
        document_of(self)
    }

    /// The model with each variant's "why" filled in: the schema in
    /// `schema/report.schema.json`.
    fn json(&self) -> anyhow::Result<String> {
        let mut report = self.clone();
        super::why::fill_why(&mut report);
        document::json_of(&report)
    }
}

pub fn document_of(report: &Report) -> Document {
    let mut doc = Document::new();
    doc.push_for(PAGES, Block::Title(report.scenario.name.clone()));
    if !report.scenario.description.is_empty() {
        doc.push_for(
            PAGES,
            Block::Paragraph(report.scenario.description.trim().to_string()),
        );
    }
    doc.append(terminal_header(report));
    doc.append(markdown_header(report));
    doc.append(super::html::header(report));
    doc.append(charts(report));
    doc.append(super::html::variants(report));
    doc.append(super::read::blocks(report));
    doc.append(super::cluster::blocks(report));
    doc.append(super::explained::terminal_blocks(report));
    doc.append(super::explained::markdown_blocks(report));
    doc.append(sections::samples(report));
    doc.append(super::explained::html_blocks(report));
    doc.append(super::html::scenario(report));
    doc.append(failures(report));
    doc.push_for(document::CSV, Block::Table(super::csv::table(report)));
    doc
}

/// The terminal's summary line and variant table(s), one per engine.
fn terminal_header(report: &Report) -> Document {
    let mut doc = Document::new();
    let only = document::TERMINAL;
    let d = &report.scenario.dataset;
    if report.engines.is_empty() {
        doc.push_for(
            only,
            Block::Paragraph(format!(
                "{} ({} records, scale {}) on {} {} ({}); baseline {}",
                report.scenario.name,
                d.records,
                d.scale,
                report.redis.server.as_deref().unwrap_or("Redis"),
                report.redis.version,
                report.redis.allocator,
                report.baseline,
            )),
        );
        let variants: Vec<&VariantReport> = report.variants.iter().collect();
        doc.push_for(
            only,
            Block::Table(sections::terminal_variants(report, &variants, false)),
        );
        return doc;
    }
    doc.push_for(
        only,
        Block::Paragraph(format!(
            "{} ({} records, scale {}) on {} engines; baseline {} within each engine, and {}",
            report.scenario.name,
            d.records,
            d.scale,
            report.engines.len(),
            report.baseline,
            across_label(report),
        )),
    );
    if let Some(w) = report.allocator_warning() {
        doc.push_for(only, Block::Warning(w));
    }
    for (engine, variants) in report.engine_groups() {
        let e = engine.expect("a multi-engine report names each group's engine");
        doc.push_for(
            only,
            Block::Heading {
                level: 2,
                text: format!("engine {}: {}", e.name, engine_line(e)),
            },
        );
        doc.push_for(
            only,
            Block::Table(sections::terminal_variants(report, &variants, true)),
        );
    }
    doc
}

/// Markdown's summary, the engines, the variant table(s) and the --jobs note.
fn markdown_header(report: &Report) -> Document {
    let mut doc = Document::new();
    let only = document::MARKDOWN;
    let d = &report.scenario.dataset;
    if report.engines.is_empty() {
        doc.push_for(
            only,
            Block::Paragraph(format!(
                "{} records ({} dataset, scale {}), {} {} ({}), clock {}, baseline {}.",
                d.records,
                d.kind,
                d.scale,
                report.redis.server.as_deref().unwrap_or("Redis"),
                report.redis.version,
                report.redis.allocator,
                report.scenario.clock.kind,
                report.baseline
            )),
        );
        let variants: Vec<&VariantReport> = report.variants.iter().collect();
        doc.push_for(
            only,
            Block::Table(sections::markdown_variants(report, &variants, false)),
        );
    } else {
        doc.push_for(
            only,
            Block::Paragraph(format!(
                "{} records ({} dataset, scale {}), clock {}, on {} engines. Relative: against \
                 {} on the same engine; across engines: {}.",
                d.records,
                d.kind,
                d.scale,
                report.scenario.clock.kind,
                report.engines.len(),
                report.baseline,
                across_label(report),
            )),
        );
        doc.push_for(only, Block::Table(sections::engines(report)));
        if let Some(w) = report.allocator_warning() {
            doc.push_for(only, Block::Warning(w));
        }
        for (engine, variants) in report.engine_groups() {
            let e = engine.expect("a multi-engine report names each group's engine");
            doc.push_for(
                only,
                Block::Heading {
                    level: 2,
                    text: format!("Engine {}: {}", e.name, engine_line(e)),
                },
            );
            doc.push_for(
                only,
                Block::Table(sections::markdown_variants(report, &variants, true)),
            );
        }
    }
    if let Some(note) = report.timing_note() {
        doc.push_for(only, Block::Note(note));
    }
    doc
}

/// The charts: a sweep's lines, the relative bars, the memory/read trade-off. The SVG
/// format is the sweep's chart, else the trade-off, else the bars.
fn charts(report: &Report) -> Document {
    let mut doc = Document::new();
    doc.push_for(
        document::HTML,
        Block::Heading {
            level: 2,
            text: "Charts".into(),
        },
    );
    let sweep = super::svg::sweep_chart(report);
    let trade_off = super::read::trade_off_chart(report);
    let bars_main = sweep.is_none() && trade_off.is_none();
    let trade_main = sweep.is_none();
    if let Some(mut chart) = sweep {
        chart.main = true;
        doc.push_for(PICTURES, Block::Chart(chart));
    }
    let mut bars = super::svg::relative_bars(report);
    bars.main = bars_main;
    doc.push_for(PICTURES, Block::Chart(bars));
    if let Some(mut chart) = trade_off {
        chart.main = trade_main;
        doc.push_for(PICTURES, Block::Chart(chart));
    }
    doc
}

/// The terminal's last lines: each failed variant, then the --jobs note on timings.
fn failures(report: &Report) -> Document {
    let mut doc = Document::new();
    for v in report.failed() {
        doc.push_for(
            document::TERMINAL,
            Block::Paragraph(format!(
                "FAILED {}: {}",
                v.label(),
                v.error.as_deref().unwrap_or("unknown error")
            )),
        );
    }
    if let Some(note) = report.timing_note() {
        doc.push_for(document::TERMINAL, Block::Note(note));
    }
    doc
}
