//! The command line as one wing: every option of every command sits under a --help
//! heading, the shared flags (--jobs, --out, --format, --quiet) behave the same in every
//! command, a warning printed while a progress bar is drawn gets a line of its own, and the
//! option reference in docs/commands.md and the README's commands match the binary.

use crate::bench_cli::redisadv;
use crate::cli_contract::{s, text};
use crate::common::project_file;
use std::process::{Command, Stdio};

/// Every visible command, as argv: `["bench"]`, `["engines", "install"]`, ...
fn commands() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
            let mut argv = path.clone();
            argv.push(sub.get_name().to_string());
            if sub.has_subcommands() {
                walk(sub, argv, out);
            } else {
                out.push(argv);
            }
        }
    }
    let mut out = Vec::new();
    walk(&redisadv::cli::command(), Vec::new(), &mut out);
    out
}

/// The lines of one `--help` section (`Options:`, `Output:`), without its title.
fn section<'a>(help: &'a str, title: &str) -> Vec<&'a str> {
    let mut lines = help.lines().skip_while(|l| *l != format!("{title}:"));
    lines.next();
    lines
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn every_option_of_every_command_is_under_a_heading() {
    let commands = commands();
    assert!(commands.len() >= 14, "{commands:?}");
    for argv in commands {
        let mut args: Vec<&str> = argv.iter().map(String::as_str).collect();
        args.push("--help");
        let out = redisadv(&args);
        assert!(out.status.success(), "{args:?}");
        let help = text(&out.stdout);
        // clap lists an option without a heading under "Options:"; only --help (and the
        // top level's --version) may stay there.
        let loose: Vec<&str> = section(&help, "Options")
            .into_iter()
            .filter(|l| l.trim_start().starts_with('-'))
            .filter(|l| !l.contains("--help") && !l.contains("--version"))
            .collect();
        assert!(
            loose.is_empty(),
            "{args:?}: options without a heading: {loose:?}\n{help}"
        );
    }
    let help = text(&redisadv(&["bench", "--help"]).stdout);
    for heading in [
        "Input",
        "Selection",
        "Output",
        "Run",
        "Where the variants run",
        "Read workload",
        "Baseline (the CI gate)",
        "Progress",
    ] {
        assert!(
            !section(&help, heading).is_empty(),
            "bench --help has no {heading:?} group:\n{help}"
        );
    }
    let output = section(&help, "Output").join("\n");
    assert!(
        output.contains("--format") && output.contains("--out"),
        "{output}"
    );
}

/// Every (command, option) pair of the tree, for the options named `long`.
fn options_named(long: &str) -> Vec<(String, clap::Arg)> {
    fn walk(cmd: &clap::Command, name: String, long: &str, out: &mut Vec<(String, clap::Arg)>) {
        for arg in cmd.get_arguments().filter(|a| a.get_long() == Some(long)) {
            out.push((name.clone(), arg.clone()));
        }
        for sub in cmd.get_subcommands() {
            walk(sub, format!("{name} {}", sub.get_name()), long, out);
        }
    }
    let mut out = Vec::new();
    walk(&redisadv::cli::command(), "redisadv".into(), long, &mut out);
    out
}

#[test]
fn a_shared_option_is_one_definition_wherever_it_appears() {
    // (option, the commands that must have it): one help text, one short, one heading.
    let shared: [(&str, &[&str]); 7] = [
        ("out", &["bench", "report", "compare", "inspect", "whatif"]),
        ("quiet", &["bench", "inspect", "whatif", "install"]),
        ("only", &["bench", "whatif"]),
        ("match", &["inspect", "whatif"]),
        ("db", &["get", "inspect", "whatif"]),
        ("url", &["get", "inspect", "whatif"]),
        ("count", &["inspect", "whatif"]),
    ];
    for (long, wanted) in shared {
        let found = options_named(long);
        for command in wanted {
            assert!(
                found
                    .iter()
                    .any(|(name, _)| name.ends_with(&format!(" {command}"))),
                "{command} has no --{long}"
            );
        }
        // bench's --url writes, and says so; seed-fixture's is the hidden fixture's.
        let found: Vec<_> = found
            .into_iter()
            .filter(|(name, _)| !name.ends_with(" bench") || long != "url")
            .filter(|(name, _)| !name.ends_with(" seed-fixture"))
            .collect();
        let (first_name, first) = &found[0];
        for (name, arg) in &found[1..] {
            if long == "match" || long == "count" {
                // Their words name what each command does with the keys.
                assert_eq!(arg.get_help_heading(), first.get_help_heading(), "{name}");
                continue;
            }
            assert_eq!(
                (
                    arg.get_help().map(|h| h.to_string()),
                    arg.get_short(),
                    arg.get_help_heading()
                ),
                (
                    first.get_help().map(|h| h.to_string()),
                    first.get_short(),
                    first.get_help_heading()
                ),
                "--{long}: {name} and {first_name} differ"
            );
        }
    }
}

