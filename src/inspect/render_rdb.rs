//! What a streamed file adds to inspect's report when printed: how it was read and measured
//! (in the heading), the largest keys and every database (as tables).

use super::InspectReport;
use super::rdb_file::RdbSection;
use super::render::human;
use crate::report::sheet::SheetTable;

/// The heading's lines on sampling, for a streamed file.
pub fn heading(report: &InspectReport, rdb: &RdbSection) -> String {
    let how = match rdb.keys_restored_per_pattern {
        Some(n) => format!(
            "up to {n} keys per pattern restored into a private server ({}) and measured \
             (MEMORY USAGE SAMPLES 0); each pattern's bytes projected by the measured ratio to its serialized \
             size, ± is the 95% interval",
            rdb.engine
        ),
        None => format!(
            "every key restored into a private server ({}) in batches and measured (MEMORY USAGE \
             SAMPLES 0)",
            rdb.engine
        ),
    };
    let mut out = format!(
        "\nstreamed {} of {} ({}): keys, TTLs and types of all {:.0} keys counted; {how}; \
         used_memory projected for these keys",
        human(rdb.bytes_read as f64),
        human(rdb.file_bytes as f64),
        rdb.rdb_version,
        report.population_keys,
    );
    if rdb.expired_skipped > 0 {
        out.push_str(&format!(
            "\n{} keys had expired already and were left out, as a server loading the file does",
            rdb.expired_skipped
        ));
    }
    if rdb.interrupted {
        out.push_str("\ninterrupted (Ctrl-C): the figures cover the part of the file read");
    }
    out
}

const LARGEST: [&str; 5] = ["key", "db", "type", "serialized", "TTL"];
const DATABASES: [&str; 4] = ["db", "keys", "with TTL", "serialized"];

pub fn tables(rdb: &RdbSection) -> Vec<SheetTable<'static>> {
    let largest = rdb
        .largest_keys
        .iter()
        .map(|k| {
            vec![
                k.key.clone(),
                k.db.to_string(),
                k.kind.clone(),
                human(k.serialized_bytes as f64),
                k.ttl_seconds
                    .map_or("never expires".into(), |s| format!("{:.0} s", s)),
            ]
        })
        .collect();
    let dbs = rdb
        .databases
        .iter()
        .map(|d| {
            vec![
                d.db.to_string(),
                d.keys.to_string(),
                d.expires.to_string(),
                human(d.serialized_bytes as f64),
            ]
        })
        .collect();
    vec![
        SheetTable {
            caption: "Largest keys (serialized size)",
            headers: &LARGEST,
            rows: largest,
            numeric: &[false, true, false, true, true],
            code_first: true,
        },
        SheetTable {
            caption: "Databases in the file",
            headers: &DATABASES,
            rows: dbs,
            numeric: &[true, true, true, true],
            code_first: false,
        },
    ]
}
