//! A titled sheet: heading lines, then tables, drawn as a terminal table, Markdown or an HTML
//! page with a chart. `inspect` and `whatif` lay their reports out this way; each keeps its
//! own JSON and CSV. Every cell is made safe for its output ([`super::cell`]): key names
//! come from servers and may hold terminal escapes, newlines or `|`.

use std::fmt::Write;

pub struct Sheet<'a> {
    pub title: &'a str,
    /// Lines above the tables.
    pub heading: String,
    /// The first table follows the heading; any other is under its caption.
    pub tables: Vec<SheetTable<'a>>,
}

pub struct SheetTable<'a> {
    pub caption: &'a str,
    pub headers: &'a [&'a str],
    pub rows: Vec<Vec<String>>,
    /// Right-aligned columns in HTML.
    pub numeric: &'a [bool],
    /// Markdown shows the first column as code (key patterns hold `*` and `_`).
    pub code_first: bool,
}

impl Sheet<'_> {
    pub fn terminal(&self) -> String {
        use super::cell::printable;
        let mut out = String::new();
        for line in self.heading.lines() {
            let _ = writeln!(out, "{}", printable(line));
        }
        for (i, table) in self.tables.iter().enumerate() {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_header(table.headers);
            for row in &table.rows {
                t.add_row(row.iter().map(|c| printable(c).into_owned()));
            }
            if i > 0 {
                let _ = writeln!(out, "{}:", table.caption.to_lowercase());
            }
            let _ = writeln!(out, "{t}");
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = format!("## {}\n\n", self.title);
        for line in self.heading.lines() {
            let _ = writeln!(out, "{}  ", super::cell::printable(line));
        }
        for (i, table) in self.tables.iter().enumerate() {
            if i > 0 {
                let _ = write!(out, "\n### {}\n", table.caption);
            }
            out.push('\n');
            let _ = writeln!(out, "| {} |", table.headers.join(" | "));
            let _ = writeln!(out, "|{}", "---|".repeat(table.headers.len()));
            for row in &table.rows {
                let cells: Vec<String> = row
                    .iter()
                    .enumerate()
                    .map(|(j, c)| super::cell::markdown(c, j == 0 && table.code_first))
                    .collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
        }
        out
    }

    /// One self-contained page: the heading, `chart` (an SVG), then the tables.
    pub fn html(&self, chart: &str) -> String {
        use super::html::{escape, page, table_of};
        let mut body = String::new();
        for line in self.heading.lines() {
            let _ = writeln!(body, "<p>{}</p>", escape(&super::cell::printable(line)));
        }
        let _ = writeln!(body, "<figure>{chart}</figure>");
        for (i, table) in self.tables.iter().enumerate() {
            if i > 0 {
                let _ = writeln!(body, "<h2>{}</h2>", escape(table.caption));
            }
            let rows: Vec<Vec<String>> = table
                .rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|c| super::cell::printable(c).into_owned())
                        .collect()
                })
                .collect();
            body.push_str(&table_of(table.headers, &rows, table.numeric));
        }
        page(self.title, &body)
    }
}
