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
    // The damaged engine is flagged; the others are still listed.
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("DAMAGED"));
    assert!(
        err.contains("damaged") && err.contains("install the engine again"),
        "{err}"
    );
}

/// `bench` with the engine cache moved to `cache`, from the project directory.
fn bench(cache: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .arg("bench")
        .args(args)
        .env("REDISADV_ENGINES_DIR", cache)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// Two variants of the demo at a small scale; `engines` is TOML placed after `[server]`.
fn engine_scenario(dir: &std::path::Path, top: &str, engines: &str) -> std::path::PathBuf {
    let path = dir.join("engines.toml");
    let text = format!(
        r#"name = "two-engines"
baseline = "pickle_ttl"
{top}
[server]
config = "{}"
{engines}
[dataset]
kind = "demo"
scale = 0.002

[[variant]]
name = "pickle_ttl"
codec = "pickle"
envelope = "dogpile"
redis_ttl = 3600

[[variant]]
name = "json_raw_hash"
codec = "json"
envelope = "raw"
redis_ttl = 3600
layout = "hash"
"#,
        crate::common::project_file("redis.conf").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn line_of(path: &std::path::Path, needle: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap()
        + 1
}

#[test]
fn an_engine_that_is_not_installed_names_its_line_and_engines_install() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = engine_scenario(
        dir.path(),
        "",
        "[[server.engine]]\nname = \"system\"\n[[server.engine]]\nname = \"valkey-9.1\"\n",
    );
    let out = bench(cache.path(), &[path.to_str().unwrap(), "--quiet"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let line = line_of(&path, "name = \"valkey-9.1\"");
    assert!(
        err.contains(&format!("engines.toml:{line}:"))
            && err.contains("redisadv engines install valkey-9.1"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // Refused before any variant ran: no figures on stdout.
    assert!(out.stdout.is_empty());

    // A name that no `engines install` builds says so, and names the line too.
    let path = engine_scenario(dir.path(), "", "[[server.engine]]\nname = \"redis-6.2\"\n");
    let out = bench(cache.path(), &[path.to_str().unwrap(), "--quiet"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let line = line_of(&path, "name = \"redis-6.2\"");
    assert!(
        err.contains(&format!("engines.toml:{line}:"))
            && err.contains("engines install")
            && err.contains("valkey-9.1"),
        "{err}"
    );
    // The same from the command line.
    let path = engine_scenario(dir.path(), "", "");
    let out = bench(
        cache.path(),
        &[path.to_str().unwrap(), "--quiet", "--engine", "redis-8.6"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--engine redis-8.6") && err.contains("redisadv engines install redis-8.6"),
        "{err}"
    );
}

#[test]
fn engine_entries_are_checked_like_the_rest_of_the_scenario() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (top, engines, needle, expect) in [
        (
            "",
            "[[server.engine]]\nname = \"a\"\nbinary = \"/usr/bin/redis-server\"\n[[server.engine]]\nname = \"a\"\n",
            "name = \"a\"\n\n[dataset]",
            "listed twice",
        ),
        (
            "",
            "[[server.engine]]\nname = \"a b\"\n",
            "name = \"a b\"",
            "must be letters",
        ),
        (
            "",
            "[[server.engine]]\nname = \"system\"\n[server.engine.overrides]\nport = 7000\n",
            "port = 7000",
            "port redisadv binds",
        ),
        (
            "engine_baseline = \"nope\"",
            "[[server.engine]]\nname = \"system\"\n",
            "engine_baseline",
            "names no [[server.engine]]",
        ),
        (
            "",
            "[[server.engine]]\nname = \"system\"\nbinaryy = \"x\"\n",
            "binaryy",
            "unknown field",
        ),
    ] {
        let path = engine_scenario(dir.path(), top, engines);
        let out = bench(cache.path(), &[path.to_str().unwrap(), "--quiet"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{engines}: {err}");
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text[..text.find(needle).unwrap()].matches('\n').count() + 1;
        assert!(
            err.contains(&format!("engines.toml:{line}:")) && err.contains(expect),
            "{engines}: expected line {line} and {expect:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn two_engines_run_every_variant_and_reports_group_by_engine() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = engine_scenario(dir.path(), "", "");
    let json = dir.path().join("r.json");
    let out = bench(
        cache.path(),
        &[
            path.to_str().unwrap(),
            "--quiet",
            "--format",
            "markdown",
            "--engine",
            "system",
            "--engine",
            "other=/usr/bin/redis-server",
            "--out",
            json.to_str().unwrap(),
        ],
    );
    let md = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // Grouped: one section per engine, each with both variants and its identity.
    let system = md
        .find("## Engine system: Redis 7.0.15, jemalloc")
        .expect(&md);
    let other = md
        .find("## Engine other: Redis 7.0.15, jemalloc")
        .expect(&md);
    assert!(system < other, "{md}");
    assert!(
        md.contains("| engine | server | version | mem_allocator |"),
        "{md}"
    );
    assert!(md.contains("vs system/pickle_ttl"), "{md}");
    assert_eq!(
        md[system..other].matches("| json_raw_hash |").count(),
        1,
        "{md}"
    );
    assert_eq!(md[other..].matches("| json_raw_hash |").count(), 1, "{md}");
    // One binary twice: the same allocator, so no allocator warning.
    assert!(!err.contains("allocators differ") && !md.contains("allocators differ"));

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["schema_version"], 2);
    assert_eq!(report["engine_baseline"], "system");
    let engines = report["engines"].as_array().unwrap();
    assert_eq!(engines.len(), 2);
    for e in engines {
        assert_eq!(e["server"], "Redis");
        assert_eq!(e["version"], "7.0.15");
        assert!(e["allocator"].as_str().unwrap().starts_with("jemalloc"));
        assert!(
            e["origin"]
                .as_str()
                .unwrap()
                .contains("/usr/bin/redis-server")
        );
    }
    let variants = report["variants"].as_array().unwrap();
    let on: Vec<(&str, &str)> = variants
        .iter()
        .map(|v| (v["engine"].as_str().unwrap(), v["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        on,
        [
            ("system", "pickle_ttl"),
            ("system", "json_raw_hash"),
            ("other", "pickle_ttl"),
            ("other", "json_raw_hash")
        ]
    );

    // CSV: every row leads with its engine, and figures within and across engines.
    let out = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(["report", json.to_str().unwrap(), "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let csv = String::from_utf8_lossy(&out.stdout);
    let mut rows = csv.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    assert_eq!(
        &header[..5],
        [
            "engine",
            "server",
            "server_version",
            "mem_allocator",
            "across_percent"
        ]
    );
    let rel = header
        .iter()
        .position(|h| *h == "relative_percent")
        .unwrap();
    let rows: Vec<Vec<&str>> = rows.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 4);
    // Each engine's baseline is 100% of itself; the other engine's baseline against the
    // first engine's is a real ratio of two measurements.
    assert_eq!(rows[0][rel], "100.0000");
    assert_eq!(rows[2][rel], "100.0000");
    assert_eq!(rows[0][4], "100.0000");
    let across: f64 = rows[2][4].parse().unwrap();
    assert!((90.0..110.0).contains(&across), "{csv}");
    let hash_within: f64 = rows[3][rel].parse().unwrap();
    let hash_across: f64 = rows[3][4].parse().unwrap();
    assert!(hash_within < 50.0 && hash_across < 50.0, "{csv}");

    // compare keys multi-engine reports by engine and variant.
    let out = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(["compare", json.to_str().unwrap(), json.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for key in ["system/pickle_ttl", "other/json_raw_hash"] {
        assert!(text.contains(key), "{key}: {text}");
    }
    // The terminal table groups too.
    let out = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(["report", json.to_str().unwrap()])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("on 2 engines") && table.contains("engine other: Redis 7.0.15"),
        "{table}"
    );
}

#[test]
#[cfg_attr(
    skip_engine_tests,
    ignore = "needs the engines redis-8.6 and valkey-9.1 (REDISADV_SKIP_ENGINE_TESTS=1)"
)]
fn valkey_reports_its_own_name_version_and_allocator() {
    let Some(valkey) = crate::common::installed_engine(
        "valkey-9.1",
        "valkey_reports_its_own_name_version_and_allocator",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = engine_scenario(dir.path(), "", "");
    let json = dir.path().join("r.json");
    // The default cache, where CI installs it.
    let out = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .arg("bench")
        .args([
            path.to_str().unwrap(),
            "--quiet",
            "--engine",
            "system",
            "--engine",
            "valkey-9.1",
            "--out",
            json.to_str().unwrap(),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let e = &report["engines"][1];
    assert_eq!(e["name"], "valkey-9.1");
    assert_eq!(e["server"], "Valkey");
    // Valkey's redis_version says 7.2.4: the version is valkey_version.
    assert_eq!(e["version"], valkey.manifest.version.as_str());
    assert!(!e["version"].as_str().unwrap().starts_with("7.2"));
    assert_eq!(e["jemalloc"], "bundled");
    assert_eq!(report["engines"][0]["jemalloc"], "system");
    assert!(
        e["origin"]
            .as_str()
            .unwrap()
            .contains("Debian source package valkey")
    );
    // Debian's system jemalloc against Valkey's bundled one: warned on stderr.
    assert!(
        err.contains("WARNING: the engines' allocators differ"),
        "{err}"
    );
}

#[test]
fn without_a_redis_server_bench_says_which_command_provides_one() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = engine_scenario(dir.path(), "", "");
    let out = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(["bench", path.to_str().unwrap(), "--quiet"])
        .env("REDISADV_ENGINES_DIR", cache.path())
        .env("REDISADV_REDIS_SERVER", dir.path().join("no-redis-server"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("sudo apt-get install redis-server")
            && err.contains("redisadv engines install valkey-9.1")
            && err.contains("--engine valkey-9.1"),
        "{err}"
    );
}

#[test]
#[cfg_attr(
    skip_engine_tests,
    ignore = "needs the engines redis-8.6 and valkey-9.1 (REDISADV_SKIP_ENGINE_TESTS=1)"
)]
fn valkey_figures_repeat_with_a_fixed_hash_seed() {
    let Some(valkey) = crate::common::installed_engine(
        "valkey-9.1",
        "valkey_figures_repeat_with_a_fixed_hash_seed",
    ) else {
        return;
    };
    // 55,000 plain keys: Valkey's key table adds a 64-byte child bucket per overflowing
    // 7-key bucket, about 350 of them here, so with a random seed per start two runs
    // differ by some hundred bytes almost every time.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.toml");
    std::fs::write(
        &path,
        format!(
            "name = \"seed\"\nbaseline = \"msgpack_raw_local\"\n[server]\nconfig = \"{}\"\n\
             [dataset]\nkind = \"demo\"\nscale = 0.05\n[[variant]]\nname = \"msgpack_raw_local\"\n\
             codec = \"msgpack\"\nenvelope = \"raw\"\n",
            crate::common::project_file("redis.conf").display()
        ),
    )
    .unwrap();
    let engine = format!("valkey-9.1={}", valkey.binary().display());
    let figure = || {
        let out = Command::new(env!("CARGO_BIN_EXE_redisadv"))
            .args([
                "bench",
                path.to_str().unwrap(),
                "--quiet",
                "--format",
                "json",
            ])
            .args(["--engine", &engine])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["variants"][0]["result"]["dataset_bytes"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(figure(), figure());
}

/// An engine binary cut short (a copy interrupted, a full disk) is flagged, not "installed":
/// `engines list` marks it DAMAGED with the command that reinstalls it, and a bench that
/// names it refuses it before any server starts.
#[test]
fn a_truncated_engine_binary_is_damaged_with_the_reinstall_command() {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("redis-8.6");
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    // A real ELF binary (the system's redis-server), then cut to its first 100,000 bytes.
    let system = which_redis_server();
    let binary = dir.join("bin/redis-server");
    std::fs::copy(&system, &binary).unwrap();
    let full = std::fs::metadata(&binary).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&binary)
        .unwrap()
        .set_len(100_000)
        .unwrap();
    std::fs::write(
        dir.join("engine.json"),
        r#"{"name": "redis-8.6", "server": "Redis", "package": "redis",
            "package_version": "5:8.6.3-1", "version": "8.6.3",
            "binary": "bin/redis-server", "build": "make", "built_at": 1796329908}"#,
    )
    .unwrap();
    let out = engines(cache.path(), &["list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("DAMAGED")
            && text.contains("truncated: 100000 bytes")
            && text.contains(&format!("at least {full}"))
            && text.contains("engines install redis-8.6 --force"),
        "{text}"
    );
    let scenario_dir = tempfile::tempdir().unwrap();
    let scenario = crate::bench_cli::tiny_scenario(scenario_dir.path());
    let out = bench(
        cache.path(),
        &[scenario.to_str().unwrap(), "--engine", "redis-8.6", "-q"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("damaged") && err.contains("engines install redis-8.6 --force"),
        "{err}"
    );
}

/// The redis-server on PATH, resolved.
fn which_redis_server() -> std::path::PathBuf {
    let out = Command::new("sh")
        .args(["-c", "command -v redis-server"])
        .output()
        .unwrap();
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!path.is_empty(), "redis-server on PATH");
    std::fs::canonicalize(path).unwrap()
}
