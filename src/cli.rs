//! The command line, as clap derives it.

use crate::codec::{Codec, Envelope};
use crate::report::OutputFormat;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "redisadv",
    version,
    about = "What Redis really costs in memory for different ways of caching the same data",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The exit-code contract, shown by `--help`.
const EXIT_CODES: &str = "\
Exit codes:
  0  success (compare, bench --baseline: no variant grew past --max-regression)
  1  a memory regression: a variant grew past --max-regression, failed in the new run, or
     is missing from it (unless --allow-missing)
  2  an error: bad input, a failed variant, unreachable Redis, reports that cannot be
     compared (another dataset, scale or schema version, or no variant in common)
A closed stdout (e.g. `| head`) is not an error: the output stops, --out files are still
written, and the exit code is that of the run.
Units: memory figures are bytes; --max-regression is a percentage of the base figure.";

// Parsed once per run: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the bytes the Python stack would store for each payload read from stdin (one
    /// Python literal per line), as lowercase hex.
    Encode(EncodeArgs),
    /// Decode stored values read from stdin (hex, one per line) and print format, metadata and
    /// payload.
    Decode(DecodeArgs),
    /// Run a scenario: a private redis-server per variant, primed, settled and measured.
    #[command(after_help = EXIT_CODES)]
    Bench(BenchArgs),
    /// Re-render a saved JSON report in another format, without touching Redis.
    Report(ReportArgs),
    /// Compare two JSON reports; exit 1 when a variant grew past the threshold, failed or is
    /// missing, exit 2 when nothing can be compared.
    #[command(after_help = EXIT_CODES)]
    Compare(CompareArgs),
    /// Read keys through the backend from a server and print each payload and metadata
    /// (read-only; keys from the arguments, or stdin one per line).
    Get(GetArgs),
    /// Write the exact commands `bench` sends for one variant, in RESP, for `redis-cli
    /// --pipe` (scripts/bench-vs-pipe compares the two loaders on the same commands).
    Commands(CommandsArgs),
    /// Write an annotated scenario to start from (a custom family of records in plain keys
    /// and hash buckets, the demo in comments) and a redis.conf beside it.
    Init(InitArgs),
    /// Build and list other server engines (Redis 8.x, Valkey 8-9) from Debian's source
    /// packages, cached in ~/.cache/redisadv/engines.
    #[command(subcommand)]
    Engines(EnginesCommand),
    /// What a live cache (or an RDB file) costs now, by key pattern: bytes, TTLs, encodings
    /// and value formats. Strictly read-only.
    Inspect(crate::commands::inspect::InspectArgs),
    /// Sample a key pattern's records and measure what they would cost under each way of
    /// caching them (the all.toml grid), projected to the whole pattern.
    Whatif(crate::commands::whatif::WhatifArgs),
    /// List the scenarios built into the binary (run one with `bench --builtin NAME`, or
    /// write it out with `init --from NAME`).
    Scenarios,
    /// Print a shell completion script for bash, zsh or fish on stdout.
    Completions(crate::commands::generate::CompletionsArgs),
    /// Write a man page per command (redisadv.1, redisadv-bench.1, ...) from these
    /// definitions, into --dir (default: the current directory).
    Man(crate::commands::generate::ManArgs),
    /// Seed a server with the test fixture's key families (for scripts/seed-fixture).
    #[command(hide = true)]
    SeedFixture(crate::commands::seed::SeedArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the scenario.
    #[arg(default_value = "scenario.toml")]
    pub path: PathBuf,
    /// Overwrite the scenario file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Write this built-in scenario (`redisadv scenarios`) instead of the annotated one.
    #[arg(long, value_name = "NAME")]
    pub from: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum EnginesCommand {
    /// The engines redisadv can build, and which are installed.
    List,
    /// Fetch an engine's Debian source package, build it with make, and cache the binary
    /// (nothing is done when it is installed already).
    Install(EngineInstallArgs),
}

#[derive(Debug, Args)]
pub struct EngineInstallArgs {
    /// The engine, e.g. redis-8.6 or valkey-9.1 (`redisadv engines list`).
    pub name: String,
    /// Parallel make jobs (default: the number of cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Build again even when it is installed.
    #[arg(long)]
    pub force: bool,
    /// No progress line.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// The server: redis://HOST:PORT/DB or unix:///path (default: $REDISADV_URL).
    #[arg(long, env = "REDISADV_URL", hide_env_values = true)]
    pub url: String,
    /// The password, on the first line of FILE (else the URL's, else $REDISADV_PASSWORD).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    #[command(flatten)]
    pub format: FormatArgs,
    /// The metadata version filled in for raw and int_time values.
    #[arg(long, default_value_t = 2)]
    pub version: i64,
    /// `keys`: each KEY is a Redis key; `hash`: each KEY is `bucket,field`.
    #[arg(long, value_enum, default_value = "keys")]
    pub layout: LayoutArg,
    /// The keys; read from stdin, one per line, when none are given.
    pub keys: Vec<String>,
}

/// `--layout` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LayoutArg {
    Keys,
    Hash,
}

