//! One (engine, variant) job on a private cluster: the same steps as on one server (empty
//! figure, priming through the backend's plan, settling, figures, samples, --verify), with
//! every command routed to its slot's node and every node settled and read.

use super::figures::{self, ClusterFigures, NodeFigures, Stage};
use super::nodes::Cluster;
use super::route::{self, RoutedSink};
use crate::backend::Backend;
use crate::job::{Job, backend_config};
use crate::loader;
use crate::probe::{self, MemoryInfo};
use crate::report::{Measured, Phases, Sample};
use crate::server::ServerOptions;
use anyhow::Context;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long memory may take to settle after priming (as on one server).
const SETTLE_LIMIT: Duration = Duration::from_secs(180);

/// Starts the job's cluster, measures, stops it; a node that died adds its log lines.
pub fn run_job(job: &Job, nodes: usize) -> anyhow::Result<(Measured, String)> {
    let mut overrides = job.engine.overrides.clone();
    overrides.extend(job.variant.overrides.iter().cloned());
    if counts_slot_memory(job) {
        overrides.push(("cluster-slot-stats-enabled".into(), "mem".into()));
    }
    let started = Instant::now();
    let cluster = Cluster::start(
        &ServerOptions {
            binary: job.engine.binary.clone(),
            config_file: Some(job.scenario.server.config_file.clone()),
            overrides,
            ..ServerOptions::default()
        },
        nodes,
    )?;
    let start = started.elapsed().as_secs_f64();
    let result = measure(job, &cluster);
    let log = cluster.dead_logs();
    let stopping = Instant::now();
    drop(cluster);
    let teardown = stopping.elapsed().as_secs_f64();
    let (mut measured, allocator) = result.map_err(|e| match &log {
        None => e,
        Some(lines) => e.context(format!("a cluster node died; its last log lines:\n{lines}")),
    })?;
    if let Some(p) = &mut measured.phases {
        p.start = start;
        p.teardown = teardown;
    }
    Ok((measured, allocator))
}

/// Redis 8.2 and later count memory per slot (`cluster-slot-stats-enabled mem`, set at
/// startup); Valkey's CLUSTER SLOT-STATS has no memory figure, and older servers refuse the
/// setting. From the engine's capabilities, read once for the run.
fn counts_slot_memory(job: &Job) -> bool {
    job.engine
        .identity
        .as_ref()
        .is_some_and(|i| i.caps.slot_stats_memory)
}

