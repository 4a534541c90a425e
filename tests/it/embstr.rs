//! The explanation predicts every string's encoding on each engine, key and TTL included:
//! Redis 8 embeds the key with the value (key + value <= 41 B), Valkey 9.1 the key and the
//! expire (within 128 B), Redis 7.0 the value alone (44 B). Values of 3 to 132 B under short
//! and 33-byte keys, with and without a TTL, cross every boundary; all keys are checked.

use crate::bench_cli::redisadv;
use crate::common::{engine_binary, project_file};
use serde_json::Value;
use std::path::Path;

fn scenario(dir: &Path, engines: &[(&str, &Path)]) -> std::path::PathBuf {
    let listed: String = engines
        .iter()
        .map(|(name, binary)| {
            format!(
                "[[server.engine]]\nname = \"{name}\"\nbinary = \"{}\"\n",
                binary.display()
            )
        })
        .collect();
    let text = format!(
        r#"name = "embstr"
baseline = "ttl"
[server]
config = "{config}"
{listed}
[dataset]
kind = "custom"
seed = 3
[[dataset.family]]
name = "short"
count = 1500
key = "s{{i}}"
value = {{ type = "str", min_len = 1, max_len = 130 }}
[[dataset.family]]
name = "long"
count = 1500
key = "a-key-of-thirty-three-bytes:{{i}}"
value = {{ type = "str", min_len = 1, max_len = 130 }}
[[variant]]
name = "ttl"
codec = "json"
envelope = "raw"
redis_ttl = 3600
[[variant]]
name = "no_ttl"
codec = "json"
envelope = "raw"
"#,
        config = project_file("redis.conf").display()
    );
    let path = dir.join("embstr.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
#[cfg_attr(
    skip_engine_tests,
    ignore = "needs the engines redis-8.6 and valkey-9.1 (REDISADV_SKIP_ENGINE_TESTS=1)"
)]
fn string_encodings_are_predicted_on_redis_8_and_valkey_9() {
    let test = "string_encodings_are_predicted_on_redis_8_and_valkey_9";
    let (Some(redis8), Some(valkey)) = (
        engine_binary("redis-8.6", test),
        engine_binary("valkey-9.1", test),
    ) else {
        return;
    };
    let system = std::path::PathBuf::from("/usr/bin/redis-server");
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(
        dir.path(),
        &[
            ("redis-7.0", &system),
            ("redis-8.6", &redis8),
            ("valkey-9.1", &valkey),
        ],
    );
    let json = dir.path().join("r.json");
    let out = redisadv(&[
        "bench",
        path.to_str().unwrap(),
        "--quiet",
        "--out",
        json.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("not encoded as predicted"), "{err}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let variants = report["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 6);
    for v in variants {
        let at = format!("{}/{}", v["engine"], v["name"]);
        let explain = &v["result"]["explain"];
        let enc = &explain["encodings"];
        assert_eq!(enc["sampled"], false, "{at}");
        assert_eq!(enc["checked"], 3000, "{at}");
        assert_eq!(enc["unexpected"], 0, "{at}: {enc}");
        // Every key is checked, so the measured mix is the prediction, key for key.
        assert_eq!(
            enc["measured"], explain["written"]["predicted_encodings"],
            "{at}"
        );
        // Both sides of the boundary are there to be told apart.
        assert!(
            enc["measured"]["embstr"].as_u64().unwrap() > 100,
            "{at}: {enc}"
        );
        assert!(
            enc["measured"]["raw"].as_u64().unwrap() > 100,
            "{at}: {enc}"
        );
    }
    // The warnings give each engine's own threshold.
    let warning = |engine: &str, variant: &str| -> String {
        let v = variants
            .iter()
            .find(|v| v["engine"] == engine && v["name"] == variant)
            .unwrap();
        let warnings = v["result"]["explain"]["warnings"].as_array().unwrap();
        warnings
            .iter()
            .map(|w| w.as_str().unwrap())
            .find(|w| w.contains("raw strings"))
            .unwrap_or_else(|| panic!("{engine}/{variant}: {warnings:?}"))
            .to_string()
    };
    assert!(warning("redis-7.0", "ttl").contains("values are longer than 44 B and"));
    let redis8 = warning("redis-8.6", "ttl");
    assert!(redis8.contains("key + value <= 41 B"), "{redis8}");
    let valkey_ttl = warning("valkey-9.1", "ttl");
    assert!(
        valkey_ttl.contains("key + value <= 105 B, 103 B for keys of 32 B or more"),
        "{valkey_ttl}"
    );
    assert!(!valkey_ttl.contains("44 B"), "{valkey_ttl}");
    let valkey = warning("valkey-9.1", "no_ttl");
    assert!(valkey.contains("key + value <= 113 B"), "{valkey}");
}
