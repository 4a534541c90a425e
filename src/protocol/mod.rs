//! The measurement protocol, written once: the empty figure, priming, settling, the loaded
//! figures, samples and --verify, the explanation, --read. Where it runs is a [`Target`]
//! (a private server, a private cluster, the --url database, or a fake one in tests), so
//! bench's variants, a cluster's nodes and whatif's "as stored today" are all measured by
//! the same steps in the same order, and every figure has one meaning: settled used_memory
//! after the writes minus before, summed over the target's servers.

#[cfg(test)]
pub mod fake;
pub mod one;
pub mod private;

use crate::dataset::Key;
use crate::engine_set::Engine;
use crate::job::Job;
use crate::loader::{EncodedCall, LoadOutcome, Sink};
use crate::probe::MemoryInfo;
use crate::report::{Measured, Phases, Sample};
use crate::scenario::Scenario;
use indicatif::ProgressBar;
use std::time::{Duration, Instant};

/// How reports name a private target: `private`, or `private cluster of N nodes`.
pub fn target_name(nodes: Option<usize>) -> String {
    match nodes {
        None => "private".into(),
        Some(1) => "private cluster of 1 node".into(),
        Some(n) => format!("private cluster of {n} nodes"),
    }
}

/// How long memory may take to settle, empty or after priming.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(180);

/// Where a run's jobs are measured; one value per run, with a fake one for tests. It opens
/// one [`Session`] per job, and says what the orchestration needs to know about it: its
/// name, whether jobs may be prepared ahead, which errors stop the run.
pub trait Target: Sync {
    /// How reports name it: `private`, `private cluster of 3 nodes`, or the redacted URL.
    fn name(&self) -> String;

    /// Where an engine's servers are, for messages: its binary, or `--url redis://...`.
    fn place(&self, engine: &Engine) -> String;

    /// Before any job: reads who each engine is and what it can do (once per run), and
    /// refuses a run the target cannot do (`named`: the scenario names its engines).
    fn identify(
        &self,
        scenario: &Scenario,
        engines: &mut [Engine],
        named: bool,
    ) -> anyhow::Result<()>;

    /// Refuses `--jobs N` when the target cannot run N jobs at once.
    fn check_jobs(&self, _jobs: usize) -> anyhow::Result<()> {
        Ok(())
    }

    /// Whether a job's servers are started and measured empty ahead, while the job before
    /// settles (the scheduler's first stage); otherwise all of a job runs in its turn.
    fn prepares_ahead(&self) -> bool;

    /// Whether opening a job starts its servers (reported as the job's start phase); a
    /// `--url` server is there already.
    fn starts_servers(&self) -> bool {
        true
    }

    /// The job's servers, started (or reached), not yet measured.
    fn open<'a>(&'a self, job: Job<'a>) -> anyhow::Result<Box<dyn Session + 'a>>;

    /// Whether `e` must stop the whole run (a --url server that evicted keys or kept
    /// records): no further job starts, what was measured is kept.
    fn is_fatal(&self, _e: &anyhow::Error) -> bool {
        false
    }

    /// Waits for what the jobs left running (private servers stopping in the background).
    fn join(&self) {}
}

/// One job's servers, from the empty figure to the last read: each step of the protocol
/// is one call, made in the order [`prepare`] and [`finish`] give. A target of several
/// servers answers per server (one entry per node), in node order.
pub trait Session: Send {
    /// Settles the empty servers and reads their memory figures.
    fn empty(&mut self) -> anyhow::Result<Vec<MemoryInfo>>;

    /// Writes the records through the target's loading connections.
    fn prime(&mut self, writes: &dyn Writes) -> anyhow::Result<LoadOutcome>;

    /// Settles after the writes (only inserts since the empty figure); returns seconds.
    fn settle(&mut self) -> anyhow::Result<f64>;

    /// The loaded figures: INFO memory and the keyspace, per server.
    fn figures(&mut self) -> anyhow::Result<Vec<NodeFigures>>;

    /// The stored bytes of `keys`, as the server returns them.
    fn samples(&mut self, keys: &[Key]) -> anyhow::Result<Vec<Sample>>;

    /// Reads every record back and compares it (`--verify`).
    fn verify(&mut self) -> anyhow::Result<crate::report::Verified>;

    /// Closes the loading connection `--hold-connection` kept for the figures, and reads
    /// what must come after it (a cluster's top slots).
    fn release(&mut self) -> anyhow::Result<()>;

