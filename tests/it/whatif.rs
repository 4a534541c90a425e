//! `whatif` on the seeded fixture: a sample of real records through the all.toml grid,
//! projected to the pattern; payloads a serializer cannot encode counted per variant; the
//! saved sample reruns offline, and as `[dataset] kind = "sample"` in a scenario.

use crate::bench_cli::redisadv;
use crate::common::json;
use crate::common::{project_file, redis};
use serde_json::Value as Json;

fn variant<'a>(report: &'a Json, name: &str) -> &'a Json {
    report["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["variant"] == name)
        .unwrap_or_else(|| panic!("no variant {name}"))
}

#[test]
fn whatif_projects_savings_and_counts_what_a_serializer_cannot_encode() {
    let server = redis();
    let url = format!("redis://127.0.0.1:{}/0", server.port());
    let out = redisadv(&["seed-fixture", "--url", &url, "--count", "400"]);
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("user.jsonl.gz");
    let only = "region_redis,region_msgpack_raw_local,region_msgpack_raw_hash,region_json_raw";
    let users = json(&redisadv(&[
        "whatif",
        "--url",
        &url,
        "--match",
        "user:*",
        "--sample",
        "5000",
        "--only",
        only,
        "--save-sample",
        saved.to_str().unwrap(),
        "--format",
        "json",
        "-q",
    ]));
    assert_eq!(users["sampled_records"], 400);
    assert_eq!(users["sample"]["pattern"], "user:{n}");
    assert_eq!(users["sample"]["population_keys"], 400.0);
    let today = users["as_stored"]["projected_bytes"].as_f64().unwrap();
    // region_redis is how the fixture stores users (dogpile pickle envelope, 1 h TTL): the
    // same bytes give the same memory, up to the clock's printed digits.
    let same = variant(&users, "region_redis");
    let saving = same["savings_percent"].as_f64().unwrap();
    assert!(saving.abs() < 3.0, "{saving}% {same:#}");
    let hash = variant(&users, "region_msgpack_raw_hash");
    assert!(hash["savings_percent"].as_f64().unwrap() > 40.0, "{hash:#}");
    let projected = hash["projected_bytes"].as_f64().unwrap();
    assert_eq!(
        projected,
        hash["bytes_per_record"].as_f64().unwrap() * 400.0
    );
    assert!((today - projected - hash["savings_bytes"].as_f64().unwrap()).abs() < 1e-6);
    for v in users["variants"].as_array().unwrap() {
        assert_eq!(v["unencodable"], 0, "{v:#}");
        assert!(v["error"].is_null(), "{v:#}");
    }

    // Pickled custom classes: pickle carries them, json and msgpack cannot.
    let objects = json(&redisadv(&[
        "whatif",
        "--url",
        &url,
        "--match",
        "obj:*",
        "--sample",
        "5000",
        "--only",
        "region_redis,region_json_raw,region_msgpack_raw",
        "--format",
        "json",
        "-q",
    ]));
    assert_eq!(variant(&objects, "region_redis")["unencodable"], 0);
    for name in ["region_json_raw", "region_msgpack_raw"] {
        let v = variant(&objects, name);
        assert_eq!(v["unencodable"], 400, "{v:#}");
        assert_eq!(v["records"], 0);
        assert!(v["projected_bytes"].is_null());
    }

    // Offline: the saved sample gives the same records, and the same figures.
    let offline = json(&redisadv(&[
        "whatif",
        "--from-sample",
        saved.to_str().unwrap(),
        "--only",
        only,
        "--format",
        "json",
        "-q",
    ]));
    assert_eq!(offline["sampled_records"], 400);
    assert_eq!(offline["sample"], users["sample"]);
    assert_eq!(
        variant(&offline, "region_msgpack_raw_hash")["dataset_bytes"],
        hash["dataset_bytes"]
    );

    // And as a scenario's dataset.
    let scenario = dir.path().join("sample.toml");
    std::fs::write(
        &scenario,
        format!(
            "name = \"users\"\n[server]\nconfig = {:?}\n[dataset]\nkind = \"sample\"\nfile = \
             \"user.jsonl.gz\"\n[[variant]]\nname = \"hash\"\ncodec = \"msgpack\"\nenvelope = \
             \"raw\"\nlayout = \"hash\"\nredis_ttl = 3600\n",
            project_file("redis.conf")
        ),
    )
    .unwrap();
    let bench = json(&redisadv(&[
        "bench",
        scenario.to_str().unwrap(),
        "--format",
        "json",
        "-q",
    ]));
    assert_eq!(bench["scenario"]["dataset"]["kind"], "sample");
    assert_eq!(bench["scenario"]["dataset"]["records"], 400);
    assert_eq!(
        bench["variants"][0]["result"]["dataset_bytes"],
        hash["dataset_bytes"]
    );
}

