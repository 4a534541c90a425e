//! `inspect` and `whatif` on the seeded fixture (scripts/seed-fixture): read-only under an
//! ACL user allowed only read commands, grouping, formats, TTLs, extrapolation within its
//! stated interval, --rdb through a private server, whatif projections and the payloads a
//! serializer cannot encode.

use crate::bench_cli::redisadv;
use crate::common::json;
use crate::common::redis;
use redisadv::server::RedisServer;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The commands inspect and whatif use, and nothing else.
const READ_ONLY_ACL: &str = "on >s3cret-pw ~* -@all +scan +pttl +memory|usage +memory|stats \
                             +object|encoding +get +getrange +type +hscan +info +dbsize \
                             +command|info +ping";

fn seeded(count: u64) -> RedisServer {
    let server = redis();
    let out = redisadv(&[
        "seed-fixture",
        "--url",
        &url(&server),
        "--count",
        &count.to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server
}

fn url(server: &RedisServer) -> String {
    format!("redis://127.0.0.1:{}/0", server.port())
}

/// Every key's DUMP and absolute expiry (PEXPIRETIME), to compare before and after.
fn snapshot(server: &RedisServer) -> BTreeMap<Vec<u8>, (Vec<u8>, i64)> {
    let mut c = server.connect().unwrap();
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
    keys.into_iter()
        .map(|k| {
            let dump: Vec<u8> = redis::cmd("DUMP").arg(&k).query(&mut c).unwrap();
            let at: i64 = redis::cmd("PEXPIRETIME").arg(&k).query(&mut c).unwrap();
            (k, (dump, at))
        })
        .collect()
}

/// The report's row for pattern `name`.
pub fn pattern<'a>(report: &'a Json, name: &str) -> &'a Json {
    report["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pattern"] == name)
        .unwrap_or_else(|| panic!("no pattern {name} in {report:#}"))
}

#[test]
fn inspect_reads_only_and_groups_the_fixture_by_pattern_and_format() {
    let server = seeded(300);
    let mut admin = server.connect().unwrap();
    redis::cmd("ACL")
        .arg("SETUSER")
        .arg("inspector")
        .arg(READ_ONLY_ACL.split_whitespace().collect::<Vec<_>>())
        .query::<()>(&mut admin)
        .unwrap();
    let before = snapshot(&server);
    let url = format!("redis://inspector:s3cret-pw@127.0.0.1:{}/0", server.port());
    let out = redisadv(&["inspect", "--url", &url, "--all", "--format", "json"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("s3cret-pw"), "the password was printed");
    let report = json(&out);
    assert_eq!(snapshot(&server), before, "inspect changed a key");
    assert_eq!(report["mode"], "all");
    assert_eq!(report["keys_inspected"], 300 * 9 + 6);
    let expect = [
        ("user:{n}", "dogpile/pickle"),
        ("session:{uuid}", "dogpile/json"),
        ("product:{n}", "dogpile/msgpack"),
        ("legacy:{n}", "dogpile-tuple/pickle"),
        ("page:{n}:html", "text"),
        ("cfg:{n}", "json"),
        ("blob:{hex}", "binary"),
        ("zip:{n}", "zlib"),
        ("obj:{n}", "dogpile/pickle"),
    ];
    for (name, format) in expect {
        let p = pattern(&report, name);
        assert_eq!(p["keys"], 300.0, "{name}");
        assert_eq!(p["formats"][format], 300, "{name}: {:#}", p["formats"]);
    }
    let buckets = pattern(&report, "bucket:{n}");
    assert_eq!(buckets["types"]["hash"], 6);
    assert_eq!(buckets["encodings"]["listpack"], 6);
    // TTL coverage, and the expires table's share added to MEMORY USAGE.
    let user = pattern(&report, "user:{n}");
    assert_eq!(user["ttl"]["with"], 300);
    let max = user["ttl"]["max_seconds"].as_f64().unwrap();
    assert!(max <= 3600.0 && max > 3500.0, "{max}");
    assert!(user["expires_bytes"].as_f64().unwrap() >= 300.0 * 24.0);
    assert_eq!(
        user["bytes"].as_f64().unwrap(),
        user["memory_usage_bytes"].as_f64().unwrap() + user["expires_bytes"].as_f64().unwrap()
    );
    let page = pattern(&report, "page:{n}:html");
    assert_eq!(page["ttl"]["none"], 300);
    assert_eq!(page["expires_bytes"], 0.0);
    assert!(page["mean_value_bytes"].as_f64().unwrap() > 20.0);
    // The other formats render the same rows.
    for format in ["table", "markdown", "csv"] {
        let out = redisadv(&["inspect", "--url", &url, "--all", "--format", format]);
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("session:{uuid}") && !text.contains("s3cret-pw"),
            "{text}"
        );
    }
    assert_eq!(snapshot(&server), before, "inspect changed a key");
}

