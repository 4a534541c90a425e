//! The HTML page's own sections of a bench report: the header facts, the variants table and
//! the scenario file. The page itself (inline CSS, no script) is [`crate::document`]'s.

use super::{
    Report, bytes_per_record, engine_line, human_bytes, percent, relative_percent, thousands,
};
use crate::document::{self, Block, Cell, Document, Table};

/// Server, allocator, target, scenario, dataset, clock, baseline, tool and engines; then the
/// allocator warning.
pub fn header(report: &Report) -> Document {
    let d = &report.scenario.dataset;
    let mut facts = vec![
        (
            "server".to_string(),
            format!(
                "{} {}",
                report.redis.server.as_deref().unwrap_or("Redis"),
                report.redis.version
            ),
        ),
        ("allocator".into(), report.redis.allocator.clone()),
        ("target".into(), report.redis.target.clone()),
        (
            "scenario".into(),
            format!("{} ({})", report.scenario.name, report.scenario.file),
        ),
        (
            "dataset".into(),
            format!(
                "{} records ({} dataset, scale {}, seed {})",
                d.records, d.kind, d.scale, d.seed
            ),
        ),
        ("clock".into(), report.scenario.clock.kind.clone()),
        ("baseline".into(), report.baseline.clone()),
        ("tool".into(), report.tool.clone()),
    ];
    for e in &report.engines {
        facts.push((format!("engine {}", e.name), engine_line(e)));
    }
    let mut doc = Document::new();
    doc.push_for(document::HTML, Block::Facts(facts));
    if let Some(w) = report.allocator_warning() {
        doc.push_for(document::HTML, Block::Warning(w));
    }
    doc
}

/// Every variant (engine/variant in a multi-engine report) in one table, then the --jobs
/// note.
pub fn variants(report: &Report) -> Document {
    let mut table = Table::new(
        &[
            "test",
            "used memory",
            "dataset bytes",
            "bytes/record",
            "relative",
            "records",
            "keys",
            "ttl on redis?",
            "encoder",
            "layout",
            "records/s",
        ],
        &[],
    );
    for v in &report.variants {
        match &v.result {
            Some(m) => table.row(vec![
                Cell::text(v.label()),
                Cell::number(human_bytes(m.memory.used_memory)),
                Cell::number(thousands(m.dataset_bytes)),
                Cell::number(format!("{:.1}", bytes_per_record(m))),
                Cell::number(percent(relative_percent(report, v))),
                Cell::number(thousands(m.records)),
                Cell::number(thousands(m.keys)),
                Cell::text(if v.ttl_on_redis() { "yes" } else { "no" }),
                Cell::text(format!("{} {}", v.codec, v.envelope)),
                Cell::text(&v.layout),
                Cell::number(super::rate(m.records_per_second)),
            ]),
            None => table.row(vec![
                Cell::text(v.label()),
                Cell::text(format!(
                    "FAILED: {}",
                    v.error.as_deref().unwrap_or("unknown error")
                )),
            ]),
        };
    }
    let mut doc = Document::new();
    doc.push_for(
        document::HTML,
        Block::Heading {
            level: 2,
            text: "Variants".into(),
        },
    );
    doc.push_for(document::HTML, Block::Table(table));
    if let Some(note) = report.timing_note() {
        doc.push_for(document::HTML, Block::Note(note));
    }
    doc
}

/// The scenario file's name and text, read where the page is written.
pub fn scenario(report: &Report) -> Document {
    let mut doc = Document::new();
    let only = document::HTML;
    doc.push_for(
        only,
        Block::Heading {
            level: 2,
            text: "Scenario".into(),
        },
    );
    doc.push_for(only, Block::Paragraph(report.scenario.file.clone()));
    match std::fs::read_to_string(&report.scenario.file) {
        Ok(text) => doc.push_for(only, Block::Pre(text)),
        Err(e) => doc.push_for(
            only,
            Block::Paragraph(format!("(the scenario file cannot be read here: {e})")),
        ),
    };
    doc
}
