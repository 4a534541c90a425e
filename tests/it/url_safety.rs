//! `bench --url` on a server redisadv did not start: it refuses what could evict or fail
//! other clients' keys, watches evictions while priming, removes what it wrote however the
//! run ends (signals, dropped connections), says exactly what it left when it cannot, and a
//! frozen server ends the run instead of hanging it.

use crate::bench_cli::{redisadv, tiny_scenario};
use crate::common::{redis, redis_with};
use redisadv::server::RedisServer;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_no_panic(out: &Output) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "{err}");
}

fn conn(server: &RedisServer, db: i64) -> redis::Connection {
    let mut c = server.connect().unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    redis::cmd("SELECT").arg(db).query::<()>(&mut c).unwrap();
    c
}

fn dbsize(server: &RedisServer, db: i64) -> u64 {
    redis::cmd("DBSIZE").query(&mut conn(server, db)).unwrap()
}

fn info_number(server: &RedisServer, section: &str, name: &str) -> u64 {
    let text: String = redis::cmd("INFO")
        .arg(section)
        .query(&mut conn(server, 0))
        .unwrap();
    redisadv::probe::parse_info(&text)[name].parse().unwrap()
}

/// `count` foreign keys in `db`, with a TTL when `ttl` is set.
fn seed(server: &RedisServer, db: i64, count: u64, ttl: bool) {
    let mut c = conn(server, db);
    let mut pipe = redis::pipe();
    for i in 0..count {
        if ttl {
            pipe.cmd("SETEX")
                .arg(format!("app:{i}"))
                .arg(86400)
                .arg("v")
                .ignore();
        } else {
            pipe.cmd("SET").arg(format!("app:{i}")).arg("v").ignore();
        }
    }
    pipe.query::<()>(&mut c).unwrap();
}

fn url(server: &RedisServer, db: i64) -> String {
    format!("redis://127.0.0.1:{}/{db}", server.port())
}

