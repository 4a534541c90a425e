//! Issue 10: every variant says why it costs what it costs, in every format, measured on a
//! real private redis-server, through the CLI; and `redisadv init` gives a scenario to
//! start from.

use crate::bench_cli::redisadv;
use crate::common::project_file;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Profiles of about 300 bytes (not the demo), in keys and in buckets of 100, with and
/// without a TTL; one variant raises hash-max-listpack-value past the values.
fn profiles(dir: &Path) -> PathBuf {
    let path = dir.join("profiles.toml");
    let text = format!(
        r#"name = "profiles"
baseline = "keys_ttl"
[server]
config = "{}"
[dataset]
kind = "custom"
seed = 7
[[dataset.family]]
name = "users"
count = 2000
key = "user:{{i}}"
bucket = "users:{{i / 100}}"
field = "{{i % 100}}"
value = {{ type = "dict", fields = {{ name = {{ type = "str", min_len = 8, max_len = 24 }}, bio = {{ type = "text", min_words = 30, max_words = 40 }} }} }}
[[variant]]
name = "keys_ttl"
codec = "msgpack"
envelope = "raw"
redis_ttl = 3600
[[variant]]
name = "keys"
codec = "msgpack"
envelope = "raw"
[[variant]]
name = "hash_ttl"
codec = "msgpack"
envelope = "raw"
redis_ttl = 3600
layout = "hash"
[[variant]]
name = "hash_listpack512"
codec = "msgpack"
envelope = "raw"
redis_ttl = 3600
layout = "hash"
[variant.overrides]
"hash-max-listpack-value" = 512
"#,
        project_file("redis.conf").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn variant<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no variant {name}"))
}

fn explain<'a>(report: &'a Value, name: &str) -> &'a Value {
    &variant(report, name)["result"]["explain"]
}