#[test]
fn a_sample_extrapolates_within_its_stated_interval() {
    let server = seeded(1500);
    let truth = json(&redisadv(&[
        "inspect",
        "--url",
        &url(&server),
        "--all",
        "--format",
        "json",
    ]));
    let sample = json(&redisadv(&[
        "inspect",
        "--url",
        &url(&server),
        "--sample",
        "3000",
        "--count",
        "500",
        "--format",
        "json",
    ]));
    assert_eq!(sample["mode"], "sample");
    let read = sample["keys_inspected"].as_u64().unwrap();
    assert!((3000..1500 * 9 + 30).contains(&read), "{read}");
    for name in ["user:{n}", "session:{uuid}", "page:{n}:html", "blob:{hex}"] {
        let (t, s) = (pattern(&truth, name), pattern(&sample, name));
        for (figure, ci) in [("keys", "keys_ci95"), ("bytes", "bytes_ci95")] {
            let (t, s, ci) = (
                t[figure].as_f64().unwrap(),
                s[figure].as_f64().unwrap(),
                s[ci].as_f64().unwrap(),
            );
            assert!(ci > 0.0, "{name}: a sample states its uncertainty");
            // Twice the 95% half-width: about four standard errors.
            assert!(
                (s - t).abs() <= 2.0 * ci,
                "{name} {figure}: {s} ±{ci}, truth {t}"
            );
        }
    }
}

#[test]
fn inspect_rdb_loads_a_copy_into_a_private_server() {
    let server = seeded(200);
    let mut c = server.connect().unwrap();
    redis::cmd("SAVE").query::<()>(&mut c).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rdb = dir.path().join("dump.rdb");
    std::fs::copy(server.dir().join("dump.rdb"), &rdb).unwrap();
    let original = std::fs::read(&rdb).unwrap();
    let live = json(&redisadv(&[
        "inspect",
        "--url",
        &url(&server),
        "--all",
        "--format",
        "json",
    ]));
    let out = redisadv(&[
        "inspect",
        "--rdb",
        rdb.to_str().unwrap(),
        "--all",
        "--format",
        "json",
    ]);
    let report = json(&out);
    assert!(report["target"].as_str().unwrap().contains("dump.rdb"));
    assert_eq!(report["keys_inspected"], live["keys_inspected"]);
    for name in ["user:{n}", "obj:{n}", "zip:{n}"] {
        assert_eq!(
            pattern(&report, name)["formats"],
            pattern(&live, name)["formats"]
        );
        assert_eq!(
            pattern(&report, name)["ttl"]["with"],
            pattern(&live, name)["ttl"]["with"]
        );
    }
    assert_eq!(
        std::fs::read(&rdb).unwrap(),
        original,
        "the file was changed"
    );
}

#[test]
fn bad_sources_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let not_rdb = dir.path().join("notes.txt");
    std::fs::write(&not_rdb, "hello, not an rdb").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["inspect"], "--url"),
        (
            vec!["inspect", "--rdb", "/nonexistent/dump.rdb"],
            "no such file",
        ),
        (
            vec!["inspect", "--rdb", not_rdb.to_str().unwrap()],
            "not an RDB file",
        ),
        (
            vec!["inspect", "--url", "http://u:pw9@h/0"],
            "not a Redis URL",
        ),
        (vec!["whatif", "--url", "redis://127.0.0.1:1/0"], "--match"),
        (
            vec!["whatif", "--from-sample", not_rdb.to_str().unwrap()],
            "notes.txt",
        ),
    ];
    for (args, says) in cases {
        let out = redisadv(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("panicked") && !err.contains("pw9"), "{err}");
    }
}

/// `--format svg` is a well-formed chart with one labelled bar per pattern; `--format html`
/// is one self-contained page holding that chart and the table.
#[test]
fn inspect_draws_bytes_per_pattern_as_svg_and_html() {
    let server = seeded(50);
    let out = redisadv(&[
        "inspect",
        "--url",
        &url(&server),
        "--all",
        "--format",
        "json",
    ]);
    let report = json(&out);
    let patterns: Vec<String> = report["patterns"]
        .as_array()
        .expect("patterns")
        .iter()
        .map(|p| p["pattern"].as_str().expect("name").to_string())
        .collect();
    assert!(patterns.len() >= 5, "{patterns:?}");
    let out = redisadv(&[
        "inspect",
        "--url",
        &url(&server),
        "--all",
        "--format",
        "svg",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = String::from_utf8(out.stdout).expect("UTF-8");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    for p in &patterns {
        assert_eq!(
            texts.iter().filter(|t| *t == p).count(),
            1,
            "one bar label for {p}: {texts:?}"
        );
    }
    let out = redisadv(&[
        "inspect",
        "--url",
        &url(&server),
        "--all",
        "--format",
        "html",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<svg"),
        "{html}"
    );
    // Nothing fetched: no script, no src or href to anywhere (the SVG namespace is a name).
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
    for p in &patterns {
        assert!(
            html.contains(&format!("<td>{p}</td>")),
            "{p} row in the table"
        );
    }
}
