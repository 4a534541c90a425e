//! `inspect --url` on a cluster node: every master that owns slots is read (its own
//! connection, its own SCAN), one after another so the cluster as a whole never sees more
//! than `--max-ops` commands a second. A sample is split across the masters in proportion to
//! their DBSIZE; each master's keys are extrapolated to that master's population and the
//! masters' figures summed (a stratified sample: the 95% half-widths add in quadrature).

use super::conn::ReadConn;
use super::discover::{self, Master};
use super::scan::{self, Observation, ScanSummary};
use super::stats::{Aggregate, PatternStats};
use super::{Extrapolation, InspectOptions, InspectReport, PatternRow, ServerFigures};
use crate::backend::ConnectOptions;
use serde::{Deserialize, Serialize};

/// How a cluster was read, and each master's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterSection {
    pub masters: usize,
    /// How `--sample` was spread over the masters and extrapolated.
    pub sampling: String,
    pub nodes: Vec<NodeRow>,
}

/// One master's line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeRow {
    /// host:port as CLUSTER NODES announces it.
    pub node: String,
    pub id: String,
    pub slots: u64,
    /// DBSIZE.
    pub keys: u64,
    pub used_memory: u64,
    pub keys_inspected: u64,
    /// The keys this master's part of the report stands for (extrapolated in a sample).
    pub population_keys: f64,
    pub bytes: f64,
}

/// What sampling statement the report carries.
const SAMPLING: &str = "--sample N split over the masters by DBSIZE; each master \
                        extrapolated to its own keys, then summed (± in quadrature)";

/// One master as read.
struct Part {
    master: Master,
    server: ServerFigures,
    aggregate: Aggregate,
    summary: ScanSummary,
    ctx: Extrapolation,
}

impl Part {
    /// Every pattern and the overflow together.
    fn total(&self) -> PatternStats {
        let mut total = PatternStats::default();
        for s in self.aggregate.patterns.values() {
            total.merge(s);
        }
        total.merge(&self.aggregate.overflow);
        total
    }
}

