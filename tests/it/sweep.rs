//! Sweeps: a setting given as a list runs every combination under a stable name; `--only`
//! picks runs; a variant's own bucket_size changes its buckets; bad sweeps name the line.

use crate::common::project_file;
use redisadv::scenario::Scenario;
use std::path::Path;
use std::process::Command;

/// A custom dataset of 2,000 small records, plain keys against swept hash buckets.
const SWEEP: &str = r#"name = "sw"
baseline = "keys"

[server]
config = "../redis.conf"
[server.overrides]
"hash-max-listpack-value" = [64, 128]

[dataset]
kind = "custom"
seed = 3

[[dataset.family]]
name = "items"
count = 2000
key = "item:{i}"
value = { type = "str", min_len = 10, max_len = 20 }

[[variant]]
name = "keys"
codec = "msgpack"
envelope = "raw"

[[variant]]
name = "hash"
codec = "msgpack"
envelope = "raw"
layout = "hash"
bucket_size = [500, 1000,
  2000]
"#;

fn parse(text: &str) -> Result<Scenario, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweep-test.toml");
    Scenario::parse(text, &path).map_err(|e| format!("{e:#}"))
}

#[test]
fn lists_expand_to_every_combination_with_stable_names() {
    let s = parse(SWEEP).unwrap();
    let names: Vec<&str> = s.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "keys[hash-max-listpack-value=64]",
            "keys[hash-max-listpack-value=128]",
            "hash[hash-max-listpack-value=64,bucket_size=500]",
            "hash[hash-max-listpack-value=64,bucket_size=1000]",
            "hash[hash-max-listpack-value=64,bucket_size=2000]",
            "hash[hash-max-listpack-value=128,bucket_size=500]",
            "hash[hash-max-listpack-value=128,bucket_size=1000]",
            "hash[hash-max-listpack-value=128,bucket_size=2000]",
        ]
    );
    assert_eq!(s.baseline, 0);
    // The swept server setting goes with each run; the scenario's own list is gone.
    assert!(s.server.overrides.is_empty(), "{:?}", s.server.overrides);
    assert_eq!(
        s.variants[5].overrides,
        vec![("hash-max-listpack-value".into(), "128".into())]
    );
    // Each bucket size is that run's own dataset: 2000 records in 4, 2 and 1 buckets.
    for (v, buckets) in [(2, 4), (3, 2), (4, 1)] {
        let d = s.dataset_of(&s.variants[v]).build().unwrap();
        let keys: std::collections::BTreeSet<String> = d
            .calls(redisadv::dataset::Layout::Hash)
            .flatten()
            .map(|(k, _)| match k {
                redisadv::dataset::Key::Hash { bucket, .. } => bucket,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(keys.len(), buckets, "{}", s.variants[v].name);
    }
    // A file without lists is what it always was.
    let plain = parse(
        &SWEEP
            .replace("[64, 128]", "64")
            .replace("bucket_size = [500, 1000,\n  2000]", "bucket_size = 500"),
    )
    .unwrap();
    let names: Vec<&str> = plain.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["keys", "hash"]);
}

#[test]
fn bad_sweeps_name_the_file_and_line() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "bucket_size = [500, 1000,\n  2000]",
            "bucket_size = [500, 500]",
            &["sweep-test.toml:29:", "500 is listed twice"],
        ),
        (
            "bucket_size = [500, 1000,\n  2000]",
            "bucket_size = []",
            &["sweep-test.toml:29:", "at least one"],
        ),
        // An element the setting refuses: the line of the list in the file, not of the
        // expanded copy (the list above it spans two lines).
        (
            "\"hash-max-listpack-value\" = [64, 128]",
            "\"hash-max-listpack-value\" = [64, 128]\n\"dir\" = [\"/tmp\", \"/var\"]",
            &["sweep-test.toml:8:", "dir would move the server"],
        ),
        (
            "bucket_size = [500, 1000,\n  2000]",
            "bucket_size = [500, 1000,\n  0]",
            &["sweep-test.toml:30:3", "bucket_size must be 1 to"],
        ),
        (
            "layout = \"hash\"\nbucket_size",
            "layout = \"keys\"\nbucket_size",
            &["sweep-test.toml:29:", "layout = \"hash\" only"],
        ),
    ];
    for (from, to, wants) in cases {
        assert!(SWEEP.contains(from), "{from}");
        let err = parse(&SWEEP.replace(from, to)).expect_err(to);
        for want in *wants {
            assert!(err.contains(want), "{to}: {err}");
        }
    }
}

fn bench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .arg("bench")
        .args(args)
        .output()
        .unwrap()
}

fn write_scenario(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("sweep.toml");
    let conf = project_file("redis.conf");
    std::fs::write(&path, text.replace("../redis.conf", conf.to_str().unwrap())).unwrap();
    path
}

