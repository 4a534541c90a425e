//! Every committed report JSON (reports/*.json, tests/fixtures/*.json) rendered by `redisadv
//! report` in every format it has, against snapshots in tests/expected/snapshots/: a change
//! of rendering is made on purpose (REDISADV_BLESS=1 rewrites them) and seen in review.

use crate::common::project_file;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `--format` values of `report`, and the extension each snapshot gets.
const FORMATS: [(&str, &str); 6] = [
    ("table", "txt"),
    ("markdown", "md"),
    ("csv", "csv"),
    ("html", "html"),
    ("svg", "svg"),
    ("json", "json"),
];

/// The committed reports, sorted, as (snapshot stem, path).
fn committed_reports() -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    for (dir, prefix) in [("reports", ""), ("tests/fixtures", "fixture-")] {
        for entry in std::fs::read_dir(project_file(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let stem = path.file_stem().unwrap().to_string_lossy();
                found.push((format!("{prefix}{stem}"), path));
            }
        }
    }
    found.sort();
    found
}

/// What `redisadv report PATH --format F` prints: stdout on success, else the exit code and
/// stderr (a format a report cannot take is part of the contract too).
fn render(path: &Path, format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .arg("report")
        .arg(path)
        .args(["--format", format])
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    if out.status.success() {
        String::from_utf8(out.stdout).unwrap()
    } else {
        format!(
            "exit {:?}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

#[test]
fn every_committed_report_renders_as_its_snapshot() {
    let dir = project_file("tests/expected/snapshots");
    let bless = std::env::var_os("REDISADV_BLESS").is_some();
    let mut wanted = BTreeSet::new();
    let mut differ = Vec::new();
    for (stem, path) in committed_reports() {
        for (format, ext) in FORMATS {
            let name = format!("{stem}.{ext}");
            let got = render(&path, format);
            differ.extend(against_snapshot(&dir, &name, &got, bless));
            wanted.insert(name);
        }
    }
    // A snapshot whose report is gone is stale: it would hide a renamed report.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !wanted.contains(&name) {
            differ.push(format!("{name} has no committed report"));
        }
    }
    assert!(
        wanted.len() >= 6 * 9,
        "found only {} renderings",
        wanted.len()
    );
    assert!(
        differ.is_empty(),
        "{} (REDISADV_BLESS=1 rewrites the snapshots on purpose)",
        differ.join("; ")
    );
}

/// The formats inspect and whatif write, and each snapshot's extension.
const DOCUMENT_FORMATS: [(redisadv::report::OutputFormat, &str); 6] = {
    use redisadv::report::OutputFormat::*;
    [
        (Table, "txt"),
        (Markdown, "md"),
        (Csv, "csv"),
        (Html, "html"),
        (Svg, "svg"),
        (Json, "json"),
    ]
};

/// inspect's and whatif's reports (tests/fixtures/documents/*.json, written by `inspect
/// --format json --out` on a server seeded by `seed-fixture` plus hostile key names, by
/// `inspect --all`, `inspect --rdb` and `whatif --out`) rendered in every format, against
/// tests/expected/documents/: their rendering moves only on purpose too.
#[test]
fn inspect_and_whatif_fixtures_render_as_their_snapshots() {
    let fixtures = project_file("tests/fixtures/documents");
    let dir = project_file("tests/expected/documents");
    let bless = std::env::var_os("REDISADV_BLESS").is_some();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut wanted = BTreeSet::new();
    let mut differ = Vec::new();
    for path in &paths {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        for (format, ext) in DOCUMENT_FORMATS {
            let got = if stem.starts_with("inspect") {
                let report: redisadv::inspect::InspectReport = serde_json::from_str(&text).unwrap();
                redisadv::inspect::render::render(&report, format)
            } else {
                let report: redisadv::whatif::WhatifReport = serde_json::from_str(&text).unwrap();
                redisadv::whatif::render::render(&report, format)
            };
            let got = got.unwrap_or_else(|e| format!("error: {e:#}\n"));
            let name = format!("{stem}.{ext}");
            differ.extend(against_snapshot(&dir, &name, &got, bless));
            wanted.insert(name);
        }
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !wanted.contains(&name) {
            differ.push(format!("{name} has no fixture"));
        }
    }
    assert!(
        wanted.len() >= 6 * 4,
        "found only {} renderings",
        wanted.len()
    );
    assert!(
        differ.is_empty(),
        "{} (REDISADV_BLESS=1 rewrites the snapshots on purpose)",
        differ.join("; ")
    );
}

/// `report FILE` re-renders inspect's and whatif's JSON as bench's: in every format, the
/// same text the command printed (the snapshots above), and a JSON that is no report is
/// refused by name.
#[test]
fn report_renders_inspect_and_whatif_json_in_every_format() {
    let fixtures = project_file("tests/fixtures/documents");
    let dir = project_file("tests/expected/documents");
    for stem in ["inspect-sample", "inspect-rdb", "whatif"] {
        let path = fixtures.join(format!("{stem}.json"));
        for (format, ext) in [
            ("table", "txt"),
            ("markdown", "md"),
            ("csv", "csv"),
            ("html", "html"),
            ("svg", "svg"),
        ] {
            let out =
                crate::bench_cli::redisadv(&["report", path.to_str().unwrap(), "--format", format]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{stem} {format}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let want = std::fs::read_to_string(dir.join(format!("{stem}.{ext}"))).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                want,
                "{stem} {format}"
            );
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let other = tmp.path().join("other.json");
    std::fs::write(&other, "{\"name\": \"not a report\"}").unwrap();
    let out = crate::bench_cli::redisadv(&["report", other.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("other.json: not a redisadv report"), "{err}");
}

/// `got` against the snapshot `dir/name` (rewritten first when blessing): `None` when equal,
/// else the first line that differs, so a failure says what moved.
fn against_snapshot(dir: &Path, name: &str, got: &str, bless: bool) -> Option<String> {
    let snapshot = dir.join(name);
    if bless {
        std::fs::write(&snapshot, got).unwrap();
    }
    match std::fs::read_to_string(&snapshot) {
        Ok(want) if want == got => None,
        Ok(want) => {
            let line = want
                .lines()
                .zip(got.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(want.lines().count().min(got.lines().count()));
            Some(format!(
                "{name} differs at line {}: {:?} (was {:?})",
                line + 1,
                got.lines().nth(line).unwrap_or(""),
                want.lines().nth(line).unwrap_or("")
            ))
        }
        Err(_) => Some(format!("{name} is missing")),
    }
}
