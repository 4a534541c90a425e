//! Every output format from a fixed report (the committed quick report), against expected
//! files, and the JSON schema against real output.

use crate::common::project_file;
use redisadv::report::{self, OutputFormat};

fn fixed_report() -> report::Report {
    report::load(&project_file("tests/expected/report.json")).unwrap()
}

fn check(format: OutputFormat, expected: &str) {
    let got = report::render(&fixed_report(), format).unwrap();
    let path = project_file(expected);
    if std::env::var_os("REDISADV_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        got, want,
        "{expected} differs (REDISADV_BLESS=1 rewrites it on purpose)"
    );
}

#[test]
fn table_matches_expected() {
    check(OutputFormat::Table, "tests/expected/report.table.txt");
}

#[test]
fn markdown_matches_expected() {
    check(OutputFormat::Markdown, "tests/expected/report.md");
}

#[test]
fn csv_matches_expected() {
    check(OutputFormat::Csv, "tests/expected/report.csv");
}

#[test]
fn json_round_trips() {
    let r = fixed_report();
    let text = report::render(&r, OutputFormat::Json).unwrap();
    let again: report::Report = serde_json::from_str(&text).unwrap();
    assert_eq!(again, r);
}

fn schema() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project_file("schema/report.schema.json")).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

#[test]
fn real_reports_validate_against_the_schema() {
    let validator = schema();
    for path in [
        "reports/quick-redis-7.0.json",
        "reports/all-redis-7.0.json",
        "reports/engines.json",
        "reports/cluster.json",
        "reports/sweep-buckets.json",
        "reports/sweep-listpack.json",
        "tests/expected/report.json",
    ] {
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(project_file(path)).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:?}");
    }
    // The schema is not a rubber stamp: a wrong type and an unknown field are refused.
    let mut bad: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project_file("tests/expected/report.json")).unwrap(),
    )
    .unwrap();
    bad["variants"][0]["result"]["dataset_bytes"] = "many".into();
    assert!(!validator.is_valid(&bad));
    let mut bad2: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project_file("tests/expected/report.json")).unwrap(),
    )
    .unwrap();
    bad2["surprise"] = 1.into();
    assert!(!validator.is_valid(&bad2));
    // A multi-engine report's engines need their identity.
    let mut bad3: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project_file("reports/engines.json")).unwrap(),
    )
    .unwrap();
    bad3["engines"][0].as_object_mut().unwrap().remove("server");
    assert!(!validator.is_valid(&bad3));
}
