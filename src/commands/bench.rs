//! `redisadv bench`, `report` and `compare`.

use super::output;
use crate::backend::ConnectOptions;
use crate::bench;
use crate::cli::{BenchArgs, CommandsArgs, CompareArgs};
use crate::job::{RunOptions, TargetChoice};
use crate::report::{self, compare};
use crate::scenario::{self, Scenario};
use crate::ui::say;
use std::process::ExitCode;

pub fn bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    // A built-in scenario runs from a private copy that lives as long as the run.
    let (scenario_path, mut scenario, _builtin_dir) = match &args.builtin {
        Some(name) => {
            let builtin =
                crate::builtin::find(name).map_err(|e| anyhow::anyhow!("--builtin: {e}"))?;
            let dir = tempfile::Builder::new()
                .prefix("redisadv-builtin-")
                .tempdir()?;
            let path = builtin.write_to(dir.path())?;
            let mut scenario =
                Scenario::load_limited(&path, args.max_runs.unwrap_or(scenario::MAX_RUNS))?;
            scenario.path = format!("scenarios/{name}.toml (built in)").into();
            (path, scenario, Some(dir))
        }
        None => {
            let path = args
                .scenario
                .clone()
                .expect("clap requires SCENARIO or --builtin");
            let scenario =
                Scenario::load_limited(&path, args.max_runs.unwrap_or(scenario::MAX_RUNS))?;
            (path, scenario, None)
        }
    };
    if !args.variants.only.is_empty() {
        scenario.select(&args.variants.only)?;
    }
    let target_args = &args.target;
    if !target_args.engine.is_empty() {
        let engines = target_args
            .engine
            .iter()
            .map(|e| scenario::EngineChoice::from_flag(e))
            .collect::<anyhow::Result<Vec<_>>>()?;
        scenario.set_engines(engines)?;
    }
    if let Some(nodes) = target_args.cluster {
        scenario.server.cluster = Some(nodes);
    }
    if let Some(scale) = args.scale {
        scenario::check_scale(scale).map_err(|m| anyhow::anyhow!("--scale: {m}"))?;
        scenario.set_scale(scale);
    }
    // Everything that can be wrong with --out and --baseline fails now, not after the run.
    let out = args.output.resolve();
    let out_files = output::prepare(
        &out,
        &[(scenario_path.as_path(), "the scenario file being run")],
    )?;
    let gate = &args.baseline;
    let baseline = match &gate.baseline {
        Some(path) => {
            let base = report::load(path)?;
            check_baseline(&base, path, &scenario)?;
            Some(base)
        }
        None => None,
    };
    if let Some(url) = &target_args.url {
        ConnectOptions::new(url.clone()).check("--url")?;
    }
    let target = match &target_args.url {
        Some(url) => TargetChoice::Url {
            options: {
                let mut options = ConnectOptions::new(url.clone());
                crate::cli::secret::apply_password(
                    &mut options,
                    target_args.password_file.as_deref(),
                )?;
                options
            },
            flush: target_args.flush,
            keep: target_args.keep,
            budget: target_args.budget,
        },
        None => TargetChoice::Private,
    };
    let options = RunOptions {
        target,
        progress: args.progress.bars(),
        verify: args.run.verify || scenario.verify,
        hold_connection: args.run.hold_connection,
        explain: crate::explain::ExplainOptions {
            measure_ttl: args.run.measure_ttl,
            quiet_warnings: false,
        },
        jobs: args.run.jobs,
        overlap: !args.run.no_overlap,
        read: crate::read::for_target(
            args.read.overrides().resolve(scenario.read)?,
            scenario.server.cluster,
        )?,
    };
    crate::cleanup::on_signals()?;
    let started = std::time::Instant::now();
    // Each finished run: a progress line, and the --out files rewritten, so a stopped
    // sweep keeps what it measured.
    let total = scenario.variants.len() * scenario.server.engines.len().max(1);
    let finished = |so_far: &report::Report, run: &report::VariantReport| {
        if args.progress.lines() {
            say!(
                "{}",
                output::progress_line(run, so_far.variants.len(), total)
            );
        }
        for file in &out_files {
            if let Err(e) = file.write(so_far) {
                say!("warning: {e:#}");
            }
        }
    };
    let report = bench::run_reporting(&scenario, &options, &finished)?;
    if args.timings {
        eprint!(
            "{}",
            report::timings::render(&report, started.elapsed().as_secs_f64(), options.overlap)
        );
    }
    // The files first: a closed stdout must never cost an --out file.
    output::emit(&report, out.format, &out_files)?;
    let mut code = ExitCode::SUCCESS;
    let failed: Vec<&str> = report.failed().map(|v| v.name.as_str()).collect();
    if !failed.is_empty() {
        eprintln!(
            "error: {} variant(s) failed: {}",
            failed.len(),
            failed.join(", ")
        );
        code = ExitCode::from(2);
    }
    for v in &report.variants {
        if let Some(verify) = v.result.as_ref().and_then(|r| r.verify.as_ref())
            && verify.mismatches > 0
        {
            eprintln!(
                "error: variant {}: {} of {} records read back differently: {}",
                v.name,
                verify.mismatches,
                verify.records,
                verify.examples.join("; ")
            );
            code = ExitCode::from(2);
        }
    }
    if let Some(base) = baseline {
        let outcome = compare::compare(&base, &report, gate.metric.into(), gate.max_regression)?;
        eprint!(
            "{}",
            outcome.render(compare::CompareFormat::Table, gate.allow_missing)
        );
        if outcome.verdict(gate.allow_missing) != compare::Verdict::Pass
            && code == ExitCode::SUCCESS
        {
            code = ExitCode::from(1);
        }
    }
    Ok(code)
}

