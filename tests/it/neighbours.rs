//! Leftovers and neighbours: a redisadv in another PID namespace sharing TMPDIR keeps its
//! live directories; a SIGKILLed whatif's directory and an interrupted engine build's staging
//! directory are swept; a full disk leaves no sample file; a server that leaves its process
//! group (daemonize, setsid) is refused and stopped.

use crate::bench_cli::tiny_scenario;
use crate::common::{processes_under, redis, wait_for};
use crate::private_servers::is_root;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn redisadv_in(tmp: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redisadv"));
    cmd.env("TMPDIR", tmp)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn dirs_named(tmp: &Path, prefix: &str) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path())
        .collect()
}

#[test]
fn a_neighbour_in_another_pid_namespace_keeps_its_live_directories() {
    let unshare = ["--pid", "--fork", "--mount-proc"];
    let can = Command::new("unshare")
        .args(unshare)
        .arg("true")
        .status()
        .is_ok_and(|s| s.success());
    if !can {
        eprintln!("a_neighbour_in_another_pid_namespace: skipped, unshare --pid not permitted");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let tmp = root.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let scenario = tiny_scenario(root.path());
    // The neighbour: three variants at a scale that takes a few seconds each.
    let neighbour = Command::new("unshare")
        .args(unshare)
        .arg(env!("CARGO_BIN_EXE_redisadv"))
        .args(["bench", scenario.to_str().unwrap(), "--scale", "0.3"])
        .args(["-q", "--format", "json"])
        .env("TMPDIR", &tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the neighbour's server", Duration::from_secs(60), || {
        dirs_named(&tmp, "redisadv-")
            .iter()
            .any(|d| d.join("owner").exists())
    });
    // This redisadv's start-up sweep sees the neighbour's pid, which means nothing here.
    for _ in 0..3 {
        let out = redisadv_in(&tmp)
            .args([
                "bench",
                scenario.to_str().unwrap(),
                "--only",
                "pickle_ttl",
                "-q",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    let out = neighbour.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for v in report["variants"].as_array().unwrap() {
        assert!(
            v["result"].is_object(),
            "the neighbour's {} failed: {}",
            v["name"],
            v["error"]
        );
    }
}

#[test]
fn a_sigkilled_whatif_and_an_interrupted_build_leave_nothing_for_long() {
    let root = tempfile::tempdir().unwrap();
    let tmp = root.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let server = redis();
    let url = format!("redis://127.0.0.1:{}/0", server.port());
    let out = redisadv_in(&tmp)
        .args(["seed-fixture", "--url", &url, "--count", "400"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let mut whatif = redisadv_in(&tmp)
        .args(["whatif", "--url", &url, "--match", "user:*", "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("whatif's servers", Duration::from_secs(60), || {
        !processes_under(&tmp).is_empty()
    });
    whatif.kill().unwrap();
    whatif.wait().unwrap();
    wait_for("the guardians", Duration::from_secs(10), || {
        processes_under(&tmp).is_empty()
    });
    assert_eq!(
        dirs_named(&tmp, "redisadv-whatif-").len(),
        1,
        "left by the kill"
    );
    // The next run's sweep removes it.
    let scenario = tiny_scenario(root.path());
    let out = redisadv_in(&tmp)
        .args([
            "bench",
            scenario.to_str().unwrap(),
            "--only",
            "pickle_ttl",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(dirs_named(&tmp, "redisadv-").len(), 0);

    // An engine build killed mid-way: its staging directory, marked by a process that is
    // gone, goes at the next use of the cache; a live build's (locked) stays.
    let cache = root.path().join("engines");
    std::fs::create_dir(&cache).unwrap();
    let dead = cache.join(".build-redis-8.6-dead");
    std::fs::create_dir(&dead).unwrap();
    std::fs::write(dead.join("src.tar"), "x").unwrap();
    // The marker a build writes, by a process that has ended (pid 1 has another start time).
    std::fs::write(
        cache.join(".build-redis-8.6-dead/owner"),
        "redisadv 1 1\nlocked\n",
    )
    .unwrap();
    let live = cache.join(".build-valkey-9.1-live");
    std::fs::create_dir(&live).unwrap();
    let held = redisadv::server::stale::mark_owner(&live).unwrap();
    let out = redisadv_in(&tmp)
        .args(["engines", "list"])
        .env("REDISADV_ENGINES_DIR", &cache)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!cache.join(".build-redis-8.6-dead").exists());
    assert!(live.exists(), "a live build's directory stays");
    drop(held);
}

#[test]
fn save_sample_to_a_full_disk_leaves_no_file() {
    if !is_root() {
        eprintln!("save_sample_to_a_full_disk_leaves_no_file: skipped, needs root for mount");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let small = root.path().join("small");
    std::fs::create_dir(&small).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8k", "tmpfs"])
        .arg(&small)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("save_sample_to_a_full_disk_leaves_no_file: skipped, cannot mount a tmpfs");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&small);
    let server = redis();
    let url = format!("redis://127.0.0.1:{}/0", server.port());
    let out = redisadv_in(root.path())
        .args(["seed-fixture", "--url", &url, "--count", "2000"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let saved = small.join("s.jsonl.gz");
    let out = redisadv_in(root.path())
        .args([
            "whatif",
            "--url",
            &url,
            "--match",
            "user:*",
            "--only",
            "region_redis",
        ])
        .arg("--save-sample")
        .arg(&saved)
        .output()
        .unwrap();
    let err = text(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--save-sample") && err.contains("No space left"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&small).unwrap().flatten().collect();
    assert!(left.is_empty(), "left on the full disk: {left:?}");
}

#[test]
fn a_server_that_leaves_its_process_group_is_refused_and_stopped() {
    let root = tempfile::tempdir().unwrap();
    let tmp = root.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let scenario = tiny_scenario(root.path());
    let wrappers = [
        ("daemonize", "exec redis-server \"$@\" --daemonize yes"),
        ("setsid", "setsid redis-server \"$@\" &\nwait"),
    ];
    for (name, body) in wrappers {
        let wrapper = root.path().join(format!("{name}.sh"));
        std::fs::write(&wrapper, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(
            &wrapper,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let out = redisadv_in(&tmp)
            .args([
                "bench",
                scenario.to_str().unwrap(),
                "--only",
                "pickle_ttl",
                "-q",
            ])
            .env("REDISADV_REDIS_SERVER", &wrapper)
            .output()
            .unwrap();
        let err = text(&out);
        // Whatever the outcome, nothing may still run in the private directories.
        std::thread::sleep(Duration::from_millis(300));
        let left = processes_under(&tmp);
        for pid in &left {
            // SAFETY: plain kill(2), so a failing test leaves no server behind either.
            unsafe {
                libc::kill(*pid as libc::pid_t, libc::SIGKILL);
            }
        }
        assert!(
            left.is_empty(),
            "{name}: servers left running {left:?}: {err}"
        );
        assert!(!out.status.success(), "{name}: {err}");
        assert!(
            err.contains("process group") && err.contains("exec redis-server"),
            "{name}: {err}"
        );
    }
}