#[derive(Debug, Args)]
pub struct CommandsArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// The variant whose commands to write.
    #[arg(long)]
    pub variant: String,
    /// Override the dataset's scale.
    #[arg(long)]
    pub scale: Option<f64>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The scenario file (TOML), e.g. scenarios/all.toml.
    #[arg(required_unless_present = "builtin")]
    pub scenario: Option<PathBuf>,
    /// Run a scenario built into the binary instead of a file: quick, all, ... (`redisadv
    /// scenarios` lists them).
    #[arg(long, value_name = "NAME", conflicts_with = "scenario")]
    pub builtin: Option<String>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// Also write the report to FILE, in the format its extension names (.json, .md, .csv,
    /// .svg, .html; anything else: --format). May be given more than once.
    #[arg(long, value_name = "FILE")]
    pub out: Vec<PathBuf>,
    /// Run only these variants (comma-separated names).
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub only: Vec<String>,
    /// Allow a scenario whose sweeps make more than 1000 runs (the count is checked before
    /// any run is planned).
    #[arg(long, value_name = "N")]
    pub max_runs: Option<u64>,
    /// Override the dataset's scale (1.0 = the full demo).
    #[arg(long)]
    pub scale: Option<f64>,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run this many variants at once, each on its own private server (memory figures stay
    /// the same; timing figures are then marked not comparable).
    #[arg(long, default_value_t = 1, value_parser = parse_jobs, value_name = "N")]
    pub jobs: usize,
    /// Prime each variant only after the previous one is measured. By default the next
    /// variant primes while this one settles (Redis rehashing on its timer), which takes the
    /// settling off the wall time; this flag is for comparing priming figures without it.
    #[arg(long)]
    pub no_overlap: bool,
    /// Print on stderr where the wall time went: seconds per variant and phase (server
    /// start, empty figure, prime, settle, figures, explain, teardown) and the totals.
    #[arg(long)]
    pub timings: bool,
    /// Read every record back and compare it with what was written.
    #[arg(long)]
    pub verify: bool,
    #[command(flatten)]
    pub read: crate::read::ReadArgs,
    /// Keep the loading connection open while measuring, as a Python application's
    /// connection pool does (every figure then includes one idle client, about 23 KB, and
    /// may move by a few hundred bytes from run to run as Redis resizes its buffers).
    #[arg(long)]
    pub hold_connection: bool,
    /// Measure the Redis TTL's own cost by removing every TTL (PERSIST) after the figures
    /// are read and letting memory settle, instead of deriving it from MEMORY STATS.
    #[arg(long)]
    pub measure_ttl: bool,
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
    /// Run against this existing server (redis://HOST:PORT/DB) instead of private ones.
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
    pub metric: Metric,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A JSON report written by `bench --format json` or `--out FILE.json`.
    pub report: PathBuf,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The reference report (JSON).
    pub base: PathBuf,
    /// The new report (JSON).
    pub new: PathBuf,
    /// The growth allowed per variant, a percentage of BASE's bytes (1% and 1 mean the
    /// same; 0.5 is half a percent).
    #[arg(long, default_value = "0%", value_parser = parse_percent, value_name = "PERCENT")]
    pub max_regression: f64,
    /// The figure compared (bytes).
    #[arg(long, value_enum, default_value = "dataset-bytes")]
    pub metric: Metric,
    /// A variant of BASE that NEW lacks passes instead of failing (exit 1).
    #[arg(long)]
    pub allow_missing: bool,
    /// What to print on stdout: a terminal table, Markdown for a pull request, or JSON
    /// (per-variant base/new/delta/percent/status and an overall verdict).
    #[arg(long, value_enum, default_value = "table")]
    pub format: crate::report::compare::CompareFormat,
    /// Also write the comparison to FILE, in the format its extension names (.json, .md;
    /// anything else: --format). May be given more than once; written whatever the verdict.
    #[arg(long, value_name = "FILE")]
    pub out: Vec<PathBuf>,
}

pub use crate::report::compare::Metric;

/// `1%`, `0.5` or `0.5%` as a percentage.
fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%');
    match number.parse::<f64>() {
        Ok(p) if p.is_finite() && p >= 0.0 => Ok(p),
        _ => Err(format!("{text:?} is not a percentage such as 1% or 0.5")),
    }
}

/// A wire format on the command line: `--codec`, `--envelope`, `--pickle-protocol`.
#[derive(Debug, Args)]
pub struct FormatArgs {
    #[arg(long, value_enum)]
    pub codec: Codec,
    #[arg(long, value_enum)]
    pub envelope: Envelope,
    /// Pickle protocol, 2 to 5 (default: 4, or 5 for the legacy tuple envelope).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=5))]
    pub pickle_protocol: Option<u8>,
}

impl FormatArgs {
    pub fn format(&self) -> crate::codec::Format {
        let format = crate::codec::Format::new(self.codec, self.envelope);
        match self.pickle_protocol {
            Some(p) => format.with_pickle_protocol(p),
            None => format,
        }
    }
}

#[derive(Debug, Args)]
pub struct EncodeArgs {
    #[command(flatten)]
    pub format: FormatArgs,
    /// dogpile's `ct` metadata, seconds since the epoch (default: now).
    #[arg(long)]
    pub ct: Option<f64>,
    /// dogpile's metadata version: 2 for dogpile.cache >= 1.1, 1 before.
    #[arg(long, default_value_t = 2)]
    pub version: i64,
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The serializer; detected when not given.
    #[arg(long, value_enum)]
    pub codec: Option<Codec>,
    /// The envelope; detected when not given.
    #[arg(long, value_enum)]
    pub envelope: Option<Envelope>,
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

/// `--jobs`: a whole number of at least 1.
fn parse_jobs(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("0 runs nothing; give 1 (one variant at a time) or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number; give e.g. --jobs 2")),
    }
}
