//! whatif's library rows against the truth: a server filled through real django-redis,
//! celery and Flask-Caching (tests/own_data/fill_compressed.py), each family re-primed whole
//! through its own library with the setting a row projects (reprime_library.py, e.g.
//! django-redis with COMPRESSOR zlib); every projection within 2% of it or inside its 95%
//! interval.

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
        let out = redisadv(&[
            "whatif", "--url", &url, "--match", glob, "--sample", "150", "--count", "50",
            "--only", variants, "--format", "json", "-q",
        ]);
        assert!(
            out.status.success(),
            "{glob}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Json = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["library"], library, "{glob}");
        let truth = script(&[
            "reprime", "--port", &port, "--match", glob, "--variants", variants,
        ]);
        for line in truth.lines() {
            let t: Json = serde_json::from_str(line).unwrap();
            let name = t["variant"].as_str().unwrap();
            let real = t["dataset_bytes"].as_f64().unwrap();
            let row = report["variants"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["variant"] == name)
                .unwrap_or_else(|| panic!("{glob}: no row {name}"));
            let projected = row["projected_bytes"].as_f64().unwrap();
            let ci = row["projected_ci95"].as_f64().unwrap();
            let off = (projected - real) / real * 100.0;
            eprintln!(
                "{glob} {name}: projected {projected:.0} ±{ci:.0}, re-primed {real:.0} \
                 ({off:+.2}%), records kept as stored {} / {}",
                row["unencodable"], t["kept_as_stored"]
            );
            assert!(
                off.abs() <= 2.0 || (projected - real).abs() <= ci,
                "{glob} {name}: projected {projected:.0} ±{ci:.0}, re-primed {real:.0} ({off:+.2}%)"
            );
        }
    }
}
