//! The terminal: text lines and comfy-table tables, no blank line unless a heading asks.

use super::{Block, Document, Kind, Table, printable_lines};
use super::{OutputFormat, cell::printable};
use comfy_table::{CellAlignment, presets::UTF8_FULL_CONDENSED};

pub fn render(doc: &Document) -> String {
    let mut out = String::new();
    for block in doc.blocks_for(OutputFormat::Table) {
        match block {
            Block::Title(_) | Block::Chart(_) => {}
            Block::Heading { text, .. } => {
                out.push('\n');
                line(&mut out, &printable_lines(text));
            }
            Block::Paragraph(text) | Block::Note(text) | Block::Warning(text) => {
                line(&mut out, &printable_lines(text))
            }
            Block::Pre(text) => line(&mut out, text.trim_end_matches('\n')),
            Block::Lines(lines) => {
                for l in lines {
                    line(&mut out, &printable(l));
                }
            }
            Block::List { items, .. } => {
                for item in items {
                    line(&mut out, &format!("  {}", printable_lines(item)));
                }
            }
            Block::Facts(facts) => {
                for (k, v) in facts {
                    line(
                        &mut out,
                        &format!("{}: {}", printable_lines(k), printable_lines(v)),
                    );
                }
            }
            Block::Table(t) => line(&mut out, &table(t).to_string()),
        }
    }
    out
}

fn line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

/// Figures right-aligned, everything printable (a key name cannot move the cursor).
fn table(t: &Table) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(t.columns.iter().map(|c| printable(&c.name).into_owned()));
    for row in &t.rows {
        table.add_row(row.iter().map(|c| {
            let cell = comfy_table::Cell::new(printable(&c.text));
            if c.kind == Kind::Number {
                cell.set_alignment(CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    table
}
