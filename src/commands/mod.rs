//! One function per subcommand; each returns the process exit code.

mod bench;
mod codec;
mod engines;
pub mod generate;
mod init;
pub mod inspect;
mod report;
pub mod seed;
pub mod whatif;

pub mod output;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Encode(args) => codec::encode(args),
        Command::Decode(args) => codec::decode(args),
        Command::Bench(args) => bench::bench(args),
        Command::Report(args) => report::report(args),
        Command::Compare(args) => bench::compare(args),
        Command::Commands(args) => bench::commands(args),
        Command::Get(args) => codec::get(args),
        Command::Init(args) => init::init(args),
        Command::Engines(command) => engines::run(command),
        Command::Inspect(args) => inspect::run(args),
        Command::Whatif(args) => whatif::run(args),
        Command::Scenarios => init::scenarios(),
        Command::Completions(args) => generate::completions(args),
        Command::Man(args) => generate::man(args),

        Command::SeedFixture(args) => seed::run(args),
    }
}

pub use crate::errors::error_text;