    /// After every figure: what explains them (`dataset_bytes`: the protocol's figure).
    fn explain(&mut self, dataset_bytes: u64) -> anyhow::Result<Explained>;

    /// The `--read` workload, after figures and explanations so it can never change them.
    fn read(&mut self) -> anyhow::Result<Option<crate::read::ReadFigures>>;

    /// Whether the next job may start once this one is primed (its own servers settle
    /// meanwhile); a shared or many-node target runs alone.
    fn overlaps(&self) -> bool;

    /// The engine's allocator, as its identity says.
    fn allocator(&self) -> String;

    /// Ends the job: stops its servers or removes what it wrote. `failed`: the step that
    /// failed, returned with what only the end can tell (a dead server's log lines, a --url
    /// cleanup's outcome); without it, the end may still fail the job (records left on a
    /// --url server). Returns the seconds the stop took on the run's path.
    fn end(self: Box<Self>, failed: Option<anyhow::Error>) -> anyhow::Result<f64>;
}

/// One server's loaded figures.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeFigures {
    pub memory: MemoryInfo,
    pub keys: u64,
    pub keys_with_ttl: u64,
}

/// What the explanation step adds to the figures.
#[derive(Debug, Clone, Default)]
pub struct Explained {
    pub explain: Option<crate::explain::Explanation>,
    pub cluster: Option<crate::report::cluster::ClusterFigures>,
}

/// What priming writes: a bench job's records through the backend's plan, or whatif's
/// sampled values exactly as stored today.
pub trait Writes {
    /// For messages: `priming NAME`.
    fn name(&self) -> &str;

    /// Writes every record into `sink`; `encoded` sees each call's records as written.
    fn write(
        &self,
        sink: &mut dyn Sink,
        encoded: &mut dyn FnMut(&EncodedCall),
    ) -> anyhow::Result<LoadOutcome>;
}

/// A bench job's records, through the loader and the backend's plan.
pub struct JobWrites<'a> {
    pub job: Job<'a>,
    pub progress: &'a ProgressBar,
}

impl Writes for JobWrites<'_> {
    fn name(&self) -> &str {
        &self.job.variant.name
    }

    fn write(
        &self,
        sink: &mut dyn Sink,
        encoded: &mut dyn FnMut(&EncodedCall),
    ) -> anyhow::Result<LoadOutcome> {
        let job = self.job;
        crate::loader::load(
            sink,
            job.dataset,
            job.variant.layout,
            &job.config(),
            self.progress,
            encoded,
        )
    }
}

/// A job after its first stage: its servers open and measured empty.
pub struct Prepared<'a> {
    session: Box<dyn Session + 'a>,
    start_seconds: f64,
    empty: Vec<MemoryInfo>,
    empty_seconds: f64,
}

/// The first stage: opens the job's servers and reads the empty figure.
pub fn prepare<'a>(target: &'a dyn Target, job: Job<'a>) -> anyhow::Result<Prepared<'a>> {
    let started = Instant::now();
    let mut session = target.open(job)?;
    let start_seconds = if target.starts_servers() {
        started.elapsed().as_secs_f64()
    } else {
        0.0
    };
    let started = Instant::now();
    match session.empty() {
        Ok(empty) => Ok(Prepared {
            session,
            start_seconds,
            empty,
            empty_seconds: started.elapsed().as_secs_f64(),
        }),
        Err(e) => Err(failed(session, e)),
    }
}

/// Ends `session` after a step failed; `e`, as the session's end tells it.
fn failed(session: Box<dyn Session + '_>, e: anyhow::Error) -> anyhow::Error {
    match session.end(Some(e)) {
        Err(e) => e,
        Ok(_) => anyhow::anyhow!("a failed measurement ended as a measured one"),
    }
}

/// Ends `session` with the outcome of its steps.
fn ended<T>(session: Box<dyn Session + '_>, result: anyhow::Result<T>) -> anyhow::Result<(T, f64)> {
    match result {
        Ok(value) => session.end(None).map(|teardown| (value, teardown)),
        Err(e) => Err(failed(session, e)),
    }
}