/// A baseline this run could never be compared with: another dataset (by fingerprint, or
/// by kind/scale/seed/records for a version-1 report), or no variant in common.
fn check_baseline(
    base: &report::Report,
    path: &std::path::Path,
    scenario: &Scenario,
) -> anyhow::Result<()> {
    let at = |e: anyhow::Error| anyhow::anyhow!("--baseline {}: {e:#}", path.display());
    compare::check_measured(base, &format!("--baseline {}", path.display()))?;
    // A version-1 baseline's note is printed with the comparison after the run.
    compare::check_datasets(&base.scenario.dataset, &scenario.dataset.info()?).map_err(at)?;
    if !scenario
        .variants
        .iter()
        .any(|v| base.variants.iter().any(|b| b.name == v.name))
    {
        anyhow::bail!(
            "--baseline {}: no variant in common with this run (baseline: {}; run: {})",
            path.display(),
            base.variants
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            scenario::names_of(&scenario.variants)
        );
    }
    Ok(())
}

pub fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let outs = compare_out_files(&args)?;
    let base = report::load(&args.base)?;
    compare::check_measured(&base, &format!("BASE {}", args.base.display()))?;
    let new = report::load(&args.new)?;
    let outcome = compare::compare(&base, &new, args.metric.into(), args.max_regression)?;
    // The verdict is the exit code even when stdout was closed early.
    output::emit(
        &outcome.outcome(args.allow_missing),
        args.output.format.into(),
        &outs,
    )?;
    Ok(match outcome.verdict(args.allow_missing) {
        compare::Verdict::Pass => ExitCode::SUCCESS,
        compare::Verdict::Regression | compare::Verdict::Missing => ExitCode::from(1),
    })
}

/// `compare --out`: checked before anything is read; a comparison has no chart, so an
/// `.svg` is refused.
fn compare_out_files(args: &CompareArgs) -> anyhow::Result<Vec<super::output::OutFile>> {
    let inputs = [
        (args.base.as_path(), "the base report"),
        (args.new.as_path(), "the new report"),
    ];
    let files = super::output::prepare(&args.output.resolve(), &inputs)?;
    if let Some(file) = files
        .iter()
        .find(|f| f.format() == crate::report::OutputFormat::Svg)
    {
        anyhow::bail!(
            "--out {}: a comparison has no chart; name a .md, .html, .csv or .json file",
            file.path().display()
        );
    }
    Ok(files)
}

pub fn commands(args: CommandsArgs) -> anyhow::Result<ExitCode> {
    let mut scenario = Scenario::load(&args.scenario)?;
    if !scenario.variants.iter().any(|v| v.name == args.variant) {
        anyhow::bail!(
            "--variant: no variant named {:?} in {} (variants: {})",
            args.variant,
            args.scenario.display(),
            scenario::names_of(&scenario.variants)
        );
    }
    scenario.select(std::slice::from_ref(&args.variant))?;
    if let Some(scale) = args.scale {
        scenario::check_scale(scale).map_err(|m| anyhow::anyhow!("--scale: {m}"))?;
        scenario.set_scale(scale);
    }
    let variant = &scenario.variants[0];
    let dataset = scenario.dataset_of(variant).build()?;
    let config = crate::job::backend_config(&scenario, variant);
    let stdout = std::io::stdout();
    let mut sink = crate::loader::DumpSink::new(std::io::BufWriter::new(stdout.lock()));
    crate::loader::load(
        &mut sink,
        &dataset,
        variant.layout,
        &config,
        &indicatif::ProgressBar::hidden(),
        &mut |_| {},
    )?;
    Ok(ExitCode::SUCCESS)
}
