//! Each renderer on one small document holding hostile text: the escaping is the renderer's.

use super::*;

/// A key name with a terminal escape, a newline, a Markdown pipe, HTML and a formula.
const HOSTILE: &str = "=evil\x1b[2J|<b>\nx";

fn doc() -> Document {
    let mut doc = Document::new();
    doc.push(Block::Title("t".into()));
    doc.push(Block::Lines(vec![format!("heading {HOSTILE}")]));
    let mut table = Table::new(&["key", "bytes"], &[false, true]);
    table.row(vec![Cell::code(HOSTILE), Cell::size(1536.0)]);
    doc.push(Block::Table(table));
    doc.push(Block::Chart(Chart {
        kind: ChartKind::Bars {
            title: "bars".into(),
            axis: "bytes".into(),
            unit: " B".into(),
            items: vec![("a".into(), 1.0)],
            baseline: None,
        },
        main: true,
    }));
    doc.push_for(MARKDOWN, Block::Note("only in Markdown".into()));
    doc
}

#[test]
fn every_format_makes_hostile_text_safe() {
    let d = doc();
    for format in [
        OutputFormat::Table,
        OutputFormat::Markdown,
        OutputFormat::Html,
        OutputFormat::Csv,
    ] {
        let text = d.render(format).unwrap();
        assert!(!text.contains('\x1b'), "{format:?}: {text}");
        assert!(text.contains("1.50K"), "{format:?}: {text}");
    }
    let md = d.render(OutputFormat::Markdown).unwrap();
    assert!(
        md.starts_with("# t\n\nheading =evil\\x1b[2J|<b>\\nx  \n"),
        "{md}"
    );
    assert!(md.contains("| `=evil\\x1b[2J\\|<b>\\nx` | 1.50K |"), "{md}");
    assert!(
        md.contains("|---|---:|") && md.ends_with("*only in Markdown.*\n"),
        "{md}"
    );
    let html = d.render(OutputFormat::Html).unwrap();
    assert!(html.contains("<td>=evil\\x1b[2J|&lt;b&gt;\\nx</td><td class=\"n\">1.50K</td>"));
    assert!(html.contains("<figure><svg") && !html.contains("only in Markdown"));
    let csv = d.render(OutputFormat::Csv).unwrap();
    assert_eq!(csv, "key,bytes\n'=evil\\x1b[2J|<b>\\nx,1.50K\n");
    let terminal = d.render(OutputFormat::Table).unwrap();
    assert!(
        terminal.starts_with("heading =evil\\x1b[2J|<b>\\nx\n┌"),
        "{terminal}"
    );
    assert!(d.render(OutputFormat::Svg).unwrap().starts_with("<svg"));
    assert!(d.render(OutputFormat::Json).is_err());
}

#[test]
fn a_document_without_a_chart_or_table_says_so() {
    let mut d = Document::new();
    d.push(Block::Paragraph("text".into()));
    let svg = d.render(OutputFormat::Svg).unwrap_err().to_string();
    assert!(svg.contains("no chart"), "{svg}");
    let csv = d.render(OutputFormat::Csv).unwrap_err().to_string();
    assert!(csv.contains("no table"), "{csv}");
}
