//! `--quiet`, and the one rule for progress: drawn on stderr only when stderr is a
//! terminal, whatever stdout is (`bench ... > out.md` still shows it), and never with
//! --quiet.

use super::heading;
use clap::Args;

#[derive(Debug, Clone, Copy, Default, Args)]
#[command(next_help_heading = heading::PROGRESS)]
pub struct ProgressArgs {
    /// No progress on stderr: no bars, and no per-run progress lines. Bars are drawn only
    /// when stderr is a terminal anyway; warnings and errors are always printed.
    #[arg(long, short)]
    pub quiet: bool,
}

impl ProgressArgs {
    /// Whether progress bars are drawn: not with --quiet, and only on a terminal.
    pub fn bars(&self) -> bool {
        crate::ui::progress_shown(self.quiet)
    }

    /// Whether progress lines (one per finished run) are printed: not with --quiet; on a
    /// terminal or in a log alike.
    pub fn lines(&self) -> bool {
        !self.quiet
    }
}
