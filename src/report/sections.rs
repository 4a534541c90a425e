//! The variant tables of a bench report (the terminal's and Markdown's), the engines and
//! the samples: one function per section, each returning blocks or a table.

use super::{
    Report, VariantReport, across_label, bytes_per_record, human_bytes, rows, thousands, yes_no,
};
use crate::document::{self, Block, Cell, Document, Table};

/// One engine's variants as the terminal shows them; `across` adds the column against the
/// baseline engine.
pub fn terminal_variants(report: &Report, variants: &[&VariantReport], across: bool) -> Table {
    let mut names: Vec<String> = [
        "variant",
        "used memory",
        "dataset bytes",
        "relative",
        "B/record",
    ]
    .map(String::from)
    .to_vec();
    if across {
        names.push(across_label(report));
    }
    names.extend(
        [
            "keys",
            "keys w/ TTL",
            "ttl on redis",
            "ttl in dogpile",
            "codec",
            "envelope",
            "layout",
            "prime s",
            "records/s",
        ]
        .map(String::from),
    );
    let mut table = Table::with_columns(names);
    for row in rows(report, variants) {
        let v = row.variant;
        let mut cells = vec![Cell::text(&v.name)];
        match row.measured {
            Some(m) => cells.extend([
                Cell::number(format!(
                    "{} ({})",
                    m.memory.used_memory,
                    human_bytes(m.memory.used_memory)
                )),
                Cell::number(m.dataset_bytes.to_string()),
                Cell::percent(row.relative),
                Cell::number(format!("{:.1}", bytes_per_record(m))),
            ]),
            None => cells.extend(["FAILED", "-", "-", "-"].map(Cell::text)),
        }
        if across {
            cells.push(Cell::percent(row.across));
        }
        match row.measured {
            Some(m) => cells.extend([
                Cell::number(m.keys.to_string()),
                Cell::number(m.keys_with_ttl.to_string()),
            ]),
            None => cells.extend(["-", "-"].map(Cell::text)),
        }
        cells.extend([
            Cell::text(yes_no(v.ttl_on_redis())),
            Cell::text(yes_no(v.expiration_time.is_some())),
            Cell::text(&v.codec),
            Cell::text(&v.envelope),
            Cell::text(&v.layout),
        ]);
        match row.measured {
            Some(m) => cells.extend([
                Cell::number(format!("{:.2}", m.prime_seconds)),
                Cell::number(thousands(m.records_per_second.max(0.0).round() as u64)),
            ]),
            None => cells.extend(["-", "-"].map(Cell::text)),
        }
        table.row(cells);
    }
    table
}

/// One engine's variants as Markdown shows them, like the plugin README's table.
pub fn markdown_variants(report: &Report, variants: &[&VariantReport], across: bool) -> Table {
    let mut columns = vec![
        ("test", false),
        ("memory bytes", true),
        ("memory human", true),
        ("dataset bytes", true),
        ("relative", true),
    ];
    let label = across_label(report);
    if across {
        columns.push((label.as_str(), true));
    }
    columns.extend([
        ("ttl on redis?", false),
        ("ttl in dogpile?", false),
        ("backend", false),
        ("encoder", false),
        ("records/s", true),
    ]);
    let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
    let right: Vec<bool> = columns.iter().map(|c| c.1).collect();
    let mut table = Table::new(&names, &right);
    for row in rows(report, variants) {
        let v = row.variant;
        let backend = if v.layout == "hash" {
            "RedisHstore"
        } else {
            "Redis"
        };
        let mut cells = vec![Cell::text(&v.name)];
        match row.measured {
            Some(m) => cells.extend([
                Cell::number(m.memory.used_memory.to_string()),
                Cell::number(human_bytes(m.memory.used_memory)),
                Cell::number(m.dataset_bytes.to_string()),
                Cell::percent(row.relative),
            ]),
            None => cells.extend(["FAILED", "-", "-", "-"].map(Cell::text)),
        }
        if across {
            cells.push(Cell::percent(row.across));
        }
        cells.extend([
            Cell::text(yes_no(v.ttl_on_redis())),
            Cell::text(yes_no(v.expiration_time.is_some())),
            Cell::text(backend),
            Cell::text(format!("{} {}", v.codec, v.envelope)),
            match row.measured {
                Some(m) => Cell::number(thousands(m.records_per_second.max(0.0).round() as u64)),
                None => Cell::text("-"),
            },
        ]);
        table.row(cells);
    }
    table
}

/// The engines of a multi-engine report, one row each.
pub fn engines(report: &Report) -> Table {
    let mut table = Table::new(
        &[
            "engine",
            "server",
            "version",
            "mem_allocator",
            "jemalloc",
            "origin",
        ],
        &[],
    );
    for e in &report.engines {
        table.row(vec![
            Cell::text(&e.name),
            Cell::text(&e.server),
            Cell::text(&e.version),
            Cell::text(&e.allocator),
            Cell::text(if e.jemalloc.is_empty() {
                "-"
            } else {
                &e.jemalloc
            }),
            Cell::text(&e.origin),
        ]);
    }
    table
}

/// Markdown's samples: each variant's stored bytes as Python prints them; variants that
/// stored the same bytes share one list.
pub fn samples(report: &Report) -> Document {
    let mut doc = Document::new();
    let only = document::MARKDOWN;
    doc.push_for(
        only,
        Block::Heading {
            level: 2,
            text: "Samples".into(),
        },
    );
    let mut shown: Vec<(Vec<String>, &VariantReport)> = Vec::new();
    for v in &report.variants {
        let same = shown
            .iter_mut()
            .find(|(_, first)| match (&first.result, &v.result) {
                (Some(a), Some(b)) => a.samples == b.samples,
                _ => false,
            });
        match same {
            Some((names, _)) => names.push(v.label()),
            None => shown.push((vec![v.label()], v)),
        }
    }
    for (names, v) in shown {
        doc.push_for(
            only,
            Block::Heading {
                level: 3,
                text: names.join(", "),
            },
        );
        match &v.result {
            Some(m) => doc.push_for(
                only,
                Block::List {
                    items: m
                        .samples
                        .iter()
                        .map(|s| format!("`{}`: `{}`", s.key, s.python_repr()))
                        .collect(),
                    warn: false,
                },
            ),
            None => doc.push_for(
                only,
                Block::Paragraph(format!(
                    "FAILED: {}",
                    v.error.as_deref().unwrap_or("unknown error")
                )),
            ),
        };
    }
    doc
}
