//! Runs a scenario: per variant a fresh private redis-server (or the `--url` server), the
//! empty figure, priming through the backend's plan, settling, the loaded figures and the
//! samples; then the report.

use crate::backend::{BackendConfig, ConnectOptions, PipeStream};
use crate::dataset::Dataset;
use crate::engine_set;
use crate::explain::{ExplainOptions, Explainer};
use crate::loader;
use crate::probe;
use crate::report::{
    ClockInfo, DatasetInfo, EngineInfo, Measured, RedisInfo, Report, SCHEMA_VERSION, Sample,
    ScenarioInfo, VariantReport,
};
use crate::scenario::{ClockKind, FIXED_CT, Scenario, Variant};
use crate::server::{RedisServer, ServerOptions};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long memory may take to settle after priming.
const SETTLE_LIMIT: Duration = Duration::from_secs(180);

/// Where the variants run.
#[derive(Debug, Clone)]
pub enum Target {
    /// A fresh private redis-server per variant.
    Private,
    /// An existing server the user named; `flush` allows emptying its database first,
    /// `keep` leaves the records written.
    Url {
        options: ConnectOptions,
        flush: bool,
        keep: bool,
    },
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub target: Target,
    /// Show progress bars.
    pub progress: bool,
    /// Read every record back and compare it.
    pub verify: bool,
    /// Keep the loading connection open while the loaded figures are read, as a Python
    /// application's connection pool does: every figure then includes one idle client.
    pub hold_connection: bool,
    /// What the explanations measure.
    pub explain: crate::explain::ExplainOptions,
    /// How many jobs run at once (`--jobs`); above 1 the timing figures are not comparable.
    pub jobs: usize,
}

/// Runs every variant of `scenario` on every engine (one job per engine and variant); a
/// failed job is reported, the others still run.
pub fn run(scenario: &Scenario, options: &RunOptions) -> anyhow::Result<Report> {
    run_reporting(scenario, options, &|_, _| {})
}

