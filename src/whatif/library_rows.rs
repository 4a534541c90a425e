//! whatif's rows for a family's own library settings: each variant of recode.rs written to a
//! private server (the sampled keys and TTLs, each value as the library would store it under
//! that setting), measured like today's row, projected to the population with its 95%
//! interval. Records a serializer cannot carry are counted at their stored size, named by
//! type, and reported.

use super::recode::{self, Library, Parsed, Recode};
use super::{Projection, project, today};
use crate::codec::detect::Serializer;
use crate::dataset::sample::Sample;
use crate::scenario::Scenario;

/// What whatif knows about the family before measuring it.
pub struct Family {
    pub library: Library,
    /// The serializer most of the records were stored with.
    pub stored: Option<Serializer>,
    pub parsed: Vec<Parsed>,
}

pub fn analyse(sample: &Sample) -> anyhow::Result<Family> {
    let mut parsed = Vec::with_capacity(sample.records.len());
    for r in &sample.records {
        parsed.push(recode::parse(&r.stored));
    }
    let mut counts = [0usize; 3];
    for p in &parsed {
        match p.serializer {
            Some(Serializer::Pickle) => counts[0] += 1,
            Some(Serializer::Json) => counts[1] += 1,
            Some(Serializer::Msgpack) => counts[2] += 1,
            None => {}
        }
    }
    let best = (0..3)
        .max_by_key(|&i| (counts[i], std::cmp::Reverse(i)))
        .unwrap_or(0);
    let stored = (counts[best] > 0)
        .then(|| [Serializer::Pickle, Serializer::Json, Serializer::Msgpack][best]);
    Ok(Family {
        library: recode::library(sample, &parsed),
        stored,
        parsed,
    })
}

/// The figures every row is set against: today's projection and each record's size today.
pub struct Baseline {
    pub population: project::Population,
    pub today: f64,
    pub today_sizes: Vec<f64>,
    pub written: project::Written,
    pub inspected: f64,
}

/// Whether `name` is one of the names recode variants take (`zlib`, `msgpack+zstd`...), so
/// that `--only` can pick them beside the grid's.
pub fn is_recode_name(name: &str) -> bool {
    let compressor = |c: &str| {
        crate::compress::Compressor::ALL
            .iter()
            .any(|k| k.name() == c)
    };
    match name.split_once('+') {
        Some((ser, c)) => matches!(ser, "json" | "msgpack") && compressor(c),
        None => matches!(name, "json" | "msgpack") || compressor(name),
    }
}

/// Measures `variants` for the family, one private server each.
pub fn rows(
    sample: &Sample,
    family: &Family,
    variants: &[Recode],
    grid: &Scenario,
    base: &Baseline,
    progress: bool,
) -> anyhow::Result<Vec<Projection>> {
    let mut out = Vec::new();
    let stored: Vec<&Vec<u8>> = sample.records.iter().map(|r| &r.stored).collect();
    for (k, v) in variants.iter().enumerate() {
        if progress {
            crate::ui::say!(
                "whatif: {} ({}/{}) on a private server",
                v.name,
                k + 1,
                variants.len()
            );
        }
        let mut values = Vec::with_capacity(stored.len());
        let mut sizes = Vec::with_capacity(stored.len());
        let mut diffs = Vec::with_capacity(stored.len());
        // type -> (records, first record index)
        let mut refused: Vec<(String, u64, usize)> = Vec::new();
        for (i, (p, s)) in family.parsed.iter().zip(&stored).enumerate() {
            let bytes = match recode::encode(p, s, v, family.library) {
                Ok(b) => b,
                Err(why) => {
                    match refused.iter_mut().find(|(t, _, _)| *t == why) {
                        Some(e) => e.1 += 1,
                        None => refused.push((why, 1, i)),
                    }
                    s.to_vec()
                }
            };
            let size = (sample.records[i].key.len() + bytes.len()) as f64;
            sizes.push(size);
            diffs.push(base.today_sizes[i] - size);
            values.push(bytes);
        }
        let unencodable: u64 = refused.iter().map(|r| r.1).sum();
        let cannot_encode: Vec<String> = refused
            .iter()
            .map(|(why, count, first)| {
                format!(
                    "cannot encode as {}: {why} at record {} (key {}); {count} of {} \
                     sampled records, counted at their stored size",
                    v.serializer.map_or("the stored serializer", |t| t.name()),
                    first + 1,
                    sample.records[*first].key,
                    stored.len()
                )
            })
            .collect();
        let (bytes, error) = match today::measure_values(sample, &values, grid) {
            Ok(b) => (Some(b), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        };
        let projected =
            bytes.map(|b| project::project(b as f64, base.written, base.population.keys));
        let savings = projected.map(|p| base.today - p);
        let savings_ci = savings.map(|s| {
            base.population
                .savings_ci95(&diffs, s, base.written, base.written)
        });
        let percent = |x: f64| (base.today > 0.0).then(|| x / base.today * 100.0);
        let inspected = base.inspected;
        out.push(Projection {
            variant: v.name.clone(),
            codec: v
                .serializer
                .map_or_else(
                    || family.stored.map_or("value", serializer_name),
                    |t| t.name(),
                )
                .into(),
            envelope: v.compressor.map_or("none", |c| c.name()).into(),
            layout: "keys".into(),
            redis_ttl: None,
            records: stored.len() as u64 - unencodable,
            unencodable,
            dataset_bytes: bytes,
            bytes_per_record: projected.map(|p| p / base.population.keys.max(1.0)),
            projected_bytes: projected,
            projected_ci95: projected
                .map(|p| base.population.projected_ci95(&sizes, p, base.written)),
            savings_bytes: savings,
            savings_percent: savings.and_then(percent),
            savings_ci95: savings_ci,
            savings_percent_ci95: savings_ci.and_then(percent),
            savings_vs_inspect_percent: projected
                .and_then(|p| (inspected > 0.0).then(|| (inspected - p) / inspected * 100.0)),
            error,
            library: family.library.name().into(),
            cannot_encode,
        });
    }
    Ok(out)
}

fn serializer_name(s: Serializer) -> &'static str {
    match s {
        Serializer::Pickle => "pickle",
        Serializer::Json => "json",
        Serializer::Msgpack => "msgpack",
    }
}
