//! `inspect --url` and `whatif --url` on one node of a private 3-node cluster: every master is
//! read (keys of all nodes, exact counts per pattern with --all, a per-master section), MGET
//! never crosses slots, and nothing changes under an ACL user limited to the read commands.

use crate::bench_cli::redisadv;
use crate::common::cluster;
use crate::inspect::pattern;
use redisadv::cluster::Cluster;
use redisadv::cluster::route::slot_of;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// inspect's read commands, plus what finding the masters takes (INFO, CLUSTER NODES).
const READ_ONLY_ACL: &str = "on >s3cret-pw ~* -@all +scan +pttl +memory|usage +memory|stats \
                             +object|encoding +get +getrange +type +hscan +info +dbsize \
                             +command|info +ping +cluster|nodes";

/// The keys written: per pattern, how many.
const USERS: usize = 600;
const PAGES: usize = 400;
const TAGGED: usize = 50;
const BUCKETS: usize = 30;
const TOTAL: usize = USERS + PAGES + TAGGED + BUCKETS;

/// Writes each key to the node that owns its slot: JSON users with a TTL, text pages
/// without, 50 keys of one hash tag (one slot: one MGET of many keys) and small hashes.
fn seed(cluster: &Cluster) {
    let mut conns: Vec<redis::Connection> = cluster
        .nodes
        .iter()
        .map(|n| n.server.connect().unwrap())
        .collect();
    let mut put = |key: String, cmd: redis::Cmd| {
        let node = cluster.owner(slot_of(key.as_bytes()));
        cmd.query::<()>(&mut conns[node]).unwrap();
    };
    for i in 0..USERS {
        let key = format!("user:{i}");
        let value = format!("{{\"id\": {i}, \"name\": \"user number {i}\"}}");
        put(
            key.clone(),
            redis::cmd("SET")
                .arg(&key)
                .arg(value)
                .arg("EX")
                .arg(3600)
                .clone(),
        );
    }
    for i in 0..PAGES {
        let key = format!("page:{i}:html");
        let value = format!("<html><body>page {i} of the site</body></html>");
        put(key.clone(), redis::cmd("SET").arg(&key).arg(value).clone());
    }
    for i in 0..TAGGED {
        let key = format!("{{feed}}:item:{i}");
        put(
            key.clone(),
            redis::cmd("SET").arg(&key).arg(format!("item {i}")).clone(),
        );
    }
    for i in 0..BUCKETS {
        let key = format!("bucket:{i}");
        let mut cmd = redis::cmd("HSET");
        cmd.arg(&key);
        for f in 0..5 {
            cmd.arg(f).arg(format!("value {i}/{f}"));
        }
        put(key, cmd);
    }
}

/// A node's keys: each one's DUMP and absolute expiry (PEXPIRETIME).
type Keys = BTreeMap<Vec<u8>, (Vec<u8>, i64)>;

/// Per node, every key's DUMP and expiry.
fn snapshot(cluster: &Cluster) -> Vec<Keys> {
    cluster
        .nodes
        .iter()
        .map(|n| {
            let mut c = n.server.connect().unwrap();
            let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
            keys.into_iter()
                .map(|k| {
                    let dump: Vec<u8> = redis::cmd("DUMP").arg(&k).query(&mut c).unwrap();
                    let at: i64 = redis::cmd("PEXPIRETIME").arg(&k).query(&mut c).unwrap();
                    (k, (dump, at))
                })
                .collect()
        })
        .collect()
}

/// The cluster, seeded, with the read-only user on every node (ACLs are per node).
fn seeded_cluster() -> Cluster {
    let cluster = cluster(3);
    seed(&cluster);
    for node in &cluster.nodes {
        let mut admin = node.server.connect().unwrap();
        let acl: Vec<&str> = READ_ONLY_ACL.split_whitespace().collect();
        for (user, rules) in [("inspector", &acl[..]), ("narrow", &acl[..acl.len() - 1])] {
            redis::cmd("ACL")
                .arg("SETUSER")
                .arg(user)
                .arg(rules)
                .query::<()>(&mut admin)
                .unwrap();
        }
    }
    cluster
}

fn url_of(cluster: &Cluster, node: usize) -> String {
    format!(
        "redis://inspector:s3cret-pw@127.0.0.1:{}/0",
        cluster.nodes[node].server.port()
    )
}

