//! `bench --cluster N` / `[server] cluster = { nodes = N }`: a real private cluster, every
//! record routed to its slot's node and read back, per-node figures that add up, the skew of
//! a few big buckets, no node left behind, and bad node counts refused.

use crate::common::{engine_binary, processes_under, project_file, wait_for};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// 10,000 records: plain keys (MSET per call of 100, split per slot), SETEX keys, and 20
/// hash buckets of 500 fields (EXPIRE on creation).
fn cluster_scenario(dir: &Path, cluster: &str) -> PathBuf {
    let path = dir.join("cluster.toml");
    let text = format!(
        r#"name = "cluster-test"
baseline = "keys"
clock = "fixed"
[server]
config = "{}"
{cluster}
[dataset]
kind = "custom"
seed = 7
[[dataset.family]]
name = "items"
count = 10000
per_call = 100
key = "item:{{i}}"
bucket = "items:{{i / 500}}"
field = "{{i % 500}}"
value = {{ type = "dict", fields = {{ name = {{ type = "str", min_len = 8, max_len = 24 }}, n = {{ type = "int", min = 1, max = 1000 }} }} }}
[[variant]]
name = "keys"
codec = "msgpack"
envelope = "raw"
layout = "keys"
[[variant]]
name = "keys_ttl"
codec = "pickle"
envelope = "dogpile"
redis_ttl = 3600
layout = "keys"
[[variant]]
name = "hash_ttl"
codec = "msgpack"
envelope = "raw"
redis_ttl = 3600
layout = "hash"
hash_ttl = "on-create"
"#,
        project_file("redis.conf").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// redisadv with a private TMPDIR, so its servers can be found (and missed) afterwards.
fn redisadv(tmp: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redisadv"));
    cmd.args(args).env("TMPDIR", tmp);
    cmd
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_nothing_left(tmp: &Path) {
    let limit = Duration::from_secs(10);
    wait_for("every node process to end", limit, || {
        processes_under(tmp).is_empty()
    });
    wait_for("every node directory to go", limit, || {
        std::fs::read_dir(tmp).unwrap().next().is_none()
    });
}

fn sandbox() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let tmp = root.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    (root, tmp)
}

fn run_json(tmp: &Path, args: &[&str]) -> serde_json::Value {
    let out = redisadv(tmp, args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_three_node_cluster_gets_every_record_on_its_slots_node() {
    let (root, tmp) = sandbox();
    let scenario = cluster_scenario(root.path(), "");
    let report = run_json(
        &tmp,
        &[
            "bench",
            scenario.to_str().unwrap(),
            "--cluster",
            "3",
            "--verify",
            "--format",
            "json",
            "-q",
        ],
    );
    assert_eq!(report["redis"]["target"], "private cluster of 3 nodes");
    for v in report["variants"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        let m = &v["result"];
        assert!(v["error"].is_null(), "{name}: {}", v["error"]);
        // Every record read back through routing, byte for byte.
        assert_eq!(m["verify"]["records"], 10_000, "{name}");
        assert_eq!(m["verify"]["mismatches"], 0, "{name}: {}", m["verify"]);
        let nodes = m["cluster"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 3, "{name}");
        let keys: Vec<u64> = nodes.iter().map(|n| n["keys"].as_u64().unwrap()).collect();
        assert!(
            keys.iter().all(|&k| k > 0),
            "{name}: a node without keys: {keys:?}"
        );
        let want = if name == "hash_ttl" { 20 } else { 10_000 };
        assert_eq!(keys.iter().sum::<u64>(), want, "{name}: {keys:?}");
        assert_eq!(m["keys"], want, "{name}");
        let bytes: u64 = nodes
            .iter()
            .map(|n| n["dataset_bytes"].as_u64().unwrap())
            .sum();
        assert_eq!(m["dataset_bytes"].as_u64().unwrap(), bytes, "{name}");
        let skew = m["cluster"]["skew"].as_f64().unwrap();
        if name == "hash_ttl" {
            // 20 buckets of the same size cannot spread evenly over 3 nodes.
            assert!(skew > 1.1, "{name}: skew {skew}");
        } else {
            assert!((1.0..1.1).contains(&skew), "{name}: skew {skew}");
        }
        let baseline = &m["cluster"]["slot_baseline"];
        assert!(
            baseline["every_slot_bytes"].as_u64().unwrap() > 0,
            "{baseline}"
        );
    }
    // MSET is split per slot: 10,000 keys over 16,384 slots leave few slots with two keys
    // of one call, so there are nearly as many commands as keys; SETEX is one per key.
    let keys = &report["variants"][0]["result"];
    assert!(
        keys["commands"].as_u64().unwrap() > 9_000,
        "{}",
        keys["commands"]
    );
    assert_eq!(report["variants"][1]["result"]["commands"], 10_000);
    assert_nothing_left(&tmp);
}

#[test]
fn the_scenario_names_the_cluster_and_the_report_shows_its_nodes() {
    let (root, tmp) = sandbox();
    let scenario = cluster_scenario(root.path(), "cluster = { nodes = 2 }");
    let out = redisadv(
        &tmp,
        &[
            "bench",
            scenario.to_str().unwrap(),
            "--only",
            "hash_ttl",
            "--format",
            "markdown",
            "-q",
        ],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("## Cluster: 2 nodes"), "{text}");
    assert!(text.contains("node 1 (slots 8192-16383)"), "{text}");
    assert!(text.contains("per non-empty slot"), "{text}");
    assert_nothing_left(&tmp);
}

#[test]
fn a_sigkill_of_redisadv_leaves_no_cluster_node() {
    let (root, tmp) = sandbox();
    let scenario = cluster_scenario(root.path(), "cluster = { nodes = 3 }");
    let child = redisadv(&tmp, &["bench", scenario.to_str().unwrap(), "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("three cluster nodes", Duration::from_secs(30), || {
        processes_under(&tmp).len() >= 3
    });
    let status = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), None, "killed by the signal");
    assert_nothing_left(&tmp);
}

#[test]
fn bad_node_counts_exit_2_naming_the_flag_or_the_line() {
    let (root, tmp) = sandbox();
    let scenario = cluster_scenario(root.path(), "");
    let path = scenario.to_str().unwrap();
    for (value, says) in [
        ("0", "at least 1 node"),
        ("17", "at most 16"),
        ("three", "not a whole number"),
        ("-2", "at least 1 node"),
    ] {
        let flag = format!("--cluster={value}");
        let out = redisadv(&tmp, &["bench", path, &flag, "-q"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "--cluster {value}: {}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(err.contains("--cluster") && err.contains(says), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let bad = cluster_scenario(root.path(), "cluster = { nodes = 0 }");
    let out = redisadv(&tmp, &["bench", bad.to_str().unwrap(), "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cluster.toml:6:") && err.contains("[server] cluster nodes"),
        "{err}"
    );
    let out = redisadv(
        &tmp,
        &[
            "bench",
            path,
            "--cluster",
            "3",
            "--url",
            "redis://127.0.0.1:1/0",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--url"), "{}", stderr(&out));
    assert!(processes_under(&tmp).is_empty());
}

/// Redis 8.6 keeps about 2.4 KB per slot that holds a key, and counts memory per slot.
#[test]
#[cfg_attr(
    skip_engine_tests,
    ignore = "needs the engines redis-8.6 and valkey-9.1 (REDISADV_SKIP_ENGINE_TESTS=1)"
)]
fn redis_8_6_shows_its_per_slot_cost_and_top_slots() {
    let Some(binary) = engine_binary("redis-8.6", "redis_8_6_shows_its_per_slot_cost") else {
        return;
    };
    let (root, tmp) = sandbox();
    let scenario = cluster_scenario(root.path(), "cluster = { nodes = 3 }");
    let engine = format!("redis-8.6={}", binary.display());
    let report = run_json(
        &tmp,
        &[
            "bench",
            scenario.to_str().unwrap(),
            "--only",
            "hash_ttl",
            "--engine",
            &engine,
            "--format",
            "json",
            "-q",
        ],
    );
    let c = &report["variants"][0]["result"]["cluster"];
    let per_slot = c["slot_baseline"]["per_slot_bytes"].as_f64().unwrap();
    assert!((1_500.0..4_000.0).contains(&per_slot), "{per_slot}");
    let top = c["top_slots"].as_array().unwrap();
    assert_eq!(top.len(), 10, "{c}");
    // The 20 buckets are the 20 fullest slots, one key each, largest first.
    assert!(top.iter().all(|s| s["keys"] == 1), "{c}");
    let bytes: Vec<u64> = top
        .iter()
        .map(|s| s["memory_bytes"].as_u64().unwrap())
        .collect();
    assert!(bytes.windows(2).all(|w| w[0] >= w[1]), "{bytes:?}");
    assert!(bytes[9] > 10_000, "{bytes:?}");
    assert_nothing_left(&tmp);
}

/// From any one node, every master is found with its slots (what inspect --url walks).
#[test]
fn every_master_is_found_from_one_node() {
    let cluster = crate::common::cluster(3);
    let asked = cluster.nodes[1].server.connect_options();
    let masters = redisadv::inspect::discover::masters(&asked)
        .unwrap()
        .expect("a cluster node");
    let got: Vec<(u16, Vec<(u16, u16)>)> =
        masters.iter().map(|m| (m.port, m.slots.clone())).collect();
    let want: Vec<(u16, Vec<(u16, u16)>)> = cluster
        .nodes
        .iter()
        .map(|n| (n.server.port(), vec![n.slots]))
        .collect();
    assert_eq!(got, want);
    // A standalone server is no cluster.
    let single = crate::common::redis();
    assert_eq!(
        redisadv::inspect::discover::masters(&single.connect_options()).unwrap(),
        None
    );
}