/// A hand-written sample file of `n` records (the format `--save-sample` writes).
fn write_sample(path: &std::path::Path, n: usize) {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let header = serde_json::json!({
        "kind": "redisadv-sample", "version": 1, "pattern": "k:{n}", "match": "k:*",
        "source": "test", "population_keys": 10.0 * n as f64, "today_bytes": 0.0,
        "today_bytes_ci95": 0.0, "bucket_rule": "numeric", "skipped_not_strings": 0
    });
    writeln!(gz, "{header}").unwrap();
    for i in 0..n {
        let record = serde_json::json!({
            "key": format!("k:{i}"), "bucket": format!("k:{}", i / 100),
            "field": format!("{}", i % 100), "ttl_ms": 60_000, "format": "json",
            "payload": format!("{{'id': {i}, 'name': 'x{i}'}}"),
            "stored": hex::encode(format!("{{\"id\": {i}, \"name\": \"x{i}\"}}")),
        });
        writeln!(gz, "{record}").unwrap();
    }
    std::fs::write(path, gz.finish().unwrap()).unwrap();
}

#[test]
fn an_interrupted_whatif_leaves_no_server_and_no_directory() {
    use crate::common::{processes_under, wait_for};
    use std::time::Duration;
    let root = tempfile::tempdir().unwrap();
    let tmp = root.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let sample = root.path().join("s.jsonl.gz");
    write_sample(&sample, 20_000);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(["whatif", "--from-sample", sample.to_str().unwrap(), "-q"])
        .env("TMPDIR", &tmp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("a private redis-server", Duration::from_secs(30), || {
        !processes_under(&tmp).is_empty()
    });
    std::thread::sleep(Duration::from_millis(300));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    wait_for("the servers to end", Duration::from_secs(10), || {
        processes_under(&tmp).is_empty()
    });
    wait_for("the directories to go", Duration::from_secs(10), || {
        std::fs::read_dir(&tmp).unwrap().next().is_none()
    });
}

/// A sample saved by the redisadv before samples were held as bytes (the seeded fixture,
/// 4 keys a family, `--match '*'`): the file format is unchanged, and it still loads and
/// measures, each payload as the file gives it.
#[test]
fn a_sample_saved_by_the_previous_version_still_loads() {
    use std::io::BufRead;
    let fixture = project_file("tests/fixtures/sample-v1.jsonl.gz");
    // From the file itself: the records json cannot carry (a pickled class, or bytes).
    let lines: Vec<Json> = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
        std::fs::File::open(&fixture).unwrap(),
    ))
    .lines()
    .skip(1)
    .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
    .collect();
    let not_json = lines
        .iter()
        .filter(|r| {
            let payload = r["payload"].as_str().unwrap();
            !r["python_object"].is_null() || payload.starts_with("b'") || payload.starts_with("b\"")
        })
        .count();
    assert!(not_json > 0 && not_json < lines.len());
    let report = json(&redisadv(&[
        "whatif",
        "--from-sample",
        fixture.to_str().unwrap(),
        "--only",
        "region_redis,region_json_raw",
        "--format",
        "json",
        "-q",
    ]));
    assert_eq!(report["sampled_records"], lines.len());
    assert_eq!(report["sample"]["match"], "*");
    let pickle = variant(&report, "region_redis");
    assert_eq!(pickle["unencodable"], 0, "{pickle:#}");
    assert!(pickle["dataset_bytes"].as_u64().unwrap() > 0, "{pickle:#}");
    let json_raw = variant(&report, "region_json_raw");
    assert_eq!(json_raw["unencodable"], not_json, "{json_raw:#}");
    assert!(
        json_raw["dataset_bytes"].as_u64().unwrap() > 0,
        "{json_raw:#}"
    );
    assert!(report["as_stored"]["dataset_bytes"].as_u64().unwrap() > 0);
}
