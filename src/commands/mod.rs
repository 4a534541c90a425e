//! One function per subcommand; each returns the process exit code.

mod bench;
mod codec;
mod engines;
mod init;
pub mod output;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Encode(args) => codec::encode(args),
        Command::Decode(args) => codec::decode(args),
        Command::Bench(args) => bench::bench(args),
        Command::Report(args) => bench::report(args),
        Command::Compare(args) => bench::compare(args),
        Command::Commands(args) => bench::commands(args),
        Command::Get(args) => codec::get(args),
        Command::Init(args) => init::init(args),
        Command::Engines(command) => engines::run(command),
    }
}

/// An error and its causes on one line, as `{:#}` prints them, but without a cause whose
/// text is already in the line: some errors (redis's, for one) embed their source's text
/// in their own message and return it as `source()` too, which would print it twice.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}
