//! `inspect --rdb` streaming real dumps written by redis-server: every object the reader
//! extracts equals the server's DUMP (so the CRC64 footer is Redis's), --all gives exactly
//! the MEMORY USAGE SAMPLES 0 of the live keys, a sample lands within its interval, and
//! truncated or corrupted files give an error naming the offset, never a panic.

use crate::bench_cli::redisadv;
use crate::common::json;
use crate::common::redis;
use redisadv::rdb_stream::payload::dump_payload;
use redisadv::rdb_stream::reader::RdbReader;
use redisadv::server::RedisServer;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A server holding every type and encoding (small and large), TTLs, two databases and a
/// function library, saved; returns the server and a copy of its dump. `reload`: the server
/// then loads the dump (DEBUG RELOAD) and holds exactly what loading the file gives (HSET's
/// values carry spare bytes a loaded value has not), in another order.
fn mixed(dir: &Path, reload: bool) -> (RedisServer, PathBuf) {
    let server = redis();
    let mut c = server.connect().unwrap();
    let mut p = redis::pipe();
    for i in 0..300 {
        p.cmd("SET")
            .arg(format!("user:{i}"))
            .arg(format!("{{\"name\": \"u{i}\", \"n\": {i}}}"));
        p.cmd("SET")
            .arg(format!("page:{i}"))
            .arg("x".repeat(100 + i * 7))
            .arg("EX")
            .arg(3600 + i);
        p.cmd("SET").arg(format!("count:{i}")).arg(i * 1000);
        p.cmd("HSET")
            .arg(format!("prof:{i}"))
            .arg("a")
            .arg(i)
            .arg("b")
            .arg("yy".repeat(i % 40));
    }
    for i in 0..20 {
        let big: Vec<String> = (0..300)
            .map(|j| format!("v{j}-{}", "z".repeat(j % 90)))
            .collect();
        let mut h = redis::cmd("HSET");
        h.arg(format!("bighash:{i}"));
        for (j, v) in big.iter().enumerate() {
            h.arg(format!("f{j}")).arg(v);
        }
        p.add_command(h);
        p.cmd("RPUSH").arg(format!("list:{i}")).arg(&big);
        p.cmd("SADD")
            .arg(format!("ints:{i}"))
            .arg((0..50).collect::<Vec<i32>>());
        p.cmd("SADD").arg(format!("tags:{i}")).arg(&big[..40]);
        p.cmd("SADD").arg(format!("bigset:{i}")).arg(&big);
        let mut z = redis::cmd("ZADD");
        z.arg(format!("rank:{i}"));
        for (j, v) in big
            .iter()
            .enumerate()
            .take(if i % 2 == 0 { 50 } else { 300 })
        {
            z.arg(j as f64 * 1.5).arg(v);
        }
        p.add_command(z);
        for j in 0..30 {
            p.cmd("XADD")
                .arg(format!("ev:{i}"))
                .arg("*")
                .arg("k")
                .arg(j);
        }
        p.cmd("XGROUP")
            .arg("CREATE")
            .arg(format!("ev:{i}"))
            .arg("g")
            .arg("0");
        p.cmd("XREADGROUP")
            .arg("GROUP")
            .arg("g")
            .arg("c1")
            .arg("COUNT")
            .arg(5)
            .arg("STREAMS")
            .arg(format!("ev:{i}"))
            .arg(">");
    }
    // Incompressible, so it stays the largest in the file too (LZF shrinks repeats).
    let mut x = 88172645463325252u64;
    let huge: Vec<u8> = (0..300_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    p.cmd("SET").arg("huge:1").arg(huge);
    p.cmd("SELECT").arg(1);
    p.cmd("SET").arg("user:1").arg("in db 1");
    p.cmd("SELECT").arg(0);
    p.cmd("FUNCTION")
        .arg("LOAD")
        .arg("#!lua name=lib\nredis.register_function('f', function() return 1 end)");
    p.query::<()>(&mut c).unwrap();
    redis::cmd("SAVE").query::<()>(&mut c).unwrap();
    if reload {
        redis::cmd("DEBUG")
            .arg("RELOAD")
            .query::<()>(&mut c)
            .unwrap();
    }
    let path = dir.join("dump.rdb");
    std::fs::copy(server.dir().join("dump.rdb"), &path).unwrap();
    (server, path)
}

fn rows(report: &Json) -> BTreeMap<String, Json> {
    report["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["pattern"].as_str().unwrap().to_string(), p.clone()))
        .collect()
}

/// MEMORY USAGE SAMPLES 0 summed per pattern over the live server's db 0.
fn live_memory(server: &RedisServer) -> BTreeMap<String, u64> {
    let mut c = server.connect().unwrap();
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
    let mut out = BTreeMap::new();
    for k in keys {
        let m: u64 = redis::cmd("MEMORY")
            .arg("USAGE")
            .arg(&k)
            .arg("SAMPLES")
            .arg(0)
            .query(&mut c)
            .unwrap();
        *out.entry(redisadv::inspect::pattern::derive(&k))
            .or_default() += m;
    }
    out
}

#[test]
fn every_object_read_equals_the_servers_dump() {
    let dir = tempfile::tempdir().unwrap();
    let (server, path) = mixed(dir.path(), false);
    let mut c = server.connect().unwrap();
    let mut reader = RdbReader::open(&path).unwrap();
    let mut seen = 0;
    while let Some(e) = reader.next(true).unwrap() {
        if e.db != 0 {
            continue;
        }
        let dump: Vec<u8> = redis::cmd("DUMP").arg(&e.key).query(&mut c).unwrap();
        let ours = dump_payload(e.object.as_deref().unwrap(), reader.version as u16);
        assert!(
            ours == dump,
            "{}: our payload differs from DUMP's",
            String::from_utf8_lossy(&e.key)
        );
        assert_eq!(e.object_bytes as usize + 10, dump.len());
        seen += 1;
    }
    assert_eq!(seen, redis::cmd("DBSIZE").query::<usize>(&mut c).unwrap());
}

#[test]
fn all_measures_every_key_exactly_and_a_sample_within_its_interval() {
    let dir = tempfile::tempdir().unwrap();
    let (server, path) = mixed(dir.path(), true);
    let truth = live_memory(&server);
    let file = path.to_str().unwrap();
    let all = json(&redisadv(&[
        "inspect", "--rdb", file, "--all", "--top", "100", "--format", "json",
    ]));
    assert_eq!(all["mode"], "all");
    let got = rows(&all);
    assert_eq!(
        got.len(),
        truth.len(),
        "{:?}",
        got.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &truth {
        let ours = got[name]["memory_usage_bytes"].as_f64().unwrap();
        if name.starts_with("rank:") {
            // A skiplist node's level is drawn at random on every load: 0.1% apart or so.
            assert!(
                (ours / *bytes as f64 - 1.0).abs() < 0.01,
                "{name}: {ours} vs {bytes}"
            );
        } else {
            assert_eq!(ours, *bytes as f64, "{name}");
        }
    }
    assert_eq!(got["page:{n}"]["ttl"]["with"], 300);
    assert_eq!(got["user:{n}"]["formats"]["json"], 300);
    assert_eq!(got["ints:{n}"]["encodings"]["intset"], 20);
    let dbs = all["rdb"]["databases"].as_array().unwrap();
    assert_eq!(dbs.len(), 2, "{dbs:?}");
    assert_eq!(all["rdb"]["largest_keys"][0]["key"], "huge:1");

    let sample = json(&redisadv(&[
        "inspect", "--rdb", file, "--sample", "40", "--top", "100", "--format", "json",
    ]));
    assert_eq!(sample["mode"], "sample");
    for (name, row) in rows(&sample) {
        let want = truth[&name] as f64;
        let (est, ci) = (
            row["memory_usage_bytes"].as_f64().unwrap(),
            row["bytes_ci95"].as_f64().unwrap(),
        );
        assert_eq!(
            row["keys"], got[&name]["keys"],
            "{name}: keys are counted, not sampled"
        );
        assert!(row["inspected"].as_u64().unwrap() <= 40, "{name}");
        let slack = if name.starts_with("rank:") {
            0.01
        } else {
            1e-6
        };
        assert!(
            (est - want).abs() <= 2.0 * ci + slack * want,
            "{name}: {est} ± {ci} vs {want}"
        );
    }
}

#[test]
fn truncated_or_corrupted_files_name_the_offset_and_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, path) = mixed(dir.path(), false);
    let bytes = std::fs::read(&path).unwrap();
    let broken = dir.path().join("broken.rdb");
    let read_all = |data: &[u8]| -> Result<u64, String> {
        std::fs::write(&broken, data).unwrap();
        let mut r = RdbReader::open(&broken).map_err(|e| e.to_string())?;
        let mut n = 0;
        while r.next(false).map_err(|e| e.to_string())?.is_some() {
            n += 1;
        }
        Ok(n)
    };
    assert!(read_all(&bytes).is_ok());
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for _ in 0..150 {
        let cut = (next() % bytes.len() as u64) as usize;
        let err = read_all(&bytes[..cut]).expect_err("a truncated file is an error");
        assert!(
            err.contains("byte") || err.contains("header"),
            "cut {cut}: {err}"
        );
    }
    for _ in 0..150 {
        let mut data = bytes.clone();
        let at = 9 + (next() % (bytes.len() as u64 - 9)) as usize;
        data[at] ^= 1 << (next() % 8);
        let err = read_all(&data).expect_err("a corrupted byte is an error (or the checksum's)");
        assert!(err.contains("at byte"), "flip at {at}: {err}");
    }
    // Through the command line: exit 2, the offset, no panic.
    std::fs::write(&broken, &bytes[..bytes.len() / 2]).unwrap();
    let out = redisadv(&["inspect", "--rdb", broken.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("broken.rdb") && err.contains("at byte") && err.contains("truncated"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let mut newer = bytes.clone();
    newer[5..9].copy_from_slice(b"0099");
    std::fs::write(&broken, &newer).unwrap();
    let out = redisadv(&["inspect", "--rdb", broken.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("RDB version 99"), "{err}");
}
