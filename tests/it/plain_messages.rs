//! Messages that say what happened: a server that stopped answering, a path that is not a
//! file, a damaged engine, a read-only replica.

use crate::bench_cli::{redisadv, tiny_scenario};
use crate::common::{redis, silent_port};
use std::process::Command;
use std::time::{Duration, Instant};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_silent_server_is_named_with_what_was_waited_for_and_how_long() {
    let port = silent_port(60);
    let url = format!("redis://127.0.0.1:{port}/0");
    for args in [
        vec![
            "get",
            "--url",
            &url,
            "--codec",
            "json",
            "--envelope",
            "raw",
            "k",
        ],
        vec!["inspect", "--url", &url],
    ] {
        let started = Instant::now();
        let out = redisadv(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(started.elapsed() < Duration::from_secs(45), "{args:?}");
        assert!(!err.contains("os error 11"), "{args:?}: {err}");
        for needle in [
            format!("the server at 127.0.0.1:{port} did not answer for"),
            "while redisadv waited for the replies to the connection's handshake".to_string(),
            "(each read may wait 5 s)".to_string(),
        ] {
            assert!(err.contains(&needle), "{args:?}: {err:?} lacks {needle:?}");
        }
    }
}

#[test]
fn rdb_paths_that_are_not_files_say_what_they_are() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for (path, what) in [
        (tmp.path().to_path_buf(), "is a directory"),
        (fifo, "is a FIFO (named pipe)"),
        ("/dev/null".into(), "is a character device"),
        (tmp.path().join("missing.rdb"), "no such file"),
    ] {
        let out = redisadv(&["inspect", "--rdb", path.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("--rdb {}: {what}", path.display())),
            "{err}"
        );
    }
}

fn engines(cache: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .arg("engines")
        .args(args)
        .env("REDISADV_ENGINES_DIR", cache)
        .output()
        .unwrap()
}

#[test]
fn damaged_engines_are_flagged_and_never_already_installed() {
    let cache = tempfile::tempdir().unwrap();
    // valkey-9.1: a manifest that is not JSON.
    std::fs::create_dir(cache.path().join("valkey-9.1")).unwrap();
    std::fs::write(cache.path().join("valkey-9.1/engine.json"), "{not json").unwrap();
    // redis-8.6: a good manifest, and the first 64 KB of a real server binary.
    let dir = cache.path().join("redis-8.6");
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    let system = redisadv::server::default_binary();
    let system = which(&system);
    let bytes = std::fs::read(&system).unwrap();
    std::fs::write(dir.join("bin/redis-server"), &bytes[..64 * 1024]).unwrap();
    let manifest = redisadv::engines::Manifest {
        name: "redis-8.6".into(),
        server: "Redis".into(),
        package: "redis".into(),
        package_version: "5:8.6.0-1".into(),
        version: "8.6.0".into(),
        binary: "bin/redis-server".into(),
        build: "make -j2 (bundled jemalloc)".into(),
        built_at: 0,
    };
    std::fs::write(
        dir.join("engine.json"),
        serde_json::to_string(&manifest).unwrap(),
    )
    .unwrap();
    let out = engines(cache.path(), &["list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // The rest is listed.
    for name in ["system", "redis-8.0", "valkey-8.1", "not installed"] {
        assert!(text.contains(name), "{name} missing from {text}");
    }
    assert_eq!(text.matches("DAMAGED").count(), 2, "{text}");
    assert!(err.contains("valkey-9.1/engine.json is damaged"), "{err}");
    assert!(err.contains("is truncated: 65536 bytes"), "{err}");
    let out = engines(cache.path(), &["install", "redis-8.6"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("already installed"), "{err}");
    assert!(
        err.contains("engine redis-8.6 in") && err.contains("is damaged"),
        "{err}"
    );
    assert!(
        err.contains("`redisadv engines install redis-8.6 --force`"),
        "{err}"
    );
    // An intact binary passes the same check.
    std::fs::write(dir.join("bin/redis-server"), &bytes).unwrap();
    let out = engines(cache.path(), &["list"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("DAMAGED")
            .count(),
        1
    );
}

/// `name` as the shell finds it on PATH, or as given when it is a path.
fn which(name: &std::path::Path) -> std::path::PathBuf {
    if name.components().count() > 1 {
        return name.to_path_buf();
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .expect("redis-server on PATH")
}

#[test]
fn a_read_only_replica_is_refused_before_anything_is_sent() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    let master = redis();
    let replica = redis();
    let mut c = replica.connect().unwrap();
    redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(master.port())
        .query::<()>(&mut c)
        .unwrap();
    let out = redisadv(&[
        "bench",
        scenario.to_str().unwrap(),
        "-q",
        "--url",
        &format!("redis://127.0.0.1:{}/1", replica.port()),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "127.0.0.1:{} is a replica of 127.0.0.1:{} (INFO replication role:slave) with \
             replica-read-only yes",
            replica.port(),
            master.port()
        )),
        "{err}"
    );
    let info: String = redis::cmd("INFO").arg("all").query(&mut c).unwrap();
    assert!(
        !info.contains("errorstat_READONLY"),
        "no write was tried: {info}"
    );
    for write in [
        "cmdstat_setex:",
        "cmdstat_hset:",
        "cmdstat_flushdb:",
        "cmdstat_set:",
    ] {
        assert!(!info.contains(write), "{write} in {info}");
    }
}