/// [`run`], calling `finished` after each job with the report of the jobs finished so far
/// (in job order): progress, and --out files that keep what a stopped run measured.
pub fn run_reporting(
    scenario: &Scenario,
    options: &RunOptions,
    finished: &(dyn Fn(&Report, &VariantReport) + Sync),
) -> anyhow::Result<Report> {
    let datasets = crate::scenario::sweep::Datasets::build(scenario)?;
    let named = !scenario.server.engines.is_empty();
    let mut engines = engine_set::resolve(scenario)?;
    match &options.target {
        Target::Private => {
            for engine in &mut engines {
                engine_set::identify(engine, &scenario.server.config_file, named)?;
            }
        }
        Target::Url { .. } if named => anyhow::bail!(
            "--url measures the one server at the URL; engines ([[server.engine]] in {}, or \
             --engine) start private servers. Leave out one or the other",
            scenario.path.display()
        ),
        Target::Url {
            options: connect, ..
        } => {
            let (version, allocator) = crate::url_target::identify(connect)?;
            engines[0].info.version = version;
            engines[0].info.allocator = allocator;
        }
    }
    // Refused before any variant runs on an engine without hash field expiration.
    for engine in &engines {
        crate::preflight::field_ttl(scenario, &options.target, &engine.binary)?;
    }
    let infos: Vec<EngineInfo> = engines.iter().map(|e| e.info.clone()).collect();
    if named && let Some(warning) = engine_set::allocator_warning(&infos) {
        eprintln!("{warning}");
    }
    let first = &engines[0].info;
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: format!("redisadv {}", env!("CARGO_PKG_VERSION")),
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
            file: scenario.path.display().to_string(),
            dataset: DatasetInfo::of(&scenario.dataset)?,
            clock: ClockInfo {
                kind: scenario.clock_kind.name().into(),
                ct: (scenario.clock_kind != ClockKind::Now).then_some(FIXED_CT),
            },
            server_overrides: scenario.server.overrides.iter().cloned().collect(),
        },
        redis: RedisInfo {
            server: (!first.server.is_empty()).then(|| first.server.clone()),
            version: first.version.clone(),
            allocator: first.allocator.clone(),
            target: match &options.target {
                Target::Private => "private".into(),
                Target::Url { options, .. } => redact_password(&options.url),
            },
        },
        baseline: scenario.variants[scenario.baseline].name.clone(),
        engines: if named { infos } else { Vec::new() },
        engine_baseline: named.then(|| {
            scenario
                .engine_baseline
                .clone()
                .unwrap_or_else(|| engines[0].name.clone())
        }),
        variants: Vec::new(),
        concurrent_jobs: (options.jobs > 1).then_some(options.jobs),
    };
    if options.jobs > 1 && matches!(options.target, Target::Url { .. }) {
        anyhow::bail!(
            "--jobs {}: --url measures one server, one variant at a time; leave out --jobs",
            options.jobs
        );
    }
    let jobs: Vec<_> = engines
        .iter()
        .flat_map(|e| scenario.variants.iter().map(move |v| (e, v)))
        .collect();
    // Several bars at once need one owner that draws them; with one job it is unused.
    let bars = indicatif::MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let done = crate::report::partial::Finished::new(&report, jobs.len());
    let label = |engine: &engine_set::Engine, variant: &Variant| {
        if named {
            format!("{}/{}", engine.name, variant.name)
        } else {
            variant.name.clone()
        }
    };
    let outcomes = crate::schedule::run_ordered(
        jobs.len(),
        options.jobs,
        |i| {
            let (engine, variant) = jobs[i];
            let dataset = datasets.of(variant);
            let mut progress = progress_bar(
                options.progress,
                dataset.record_count(),
                &label(engine, variant),
            );
            if options.jobs > 1 && options.progress {
                progress = bars.add(progress);
            }
            let outcome = run_job(&Job {
                scenario,
                engine,
                variant,
                dataset,
                options,
                progress: &progress,
            });
            progress.finish_and_clear();
            let row = row_of(named.then_some(engine), variant, &outcome);
            let allocator = outcome.as_ref().ok().map(|(_, a)| a.as_str());
            finished(&done.record(i, row.clone(), allocator), &row);
            outcome
        },
        |outcome| matches!(outcome, Err(e) if crate::url_target::is_fatal(e)),
    );
    for ((engine, variant), outcome) in jobs.into_iter().zip(outcomes) {
        // A job never started: an earlier one hit a fatal --url error, returned below.
        let Some(outcome) = outcome else { continue };
        if let Err(e) = &outcome
            && crate::url_target::is_fatal(e)
        {
            // The --url server evicted keys, stopped answering, or kept records: no further
            // variant runs.
            return Err(outcome.unwrap_err());
        }
        match &outcome {
            Ok((_, allocator)) if report.redis.allocator.is_empty() => {
                report.redis.allocator = allocator.clone();
            }
            Ok(_) => {}
            Err(e) => eprintln!(
                "error: variant {}: {}",
                label(engine, variant),
                crate::errors::error_text(e)
            ),
        }
        let row = row_of(named.then_some(engine), variant, &outcome);
        report.variants.push(row);
    }
    Ok(report)
}

/// A finished job's row of the report.
fn row_of(
    engine: Option<&engine_set::Engine>,
    variant: &Variant,
    outcome: &anyhow::Result<(Measured, String)>,
) -> VariantReport {
    let (result, error) = match outcome {
        Ok((measured, _)) => (Some(measured.clone()), None),
        Err(e) => (None, Some(crate::errors::error_text(e))),
    };
    let mut row = variant_report(variant, result, error);
    row.engine = engine.map(|e| e.name.clone());
    // The same specs were built before any job ran, so this cannot fail here.
    if let Ok((sweep, dataset)) = crate::scenario::sweep::describe(variant) {
        row.sweep = sweep;
        row.dataset = dataset;
    }
    row
}

