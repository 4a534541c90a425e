//! The read path beside the memory: what each variant costs to read. After a variant's
//! memory figures (so it can never change them), a fixed, seeded workload reads the dataset
//! back through the backend as an application does — `get` of single keys, then `get_multi`
//! of K keys (GET, the hstore plugin's HGET, or HMGET with `__expires__` under the field
//! policy), every value decoded by the codec — over C connections D calls deep; and
//! redis-benchmark runs the same command beside it as the anchor.

mod anchor;
mod conn;
mod poller;
mod settings;
mod workload;

pub use settings::{
    RawReadSettings, ReadOverrides, ReadSettings, check_setting, from_scenario, hint,
};

use crate::backend::{BackendConfig, ConnectOptions};
use crate::dataset::{Dataset, Key, Layout};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use workload::{Calls, KeySource, PhaseContext};

/// How many keys the anchor compares on (one redis-benchmark run each).
const ANCHOR_KEYS: usize = 2;

/// A variant's read figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadFigures {
    pub connections: usize,
    pub pipeline: usize,
    pub seed: u64,
    /// `ops` single-key gets.
    pub get: PhaseFigures,
    /// `ops` get_multi calls of `multi` keys.
    pub get_multi: PhaseFigures,
    /// redis-benchmark beside redisadv's get path; absent when it could not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<AnchorFigures>,
    /// Why the anchor did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor_skipped: Option<String>,
}

/// One phase: a fixed number of calls, their rates, latency and decode share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseFigures {
    pub calls: u64,
    pub keys_per_call: usize,
    /// Records asked for (calls x keys per call).
    pub records: u64,
    pub seconds: f64,
    /// Calls per second.
    pub ops_per_second: f64,
    pub records_per_second: f64,
    /// Latency of a call (from writing its batch to its last reply decoded), microseconds.
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    /// Time spent in the codec's decode, and its share of the phase's wall time.
    pub decode_seconds: f64,
    pub decode_share: f64,
    /// Records that came back empty (an expired `__expires__` counts here).
    pub misses: u64,
}

/// redisadv's get path and redis-benchmark, the same command on the same keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnchorFigures {
    /// The command both ran: `GET`, `HGET` or `HMGET` (with `__expires__`).
    pub command: String,
    pub keys: Vec<Key>,
    /// Requests per key, for each tool.
    pub requests_per_key: u64,
    pub redisadv_ops_per_second: f64,
    pub redis_benchmark_ops_per_second: f64,
    /// redisadv over redis-benchmark.
    pub ratio: f64,
}

/// The settings a run uses on its target: the workload reads one server, so a cluster run
/// (`--cluster`, `[server] cluster`) with reads is refused before anything starts.
pub fn for_target(
    settings: Option<ReadSettings>,
    cluster: Option<usize>,
) -> anyhow::Result<Option<ReadSettings>> {
    if let (Some(_), Some(nodes)) = (settings, cluster) {
        anyhow::bail!(
            "--read (or the scenario's read table) reads one server, and this run is on a \
             {nodes}-node cluster (--cluster or [server] cluster); leave out one or the other"
        );
    }
    Ok(settings)
}

/// The hook of `measure`: the read workload when `settings` asks for one.
pub fn after_figures_of(
    settings: Option<&ReadSettings>,
    connect: &ConnectOptions,
    dataset: &Dataset,
    layout: Layout,
    config: &BackendConfig,
) -> anyhow::Result<Option<ReadFigures>> {
    use anyhow::Context;
    settings
        .map(|s| after_figures(s, connect, dataset, layout, config))
        .transpose()
        .context("the read workload")
}

/// Runs the read workload of one variant on the server it was measured on.
pub fn after_figures(
    settings: &ReadSettings,
    connect: &ConnectOptions,
    dataset: &Dataset,
    layout: Layout,
    config: &BackendConfig,
) -> anyhow::Result<ReadFigures> {
    use anyhow::Context;
    let records = dataset.record_count();
    anyhow::ensure!(records > 0, "the read workload needs at least one record");
    let mut conns = (0..settings.connections)
        .map(|_| conn::Conn::open(connect))
        .collect::<anyhow::Result<Vec<_>>>()
        .context("opening the read connections")?;
    let keys = KeySource::new(dataset, layout);
    let cx = PhaseContext {
        config,
        keys: &keys,
        now: config.now_after(records),
        pipeline: settings.pipeline,
        limit: connect.socket_timeout.unwrap_or(Duration::from_secs(60)),
        decode: true,
    };
    // One seeded stream: every variant reads the same records.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(settings.seed);
    let mut draw = |n: u64| -> Vec<u64> { (0..n).map(|_| rng.random_range(0..records)).collect() };
    let get = Calls::prepare(draw(settings.ops), 1, &cx);
    let multi = Calls::prepare(
        draw(settings.ops * settings.multi as u64),
        settings.multi,
        &cx,
    );
    let anchor_records = draw(ANCHOR_KEYS as u64);
    let get = workload::run(&mut conns, &get, &cx).context("reading: get")?;
    let get_multi = workload::run(&mut conns, &multi, &cx).context("reading: get_multi")?;
    let (anchor, anchor_skipped) = match anchor::unavailable(connect) {
        Some(why) => (None, Some(why)),
        None => match run_anchor(&mut conns, &anchor_records, settings, connect, &cx) {
            Ok(a) => (Some(a), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        },
    };
    Ok(ReadFigures {
        connections: settings.connections,
        pipeline: settings.pipeline,
        seed: settings.seed,
        get,
        get_multi,
        anchor,
        anchor_skipped,
    })
}

/// Per anchor key: redisadv's get path, then redis-benchmark (the other way round for
/// every other key, so neither always runs first); each rate is requests over the summed
/// time of its runs.
fn run_anchor(
    conns: &mut [conn::Conn],
    records: &[u64],
    settings: &ReadSettings,
    connect: &ConnectOptions,
    cx: &PhaseContext,
) -> anyhow::Result<AnchorFigures> {
    let requests = settings.ops;
    // redis-benchmark reads replies and decodes nothing: so does redisadv's side here (the
    // codec's cost is the phases' decode share).
    let cx = &PhaseContext {
        decode: false,
        ..*cx
    };
    let (mut ours, mut theirs) = (0.0, 0.0);
    let mut keys = Vec::new();
    let mut command = String::new();
    for (i, &record) in records.iter().enumerate() {
        let key = cx.keys.key(record);
        let cmd = cx.config.get_command(&key);
        command = cmd
            .args_iter()
            .next()
            .and_then(|a| match a {
                redis::Arg::Simple(b) => Some(String::from_utf8_lossy(b).into_owned()),
                _ => None,
            })
            .unwrap_or_default();
        let calls = Calls::prepare(vec![record; requests as usize], 1, cx);
        let mut redisadv = || workload::run(conns, &calls, cx).map(|f| f.seconds);
        let benchmark = || {
            anchor::run(
                connect,
                &cmd,
                requests,
                settings.connections,
                settings.pipeline,
            )
            .map(|rps| requests as f64 / rps)
        };
        if i % 2 == 0 {
            ours += redisadv()?;
            theirs += benchmark()?;
        } else {
            theirs += benchmark()?;
            ours += redisadv()?;
        }
        keys.push(key);
    }
    let total = (requests * records.len() as u64) as f64;
    let (ours, theirs) = (total / ours, total / theirs);
    Ok(AnchorFigures {
        command,
        keys,
        requests_per_key: requests,
        redisadv_ops_per_second: ours,
        redis_benchmark_ops_per_second: theirs,
        ratio: ours / theirs,
    })
}