#[test]
fn jobs_is_one_flag_with_one_range_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = crate::bench_cli::tiny_scenario(dir.path());
    // Each command that runs things side by side, and the words naming it.
    let runs: [(&[&str], &[&str]); 3] = [
        (&["bench", s(&scenario)], &["bench"]),
        (&["whatif", "--from-sample", "x.jsonl.gz"], &["whatif"]),
        (
            &["engines", "install", "redis-8.6"],
            &["engines", "install"],
        ),
    ];
    for (run, name) in runs {
        for bad in ["0", "65", "two"] {
            let mut args = run.to_vec();
            args.extend(["--jobs", bad]);
            let out = redisadv(&args);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains("--jobs") && !err.contains("panicked"),
                "{args:?}: {err}"
            );
        }
        let mut args = name.to_vec();
        args.push("--help");
        let help = text(&redisadv(&args).stdout);
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(help.contains("-j, --jobs <N>"), "{name:?}: {help}");
        assert!(help.contains("1 to 64"), "{name:?}: {help}");
    }
}

#[test]
fn out_into_a_missing_directory_is_refused_before_any_work_in_every_command() {
    let report = project_file("reports/quick-redis-7.0.json");
    let dir = tempfile::tempdir().unwrap();
    let scenario = crate::bench_cli::tiny_scenario(dir.path());
    let missing = dir.path().join("no-such-dir/r.json");
    let runs: Vec<Vec<&str>> = vec![
        vec!["bench", s(&scenario)],
        vec!["report", s(&report)],
        vec!["compare", s(&report), s(&report)],
        // Port 1: nothing listens; the --out check comes before any connection.
        vec!["inspect", "--url", "redis://127.0.0.1:1/0"],
        vec![
            "whatif",
            "--url",
            "redis://127.0.0.1:1/0",
            "--match",
            "user:*",
        ],
    ];
    for mut args in runs {
        args.extend(["--out", s(&missing)]);
        let out = redisadv(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!("--out {}: the directory", missing.display())),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn report_writes_out_files_in_the_format_their_extension_names() {
    let report = project_file("reports/quick-redis-7.0.json");
    let dir = tempfile::tempdir().unwrap();
    let (md, csv) = (dir.path().join("r.md"), dir.path().join("r.csv"));
    let out = redisadv(&["report", s(&report), "--out", s(&md), "--out", s(&csv)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for (file, format) in [(&md, "markdown"), (&csv, "csv")] {
        let printed = redisadv(&["report", s(&report), "--format", format]);
        assert_eq!(
            std::fs::read_to_string(file).unwrap(),
            text(&printed.stdout)
        );
    }
    // The report being read is never overwritten.
    let copy = dir.path().join("copy.json");
    std::fs::copy(&report, &copy).unwrap();
    let out = redisadv(&["report", s(&copy), "--out", s(&copy)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("the report being read"));
}

#[test]
fn a_warning_printed_while_a_bar_is_drawn_is_on_a_line_of_its_own() {
    // Values of about 300 bytes in hash buckets: the explanation warns, right after
    // priming, that the buckets will be hashtables, while the variant's bar is still drawn.
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("buckets.toml");
    std::fs::write(
        &scenario,
        format!(
            r#"name = "buckets"
[server]
config = "{}"
[dataset]
kind = "custom"
seed = 7
[[dataset.family]]
name = "users"
count = 20000
key = "user:{{i}}"
bucket = "users:{{i / 100}}"
field = "{{i % 100}}"
value = {{ type = "dict", fields = {{ bio = {{ type = "text", min_words = 30, max_words = 40 }} }} }}
[[variant]]
name = "hash_ttl"
codec = "msgpack"
envelope = "raw"
redis_ttl = 3600
layout = "hash"
"#,
            project_file("redis.conf").display()
        ),
    )
    .unwrap();
    // script(1) gives the command a terminal, so the bar is drawn.
    let command = format!(
        "{} bench {} --format json > {}",
        env!("CARGO_BIN_EXE_redisadv"),
        s(&scenario),
        s(&dir.path().join("r.json"))
    );
    let out = Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("script(1) from util-linux runs");
    let terminal = text(&out.stdout);
    assert!(out.status.success(), "{terminal}");
    assert!(
        terminal.contains("records"),
        "no bar was drawn: {terminal:?}"
    );
    let at = terminal
        .find("warning: variant hash_ttl")
        .unwrap_or_else(|| panic!("no warning: {terminal:?}"));
    // What the terminal shows on the warning's line before it: a bar would be text there;
    // a line of its own has only cursor movement and erase sequences (ESC [ ... letter).
    let line_start = terminal[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let before = strip_escapes(&terminal[line_start..at]);
    assert!(
        before.trim().is_empty(),
        "the warning shares a line with {before:?}: {:?}",
        &terminal[line_start..(at + 40).min(terminal.len())]
    );
}

/// `text` without ANSI CSI sequences (ESC [ parameters letter).
fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[test]
fn the_option_reference_in_docs_is_generated_from_the_definitions() {
    use redisadv::cli::reference;
    let path = project_file("docs/commands.md");
    let page = std::fs::read_to_string(&path).unwrap();
    let fresh = reference::splice(&page, &reference::markdown())
        .expect("docs/commands.md has the option reference's markers");
    if std::env::var_os("REDISADV_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    if page != fresh {
        let line = page
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .map_or(page.lines().count().min(fresh.lines().count()), |n| n)
            + 1;
        panic!(
            "docs/commands.md's option reference is stale from line {line} (an option or its \
             help changed): REDISADV_BLESS=1 cargo test --release --test it \
             the_option_reference rewrites it"
        );
    }
}

/// The `$ redisadv ...` lines of a page's console blocks, split as a shell would (quotes,
/// no expansion), each without the trailing comment.
fn console_commands(page: &str) -> Vec<Vec<String>> {
    page.lines()
        .filter_map(|l| l.trim_start().strip_prefix("$ redisadv "))
        .map(|l| {
            let l = l.split("  #").next().unwrap_or(l);
            let mut words = vec!["redisadv".to_string()];
            let (mut word, mut quote, mut any) = (String::new(), None, false);
            for c in l.chars() {
                match (quote, c) {
                    (None, '\'' | '"') => (quote, any) = (Some(c), true),
                    (Some(q), c) if c == q => quote = None,
                    (None, c) if c.is_whitespace() => {
                        if any {
                            words.push(std::mem::take(&mut word));
                            any = false;
                        }
                    }
                    (_, c) => {
                        word.push(c);
                        any = true;
                    }
                }
            }
            if any {
                words.push(word);
            }
            words
        })
        .collect()
}

#[test]
fn the_readme_and_the_command_docs_give_commands_the_binary_takes() {
    use clap::Parser;
    for page in ["README.md", "docs/commands.md"] {
        let text = std::fs::read_to_string(project_file(page)).unwrap();
        let commands = console_commands(&text);
        assert!(!commands.is_empty() || page != "README.md", "{page}");
        for argv in commands {
            if let Err(e) = redisadv::cli::Cli::try_parse_from(&argv) {
                panic!("{page}: {argv:?} does not parse:\n{e}");
            }
        }
    }
}
