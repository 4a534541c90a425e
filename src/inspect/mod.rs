//! `inspect`: what a live cache costs now, by key pattern and value format, read strictly
//! read-only (SCAN, TYPE, PTTL, MEMORY USAGE, OBJECT ENCODING, GET/GETRANGE on strings, HSCAN
//! on hashes, INFO, DBSIZE, MEMORY STATS, COMMAND INFO, CLIENT NO-TOUCH where it exists).
//! A sample is extrapolated with its 95% uncertainty; `--all` reads every key exactly
//! (MEMORY USAGE ... SAMPLES 0). On a cluster node every master is read in turn and the
//! figures are summed (`cluster`).

pub mod budget;
pub mod cluster;
pub mod conn;
pub mod discover;
pub mod pattern;
pub mod pattern_stats;
pub mod plan;
pub mod rdb;
pub mod rdb_file;
pub mod render;
mod render_rdb;
pub mod scan;
pub mod stats;
pub mod views;

use crate::backend::resp::Value;
use crate::explain::ttl_cost::ENTRY_ROUNDING;
use conn::{ReadConn, int, text};
use serde::{Deserialize, Serialize};
use stats::{Aggregate, PatternStats};
use std::collections::BTreeMap;
pub use views::{
    DatabaseKeys, Extras, LOADED_COPY, LargestKey, NeverExpires, capped_note, planned_note,
};
use views::{databases, never_expires};

/// What to read and how gently.
#[derive(Debug, Clone)]
pub struct InspectOptions {
    pub pattern: Option<String>,
    /// Keys to read; `None`: all of them.
    pub sample: Option<u64>,
    pub count: u64,
    /// Patterns shown; the rest is "other".
    pub top: usize,
    /// Patterns kept while scanning.
    pub max_patterns: usize,
    /// The largest keys listed.
    pub largest: usize,
}

