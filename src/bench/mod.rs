//! Runs a scenario: one job per engine and variant, each measured by the protocol on the
//! run's target (a private server, a private cluster, or the `--url` database), scheduled
//! one at a time or `--jobs N` at once; then the report.

use crate::engine_set;
use crate::job::{Job, RunOptions, TargetChoice};
use crate::protocol::Target;
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

/// The run's target, as the command line chose it: the one place the kinds are told apart.
pub fn target_of(choice: &TargetChoice, scenario: &Scenario) -> Box<dyn Target> {
    match (choice, scenario.server.cluster) {
        (TargetChoice::Private, None) => Box::new(crate::protocol::private::Private::default()),
        (TargetChoice::Private, Some(nodes)) => Box::new(crate::cluster::ClusterTarget { nodes }),
        (
            TargetChoice::Url {
                options,
                flush,
                keep,
                budget,
            },
            _,
        ) => Box::new(crate::url_target::UrlTarget {
            connect: options.clone(),
            flush: *flush,
            keep: *keep,
            budget: *budget,
        }),
    }
}

/// [`run`], calling `finished` after each job with the report of the jobs finished so far
/// (in job order): progress, and --out files that keep what a stopped run measured.
pub fn run_reporting(
    scenario: &Scenario,
    options: &RunOptions,
    finished: &(dyn Fn(&Report, &VariantReport) + Sync),
) -> anyhow::Result<Report> {
    let target = target_of(&options.target, scenario);
    run_on(&*target, scenario, options, finished)
}

/// [`run_reporting`] on a given target.
pub fn run_on(
    target: &dyn Target,
    scenario: &Scenario,
    options: &RunOptions,
    finished: &(dyn Fn(&Report, &VariantReport) + Sync),
) -> anyhow::Result<Report> {
    let datasets = crate::scenario::sweep::Datasets::build(scenario)?;
    let named = !scenario.server.engines.is_empty();
    let mut engines = engine_set::resolve(scenario)?;
    target.identify(scenario, &mut engines, named)?;
    // Refused before any variant runs on an engine without hash field expiration.
    for engine in &engines {
        crate::preflight::field_ttl(scenario, &target.place(engine), engine)?;
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
            target: target.name(),
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
    target.check_jobs(options.jobs)?;
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
    let job = |i: usize| {
        let (engine, variant) = jobs[i];
        Job {
            scenario,
            engine,
            variant,
            dataset: datasets.of(variant),
            options,
        }
    };
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
        // A job's first stage, when the target prepares ahead: its servers started and
        // measured empty.
        |i| {
            target
                .prepares_ahead()
                .then(|| crate::protocol::prepare(target, job(i)))
        },
        |i, prepared, primed| {
            let (engine, variant) = jobs[i];
            let mut progress = progress_bar(
                options.progress,
                job(i).dataset.record_count(),
                &label(engine, variant),
            );
            // Two bars may be live at once (a variant settles while the next primes): the UI
            // channel draws them, and the lines printed meanwhile, together.
            if options.progress {
                progress = crate::ui::add(progress);
            }
            let outcome = prepared
                .unwrap_or_else(|| crate::protocol::prepare(target, job(i)))
                .and_then(|prepared| crate::protocol::finish(prepared, job(i), &progress, primed));
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
        |outcome| matches!(outcome, Err(e) if target.is_fatal(e)),
    );
    target.join();
    for ((engine, variant), outcome) in jobs.into_iter().zip(outcomes) {
        // A job never started: an earlier one hit a fatal --url error, returned below.
        let Some(outcome) = outcome else { continue };
        if let Err(e) = &outcome
            && target.is_fatal(e)
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

#[cfg(test)]
mod orchestration;

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