/// Reads every master and sums them into one report.
pub fn inspect(
    connect: &ConnectOptions,
    masters: &[Master],
    max_ops: u64,
    target: String,
    options: &InspectOptions,
    observe: &mut dyn FnMut(&Observation),
) -> anyhow::Result<InspectReport> {
    let started = std::time::Instant::now();
    // Every master's figures first: its DBSIZE sets its share of the sample.
    let mut opened = Vec::with_capacity(masters.len());
    for master in masters {
        let options = discover::connect_options(connect, master);
        let mut conn = ReadConn::connect(&options, max_ops)?;
        let server = super::server_figures(&mut conn, 0)
            .map_err(|e| e.context(format!("cluster master {}", options.describe())))?;
        opened.push((master.clone(), conn, server));
    }
    let limits = split(
        options.sample,
        &opened.iter().map(|o| o.2.dbsize).collect::<Vec<_>>(),
    );
    let mut parts = Vec::with_capacity(opened.len());
    let mut commands = 0;
    for ((master, mut conn, server), limit) in opened.into_iter().zip(limits) {
        conn.restart_pace();
        let mut aggregate = Aggregate::new(options.max_patterns);
        let summary = scan::scan(
            &mut conn,
            &scan::ScanOptions {
                pattern: options.pattern.clone(),
                count: options.count,
                limit,
                cluster: true,
                exact: options.sample.is_none(),
            },
            &mut |o| {
                aggregate.add(o);
                observe(o)
            },
        )?;
        commands += summary.commands;
        let ctx = Extrapolation::new(&server, &summary, options);
        parts.push(Part {
            master,
            server,
            aggregate,
            summary,
            ctx,
        });
    }
    let mut report = combine(target, &parts, options);
    report.commands = commands;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The sample's share of each master, by DBSIZE (rounded up, at least one page each);
/// `None` (every key) stays `None`.
fn split(sample: Option<u64>, dbsizes: &[u64]) -> Vec<Option<u64>> {
    let total: u64 = dbsizes.iter().sum();
    dbsizes
        .iter()
        .map(|&d| {
            sample.map(|n| {
                if total == 0 {
                    n
                } else {
                    ((n as u128 * d as u128).div_ceil(total as u128) as u64).max(1)
                }
            })
        })
        .collect()
}

/// One row over the masters: the merged counts describe the keys read (TTLs, formats,
/// encodings), and each master's extrapolation gives its keys and bytes, summed.
fn row(name: &str, parts: &[(&Extrapolation, PatternStats)], used_memory: f64) -> PatternRow {
    let mut merged = PatternStats::default();
    for (_, s) in parts {
        merged.merge(s);
    }
    let exact = Extrapolation {
        n: merged.keys.max(1) as f64,
        population: merged.keys as f64,
        population_rel_se: 0.0,
        sampled: false,
        per_ttl: 0.0,
        used_memory,
    };
    let mut out = exact.row(name, &merged);
    let (mut keys_var, mut bytes_var) = (0.0, 0.0);
    (
        out.keys,
        out.bytes,
        out.memory_usage_bytes,
        out.expires_bytes,
    ) = (0.0, 0.0, 0.0, 0.0);
    for (ctx, s) in parts {
        let r = ctx.row(name, s);
        out.keys += r.keys;
        out.bytes += r.bytes;
        out.memory_usage_bytes += r.memory_usage_bytes;
        out.expires_bytes += r.expires_bytes;
        keys_var += r.keys_ci95.powi(2);
        bytes_var += r.bytes_ci95.powi(2);
    }
    out.keys_ci95 = keys_var.sqrt();
    out.bytes_ci95 = bytes_var.sqrt();
    out.share_of_used_memory = if used_memory > 0.0 {
        out.bytes / used_memory
    } else {
        0.0
    };
    out
}

fn combine(target: String, parts: &[Part], options: &InspectOptions) -> InspectReport {
    let used_memory: u64 = parts.iter().map(|p| p.server.used_memory).sum();
    let dbsize: u64 = parts.iter().map(|p| p.server.dbsize).sum();
    let per_pattern = |name: &str| -> Vec<(&Extrapolation, PatternStats)> {
        parts
            .iter()
            .filter_map(|p| p.aggregate.patterns.get(name).map(|s| (&p.ctx, s.clone())))
            .collect()
    };
    let mut names: Vec<String> = parts
        .iter()
        .flat_map(|p| p.aggregate.patterns.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    let mut rows: Vec<PatternRow> = names
        .iter()
        .map(|n| row(n, &per_pattern(n), used_memory as f64))
        .collect();
    rows.sort_by(|a, b| b.bytes.total_cmp(&a.bytes).then(a.pattern.cmp(&b.pattern)));
    let rest: Vec<String> = rows
        .iter()
        .skip(options.top)
        .map(|r| r.pattern.clone())
        .collect();
    rows.truncate(options.top);
    // "other": per master its overflow plus the patterns beyond the top ones.
    let others: Vec<(&Extrapolation, PatternStats)> = parts
        .iter()
        .map(|p| {
            let mut s = p.aggregate.overflow.clone();
            for name in &rest {
                if let Some(x) = p.aggregate.patterns.get(name) {
                    s.merge(x);
                }
            }
            (&p.ctx, s)
        })
        .collect();
    let other = others
        .iter()
        .any(|(_, s)| s.keys > 0)
        .then(|| row("other", &others, used_memory as f64));
    let totals: Vec<(&Extrapolation, PatternStats)> =
        parts.iter().map(|p| (&p.ctx, p.total())).collect();
    let total = row("total", &totals, used_memory as f64);
    // The expires table's cost per key with a TTL, over the masters' keys with one.
    let with_ttl: f64 = totals
        .iter()
        .map(|(c, s)| s.with_ttl as f64 * c.scale())
        .sum();
    let population: f64 = parts.iter().map(|p| p.ctx.population).sum();
    let fraction = if population > 0.0 {
        parts
            .iter()
            .map(|p| p.ctx.population * p.summary.fraction)
            .sum::<f64>()
            / population
    } else {
        parts.iter().map(|p| p.summary.fraction).fold(1.0, f64::min)
    };
    let all = parts.iter().all(|p| p.summary.fraction >= 1.0);
    let mut versions: Vec<String> = parts.iter().map(|p| p.server.version.clone()).collect();
    versions.sort();
    versions.dedup();
    let nodes = parts
        .iter()
        .zip(&totals)
        .map(|(p, (ctx, total))| NodeRow {
            node: format!("{}:{}", p.master.host, p.master.port),
            id: p.master.id.clone(),
            slots: p.master.slots.iter().map(|(a, b)| (b - a) as u64 + 1).sum(),
            keys: p.server.dbsize,
            used_memory: p.server.used_memory,
            keys_inspected: p.summary.keys,
            population_keys: ctx.population,
            bytes: ctx.row("total", total).bytes,
        })
        .collect();
    InspectReport {
        tool: format!("redisadv {}", env!("CARGO_PKG_VERSION")),
        target,
        redis_version: versions.join(", "),
        db: 0,
        match_pattern: options.pattern.clone(),
        mode: if all { "all" } else { "sample" }.into(),
        keys_inspected: parts.iter().map(|p| p.summary.keys).sum(),
        dbsize,
        population_keys: population,
        scan_fraction: fraction,
        used_memory,
        expires_bytes_per_key: if with_ttl > 0.0 {
            total.expires_bytes / with_ttl
        } else {
            0.0
        },
        seconds: 0.0,
        commands: 0,
        patterns: rows,
        other,
        total,
        cluster: Some(ClusterSection {
            masters: parts.len(),
            sampling: SAMPLING.into(),
            nodes,
        }),
        rdb: None,
        extras: super::Extras {
            exact: options.sample.is_none(),
            no_touch: parts.iter().all(|p| p.summary.no_touch),
            touch_cause: parts.iter().find_map(|p| p.summary.touch_cause.clone()),
            unknown: parts
                .first()
                .map(|p| p.summary.unknown.clone())
                .unwrap_or_default(),
            patterns_capped: parts
                .iter()
                .any(|p| p.aggregate.capped)
                .then(|| super::capped_note(options.max_patterns)),
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn a_sample_is_split_by_dbsize() {
        assert_eq!(
            split(Some(1000), &[500, 300, 200, 0]),
            [Some(500), Some(300), Some(200), Some(1)]
        );
        assert_eq!(split(Some(10), &[1, 1, 1]), [Some(4), Some(4), Some(4)]);
        assert_eq!(split(None, &[5, 5]), [None, None]);
        assert_eq!(split(Some(7), &[0, 0]), [Some(7), Some(7)]);
    }
}