fn json(out: &std::process::Output) -> Json {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {err}", out.status);
    assert!(!err.contains("s3cret-pw"), "the password was printed");
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn inspect_on_one_node_reads_every_master_and_changes_nothing() {
    let cluster = seeded_cluster();
    let dbsizes: Vec<u64> = cluster
        .nodes
        .iter()
        .map(|n| {
            let mut c = n.server.connect().unwrap();
            redis::cmd("DBSIZE").query(&mut c).unwrap()
        })
        .collect();
    assert!(dbsizes.iter().all(|&d| d > 0), "{dbsizes:?}");
    let before = snapshot(&cluster);
    let url = url_of(&cluster, 1);
    let report = json(&redisadv(&[
        "inspect", "--url", &url, "--all", "--format", "json",
    ]));
    assert_eq!(report["mode"], "all");
    assert_eq!(report["keys_inspected"], TOTAL);
    assert_eq!(report["dbsize"], TOTAL);
    for (name, keys, format) in [
        ("user:{n}", USERS, "json"),
        ("page:{n}:html", PAGES, "text"),
        ("{feed}:item:{n}", TAGGED, "text"),
    ] {
        let p = pattern(&report, name);
        assert_eq!(p["keys"], keys as f64, "{name}");
        assert_eq!(p["formats"][format], keys, "{name}: {:#}", p["formats"]);
    }
    let buckets = pattern(&report, "bucket:{n}");
    assert_eq!(buckets["types"]["hash"], BUCKETS);
    let users = pattern(&report, "user:{n}");
    assert_eq!(users["ttl"]["with"], USERS);
    assert!(users["expires_bytes"].as_f64().unwrap() > 0.0);
    assert_eq!(report["total"]["keys"], TOTAL as f64);
    // One line per master, each with its own DBSIZE; used_memory is their sum.
    let nodes = report["cluster"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3, "{:#}", report["cluster"]);
    for (node, (n, dbsize)) in nodes.iter().zip(cluster.nodes.iter().zip(&dbsizes)) {
        assert_eq!(node["node"], format!("127.0.0.1:{}", n.server.port()));
        assert_eq!(node["keys"], *dbsize);
        assert_eq!(node["keys_inspected"], *dbsize);
    }
    let used: u64 = nodes
        .iter()
        .map(|n| n["used_memory"].as_u64().unwrap())
        .sum();
    assert_eq!(report["used_memory"], used);
    // The table and Markdown carry the per-master section.
    for (format, says) in [("table", "\nPer master\n"), ("markdown", "## Per master")] {
        let out = redisadv(&["inspect", "--url", &url, "--all", "--format", format]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains(says),
            "{format}: {text}"
        );
        for n in &cluster.nodes {
            assert!(
                text.contains(&format!("127.0.0.1:{}", n.server.port())),
                "{text}"
            );
        }
        assert!(!text.contains("s3cret-pw"));
    }
    assert_eq!(snapshot(&cluster), before, "inspect changed a key");
}

#[test]
fn a_cluster_sample_is_split_by_dbsize_and_extrapolated_per_master() {
    let cluster = seeded_cluster();
    let url = url_of(&cluster, 0);
    let report = json(&redisadv(&[
        "inspect", "--url", &url, "--sample", "300", "--count", "40", "--format", "json",
    ]));
    assert_eq!(report["mode"], "sample");
    let read = report["keys_inspected"].as_u64().unwrap();
    assert!((300..TOTAL as u64).contains(&read), "{read}");
    // Each master's keys are extrapolated to its own DBSIZE: the total is exact.
    let total = report["total"]["keys"].as_f64().unwrap();
    assert!((total - TOTAL as f64).abs() < 1e-6, "{total}");
    assert!(
        report["cluster"]["sampling"]
            .as_str()
            .unwrap()
            .contains("DBSIZE")
    );
    for n in report["cluster"]["nodes"].as_array().unwrap() {
        let inspected = n["keys_inspected"].as_u64().unwrap();
        assert!(
            inspected > 0 && inspected < n["keys"].as_u64().unwrap(),
            "{n}"
        );
    }
    // A user without CLUSTER NODES is told what the walk needs.
    let narrow = url.replace("inspector:", "narrow:");
    let out = redisadv(&["inspect", "--url", &narrow, "--all"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("+cluster|nodes") && !err.contains("s3cret-pw"),
        "{err}"
    );
    for (name, truth) in [("user:{n}", USERS), ("page:{n}:html", PAGES)] {
        let p = pattern(&report, name);
        let (keys, ci) = (
            p["keys"].as_f64().unwrap(),
            p["keys_ci95"].as_f64().unwrap(),
        );
        assert!(ci > 0.0, "{name}: a sample states its uncertainty");
        assert!(
            (keys - truth as f64).abs() <= 2.0 * ci,
            "{name}: {keys} ±{ci}, truth {truth}"
        );
    }
}

#[test]
fn whatif_on_a_cluster_node_samples_every_master() {
    let cluster = seeded_cluster();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("users.jsonl.gz");
    let out = redisadv(&[
        "whatif",
        "--url",
        &url_of(&cluster, 2),
        "--match",
        "user:*",
        "--sample",
        "5000",
        "--only",
        "region_redis",
        "--save-sample",
        saved.to_str().unwrap(),
        "--format",
        "json",
        "-q",
    ]);
    let report = json(&out);
    // Every user of every master was read (the sample asked for more than there are).
    assert_eq!(report["sampled_records"], USERS, "{report:#}");
    assert_eq!(report["sample"]["population_keys"], USERS as f64);
    assert_eq!(report["sample"]["pattern"], "user:{n}");
    assert!(saved.is_file());
}
