//! `whatif`: what a pattern's records would cost under each way of caching them. A sample of
//! real records (key, TTL, decoded payload) is written by the bench machinery to private
//! servers for every variant of a grid (all.toml by default), and each figure is projected
//! to the pattern's whole population and set against what inspect measured there today.

pub mod buckets;
pub mod render;
pub mod today;

use crate::codec::{Codec, Envelope, Format, Metadata, pyliteral};
use crate::dataset::sample::{Sample, SampleHeader, SampleRecord};
use crate::inspect::format::detect;
use crate::inspect::{InspectOptions, Walk};
use crate::scenario::{DatasetSpec, SampleData, Scenario};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Reads up to `limit` keys matching `glob` and keeps the string records as a sample
/// (on a cluster, from every master, as inspect reads them).
pub fn sample(
    walk: &mut Walk,
    source: String,
    glob: &str,
    limit: u64,
    count: u64,
) -> anyhow::Result<Sample> {
    let options = InspectOptions {
        pattern: Some(glob.to_string()),
        sample: Some(limit),
        count,
        top: usize::MAX,
        max_patterns: 10_000,
        largest: 0,
    };
    let mut records = Vec::new();
    let mut payloads = Vec::new();
    let mut skipped = 0;
    let report = walk.run(source.clone(), &options, &mut |o| {
        if o.kind != "string" {
            skipped += 1;
            return;
        }
        let stored = &o.values[0];
        let d = detect(stored);
        records.push(SampleRecord {
            key: String::from_utf8_lossy(o.key).into_owned(),
            bucket: String::new(),
            field: String::new(),
            ttl_ms: o.pttl,
            format: d.format.name(),
            payload: pyliteral::repr(&d.payload),
            stored: hex::encode(stored),
            python_object: d.python_object.clone(),
        });
        payloads.push(d.payload);
    })?;
    // The most common pattern among the keys read names the sample.
    let pattern = report
        .patterns
        .iter()
        .max_by(|a, b| {
            a.inspected
                .cmp(&b.inspected)
                .then(b.pattern.cmp(&a.pattern))
        })
        .map_or(glob.to_string(), |p| p.pattern.clone());
    let summary_keys = report.keys_inspected;
    if records.is_empty() {
        anyhow::bail!(
            "--match {glob}: no string key matched in {source} ({} keys read); whatif samples \
             string keys (one record each)",
            summary_keys
        );
    }
    let population = report.total.keys;
    // Today's bytes of the string keys only (the records whatif rewrites).
    let share = records.len() as f64 / summary_keys.max(1) as f64;
    let keys: Vec<String> = records.iter().map(|r| r.key.clone()).collect();
    let placed = buckets::place(&keys, population * share);
    for (r, p) in records.iter_mut().zip(placed) {
        r.bucket = p.bucket;
        r.field = p.field;
    }
    Ok(Sample {
        header: SampleHeader {
            kind: "redisadv-sample".into(),
            version: 1,
            pattern,
            match_glob: glob.to_string(),
            source,
            population_keys: population * share,
            today_bytes: report.total.bytes * share_of_bytes(&report, skipped),
            today_bytes_ci95: report.total.bytes_ci95 * share_of_bytes(&report, skipped),
            bucket_rule: buckets::rule(&keys).to_string(),
            skipped_not_strings: skipped,
        },
        records,
        payloads,
    })
}

/// The share of the pattern's bytes held by string keys (1 when every key is a string).
fn share_of_bytes(report: &crate::inspect::InspectReport, skipped: u64) -> f64 {
    if skipped == 0 {
        return 1.0;
    }
    let strings = report.total.types.get("string").copied().unwrap_or(0) as f64;
    strings / report.total.inspected.max(1) as f64
}

/// What one variant would cost for the whole pattern.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Projection {
    pub variant: String,
    pub codec: String,
    pub envelope: String,
    pub layout: String,
    pub redis_ttl: Option<u64>,
    /// Sampled records written, and those the serializer cannot encode (left out, counted).
    pub records: u64,
    pub unencodable: u64,
    /// used_memory the written records added on the private server (settled).
    pub dataset_bytes: Option<u64>,
    pub bytes_per_record: Option<f64>,
    /// bytes_per_record times the pattern's population.
    pub projected_bytes: Option<f64>,
    /// Against the sampled values measured as stored today: positive is memory saved.
    pub savings_bytes: Option<f64>,
    pub savings_percent: Option<f64>,
    /// Against inspect's figure for the pattern (MEMORY USAGE + expires share), which
    /// leaves out the key table's slots: a few percent more optimistic.
    pub savings_vs_inspect_percent: Option<f64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WhatifReport {
    pub tool: String,
    pub sample: SampleHeader,
    pub sampled_records: u64,
    /// The Redis TTL the TTL variants were given, seconds (from the sample).
    pub ttl_seconds: Option<u64>,
    pub grid: String,
    /// The sampled values written as they are stored today (same TTLs, plain keys) on a
    /// private server, measured like the variants: the baseline of `savings`.
    pub as_stored: Option<Projection>,
    pub variants: Vec<Projection>,
}

/// Whether `codec` can carry record `i`'s payload.
fn encodable(sample: &Sample, i: usize, codec: Codec) -> bool {
    if codec != Codec::Pickle && sample.records[i].python_object.is_some() {
        return false;
    }
    Format::new(codec, Envelope::Raw)
        .encode(&sample.payloads[i], Metadata::new(0.0, 2))
        .is_ok()
}