/// A URL as reports may show it: `redis://user:***@host:port/db`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

fn variant_report(v: &Variant, result: Option<Measured>, error: Option<String>) -> VariantReport {
    VariantReport {
        name: v.name.clone(),
        engine: None,
        codec: v.format.codec.name().into(),
        envelope: v.format.envelope.name().into(),
        pickle_protocol: (v.format.codec == crate::codec::Codec::Pickle)
            .then_some(v.format.pickle_protocol),
        layout: v.layout.name().into(),
        redis_ttl: v.redis_ttl,
        expiration_time: v.expiration_time,
        hash_ttl: v.hash_ttl.name().into(),
        version: v.version,
        overrides: v.overrides.iter().cloned().collect::<BTreeMap<_, _>>(),
        result,
        error,
        sweep: None,
        dataset: None,
    }
}

fn progress_bar(enabled: bool, records: u64, name: &str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(records), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>28} [{bar:30}] {human_pos}/{human_len} records {rate} {elapsed}",
        )
        .expect("valid template")
        // indicatif's {per_sec} prints `110,813.806/s`; whole records per second read better.
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&crate::report::rate(state.per_sec()));
            },
        )
        .progress_chars("=> "),
    );
    bar.set_prefix(name.to_string());
    bar
}

/// One (engine, variant) job: what every step of it needs.
pub struct Job<'a> {
    pub scenario: &'a Scenario,
    /// The engine it runs on: binary, overrides, server name and version.
    pub engine: &'a engine_set::Engine,
    pub variant: &'a Variant,
    pub dataset: &'a Dataset,
    pub options: &'a RunOptions,
    pub progress: &'a ProgressBar,
}

pub fn backend_config(scenario: &Scenario, variant: &Variant) -> BackendConfig {
    let mut config = BackendConfig::new(variant.format);
    config.version = variant.version;
    config.redis_ttl = variant.redis_ttl;
    config.hash_ttl = variant.hash_ttl;
    config.clock = scenario.clock();
    config
}

/// One job on its target: a fresh private server, or the `--url` server.
fn run_job(job: &Job) -> anyhow::Result<(Measured, String)> {
    match &job.options.target {
        Target::Private => run_private(job),
        Target::Url {
            options: connect,
            flush,
            keep,
        } => crate::url_target::run_variant(
            &crate::url_target::UrlVariant {
                connect,
                flush: *flush,
                keep: *keep,
                last: job.scenario.variants.last().map(|v| v.name.as_str()),
                dataset: job.dataset,
                variant: job.variant,
                config: backend_config(job.scenario, job.variant),
            },
            &mut |connect, db, watch| measure(job, connect, db, watch),
        ),
    }
}

fn run_private(job: &Job) -> anyhow::Result<(Measured, String)> {
    let (scenario, variant) = (job.scenario, job.variant);
    let mut overrides = job.engine.overrides.clone();
    overrides.extend(variant.overrides.iter().cloned());
    let started = std::time::Instant::now();
    let server = RedisServer::start(&ServerOptions {
        binary: job.engine.binary.clone(),
        config_file: Some(scenario.server.config_file.clone()),
        overrides,
        ..ServerOptions::default()
    })?;
    let start = started.elapsed().as_secs_f64();
    let result = measure(job, &server.connect_options(), 0, &mut ());
    let result = result.map(|(mut measured, allocator)| {
        if let Some(p) = &mut measured.phases {
            p.start = start;
        }
        (measured, allocator)
    });
    let stopping = std::time::Instant::now();
    let running = server.is_running();
    let log = (!running).then(|| server.last_log_lines(10).join("\n"));
    drop(server);
    let teardown = stopping.elapsed().as_secs_f64();
    let result = result.map(|(mut measured, allocator)| {
        if let Some(p) = &mut measured.phases {
            p.teardown = teardown;
        }
        (measured, allocator)
    });
    result.map_err(|e| match &log {
        None => e,
        Some(lines) => e.context(format!("redis-server died; its last log lines:\n{lines}")),
    })
}

