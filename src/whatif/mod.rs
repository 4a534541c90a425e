//! `whatif`: what a pattern's records would cost under each way of caching them. A sample of
//! real records (key, TTL, decoded payload) is written by the bench machinery to private
//! servers for every variant of a grid (all.toml by default), and each figure is projected
//! to the pattern's whole population and set against what inspect measured there today.

pub mod advice;
pub mod buckets;
pub mod library_rows;
pub mod library_settings;
pub mod project;
pub mod recode;
pub mod render;
pub mod server_advice;
pub mod today;

use crate::codec::detect::detect;
use crate::codec::family;
use crate::codec::{Codec, Envelope, Format, Metadata};
use crate::dataset::Layout;
use crate::dataset::sample::{Sample, SampleHeader, SampleRecord};
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
    let mut skipped = 0;
    let mut tally = family::Tally::default();
    let report = walk.run(source.clone(), &options, &mut |o| {
        if o.kind != "string" {
            skipped += 1;
            return;
        }
        let stored = &o.values[0];
        let d = detect(stored);
        tally.add(stored, d.format);
        records.push(SampleRecord {
            key: String::from_utf8_lossy(o.key).into_owned(),
            bucket: String::new(),
            field: String::new(),
            ttl_ms: o.pttl,
            format: d.format.name(),
            // Held once, as bytes; the payload is decoded from them when needed.
            stored: stored.clone(),
            given: None,
            python_object: d.python_object,
        });
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
    // A family mostly in one serializer reads its one-byte and bare-number values in it.
    if let Some(f) = tally.family() {
        for r in &mut records {
            if r.format != f.name() {
                r.format = family::reading(&r.stored, Some(f)).format.name();
            }
        }
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
            population_keys_ci95: report.total.keys_ci95 * share,
            today_bytes: report.total.bytes * share_of_bytes(&report, skipped),
            today_bytes_ci95: report.total.bytes_ci95 * share_of_bytes(&report, skipped),
            bucket_rule: buckets::rule(&keys).to_string(),
            skipped_not_strings: skipped,
        },
        records,
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
    /// The measured figure projected to the pattern's population (key and expires tables
    /// sized for the population's keys), and its 95% half-width.
    pub projected_bytes: Option<f64>,
    #[serde(default)]
    pub projected_ci95: Option<f64>,
    /// Against the sampled values measured as stored today: positive is memory saved;
    /// 95% half-widths of both (the same records, so their sizes are paired).
    pub savings_bytes: Option<f64>,
    pub savings_percent: Option<f64>,
    #[serde(default)]
    pub savings_ci95: Option<f64>,
    #[serde(default)]
    pub savings_percent_ci95: Option<f64>,
    /// Against inspect's figure for the pattern (MEMORY USAGE + expires share), which
    /// leaves out the key table's slots: a few percent more optimistic.
    pub savings_vs_inspect_percent: Option<f64>,
    pub error: Option<String>,
    /// For a library setting's row (not the dogpile grid's): the library whose setting
    /// writes it (`django-redis`...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub library: String,
    /// Why records could not be written this way: the type, the first record, how many.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cannot_encode: Vec<String>,
}

/// Which of the library settings' rows (recode.rs) to measure.
#[derive(Debug, Clone, PartialEq)]
pub enum RecodeFilter {
    All,
    /// Only these names (`--only` named some; none when it named only grid variants).
    Only(Vec<String>),
}

impl RecodeFilter {
    fn allows(&self, name: &str) -> bool {
        match self {
            RecodeFilter::All => true,
            RecodeFilter::Only(names) => names.iter().any(|n| n == name),
        }
    }
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
    /// The plan's warnings, each once, with the variants it concerns.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The best variant and how to get there, or that nothing is worth changing.
    #[serde(default)]
    pub recommendation: String,
    /// The library that wrote the family, as its values and keys tell (`django-redis`...).
    #[serde(default)]
    pub library: String,
}

/// Whether `codec` can carry record `i`'s payload.
fn encodable(sample: &Sample, i: usize, codec: Codec) -> bool {
    if codec != Codec::Pickle && sample.records[i].python_object.is_some() {
        return false;
    }
    Format::new(codec, Envelope::Raw)
        .encode(&sample.records[i].payload(), Metadata::new(0.0, 2))
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
    recodes: &RecodeFilter,
) -> anyhow::Result<WhatifReport> {
    let ttl = sample_ttl(&sample);
    for v in &mut grid.variants {
        if v.redis_ttl.is_some()
            && let Some(t) = ttl
        {
            v.redis_ttl = Some(t);
        }
    }
    let mut options = options.clone();
    options.explain.quiet_warnings = true;
    let n = sample.records.len();
    let population = project::Population::new(
        sample.header.population_keys,
        sample.header.population_keys_ci95,
    );
    let stored_bytes = today::measure(&sample, &grid)?;
    let today_sizes: Vec<f64> = sample
        .records
        .iter()
        .map(|r| (r.key.len() + r.stored.len()) as f64)
        .collect();
    let today_written = project::Written {
        records: n as f64,
        keys: n as f64,
        expires: sample.records.iter().filter(|r| r.ttl_ms.is_some()).count() as f64,
    };
    let today = project::project(stored_bytes as f64, today_written, population.keys);
    let today_ci = population.projected_ci95(&today_sizes, today, today_written);
    let inspected = sample.header.today_bytes;
    let vs_inspect = |p: f64| (inspected > 0.0).then(|| (inspected - p) / inspected * 100.0);
    let as_stored = Projection {
        variant: "as stored today".into(),
        codec: String::new(),
        envelope: String::new(),
        layout: "keys".into(),
        redis_ttl: None,
        records: n as u64,
        unencodable: 0,
        dataset_bytes: Some(stored_bytes),
        bytes_per_record: Some(today / population.keys.max(1.0)),
        projected_bytes: Some(today),
        projected_ci95: Some(today_ci),
        savings_bytes: Some(0.0),
        savings_percent: Some(0.0),
        savings_ci95: Some(0.0),
        savings_percent_ci95: Some(0.0),
        savings_vs_inspect_percent: vs_inspect(today),
        error: None,
        library: String::new(),
        cannot_encode: Vec::new(),
    };
    let mut projections = Vec::new();
    let mut warnings: Vec<(String, Vec<String>)> = Vec::new();
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
                keep: Arc::new(keep.clone()),
            });
            let report = crate::bench::run(&scenario, &options)?;
            for (v, r) in variants.iter().zip(report.variants) {
                for w in r
                    .result
                    .iter()
                    .flat_map(|m| m.explain.iter())
                    .flat_map(|e| &e.warnings)
                {
                    match warnings.iter_mut().find(|(text, _)| text == w) {
                        Some((_, names)) => names.push(v.name.clone()),
                        None => warnings.push((w.clone(), vec![v.name.clone()])),
                    }
                }
                rows.push((v.clone(), r.result.map(|m| m.dataset_bytes), r.error));
            }
        }
        for (v, bytes, error) in rows {
            let (written_at, sizes, diffs) = variant_sizes(&sample, &keep, &v, &today_sizes);
            let projected = bytes.map(|b| project::project(b as f64, written_at, population.keys));
            let savings = projected.map(|p| today - p);
            let savings_ci =
                savings.map(|s| population.savings_ci95(&diffs, s, today_written, written_at));
            let percent = |x: f64| (today > 0.0).then(|| x / today * 100.0);
            projections.push(Projection {
                variant: v.name.clone(),
                codec: v.format.codec.name().into(),
                envelope: v.format.envelope.name().into(),
                layout: v.layout.name().into(),
                redis_ttl: v.redis_ttl,
                records: written,
                unencodable,
                dataset_bytes: bytes,
                bytes_per_record: projected.map(|p| p / population.keys.max(1.0)),
                projected_bytes: projected,
                projected_ci95: projected.map(|p| population.projected_ci95(&sizes, p, written_at)),
                savings_bytes: savings,
                savings_percent: savings.and_then(percent),
                savings_ci95: savings_ci,
                savings_percent_ci95: savings_ci.and_then(percent),
                savings_vs_inspect_percent: projected.and_then(vs_inspect),
                error,
                library: String::new(),
                cannot_encode: Vec::new(),
            });
        }
    }
    // The grid's order.
    projections.sort_by_key(|p| grid.variants.iter().position(|v| v.name == p.variant));
    // Then the family's own library settings (compression, serializer swaps).
    let family = library_rows::analyse(&sample)?;
    let wanted: Vec<recode::Recode> = recode::grid(family.library, family.stored)
        .into_iter()
        .filter(|r| recodes.allows(&r.name))
        .collect();
    if !wanted.is_empty() {
        let base = library_rows::Baseline {
            population,
            today,
            today_sizes: today_sizes.clone(),
            written: today_written,
            inspected,
        };
        projections.extend(library_rows::rows(
            &sample,
            &family,
            &wanted,
            &grid,
            &base,
            options.progress,
        )?);
    }
    let mut report = WhatifReport {
        tool: format!("redisadv {}", env!("CARGO_PKG_VERSION")),
        sample: sample.header.clone(),
        sampled_records: n as u64,
        ttl_seconds: ttl,
        grid: grid.path.display().to_string(),
        as_stored: Some(as_stored),
        variants: projections,
        warnings: warnings
            .into_iter()
            .map(|(text, names)| format!("{} ({})", text, names.join(", ")))
            .collect(),
        recommendation: String::new(),
        library: family.library.name().into(),
    };
    report.recommendation = advice::recommend(&report);
    Ok(report)
}

