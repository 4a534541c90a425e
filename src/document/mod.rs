//! Reports are documents: every report (bench, compare, inspect, whatif, engines) builds a
//! [`Document`] of blocks, and one renderer per format turns it into text. A new format is
//! one file here; a new section is one function that pushes blocks. JSON is not a document:
//! it stays serde of each report's model ([`Reported::json`]).

pub mod cell;
mod csv;
mod html;
mod markdown;
mod svg;
mod terminal;

pub use html::{escape, page};

/// The output formats: `--format` and the extensions of `--out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Markdown,
    Json,
    Csv,
    /// A chart: relative memory as bars, or a sweep's bytes per record as lines.
    Svg,
    /// One self-contained page: charts, header, table, explanations, scenario text.
    Html,
}

/// Blocks in reading order, each shown in every format or only in some.
#[derive(Debug, Clone, Default)]
pub struct Document {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
struct Part {
    block: Block,
    /// The formats that show it; empty: every format.
    only: &'static [OutputFormat],
}

/// Only the terminal table.
pub const TERMINAL: &[OutputFormat] = &[OutputFormat::Table];
/// Only Markdown.
pub const MARKDOWN: &[OutputFormat] = &[OutputFormat::Markdown];
/// Only the HTML page.
pub const HTML: &[OutputFormat] = &[OutputFormat::Html];
/// Only CSV: the one machine-readable table of a report.
pub const CSV: &[OutputFormat] = &[OutputFormat::Csv];
/// The terminal and Markdown.
pub const TEXT: &[OutputFormat] = &[OutputFormat::Table, OutputFormat::Markdown];
/// Markdown and HTML: the formats that read as a page with a title.
pub const PAGES: &[OutputFormat] = &[OutputFormat::Markdown, OutputFormat::Html];
/// HTML and SVG: where charts are drawn.
pub const PICTURES: &[OutputFormat] = &[OutputFormat::Html, OutputFormat::Svg];
/// Every format that reads as prose: terminal, Markdown, HTML.
pub const PROSE: &[OutputFormat] = &[
    OutputFormat::Table,
    OutputFormat::Markdown,
    OutputFormat::Html,
];

/// One piece of a report. Text that came from a server (key names, examples) is made safe by
/// each renderer for its format ([`cell`]), never by the report.
#[derive(Debug, Clone)]
pub enum Block {
    /// The report's title: Markdown's `#`, HTML's `<title>` and `<h1>`; not in the terminal.
    Title(String),
    /// A section heading (`level` 2 or 3, as Markdown's `##`/`###` and HTML's `<h2>`/`<h3>`);
    /// a blank line and the text in the terminal.
    Heading {
        level: u8,
        text: String,
    },
    /// Prose; it may span lines.
    Paragraph(String),
    /// Lines kept apart in every format (hard line breaks in Markdown, one `<p>` each).
    Lines(Vec<String>),
    /// A remark under a table: italic and closed with a period in Markdown and HTML.
    Note(String),
    /// Said loudly: bold in Markdown, red in HTML.
    Warning(String),
    /// A bulleted list; `warn` colours its items in HTML.
    List {
        items: Vec<String>,
        warn: bool,
    },
    /// Key-value facts: a two-column table without a header in HTML.
    Facts(Vec<(String, String)>),
    /// Preformatted text (a scenario file).
    Pre(String),
    Table(Table),
    /// A picture: the SVG format is the report's main chart; HTML draws every one.
    Chart(Chart),
}

/// A table: its columns, then rows of typed cells (a row may be shorter than the header).
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// Markdown's alignment row (`---:`); cells align by their own kind elsewhere.
    pub right: bool,
}

/// One cell: its text, and what kind of value it shows (which decides alignment and
/// escaping per format).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text, left-aligned; control characters escaped in every format.
    Text,
    /// A name from outside (a key name or pattern, which hold `*` and `_`): a code span in
    /// Markdown, and guarded against formulas in CSV (a leading `= + - @`).
    Code,
    /// A figure, right-aligned; written as is in CSV.
    Number,
}

/// A chart as data; [`svg`] draws it with [`crate::chart`].
#[derive(Debug, Clone)]
pub struct Chart {
    pub kind: ChartKind,
    /// The report's main chart: what `--format svg` writes.
    pub main: bool,
}

