//! `bench`, `report`, `compare` and `commands`: the arguments of the commands that run a
//! scenario or read the reports it wrote.

use super::heading;
use super::output::OutputArgs;
use super::progress::ProgressArgs;
use super::read::ReadArgs;
use super::values::{CompareFormatArg, MetricArg, parse_percent};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The scenario file (TOML), e.g. scenarios/all.toml.
    #[arg(required_unless_present = "builtin")]
    pub scenario: Option<PathBuf>,
    /// Run a scenario built into the binary instead of a file: quick, all, ... (`redisadv
    /// scenarios` lists them).
    #[arg(long, value_name = "NAME", conflicts_with = "scenario", help_heading = heading::INPUT)]
    pub builtin: Option<String>,
    /// Override the dataset's scale (1.0 = the full demo).
    #[arg(long, help_heading = heading::INPUT)]
    pub scale: Option<f64>,
    /// Allow a scenario whose sweeps make more than 1000 runs (the count is checked before
    /// any run is planned).
    #[arg(long, value_name = "N", help_heading = heading::INPUT)]
    pub max_runs: Option<u64>,
    #[command(flatten)]
    pub variants: VariantsArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub baseline: BaselineArgs,
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// Print on stderr where the wall time went: seconds per variant and phase (server
    /// start, empty figure, prime, settle, figures, explain, teardown) and the totals.
    #[arg(long, help_heading = heading::PROGRESS)]
    pub timings: bool,
}

/// `--only`: the variants to run, shared by bench and whatif.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = heading::SELECTION)]
pub struct VariantsArgs {
    /// Run only these variants (comma-separated): a variant's name, a sweep run's full
    /// name, or a swept variant's name for all its runs; in whatif also a library
    /// setting's (zlib, lz4, zstd, lzma, json, msgpack, json+zlib...).
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub only: Vec<String>,
}

/// How bench runs each variant.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = heading::RUN)]
pub struct RunArgs {
    /// Run this many variants at once, each on its own private server, 1 to 64 (memory
    /// figures stay the same; timing figures are then marked not comparable).
    #[arg(long, short, default_value_t = 1, value_parser = super::jobs::parse_jobs, value_name = "N")]
    pub jobs: usize,
    /// Prime each variant only after the previous one is measured. By default the next
    /// variant primes while this one settles (Redis rehashing on its timer), which takes the
    /// settling off the wall time; this flag is for comparing priming figures without it.
    #[arg(long)]
    pub no_overlap: bool,
    /// Read every record back and compare it with what was written.
    #[arg(long)]
    pub verify: bool,
    /// Keep the loading connection open while measuring, as a Python application's
    /// connection pool does (every figure then includes one idle client, about 23 KB, and
    /// may move by a few hundred bytes from run to run as Redis resizes its buffers).
    #[arg(long)]
    pub hold_connection: bool,
    /// Measure the Redis TTL's own cost by removing every TTL (PERSIST) after the figures
    /// are read and letting memory settle, instead of deriving it from MEMORY STATS.
    #[arg(long)]
    pub measure_ttl: bool,
}

/// Where bench's variants run: private servers (default; `--engine`, `--cluster`) or one
/// existing database (`--url`). bench writes, so its `--url` is never taken from
/// $REDISADV_URL: only a server named on the command line is written to.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = heading::TARGET)]
pub struct TargetArgs {
    /// Run every variant on this engine: NAME (a cached engine from `redisadv engines
    /// install`, or `system`) or NAME=PATH (a server binary). Repeatable; replaces the
    /// scenario's [[server.engine]] list.
    #[arg(long, value_name = "NAME[=PATH]", conflicts_with = "url")]
    pub engine: Vec<String>,
    /// Run every variant on a private Redis Cluster of N nodes (1 to 16) instead of one
    /// server: slots split evenly, commands routed by slot; replaces the scenario's [server]
    /// cluster.
    #[arg(long, value_name = "N", value_parser = parse_nodes, conflicts_with = "url")]
    pub cluster: Option<usize>,
    /// Run against this existing server (redis://HOST:PORT/DB) instead of private ones. It
    /// is written to, so it is never taken from $REDISADV_URL.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// With --url: the password, on the first line of FILE (else the URL's, else
    /// $REDISADV_PASSWORD), so that `ps` never shows it.
    #[arg(long, value_name = "FILE", requires = "url")]
    pub password_file: Option<PathBuf>,
    /// With --url: empty the database first when it holds keys.
    #[arg(long, requires = "url")]
    pub flush: bool,
    /// With --url: leave the records written instead of deleting them.
    #[arg(long, requires = "url")]
    pub keep: bool,
    /// With --url: the most one variant's records may take on the server (bytes, or with a
    /// unit: 64MB, 1GiB). A server with maxmemory 0 gets at most 32 MiB without it, since
    /// its real limit (a container's) is not visible; a local server's cgroup limit also
    /// applies.
    #[arg(long, requires = "url", value_name = "BYTES", value_parser = crate::url_target::budget::parse_budget)]
    pub budget: Option<u64>,
}

/// bench's CI gate: `--baseline` and how it is compared.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = heading::BASELINE)]
pub struct BaselineArgs {
    /// Compare with this saved report and fail (exit 1) on a memory regression. Checked
    /// against the scenario (dataset fingerprint, scale) before the run.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,
    /// With --baseline: the growth allowed per variant, a percentage of the baseline's
    /// bytes (1% and 1 mean the same; 0.5 is half a percent).
    #[arg(long, default_value = "0%", value_parser = parse_percent, value_name = "PERCENT")]
    pub max_regression: f64,
    /// With --baseline: a baseline variant this run does not measure (e.g. left out by
    /// --only) does not fail the run.
    #[arg(long, requires = "baseline")]
    pub allow_missing: bool,
    /// With --baseline: the figure compared.
    #[arg(long, value_enum, default_value = "dataset-bytes")]
    pub metric: MetricArg,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A JSON report written by bench, inspect or whatif (`--format json` or `--out
    /// FILE.json`).
    pub report: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The reference report (JSON).
    pub base: PathBuf,
    /// The new report (JSON).
    pub new: PathBuf,
    /// The growth allowed per variant, a percentage of BASE's bytes (1% and 1 mean the
    /// same; 0.5 is half a percent).
    #[arg(long, default_value = "0%", value_parser = parse_percent, value_name = "PERCENT", help_heading = heading::BASELINE)]
    pub max_regression: f64,
    /// The figure compared (bytes).
    #[arg(long, value_enum, default_value = "dataset-bytes", help_heading = heading::BASELINE)]
    pub metric: MetricArg,
    /// A variant of BASE that NEW lacks passes instead of failing (exit 1).
    #[arg(long, help_heading = heading::BASELINE)]
    pub allow_missing: bool,
    // stdout and every --out file get the comparison, whatever the verdict.
    #[command(flatten)]
    pub output: OutputArgs<CompareFormatArg>,
}

#[derive(Debug, Args)]
pub struct CommandsArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// The variant whose commands to write.
    #[arg(long, value_name = "NAME", help_heading = heading::SELECTION)]
    pub variant: String,
    /// Override the dataset's scale.
    #[arg(long, help_heading = heading::INPUT)]
    pub scale: Option<f64>,
}

/// `--cluster`: a whole number of nodes, 1 to 16.
fn parse_nodes(s: &str) -> Result<usize, String> {
    match s.parse::<i64>() {
        Ok(n) => crate::cluster::check_nodes(n),
        Err(_) => Err(format!(
            "`{s}` is not a whole number; give e.g. --cluster 3"
        )),
    }
}