/// What variant `v` held on its private server for the records kept, each kept record's
/// size as it would write it (key or field plus value), and each one's size today minus
/// that (paired, for the saving's interval).
fn variant_sizes(
    sample: &Sample,
    keep: &[bool],
    v: &crate::scenario::Variant,
    today: &[f64],
) -> (project::Written, Vec<f64>, Vec<f64>) {
    let meta = Metadata::new(FIXED_CT, v.version);
    let mut buckets = std::collections::HashSet::new();
    let mut sizes = Vec::new();
    let mut diffs = Vec::new();
    for (i, r) in sample.records.iter().enumerate().filter(|(i, _)| keep[*i]) {
        let name = match v.layout {
            Layout::Keys => r.key.len(),
            Layout::Hash => {
                buckets.insert(r.bucket.as_str());
                r.field.len()
            }
        };
        let value = v
            .format
            .encode(&r.payload(), meta)
            .map_or(r.stored.len(), |b| b.len());
        let size = (name + value) as f64;
        sizes.push(size);
        diffs.push(today[i] - size);
    }
    let records = sizes.len() as f64;
    let keys = match v.layout {
        Layout::Keys => records,
        Layout::Hash => buckets.len() as f64,
    };
    let written = project::Written {
        records,
        keys,
        expires: if v.redis_ttl.is_some() { keys } else { 0.0 },
    };
    (written, sizes, diffs)
}

/// A creation time for the interval's size estimates (a float's printed length only).
const FIXED_CT: f64 = 1_795_593_845.091_623_8;

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
