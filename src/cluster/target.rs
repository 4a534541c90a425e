//! The private cluster as the protocol's target: each job starts its N nodes, writes through
//! a sink that routes every command to its slot's node, and every step (settling, figures,
//! samples, --verify) runs on every node; the figures are the nodes' added up, and the
//! explanation step adds each node's share, the skew, the per-slot baseline and top slots.

use super::figures::{self, ClusterFigures, NodeFigures as NodeShare, Stage};
use super::nodes::Cluster;
use super::route::{self, RoutedSink};
use crate::backend::Backend;
use crate::dataset::Key;
use crate::engine_set::Engine;
use crate::job::Job;
use crate::loader::LoadOutcome;
use crate::probe::{self, MemoryInfo};
use crate::protocol::{Explained, NodeFigures, SETTLE_LIMIT, Session, Target, Writes};
use crate::report::Sample;
use crate::scenario::Scenario;
use crate::server::ServerOptions;
use anyhow::Context;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// A private cluster of `nodes` nodes per job.
pub struct ClusterTarget {
    pub nodes: usize,
}

impl Target for ClusterTarget {
    fn name(&self) -> String {
        crate::protocol::target_name(Some(self.nodes))
    }

    fn place(&self, engine: &Engine) -> String {
        engine.binary.display().to_string()
    }

    fn identify(
        &self,
        scenario: &Scenario,
        engines: &mut [Engine],
        named: bool,
    ) -> anyhow::Result<()> {
        crate::protocol::private::identify(scenario, engines, named)
    }

    fn prepares_ahead(&self) -> bool {
        false
    }

    fn open<'a>(&'a self, job: Job<'a>) -> anyhow::Result<Box<dyn Session + 'a>> {
        let mut overrides = job.engine.overrides.clone();
        overrides.extend(job.variant.overrides.iter().cloned());
        if counts_slot_memory(job) {
            overrides.push(("cluster-slot-stats-enabled".into(), "mem".into()));
        }
        let cluster = Cluster::start(
            &ServerOptions {
                binary: job.engine.binary.clone(),
                config_file: Some(job.scenario.server.config_file.clone()),
                overrides,
                ..ServerOptions::default()
            },
            self.nodes,
        )?;
        let connected = connect(job, &cluster);
        let mut session = ClusterSession {
            job,
            cluster,
            conns: Vec::new(),
            allocator: String::new(),
            proofs: Vec::new(),
            empty: Vec::new(),
            loaded: Vec::new(),
            sink: None,
            per_node_commands: Vec::new(),
            top_slots: Vec::new(),
        };
        match connected {
            Ok((conns, allocator)) => {
                session.conns = conns;
                session.allocator = allocator;
                Ok(Box::new(session))
            }
            Err(e) => Err(match Box::new(session).end(Some(e)) {
                Err(e) => e,
                Ok(_) => anyhow::anyhow!("connecting to the cluster failed"),
            }),
        }
    }
}

/// Redis 8.2 and later count memory per slot (`cluster-slot-stats-enabled mem`, set at
/// startup); Valkey's CLUSTER SLOT-STATS has no memory figure, and older servers refuse the
/// setting. From the engine's capabilities, read once for the run.
fn counts_slot_memory(job: Job) -> bool {
    job.engine
        .identity
        .as_ref()
        .is_some_and(|i| i.caps.slot_stats_memory)
}

/// Every node's INFO connection, and the engine's allocator.
fn connect(job: Job, cluster: &Cluster) -> anyhow::Result<(Vec<redis::Connection>, String)> {
    let mut conns = route::connect_all(&cluster.connect_options())?;
    if !job.options.hold_connection {
        for conn in &mut conns {
            probe::freeze_reply_buffers(conn);
        }
    }
    let identity = match &job.engine.identity {
        Some(known) => known.clone(),
        None => crate::identity::Identity::read(&mut conns[0])?,
    };
    if job.variant.hash_ttl == crate::backend::HashTtl::FieldTtl {
        let at = cluster.nodes[0].server.connect_options().describe();
        crate::identity::require_field_ttl(&identity, &job.variant.name, &at)?;
    }
    Ok((conns, identity.allocator))
}

/// One job's cluster, measured step by step.
struct ClusterSession<'a> {
    job: Job<'a>,
    cluster: Cluster,
    conns: Vec<redis::Connection>,
    allocator: String,
    /// Each node's settling proof, asked once before its empty figure.
    proofs: Vec<probe::Proof>,
    empty: Vec<MemoryInfo>,
    loaded: Vec<NodeFigures>,
    /// The loading connections, kept while the figures are read (`--hold-connection`).
    sink: Option<RoutedSink>,
    per_node_commands: Vec<u64>,
    top_slots: Vec<figures::SlotFigure>,
}

impl ClusterSession<'_> {
    fn node_of(&self, key: &Key) -> usize {
        self.cluster
            .owner(route::slot_of(route::redis_key(key).as_bytes()))
    }
}

