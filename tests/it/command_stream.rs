//! The command stream bench writes (`redisadv commands`) stays byte for byte what it was
//! when the loader was made faster: length and CRC-32 of every all.toml variant's stream at
//! a small scale, and of every hash TTL policy across several 50,000-record batches (where
//! the on-create policy's EXISTS land). The figures were taken from the build before.

use crate::common::project_file;
use std::process::Command;

/// CRC-32 (as gzip computes it) and length of a variant's stream.
fn stream_of(scenario: &str, variant: &str, scale: Option<&str>) -> (usize, u32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redisadv"));
    cmd.args(["commands", scenario, "--variant", variant])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if let Some(scale) = scale {
        cmd.args(["--scale", scale]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{variant}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut crc = flate2::Crc::new();
    crc.update(&out.stdout);
    (out.stdout.len(), crc.sum())
}

#[test]
fn every_all_toml_stream_is_unchanged() {
    let expected: [(&str, usize, u32); 16] = [
        ("region_redis", 207777, 0xd2d958f5),
        ("region_redis_local", 154307, 0xb0afa3f3),
        ("region_msgpack", 141339, 0x38e5d0f9),
        ("region_msgpack_local", 87869, 0x62cec827),
        ("region_msgpack_local_int", 61669, 0x34330c04),
        ("region_msgpack_raw", 101939, 0xb5ad304d),
        ("region_msgpack_raw_local", 48469, 0xaed7f2b2),
        ("region_msgpack_raw_hash", 49761, 0x7449c721),
        ("region_json", 191262, 0xee8f830f),
        ("region_json_local", 137792, 0xaeb369a4),
        ("region_json_local_int", 85579, 0x1a748eb7),
        ("region_json_raw", 106249, 0x2316fb64),
        ("region_json_raw_local", 52779, 0xb0a2bc4d),
        ("region_json_raw_hash", 54071, 0x42b1fb74),
        ("region_redis_legacy", 272558, 0x95fa7fa3),
        ("region_redis_local_legacy", 219088, 0x8c49e793),
    ];
    for (variant, len, crc) in expected {
        assert_eq!(
            stream_of("scenarios/all.toml", variant, Some("0.002")),
            (len, crc),
            "{variant}"
        );
    }
}

#[test]
fn every_hash_ttl_policy_stream_is_unchanged_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policies.toml");
    let config = project_file("redis.conf").display().to_string();
    std::fs::write(
        &path,
        format!(
            r#"name = "policies"
[server]
config = "{config}"
[dataset]
kind = "demo"
scale = 0.1
[[variant]]
name = "on_create"
codec = "msgpack"
envelope = "raw"
redis_ttl = 3600
layout = "hash"
hash_ttl = "on-create"
[[variant]]
name = "always"
codec = "json"
envelope = "tuple"
redis_ttl = 3600
layout = "hash"
hash_ttl = "always"
[[variant]]
name = "never"
codec = "pickle"
envelope = "dogpile"
redis_ttl = 3600
layout = "hash"
hash_ttl = "never"
[[variant]]
name = "field"
codec = "json"
envelope = "dogpile"
redis_ttl = 3600
layout = "hash"
hash_ttl = "field"
[[variant]]
name = "field_ttl"
codec = "msgpack"
envelope = "tuple"
redis_ttl = 3600
layout = "hash"
hash_ttl = "field-ttl"
"#
        ),
    )
    .unwrap();
    let expected: [(&str, usize, u32); 5] = [
        ("on_create", 2803065, 0xb0b7bca2),
        ("always", 7402105, 0x77347caf),
        ("never", 8041126, 0x86d93bd3),
        ("field", 7008777, 0x4d94d141),
        ("field_ttl", 6232137, 0x6ab5cd82),
    ];
    for (variant, len, crc) in expected {
        assert_eq!(
            stream_of(path.to_str().unwrap(), variant, None),
            (len, crc),
            "{variant}"
        );
    }
}