/// `bench --url` in the background, at a scale whose priming lasts a few seconds.
fn spawn_bench(scenario: &std::path::Path, url: &str, scale: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(["bench", scenario.to_str().unwrap(), "-q", "--url", url])
        .args(["--scale", scale, "--only", "pickle_ttl", "--budget", "1GiB"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until redisadv has written into `db` (priming has begun).
fn wait_for_priming(server: &RedisServer, db: i64, child: &mut Child) {
    let started = Instant::now();
    let mut c = conn(server, db);
    loop {
        let size: u64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
        if size > 0 {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("redisadv ended ({status}) before it primed");
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no priming");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits for `child` at most `limit` (killing it after), returning its output and how long
/// it took.
fn wait_bounded(mut child: Child, limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let elapsed = started.elapsed();
    (child.wait_with_output().unwrap(), elapsed)
}

#[test]
fn eviction_risk_is_refused_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    for (policy, consequence) in [
        ("allkeys-lru", "evict keys of any database"),
        ("volatile-lru", "evict keys that have a TTL"),
        ("noeviction", "OOM errors"),
    ] {
        let server = redis_with(&[("maxmemory", "12mb"), ("maxmemory-policy", policy)]);
        seed(&server, 0, 20_000, policy == "volatile-lru");
        seed(&server, 3, 5_000, true);
        // About 110,000 keys: far more than the 12 MB allow.
        let out = redisadv(&[
            "bench",
            scenario.to_str().unwrap(),
            "-q",
            "--url",
            &url(&server, 1),
            "--scale",
            "0.1",
            "--only",
            "pickle_ttl",
        ]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{policy}: {err}");
        assert_no_panic(&out);
        for needle in [
            "refusing to write variant pickle_ttl into database 1",
            "maxmemory 12582912",
            "over by",
            "110000 keys",
            consequence,
            "--scale",
        ] {
            assert!(err.contains(needle), "{policy}: {err:?} lacks {needle:?}");
        }
        assert_eq!(dbsize(&server, 0), 20_000, "{policy}");
        assert_eq!(dbsize(&server, 3), 5_000, "{policy}");
        assert_eq!(dbsize(&server, 1), 0, "{policy}: nothing written");
        assert_eq!(info_number(&server, "stats", "evicted_keys"), 0, "{policy}");
    }
}

/// The write commands in INFO commandstats (calls and rejected calls alike).
fn writes_seen(server: &RedisServer) -> Vec<String> {
    let text: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut conn(server, 0))
        .unwrap();
    text.lines()
        .filter(|l| {
            [
                "set", "setex", "hset", "hmset", "flushdb", "del", "unlink", "pexpire",
            ]
            .iter()
            .any(|c| l.starts_with(&format!("cmdstat_{c}:")))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn without_maxmemory_only_the_budget_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    // maxmemory 0, as servers in containers usually run: INFO cannot show the real limit.
    let server = redis();
    seed(&server, 0, 1_000, false);
    let before = writes_seen(&server);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "bench",
            scenario.to_str().unwrap(),
            "-q",
            "--only",
            "pickle_ttl",
        ];
        args.extend_from_slice(extra);
        redisadv(&args)
    };
    let db1 = url(&server, 1);
    // 220,000 keys: about 51 MiB projected, over the 32 MiB default.
    let out = run(&["--url", &db1, "--scale", "0.2"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_no_panic(&out);
    for needle in [
        "refusing to write variant pickle_ttl into database 1",
        "220000 keys",
        "default budget of 33554432 bytes (32.00M) for a server with maxmemory 0",
        "not visible in INFO",
        "--budget BYTES",
    ] {
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }
    // A budget the user gives is held to as well.
    let out = run(&["--url", &db1, "--scale", "0.1", "--budget", "16MB"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("more than --budget 16777216 bytes"), "{err}");
    // Nothing was written: no key, no write command called or refused.
    assert_eq!(dbsize(&server, 1), 0);
    assert_eq!(dbsize(&server, 0), 1_000);
    assert_eq!(writes_seen(&server), before);
    // A bad size names the flag.
    let out = run(&["--url", &db1, "--budget", "lots"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--budget") && err.contains("64MB"), "{err}");
    // Within the default budget the run goes ahead.
    let out = run(&["--url", &db1, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_local_server_is_recognised_by_its_process() {
    let server = redis();
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query(&mut conn(&server, 0))
        .unwrap();
    let info = redisadv::probe::parse_info(&info);
    let pid: u32 = info["process_id"].parse().unwrap();
    let uptime: u64 = info["uptime_in_seconds"].parse().unwrap();
    assert_eq!(pid, server.pid());
    use redisadv::url_target::budget::local_process;
    assert_eq!(local_process(true, pid, uptime), Some(pid));
    // Another start time (a pid of another PID namespace): not this process.
    assert_eq!(local_process(true, pid, uptime + 3600), None);
    assert_eq!(local_process(false, pid, uptime), None);
}

#[test]
fn evictions_while_priming_stop_the_run_and_remove_what_was_written() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    let server = redis_with(&[("maxmemory-policy", "allkeys-lru")]);
    seed(&server, 0, 20_000, false);
    let mut child = spawn_bench(&scenario, &url(&server, 1), "0.5");
    wait_for_priming(&server, 1, &mut child);
    // Another client lowers maxmemory under the load: from now on every write evicts.
    let used = info_number(&server, "memory", "used_memory");
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(used)
        .query::<()>(&mut conn(&server, 0))
        .unwrap();
    let (out, _) = wait_bounded(child, Duration::from_secs(120));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_no_panic(&out);
    assert!(err.contains("the server evicted"), "{err}");
    assert!(err.contains("evicted_keys went from 0 to"), "{err}");
    assert!(err.contains("stopped priming and removed the"), "{err}");
    assert_eq!(dbsize(&server, 1), 0, "what redisadv wrote is gone");
}

#[test]
fn signals_mid_priming_remove_what_was_written() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    for signal in ["INT", "TERM"] {
        let server = redis();
        seed(&server, 0, 100, false);
        let mut child = spawn_bench(&scenario, &url(&server, 1), "0.5");
        wait_for_priming(&server, 1, &mut child);
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let (out, _) = wait_bounded(child, Duration::from_secs(60));
        let err = stderr(&out);
        assert!(!out.status.success(), "{signal}: {err}");
        assert_no_panic(&out);
        assert!(
            err.contains("interrupted: removed the") && err.contains("database 1 of"),
            "{signal}: {err}"
        );
        assert_eq!(dbsize(&server, 1), 0, "{signal}: nothing left in db1");
        assert_eq!(dbsize(&server, 0), 100, "{signal}: foreign keys intact");
    }
}

#[test]
fn cleanup_reconnects_after_the_server_closed_its_connections() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    // The server closes connections idle for a second: priming takes longer than that.
    let server = redis_with(&[("timeout", "1")]);
    let child = spawn_bench(&scenario, &url(&server, 1), "0.5");
    let (out, _) = wait_bounded(child, Duration::from_secs(120));
    let err = stderr(&out);
    assert_no_panic(&out);
    assert!(!err.contains("could not remove"), "{err}");
    assert_eq!(dbsize(&server, 1), 0, "what redisadv wrote is gone: {err}");
}

#[test]
fn a_user_without_del_is_told_exactly_what_was_left() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    let server = redis();
    redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            "loader",
            "on",
            ">s3cr3t-pw",
            "~*",
            "&*",
            "+@all",
            "-del",
            "-unlink",
        ])
        .query::<()>(&mut conn(&server, 0))
        .unwrap();
    let url = format!("redis://loader:s3cr3t-pw@127.0.0.1:{}/1", server.port());
    let out = redisadv(&[
        "bench",
        scenario.to_str().unwrap(),
        "-q",
        "--url",
        &url,
        "--format",
        "json",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_no_panic(&out);
    for needle in [
        "could not remove what variant pickle_ttl wrote to database 1 of 127.0.0.1:",
        "no permissions to run the 'del' command",
        "Left there: 2200 keys (counted with EXISTS)",
        "2000 of pattern \"{i}\" for i in 0..2000",
        "20 of pattern \"fizzbuzz|{i}\"",
        "SCAN MATCH \"fizzbuzz|*\"",
    ] {
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }
    assert!(!err.contains("s3cr3t-pw"), "the password is never printed");
    assert!(out.stdout.is_empty(), "the run stopped: no report");
    assert_eq!(dbsize(&server, 1), 2200, "exactly what the statement says");
}

#[test]
fn a_cluster_node_is_refused_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    let server = redis_with(&[("cluster-enabled", "yes")]);
    assert!(server.dir().join("nodes.conf").exists());
    let out = redisadv(&[
        "bench",
        scenario.to_str().unwrap(),
        "-q",
        "--url",
        &url(&server, 0),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_no_panic(&out);
    assert!(
        err.contains("is a Redis Cluster node (cluster_enabled:1)"),
        "{err}"
    );
    assert!(err.contains("standalone server"), "{err}");
    assert_eq!(dbsize(&server, 0), 0);
}

#[test]
fn keep_with_several_variants_keeps_the_last_one() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    let server = redis();
    let out = redisadv(&[
        "bench",
        scenario.to_str().unwrap(),
        "-q",
        "--url",
        &url(&server, 1),
        "--keep",
        "--format",
        "json",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for v in report["variants"].as_array().unwrap() {
        assert!(v["error"].is_null(), "{v}");
    }
    assert!(
        err.contains("--keep: removing variant pickle_ttl's records before the next variant"),
        "{err}"
    );
    assert!(
        err.contains("--keep: left the records of variant msgpack_legacy_local in database 1"),
        "{err}"
    );
    assert_eq!(dbsize(&server, 1), 2200);
    // The last variant's keys: no Redis TTL (pickle_ttl's had one).
    let ttl: i64 = redis::cmd("TTL")
        .arg("1")
        .query(&mut conn(&server, 1))
        .unwrap();
    assert_eq!(ttl, -1);
}

/// Sends SIGCONT when dropped, so a stopped server can always be stopped by its guard.
struct Resume(u32);

impl Drop for Resume {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.0.to_string()])
            .status();
    }
}

#[test]
fn a_frozen_server_ends_the_run_within_30_seconds() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    let server = redis();
    let mut child = spawn_bench(&scenario, &url(&server, 1), "0.5");
    wait_for_priming(&server, 1, &mut child);
    let resume = Resume(server.pid());
    let stopped = Command::new("kill")
        .args(["-STOP", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    // A generous bound against hangs; the promise is 30 s.
    let (out, elapsed) = wait_bounded(child, Duration::from_secs(120));
    drop(resume);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_no_panic(&out);
    assert!(elapsed < Duration::from_secs(45), "{elapsed:?}: {err}");
    for needle in [
        "could not remove what variant pickle_ttl wrote to database 1 of",
        "the server did not answer within",
        "Left there: 550000 keys (at most",
        "of pattern \"{i}\"",
    ] {
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }
}