fn n(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

#[test]
fn profiles_explain_encodings_ttl_cost_breakdown_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = profiles(dir.path());
    let json_path = dir.path().join("r.json");
    let out = redisadv(&[
        "bench",
        scenario.to_str().unwrap(),
        "--quiet",
        "--measure-ttl",
        "--format",
        "table",
        "--out",
        json_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    // Warned before priming, naming the bucket with the largest value and the fix.
    assert!(
        err.contains("warning: variant hash_ttl: 20 of 20 buckets will be hashtables: bucket")
            && err.contains("> hash-max-listpack-value 64; raise it to 512"),
        "{err}"
    );
    assert!(!err.contains("variant hash_listpack512: 20 of 20"), "{err}");
    assert!(err.contains("values are longer than 44 B and will be raw strings"));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();

    // The measured encodings confirm the warnings.
    let hash = explain(&report, "hash_ttl");
    assert_eq!(hash["encodings"]["measured"]["hashtable"], 20, "{hash}");
    assert_eq!(hash["encodings"]["unexpected"], 0);
    assert_eq!(hash["written"]["hash"]["buckets"], 20);
    assert_eq!(hash["written"]["hash"]["fields_max"], 100);
    let listpack = explain(&report, "hash_listpack512");
    assert_eq!(listpack["encodings"]["measured"]["listpack"], 20);
    assert_eq!(listpack["limits"]["hash_max_listpack_value"], 512);
    let keys = explain(&report, "keys");
    assert_eq!(keys["encodings"]["measured"]["raw"], 2000);
    assert_eq!(keys["encodings"]["sampled"], false);
    assert!(keys["written"]["value_bytes"]["mean"].as_f64().unwrap() > 200.0);

    // The TTL's measured cost is the dataset-bytes difference of the TTL and no-TTL keys,
    // byte for byte, and agrees with MEMORY STATS plus the allocator's rounding.
    let ttl = &explain(&report, "keys_ttl")["ttl"];
    let diff = n(&variant(&report, "keys_ttl")["result"]["dataset_bytes"])
        - n(&variant(&report, "keys")["result"]["dataset_bytes"]);
    assert_eq!(n(&ttl["measured_bytes"]), diff, "{ttl}");
    assert_eq!(n(&ttl["derived_bytes"]), diff);
    assert_eq!(n(&ttl["expires_entries"]), 2000);
    assert_eq!(
        n(&ttl["derived_bytes"]),
        n(&ttl["stats_expires_bytes"]) + 8 * 2000
    );
    assert_eq!(
        explain(&report, "keys")["ttl"]["measured_bytes"],
        Value::Null
    );

    // Parts add up to dataset bytes in every variant.
    for v in report["variants"].as_array().unwrap() {
        let parts: i64 = v["result"]["explain"]["breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| n(&p["bytes"]))
            .sum();
        assert_eq!(parts, n(&v["result"]["dataset_bytes"]), "{}", v["name"]);
    }
    assert_eq!(explain(&report, "keys_ttl")["why"], "baseline");
    let why = explain(&report, "keys")["why"].as_str().unwrap();
    assert!(
        why.starts_with('-') && why.contains(": no expires entries (-"),
        "{why}"
    );
    assert!(
        explain(&report, "hash_listpack512")["why"]
            .as_str()
            .unwrap()
            .ends_with("100 fields per listpack bucket")
    );

    // The table on stdout says the same.
    let table = stdout(&out);
    assert!(
        table.contains("hash_ttl: layout hash, hash_ttl on-create"),
        "{table}"
    );
    assert!(table.contains("20 hashtable (all 20 keys checked; as predicted)"));
    assert!(table.contains(&format!("ttl cost   {diff} B")));

    // Re-rendered from the JSON: markdown and CSV carry it too, samples shown once.
    let md = redisadv(&[
        "report",
        json_path.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    let md = stdout(&md);
    assert!(
        md.contains("| hash_ttl | hash | on-create | 20 buckets, 100.0 fields mean, 100 max | - |")
    );
    assert!(md.contains("| hash_listpack512 | hash | on-create | 20 buckets, 100.0 fields mean, 100 max | hash-max-listpack-value=512 |"));
    assert!(md.contains("### keys_ttl, keys\n"), "{md}");
    assert!(md.contains("### hash_ttl, hash_listpack512\n"), "{md}");
    let csv = stdout(&redisadv(&[
        "report",
        json_path.to_str().unwrap(),
        "--format",
        "csv",
    ]));
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = rows
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[0] == "keys_ttl")
        .unwrap();
    assert_eq!(row[col("ttl_bytes")], diff.to_string());
    assert_eq!(row[col("encodings_measured")], *"2000 raw");
}

#[test]
fn explanations_do_not_change_dataset_bytes() {
    // The committed quick report predates the explanations: its figures still hold.
    let out = redisadv(&[
        "bench",
        "scenarios/quick.toml",
        "--only",
        "region_msgpack_raw_hash,region_json_local_int",
        "--quiet",
        "--measure-ttl",
        "--baseline",
        "reports/quick-redis-7.0.json",
        "--max-regression",
        "0%",
        "--allow-missing",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("no regression"), "{}", stderr(&out));
}

#[test]
fn old_reports_still_render_without_explanations() {
    for format in ["table", "markdown", "json", "csv"] {
        let out = redisadv(&[
            "report",
            "tests/fixtures/quick-schema-1.json",
            "--format",
            format,
        ]);
        assert!(out.status.success(), "{format}: {}", stderr(&out));
    }
}

#[test]
fn init_writes_a_scenario_that_runs_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine").join("scenario.toml");
    let out = redisadv(&["init", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("mine/redis.conf").is_file());
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("layout = \"hash\"") && text.contains("kind = \"demo\""));
    let again = redisadv(&["init", path.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists") && stderr(&again).contains("--force"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    let run = redisadv(&[
        "bench",
        path.to_str().unwrap(),
        "--scale",
        "0.01",
        "--quiet",
        "--format",
        "markdown",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stdout(&run).contains("## Why each variant costs what it costs"));
}

#[test]
fn a_server_refusing_config_and_memory_loses_the_explanation_not_the_figures() {
    let server = crate::common::redis();
    let mut conn = server.connect().unwrap();
    redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            "limited",
            "on",
            ">pw-secret-1",
            "~*",
            "&*",
            "+@all",
            "-config",
            "-memory",
        ])
        .query::<()>(&mut conn)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scenario = profiles(dir.path());
    let url = format!("redis://limited:pw-secret-1@127.0.0.1:{}/0", server.port());
    let out = redisadv(&[
        "bench",
        scenario.to_str().unwrap(),
        "-q",
        "--only",
        "hash_ttl",
        "--url",
        &url,
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("assume Redis's defaults"), "{err}");
    // The defaults' 64-byte value limit still predicts the hashtables.
    assert!(err.contains("20 of 20 buckets will be hashtables"), "{err}");
    assert!(
        err.contains("warning: variant hash_ttl: no explanation:"),
        "{err}"
    );
    assert!(!err.contains("pw-secret-1") && !stdout(&out).contains("pw-secret-1"));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &variant(&report, "hash_ttl")["result"];
    assert!(n(&result["dataset_bytes"]) > 0);
    assert!(result.get("explain").is_none(), "{result}");
}
