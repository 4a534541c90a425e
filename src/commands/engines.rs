//! `redisadv engines list` and `redisadv engines install NAME`.

use crate::cli::EnginesCommand;
use crate::engines::{self, InstallOptions};
use std::process::ExitCode;

pub fn run(command: EnginesCommand) -> anyhow::Result<ExitCode> {
    match command {
        EnginesCommand::List => {
            let mut table = comfy_table::Table::new();
            table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
            table.set_header(["engine", "server", "installed", "origin"]);
            let rows = engines::list()?;
            for row in &rows {
                if row.status == "DAMAGED" {
                    eprintln!("warning: {}", row.origin);
                }
            }
            for row in rows {
                table.add_row([row.name, row.server, row.status, row.origin]);
            }
            super::output::print_stdout(&format!(
                "{table}\n\nengine cache: {} (set {} to move it)\n",
                engines::cache_dir()?.display(),
                engines::ENGINES_DIR_ENV
            ))?;
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
