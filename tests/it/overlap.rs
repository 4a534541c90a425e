//! A variant primes while the previous one settles (the default with one job at a time):
//! the report keeps the scenario's order and the bytes of `--no-overlap`, a variant that
//! fails meanwhile fails alone, and Ctrl-C stops every server however many are running.

use crate::bench_cli::tiny_scenario;
use crate::common::{processes_under, project_file, wait_for};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn bench(args: &[&str], tmp: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .arg("bench")
        .args(args)
        .env("TMPDIR", tmp)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// (name, dataset bytes, keys) per variant, in report order; `None` for a failed one.
fn rows(out: &Output) -> Vec<(String, Option<(u64, u64)>)> {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(out)));
    report["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let r = &v["result"];
            let figures = r.is_object().then(|| {
                (
                    r["dataset_bytes"].as_u64().unwrap(),
                    r["keys"].as_u64().unwrap(),
                )
            });
            (v["name"].as_str().unwrap().to_string(), figures)
        })
        .collect()
}

#[test]
fn overlapping_variants_keep_order_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(dir.path());
    let s = scenario.to_str().unwrap();
    let common = [s, "-q", "--format", "json", "--scale", "0.05"];
    let overlap = bench(&[&common[..], &["--timings"]].concat(), dir.path());
    let serial = bench(&[&common[..], &["--no-overlap"]].concat(), dir.path());
    for out in [&overlap, &serial] {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    }
    let names: Vec<String> = rows(&overlap).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["pickle_ttl", "json_raw_hash", "msgpack_legacy_local"],
        "the scenario's order"
    );
    assert_eq!(rows(&overlap), rows(&serial), "the same bytes either way");
    let err = stderr(&overlap);
    assert!(
        err.contains("primed while the previous one settled"),
        "--timings says the phases overlap: {err}"
    );
    // The timing report is not marked as --jobs marks it: primings never overlap.
    let report: serde_json::Value = serde_json::from_slice(&overlap.stdout).unwrap();
    assert!(report.get("concurrent_jobs").is_none(), "{report}");
}

#[test]
fn a_variant_that_fails_while_another_settles_fails_alone() {
    let tmp = tempfile::tempdir().unwrap();
    // A redis-server that kills itself 0.3 s after starting when told "lfu-log-factor 11":
    // it starts when the variant before it is primed, so it dies while that one settles
    // or just after, in the middle of its own priming.
    let wrapper = tmp.path().join("redis-server-dies");
    std::fs::write(
        &wrapper,
        "#!/bin/sh\ncase \"$*\" in *lfu-log-factor*) (sleep 0.3; kill -9 $$) & ;; esac\nexec redis-server \"$@\"\n",
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&wrapper)
        .status()
        .unwrap();
    let scenario = tmp.path().join("dies.toml");
    std::fs::write(
        &scenario,
        format!(
            "name = \"dies\"\n[server]\nconfig = \"{}\"\n[dataset]\nkind = \"demo\"\nscale = 0.3\n\
             [[variant]]\nname = \"before\"\ncodec = \"json\"\nenvelope = \"raw\"\nredis_ttl = 60\n\
             [[variant]]\nname = \"dies\"\ncodec = \"json\"\nenvelope = \"raw\"\nredis_ttl = 60\n\
             [variant.overrides]\n\"lfu-log-factor\" = 11\n\
             [[variant]]\nname = \"after\"\ncodec = \"json\"\nenvelope = \"raw\"\n",
            project_file("redis.conf").display()
        ),
    )
    .unwrap();
    let private = tmp.path().join("tmp");
    std::fs::create_dir(&private).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args([
            "bench",
            scenario.to_str().unwrap(),
            "-q",
            "--format",
            "json",
        ])
        .env("REDISADV_REDIS_SERVER", &wrapper)
        .env("TMPDIR", &private)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let rows = rows(&out);
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["before", "dies", "after"]);
    assert!(rows[0].1.is_some(), "the settling variant is measured");
    assert!(rows[1].1.is_none(), "the dying variant fails");
    assert!(rows[2].1.is_some(), "the next variant still runs");
    assert!(
        stderr(&out).contains("1 variant(s) failed: dies"),
        "{}",
        stderr(&out)
    );
    assert!(processes_under(&private).is_empty(), "no server is left");
}

#[test]
fn ctrl_c_while_variants_overlap_stops_every_server() {
    let root = tempfile::tempdir().unwrap();
    let tmp = root.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let scenario = tiny_scenario(root.path());
    let child = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(["bench", scenario.to_str().unwrap(), "--scale", "0.3", "-q"])
        .env("TMPDIR", &tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Two servers at once: one settling (or measured), the next one starting or priming.
    wait_for(
        "two private servers at once",
        Duration::from_secs(120),
        || processes_under(&tmp).len() >= 2,
    );
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    wait_for("every server to end", Duration::from_secs(10), || {
        processes_under(&tmp).is_empty()
    });
    wait_for("the directories to go", Duration::from_secs(10), || {
        std::fs::read_dir(&tmp).unwrap().next().is_none()
    });
}
