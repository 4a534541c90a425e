//! What a streamed file adds to inspect's report when printed: how it was read and measured
//! (in the heading), the largest keys and every database (as tables).

use super::InspectReport;
use super::rdb_file::RdbSection;
use crate::document::{Cell, Table};
use crate::figures::human_size as human;

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

/// The file's largest keys and its databases, each under its caption.
pub fn tables(rdb: &RdbSection) -> Vec<(&'static str, Table)> {
    let mut largest = Table::new(&LARGEST, &[false, true, false, true, true]);
    for k in &rdb.largest_keys {
        largest.row(vec![
            Cell::code(&k.key),
            Cell::number(k.db.to_string()),
            Cell::text(&k.kind),
            Cell::size(k.serialized_bytes as f64),
            Cell::number(
                k.ttl_seconds
                    .map_or("never expires".into(), |s| format!("{:.0} s", s)),
            ),
        ]);
    }
    let mut dbs = Table::new(&DATABASES, &[true, true, true, true]);
    for d in &rdb.databases {
        dbs.row(vec![
            Cell::number(d.db.to_string()),
            Cell::number(d.keys.to_string()),
            Cell::number(d.expires.to_string()),
            Cell::size(d.serialized_bytes as f64),
        ]);
    }
    vec![
        ("Largest keys (serialized size)", largest),
        ("Databases in the file", dbs),
    ]
}
