//! The command line in one wing: every argument is defined here once (shared groups in
//! their own files, one file per command), parsed by clap, and resolved into the library's
//! typed values before any work starts. Nothing below `commands/` knows clap.

pub mod bench;
pub mod codec;
pub mod inspect;
pub mod jobs;
pub mod output;
pub mod progress;
pub mod read;
pub mod reference;
pub mod secret;
pub mod source;
pub mod tools;
pub mod values;
pub mod whatif;

pub use bench::{BaselineArgs, BenchArgs, CommandsArgs, CompareArgs, ReportArgs, TargetArgs};
pub use codec::{DecodeArgs, EncodeArgs, FormatArgs, GetArgs};
pub use inspect::InspectArgs;
pub use output::{Output, OutputArgs};
pub use progress::ProgressArgs;
pub use source::{ServerArgs, SourceArgs};
pub use tools::{
    CompletionsArgs, EngineInstallArgs, EnginesCommand, InitArgs, ManArgs, SeedArgs, Shell,
};
pub use values::LayoutArg;
pub use whatif::WhatifArgs;

use clap::{Parser, Subcommand};

/// The `--help` headings every command's options are grouped under (a test checks that
/// no visible option is left without one).
pub mod heading {
    pub const INPUT: &str = "Input";
    pub const SELECTION: &str = "Selection";
    pub const OUTPUT: &str = "Output";
    pub const SOURCE: &str = "Source (read-only)";
    pub const TARGET: &str = "Where the variants run";
    pub const RUN: &str = "Run";
    pub const READ: &str = "Read workload";
    pub const BASELINE: &str = "Baseline (the CI gate)";
    pub const PROGRESS: &str = "Progress";
    pub const WIRE: &str = "Wire format";
}

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
pub const EXIT_CODES: &str = "\
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
    Inspect(InspectArgs),
    /// Sample a key pattern's records and measure what they would cost under each way of
    /// caching them (the all.toml grid), projected to the whole pattern.
    Whatif(WhatifArgs),
    /// List the scenarios built into the binary (run one with `bench --builtin NAME`, or
    /// write it out with `init --from NAME`).
    Scenarios,
    /// Print a shell completion script for bash, zsh or fish on stdout.
    Completions(CompletionsArgs),
    /// Write a man page per command (redisadv.1, redisadv-bench.1, ...) from these
    /// definitions, into --dir (default: the current directory).
    Man(ManArgs),
    /// Seed a server with the test fixture's key families (for scripts/seed-fixture).
    #[command(hide = true)]
    SeedFixture(SeedArgs),
}

/// The whole command line as clap sees it: for `--help`, completions, man pages and the
/// option reference in docs/commands.md.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
