//! inspect's report from a streamed file: per pattern the exact key count, TTLs and types of
//! every key, and bytes projected from the measured sample by the ratio of MEMORY USAGE to
//! serialized size (exact when every key was measured), with its 95% interval.

use super::measure::Measurer;
use super::strata::{Strata, Stratum};
use crate::explain::ttl_cost::ENTRY_ROUNDING;
use crate::inspect::rdb_file::RdbSection;
use crate::inspect::stats::PatternStats;
use crate::inspect::{InspectOptions, InspectReport, PatternRow, TtlCoverage};

/// The expires table's cost per key with a TTL once `n` of them are loaded: what MEMORY
/// STATS reports for it (a 24-byte entry per key plus 8 bytes per slot, the table sized to
/// the next power of two at load) plus the allocator's rounding of each entry, as `inspect`
/// counts it on a live server.
pub fn expires_per_key(n: u64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let table = n * 24 + n.next_power_of_two() * 8;
    (table + n * ENTRY_ROUNDING) as f64 / n as f64
}

struct Row {
    name: String,
    stream: PatternStats,
    stratum: Stratum,
}

pub fn build(
    target: String,
    db: u64,
    strata: Strata,
    m: &Measurer,
    section: RdbSection,
    options: &InspectOptions,
) -> InspectReport {
    let Strata {
        stream,
        index,
        mut strata,
        overflow,
        ..
    } = strata;
    let mut stream = stream;
    let mut rows: Vec<Row> = index
        .into_iter()
        .map(|(name, id)| Row {
            stream: stream.patterns.remove(&name).unwrap_or_default(),
            stratum: std::mem::take(&mut strata[id]),
            name,
        })
        .collect();
    // Patterns that differ only by a random token become their family, as on a live server.
    let rare: Vec<String> = rows
        .iter()
        .filter(|r| r.stream.keys <= 2)
        .map(|r| r.name.clone())
        .collect();
    let merges = crate::inspect::stats::family_merges(&rare, rows.iter().map(|r| r.name.as_str()));
    if !merges.is_empty() {
        let mut merged: Vec<Row> = Vec::with_capacity(rows.len());
        let mut at: std::collections::HashMap<String, usize> = Default::default();
        for r in rows {
            let name = merges
                .get(&r.name)
                .cloned()
                .unwrap_or_else(|| r.name.clone());
            match at.get(&name) {
                Some(&i) => {
                    merged[i].stream.merge(&r.stream);
                    merged[i].stratum.merge(&r.stratum);
                }
                None => {
                    at.insert(name.clone(), merged.len());
                    merged.push(Row { name, ..r });
                }
            }
        }
        rows = merged;
    }
    let keys_in_db = section
        .databases
        .iter()
        .find(|d| d.db == db)
        .map_or(0, |d| d.keys);
    let with_ttl: u64 =
        rows.iter().map(|r| r.stream.with_ttl).sum::<u64>() + stream.overflow.with_ttl;
    let c = expires_per_key(with_ttl);
    let projected = |r: &Row| r.stratum.projection(r.stream.keys).0 + c * r.stream.with_ttl as f64;
    rows.sort_by(|a, b| {
        projected(b)
            .total_cmp(&projected(a))
            .then(a.name.cmp(&b.name))
    });
    let mut other = Row {
        name: "other".into(),
        stream: stream.overflow,
        stratum: overflow,
    };
    // The overflow stratum's own projection, then the patterns past --top, each with theirs.
    let mut other_parts = vec![part(&other)];
    let mut total_parts = vec![part(&other)];
    for r in &rows {
        total_parts.push(part(r));
    }
    let mut total = Row {
        name: "total".into(),
        stream: PatternStats::default(),
        stratum: Stratum::default(),
    };
    for r in rows.iter().chain(std::iter::once(&other)) {
        total.stream.merge(&r.stream);
        total.stratum.merge(&r.stratum);
    }
    for r in rows.iter().skip(options.top) {
        other.stream.merge(&r.stream);
        other.stratum.merge(&r.stratum);
        other_parts.push(part(r));
    }
    rows.truncate(options.top);
    let population: u64 = total.stream.keys;
    let total_memory: f64 = total_parts.iter().map(|p| p.0).sum::<f64>() + c * with_ttl as f64;
    // used_memory as a server holding these keys would report it: the empty server, the
    // keys, and the main table's slots (8 bytes each, sized to the next power of two).
    let used_memory =
        m.empty_used_memory as f64 + total_memory + (population.next_power_of_two() * 8) as f64;
    let row = |r: &Row, parts: &[(f64, f64)]| -> PatternRow {
        let memory: f64 = parts.iter().map(|p| p.0).sum();
        let var: f64 = parts.iter().map(|p| p.1).sum();
        let expires = c * r.stream.with_ttl as f64;
        let s = &r.stream;
        PatternRow {
            pattern: r.name.clone(),
            example: s.example.clone(),
            inspected: r.stratum.n,
            keys: s.keys as f64,
            keys_ci95: 0.0,
            bytes: memory + expires,
            bytes_ci95: 1.96 * var.sqrt(),
            memory_usage_bytes: memory,
            expires_bytes: expires,
            share_of_used_memory: (memory + expires) / used_memory.max(1.0),
            ttl: TtlCoverage::of(s),
            types: s.types.clone(),
            encodings: r.stratum.measured.encodings.clone(),
            formats: r.stratum.measured.family_formats(),
            mean_value_bytes: (r.stratum.measured.values > 0)
                .then(|| r.stratum.measured.value_bytes as f64 / r.stratum.measured.values as f64),
            // The stream's sample reads values whole, not per type: one mean, above.
            mean_string_bytes: None,
            mean_hash_field_bytes: None,
        }
    };
    let all = options.sample.is_none() && !section.interrupted;
    InspectReport {
        tool: format!("redisadv {}", env!("CARGO_PKG_VERSION")),
        target,
        redis_version: section.rdb_version.clone(),
        db: db as i64,
        match_pattern: options.pattern.clone(),
        mode: if all { "all" } else { "sample" }.into(),
        keys_inspected: total.stratum.n,
        dbsize: keys_in_db,
        population_keys: population as f64,
        scan_fraction: section.bytes_read as f64 / section.file_bytes.max(1) as f64,
        used_memory: used_memory.round() as u64,
        expires_bytes_per_key: c,
        seconds: 0.0,
        commands: m.commands,
        patterns: rows.iter().map(|r| row(r, &[part(r)])).collect(),
        other: (other.stream.keys > 0).then(|| row(&other, &other_parts)),
        total: row(&total, &total_parts),
        cluster: None,
        rdb: Some(section),
        extras: crate::inspect::Extras {
            exact: all,
            ..Default::default()
        },
    }
}

/// A row's projected MEMORY USAGE and its variance.
fn part(r: &Row) -> (f64, f64) {
    r.stratum.projection(r.stream.keys)
}