fn measure(job: &Job, cluster: &Cluster) -> anyhow::Result<(Measured, String)> {
    let Job {
        scenario,
        engine,
        variant,
        dataset,
        options,
        progress,
    } = *job;
    let mut conns = route::connect_all(&cluster.connect_options())?;
    if !options.hold_connection {
        for conn in &mut conns {
            probe::freeze_reply_buffers(conn);
        }
    }
    let identity = match &engine.identity {
        Some(known) => known.clone(),
        None => crate::identity::Identity::read(&mut conns[0])?,
    };
    if variant.hash_ttl == crate::backend::HashTtl::FieldTtl {
        let at = cluster.nodes[0].server.connect_options().describe();
        crate::identity::require_field_ttl(&identity, &variant.name, &at)?;
    }
    let config = backend_config(scenario, variant);
    let empty_started = Instant::now();
    // Asked once, before the empty figures, as on one server.
    let proofs = figures::proofs(&mut conns);
    figures::settle_all(&mut conns, &proofs, Stage::Empty, SETTLE_LIMIT)?;
    let empty = memories(&mut conns)?;
    let empty_seconds = empty_started.elapsed().as_secs_f64();

    let mut sink = RoutedSink::connect(cluster).context("opening the loading connections")?;
    let started = Instant::now();
    let outcome = loader::load(
        &mut sink,
        dataset,
        variant.layout,
        &config,
        progress,
        &mut |_| {},
    )
    .with_context(|| format!("priming {}", variant.name))?;
    let summary = sink.finish().context("priming")?;
    let prime_seconds = started.elapsed().as_secs_f64();
    summary.check().context("priming")?;
    let per_node_commands = sink.commands_per_node();
    let held = options.hold_connection.then_some(sink);

    // Each node keeps the INFO connection (and the held loading one).
    let clients = 1 + u64::from(held.is_some());
    let settle_seconds = figures::settle_all(
        &mut conns,
        &proofs,
        Stage::Inserted { clients },
        SETTLE_LIMIT,
    )?;
    let figures_started = Instant::now();
    let loaded = memories(&mut conns)?;
    let mut keyspaces = Vec::new();
    for conn in &mut conns {
        keyspaces.push(probe::keyspace(conn, 0)?);
    }
    let allocator = identity.allocator.clone();
    let node_of =
        |key: &crate::dataset::Key| cluster.owner(route::slot_of(route::redis_key(key).as_bytes()));
    let mut samples = Vec::new();
    for key in dataset.sample_keys(variant.layout) {
        let conn = &mut conns[node_of(&key)];
        for (key, bytes) in probe::samples(conn, std::slice::from_ref(&key))? {
            samples.push(Sample {
                key,
                hex: bytes.map(hex::encode),
            });
        }
    }
    let verify = if options.verify {
        let mut backends = cluster
            .connect_options()
            .iter()
            .map(|o| Backend::connect(o, config.clone()).context("verify: connecting"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Some(crate::verify::verify_routed(
            &mut backends,
            &node_of,
            dataset,
            variant.layout,
            &config,
        )?)
    } else {
        None
    };
    drop(held);
    let top_slots = if counts_slot_memory(job) {
        figures::top_slots(&mut conns)?
    } else {
        Vec::new()
    };
    let figures_seconds = figures_started.elapsed().as_secs_f64();

    let node_bytes: Vec<u64> = loaded
        .iter()
        .zip(&empty)
        .map(|(l, e)| l.used_memory.saturating_sub(e.used_memory))
        .collect();
    let dataset_bytes: u64 = node_bytes.iter().sum();
    let nodes = cluster
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| NodeFigures {
            first_slot: node.slots.0,
            last_slot: node.slots.1,
            empty_used_memory: empty[i].used_memory,
            used_memory: loaded[i].used_memory,
            dataset_bytes: node_bytes[i],
            keys: keyspaces[i].0,
            share: if dataset_bytes == 0 {
                0.0
            } else {
                node_bytes[i] as f64 / dataset_bytes as f64
            },
            commands: per_node_commands[i],
        })
        .collect();
    // Last: it empties the nodes. Measured once per engine and node count.
    let baseline_started = Instant::now();
    let slot_baseline = slot_baseline(job, cluster, &mut conns, &proofs)?;
    let phases = Phases {
        empty: empty_seconds,
        figures: figures_seconds,
        explain: baseline_started.elapsed().as_secs_f64(),
        ..Default::default()
    };
    Ok((
        Measured {
            memory: summed(&loaded),
            empty_used_memory: empty.iter().map(|m| m.used_memory).sum(),
            dataset_bytes,
            keys: keyspaces.iter().map(|k| k.0).sum(),
            keys_with_ttl: keyspaces.iter().map(|k| k.1).sum(),
            records: outcome.records,
            calls: outcome.calls,
            commands: outcome.commands,
            prime_seconds,
            records_per_second: outcome.records as f64 / prime_seconds.max(1e-9),
            settle_seconds,
            samples,
            verify,
            explain: None,
            phases: Some(phases),
            // Refused with a cluster (crate::read::for_target).
            read: None,
            cluster: Some(ClusterFigures {
                skew: figures::skew(&node_bytes),
                nodes,
                slot_baseline: Some(slot_baseline),
                top_slots,
            }),
        },
        allocator,
    ))
}

/// The per-slot baseline of this engine on this many nodes, measured by the first variant
/// that gets there and reused by the others (it does not depend on the variant).
fn slot_baseline(
    job: &Job,
    cluster: &Cluster,
    conns: &mut [redis::Connection],
    proofs: &[probe::Proof],
) -> anyhow::Result<figures::SlotBaseline> {
    type Known = HashMap<(String, usize), figures::SlotBaseline>;
    static KNOWN: Mutex<Option<Known>> = Mutex::new(None);
    let key = (job.engine.binary.display().to_string(), cluster.nodes.len());
    if let Some(found) = KNOWN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashMap::new)
        .get(&key)
    {
        return Ok(found.clone());
    }
    let measured = figures::slot_baseline(cluster, conns, proofs, SETTLE_LIMIT)
        .context("measuring the per-slot baseline")?;
    KNOWN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(key, measured.clone());
    Ok(measured)
}

fn memories(conns: &mut [redis::Connection]) -> anyhow::Result<Vec<MemoryInfo>> {
    conns.iter_mut().map(probe::memory).collect()
}

/// The nodes' INFO memory figures added up, as the cluster's.
fn summed(nodes: &[MemoryInfo]) -> MemoryInfo {
    let sum = |f: fn(&MemoryInfo) -> u64| nodes.iter().map(f).sum::<u64>();
    let used_memory = sum(|m| m.used_memory);
    MemoryInfo {
        used_memory,
        used_memory_human: crate::report::human_bytes(used_memory),
        used_memory_rss: sum(|m| m.used_memory_rss),
        used_memory_peak: sum(|m| m.used_memory_peak),
        used_memory_dataset: sum(|m| m.used_memory_dataset),
        used_memory_overhead: sum(|m| m.used_memory_overhead),
    }
}
