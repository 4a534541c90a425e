//! `redisadv engines`: the catalog, the cache and what a user is told.

use std::process::Command;

fn engines(cache: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .arg("engines")
        .args(args)
        .env("REDISADV_ENGINES_DIR", cache)
        .output()
        .unwrap()
}

#[test]
fn list_names_every_engine_and_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let out = engines(cache.path(), &["list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for name in redisadv::engines::names() {
        assert!(text.contains(name), "{name} missing from {text}");
    }
    assert!(text.contains("not installed"), "{text}");
    assert!(text.contains("7.0"), "the system redis-server: {text}");
    assert!(text.contains(cache.path().to_str().unwrap()), "{text}");
}

#[test]
fn an_unknown_engine_is_refused_with_the_known_names() {
    let cache = tempfile::tempdir().unwrap();
    let out = engines(cache.path(), &["install", "redis-6.2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("redis-6.2") && err.contains("valkey-9.1"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // Nothing was fetched or built for a name that is not in the catalog.
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);
}

#[test]
fn a_damaged_manifest_says_how_to_repair_it() {
    let cache = tempfile::tempdir().unwrap();
    std::fs::create_dir(cache.path().join("valkey-9.1")).unwrap();
    std::fs::write(cache.path().join("valkey-9.1/engine.json"), "{not json").unwrap();
    let out = engines(cache.path(), &["list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("damaged") && err.contains("install the engine again"),
        "{err}"
    );
}
