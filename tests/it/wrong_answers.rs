//! Answers that were silently wrong: a baseline that measured nothing passed every later
//! comparison, and a variant named like a sweep's run could take its figures.

use crate::bench_cli::{redisadv, tiny_scenario};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_baseline_whose_every_variant_failed_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    let s = scenario.to_str().unwrap();
    let new = tmp.path().join("new.json");
    let out = redisadv(&[
        "bench",
        s,
        "-q",
        "--only",
        "pickle_ttl",
        "--out",
        new.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // What a failed run writes: every variant without figures, with its error.
    let mut failed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&new).unwrap()).unwrap();
    for v in failed["variants"].as_array_mut().unwrap() {
        v["result"] = serde_json::Value::Null;
        v["error"] = "redis-server could not start".into();
    }
    let base = tmp.path().join("failed.json");
    std::fs::write(&base, serde_json::to_string(&failed).unwrap()).unwrap();
    let out = redisadv(&["compare", base.to_str().unwrap(), new.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for needle in [
        "failed.json: every variant of this report failed (1 of 1)",
        "redis-server could not start",
        "cannot be a baseline",
    ] {
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }
    let out = redisadv(&[
        "bench",
        s,
        "-q",
        "--only",
        "pickle_ttl",
        "--baseline",
        base.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--baseline") && err.contains("cannot be a baseline"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "refused before the run");
}

#[test]
fn a_variant_named_like_a_sweep_run_is_refused_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    let text = std::fs::read_to_string(&scenario).unwrap();
    let text = text.replace(
        "name = \"json_raw_hash\"",
        "name = \"pickle_ttl[redis_ttl=60]\"",
    ) + "[[variant]]\nname = \"swept\"\ncodec = \"pickle\"\nenvelope = \"dogpile\"\nredis_ttl = [60, 120]\n";
    std::fs::write(&scenario, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("pickle_ttl[redis_ttl=60]"))
        .unwrap()
        + 1;
    let out = redisadv(&["bench", scenario.to_str().unwrap(), "-q"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("tiny.toml:{line}")), "{err}");
    assert!(
        err.contains("'[' and ']' are kept for the runs of a sweep"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}
