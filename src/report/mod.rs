//! The report a bench produces: one versioned model, relative figures computed by pure
//! functions, and its document ([`document`]), which [`crate::document`] renders in every
//! format.

mod csv;
pub mod document;
mod explained;
mod html;
mod load;
pub mod partial;
pub mod read;
mod sections;
pub mod svg;
pub mod timings;
pub mod why;

pub mod cluster;
pub mod compare;
pub mod engines;
pub use load::{MAX_REPORT_BYTES, load, parse as parse_report, read_bounded};

/// How figures read (one size formatter, thousands, percentages) and where text is made
/// safe: shared with every document, named here as reports always have.
pub use crate::document::{OutputFormat, cell};
pub use crate::figures::{human_bytes, human_size, percent, thousands};

use crate::codec::pyliteral;
use crate::dataset::Key;
use crate::probe::MemoryInfo;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bumped whenever a field changes meaning or disappears. Version 2 added the dataset's
/// fingerprint; version-1 reports are still read (see [`load`]).
pub const SCHEMA_VERSION: u32 = 2;

/// The oldest report version `report` and `compare` still read.
pub const OLDEST_READABLE: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub schema_version: u32,
    /// `redisadv X.Y.Z`.
    pub tool: String,
    pub scenario: ScenarioInfo,
    pub redis: RedisInfo,
    /// The variant relative figures divide by.
    pub baseline: String,
    /// The engines of a multi-engine run (`[[server.engine]]`, `--engine`), in run order;
    /// empty for a run on one unnamed server.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub engines: Vec<EngineInfo>,
    /// The engine cross-engine figures divide by (its `baseline` variant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_baseline: Option<String>,
    pub variants: Vec<VariantReport>,
    /// Set when `--jobs N` (N > 1) ran variants at the same time: they shared the CPU, so
    /// the timing figures (prime seconds, records/s, settle seconds) are not comparable.
    /// The memory figures are: each variant has its own server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent_jobs: Option<usize>,
}

