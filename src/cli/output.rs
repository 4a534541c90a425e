//! The output group (`--format`, `--out FILE`, repeatable), shared by every command that
//! writes a report: stdout gets `--format`, each `--out` file the format its extension
//! names.

use super::heading;
use super::values::FormatArg;
use crate::report::OutputFormat;
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

/// `--format` and `--out`; `F` is the formats the command writes ([`FormatArg`], or
/// compare's three).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = heading::OUTPUT)]
pub struct OutputArgs<F = FormatArg>
where
    F: ValueEnum + Clone + Copy + Send + Sync + 'static + Into<OutputFormat>,
{
    /// What to print on stdout.
    #[arg(long, value_enum, default_value = "table")]
    pub format: F,
    /// Also write the report to FILE, in the format its extension names (.json, .md, .csv,
    /// .svg, .html; anything else: --format). Repeatable; each file is written whole
    /// (through a temporary file and a rename), its directory must exist, and a file the
    /// command reads is refused. Checked before any work starts.
    #[arg(long, value_name = "FILE")]
    pub out: Vec<PathBuf>,
}

/// What the output group resolves to: stdout's format and each `--out` file's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub format: OutputFormat,
    pub files: Vec<(PathBuf, OutputFormat)>,
}

impl<F> OutputArgs<F>
where
    F: ValueEnum + Clone + Copy + Send + Sync + 'static + Into<OutputFormat>,
{
    pub fn resolve(&self) -> Output {
        let format = self.format.into();
        Output {
            format,
            files: self
                .out
                .iter()
                .map(|path| (path.clone(), format_for(path, format)))
                .collect(),
        }
    }
}

/// The format an `--out` file's extension names (.json, .md, .markdown, .csv, .svg, .html,
/// .htm), else `--format`'s.
pub fn format_for(path: &Path, fallback: OutputFormat) -> OutputFormat {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => OutputFormat::Json,
        Some("md") | Some("markdown") => OutputFormat::Markdown,
        Some("csv") => OutputFormat::Csv,
        Some("svg") => OutputFormat::Svg,
        Some("html") | Some("htm") => OutputFormat::Html,
        _ => fallback,
    }
}
