//! The command line's contract with scripts and CI: a closed stdout is never a panic and
//! never costs an --out file, --out and --baseline are checked before the run, `compare`'s
//! exit codes and formats, --help, progress. Error messages: cli_messages.rs.

use crate::bench_cli::{redisadv, tiny_scenario};
use crate::common::project_file;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs the binary with stdout a pipe whose reader is already closed, as `| head -c0` or
/// `| true` leave it.
fn with_closed_stdout(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs")
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// One variant of the tiny scenario, benched into `name`.json in `dir`.
fn bench_to(dir: &Path, scenario: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    let out = redisadv(&[
        "bench",
        s(scenario),
        "-q",
        "--only",
        "pickle_ttl,json_raw_hash",
        "--out",
        s(&path),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    path
}

fn edit_json(from: &Path, to: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(from).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(to, value.to_string()).unwrap();
}

#[test]
fn a_closed_stdout_is_a_quiet_end_and_keeps_the_out_file() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(dir.path());
    let out_json = dir.path().join("r.json");
    for format in ["table", "csv"] {
        let _ = std::fs::remove_file(&out_json);
        let out = with_closed_stdout(&[
            "bench",
            s(&scenario),
            "-q",
            "--only",
            "pickle_ttl",
            "--format",
            format,
            "--out",
            s(&out_json),
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{format}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out_json).unwrap()).unwrap();
        assert_eq!(report["variants"][0]["name"], "pickle_ttl");
    }
    // No temporary file is left beside the report.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "leftovers: {names:?}"
    );
    for args in [
        vec!["report", s(&out_json)],
        vec!["report", s(&out_json), "--format", "csv"],
        vec!["compare", s(&out_json), s(&out_json)],
    ] {
        let out = with_closed_stdout(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // A streaming filter stops at the closed pipe without a word.
    let scenario = project_file("scenarios/quick.toml");
    let out = with_closed_stdout(&[
        "commands",
        s(&scenario),
        "--variant",
        "region_redis",
        "--scale",
        "0.01",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn out_and_baseline_are_checked_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(dir.path());
    let original = std::fs::read_to_string(&scenario).unwrap();

    // --out naming the scenario itself: refused, the scenario untouched.
    let out = redisadv(&["bench", s(&scenario), "-q", "--out", s(&scenario)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--out") && text(&out.stderr).contains("scenario file"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&scenario).unwrap(), original);

    // A missing --out directory: an error naming the flag, nothing created, no variant run.
    let missing = dir.path().join("no/such/dir/r.json");
    let out = redisadv(&["bench", s(&scenario), "-q", "--out", s(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("--out") && err.contains("does not exist"),
        "{err}"
    );
    assert!(!err.contains("variant"), "no variant ran: {err}");
    assert!(!dir.path().join("no").exists());

    // A baseline of another scale: refused before the run, so no --out file appears.
    let base = bench_to(dir.path(), &scenario, "base");
    let scaled = dir.path().join("scaled.json");
    edit_json(&base, &scaled, |v| {
        v["scenario"]["dataset"]["scale"] = 0.5.into();
    });
    let never = dir.path().join("never.json");
    let out = redisadv(&[
        "bench",
        s(&scenario),
        "-q",
        "--baseline",
        s(&scaled),
        "--out",
        s(&never),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("--baseline") && err.contains("different datasets"),
        "{err}"
    );
    assert!(!never.exists(), "the run never started");

    // A baseline with no variant in common: refused before the run too.
    let renamed = dir.path().join("renamed.json");
    edit_json(&base, &renamed, |v| {
        for variant in v["variants"].as_array_mut().unwrap() {
            variant["name"] = "elsewhere".into();
        }
    });
    let out = redisadv(&[
        "bench",
        s(&scenario),
        "-q",
        "--baseline",
        s(&renamed),
        "--out",
        s(&never),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no variant in common"));
    assert!(!never.exists());

    // The rename that makes --out atomic keeps a symlink a symlink and a device a device.
    let real = dir.path().join("real.json");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = redisadv(&[
        "bench",
        s(&scenario),
        "-q",
        "--only",
        "pickle_ttl",
        "--format",
        "csv",
        "--out",
        s(&link),
        "--out",
        "/dev/stderr",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(written["variants"][0]["name"], "pickle_ttl");
    assert!(
        text(&out.stderr).contains("variant,status"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn compare_is_a_gate_with_exit_codes_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(dir.path());
    let base = bench_to(dir.path(), &scenario, "base");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    assert_eq!(report["schema_version"], 2);
    assert!(
        report["scenario"]["dataset"]["fingerprint"]
            .as_str()
            .is_some_and(|f| f.len() == 16),
        "{}",
        report["scenario"]["dataset"]
    );

    let empty = dir.path().join("empty.json");
    edit_json(&base, &empty, |v| v["variants"] = serde_json::json!([]));
    let out = redisadv(&["compare", s(&base), s(&empty)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("nothing to compare"));

    let other = dir.path().join("other.json");
    edit_json(&base, &other, |v| {
        for variant in v["variants"].as_array_mut().unwrap() {
            variant["name"] = format!("x_{}", variant["name"].as_str().unwrap()).into();
        }
    });
    let out = redisadv(&["compare", s(&base), s(&other)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("no variant is in both"));

    let fewer = dir.path().join("fewer.json");
    edit_json(&base, &fewer, |v| {
        v["variants"].as_array_mut().unwrap().truncate(1);
    });
    let out = redisadv(&["compare", s(&base), s(&fewer)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("MISSING"),
        "{}",
        text(&out.stdout)
    );
    let out = redisadv(&["compare", s(&base), s(&fewer), "--allow-missing"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // JSON: a stable structure CI can read.
    let out = redisadv(&["compare", s(&base), s(&fewer), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verdict"], "missing");
    assert_eq!(json["metric"], "dataset-bytes");
    let variants = json["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 2);
    assert_eq!(variants[0]["status"], "ok");
    assert_eq!(variants[0]["delta"], 0);
    assert_eq!(variants[0]["percent"], 0.0);
    assert!(variants[0]["base"].as_u64().unwrap() > 10_000);
    assert_eq!(variants[1]["status"], "missing");
    assert!(variants[1]["new"].is_null());

    // Markdown, to paste into a pull request.
    let grown = dir.path().join("grown.json");
    edit_json(&base, &grown, |v| {
        let b = v["variants"][0]["result"]["dataset_bytes"]
            .as_u64()
            .unwrap();
        v["variants"][0]["result"]["dataset_bytes"] = (b + b / 10).into();
    });
    let out = redisadv(&["compare", s(&base), s(&grown), "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1));
    let md = text(&out.stdout);
    assert!(
        md.contains("| variant | base | new | difference | percent | verdict |"),
        "{md}"
    );
    assert!(
        md.contains("| REGRESSION |") && md.contains("+10.0"),
        "{md}"
    );
}

/// A custom dataset of `count` records whose values are `value`.
fn custom_scenario(dir: &Path, name: &str, value: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    let text = format!(
        r#"name = "{name}"
[server]
config = "{}"
[dataset]
kind = "custom"
scale = 1.0
seed = 7
[[dataset.family]]
name = "items"
count = 300
key = "item:{{i}}"
value = {value}
[[variant]]
name = "json_raw"
codec = "json"
envelope = "raw"
"#,
        project_file("redis.conf").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn compare_refuses_two_different_custom_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let small = custom_scenario(dir.path(), "small", r#"{ type = "int", min = 1, max = 9 }"#);
    let large = custom_scenario(
        dir.path(),
        "large",
        r#"{ type = "str", min_len = 500, max_len = 500 }"#,
    );
    let mut reports = Vec::new();
    for scenario in [&small, &large] {
        let path = scenario.with_extension("json");
        let out = redisadv(&["bench", s(scenario), "-q", "--out", s(&path)]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        reports.push(path);
    }
    let out = redisadv(&["compare", s(&reports[0]), s(&reports[1])]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        err.contains("different datasets") && err.contains("fingerprint"),
        "{err}"
    );
    assert!(!text(&out.stdout).contains("REGRESSION"));
    // And before a run: the small report as the large scenario's baseline.
    let out = redisadv(&["bench", s(&large), "-q", "--baseline", s(&reports[0])]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("different datasets"));
}

#[test]
fn version_1_reports_are_still_read_and_say_so() {
    let v1 = project_file("tests/fixtures/quick-schema-1.json");
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&v1).unwrap()).unwrap();
    assert_eq!(
        value["schema_version"], 1,
        "the fixture is a version-1 report"
    );
    let out = redisadv(&["compare", s(&v1), s(&v1)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("version-1 report has no dataset fingerprint"),
        "{}",
        text(&out.stdout)
    );
    let out = redisadv(&["report", s(&v1), "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn help_gives_exit_codes_and_units() {
    for args in [
        &["--help"][..],
        &["compare", "--help"],
        &["bench", "--help"],
    ] {
        let out = redisadv(args);
        assert!(out.status.success());
        let help = text(&out.stdout);
        assert!(help.contains("Exit codes:"), "{args:?}: {help}");
        assert!(help.contains("--allow-missing"), "{args:?}: {help}");
    }
    let help = text(&redisadv(&["compare", "--help"]).stdout);
    assert!(help.contains("a percentage of BASE's bytes"), "{help}");
}

#[test]
fn progress_is_drawn_when_stderr_is_a_terminal_and_stdout_a_file() {
    // script(1) gives the command a terminal; stdout goes to a file as in
    // `bench ... > out.md`, stderr stays on the terminal.
    let dir = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(dir.path());
    let out_md = dir.path().join("out.md");
    let command = format!(
        "{} bench {} --only pickle_ttl --format markdown > {}",
        env!("CARGO_BIN_EXE_redisadv"),
        s(&scenario),
        s(&out_md)
    );
    let out = Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("script(1) from util-linux runs");
    assert!(out.status.success(), "{}", text(&out.stdout));
    let terminal = text(&out.stdout);
    assert!(
        terminal.contains("pickle_ttl") && terminal.contains("records"),
        "no progress on the terminal: {terminal:?}"
    );
    assert!(
        std::fs::read_to_string(&out_md)
            .unwrap()
            .contains("| pickle_ttl |")
    );
}

#[test]
fn the_schema_takes_version_2_with_its_fingerprint() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project_file("schema/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let mut v2: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project_file("tests/expected/report.json")).unwrap(),
    )
    .unwrap();
    v2["schema_version"] = 2.into();
    assert!(!validator.is_valid(&v2), "version 2 needs the fingerprint");
    v2["scenario"]["dataset"]["fingerprint"] = "0123456789abcdef".into();
    let errors: Vec<String> = validator.iter_errors(&v2).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    v2["scenario"]["dataset"]["fingerprint"] = "not hex".into();
    assert!(!validator.is_valid(&v2));
}

#[test]
fn compare_writes_out_files_in_the_format_their_extension_names() {
    let dir = tempfile::tempdir().unwrap();
    let base = project_file("reports/quick-redis-7.0.json");
    let (json, md) = (dir.path().join("c.json"), dir.path().join("c.md"));
    let out = redisadv(&[
        "compare",
        s(&base),
        s(&base),
        "--out",
        s(&json),
        "--out",
        s(&md),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let markdown = redisadv(&["compare", s(&base), s(&base), "--format", "markdown"]);
    assert_eq!(
        std::fs::read_to_string(&md).unwrap(),
        text(&markdown.stdout)
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let as_json = redisadv(&["compare", s(&base), s(&base), "--format", "json"]);
    assert_eq!(
        written,
        serde_json::from_slice::<serde_json::Value>(&as_json.stdout).unwrap()
    );
    // Every document format is written (a comparison is a document too): CSV one row per
    // variant with the raw figures, HTML a page with the same table.
    let (csv, html) = (dir.path().join("c.csv"), dir.path().join("c.html"));
    let out = redisadv(&[
        "compare",
        s(&base),
        s(&base),
        "--out",
        s(&csv),
        "--out",
        s(&html),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert!(
        rows.starts_with("variant,base,new,delta,percent,status\n"),
        "{rows}"
    );
    assert!(
        rows.contains("region_redis,") && rows.contains(",0,0.000000,ok"),
        "{rows}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<th>verdict</th>"));
    // A format compare has not (no chart), and the report being read, are refused before
    // anything.
    let svg = dir.path().join("c.svg");
    let out = redisadv(&["compare", s(&base), s(&base), "--out", s(&svg)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--out") && !svg.exists());
    let copy = dir.path().join("base.json");
    std::fs::copy(&base, &copy).unwrap();
    let out = redisadv(&["compare", s(&copy), s(&base), "--out", s(&copy)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("the base report"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&base).unwrap());
}
