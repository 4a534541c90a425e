//! One channel for what redisadv says on stderr while it works. Progress bars and text
//! lines (warnings, notes, a finished run's progress line) share one indicatif
//! `MultiProgress`, so a line printed while a bar is drawn goes above the bars on a line of
//! its own instead of tearing one (`eprintln!` would write into the bar's line).

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget};
use std::io::IsTerminal;
use std::sync::LazyLock;

/// Every bar of the process, drawn on stderr (hidden when stderr is not a terminal).
static BARS: LazyLock<MultiProgress> =
    LazyLock::new(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));

/// The one rule for progress, in every command: drawn only when stderr is a terminal
/// (whatever stdout is: `bench ... > out.md` still shows it), and never with --quiet.
pub fn progress_shown(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// `bar`, drawn with every other bar of the process; a hidden bar stays hidden.
pub fn add(bar: ProgressBar) -> ProgressBar {
    if bar.is_hidden() { bar } else { BARS.add(bar) }
}

/// Prints `text` (one line or several) on stderr, above the bars when any are drawn.
pub fn print(text: &str) {
    // A hidden MultiProgress (stderr not a terminal) drops println's lines: there is no
    // bar to tear then, so the line goes straight to stderr.
    if BARS.is_hidden() || BARS.println(text).is_err() {
        eprintln!("{text}");
    }
}

/// Runs `f` (which may write to stderr itself) with the bars cleared, then redraws them.
pub fn suspend<R>(f: impl FnOnce() -> R) -> R {
    BARS.suspend(f)
}

/// `say!("warning: ...")`: `eprintln!` through the channel.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::ui::print(&format!($($arg)*))
    };
}
pub(crate) use say;
