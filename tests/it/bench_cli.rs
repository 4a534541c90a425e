//! `redisadv bench`, `report` and `compare` as a user runs them: the real binary, private
//! servers, JSON reports; the exit-code contract of `compare`.

use crate::common::project_file;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn redisadv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A small scenario beside the project's redis.conf: three variants of the demo dataset.
pub fn tiny_scenario(dir: &Path) -> PathBuf {
    let path = dir.join("tiny.toml");
    let text = format!(
        r#"name = "tiny"
baseline = "pickle_ttl"
[server]
config = "{}"
[dataset]
kind = "demo"
scale = 0.002
[[variant]]
name = "pickle_ttl"
codec = "pickle"
envelope = "dogpile"
redis_ttl = 3600
[[variant]]
name = "json_raw_hash"
codec = "json"
envelope = "raw"
redis_ttl = 3600
layout = "hash"
[[variant]]
name = "msgpack_legacy_local"
codec = "pickle"
envelope = "tuple"
"#,
        project_file("redis.conf").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn json_report(out: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(out)))
}

#[test]
fn bench_measures_repeatably_and_reports_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(dir.path());
    let scenario = scenario.to_str().unwrap();
    let first = redisadv(&["bench", scenario, "--format", "json", "--verify"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let second = redisadv(&["bench", scenario, "--format", "json"]);
    assert!(second.status.success(), "{}", stderr(&second));
    let (a, b) = (json_report(&first), json_report(&second));
    assert_eq!(a["schema_version"], 2);
    assert_eq!(a["scenario"]["dataset"]["records"], 2000 + 10 * 20);
    assert!(
        a["redis"]["allocator"]
            .as_str()
            .unwrap()
            .starts_with("jemalloc")
    );
    for (va, vb) in a["variants"]
        .as_array()
        .unwrap()
        .iter()
        .zip(b["variants"].as_array().unwrap())
    {
        let (ra, rb) = (&va["result"], &vb["result"]);
        assert_eq!(
            ra["dataset_bytes"], rb["dataset_bytes"],
            "dataset bytes repeat: {}",
            va["name"]
        );
        assert!(ra["dataset_bytes"].as_u64().unwrap() > 10_000);
        assert_eq!(ra["records"], 2200);
        assert_eq!(ra["verify"]["mismatches"], 0);
        assert_eq!(ra["verify"]["records"], 2200);
        assert_eq!(
            ra["samples"].as_array().unwrap().len(),
            3,
            "keys 1, 100, 1000 exist at this scale"
        );
    }
    let v = &a["variants"];
    assert_eq!(v[0]["result"]["keys"], 2200);
    assert_eq!(v[0]["result"]["keys_with_ttl"], 2200);
    // Hash layout: 20 int buckets + 10 prefix buckets, all with a TTL (on-create).
    assert_eq!(v[1]["result"]["keys"], 30);
    assert_eq!(v[1]["result"]["keys_with_ttl"], 30);
    assert_eq!(v[2]["result"]["keys_with_ttl"], 0);
    // The stored sample is the Python bytes: key "1" holds json.dumps(10) under hash "0".
    assert_eq!(
        v[1]["result"]["samples"][0]["key"],
        serde_json::json!({"bucket": "0", "field": "1"})
    );
    assert_eq!(v[1]["result"]["samples"][0]["hex"], hex::encode("10"));
    assert_eq!(
        v[0]["result"]["samples"][0]["hex"],
        // Record 1 under the default simulated clock: one step (14.14 µs) after the start.
        hex::encode(b"{\"ct\": 1795593845.0916378, \"v\": 2}|\x80\x04K\n.")
    );
}

#[test]
fn report_rerenders_and_compare_keeps_its_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(dir.path());
    let base = dir.path().join("base.json");
    let out = redisadv(&[
        "bench",
        scenario.to_str().unwrap(),
        "--only",
        "pickle_ttl,json_raw_hash",
        "-q",
        "--out",
        base.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("pickle_ttl"),
        "the table goes to stdout"
    );
    let base_s = base.to_str().unwrap();

    for (format, needle) in [
        ("markdown", "| test | memory bytes"),
        ("csv", "variant,status"),
        ("table", "relative"),
    ] {
        let r = redisadv(&["report", base_s, "--format", format]);
        assert!(
            r.status.success() && stdout(&r).contains(needle),
            "{format}: {}",
            stdout(&r)
        );
    }

    // Same report: exit 0.
    let same = redisadv(&["compare", base_s, base_s]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
    assert!(stdout(&same).contains("no regression"));

    // One variant grew by 2%: exit 1 at 1%, exit 0 at 5%.
    let mut grown: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let bytes = grown["variants"][1]["result"]["dataset_bytes"]
        .as_u64()
        .unwrap();
    grown["variants"][1]["result"]["dataset_bytes"] = (bytes + bytes / 50).into();
    let grown_path = dir.path().join("grown.json");
    std::fs::write(&grown_path, grown.to_string()).unwrap();
    let g = grown_path.to_str().unwrap();
    let regressed = redisadv(&["compare", base_s, g, "--max-regression", "1%"]);
    assert_eq!(regressed.status.code(), Some(1), "{}", stdout(&regressed));
    assert!(stdout(&regressed).contains("REGRESSION"));
    let allowed = redisadv(&["compare", base_s, g, "--max-regression", "5"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", stdout(&allowed));

    // Another Redis build: a loud warning, still compared.
    let mut other = grown.clone();
    other["redis"]["version"] = "7.2.4".into();
    let other_path = dir.path().join("other.json");
    std::fs::write(&other_path, other.to_string()).unwrap();
    let warned = redisadv(&[
        "compare",
        base_s,
        other_path.to_str().unwrap(),
        "--max-regression",
        "5%",
    ]);
    assert!(
        stdout(&warned).contains("WARNING: different Redis builds"),
        "{}",
        stdout(&warned)
    );

    // Errors: exit 2 with the file named.
    let mut scaled = grown.clone();
    scaled["scenario"]["dataset"]["scale"] = 0.5.into();
    let scaled_path = dir.path().join("scaled.json");
    std::fs::write(&scaled_path, scaled.to_string()).unwrap();
    let e = redisadv(&["compare", base_s, scaled_path.to_str().unwrap()]);
    assert_eq!(e.status.code(), Some(2));
    assert!(stderr(&e).contains("different datasets"), "{}", stderr(&e));
    let mut versioned = grown;
    versioned["schema_version"] = 99.into();
    let versioned_path = dir.path().join("v99.json");
    std::fs::write(&versioned_path, versioned.to_string()).unwrap();
    let e = redisadv(&["compare", base_s, versioned_path.to_str().unwrap()]);
    assert_eq!(e.status.code(), Some(2));
    assert!(
        stderr(&e).contains("v99.json") && stderr(&e).contains("schema version 99"),
        "{}",
        stderr(&e)
    );
    let e = redisadv(&["compare", base_s, "/nonexistent/report.json"]);
    assert_eq!(e.status.code(), Some(2));
    assert!(
        stderr(&e).contains("/nonexistent/report.json"),
        "{}",
        stderr(&e)
    );
}
