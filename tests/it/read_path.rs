//! `bench --read`: the read workload after the memory figures — get and get_multi through
//! the backend's commands (GET, HGET, HMGET with `__expires__` under the field policy, plain
//! HGET under field-ttl), values decoded — and redis-benchmark as the anchor.

use crate::common::{engine_binary, project_file, redis};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// 600 records in plain keys and in hash buckets of 100: pickle keys (the baseline), msgpack
/// buckets (on-create), json buckets under the field policy, and `extra` more variants.
fn scenario(dir: &Path, read: &str, extra: &str) -> PathBuf {
    let path = dir.join("read.toml");
    let text = format!(
        r#"name = "read"
baseline = "keys_pickle"
{read}
[server]
config = "{}"
[dataset]
kind = "custom"
seed = 5
[[dataset.family]]
name = "u"
count = 600
key = "u:{{i}}"
bucket = "u:{{i / 100}}"
field = "{{i % 100}}"
value = {{ type = "dict", fields = {{ name = {{ type = "str", min_len = 4, max_len = 20 }}, n = {{ type = "int", min = 0, max = 100000 }} }} }}
[[variant]]
name = "keys_pickle"
codec = "pickle"
envelope = "dogpile"
redis_ttl = 3600
[[variant]]
name = "hash_msgpack"
codec = "msgpack"
envelope = "raw"
redis_ttl = 3600
layout = "hash"
[[variant]]
name = "hash_json_field"
codec = "json"
envelope = "tuple"
redis_ttl = 3600
layout = "hash"
hash_ttl = "field"
{extra}"#,
        project_file("redis.conf").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn bench(args: &[&str], server: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redisadv"));
    cmd.arg("bench").args(args).arg("--quiet");
    if let Some(server) = server {
        cmd.env("REDISADV_REDIS_SERVER", server);
    }
    cmd.output().expect("the binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_of(out: &Output) -> Json {
    assert!(out.status.success(), "bench failed: {}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

const READ: [&str; 9] = [
    "--read",
    "--read-ops",
    "400",
    "--read-connections",
    "4",
    "--read-pipeline",
    "8",
    "--read-multi",
    "5",
];

/// The checks every variant's read figures must pass; returns the anchor's command.
fn check_read(variant: &Json) -> String {
    let name = variant["name"].as_str().unwrap();
    let read = &variant["result"]["read"];
    assert!(read.is_object(), "{name}: no read figures");
    assert_eq!(read["connections"], 4, "{name}");
    assert_eq!(read["pipeline"], 8, "{name}");
    for (phase, calls, records) in [("get", 400, 400), ("get_multi", 400, 2000)] {
        let p = &read[phase];
        assert_eq!(p["calls"], calls, "{name} {phase}");
        assert_eq!(p["records"], records, "{name} {phase}");
        // Every record read exists and decodes: a miss means a wrong key or command.
        assert_eq!(p["misses"], 0, "{name} {phase}");
        assert!(
            p["ops_per_second"].as_f64().unwrap() > 0.0,
            "{name} {phase}"
        );
        let rps = p["records_per_second"].as_f64().unwrap();
        let ops = p["ops_per_second"].as_f64().unwrap();
        assert!((rps / ops - records as f64 / calls as f64).abs() < 1e-6);
        let (p50, p99, p999) = (
            p["p50_us"].as_f64().unwrap(),
            p["p99_us"].as_f64().unwrap(),
            p["p999_us"].as_f64().unwrap(),
        );
        assert!(
            0.0 < p50 && p50 <= p99 && p99 <= p999,
            "{name} {phase}: {p}"
        );
        let share = p["decode_share"].as_f64().unwrap();
        assert!(
            share > 0.0 && share < 1.0,
            "{name} {phase}: decode share {share}"
        );
    }
    let anchor = &read["anchor"];
    assert!(
        anchor.is_object(),
        "{name}: no anchor: {}",
        read["anchor_skipped"]
    );
    assert_eq!(anchor["keys"].as_array().unwrap().len(), 2, "{name}");
    assert!(anchor["redis_benchmark_ops_per_second"].as_f64().unwrap() > 0.0);
    assert!(anchor["redisadv_ops_per_second"].as_f64().unwrap() > 0.0);
    let ratio = anchor["redisadv_ops_per_second"].as_f64().unwrap()
        / anchor["redis_benchmark_ops_per_second"].as_f64().unwrap();
    assert!((anchor["ratio"].as_f64().unwrap() - ratio).abs() < 1e-9);
    anchor["command"].as_str().unwrap().to_string()
}

#[test]
fn read_adds_figures_to_every_variant_and_leaves_the_memory_figures_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path(), "", "");
    let p = path.to_str().unwrap();
    let without = json_of(&bench(&[p, "--format", "json"], None));
    let md = dir.path().join("read.md");
    let csv = dir.path().join("read.csv");
    let svg = dir.path().join("read.svg");
    let html = dir.path().join("read.html");
    let mut args = vec![p, "--format", "json"];
    args.extend(READ);
    for out in [&md, &csv, &svg, &html] {
        args.extend(["--out", out.to_str().unwrap()]);
    }
    let with = json_of(&bench(&args, None));
    let commands: Vec<String> = with["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(check_read)
        .collect();
    assert_eq!(commands, ["GET", "HGET", "HMGET"]);
    for (a, b) in without["variants"]
        .as_array()
        .unwrap()
        .iter()
        .zip(with["variants"].as_array().unwrap())
    {
        assert!(a["result"].get("read").is_none());
        assert_eq!(
            a["result"]["dataset_bytes"], b["result"]["dataset_bytes"],
            "{}: --read changed the memory figure",
            a["name"]
        );
    }
    let schema: Json = serde_json::from_str(
        &std::fs::read_to_string(project_file("schema/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&with)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.contains("## Read path"), "{md}");
    assert!(md.contains("redis-benchmark"), "{md}");
    assert!(md.contains("| hash_json_field | "), "{md}");
    let csv = std::fs::read_to_string(csv).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",anchor_ratio"), "{header}");
    assert_eq!(csv.lines().count(), 4);
    // The trade-off chart: relative memory against get calls/s, a labelled point per variant.
    let svg = std::fs::read_to_string(svg).unwrap();
    assert!(svg.contains("get calls/s"), "{svg}");
    for name in ["keys_pickle", "hash_msgpack", "hash_json_field"] {
        assert!(svg.contains(&format!("\n{name}\n")), "{name} in {svg}");
    }
    let html = std::fs::read_to_string(html).unwrap();
    assert!(html.contains("get calls/s"));
}

/// Through `--url`, the server's own command counts show what the workload sent: HMGET of
/// the field and `__expires__` for every record of the field policy, nothing else.
#[test]
fn the_field_policy_reads_expires_with_every_value() {
    let server = redis();
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path(), "", "");
    let url = format!("redis://127.0.0.1:{}/0", server.port());
    let mut args = vec![
        path.to_str().unwrap(),
        "--format",
        "json",
        "--only",
        "hash_json_field",
        "--url",
        &url,
    ];
    args.extend(READ);
    let report = json_of(&bench(&args, None));
    assert_eq!(check_read(&report["variants"][0]), "HMGET");
    let mut conn = server.connect().unwrap();
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut conn)
        .unwrap();
    let calls = |cmd: &str| -> u64 {
        stats
            .lines()
            .find_map(|l| l.strip_prefix(&format!("cmdstat_{cmd}:calls=")))
            .map(|rest| rest.split(',').next().unwrap().parse().unwrap())
            .unwrap_or(0)
    };
    // get 400 + get_multi 400 x 5, and the anchor's 2 keys x 400 from each tool.
    assert_eq!(calls("hmget"), 400 + 2000 + 2 * 400 * 2, "{stats}");
    // HGET only for the report's samples (read before the workload).
    let samples = report["variants"][0]["result"]["samples"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(calls("hget"), samples as u64, "{stats}");
    assert_eq!(calls("get"), 0, "{stats}");
}

#[test]
#[cfg_attr(
    skip_engine_tests,
    ignore = "needs the engines redis-8.6 and valkey-9.1 (REDISADV_SKIP_ENGINE_TESTS=1)"
)]
fn field_ttl_reads_plain_fields_on_an_engine_with_field_expiration() {
    let Some(binary) = engine_binary("redis-8.6", "field_ttl_reads") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let extra = r#"[[variant]]
name = "hash_field_ttl"
codec = "msgpack"
envelope = "raw"
redis_ttl = 3600
layout = "hash"
hash_ttl = "field-ttl"
"#;
    let path = scenario(dir.path(), "", extra);
    let mut args = vec![
        path.to_str().unwrap(),
        "--format",
        "json",
        "--only",
        "hash_field_ttl,hash_json_field",
    ];
    args.extend(READ);
    let report = json_of(&bench(&args, Some(&binary)));
    let commands: Vec<String> = report["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(check_read)
        .collect();
    assert_eq!(commands, ["HMGET", "HGET"]);
}

#[test]
fn bad_read_settings_exit_2_naming_the_flag_or_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path(), "", "");
    let p = path.to_str().unwrap();
    for (flag, value, says) in [
        ("--read-pipeline", "0", "pipeline must be 1 to 1000, got 0"),
        ("--read-connections", "many", "is not a whole number"),
        ("--read-ops", "0", "ops must be 1 to"),
    ] {
        let out = bench(&[p, flag, value], None);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{flag} {value}: {}",
            stderr(&out)
        );
        let e = stderr(&out);
        assert!(e.contains(flag) && e.contains(says), "{flag} {value}: {e}");
        assert!(!e.contains("panicked"), "{e}");
    }
    let out = bench(&[p, "--read-ops", "10000000", "--read-multi", "100"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("ops x multi"), "{}", stderr(&out));
    // The workload reads one server: a cluster run is refused before anything starts.
    let out = bench(&[p, "--read", "--cluster", "3"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--cluster"), "{}", stderr(&out));
    // The scenario's read table: the file, the line (3: after name and baseline) and the key.
    for (read, says) in [
        (
            "read = { connections = 0 }",
            "connections must be 1 to 1000, got 0",
        ),
        ("read = { ops = 10000000, multi = 100 }", "ops x multi"),
        ("read = { depth = 3 }", "depth"),
    ] {
        let path = scenario(dir.path(), read, "");
        let out = bench(&[path.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(2), "{read}: {}", stderr(&out));
        let e = stderr(&out);
        assert!(
            e.contains(&format!("{}:3:", path.display())) && e.contains(says),
            "{read}: {e}"
        );
    }
}

/// `read = { ... }` in the scenario turns the workload on without the flag.
#[test]
fn a_scenario_read_table_runs_the_workload() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(
        dir.path(),
        "read = { connections = 4, pipeline = 8, ops = 400, multi = 5, seed = 9 }",
        "",
    );
    let report = json_of(&bench(
        &[
            path.to_str().unwrap(),
            "--format",
            "json",
            "--only",
            "keys_pickle",
        ],
        None,
    ));
    assert_eq!(check_read(&report["variants"][0]), "GET");
    assert_eq!(report["variants"][0]["result"]["read"]["seed"], 9);
}