/// The report `inspect` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InspectReport {
    pub tool: String,
    /// The URL (password hidden) or the RDB file.
    pub target: String,
    pub redis_version: String,
    pub db: i64,
    #[serde(rename = "match")]
    pub match_pattern: Option<String>,
    /// "all" or "sample".
    pub mode: String,
    pub keys_inspected: u64,
    /// Keys in the database (DBSIZE), and those matching `--match` (estimated from SCAN's
    /// progress when only a sample was read).
    pub dbsize: u64,
    pub population_keys: f64,
    pub scan_fraction: f64,
    pub used_memory: u64,
    /// The expires table's cost per key with a TTL (MEMORY STATS + allocator rounding),
    /// which MEMORY USAGE leaves out.
    pub expires_bytes_per_key: f64,
    pub seconds: f64,
    pub commands: u64,
    pub patterns: Vec<PatternRow>,
    /// Every pattern beyond the top ones, together.
    pub other: Option<PatternRow>,
    pub total: PatternRow,
    /// On a cluster: how the masters were read, and each one's figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<cluster::ClusterSection>,
    /// Read from an RDB file by streaming it: the file, its databases, its largest keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rdb: Option<rdb_file::RdbSection>,
    #[serde(flatten)]
    pub extras: Extras,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatternRow {
    pub pattern: String,
    pub example: String,
    /// Keys read.
    pub inspected: u64,
    /// Keys (extrapolated in a sample) and the half-width of the 95% interval.
    pub keys: f64,
    pub keys_ci95: f64,
    /// MEMORY USAGE plus the expires table's share; extrapolated in a sample.
    pub bytes: f64,
    pub bytes_ci95: f64,
    pub memory_usage_bytes: f64,
    pub expires_bytes: f64,
    pub share_of_used_memory: f64,
    pub ttl: TtlCoverage,
    pub types: BTreeMap<String, u64>,
    pub encodings: BTreeMap<String, u64>,
    pub formats: BTreeMap<String, u64>,
    /// Mean bytes of the values read: strings whole, hashes by one HSCAN page's fields.
    pub mean_value_bytes: Option<f64>,
    /// Of those, the strings' mean length and the hashes' mean field value.
    #[serde(default)]
    pub mean_string_bytes: Option<f64>,
    #[serde(default)]
    pub mean_hash_field_bytes: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TtlCoverage {
    /// Keys read without a TTL, and with one.
    pub none: u64,
    pub with: u64,
    pub min_seconds: Option<f64>,
    pub median_seconds: Option<f64>,
    pub max_seconds: Option<f64>,
}

impl TtlCoverage {
    /// A pattern's TTLs, in seconds, as every report shows them (live scan or RDB stream).
    pub fn of(s: &PatternStats) -> TtlCoverage {
        let secs = |ms: Option<i64>| ms.map(|m| m as f64 / 1000.0);
        TtlCoverage {
            none: s.keys - s.with_ttl,
            with: s.with_ttl,
            min_seconds: secs(s.ttl_min_ms),
            median_seconds: secs(s.ttl_median_ms()),
            max_seconds: secs(s.ttl_max_ms),
        }
    }
}

/// Server figures read before the scan.
pub struct ServerFigures {
    pub version: String,
    pub db: i64,
    pub dbsize: u64,
    pub used_memory: u64,
    pub expires_bytes_per_key: f64,
    pub databases: Vec<DatabaseKeys>,
}

pub fn server_figures(conn: &mut ReadConn, db: i64) -> anyhow::Result<ServerFigures> {
    let server = crate::probe::parse_info(&conn.info("server")?);
    let memory = crate::probe::parse_info(&conn.info("memory")?);
    let keyspace = crate::probe::parse_info(&conn.info("keyspace")?);
    let dbsize = int(&conn.must(&redis::cmd("DBSIZE"), "DBSIZE")?)
        .unwrap_or(0)
        .max(0) as u64;
    let expires: u64 = keyspace
        .get(&format!("db{db}"))
        .and_then(|line| {
            line.split(',')
                .find_map(|kv| kv.strip_prefix("expires="))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0);
    let stats = conn.must(&redis::cmd("MEMORY").arg("STATS").clone(), "MEMORY STATS")?;
    let table = expires_overhead(&stats, db);
    let per_key = if expires > 0 {
        (table + expires * ENTRY_ROUNDING) as f64 / expires as f64
    } else {
        0.0
    };
    Ok(ServerFigures {
        version: crate::identity::Identity::from_info(&server, &Default::default()).version_text,
        db,
        dbsize,
        used_memory: crate::probe::number(&memory, "used_memory")?,
        expires_bytes_per_key: per_key,
        databases: databases(&keyspace),
    })
}

/// `overhead.hashtable.expires` of `db.N` in a MEMORY STATS reply.
fn expires_overhead(stats: &Value, db: i64) -> u64 {
    let Value::Array(items) = stats else { return 0 };
    let name = format!("db.{db}");
    for pair in items.chunks(2) {
        if let [k, Value::Array(inner)] = pair
            && text(k).as_deref() == Some(name.as_str())
        {
            for kv in inner.chunks(2) {
                if let [k, v] = kv
                    && text(k).as_deref() == Some("overhead.hashtable.expires")
                {
                    return int(v).unwrap_or(0).max(0) as u64;
                }
            }
        }
    }
    0
}

/// What inspect reads: one server's database, or every master of a cluster.
pub enum Walk {
    Server {
        conn: ReadConn,
        db: i64,
    },
    /// The URL's credentials, the masters found from its node, and `--max-ops`.
    Cluster {
        connect: crate::backend::ConnectOptions,
        masters: Vec<discover::Master>,
        max_ops: u64,
    },
    /// A file (an RDB file, streamed by `rdb_stream`).
    Rdb(Box<dyn rdb_file::FileWalk>),
}

impl Walk {
    /// Reads the keys (each also handed to `observe`) and builds the report.
    pub fn run(
        &mut self,
        target: String,
        options: &InspectOptions,
        observe: &mut dyn FnMut(&scan::Observation),
    ) -> anyhow::Result<InspectReport> {
        match self {
            Walk::Server { conn, db } => inspect_with(conn, *db, target, options, observe),
            Walk::Cluster {
                connect,
                masters,
                max_ops,
            } => cluster::inspect(connect, masters, *max_ops, target, options, observe),
            Walk::Rdb(file) => file.walk(target, options, observe),
        }
    }
}

/// Reads one server's database and builds the report.
fn inspect_with(
    conn: &mut ReadConn,
    db: i64,
    target: String,
    options: &InspectOptions,
    observe: &mut dyn FnMut(&scan::Observation),
) -> anyhow::Result<InspectReport> {
    let started = std::time::Instant::now();
    let server = server_figures(conn, db)?;
    let mut aggregate = Aggregate::first_pass(options.max_patterns, options.largest);
    let scan_options = scan::ScanOptions {
        pattern: options.pattern.clone(),
        count: options.count,
        limit: options.sample,
        cluster: false,
        exact: options.sample.is_none(),
    };
    let mut summary = scan::scan(conn, &scan_options, &mut |o| {
        aggregate.add(o);
        observe(o)
    })?;
    // At the cap, which patterns the first pass kept whole depends on SCAN's order: read
    // the keys again under a plan that does not (`plan`).
    if let Some(plan) = aggregate.plan() {
        aggregate = Aggregate::second_pass(plan, options.max_patterns, options.largest);
        summary = scan::scan(conn, &scan_options, &mut |o| aggregate.add(o))?;
        aggregate.finish();
    }
    let mut report = report_from(target, &server, aggregate, &summary, options);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The report from what a scan aggregated: sample figures extrapolated to the population.
pub fn report_from(
    target: String,
    server: &ServerFigures,
    aggregate: Aggregate,
    summary: &scan::ScanSummary,
    options: &InspectOptions,
) -> InspectReport {
    let all = summary.fraction >= 1.0;
    let ctx = Extrapolation::new(server, summary, options);
    let mut aggregate = aggregate;
    aggregate.compact();
    let largest = aggregate.largest();
    let capped = aggregate.capped;
    let threshold = aggregate.threshold;
    let mut rows: Vec<(String, PatternStats)> = aggregate.patterns.into_iter().collect();
    // Sorted by the bytes each row shows (MEMORY USAGE plus the expires table's share).
    let shown = |s: &PatternStats| s.memory as f64 + ctx.per_ttl * s.with_ttl as f64;
    rows.sort_by(|a, b| shown(&b.1).total_cmp(&shown(&a.1)).then(a.0.cmp(&b.0)));
    let mut other = aggregate.overflow;
    let mut total = PatternStats::default();
    for (_, s) in &rows {
        total.merge(s);
    }
    total.merge(&other);
    // A pattern seen once in a sample says nothing about its population: "other".
    let (listed, rare): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .enumerate()
        .partition(|(i, (_, s))| *i < options.top && (all || s.keys > 1));
    for (_, (_, s)) in &rare {
        other.merge(s);
    }
    let rows: Vec<(String, PatternStats)> = listed.into_iter().map(|(_, r)| r).collect();
    let never_expires = never_expires(&ctx, &rows, &other, options.top);
    let largest_keys = largest
        .into_iter()
        .map(|k| LargestKey {
            pattern: pattern::derive(k.key.as_bytes()),
            bytes: k.memory as f64 + if k.pttl.is_some() { ctx.per_ttl } else { 0.0 },
            ttl_seconds: k.pttl.map(|ms| ms as f64 / 1000.0),
            key: k.key,
            kind: k.kind,
        })
        .collect();
    InspectReport {
        tool: format!("redisadv {}", env!("CARGO_PKG_VERSION")),
        target,
        redis_version: server.version.clone(),
        db: server.db,
        match_pattern: options.pattern.clone(),
        mode: if all { "all" } else { "sample" }.into(),
        keys_inspected: summary.keys,
        dbsize: server.dbsize,
        population_keys: ctx.population,
        scan_fraction: summary.fraction,
        used_memory: server.used_memory,
        expires_bytes_per_key: server.expires_bytes_per_key,
        seconds: 0.0,
        commands: summary.commands,
        patterns: rows.iter().map(|(p, s)| ctx.row(p, s)).collect(),
        other: (other.keys > 0).then(|| ctx.row("other", &other)),
        total: ctx.row("total", &total),
        cluster: None,
        rdb: None,
        extras: Extras {
            exact: options.sample.is_none(),
            no_touch: summary.no_touch,
            touch_cause: summary.touch_cause.clone(),
            unknown: summary.unknown.clone(),
            patterns_capped: capped.then(|| match threshold {
                Some(t) => planned_note(options.max_patterns, t),
                None => capped_note(options.max_patterns),
            }),
            databases: server.databases.clone(),
            never_expires,
            largest_keys,
            read_budget_bytes: summary.read_budget,
            loaded_copy: None,
        },
    }
}

/// From the keys read to the population: the sample mean times the population, with the
/// 95% interval of a simple random sample (finite population corrected).
struct Extrapolation {
    n: f64,
    population: f64,
    population_rel_se: f64,
    sampled: bool,
    per_ttl: f64,
    used_memory: f64,
}

impl Extrapolation {
    /// From the keys a scan read to the server's population: DBSIZE, or with `--match` the
    /// matching keys estimated from SCAN's progress.
    fn new(
        server: &ServerFigures,
        summary: &scan::ScanSummary,
        options: &InspectOptions,
    ) -> Extrapolation {
        let n = summary.keys.max(1) as f64;
        let all = summary.fraction >= 1.0;
        let population = if all {
            summary.keys as f64
        } else if options.pattern.is_none() {
            server.dbsize as f64
        } else {
            summary.keys as f64 / summary.fraction.max(1e-12)
        };
        // With --match, the population itself is estimated from SCAN's progress: a binomial
        // share of the keyspace, whose relative error adds to the sample's.
        let population_rel_se = if !all && options.pattern.is_some() {
            ((1.0 - summary.fraction).max(0.0) / n).sqrt()
        } else {
            0.0
        };
        Extrapolation {
            n,
            population,
            population_rel_se,
            sampled: !all,
            per_ttl: server.expires_bytes_per_key,
            used_memory: server.used_memory as f64,
        }
    }

    /// Keys in the population per key read.
    fn scale(&self) -> f64 {
        if self.sampled {
            self.population / self.n
        } else {
            1.0
        }
    }

    fn row(&self, name: &str, s: &PatternStats) -> PatternRow {
        let scale = self.scale();
        let c = self.per_ttl;
        let sum_y = s.memory as f64 + c * s.with_ttl as f64;
        // y = MEMORY USAGE + c * has_ttl for the pattern's keys, 0 for every other key read.
        let sum_y2 = s.memory_sq + 2.0 * c * s.memory_with_ttl + c * c * s.with_ttl as f64;
        let (keys_ci, bytes_ci) = if self.sampled {
            let fpc = (1.0 - self.n / self.population.max(self.n)).max(0.0).sqrt();
            let p = s.keys as f64 / self.n;
            let mean = sum_y / self.n;
            let var = (sum_y2 / self.n - mean * mean).max(0.0);
            let keys_se = self.population * (p * (1.0 - p) / self.n).sqrt() * fpc;
            let bytes_se = self.population * (var / self.n).sqrt() * fpc;
            let rel = self.population_rel_se;
            (
                1.96 * keys_se.hypot(s.keys as f64 * scale * rel),
                1.96 * bytes_se.hypot(sum_y * scale * rel),
            )
        } else {
            (0.0, 0.0)
        };
        let bytes = sum_y * scale;
        PatternRow {
            pattern: name.to_string(),
            example: s.example.clone(),
            inspected: s.keys,
            keys: s.keys as f64 * scale,
            keys_ci95: keys_ci,
            bytes,
            bytes_ci95: bytes_ci,
            memory_usage_bytes: s.memory as f64 * scale,
            expires_bytes: c * s.with_ttl as f64 * scale,
            share_of_used_memory: if self.used_memory > 0.0 {
                bytes / self.used_memory
            } else {
                0.0
            },
            ttl: TtlCoverage::of(s),
            types: s.types.clone(),
            encodings: s.encodings.clone(),
            formats: s.family_formats(),
            mean_value_bytes: (s.values > 0).then(|| s.value_bytes as f64 / s.values as f64),
            mean_string_bytes: (s.strings > 0).then(|| s.string_bytes as f64 / s.strings as f64),
            mean_hash_field_bytes: (s.hash_fields > 0)
                .then(|| s.hash_field_bytes as f64 / s.hash_fields as f64),
        }
    }
}
