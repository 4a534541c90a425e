//! `redisadv engines list` and `redisadv engines install NAME`.

use crate::cli::EnginesCommand;
use crate::engines::{self, InstallOptions};
use std::process::ExitCode;

pub fn run(command: EnginesCommand) -> anyhow::Result<ExitCode> {
    match command {
        EnginesCommand::List => {
            let rows = engines::list()?;
            for row in &rows {
                if row.status == "DAMAGED" {
                    eprintln!("warning: {}", row.origin);
                }
            }
            let list = crate::report::engines::EngineList {
                engines: rows,
                cache: engines::cache_dir()?.display().to_string(),
                cache_env: engines::ENGINES_DIR_ENV.to_string(),
            };
            super::output::emit(&list, crate::report::OutputFormat::Table, &[])?;
            Ok(ExitCode::SUCCESS)
        }
        EnginesCommand::Install(args) => {
            crate::cleanup::on_signals()?;
            let options = InstallOptions {
                jobs: args.jobs(),
                progress: args.progress.bars(),
                force: args.force,
            };
            let (installed, built) = engines::install(&args.name, &options)?;
            if !built {
                eprintln!(
                    "{}: already installed ({} {}); --force builds it again",
                    args.name, installed.manifest.server, installed.manifest.version
                );
            }
            super::output::print_stdout(&format!("{}\n", installed.binary().display()))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
