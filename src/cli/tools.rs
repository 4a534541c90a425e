//! The small commands' arguments: `init`, `engines`, `completions`, `man` and the hidden
//! `seed-fixture`.

use super::heading;
use super::progress::ProgressArgs;
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the scenario.
    #[arg(default_value = "scenario.toml")]
    pub path: PathBuf,
    /// Overwrite the scenario file if it exists.
    #[arg(long, help_heading = heading::OUTPUT)]
    pub force: bool,
    /// Write this built-in scenario (`redisadv scenarios`) instead of the annotated one.
    #[arg(long, value_name = "NAME", help_heading = heading::INPUT)]
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
    /// Parallel make jobs, 1 to 64 (default: the number of cores, at most 64).
    #[arg(long, short, value_name = "N", value_parser = super::jobs::parse_jobs, help_heading = heading::RUN)]
    pub jobs: Option<usize>,
    /// Build again even when it is installed.
    #[arg(long, help_heading = heading::RUN)]
    pub force: bool,
    #[command(flatten)]
    pub progress: ProgressArgs,
}

impl EngineInstallArgs {
    /// `--jobs`, else the cores this process may use (at most the flag's limit).
    pub fn jobs(&self) -> usize {
        self.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .clamp(1, super::jobs::MAX_JOBS)
        })
    }
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The shells `completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The directory to write the pages into (created when missing).
    #[arg(long, value_name = "DIR", default_value = ".", help_heading = heading::OUTPUT)]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The server to fill: redis://HOST:PORT/DB. Its database must be empty.
    #[arg(long, help_heading = heading::TARGET)]
    pub url: String,
    /// Keys per family.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000_000), help_heading = heading::INPUT)]
    pub count: u64,
    // Spelled `<n>`, not `{n}`: clap reads `{n}` in a help text as a line break.
    /// Only the `user:<n>` family, `count` keys (for the speed benchmark).
    #[arg(long, help_heading = heading::INPUT)]
    pub users_only: bool,
}