/// The Redis TTL the TTL variants get: the sample's median, at least an hour so that
/// nothing expires while it is measured (a TTL's memory does not depend on its length).
pub fn sample_ttl(sample: &Sample) -> Option<u64> {
    let mut ttls: Vec<i64> = sample.records.iter().filter_map(|r| r.ttl_ms).collect();
    if ttls.is_empty() {
        return None;
    }
    ttls.sort_unstable();
    let median = (ttls[ttls.len() / 2] as u64).div_ceil(1000);
    Some(median.max(3600))
}

/// Runs the grid's variants over the sample, one bench run per serializer (each leaves out
/// the payloads its serializer cannot encode), and projects the figures.
pub fn run(
    sample: Arc<Sample>,
    mut grid: Scenario,
    options: &crate::job::RunOptions,
) -> anyhow::Result<WhatifReport> {
    let ttl = sample_ttl(&sample);
    for v in &mut grid.variants {
        if v.redis_ttl.is_some()
            && let Some(t) = ttl
        {
            v.redis_ttl = Some(t);
        }
    }
    let n = sample.records.len();
    let population = sample.header.population_keys;
    let stored_bytes = today::measure(&sample, &grid)?;
    let mut as_stored = Projection {
        variant: "as stored today".into(),
        codec: String::new(),
        envelope: String::new(),
        layout: "keys".into(),
        redis_ttl: None,
        records: n as u64,
        unencodable: 0,
        dataset_bytes: Some(stored_bytes),
        bytes_per_record: Some(stored_bytes as f64 / n as f64),
        projected_bytes: Some(stored_bytes as f64 / n as f64 * population),
        savings_bytes: Some(0.0),
        savings_percent: Some(0.0),
        savings_vs_inspect_percent: None,
        error: None,
    };
    let inspected = sample.header.today_bytes;
    let vs_inspect = |p: f64| (inspected > 0.0).then(|| (inspected - p) / inspected * 100.0);
    let today = as_stored.projected_bytes.unwrap_or(0.0);
    as_stored.savings_vs_inspect_percent = as_stored.projected_bytes.and_then(vs_inspect);
    let mut projections = Vec::new();
    for codec in Codec::ALL {
        let variants: Vec<_> = grid
            .variants
            .iter()
            .filter(|v| v.format.codec == codec)
            .cloned()
            .collect();
        if variants.is_empty() {
            continue;
        }
        let keep: Vec<bool> = (0..n).map(|i| encodable(&sample, i, codec)).collect();
        let written = keep.iter().filter(|k| **k).count() as u64;
        let unencodable = n as u64 - written;
        let mut rows = Vec::new();
        if written == 0 {
            for v in &variants {
                let why = format!("{codec} cannot encode any of the {n} sampled payloads");
                rows.push((v.clone(), None, Some(why)));
            }
        } else {
            let mut scenario = grid.clone();
            scenario.variants = variants.clone();
            scenario.baseline = 0;
            scenario.dataset = DatasetSpec::from_sample(SampleData {
                sample: sample.clone(),
                keep: Arc::new(keep),
            });
            let report = crate::bench::run(&scenario, options)?;
            for (v, r) in variants.iter().zip(report.variants) {
                rows.push((v.clone(), r.result.map(|m| m.dataset_bytes), r.error));
            }
        }
        for (v, bytes, error) in rows {
            let per = bytes.map(|b| b as f64 / written.max(1) as f64);
            let projected = per.map(|p| p * population);
            projections.push(Projection {
                variant: v.name.clone(),
                codec: v.format.codec.name().into(),
                envelope: v.format.envelope.name().into(),
                layout: v.layout.name().into(),
                redis_ttl: v.redis_ttl,
                records: written,
                unencodable,
                dataset_bytes: bytes,
                bytes_per_record: per,
                projected_bytes: projected,
                savings_bytes: projected.map(|p| today - p),
                savings_percent: projected
                    .filter(|_| today > 0.0)
                    .map(|p| (today - p) / today * 100.0),
                savings_vs_inspect_percent: projected.and_then(vs_inspect),
                error,
            });
        }
    }
    // The grid's order.
    projections.sort_by_key(|p| grid.variants.iter().position(|v| v.name == p.variant));
    Ok(WhatifReport {
        tool: format!("redisadv {}", env!("CARGO_PKG_VERSION")),
        sample: sample.header.clone(),
        sampled_records: n as u64,
        ttl_seconds: ttl,
        grid: grid.path.display().to_string(),
        as_stored: Some(as_stored),
        variants: projections,
    })
}

/// The default grid: all.toml's variants, with the project's redis.conf, both built in.
pub fn default_grid(dir: &std::path::Path) -> anyhow::Result<Scenario> {
    std::fs::create_dir_all(dir.join("scenarios"))?;
    std::fs::write(dir.join("redis.conf"), include_str!("../../redis.conf"))?;
    let path = dir.join("scenarios").join("all.toml");
    let text = include_str!("../../scenarios/all.toml");
    std::fs::write(&path, text)?;
    let mut scenario = Scenario::parse(text, &path)?;
    scenario.path = std::path::PathBuf::from("scenarios/all.toml (built in)");
    Ok(scenario)
}