/// Measures one variant; `watch` runs between the loader's batches (a `--url` run watches
/// evictions there).
fn measure(
    job: &Job,
    connect: &ConnectOptions,
    db: i64,
    watch: &mut dyn loader::LoadWatch,
) -> anyhow::Result<(Measured, String)> {
    let Job {
        scenario,
        engine: _,
        variant,
        dataset,
        options,
        progress,
    } = *job;
    let mut conn = connect.connect().context("connecting to read INFO")?;
    // A server-wide setting, so only on servers redisadv owns; not with --hold-connection,
    // whose point is the held connection as Python leaves it (buffer shrunk by the timer).
    if matches!(options.target, Target::Private) && !options.hold_connection {
        probe::freeze_reply_buffers(&mut conn);
    }
    if variant.hash_ttl == crate::backend::HashTtl::FieldTtl {
        crate::backend::require_field_ttl(&mut conn, &variant.name, &connect.describe())?;
    }
    let config = backend_config(scenario, variant);
    let empty_started = std::time::Instant::now();
    // The plan's explanation is computed while the empty server settles. The empty figure
    // is read exactly as the loaded one, so the INFO connection's own buffers cancel out.
    let (explainer, empty) = Explainer::before_priming(
        &mut conn,
        dataset,
        variant.layout,
        &config,
        scenario.dataset.seed,
        &variant.name,
        |conn| {
            probe::settle(conn, db, SETTLE_LIMIT)?;
            probe::memory(conn)
        },
    )?;
    let empty_seconds = empty_started.elapsed().as_secs_f64();
    let mut stream = PipeStream::connect(connect).context("opening the loading connection")?;
    watch.opened(&stream);
    // Priming ends when Redis has answered the last command, as `redis-cli --pipe` counts it.
    let started = std::time::Instant::now();
    let mut sink = loader::Watched {
        sink: &mut stream,
        watch,
        stopped: None,
    };
    let outcome = loader::load(&mut sink, dataset, variant.layout, &config, progress)
        .map_err(|e| sink.stopped.take().unwrap_or(e))
        .with_context(|| format!("priming {}", variant.name))?;
    let summary = stream.finish().context("priming")?;
    watch.loaded()?;
    let prime_seconds = started.elapsed().as_secs_f64();
    summary.check().context("priming")?;
    let held = options.hold_connection.then_some(stream);
    let settled = probe::settle(&mut conn, db, SETTLE_LIMIT)?;
    let figures_started = std::time::Instant::now();
    let memory = probe::memory(&mut conn)?;
    let (keys, keys_with_ttl) = probe::keyspace(&mut conn, db)?;
    let (_, allocator) = probe::server_identity(&mut conn)?;
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
    let explain_started = std::time::Instant::now();
    let dataset_bytes = memory.used_memory.saturating_sub(empty.used_memory);
    // Last: it may remove the TTLs, so only on servers redisadv owns.
    let explain_options = ExplainOptions {
        measure_ttl: options.explain.measure_ttl && matches!(options.target, Target::Private),
    };
    let explain = explainer.after_figures(
        &mut conn,
        db,
        dataset,
        dataset_bytes,
        explain_options,
        SETTLE_LIMIT,
    );
    let phases = crate::report::Phases {
        empty: empty_seconds,
        figures: figures_seconds,
        explain: explain_started.elapsed().as_secs_f64(),
        ..Default::default()
    };
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
        },
        allocator,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_stay_out_of_reports() {
        assert_eq!(
            super::redact_password("redis://u:secret@h:1/0"),
            "redis://u:***@h:1/0"
        );
        assert_eq!(
            super::redact_password("redis://:secret@h:1/0"),
            "redis://:***@h:1/0"
        );
        assert_eq!(super::redact_password("redis://h:1/0"), "redis://h:1/0");
    }
}
