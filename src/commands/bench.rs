//! `redisadv bench`, `report` and `compare`.

use crate::backend::ConnectOptions;
use crate::bench::{self, RunOptions, Target};
use crate::cli::{BenchArgs, CommandsArgs, CompareArgs, ReportArgs};
use crate::report::{self, OutputFormat, Report, compare};
use crate::scenario::{self, Scenario};
use anyhow::Context;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

pub fn bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let mut scenario = Scenario::load(&args.scenario)?;
    if !args.only.is_empty() {
        scenario.select(&args.only)?;
    }
    if let Some(scale) = args.scale {
        scenario::check_scale(scale).map_err(|m| anyhow::anyhow!("--scale: {m}"))?;
        scenario.dataset.scale = scale;
    }
    // Read the baseline before spending minutes on the run.
    let baseline = match &args.baseline {
        Some(path) => Some(report::load(path)?),
        None => None,
    };
    let target = match &args.url {
        Some(url) => Target::Url {
            options: ConnectOptions::new(url.clone()),
            flush: args.flush,
            keep: args.keep,
        },
        None => Target::Private,
    };
    let options = RunOptions {
        target,
        progress: !args.quiet && std::io::stdout().is_terminal(),
        verify: args.verify || scenario.verify,
        hold_connection: args.hold_connection,
    };
    crate::cleanup::on_signals()?;
    let report = bench::run(&scenario, &options)?;
    print!("{}", report::exporter(args.format).render(&report)?);
    for path in &args.out {
        write_report(&report, path, args.format)?;
    }
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
        let outcome = compare::compare(&base, &report, args.metric, args.max_regression)?;
        eprint!("{}", outcome.render());
        if outcome.regressed() && code == ExitCode::SUCCESS {
            code = ExitCode::from(1);
        }
    }
    Ok(code)
}

fn write_report(report: &Report, path: &Path, fallback: OutputFormat) -> anyhow::Result<()> {
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => OutputFormat::Json,
        Some("md") | Some("markdown") => OutputFormat::Markdown,
        Some("csv") => OutputFormat::Csv,
        _ => fallback,
    };
    let text = report::exporter(format).render(report)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("--out: creating {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("--out: writing {}", path.display()))
}

pub fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let report = report::load(&args.report)?;
    print!("{}", report::exporter(args.format).render(&report)?);
    Ok(ExitCode::SUCCESS)
}

pub fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let base = report::load(&args.base)?;
    let new = report::load(&args.new)?;
    let outcome = compare::compare(&base, &new, args.metric, args.max_regression)?;
    print!("{}", outcome.render());
    Ok(if outcome.regressed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn commands(args: CommandsArgs) -> anyhow::Result<ExitCode> {
    let mut scenario = Scenario::load(&args.scenario)?;
    scenario.select(std::slice::from_ref(&args.variant))?;
    if let Some(scale) = args.scale {
        scenario::check_scale(scale).map_err(|m| anyhow::anyhow!("--scale: {m}"))?;
        scenario.dataset.scale = scale;
    }
    let variant = &scenario.variants[0];
    let dataset = scenario.dataset.build()?;
    let config = bench::backend_config(&scenario, variant);
    let stdout = std::io::stdout();
    let mut sink = crate::loader::DumpSink::new(std::io::BufWriter::new(stdout.lock()));
    crate::loader::load(
        &mut sink,
        &dataset,
        variant.layout,
        &config,
        &indicatif::ProgressBar::hidden(),
    )?;
    Ok(ExitCode::SUCCESS)
}
