//! Scenario files: every bad input names the file, the line and the key.

use redisadv::scenario::Scenario;
use std::path::Path;

const GOOD: &str = r#"name = "t"
baseline = "b"

[server]
config = "../redis.conf"

[dataset]
kind = "demo"
scale = 0.001

[[variant]]
name = "a"
codec = "json"
envelope = "raw"

[[variant]]
name = "b"
codec = "pickle"
envelope = "dogpile"
redis_ttl = 3600
layout = "hash"
hash_ttl = "always"
[variant.overrides]
"hash-max-listpack-entries" = 1024
"#;

fn parse(text: &str) -> Result<Scenario, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/test.toml");
    Scenario::parse(text, &path).map_err(|e| format!("{e:#}"))
}

fn error(text: &str) -> String {
    parse(text).expect_err("the scenario should be refused")
}

#[test]
fn a_good_scenario_parses() {
    let s = parse(GOOD).unwrap();
    assert_eq!(s.variants.len(), 2);
    assert_eq!(s.baseline, 1);
    assert_eq!(
        s.variants[1].overrides,
        vec![("hash-max-listpack-entries".into(), "1024".into())]
    );
    assert!(s.server.config_file.ends_with("redis.conf"));
    assert_eq!(s.dataset.build().unwrap().record_count(), 1000 + 10 * 10);
}

#[test]
fn bad_inputs_name_file_line_and_key() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "unknown key",
            "kind = \"demo\"",
            &["test.toml:9", "unknown field `colour`"],
        ),
        ("wrong type", "scale = 0.001", &["test.toml:9", "scale"]),
        (
            "unknown codec",
            "codec = \"json\"",
            &["test.toml:13", "unknown variant `xml`", "pickle"],
        ),
        (
            "unknown envelope",
            "envelope = \"raw\"",
            &["test.toml:14", "unknown variant `wrapped`"],
        ),
        (
            "unknown layout",
            "layout = \"hash\"",
            &["test.toml:21", "unknown variant `tree`"],
        ),
        (
            "unknown policy",
            "hash_ttl = \"always\"",
            &["test.toml:22", "`sometimes`"],
        ),
        (
            "scale out of range",
            "scale = 0.001",
            &["test.toml:9", "scale", "at most 100"],
        ),
        (
            "zero scale",
            "scale = 0.001",
            &["test.toml:9", "more than 0"],
        ),
        (
            "baseline",
            "baseline = \"b\"",
            &["test.toml:2", "baseline \"nope\" names no variant", "a, b"],
        ),
        (
            "duplicate",
            "name = \"b\"",
            &["test.toml:17", "\"a\" is used twice"],
        ),
        (
            "negative ttl",
            "redis_ttl = 3600",
            &["test.toml:20", "redis_ttl"],
        ),
        (
            "protocol",
            "envelope = \"dogpile\"",
            &["test.toml:20", "pickle_protocol must be 2 to 5"],
        ),
        (
            "missing redis.conf",
            "config = \"../redis.conf\"",
            &["test.toml:5", "does not exist"],
        ),
        ("malformed", "[dataset]", &["test.toml:7"]),
    ];
    let replacements = [
        "kind = \"demo\"\ncolour = \"red\"",
        "scale = \"big\"",
        "codec = \"xml\"",
        "envelope = \"wrapped\"",
        "layout = \"tree\"",
        "hash_ttl = \"sometimes\"",
        "scale = 1000.0",
        "scale = 0.0",
        "baseline = \"nope\"",
        "name = \"a\"",
        "redis_ttl = -5",
        "envelope = \"dogpile\"\npickle_protocol = 9",
        "config = \"missing.conf\"",
        "[dataset",
    ];
    for ((what, find, expected), replace) in cases.iter().zip(replacements) {
        let text = GOOD.replacen(find, replace, 1);
        assert_ne!(text, GOOD, "{what}: pattern not found");
        let err = error(&text);
        for e in *expected {
            assert!(err.contains(e), "{what}: {err:?} lacks {e:?}");
        }
    }
}

#[test]
fn custom_families_are_checked() {
    let custom = GOOD.replace(
        "kind = \"demo\"\nscale = 0.001",
        "kind = \"custom\"\nseed = 7\n[[dataset.family]]\nname = \"users\"\ncount = 50\nkey = \"u:{i}\"\n\
         value = { type = \"dict\", fields = { n = { type = \"int\", min = 0, max = 9 } } }",
    );
    let s = parse(&custom).unwrap();
    assert_eq!(s.dataset.build().unwrap().record_count(), 50);
    let err = error(&custom.replace("count = 50", "count = -1"));
    assert!(err.contains("count must be positive"), "{err}");
    let err = error(&custom.replace("u:{i}", "u:{j}"));
    assert!(err.contains("key") && err.contains("{j}"), "{err}");
    let err = error(&custom.replace("min = 0, max = 9", "min = 9, max = 0"));
    assert!(
        err.contains("fields.n") && err.contains("larger than max"),
        "{err}"
    );
    let err = error(&custom.replace("type = \"int\"", "type = \"complex\""));
    assert!(err.contains("complex"), "{err}");
}

/// The fingerprint is a canonical text, not a type's Debug output: every committed report
/// still names the dataset its scenario file defines today, so `compare` and `--baseline`
/// take it.
#[test]
fn committed_reports_keep_their_dataset_fingerprint() {
    let mut checked = 0;
    for entry in std::fs::read_dir(crate::common::project_file("reports")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let report = redisadv::report::load(&path).unwrap();
        let dataset = &report.scenario.dataset;
        let mut scenario =
            Scenario::load(&crate::common::project_file(&report.scenario.file)).unwrap();
        scenario.set_scale(dataset.scale);
        assert_eq!(
            scenario.dataset.fingerprint().unwrap(),
            dataset.fingerprint.clone().unwrap(),
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 8, "{checked} reports");
}
