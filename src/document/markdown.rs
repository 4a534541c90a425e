//! Markdown (GitHub's): blocks separated by a blank line, tables with an alignment row.

use super::{Block, Document, Kind, Table, printable_lines};
use super::{OutputFormat, cell};
use std::fmt::Write;

pub fn render(doc: &Document) -> String {
    let mut parts: Vec<String> = Vec::new();
    for block in doc.blocks_for(OutputFormat::Markdown) {
        let text = match block {
            Block::Chart(_) => continue,
            Block::Title(t) => format!("# {}\n", printable_lines(t)),
            Block::Heading { level, text } => {
                format!(
                    "{} {}\n",
                    "#".repeat(*level as usize),
                    printable_lines(text)
                )
            }
            Block::Paragraph(t) => format!("{}\n", printable_lines(t)),
            // Two trailing spaces: a hard line break.
            Block::Lines(lines) => lines
                .iter()
                .map(|l| format!("{}  \n", cell::printable(l)))
                .collect(),
            Block::Note(t) => format!("*{}.*\n", printable_lines(t)),
            Block::Warning(t) => format!("**{}**\n", printable_lines(t)),
            Block::List { items, .. } => items
                .iter()
                .map(|i| format!("- {}\n", printable_lines(i)))
                .collect(),
            Block::Facts(facts) => facts
                .iter()
                .map(|(k, v)| {
                    format!(
                        "- {}: {}\n",
                        cell::markdown(k, false),
                        cell::markdown(v, false)
                    )
                })
                .collect(),
            Block::Pre(t) => format!("```\n{}\n```\n", t.trim_end_matches('\n')),
            Block::Table(t) => table(t),
        };
        parts.push(text);
    }
    parts.join("\n")
}

fn table(t: &Table) -> String {
    let mut out = String::new();
    let names: Vec<String> = t
        .columns
        .iter()
        .map(|c| cell::markdown(&c.name, false))
        .collect();
    let _ = writeln!(out, "| {} |", names.join(" | "));
    out.push('|');
    for c in &t.columns {
        out.push_str(if c.right { "---:|" } else { "---|" });
    }
    out.push('\n');
    for row in &t.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| cell::markdown(&c.text, c.kind == Kind::Code))
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}