#[derive(Debug, Clone)]
pub enum ChartKind {
    /// Horizontal bars with values in `unit`, and a vertical line at `baseline`.
    Bars {
        title: String,
        axis: String,
        unit: String,
        items: Vec<(String, f64)>,
        baseline: Option<f64>,
    },
    /// Lines through each series' points.
    Lines {
        title: String,
        x_label: String,
        y_label: String,
        series: Vec<crate::chart::Series>,
    },
    /// One labelled point per `(label, x, y)`.
    Scatter {
        title: String,
        x_label: String,
        y_label: String,
        points: Vec<(String, f64, f64)>,
    },
}

impl Document {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a block every format shows.
    pub fn push(&mut self, block: Block) -> &mut Self {
        self.push_for(&[], block)
    }

    /// Adds a block only `only` show: a section whose presentation differs per format.
    pub fn push_for(&mut self, only: &'static [OutputFormat], block: Block) -> &mut Self {
        self.parts.push(Part { block, only });
        self
    }

    /// Every block of `other`, each shown where it was.
    pub fn append(&mut self, other: Document) -> &mut Self {
        self.parts.extend(other.parts);
        self
    }

    /// The blocks `format` shows, in order.
    pub fn blocks_for(&self, format: OutputFormat) -> impl Iterator<Item = &Block> {
        self.parts
            .iter()
            .filter(move |p| p.only.is_empty() || p.only.contains(&format))
            .map(|p| &p.block)
    }

    /// The document in `format`; JSON is not a document format (see [`Reported::json`]).
    pub fn render(&self, format: OutputFormat) -> anyhow::Result<String> {
        match format {
            OutputFormat::Table => Ok(terminal::render(self)),
            OutputFormat::Markdown => Ok(markdown::render(self)),
            OutputFormat::Html => html::render(self),
            OutputFormat::Csv => csv::render(self),
            OutputFormat::Svg => svg::render(self),
            OutputFormat::Json => {
                anyhow::bail!("JSON is written from the report's model, not its document")
            }
        }
    }
}

impl Table {
    /// A table with these column names; `right[i]` right-aligns column i in Markdown.
    pub fn new(names: &[&str], right: &[bool]) -> Self {
        Table {
            columns: names
                .iter()
                .enumerate()
                .map(|(i, n)| Column {
                    name: n.to_string(),
                    right: right.get(i).copied().unwrap_or(false),
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Columns from owned names, all left-aligned in Markdown.
    pub fn with_columns(names: impl IntoIterator<Item = String>) -> Self {
        Table {
            columns: names
                .into_iter()
                .map(|name| Column { name, right: false })
                .collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) -> &mut Self {
        self.rows.push(cells);
        self
    }
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            kind: Kind::Text,
        }
    }

    pub fn code(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            kind: Kind::Code,
        }
    }

    /// A figure already formatted.
    pub fn number(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            kind: Kind::Number,
        }
    }

    /// A size in the one size convention ([`crate::figures::human_size`]).
    pub fn size(bytes: f64) -> Cell {
        Cell::number(crate::figures::human_size(bytes))
    }

    /// A count with thousands separators.
    pub fn count(n: u64) -> Cell {
        Cell::number(crate::figures::thousands(n))
    }

    /// A percentage with two decimals, `-` when there is none.
    pub fn percent(p: Option<f64>) -> Cell {
        Cell::number(crate::figures::percent(p))
    }

    /// `value ±ci`: a figure with its 95% interval, the interval left out when it is 0.
    pub fn interval(value: String, ci: f64, ci_text: String) -> Cell {
        Cell::number(if ci > 0.0 {
            format!("{value} ±{ci_text}")
        } else {
            value
        })
    }
}

/// A report that can be written in every format: its document, and its JSON (serde of the
/// model).
pub trait Reported {
    fn document(&self) -> Document;
    fn json(&self) -> anyhow::Result<String>;
}

/// `report` in `format`: JSON from the model, every other format from its document.
pub fn render(report: &dyn Reported, format: OutputFormat) -> anyhow::Result<String> {
    match format {
        OutputFormat::Json => report.json(),
        other => report.document().render(other),
    }
}

/// Pretty JSON with a final newline: every report's JSON format.
pub fn json_of<T: serde::Serialize + ?Sized>(model: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(model)? + "\n")
}

/// Prose with its line breaks kept, each line that holds a control character (a terminal
/// escape) made printable; other lines as written (a backslash in prose stays one).
fn printable_lines(text: &str) -> String {
    text.split('\n')
        .map(|l| {
            if l.chars().any(char::is_control) {
                cell::printable(l).into_owned()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests;