/// One engine of a multi-engine run, as identified from its INFO before the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineInfo {
    pub name: String,
    /// `Redis` or `Valkey` (INFO server_name).
    pub server: String,
    /// Valkey's valkey_version, else redis_version.
    pub version: String,
    /// INFO mem_allocator.
    pub allocator: String,
    /// `system` (a shared libjemalloc, as Debian links it), `bundled`, or empty.
    pub jemalloc: String,
    /// Where the binary came from: a Debian package, an `engines install` build, or a path.
    pub origin: String,
    pub binary: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioInfo {
    pub name: String,
    pub description: String,
    pub file: String,
    pub dataset: DatasetInfo,
    pub clock: ClockInfo,
    /// `[server.overrides]` of the scenario.
    pub server_overrides: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetInfo {
    /// `demo` or `custom`.
    pub kind: String,
    pub scale: f64,
    pub seed: u64,
    pub records: u64,
    /// The dataset spec's fingerprint (the same definition, the same 16 hex digits);
    /// absent in version-1 reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockInfo {
    /// `simulated`, `fixed` or `now`.
    pub kind: String,
    /// The metadata `ct` of the fixed clock, or where the simulated clock starts.
    pub ct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisInfo {
    /// `Redis` or `Valkey`; absent in reports from before engines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    pub version: String,
    pub allocator: String,
    /// `private` (a server per variant) or the `--url` given.
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantReport {
    pub name: String,
    /// The engine it ran on, in a multi-engine report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    pub codec: String,
    pub envelope: String,
    pub pickle_protocol: Option<u8>,
    pub layout: String,
    pub redis_ttl: Option<u64>,
    pub expiration_time: Option<f64>,
    pub hash_ttl: String,
    pub version: i64,
    pub overrides: BTreeMap<String, String>,
    /// `None` when the variant failed.
    pub result: Option<Measured>,
    pub error: Option<String>,
    /// A sweep's run: its `[[variant]]` and the values swept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepInfo>,
    /// Its own dataset, when a sweep or its bucketing makes it differ from the scenario's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<DatasetInfo>,
}

/// Where a sweep's run sits: charts draw one line per `base`, against a swept value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepInfo {
    /// The `[[variant]]` name.
    pub base: String,
    /// The swept settings, in file order.
    pub values: Vec<SweptValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweptValue {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measured {
    pub memory: MemoryInfo,
    /// used_memory of the empty server, read the same way before priming.
    pub empty_used_memory: u64,
    /// Settled used_memory minus the empty server's: repeats byte for byte.
    pub dataset_bytes: u64,
    pub keys: u64,
    pub keys_with_ttl: u64,
    pub records: u64,
    pub calls: u64,
    pub commands: u64,
    pub prime_seconds: f64,
    pub records_per_second: f64,
    pub settle_seconds: f64,
    pub samples: Vec<Sample>,
    pub verify: Option<Verified>,
    /// Why the variant costs what it costs; absent in reports from before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<crate::explain::Explanation>,
    /// Where the rest of the variant's wall time went (prime and settle are above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phases: Option<Phases>,
    /// What the variant costs to read (`bench --read`); absent without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<crate::read::ReadFigures>,
    /// Per-node figures of a run on a private cluster (`[server] cluster`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<cluster::ClusterFigures>,
}

/// Seconds per phase of one variant besides priming and settling after it, for `--timings`
/// and for finding overhead; 0 for a phase the target does not have (`--url`: no server start).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phases {
    /// Starting the private server until it answers.
    pub start: f64,
    /// Settling the empty server and reading its figure.
    pub empty: f64,
    /// Reading the loaded figures, keyspace, samples (and --verify).
    pub figures: f64,
    /// The explanations after the figures.
    pub explain: f64,
    /// Stopping the private server: 0 since servers stop in the background (reports of
    /// earlier versions have the seconds it took on the run's path).
    pub teardown: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub key: Key,
    /// The stored bytes in lowercase hex; `None` when nothing is stored there.
    pub hex: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verified {
    pub records: u64,
    pub mismatches: u64,
    /// The first few mismatching keys, with what differed.
    pub examples: Vec<String>,
}

impl VariantReport {
    /// Whether Redis holds a TTL for this variant's keys: a Redis TTL on plain keys, or on
    /// hash buckets unless the policy is `never` or `field` (dogpile-side `__expires__`).
    pub fn ttl_on_redis(&self) -> bool {
        self.redis_ttl.is_some()
            && !(self.layout == "hash" && matches!(self.hash_ttl.as_str(), "never" | "field"))
    }
}

impl Sample {
    pub fn bytes(&self) -> Option<Vec<u8>> {
        self.hex.as_deref().and_then(|h| hex::decode(h).ok())
    }

    /// The stored bytes as Python prints them: `b'...'`, or `None`.
    pub fn python_repr(&self) -> String {
        match self.bytes() {
            Some(b) => pyliteral::bytes_repr(&b),
            None => "None".into(),
        }
    }
}

impl VariantReport {
    pub fn dataset_bytes(&self) -> Option<u64> {
        self.result.as_ref().map(|r| r.dataset_bytes)
    }

    /// `engine/variant` in a multi-engine report, else the variant's name: what explanations
    /// and `compare` key on.
    pub fn label(&self) -> String {
        match &self.engine {
            Some(e) => format!("{e}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

impl Report {
    /// The baseline variant on the baseline engine.
    pub fn baseline_variant(&self) -> Option<&VariantReport> {
        self.baseline_on(self.engine_baseline.as_deref())
    }

    /// The baseline variant on `engine` (`None`: the report has no engines).
    pub fn baseline_on(&self, engine: Option<&str>) -> Option<&VariantReport> {
        self.variants
            .iter()
            .find(|v| v.name == self.baseline && v.engine.as_deref() == engine)
    }

    /// The engines' names in run order with their variants: one group, unnamed, in a
    /// one-engine report.
    pub fn engine_groups(&self) -> Vec<(Option<&EngineInfo>, Vec<&VariantReport>)> {
        if self.engines.is_empty() {
            return vec![(None, self.variants.iter().collect())];
        }
        self.engines
            .iter()
            .map(|e| {
                let vs = self
                    .variants
                    .iter()
                    .filter(|v| v.engine.as_deref() == Some(e.name.as_str()))
                    .collect();
                (Some(e), vs)
            })
            .collect()
    }

    /// The note a report with concurrent jobs carries under its tables.
    pub fn timing_note(&self) -> Option<String> {
        self.concurrent_jobs.map(|n| {
            format!(
                "timing figures not comparable: {n} variants ran at once (--jobs {n}); \
                 memory figures are"
            )
        })
    }

    /// The allocator warning of a multi-engine report, if its engines' allocators differ.
    pub fn allocator_warning(&self) -> Option<String> {
        engines::allocator_warning(&self.engines)
    }

    pub fn failed(&self) -> impl Iterator<Item = &VariantReport> {
        self.variants.iter().filter(|v| v.result.is_none())
    }
}

/// Dataset bytes of `variant` over the baseline variant's on the same engine, in percent;
/// `None` when either failed or the baseline stored nothing.
pub fn relative_percent(report: &Report, variant: &VariantReport) -> Option<f64> {
    let base = report.baseline_on(variant.engine.as_deref())?;
    ratio(base, variant)
}

/// Dataset bytes of `variant` over the baseline variant's on the baseline engine, in
/// percent; `None` in a one-engine report.
pub fn across_percent(report: &Report, variant: &VariantReport) -> Option<f64> {
    if report.engines.is_empty() {
        return None;
    }
    ratio(report.baseline_variant()?, variant)
}

/// What the cross-engine column is headed with: `vs redis-7.0/region_pickle`.
pub fn across_label(report: &Report) -> String {
    format!(
        "vs {}/{}",
        report.engine_baseline.as_deref().unwrap_or("-"),
        report.baseline
    )
}

fn ratio(base: &VariantReport, variant: &VariantReport) -> Option<f64> {
    let base = base.dataset_bytes()?;
    let mine = variant.dataset_bytes()?;
    (base > 0).then(|| mine as f64 * 100.0 / base as f64)
}

/// Dataset bytes per record written.
pub fn bytes_per_record(measured: &Measured) -> f64 {
    if measured.records == 0 {
        0.0
    } else {
        measured.dataset_bytes as f64 / measured.records as f64
    }
}

/// The report in `format`: JSON from the model (with each variant's "why"), every other
/// format from its document.
pub fn render(report: &Report, format: OutputFormat) -> anyhow::Result<String> {
    crate::document::render(report, format)
}

/// A rate as tables print it: `110,814/s`, rounded to a whole number.
pub fn rate(per_second: f64) -> String {
    format!("{}/s", thousands(per_second.max(0.0).round() as u64))
}

/// Yes/no for the TTL columns.
fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// What the Markdown and terminal variant tables show per variant: shared so the two agree.
struct Row<'a> {
    variant: &'a VariantReport,
    measured: Option<&'a Measured>,
    relative: Option<f64>,
    /// Against the baseline engine's baseline variant (multi-engine reports).
    across: Option<f64>,
}

fn rows<'a>(report: &'a Report, variants: &[&'a VariantReport]) -> Vec<Row<'a>> {
    variants
        .iter()
        .map(|v| Row {
            variant: v,
            measured: v.result.as_ref(),
            relative: relative_percent(report, v),
            across: across_percent(report, v),
        })
        .collect()
}

/// An engine's header line: `Valkey 9.1.2, jemalloc-5.3.0 (bundled), built from ...`.
pub fn engine_line(e: &EngineInfo) -> String {
    format!(
        "{} {}, {}{}, {}",
        e.server,
        e.version,
        e.allocator,
        engines::linkage(&e.jemalloc),
        e.origin
    )
}
