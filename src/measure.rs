//! One job's measurement in two stages, so a run can overlap them: [`prepare`] starts the
//! private server and reads its empty figure; [`finish`] primes, settles, reads the loaded
//! figures and explains. The next job is prepared while this one settles (`schedule`), and
//! each server is stopped on a thread of its own.

use crate::backend::{ConnectOptions, PipeStream};
use crate::explain::{ExplainOptions, Explainer};
use crate::job::{Job, Target, backend_config};
use crate::loader;
use crate::probe::{self, MemoryInfo};
use crate::report::{Measured, Phases, Sample};
use crate::server::{RedisServer, ServerOptions};
use anyhow::Context;
use redis::Connection;
use std::time::{Duration, Instant};

/// How long memory may take to settle after priming.
const SETTLE_LIMIT: Duration = Duration::from_secs(180);

/// A server measured empty, waiting for its turn to prime.
pub struct Empty {
    conn: Connection,
    explainer: Explainer,
    figure: MemoryInfo,
    /// How the empty figure was proven; the loaded one is proven the same way, without
    /// asking the server again (a CONFIG GET between the two figures can free 32 B).
    proof: probe::Proof,
    /// The engine's allocator, as its identity says.
    allocator: String,
    seconds: f64,
}

/// A private job after [`prepare`]: its server (running) and the empty figure.
pub struct Prepared {
    server: RedisServer,
    start_seconds: f64,
    empty: Empty,
}

/// Servers being stopped on threads of their own; [`Teardowns::join`] waits for them all.
#[derive(Default)]
pub struct Teardowns(std::sync::Mutex<Vec<std::thread::JoinHandle<()>>>);

impl Teardowns {
    /// Stops `server` on its own thread: the run goes on meanwhile.
    fn stop(&self, server: RedisServer) {
        let handle = std::thread::spawn(move || drop(server));
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(handle);
    }

    /// Waits until every server handed over is stopped (each stop has its own deadline).
    pub fn join(&self) {
        let handles = std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        for h in handles {
            let _ = h.join();
        }
    }
}

/// Starts the job's private server and reads its empty figure.
pub fn prepare(job: &Job) -> anyhow::Result<Prepared> {
    let (scenario, variant) = (job.scenario, job.variant);
    let mut overrides = job.engine.overrides.clone();
    overrides.extend(variant.overrides.iter().cloned());
    let started = Instant::now();
    let server = RedisServer::start(&ServerOptions {
        binary: job.engine.binary.clone(),
        config_file: Some(scenario.server.config_file.clone()),
        overrides,
        ..ServerOptions::default()
    })?;
    let start_seconds = started.elapsed().as_secs_f64();
    let empty = measure_empty(job, &server.connect_options(), 0);
    let empty = with_log(&server, empty)?;
    Ok(Prepared {
        server,
        start_seconds,
        empty,
    })
}

/// Primes the prepared server and reads every figure; `primed` runs once Redis has answered
/// the last command (the scheduler starts the next job's server then). The server is
/// stopped in the background through `teardowns`.
pub fn finish(
    job: &Job,
    prepared: Prepared,
    primed: &dyn Fn(),
    teardowns: &Teardowns,
) -> anyhow::Result<(Measured, String)> {
    let Prepared {
        server,
        start_seconds,
        empty,
    } = prepared;
    let result = measure_loaded(job, &server.connect_options(), 0, &mut (), empty, primed);
    let result = with_log(&server, result);
    teardowns.stop(server);
    result.map(|(mut measured, allocator)| {
        if let Some(p) = &mut measured.phases {
            p.start = start_seconds;
        }
        (measured, allocator)
    })
}

/// `result`, with the server's last log lines when it died meanwhile.
fn with_log<T>(server: &RedisServer, result: anyhow::Result<T>) -> anyhow::Result<T> {
    result.map_err(|e| {
        if server.is_running() {
            e
        } else {
            let lines = server.last_log_lines(10).join("\n");
            e.context(format!("redis-server died; its last log lines:\n{lines}"))
        }
    })
}

/// Both stages on a server already there (`--url`): `watch` runs between the loader's
/// batches (a `--url` run watches evictions there).
pub fn measure(
    job: &Job,
    connect: &ConnectOptions,
    db: i64,
    watch: &mut dyn loader::LoadWatch,
) -> anyhow::Result<(Measured, String)> {
    let empty = measure_empty(job, connect, db)?;
    measure_loaded(job, connect, db, watch, empty, &|| {})
}