/// The second stage: priming and every figure after it; `primed` runs once the servers
/// have answered the last write (the scheduler starts the next job then), when the session
/// overlaps. Returns the figures and the engine's allocator.
pub fn finish(
    prepared: Prepared,
    job: Job,
    progress: &ProgressBar,
    primed: &dyn Fn(),
) -> anyhow::Result<(Measured, String)> {
    let Prepared {
        mut session,
        start_seconds,
        empty,
        empty_seconds,
    } = prepared;
    let allocator = session.allocator();
    let writes = JobWrites { job, progress };
    let result = loaded(&mut *session, job, &writes, &empty, primed);
    let (mut measured, teardown) = ended(session, result)?;
    if let Some(p) = &mut measured.phases {
        p.start = start_seconds;
        p.empty = empty_seconds;
        p.teardown = teardown;
    }
    Ok((measured, allocator))
}

/// Only the figure, for writes that are no bench job (whatif's values as stored today):
/// the same steps up to the loaded figures, on a session opened for it. Returns the
/// dataset bytes.
pub fn figure(mut session: Box<dyn Session + '_>, writes: &dyn Writes) -> anyhow::Result<u64> {
    let result: anyhow::Result<u64> = (|| {
        let empty = session.empty()?;
        session.prime(writes)?;
        session.settle()?;
        let loaded = session.figures()?;
        session.release()?;
        Ok(dataset_bytes(&empty, &loaded))
    })();
    ended(session, result).map(|(bytes, _)| bytes)
}

/// The one meaning of a figure: per server, settled used_memory after minus before.
pub fn dataset_bytes(empty: &[MemoryInfo], loaded: &[NodeFigures]) -> u64 {
    loaded
        .iter()
        .zip(empty)
        .map(|(l, e)| l.memory.used_memory.saturating_sub(e.used_memory))
        .sum()
}

fn loaded(
    session: &mut dyn Session,
    job: Job,
    writes: &dyn Writes,
    empty: &[MemoryInfo],
    primed: &dyn Fn(),
) -> anyhow::Result<Measured> {
    let options = job.options;
    // Priming ends when the servers have answered the last command, as `redis-cli --pipe`
    // counts it.
    let started = Instant::now();
    let outcome = session.prime(writes)?;
    let prime_seconds = started.elapsed().as_secs_f64();
    // The next job starts now, while this one settles: its server, or (one job at a time)
    // its whole run, priming included. Not before a heavy tail: the next server would slow
    // --read's reads, and a next priming would compete with --verify's reads and
    // --measure-ttl's PERSISTs (the tail then calls `primed` at its end).
    let overlaps = session.overlaps();
    let runs_ahead = options.overlap && options.jobs == 1;
    let heavy_tail =
        options.read.is_some() || (runs_ahead && (options.verify || options.explain.measure_ttl));
    if overlaps && !heavy_tail {
        primed();
    }
    let settle_seconds = session.settle()?;
    let figures_started = Instant::now();
    let nodes = session.figures()?;
    let samples = session.samples(&job.dataset.sample_keys(job.variant.layout))?;
    let verify = if options.verify {
        Some(session.verify()?)
    } else {
        None
    };
    session.release()?;
    let figures_seconds = figures_started.elapsed().as_secs_f64();
    let explain_started = Instant::now();
    let dataset_bytes = dataset_bytes(empty, &nodes);
    let explained = session.explain(dataset_bytes)?;
    let phases = Phases {
        figures: figures_seconds,
        explain: explain_started.elapsed().as_secs_f64(),
        ..Default::default()
    };
    let read = session.read()?;
    if overlaps {
        primed();
    }
    Ok(Measured {
        memory: summed(&nodes),
        empty_used_memory: empty.iter().map(|m| m.used_memory).sum(),
        dataset_bytes,
        keys: nodes.iter().map(|n| n.keys).sum(),
        keys_with_ttl: nodes.iter().map(|n| n.keys_with_ttl).sum(),
        records: outcome.records,
        calls: outcome.calls,
        commands: outcome.commands,
        prime_seconds,
        records_per_second: outcome.records as f64 / prime_seconds.max(1e-9),
        settle_seconds,
        samples,
        verify,
        explain: explained.explain,
        phases: Some(phases),
        read,
        cluster: explained.cluster,
    })
}

/// The servers' INFO memory figures: one server's as it said them, several added up.
fn summed(nodes: &[NodeFigures]) -> MemoryInfo {
    if let [one] = nodes {
        return one.memory.clone();
    }
    let sum = |f: fn(&MemoryInfo) -> u64| nodes.iter().map(|n| f(&n.memory)).sum::<u64>();
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
