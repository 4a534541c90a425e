//! whatif's library rows against the truth: a server filled through real django-redis,
//! celery and Flask-Caching (tests/own_data/fill_compressed.py), each family re-primed whole
//! through its own library with the setting a row projects (reprime_library.py, e.g.
//! django-redis with COMPRESSOR zlib). From a sample of about a third of each family, every
//! row's bytes per record within 2% of the re-primed family's (or inside its interval); from
//! the whole family, every projection within 2%. (The sampled projection's total also rests on the key count
//! estimated from SCAN's cursor, inspect's estimate, which this test does not check.)

use crate::bench_cli::redisadv;
use crate::common::{project_file, redis};
use serde_json::Value as Json;
use std::process::Command;

fn script(args: &[&str]) -> String {
    let out = Command::new(project_file("tests/own_data/run_library.sh"))
        .args(args)
        .output()
        .expect("tests/own_data/run_library.sh runs");
    assert!(
        out.status.success(),
        "run_library.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn library_rows_agree_with_re_priming_through_the_real_libraries() {
    let server = redis();
    let port = server.port().to_string();
    script(&["fill", &port, "--keys", "1500"]);
    let url = format!("redis://127.0.0.1:{port}/0");
    for (glob, library, variants) in [
        ("shop:*", "django-redis", "zlib,json,msgpack+zlib"),
        ("celery-task-meta-*", "celery", "zlib,msgpack"),
        ("flask_cache_*", "Flask-Caching", "zlib"),
    ] {
        let run = |sample: &str| {
            let out = redisadv(&[
                "whatif", "--url", &url, "--match", glob, "--sample", sample, "--count", "50",
                "--only", variants, "--format", "json", "-q",
            ]);
            assert!(
                out.status.success(),
                "{glob}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice::<Json>(&out.stdout).unwrap()
        };
        let sampled = run("150");
        let whole = run("100000");
        assert_eq!(whole["library"], library, "{glob}");
        let truth = script(&[
            "reprime",
            "--port",
            &port,
            "--match",
            glob,
            "--variants",
            variants,
        ]);
        for line in truth.lines() {
            let t: Json = serde_json::from_str(line).unwrap();
            let name = t["variant"].as_str().unwrap();
            let real = t["dataset_bytes"].as_f64().unwrap();
            let keys = t["keys"].as_f64().unwrap();
            let row = |report: &Json| {
                report["variants"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["variant"] == name)
                    .unwrap_or_else(|| panic!("{glob}: no row {name}"))
                    .clone()
            };
            let per_record = row(&sampled)["bytes_per_record"].as_f64().unwrap();
            let per_off = (per_record - real / keys) / (real / keys) * 100.0;
            let projected = row(&whole)["projected_bytes"].as_f64().unwrap();
            let off = (projected - real) / real * 100.0;
            eprintln!(
                "{glob} {name}: sampled {} records: {per_record:.1} B/record, re-primed \
                 {:.1} ({per_off:+.2}%); whole family projected {projected:.0}, re-primed \
                 {real:.0} ({off:+.2}%); kept as stored {} / {}",
                sampled["sampled_records"],
                real / keys,
                row(&whole)["unencodable"],
                t["kept_as_stored"]
            );
            // Or inside the row's interval, per record.
            let ci = row(&sampled)["projected_ci95"].as_f64().unwrap()
                / sampled["sample"]["population_keys"].as_f64().unwrap();
            assert!(
                per_off.abs() <= 2.0 || (per_record - real / keys).abs() <= ci,
                "{glob} {name}: per record {per_off:+.2}% (±{ci:.1} B)"
            );
            assert!(off.abs() <= 2.0, "{glob} {name}: projected {off:+.2}%");
        }
    }
}
