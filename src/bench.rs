//! Runs a scenario: per variant a fresh private redis-server (or the `--url` server), the
//! empty figure, priming through the backend's plan, settling, the loaded figures and the
//! samples; then the report.

use crate::dataset::Dataset;
use crate::engine_set;
use crate::job::{Job, RunOptions, Target, backend_config};
use crate::report::{
    ClockInfo, EngineInfo, Measured, RedisInfo, Report, SCHEMA_VERSION, ScenarioInfo, VariantReport,
};
use crate::scenario::{ClockKind, FIXED_CT, Scenario, Variant};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;

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
        Target::Url { .. } if scenario.server.cluster.is_some() => anyhow::bail!(
            "--url measures the one server at the URL; a cluster ([server] cluster in {}, or \
             --cluster) starts private nodes. Leave out one or the other",
            scenario.path.display()
        ),
        Target::Url { .. } if named => anyhow::bail!(
            "--url measures the one server at the URL; engines ([[server.engine]] in {}, or \
             --engine) start private servers. Leave out one or the other",
            scenario.path.display()
        ),
        Target::Url {
            options: connect, ..
        } => {
            let identity = crate::url_target::identify(connect)?;
            engines[0].info.version = identity.version_text.clone();
            engines[0].info.allocator = identity.allocator.clone();
            engines[0].identity = Some(identity);
        }
    }
    // Refused before any variant runs on an engine without hash field expiration.
    for engine in &engines {
        crate::preflight::field_ttl(scenario, &options.target, engine)?;
    }
    let infos: Vec<EngineInfo> = engines.iter().map(|e| e.info.clone()).collect();
    if named && let Some(warning) = crate::report::engines::allocator_warning(&infos) {
        crate::ui::say!("{warning}");
    }
    let first = &engines[0].info;
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: format!("redisadv {}", env!("CARGO_PKG_VERSION")),
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
            file: scenario.path.display().to_string(),
            dataset: scenario.dataset.info()?,
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
                Target::Private => crate::cluster::target_name(scenario.server.cluster),
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
    let done = crate::report::partial::Finished::new(&report, jobs.len());
    let label = |engine: &engine_set::Engine, variant: &Variant| {
        if named {
            format!("{}/{}", engine.name, variant.name)
        } else {
            variant.name.clone()
        }
    };
    fn job<'a>(
        (scenario, options): (&'a Scenario, &'a RunOptions),
        (engine, variant): (&'a engine_set::Engine, &'a Variant),
        dataset: &'a Dataset,
        progress: &'a ProgressBar,
    ) -> Job<'a> {
        Job {
            scenario,
            engine,
            variant,
            dataset,
            options,
            progress,
        }
    }
    let run = (scenario, options);
    let hidden = ProgressBar::hidden();
    let teardowns = crate::measure::Teardowns::default();
    // With one job at a time the next variant primes while this one settles; with --jobs
    // the phases overlap anyway, and the next server is only prepared ahead.
    let ahead = if options.jobs == 1 && options.overlap {
        crate::schedule::Ahead::Run
    } else {
        crate::schedule::Ahead::Prepare
    };
    let outcomes = crate::schedule::run_pipelined(
        jobs.len(),
        options.jobs,
        ahead,
        |i| prepare_job(&job(run, jobs[i], datasets.of(jobs[i].1), &hidden)),
        |i, prepared, primed| {
            let (engine, variant) = jobs[i];
            let dataset = datasets.of(variant);
            let mut progress = progress_bar(
                options.progress,
                dataset.record_count(),
                &label(engine, variant),
            );
            // Two bars may be live at once (a variant settles while the next primes): the UI
            // channel draws them, and the lines printed meanwhile, together.
            if options.progress {
                progress = crate::ui::add(progress);
            }
            let outcome = finish_job(
                &job(run, jobs[i], dataset, &progress),
                prepared,
                primed,
                &teardowns,
            );
            progress.finish_and_clear();
            let row = row_of(named.then_some(engine), variant, &outcome);
            let allocator = outcome.as_ref().ok().map(|(_, a)| a.as_str());
            // A variant cut short by Ctrl-C (its server stopped under it, while the one
            // before settles) is not a failure: the --out files keep only what was measured.
            if outcome.is_ok() || !crate::cleanup::interrupted() {
                finished(&done.record(i, row.clone(), allocator), &row);
            }
            outcome
        },
        |outcome| matches!(outcome, Err(e) if crate::url_target::is_fatal(e)),
    );
    teardowns.join();
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
            Err(e) => crate::ui::say!(
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

/// A URL as reports may show it: the one redaction, [`crate::backend::redact`].
pub fn redact_password(url: &str) -> String {
    crate::backend::redact(url)
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

/// A job's first stage: a fresh private server measured empty; nothing for `--url`, whose
/// server is there already.
fn prepare_job(job: &Job) -> Option<anyhow::Result<crate::measure::Prepared>> {
    let single = job.scenario.server.cluster.is_none();
    (single && matches!(job.options.target, Target::Private)).then(|| crate::measure::prepare(job))
}

/// A job's second stage on its target: priming and the figures.
fn finish_job(
    job: &Job,
    prepared: Option<anyhow::Result<crate::measure::Prepared>>,
    primed: &dyn Fn(),
    teardowns: &crate::measure::Teardowns,
) -> anyhow::Result<(Measured, String)> {
    match (&job.options.target, prepared) {
        (
            Target::Url {
                options: connect,
                flush,
                keep,
                budget,
            },
            _,
        ) => crate::url_target::run_variant(
            &crate::url_target::UrlVariant {
                connect,
                flush: *flush,
                keep: *keep,
                last: job.scenario.variants.last().map(|v| v.name.as_str()),
                dataset: job.dataset,
                variant: job.variant,
                config: backend_config(job.scenario, job.variant),
                budget: *budget,
            },
            &mut |connect, db, watch| crate::measure::measure(job, connect, db, watch),
        ),
        (Target::Private, _) if let Some(nodes) = job.scenario.server.cluster => {
            crate::cluster::run_job(job, nodes)
        }
        (Target::Private, prepared) => {
            let prepared = prepared.unwrap_or_else(|| crate::measure::prepare(job))?;
            crate::measure::finish(job, prepared, primed, teardowns)
        }
    }
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
