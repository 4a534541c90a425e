//! `inspect`'s arguments: where the keys come from, which are read, and the report.

use super::heading;
use super::output::OutputArgs;
use super::progress::ProgressArgs;
use super::source::SourceArgs;
use clap::Args;

/// `--sample`'s default with --url or --rdb --load: keys read (whole SCAN pages) and
/// extrapolated. Reading a key costs one MEMORY USAGE, so a large sample is cheap.
pub const SAMPLE_KEYS: u64 = 100_000;

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Only keys matching this SCAN glob, e.g. 'user:*'.
    #[arg(long = "match", value_name = "GLOB", help_heading = heading::SELECTION)]
    pub pattern: Option<String>,
    /// Read this many keys (whole SCAN pages) and extrapolate, with a 95% interval
    /// (default: 100000, as reading a key is one MEMORY USAGE). Streaming --rdb: keys
    /// restored into a private server and measured per pattern (default: 1000, as each is
    /// a RESTORE). whatif's default is smaller again: its sample is measured once per
    /// variant.
    #[arg(long, value_name = "N", conflicts_with = "all", value_parser = clap::value_parser!(u64).range(1..), help_heading = heading::SELECTION)]
    pub sample: Option<u64>,
    /// Read every key.
    #[arg(long, help_heading = heading::SELECTION)]
    pub all: bool,
    /// Patterns shown; the others are summed as "other".
    #[arg(long, value_name = "N", default_value_t = 20, help_heading = heading::SELECTION)]
    pub top: usize,
    /// Patterns kept while scanning; keys of further patterns count as "other".
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..), help_heading = heading::SELECTION)]
    pub max_patterns: u64,
    /// The largest keys listed (by MEMORY USAGE; in a sample, of the keys read).
    #[arg(long, value_name = "N", default_value_t = 10, help_heading = heading::SELECTION)]
    pub largest: usize,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub progress: ProgressArgs,
}

impl InspectArgs {
    /// The keys read per pattern; `None` reads every key (`--all`).
    pub fn sample(&self) -> Option<u64> {
        if self.all {
            None
        } else if self.source.streams_rdb() {
            Some(
                self.sample
                    .unwrap_or(crate::rdb_stream::DEFAULT_PER_PATTERN),
            )
        } else {
            Some(self.sample.unwrap_or(SAMPLE_KEYS))
        }
    }
}