/// The empty figure, read exactly as the loaded one will be, so the INFO connection's own
/// buffers cancel out; the plan's explanation is computed while the empty server settles.
fn measure_empty(job: &Job, connect: &ConnectOptions, db: i64) -> anyhow::Result<Empty> {
    let (scenario, variant, options) = (job.scenario, job.variant, job.options);
    let mut conn = connect.connect().context("connecting to read INFO")?;
    // A server-wide setting, so only on servers redisadv owns; not with --hold-connection,
    // whose point is the held connection as Python leaves it (buffer shrunk by the timer).
    if matches!(options.target, Target::Private) && !options.hold_connection {
        probe::freeze_reply_buffers(&mut conn);
    }
    // The engine's identity, read once for the run; asked here only when it could not be.
    let identity = match &job.engine.identity {
        Some(known) => known.clone(),
        None => crate::identity::Identity::read(&mut conn)?,
    };
    if variant.hash_ttl == crate::backend::HashTtl::FieldTtl {
        crate::identity::require_field_ttl(&identity, &variant.name, &connect.describe())?;
    }
    let started = Instant::now();
    let (explainer, (proof, figure)) = Explainer::before_priming(
        &mut conn,
        &backend_config(scenario, variant),
        variant.layout,
        scenario.dataset.seed,
        &variant.name,
        identity.caps.embedding,
        |conn| {
            let proof = match options.target {
                Target::Private => probe::Proof::private(conn),
                Target::Url { .. } => probe::Proof::SHARED,
            };
            probe::settle_with(conn, db, SETTLE_LIMIT, proof)?;
            Ok((proof, probe::memory(conn)?))
        },
    )?;
    Ok(Empty {
        conn,
        explainer,
        figure,
        proof,
        allocator: identity.allocator,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn measure_loaded(
    job: &Job,
    connect: &ConnectOptions,
    db: i64,
    watch: &mut dyn loader::LoadWatch,
    empty: Empty,
    primed: &dyn Fn(),
) -> anyhow::Result<(Measured, String)> {
    let Job {
        scenario,
        variant,
        dataset,
        options,
        progress,
        ..
    } = *job;
    let Empty {
        mut conn,
        mut explainer,
        figure: empty,
        proof,
        allocator,
        seconds: empty_seconds,
    } = empty;
    let config = backend_config(scenario, variant);
    let mut stream = PipeStream::connect(connect).context("opening the loading connection")?;
    watch.opened(&stream);
    // Priming ends when Redis has answered the last command, as `redis-cli --pipe` counts it.
    let started = Instant::now();
    let mut sink = loader::Watched {
        sink: &mut stream,
        watch,
        stopped: None,
    };
    let outcome = loader::load(
        &mut sink,
        dataset,
        variant.layout,
        &config,
        progress,
        &mut |records| explainer.count(records),
    )
    .map_err(|e| sink.stopped.take().unwrap_or(e))
    .with_context(|| format!("priming {}", variant.name))?;
    let summary = stream.finish().context("priming")?;
    watch.loaded()?;
    let prime_seconds = started.elapsed().as_secs_f64();
    summary.check().context("priming")?;
    // The next job starts now, while this server settles: its server, or (one job at a
    // time) its whole run, priming included. Not before a heavy tail: the next server would
    // slow --read's reads, and a next priming would compete with --verify's reads and
    // --measure-ttl's PERSISTs (the tail then calls `primed` at its end).
    let runs_ahead = options.overlap && options.jobs == 1;
    let heavy_tail =
        options.read.is_some() || (runs_ahead && (options.verify || options.explain.measure_ttl));
    if !heavy_tail {
        primed();
    }
    let explainer = explainer.written(dataset, &config, !options.explain.quiet_warnings);
    let held = options.hold_connection.then_some(stream);
    // Only the INFO connection (and the held loading one) may remain: another client of a
    // --url server would never leave, so there the count is not waited for.
    let clients = match options.target {
        Target::Private => Some(1 + u64::from(held.is_some())),
        Target::Url { .. } => None,
    };
    let settled = probe::settle_after_inserts(&mut conn, db, clients, proof, SETTLE_LIMIT)?;
    let figures_started = Instant::now();
    let memory = probe::memory(&mut conn)?;
    let (keys, keys_with_ttl) = probe::keyspace(&mut conn, db)?;
    let samples = probe::samples(&mut conn, &dataset.sample_keys(variant.layout))?
        .into_iter()
        .map(|(key, bytes)| Sample {
            key,
            hex: bytes.map(hex::encode),
        })
        .collect();
    let verify = if options.verify {
        Some(crate::verify::verify(
            connect,
            dataset,
            variant.layout,
            &config,
        )?)
    } else {
        None
    };
    drop(held);
    let figures_seconds = figures_started.elapsed().as_secs_f64();
    let explain_started = Instant::now();
    let dataset_bytes = memory.used_memory.saturating_sub(empty.used_memory);
    // Last: it may remove the TTLs, so only on servers redisadv owns.
    let explain_options = ExplainOptions {
        measure_ttl: options.explain.measure_ttl && matches!(options.target, Target::Private),
        quiet_warnings: options.explain.quiet_warnings,
    };
    let explain = explainer.after_figures(
        &mut conn,
        db,
        dataset,
        dataset_bytes,
        explain_options,
        SETTLE_LIMIT,
    );
    let phases = Phases {
        empty: empty_seconds,
        figures: figures_seconds,
        explain: explain_started.elapsed().as_secs_f64(),
        ..Default::default()
    };
    // After the figures and explanations, so it can never change them.
    let read = crate::read::after_figures_of(
        options.read.as_ref(),
        connect,
        dataset,
        variant.layout,
        &config,
    )?;
    primed();
    Ok((
        Measured {
            memory,
            empty_used_memory: empty.used_memory,
            dataset_bytes,
            keys,
            keys_with_ttl,
            records: outcome.records,
            calls: outcome.calls,
            commands: outcome.commands,
            prime_seconds,
            records_per_second: outcome.records as f64 / prime_seconds.max(1e-9),
            settle_seconds: settled.seconds,
            samples,
            verify,
            explain,
            phases: Some(phases),
            read,
            cluster: None,
        },
        allocator,
    ))
}