impl Session for ClusterSession<'_> {
    fn empty(&mut self) -> anyhow::Result<Vec<MemoryInfo>> {
        // Asked once, before the empty figures, as on one server.
        self.proofs = figures::proofs(&mut self.conns);
        figures::settle_all(&mut self.conns, &self.proofs, Stage::Empty, SETTLE_LIMIT)?;
        self.empty = memories(&mut self.conns)?;
        Ok(self.empty.clone())
    }

    fn prime(&mut self, writes: &dyn Writes) -> anyhow::Result<LoadOutcome> {
        let mut sink =
            RoutedSink::connect(&self.cluster).context("opening the loading connections")?;
        let outcome = writes
            .write(&mut sink, &mut |_| {})
            .with_context(|| format!("priming {}", writes.name()))?;
        let summary = sink.finish().context("priming")?;
        summary.check().context("priming")?;
        self.per_node_commands = sink.commands_per_node();
        if self.job.options.hold_connection {
            self.sink = Some(sink);
        }
        Ok(outcome)
    }

    fn settle(&mut self) -> anyhow::Result<f64> {
        // Each node keeps the INFO connection (and the held loading one).
        let clients = 1 + u64::from(self.sink.is_some());
        let stage = Stage::Inserted { clients };
        figures::settle_all(&mut self.conns, &self.proofs, stage, SETTLE_LIMIT)
    }

    fn figures(&mut self) -> anyhow::Result<Vec<NodeFigures>> {
        let memories = memories(&mut self.conns)?;
        let mut nodes = Vec::new();
        for (conn, memory) in self.conns.iter_mut().zip(memories) {
            let (keys, keys_with_ttl) = probe::keyspace(conn, 0)?;
            nodes.push(NodeFigures {
                memory,
                keys,
                keys_with_ttl,
            });
        }
        self.loaded = nodes.clone();
        Ok(nodes)
    }

    fn samples(&mut self, keys: &[Key]) -> anyhow::Result<Vec<Sample>> {
        let mut samples = Vec::new();
        for key in keys {
            let node = self.node_of(key);
            for (key, bytes) in probe::samples(&mut self.conns[node], std::slice::from_ref(key))? {
                samples.push(Sample {
                    key,
                    hex: bytes.map(hex::encode),
                });
            }
        }
        Ok(samples)
    }

    fn verify(&mut self) -> anyhow::Result<crate::report::Verified> {
        let config = self.job.config();
        let mut backends = self
            .cluster
            .connect_options()
            .iter()
            .map(|o| Backend::connect(o, config.clone()).context("verify: connecting"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        crate::verify::verify_routed(
            &mut backends,
            &|key: &Key| self.node_of(key),
            self.job.dataset,
            self.job.variant.layout,
            &config,
        )
    }

    fn release(&mut self) -> anyhow::Result<()> {
        self.sink = None;
        if counts_slot_memory(self.job) {
            self.top_slots = figures::top_slots(&mut self.conns)?;
        }
        Ok(())
    }

    fn explain(&mut self, dataset_bytes: u64) -> anyhow::Result<Explained> {
        let node_bytes: Vec<u64> = self
            .loaded
            .iter()
            .zip(&self.empty)
            .map(|(l, e)| l.memory.used_memory.saturating_sub(e.used_memory))
            .collect();
        let nodes = self
            .cluster
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| NodeShare {
                first_slot: node.slots.0,
                last_slot: node.slots.1,
                empty_used_memory: self.empty[i].used_memory,
                used_memory: self.loaded[i].memory.used_memory,
                dataset_bytes: node_bytes[i],
                keys: self.loaded[i].keys,
                share: if dataset_bytes == 0 {
                    0.0
                } else {
                    node_bytes[i] as f64 / dataset_bytes as f64
                },
                commands: self.per_node_commands.get(i).copied().unwrap_or(0),
            })
            .collect();
        // Last: it empties the nodes. Measured once per engine and node count.
        let slot_baseline = slot_baseline(self.job, &self.cluster, &mut self.conns, &self.proofs)?;
        Ok(Explained {
            explain: None,
            cluster: Some(ClusterFigures {
                skew: figures::skew(&node_bytes),
                nodes,
                slot_baseline: Some(slot_baseline),
                top_slots: std::mem::take(&mut self.top_slots),
            }),
        })
    }

    fn read(&mut self) -> anyhow::Result<Option<crate::read::ReadFigures>> {
        // Refused with a cluster (crate::read::for_target).
        Ok(None)
    }

    fn overlaps(&self) -> bool {
        false
    }

    fn allocator(&self) -> String {
        self.allocator.clone()
    }

    fn end(self: Box<Self>, failed: Option<anyhow::Error>) -> anyhow::Result<f64> {
        let ClusterSession {
            cluster,
            conns,
            sink,
            ..
        } = *self;
        drop((conns, sink));
        let log = cluster.dead_logs();
        let stopping = Instant::now();
        drop(cluster);
        let teardown = stopping.elapsed().as_secs_f64();
        match (failed, log) {
            (None, _) => Ok(teardown),
            (Some(e), None) => Err(e),
            (Some(e), Some(lines)) => {
                Err(e.context(format!("a cluster node died; its last log lines:\n{lines}")))
            }
        }
    }
}

/// The per-slot baseline of this engine on this many nodes, measured by the first variant
/// that gets there and reused by the others (it does not depend on the variant).
fn slot_baseline(
    job: Job,
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
