//! `whatif` on a server filled by real, unmodified Python libraries (tests/own_data/fill.py),
//! checked against re-priming the whole family through the real dogpile.cache and
//! dogpile_backend_redis_advanced (tests/own_data/reprime.py): per-record figures within 2%,
//! projections within 2% or inside their 95% interval, bucket fields named as the plugin
//! names them, the recommendation, and `--out` files.

use crate::bench_cli::redisadv;
use crate::common::{project_file, redis};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::io::Read;
use std::process::Command;

fn venv_python() -> std::path::PathBuf {
    std::env::var_os("OWN_DATA_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| project_file("target/own-data-venv"))
        .join("bin/python")
}

/// reprime.py's lines, by variant.
fn reprime(port: u16, glob: &str, variants: &str) -> HashMap<String, Json> {
    let out = Command::new(venv_python())
        .arg(project_file("tests/own_data/reprime.py"))
        .args([
            "--port",
            &port.to_string(),
            "--match",
            glob,
            "--variants",
            variants,
        ])
        .output()
        .expect("reprime.py runs");
    assert!(
        out.status.success(),
        "reprime.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let j: Json = serde_json::from_str(l).unwrap();
            (j["variant"].as_str().unwrap().to_string(), j)
        })
        .collect()
}

#[test]
fn whatif_projections_agree_with_re_priming_through_the_real_libraries() {
    let server = redis();
    let port = server.port();
    let fill = Command::new(project_file("tests/own_data/run.sh"))
        .args([&port.to_string(), "--keys", "2000"])
        .output()
        .expect("tests/own_data/run.sh runs");
    assert!(
        fill.status.success(),
        "{}",
        String::from_utf8_lossy(&fill.stderr)
    );
    let url = format!("redis://127.0.0.1:{port}/0");
    let dir = tempfile::tempdir().unwrap();
    let (md, js, saved) = (
        dir.path().join("w.md"),
        dir.path().join("w.json"),
        dir.path().join("s.jsonl.gz"),
    );
    let variants = "region_msgpack_raw,region_msgpack_raw_hash,region_json_raw";
    let out = redisadv(&[
        "whatif",
        "--url",
        &url,
        "--match",
        "shop.catalog*",
        "--sample",
        "100",
        "--count",
        "50",
        "--only",
        variants,
        "-q",
        "--save-sample",
        saved.to_str().unwrap(),
        "--out",
        md.to_str().unwrap(),
        "--out",
        js.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    let report: Json = serde_json::from_slice(&std::fs::read(&js).unwrap()).unwrap();
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(
        markdown.contains("| region_msgpack_raw_hash |"),
        "{markdown}"
    );
    // Each warning once (the hash buckets' long values concern one variant).
    for w in report["warnings"].as_array().unwrap() {
        let text = format!("warning: {}", w.as_str().unwrap());
        assert_eq!(table.matches(&text).count(), 1, "{table}");
    }
    let recommendation = report["recommendation"].as_str().unwrap();
    assert!(
        recommendation.starts_with("recommendation for shop.catalog:get_product|{n}: "),
        "{recommendation}"
    );
    assert!(table.contains(recommendation), "{table}");
    // "today" in the heading is the first row's figure.
    let today = report["as_stored"]["projected_bytes"].as_f64().unwrap();
    assert!(report["as_stored"]["projected_ci95"].as_f64().unwrap() > 0.0);

    let truth = reprime(port, "shop.catalog*", &format!("as_stored,{variants}"));
    let population = truth["as_stored"]["keys"].as_f64().unwrap();
    assert!(report["sampled_records"].as_f64().unwrap() < population);
    for p in std::iter::once(&report["as_stored"]).chain(report["variants"].as_array().unwrap()) {
        let name = match p["variant"].as_str().unwrap() {
            "as stored today" => "as_stored",
            n => n,
        };
        let t = &truth[name];
        let (per, true_per) = (
            p["bytes_per_record"].as_f64().unwrap(),
            t["per_record"].as_f64().unwrap(),
        );
        let (projected, ci) = (
            p["projected_bytes"].as_f64().unwrap(),
            p["projected_ci95"].as_f64().unwrap(),
        );
        // A 100-record sample: within 2%, or within the per-record share of its interval
        // (the goal; a sample's mean moves by more than 2% from draw to draw).
        assert!(
            (per / true_per - 1.0).abs() < 0.02 || (per - true_per).abs() * population <= ci,
            "{name}: {per} vs {true_per} (±{} per record)",
            ci / population
        );
        let real = t["dataset_bytes"].as_f64().unwrap();
        assert!(
            (projected / real - 1.0).abs() < 0.02 || (projected - real).abs() <= ci,
            "{name}: {projected} ±{ci} vs {real}"
        );
        let saving = p["savings_bytes"].as_f64().unwrap();
        assert!((today - projected - saving).abs() < 1e-6);
    }
    // The real plugin's layout put the records in 100-id buckets.
    assert_eq!(
        truth["region_msgpack_raw_hash"]["redis_keys"]
            .as_f64()
            .unwrap(),
        (population / 100.0).ceil()
    );

    // The saved sample's bucket fields are the ids themselves, as the plugin's tuples are.
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&saved).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    for line in text.lines().skip(1) {
        let r: Json = serde_json::from_str(line).unwrap();
        let key = r["key"].as_str().unwrap();
        let id: u64 = key.rsplit('|').next().unwrap().parse().unwrap();
        assert_eq!(r["field"], id.to_string(), "{r}");
        // Regrouped as full as the population's buckets, named after a real bucket.
        let bucket = r["bucket"].as_str().unwrap();
        let base: u64 = bucket
            .strip_prefix("shop.catalog:get_product|")
            .and_then(|b| b.parse().ok())
            .unwrap_or_else(|| panic!("{r}"));
        assert_eq!(base % 100, 0, "{r}");
    }

    // From an RDB copy: the report says where a loaded copy differs from the live server.
    let mut c = server.connect().unwrap();
    redis::cmd("SAVE").query::<()>(&mut c).unwrap();
    let rdb = dir.path().join("dump.rdb");
    std::fs::copy(server.dir().join("dump.rdb"), &rdb).unwrap();
    let out = redisadv(&[
        "whatif",
        "--rdb",
        rdb.to_str().unwrap(),
        "--match",
        "shop.stock*",
        "--only",
        "region_msgpack_raw",
        "--format",
        "json",
        "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let loaded: Json = serde_json::from_slice(&out.stdout).unwrap();
    let note = loaded["warnings"][0].as_str().unwrap();
    assert!(note.starts_with("--rdb: a loaded copy"), "{note}");
    assert!(note.contains("rebuilds streams and hashes"), "{note}");
}

/// Issue 23: the plugin's msgpack "raw" values that are small ints are one byte, most of
/// them a printable character, which per record reads as text. Read within their family they
/// are msgpack ints, and the hash layout's projection agrees with the real plugin's hstore.
#[test]
fn msgpack_raw_small_ints_project_as_the_real_plugin_stores_them() {
    let server = redis();
    let port = server.port();
    let fill = Command::new(project_file("tests/own_data/run.sh"))
        .args([&port.to_string(), "--keys", "3000", "--inventory", "20000"])
        .output()
        .expect("tests/own_data/run.sh runs");
    assert!(
        fill.status.success(),
        "{}",
        String::from_utf8_lossy(&fill.stderr)
    );
    let url = format!("redis://127.0.0.1:{port}/0");
    let glob = "shop.inventory*";
    let variants = "region_msgpack_raw,region_msgpack_raw_hash";
    let out = redisadv(&[
        "whatif", "--url", &url, "--match", glob, "--only", variants, "--sample", "5000",
        "--format", "json", "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Json = serde_json::from_slice(&out.stdout).unwrap();
    let truth = reprime(port, glob, variants);
    for p in report["variants"].as_array().unwrap() {
        let name = p["variant"].as_str().unwrap();
        let (projected, ci) = (
            p["projected_bytes"].as_f64().unwrap(),
            p["projected_ci95"].as_f64().unwrap(),
        );
        let real = truth[name]["dataset_bytes"].as_f64().unwrap();
        eprintln!(
            "{name}: projected {projected} ±{ci} vs {real} real ({:+.2}%), {} vs {} B/record",
            (projected / real - 1.0) * 100.0,
            p["bytes_per_record"],
            truth[name]["per_record"]
        );
        // 200 buckets: the real layout's figure moves by one allocation at most between
        // re-primings, well inside 2%.
        assert!(
            (projected / real - 1.0).abs() < 0.02 || (projected - real).abs() <= ci,
            "{name}: {projected} ±{ci} vs {real} real"
        );
        // The payload-only msgpack variant writes exactly the bytes stored today (a small int
        // read as text would be re-encoded as a one-character string, a byte longer).
        if name == "region_msgpack_raw" {
            assert_eq!(
                projected,
                report["as_stored"]["projected_bytes"].as_f64().unwrap()
            );
        }
    }
    // inspect's format column says the same.
    let out = redisadv(&[
        "inspect", "--url", &url, "--match", glob, "--format", "json", "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inspected = String::from_utf8_lossy(&out.stdout);
    assert!(inspected.contains("\"msgpack\""), "{inspected}");
    assert!(!inspected.contains("\"text\""), "{inspected}");
}
