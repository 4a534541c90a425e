//! The option reference in docs/commands.md, written from the same clap definitions as
//! `--help` and the man pages, so the documentation cannot drift from the binary (a test
//! fails when the committed page is stale). Hand-written: clap_mangen writes roff only.

use clap::{Arg, Command};
use std::fmt::Write;

/// The lines between these markers in docs/commands.md are generated.
pub const BEGIN: &str = "<!-- option reference: generated from --help; do not edit -->";
pub const END: &str = "<!-- end of option reference -->";

/// Every visible command's options, grouped under their --help headings, as Markdown.
pub fn markdown() -> String {
    let mut root = super::command().disable_help_subcommand(true);
    root.build();
    let mut out = String::new();
    for sub in root.get_subcommands().filter(|c| !c.is_hide_set()) {
        command(&mut out, sub, "redisadv");
    }
    out
}

fn command(out: &mut String, cmd: &Command, parent: &str) {
    let name = format!("{parent} {}", cmd.get_name());
    if cmd.has_subcommands() {
        for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
            command(out, sub, &name);
        }
        return;
    }
    let _ = writeln!(out, "### `{name}`\n");
    if let Some(about) = cmd.get_about() {
        let _ = writeln!(out, "{}\n", sentence(&about.to_string()));
    }
    let mut groups: Vec<(String, Vec<&Arg>)> = Vec::new();
    for arg in cmd.get_arguments().filter(|a| shown(a)) {
        let heading = match arg.get_help_heading() {
            Some(h) => h.to_string(),
            None if arg.is_positional() => "Arguments".to_string(),
            None => "Options".to_string(),
        };
        match groups.iter_mut().find(|(h, _)| *h == heading) {
            Some((_, args)) => args.push(arg),
            None => groups.push((heading, vec![arg])),
        }
    }
    // Positional arguments first, as --help shows them.
    groups.sort_by_key(|(h, _)| h != "Arguments");
    if groups.is_empty() {
        let _ = writeln!(out, "No options.\n");
    }
    for (heading, args) in groups {
        let _ = writeln!(out, "*{heading}*\n");
        for arg in args {
            let _ = writeln!(out, "- `{}`: {}", spelling(arg), describe(arg));
        }
        out.push('\n');
    }
}

/// Not `--help`/`--version` (every command has them) and not hidden.
fn shown(arg: &Arg) -> bool {
    !arg.is_hide_set() && !matches!(arg.get_id().as_str(), "help" | "version")
}

/// `-q, --quiet`, `--out FILE`, `[SCENARIO]`.
fn spelling(arg: &Arg) -> String {
    let names = || -> String {
        arg.get_value_names()
            .map(|v| {
                v.iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_else(|| arg.get_id().as_str().to_uppercase())
    };
    if arg.is_positional() {
        let many = if arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
            "..."
        } else {
            ""
        };
        return match arg.is_required_set() {
            true => format!("{}{many}", names()),
            false => format!("[{}]{many}", names()),
        };
    }
    let mut text = String::new();
    if let Some(short) = arg.get_short() {
        let _ = write!(text, "-{short}, ");
    }
    if let Some(long) = arg.get_long() {
        let _ = write!(text, "--{long}");
    }
    if arg.get_action().takes_values() {
        let _ = write!(text, " {}", names());
    }
    text
}

/// The help text, then its possible values and default, as --help gives them.
fn describe(arg: &Arg) -> String {
    let mut text = sentence(
        &arg.get_long_help()
            .or(arg.get_help())
            .map(|h| h.to_string())
            .unwrap_or_default(),
    );
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| match v.get_help() {
            Some(help) => format!("`{}` ({})", v.get_name(), one_line(&help.to_string())),
            None => format!("`{}`", v.get_name()),
        })
        .collect();
    if !values.is_empty() && arg.get_action().takes_values() {
        let _ = write!(text, " Values: {}.", values.join(", "));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|d| d.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && arg.get_action().takes_values() {
        let _ = write!(text, " Default: `{}`.", defaults.join(","));
    }
    text
}

/// [`one_line`] ending as a sentence: clap drops a doc comment's last full stop.
fn sentence(text: &str) -> String {
    let mut line = one_line(text);
    if !line.is_empty() && !line.ends_with(['.', '!', '?']) {
        line.push('.');
    }
    line
}

/// Help text on one line: Markdown list items do not wrap as --help does.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `page` with its generated section replaced by `reference`; `None` when the page has
/// no markers.
pub fn splice(page: &str, reference: &str) -> Option<String> {
    let start = page.find(BEGIN)? + BEGIN.len();
    let end = page[start..].find(END)? + start;
    Some(format!(
        "{}\n\n{}{}",
        &page[..start],
        reference,
        &page[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_visible_command_has_a_section() {
        let text = markdown();
        for name in [
            "bench",
            "compare",
            "inspect",
            "whatif",
            "engines install",
            "report",
        ] {
            assert!(
                text.contains(&format!("### `redisadv {name}`")),
                "{name}: {text}"
            );
        }
        assert!(!text.contains("seed-fixture"), "hidden commands stay out");
        assert!(text.contains("- `-j, --jobs N`:"), "{text}");
    }

    #[test]
    fn splice_replaces_only_the_generated_lines() {
        let page = format!("head\n{BEGIN}\n\nold\n{END}\ntail\n");
        assert_eq!(
            splice(&page, "new\n").unwrap(),
            format!("head\n{BEGIN}\n\nnew\n{END}\ntail\n")
        );
        assert_eq!(splice("no markers", "x"), None);
    }
}
