//! `redisadv completions SHELL` and `redisadv man`: shell completions and man pages generated
//! from the clap definitions, so they can never drift from `--help`.

use crate::cli::{CompletionsArgs, ManArgs, Shell};
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::command(), "redisadv", &mut out);
    super::output::print_stdout(&String::from_utf8(out).context("completion script")?)?;
    Ok(ExitCode::SUCCESS)
}

/// One page for the tool and one per visible subcommand (nested ones too, e.g.
/// redisadv-engines-install.1), named as `man redisadv-bench` finds them.
pub fn man(args: ManArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("--dir: creating {}", args.dir.display()))?;
    // Building fills in each subcommand's display name (redisadv-bench) and usage.
    let mut command = crate::cli::command().disable_help_subcommand(true);
    command.build();
    let mut written = Vec::new();
    write_pages(&command, &args.dir, &mut written)
        .with_context(|| format!("--dir: writing man pages into {}", args.dir.display()))?;
    for path in &written {
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// As clap_mangen::generate_to, but keeps the paths written, to say what was written.
fn write_pages(
    command: &clap::Command,
    dir: &std::path::Path,
    written: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    written.push(clap_mangen::Man::new(command.clone()).generate_to(dir)?);
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}
