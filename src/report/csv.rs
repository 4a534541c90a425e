//! One CSV row per variant, every figure in its own column.

use super::explained::overrides;
use super::{Report, VariantReport, bytes_per_record, relative_percent};
use crate::document::{Cell, Table};
use crate::explain::encoding::describe;

/// The CSV format's table: every column the report has, one row per variant.
pub fn table(report: &Report) -> Table {
    // A multi-engine report leads every row with its engine; one-engine CSV is unchanged.
    let engines = !report.engines.is_empty();
    let lead: &[&str] = if engines { &ENGINE_COLUMNS } else { &[] };
    let mut table = Table::with_columns(
        lead.iter()
            .copied()
            .chain(COLUMNS)
            .chain(EXPLAIN_COLUMNS)
            .chain(super::read::csv_columns(report).iter().copied())
            .map(String::from),
    );
    let opt = |o: Option<String>| o.unwrap_or_default();
    for v in &report.variants {
        let m = v.result.as_ref();
        let f = |g: &dyn Fn(&super::Measured) -> String| opt(m.map(g));
        let lead = if engines {
            engine_cells(report, v)
        } else {
            Vec::new()
        };
        let text = [0, 1, 2, 3, 5, 8, 11, 26];
        let cells = [
            v.name.clone(),
            if m.is_some() { "ok" } else { "failed" }.to_string(),
            v.codec.clone(),
            v.envelope.clone(),
            opt(v.pickle_protocol.map(|p| p.to_string())),
            v.layout.clone(),
            opt(v.redis_ttl.map(|t| t.to_string())),
            opt(v.expiration_time.map(|t| t.to_string())),
            v.hash_ttl.clone(),
            v.version.to_string(),
            f(&|m| m.memory.used_memory.to_string()),
            f(&|m| m.memory.used_memory_human.clone()),
            f(&|m| m.memory.used_memory_rss.to_string()),
            f(&|m| m.memory.used_memory_peak.to_string()),
            f(&|m| m.memory.used_memory_dataset.to_string()),
            f(&|m| m.memory.used_memory_overhead.to_string()),
            f(&|m| m.empty_used_memory.to_string()),
            f(&|m| m.dataset_bytes.to_string()),
            opt(relative_percent(report, v).map(|p| format!("{p:.4}"))),
            f(&|m| format!("{:.3}", bytes_per_record(m))),
            f(&|m| m.keys.to_string()),
            f(&|m| m.keys_with_ttl.to_string()),
            f(&|m| m.records.to_string()),
            f(&|m| format!("{:.3}", m.prime_seconds)),
            f(&|m| format!("{:.0}", m.records_per_second)),
            f(&|m| format!("{:.3}", m.settle_seconds)),
            opt(v.error.clone()),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            if text.contains(&i) {
                Cell::text(c)
            } else {
                Cell::number(c)
            }
        });
        let row: Vec<Cell> = lead
            .into_iter()
            .chain(cells)
            .chain(explain_cells(report, v))
            .chain(
                super::read::csv_cells(report, v)
                    .into_iter()
                    .map(Cell::number),
            )
            .collect();
        table.row(row);
    }
    table
}

const COLUMNS: [&str; 27] = [
    "variant",
    "status",
    "codec",
    "envelope",
    "pickle_protocol",
    "layout",
    "redis_ttl",
    "expiration_time",
    "hash_ttl",
    "version",
    "used_memory",
    "used_memory_human",
    "used_memory_rss",
    "used_memory_peak",
    "used_memory_dataset",
    "used_memory_overhead",
    "empty_used_memory",
    "dataset_bytes",
    "relative_percent",
    "bytes_per_record",
    "keys",
    "keys_with_ttl",
    "records",
    "prime_seconds",
    "records_per_second",
    "settle_seconds",
    "error",
];

const ENGINE_COLUMNS: [&str; 5] = [
    "engine",
    "server",
    "server_version",
    "mem_allocator",
    "across_percent",
];

/// The engine's identity and the figure against the baseline engine's baseline variant.
fn engine_cells(report: &Report, v: &VariantReport) -> Vec<Cell> {
    let e = report
        .engines
        .iter()
        .find(|e| Some(e.name.as_str()) == v.engine.as_deref());
    let get = |g: &dyn Fn(&super::EngineInfo) -> String| e.map(g).unwrap_or_default();
    vec![
        Cell::text(v.engine.clone().unwrap_or_default()),
        Cell::text(get(&|e| e.server.clone())),
        Cell::text(get(&|e| e.version.clone())),
        Cell::text(get(&|e| {
            format!("{}{}", e.allocator, super::engines::linkage(&e.jemalloc))
        })),
        Cell::number(
            super::across_percent(report, v)
                .map(|p| format!("{p:.4}"))
                .unwrap_or_default(),
        ),
    ]
}

const EXPLAIN_COLUMNS: [&str; 24] = [
    "overrides",
    "buckets",
    "fields_mean",
    "fields_max",
    "key_bytes_mean",
    "key_bytes_p50",
    "key_bytes_max",
    "value_bytes_mean",
    "value_bytes_p50",
    "value_bytes_max",
    "encodings_predicted",
    "encodings_measured",
    "encodings_checked",
    "encodings_sampled",
    "encodings_unexpected",
    "expires_entries",
    "ttl_bytes",
    "ttl_method",
    "stats_expires_bytes",
    "key_table_bytes",
    "expires_table_bytes",
    "objects_and_values_bytes",
    "warnings",
    "why",
];

/// The explanation's columns; empty where the variant has none.
fn explain_cells(report: &Report, v: &VariantReport) -> Vec<Cell> {
    let mut cells = vec![String::new(); EXPLAIN_COLUMNS.len()];
    cells[0] = if v.overrides.is_empty() {
        String::new()
    } else {
        overrides(v)
    };
    cells[23] = super::why::line(report, v).unwrap_or_default();
    // Text columns: overrides, the encodings, the TTL method, warnings and why.
    let typed = |cells: Vec<String>| -> Vec<Cell> {
        cells
            .into_iter()
            .enumerate()
            .map(|(i, c)| match i {
                0 | 10 | 11 | 17 | 22 | 23 => Cell::text(c),
                _ => Cell::number(c),
            })
            .collect()
    };
    let Some(e) = v.result.as_ref().and_then(|m| m.explain.as_ref()) else {
        return typed(cells);
    };
    let w = &e.written;
    if let Some(h) = &w.hash {
        cells[1] = h.buckets.to_string();
        cells[2] = format!("{:.3}", h.fields_mean);
        cells[3] = h.fields_max.to_string();
    }
    cells[4] = format!("{:.3}", w.key_bytes.mean);
    cells[5] = w.key_bytes.p50.to_string();
    cells[6] = w.key_bytes.max.to_string();
    cells[7] = format!("{:.3}", w.value_bytes.mean);
    cells[8] = w.value_bytes.p50.to_string();
    cells[9] = w.value_bytes.max.to_string();
    cells[10] = describe(&w.predicted_encodings);
    cells[11] = describe(&e.encodings.measured);
    cells[12] = e.encodings.checked.to_string();
    cells[13] = e.encodings.sampled.to_string();
    cells[14] = e.encodings.unexpected.to_string();
    cells[15] = e.ttl.expires_entries.to_string();
    cells[16] = e.ttl.bytes().to_string();
    cells[17] = e.ttl.method().into();
    cells[18] = e.ttl.stats_expires_bytes.to_string();
    for (i, part) in e.breakdown.iter().take(3).enumerate() {
        cells[19 + i] = part.bytes.to_string();
    }
    cells[22] = e.warnings.join(" | ");
    typed(cells)
}
