//! CSV: the report's one machine-readable table (the table shown only in CSV), every figure
//! in its own column; names from outside (key names, patterns) guarded against spreadsheet
//! formulas.

use super::{Block, Document, Kind};
use super::{OutputFormat, cell};

pub fn render(doc: &Document) -> anyhow::Result<String> {
    let Some(table) = doc.blocks_for(OutputFormat::Csv).find_map(|b| match b {
        Block::Table(t) => Some(t),
        _ => None,
    }) else {
        anyhow::bail!("this report has no table to write as CSV; use another format");
    };
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(table.columns.iter().map(|c| c.name.as_str()))?;
    for row in &table.rows {
        w.write_record(row.iter().map(|c| match c.kind {
            Kind::Number => c.text.clone(),
            Kind::Text => cell::printable(&c.text).into_owned(),
            Kind::Code => cell::csv_safe(&c.text),
        }))?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
