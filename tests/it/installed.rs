//! What a user with only the installed binary (`pip install redisadv`, `cargo install`) can
//! do: run the built-in scenarios, write one out, get completions and man pages, and, with no
//! redis-server anywhere, read the one command that provides it.

use std::process::{Command, Output};

fn redisadv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn scenarios_lists_every_builtin() {
    let out = redisadv(&["scenarios"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    for name in ["quick", "all", "engines-quick", "sweep-buckets", "cluster"] {
        assert!(
            listing.lines().any(|l| l.starts_with(&format!("{name} "))),
            "{name} missing from:\n{listing}"
        );
    }
    assert!(
        listing.contains("redisadv bench --builtin NAME"),
        "{listing}"
    );
}

/// The built-in quick scenario writes the bytes of scenarios/quick.toml: the committed
/// baseline holds for it.
#[test]
fn bench_builtin_quick_matches_the_committed_baseline() {
    let baseline = crate::common::project_file("reports/quick-redis-7.0.json");
    let out = redisadv(&[
        "bench",
        "--builtin",
        "quick",
        "--quiet",
        "--only",
        "region_redis,region_msgpack_raw_hash",
        "--baseline",
        baseline.to_str().unwrap(),
        "--allow-missing",
        "--max-regression",
        "0%",
        "--format",
        "json",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["scenario"]["file"], "scenarios/quick.toml (built in)",
        "{report:#}"
    );
    assert_eq!(report["variants"].as_array().unwrap().len(), 2);
}

#[test]
fn bench_builtin_refuses_unknown_names_and_a_file_too() {
    let out = redisadv(&["bench", "--builtin", "nope", "-q"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--builtin") && err.contains("\"nope\"") && err.contains("quick, all"),
        "{err}"
    );
    let out = redisadv(&["bench", "scenarios/quick.toml", "--builtin", "quick"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot be used with"));
    let out = redisadv(&["bench"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("<SCENARIO>"),
        "{}",
        text(&out.stderr)
    );
}

/// `init --from quick` writes the scenario beside a redis.conf it names, and it runs there.
#[test]
fn init_from_a_builtin_writes_a_scenario_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine").join("quick.toml");
    let out = redisadv(&["init", "--from", "quick", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("config = \"redis.conf\""), "{written}");
    assert!(dir.path().join("mine").join("redis.conf").is_file());
    let out = redisadv(&[
        "bench",
        path.to_str().unwrap(),
        "-q",
        "--only",
        "region_redis",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("region_redis"));

    let out = redisadv(&[
        "init",
        "--from",
        "quik",
        dir.path().join("x.toml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--from: no built-in scenario named \"quik\""));
    assert!(!dir.path().join("x.toml").exists());
}

/// A pip user's machine: the binary and nothing else on PATH. The error names the one
/// command that provides a server, without a panic.
#[test]
fn without_redis_server_the_error_gives_the_command_that_installs_one() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["bench", "--builtin", "quick", "-q"][..],
        &["inspect", "--rdb", "dump.rdb"][..],
    ] {
        std::fs::write(dir.path().join("dump.rdb"), b"REDIS0010").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_redisadv"))
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", dir.path())
            .env("HOME", dir.path())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("\"redis-server\" is not on PATH")
                && err.contains("sudo apt-get install redis-server")
                && err.contains("redisadv engines install valkey-9.1")
                && err.contains("--engine valkey-9.1")
                && !err.contains("panicked"),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn completions_are_valid_scripts_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = redisadv(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(
            script.contains("redisadv") && script.contains("builtin"),
            "{shell}"
        );
    }
    // bash is on every machine that runs these tests: the script must parse.
    let out = redisadv(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("redisadv.bash");
    std::fs::write(&file, &out.stdout).unwrap();
    let check = Command::new("bash").arg("-n").arg(&file).output().unwrap();
    assert!(check.status.success(), "{}", text(&check.stderr));
    let out = redisadv(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_writes_a_page_per_command_that_man_renders() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = redisadv(&["man", "--dir", pages.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for page in [
        "redisadv.1",
        "redisadv-bench.1",
        "redisadv-compare.1",
        "redisadv-engines-install.1",
        "redisadv-completions.1",
    ] {
        let body = std::fs::read_to_string(pages.join(page)).unwrap();
        assert!(
            body.starts_with(".ie"),
            "{page}: {}",
            &body[..40.min(body.len())]
        );
    }
    // The hidden test-fixture command gets no page.
    assert!(!pages.join("redisadv-seed-fixture.1").exists());
    // Rendered by man when this machine has it (CI checks the same).
    if let Ok(rendered) = Command::new("man")
        .arg("-l")
        .arg(pages.join("redisadv-bench.1"))
        .env("MANWIDTH", "100")
        .env("MAN_KEEP_FORMATTING", "0")
        .output()
        && rendered.status.success()
    {
        // nroff's overstrike bold: "X\x08X".
        let mut page = String::new();
        for c in text(&rendered.stdout).chars() {
            if c == '\x08' {
                page.pop();
            } else {
                page.push(c);
            }
        }
        assert!(
            page.contains("--builtin") && page.contains("Exit codes"),
            "{page}"
        );
    }
}
