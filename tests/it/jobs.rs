//! `bench --jobs N` and `--timings` as a user runs them: concurrent variants give the same
//! dataset bytes as one at a time, the report says its timings are not comparable, and
//! `--jobs 0` is refused.

use crate::bench_cli::{redisadv, tiny_scenario};

fn bytes_of(report: &serde_json::Value) -> Vec<(String, u64, u64)> {
    report["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let r = &v["result"];
            assert!(r.is_object(), "variant failed: {v}");
            (
                v["name"].as_str().unwrap().to_string(),
                r["dataset_bytes"].as_u64().unwrap(),
                r["keys"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn jobs_2_gives_the_same_dataset_bytes_and_marks_timings_not_comparable() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(dir.path());
    let s = scenario.to_str().unwrap();
    let one = redisadv(&["bench", s, "--quiet", "--format", "json"]);
    let two = redisadv(&[
        "bench",
        s,
        "--quiet",
        "--format",
        "json",
        "--jobs",
        "2",
        "--timings",
    ]);
    assert_eq!(
        one.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert_eq!(
        two.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&two.stderr)
    );
    let one: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    let report: serde_json::Value = serde_json::from_slice(&two.stdout).unwrap();
    // Same variants, same order, same bytes.
    assert_eq!(bytes_of(&one), bytes_of(&report));
    assert!(one.get("concurrent_jobs").is_none(), "{one}");
    assert_eq!(report["concurrent_jobs"], 2);
    // The phase table names every variant and the totals.
    let err = String::from_utf8_lossy(&two.stderr);
    for name in [
        "pickle_ttl",
        "json_raw_hash",
        "msgpack_legacy_local",
        "sum",
        "wall ",
    ] {
        assert!(err.contains(name), "--timings lacks {name}: {err}");
    }
    assert!(report["variants"][0]["result"]["phases"]["empty"].is_f64());
    // The table rendering of the saved report carries the note.
    let saved = dir.path().join("two.json");
    std::fs::write(&saved, serde_json::to_vec(&report).unwrap()).unwrap();
    let table = redisadv(&["report", saved.to_str().unwrap(), "--format", "table"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("timing figures not comparable"), "{text}");
    let md = redisadv(&["report", saved.to_str().unwrap(), "--format", "markdown"]);
    let text = String::from_utf8_lossy(&md.stdout);
    assert!(text.contains("timing figures not comparable"), "{text}");
}

#[test]
fn jobs_0_is_a_clear_error() {
    let out = redisadv(&["bench", "scenarios/quick.toml", "--jobs", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--jobs") && err.contains("give 1"), "{err}");
}
