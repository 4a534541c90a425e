//! `whatif`'s arguments: the sample (read, or saved earlier), the grid of variants, and
//! the report.

use super::bench::VariantsArgs;
use super::heading;
use super::output::OutputArgs;
use super::progress::ProgressArgs;
use super::source::SourceArgs;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct WhatifArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Measure a saved sample instead of reading a server.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["url", "rdb", "save_sample"], help_heading = heading::SOURCE)]
    pub from_sample: Option<PathBuf>,
    /// The keys to sample, a SCAN glob such as 'user:*'. Repeat it for several families:
    /// each is measured on its own, then one recommendation for the server.
    #[arg(long = "match", value_name = "GLOB", help_heading = heading::SELECTION)]
    pub pattern: Vec<String>,
    /// Keys to read (whole SCAN pages). Smaller than inspect's default (100000): every
    /// record sampled is written and measured once per variant of the grid.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000), help_heading = heading::SELECTION)]
    pub sample: u64,
    /// The variants to run (a scenario file; its dataset is replaced by the sample).
    /// Default: the built-in all.toml grid.
    #[arg(long, value_name = "SCENARIO", help_heading = heading::SELECTION)]
    pub grid: Option<PathBuf>,
    #[command(flatten)]
    pub variants: VariantsArgs,
    /// Variants run at once, each on its own private server, 1 to 64.
    #[arg(long, short, value_name = "N", default_value_t = 1, value_parser = super::jobs::parse_jobs, help_heading = heading::RUN)]
    pub jobs: usize,
    /// Save the sample (gzipped JSON lines) to rerun offline: `whatif --from-sample FILE`,
    /// or `[dataset] kind = "sample", file = "FILE"` in a scenario.
    #[arg(long, value_name = "FILE", help_heading = heading::OUTPUT)]
    pub save_sample: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub progress: ProgressArgs,
}
