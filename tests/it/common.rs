//! The one shared helper for tests that need Redis: a redis-server on a free port of 127.0.0.1
//! with no password (a stand-in for a user's own server; redisadv's own servers have no port),
//! in a temporary directory, killed and reaped when the guard drops.

use redisadv::server::{Access, RedisServer, ServerOptions};
use std::path::PathBuf;

pub fn project_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A fresh server started from the project's redis.conf.
pub fn redis() -> RedisServer {
    redis_with(&[])
}

/// A fresh server from the project's redis.conf plus `--name value` overrides (files such as
/// a cluster's nodes.conf land in the server's temporary directory).
pub fn redis_with(overrides: &[(&str, &str)]) -> RedisServer {
    let options = ServerOptions {
        config_file: Some(project_file("redis.conf")),
        overrides: overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        // A stand-in for a user's own server, reached with --url over TCP.
        access: Access::Open,
        ..ServerOptions::default()
    };
    RedisServer::start(&options).expect("redis-server starts (is it installed?)")
}

/// A TCP port on 127.0.0.1 that accepts connections and never answers, for `seconds`:
/// a server that hangs.
pub fn silent_port(seconds: u64) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(8).collect();
        std::thread::sleep(std::time::Duration::from_secs(seconds));
        drop(held);
    });
    port
}

/// Pids of the processes whose working directory is `dir` or inside it (also once the
/// directory is deleted). redis-server retitles itself, so its command line cannot tell
/// whose it is; its working directory (`--dir`) can.
pub fn processes_under(dir: &std::path::Path) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse().ok()) else {
            continue;
        };
        if let Ok(cwd) = std::fs::read_link(entry.path().join("cwd"))
            && cwd.to_string_lossy().starts_with(&*dir.to_string_lossy())
        {
            found.push(pid);
        }
    }
    found
}

/// Waits until `done` holds; panics naming `what` after `limit` (a bound against hangs).
pub fn wait_for(what: &str, limit: std::time::Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The cached engine `name`. A missing engine is built first with `redisadv engines install
/// NAME` (once per test binary; about two minutes on two idle cores), so the README's test
/// command works on a fresh machine; a failed build fails the test with its output.
/// With REDISADV_SKIP_ENGINE_TESTS=1 the tests that call it are ignored, with the reason.
pub fn installed_engine(name: &str, test: &str) -> Option<redisadv::engines::Installed> {
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    if let Ok(found) = redisadv::engines::binary_for(name) {
        return Some(found);
    }
    // Built with it set, engine tests are ignored (build.rs); set only when running this
    // binary, a test would pass without testing anything, so it fails instead.
    if std::env::var("REDISADV_SKIP_ENGINE_TESTS").as_deref() == Ok("1") {
        panic!(
            "{test}: REDISADV_SKIP_ENGINE_TESTS=1 was set when running but not when building, \
             so engine tests are not marked ignored; run it through `cargo test` with it set"
        );
    }
    let _one_build_at_a_time = INSTALLING.lock().unwrap_or_else(|p| p.into_inner());
    if let Ok(found) = redisadv::engines::binary_for(name) {
        return Some(found);
    }
    eprintln!("{test}: building engine {name} (redisadv engines install {name})");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(["engines", "install", name, "--quiet"])
        .output()
        .expect("redisadv runs");
    match redisadv::engines::binary_for(name) {
        Ok(found) if out.status.success() => Some(found),
        _ => panic!(
            "{test} needs engine {name}, and `redisadv engines install {name}` failed ({}):              {}\n(set REDISADV_SKIP_ENGINE_TESTS=1 to skip engine tests)",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The binary of [`installed_engine`].
pub fn engine_binary(name: &str, test: &str) -> Option<PathBuf> {
    installed_engine(name, test).map(|found| found.binary())
}

/// A fresh server of `binary` from the project's redis.conf.
pub fn redis_of(binary: &std::path::Path) -> RedisServer {
    let options = ServerOptions {
        binary: binary.to_path_buf(),
        config_file: Some(project_file("redis.conf")),
        access: Access::Open,
        ..ServerOptions::default()
    };
    RedisServer::start(&options).expect("the engine's server starts")
}

/// A private cluster of `nodes` nodes of the system redis-server (the project's redis.conf),
/// slots split evenly; every node stops when it drops.
pub fn cluster(nodes: usize) -> redisadv::cluster::Cluster {
    let options = ServerOptions {
        config_file: Some(project_file("redis.conf")),
        access: Access::Open,
        ..ServerOptions::default()
    };
    redisadv::cluster::Cluster::start(&options, nodes).expect("a private cluster starts")
}

/// A command's JSON on stdout, after checking that it succeeded (its stderr in the message).
pub fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}