#[test]
fn only_runs_the_named_sweep_runs_and_bucket_size_changes_the_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(
        dir.path(),
        &SWEEP.replace("\"hash-max-listpack-value\" = [64, 128]", ""),
    );
    let json = dir.path().join("r.json");
    let out = bench(&[
        scenario.to_str().unwrap(),
        "--only",
        "keys,hash[bucket_size=500],hash[bucket_size=2000]",
        "--out",
        json.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // One progress line per finished run.
    for (i, name) in ["keys", "hash[bucket_size=500]", "hash[bucket_size=2000]"]
        .iter()
        .enumerate()
    {
        assert!(err.contains(&format!("[{}/3] {name}: ", i + 1)), "{err}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let variants = report["variants"].as_array().unwrap();
    let names: Vec<&str> = variants
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["keys", "hash[bucket_size=500]", "hash[bucket_size=2000]"]
    );
    assert_eq!(variants[1]["sweep"]["base"], "hash");
    assert_eq!(variants[1]["sweep"]["values"][0]["key"], "bucket_size");
    assert_eq!(variants[1]["sweep"]["values"][0]["value"], "500");
    // 2000 records in buckets of 500: 4 keys; of 2000: one key, and a hashtable (2000
    // fields > hash-max-listpack-entries 512) that costs more per record than the listpacks.
    assert_eq!(variants[1]["result"]["keys"], 4);
    assert_eq!(variants[2]["result"]["keys"], 1);
    let bytes = |v: &serde_json::Value| v["result"]["dataset_bytes"].as_u64().unwrap();
    assert!(bytes(&variants[2]) > bytes(&variants[1]), "{names:?}");
    assert_eq!(
        variants[2]["result"]["explain"]["encodings"]["measured"]["hashtable"],
        1
    );
    // The base name selects all its runs.
    let out = bench(&[
        scenario.to_str().unwrap(),
        "--only",
        "nope[bucket_size=1]",
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--only: no variant named \"nope[bucket_size=1]\""),
        "{err}"
    );
    assert!(err.contains("hash[bucket_size=1000]"), "{err}");
}

#[test]
fn a_bad_sweep_value_exits_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(
        dir.path(),
        &SWEEP.replace(
            "bucket_size = [500, 1000,\n  2000]",
            "bucket_size = [500, \"big\"]",
        ),
    );
    let out = bench(&[scenario.to_str().unwrap(), "--quiet"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("sweep.toml:29:"), "{err}");
    assert!(err.contains("bucket_size"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_stopped_sweep_keeps_what_it_measured_in_its_out_files() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(
        dir.path(),
        &SWEEP.replace(
            "bucket_size = [500, 1000,\n  2000]",
            "bucket_size = [10, 20, 50, 100, 200, 250, 400, 500, 1000, 2000]",
        ),
    );
    let json = dir.path().join("r.json");
    let html = dir.path().join("r.html");
    let child = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(["bench", scenario.to_str().unwrap(), "--quiet", "--out"])
        .arg(&json)
        .arg("--out")
        .arg(&html)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The files appear once the first run has finished (the HTML after the JSON); then
    // Ctrl-C.
    crate::common::wait_for(
        "the first run's report",
        std::time::Duration::from_secs(120),
        || html.exists(),
    );
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = redisadv::report::load(&json).expect("a whole report, not a torn file");
    let total = 2 * 10 + 2;
    assert!(
        !report.variants.is_empty() && report.variants.len() < total,
        "{} of {total} runs",
        report.variants.len()
    );
    assert!(report.variants.iter().all(|v| v.result.is_some()));
    assert_eq!(report.variants[0].name, "keys[hash-max-listpack-value=64]");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("keys[hash-max-listpack-value=64]") && page.ends_with("</html>\n"));
}

#[test]
fn one_key_swept_in_two_places_shows_its_path() {
    let text = SWEEP
        .replace(
            "layout = \"hash\"\n",
            "layout = \"hash\"\n[variant.overrides]\n\"hash-max-listpack-value\" = [256, 512]\n",
        )
        .replace("bucket_size = [500, 1000,\n  2000]\n", "");
    // The variant's own table now ends the file; bucket_size moved out of it.
    let s = parse(&text).unwrap();
    let names: Vec<&str> = s.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names.len(), 2 + 2 * 2, "{names:?}");
    assert_eq!(
        names[2],
        "hash[server.overrides.hash-max-listpack-value=64,variant[1].overrides.hash-max-listpack-value=256]"
    );
    // The server's value, then the variant's (the later one wins on redis-server's command
    // line).
    assert_eq!(
        s.variants[2].overrides,
        vec![
            ("hash-max-listpack-value".into(), "64".into()),
            ("hash-max-listpack-value".into(), "256".into())
        ]
    );
}
