//! `whatif` on the seeded fixture: a sample of real records through the all.toml grid,
//! projected to the pattern; payloads a serializer cannot encode counted per variant; the
//! saved sample reruns offline, and as `[dataset] kind = "sample"` in a scenario.

use crate::bench_cli::redisadv;
use crate::common::{project_file, redis};
use serde_json::Value as Json;

fn json(out: &std::process::Output) -> Json {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

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
