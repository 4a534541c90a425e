//! `hash_ttl = "field-ttl"`: per-field TTLs through hash field expiration (HEXPIRE) on the
//! engines that have it (the cached redis-8.6 and valkey-9.1), refused before anything is
//! written on one that does not (the system's Redis 7.0.15).

use crate::common::{engine_binary, project_file, redis, redis_of, wait_for};
use redisadv::backend::{Backend, BackendConfig, HashTtl};
use redisadv::codec::{Codec, Envelope, Format, Value};
use redisadv::dataset::Key;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// The capable engines and the encoding a 100-field bucket with field TTLs gets on each.
const CAPABLE: [(&str, &str); 2] = [("redis-8.6", "listpackex"), ("valkey-9.1", "hashtable")];

/// 1,000 records of 48 B msgpack (a 46-letter str) in buckets of 100: an on-create baseline
/// and the field-ttl variant.
fn scenario(dir: &Path) -> PathBuf {
    let path = dir.join("field_ttl.toml");
    let text = format!(
        r#"name = "field_ttl"
baseline = "hash_on_create"
[server]
config = "{}"
[dataset]
kind = "custom"
seed = 3
[[dataset.family]]
name = "u"
count = 1000
key = "u:{{i}}"
bucket = "u:{{i / 100}}"
field = "{{i % 100}}"
value = {{ type = "str", min_len = 46, max_len = 46 }}
[[variant]]
name = "hash_on_create"
codec = "msgpack"
envelope = "raw"
redis_ttl = 3600
layout = "hash"
[[variant]]
name = "hash_field_ttl"
codec = "msgpack"
envelope = "raw"
redis_ttl = 3600
layout = "hash"
hash_ttl = "field-ttl"
"#,
        project_file("redis.conf").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn bench(server: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redisadv"));
    cmd.arg("bench").args(args);
    if let Some(server) = server {
        cmd.env("REDISADV_REDIS_SERVER", server);
    }
    cmd.output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn an_engine_without_field_expiration_is_refused_before_any_variant_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path());
    let out_file = dir.path().join("report.json");
    let out = bench(
        Some(Path::new("/usr/bin/redis-server")),
        &[
            path.to_str().unwrap(),
            "--format",
            "json",
            "--out",
            out_file.to_str().unwrap(),
        ],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("Redis 7.0.15") && err.contains("hash_field_ttl") && err.contains("Valkey 9"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // Not even the baseline, which comes first, ran: no report, no variant error.
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(!out_file.exists());
    assert!(!err.contains("variant(s) failed"), "{err}");
}

#[test]
fn a_url_server_without_field_expiration_gets_nothing_written() {
    let server = redis();
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path());
    let url = format!("redis://127.0.0.1:{}/0", server.port());
    let out = bench(None, &[path.to_str().unwrap(), "--url", &url, "--flush"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("Redis 7.0.15") && err.contains("--url"),
        "{err}"
    );
    let mut conn = server.connect().unwrap();
    let keys: u64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
    assert_eq!(keys, 0);
    // A variant that ran cleans up after itself, so the server's command counts tell.
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut conn)
        .unwrap();
    for written in ["cmdstat_hset:", "cmdstat_flushdb:", "cmdstat_exists:"] {
        assert!(
            !stats.contains(written),
            "written before the refusal: {stats}"
        );
    }
}

#[test]
fn field_ttl_needs_a_redis_ttl_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path());
    let text_in = std::fs::read_to_string(&path).unwrap();
    // Drop the field-ttl variant's redis_ttl (the second one).
    let at = text_in.rfind("redis_ttl = 3600\n").unwrap();
    let without = format!("{}{}", &text_in[..at], &text_in[at + 17..]);
    std::fs::write(&path, without).unwrap();
    let out = bench(None, &[path.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("field_ttl.toml:") && err.contains("field-ttl") && err.contains("redis_ttl"),
        "{err}"
    );
}

#[test]
fn commands_show_hexpire_for_the_fields_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args([
            "commands",
            path.to_str().unwrap(),
            "--variant",
            "hash_field_ttl",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let resp = text(&out.stdout);
    // RESP: *104 HEXPIRE u:0 3600 FIELDS 100 0 1 ... 99, once per bucket.
    assert_eq!(
        resp.matches("$7\r\nHEXPIRE\r\n$3\r\nu:0\r\n$4\r\n3600\r\n$6\r\nFIELDS\r\n$3\r\n100\r\n")
            .count(),
        1,
        "{resp:.400}"
    );
    assert_eq!(resp.matches("HEXPIRE").count(), 10);
    assert!(!resp.contains("\r\nEXPIRE\r\n") && !resp.contains("EXISTS"));
}

#[test]
#[cfg_attr(
    skip_engine_tests,
    ignore = "needs the engines redis-8.6 and valkey-9.1 (REDISADV_SKIP_ENGINE_TESTS=1)"
)]
fn bench_reports_field_ttl_encodings_on_capable_engines() {
    for (engine, encoding) in CAPABLE {
        let Some(binary) = engine_binary(
            engine,
            "bench_reports_field_ttl_encodings_on_capable_engines",
        ) else {
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let path = scenario(dir.path());
        let out = bench(
            Some(&binary),
            &[path.to_str().unwrap(), "--format", "json", "--verify"],
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{engine}: {err}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let schema: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(project_file("schema/report.schema.json")).unwrap(),
        )
        .unwrap();
        let errors: Vec<String> = jsonschema::validator_for(&schema)
            .unwrap()
            .iter_errors(&report)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{engine}: {errors:?}");
        let v = &report["variants"][1];
        assert_eq!(v["hash_ttl"], "field-ttl");
        let m = &v["result"];
        assert_eq!(m["verify"]["mismatches"], 0, "{engine}");
        let e = &m["explain"];
        assert_eq!(
            e["encodings"]["measured"][encoding], 10,
            "{engine}: {}",
            e["encodings"]
        );
        assert_eq!(
            e["encodings"]["unexpected"], 0,
            "{engine}: {}",
            e["encodings"]
        );
        // Field TTLs are not keys with a TTL: the expires table holds none.
        assert_eq!(m["keys_with_ttl"], 0, "{engine}");
        assert_eq!(report["variants"][0]["result"]["keys_with_ttl"], 10);
        let base = report["variants"][0]["result"]["dataset_bytes"]
            .as_u64()
            .unwrap();
        let mine = m["dataset_bytes"].as_u64().unwrap();
        assert!(
            mine > base,
            "{engine}: field TTLs cost bytes: {mine} vs {base}"
        );
        assert!(!err.contains("not encoded as predicted"), "{engine}: {err}");
        let why = e["why"].as_str().unwrap();
        assert!(
            why.contains("TTLs per field") && !why.contains("no expires entries"),
            "{engine}: {why}"
        );
    }
}

#[test]
#[cfg_attr(
    skip_engine_tests,
    ignore = "needs the engines redis-8.6 and valkey-9.1 (REDISADV_SKIP_ENGINE_TESTS=1)"
)]
fn the_library_reads_an_expired_field_as_a_miss() {
    for (engine, encoding) in CAPABLE {
        let Some(binary) = engine_binary(engine, "the_library_reads_an_expired_field_as_a_miss")
        else {
            continue;
        };
        let server = redis_of(&binary);
        let mut config = BackendConfig::new(Format::new(Codec::Msgpack, Envelope::Raw));
        config.redis_ttl = Some(1);
        config.hash_ttl = HashTtl::FieldTtl;
        let mut b = Backend::connect(&server.connect_options(), config).unwrap();
        let keys = [Key::hash("b", "f1"), Key::hash("b", "f2")];
        let records: Vec<(Key, Value)> = keys
            .iter()
            .zip([Value::Int(1), Value::Int(2)])
            .map(|(k, v)| (k.clone(), v))
            .collect();
        b.set_multi(&records).unwrap();
        let mut conn = server.connect().unwrap();
        let ttls: Vec<i64> = redis::cmd("HTTL")
            .arg("b")
            .arg("FIELDS")
            .arg(2)
            .arg("f1")
            .arg("f2")
            .query(&mut conn)
            .unwrap();
        assert_eq!(ttls, vec![1, 1], "{engine}");
        let enc: String = redis::cmd("OBJECT")
            .arg("ENCODING")
            .arg("b")
            .query(&mut conn)
            .unwrap();
        assert_eq!(enc, encoding, "{engine}");
        let key_ttl: i64 = redis::cmd("TTL").arg("b").query(&mut conn).unwrap();
        assert_eq!(key_ttl, -1, "{engine}: the key itself has no TTL");
        let got = b.get_multi(&keys).unwrap();
        assert_eq!(
            got.iter()
                .map(|v| v.as_ref().map(|c| c.payload.clone()))
                .collect::<Vec<_>>(),
            vec![Some(Value::Int(1)), Some(Value::Int(2))],
            "{engine}"
        );
        wait_for(
            &format!("{engine}: the fields to expire"),
            Duration::from_secs(10),
            || b.get(&keys[0]).unwrap().is_none(),
        );
        assert!(b.get_multi(&keys).unwrap().iter().all(Option::is_none));
    }
}
