//! HTML: one self-contained page (inline SVG charts and CSS, no script, no external
//! reference), every text escaped.

use super::{Block, Document, Kind, Table, printable_lines};
use super::{OutputFormat, cell::printable};
use std::fmt::Write;

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

/// A self-contained page around `body` (inline CSS, no script).
pub fn page(title: &str, body: &str) -> String {
    let title = escape(title);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>redisadv: {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n{body}</body>\n</html>\n"
    )
}

pub fn render(doc: &Document) -> anyhow::Result<String> {
    let mut title = String::from("report");
    let mut body = String::new();
    let text = |t: &str| escape(&printable_lines(t));
    for block in doc.blocks_for(OutputFormat::Html) {
        match block {
            Block::Title(t) => title = printable_lines(t),
            Block::Heading { level, text: t } => {
                writeln!(body, "<h{level}>{}</h{level}>", text(t))?
            }
            Block::Paragraph(t) => writeln!(body, "<p>{}</p>", text(t))?,
            Block::Lines(lines) => {
                for l in lines {
                    writeln!(body, "<p>{}</p>", escape(&printable(l)))?;
                }
            }
            Block::Note(t) => writeln!(body, "<p><em>{}.</em></p>", text(t))?,
            Block::Warning(t) => writeln!(body, "<p class=\"warn\">{}</p>", text(t))?,
            Block::List { items, warn } => {
                body.push_str("<ul>\n");
                let class = if *warn { " class=\"warn\"" } else { "" };
                for item in items {
                    writeln!(body, "<li{class}>{}</li>", text(item))?;
                }
                body.push_str("</ul>\n");
            }
            Block::Facts(facts) => {
                body.push_str("<table>\n");
                for (k, v) in facts {
                    writeln!(body, "<tr><td>{}</td><td>{}</td></tr>", text(k), text(v))?;
                }
                body.push_str("</table>\n");
            }
            Block::Pre(t) => writeln!(body, "<pre>{}</pre>", escape(t))?,
            Block::Chart(chart) => writeln!(body, "<figure>{}</figure>", super::svg::draw(chart)?)?,
            Block::Table(t) => table(t, &mut body)?,
        }
    }
    Ok(page(&title, &body))
}

/// Header cells, then rows; figures right-aligned (`td.n`).
fn table(t: &Table, out: &mut String) -> std::fmt::Result {
    out.push_str("<table>\n<tr>");
    for c in &t.columns {
        write!(out, "<th>{}</th>", escape(&printable(&c.name)))?;
    }
    out.push_str("</tr>\n");
    for row in &t.rows {
        out.push_str("<tr>");
        for c in row {
            let text = escape(&printable(&c.text));
            match c.kind {
                Kind::Number => write!(out, "<td class=\"n\">{text}</td>")?,
                Kind::Text | Kind::Code => write!(out, "<td>{text}</td>")?,
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    Ok(())
}
