//! `redisadv whatif`: sample a pattern's records and measure them under each variant.

use crate::cli::WhatifArgs;
use crate::commands::inspect::open;
use crate::dataset::sample::Sample;
use crate::job::{RunOptions, TargetChoice};
use crate::report::OutputFormat;
use crate::scenario::Scenario;
use crate::whatif::RecodeFilter;
use crate::whatif::render::Families;
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(args: WhatifArgs) -> anyhow::Result<ExitCode> {
    // The variants run on private servers: a signal stops them and removes their directories.
    crate::cleanup::on_signals()?;
    let workdir = tempfile::Builder::new()
        .prefix("redisadv-whatif-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()?;
    // Owned as the servers' directories are: a later run sweeps it if this one is killed.
    let _owner = crate::server::stale::mark_owner(workdir.path())?;
    // The built-in grid's files: removed on a signal too.
    let path = workdir.path().to_path_buf();
    let _remove = crate::cleanup::register(move || {
        let _ = std::fs::remove_dir_all(&path);
    });
    // Checked before minutes are spent sampling and measuring.
    let out = args.output.resolve();
    let mut inputs = Vec::new();
    if let Some(path) = &args.from_sample {
        inputs.push((path.as_path(), "the sample being measured"));
    }
    if let Some(path) = &args.grid {
        inputs.push((path.as_path(), "the grid scenario"));
    }
    if let Some(path) = &args.source.rdb {
        inputs.push((path.as_path(), "the RDB file being read"));
    }
    let outs = crate::commands::output::prepare(&out, &inputs)?;
    let mut grid = match &args.grid {
        Some(path) => Scenario::load(path)?,
        None => crate::whatif::default_grid(workdir.path())?,
    };
    let (recode_names, grid_names): (Vec<String>, Vec<String>) = args
        .variants
        .only
        .iter()
        .cloned()
        .partition(|n| crate::whatif::library_rows::is_recode_name(n));
    if !grid_names.is_empty() {
        grid.select(&grid_names)?;
    } else if !recode_names.is_empty() {
        grid.variants.clear();
    }
    let recodes = if args.variants.only.is_empty() {
        RecodeFilter::All
    } else {
        RecodeFilter::Only(recode_names)
    };
    let several = args.pattern.len() > 1;
    if several {
        if args.save_sample.is_some() {
            anyhow::bail!("--save-sample: takes one --match (it saves one family's sample)");
        }
        let single_only = |f: OutputFormat| {
            matches!(
                f,
                OutputFormat::Csv | OutputFormat::Svg | OutputFormat::Html
            )
        };
        if single_only(out.format) || outs.iter().any(|o| single_only(o.format())) {
            anyhow::bail!(
                "--format csv, svg and html take one --match; with several, use table, \
                 markdown or json (also for --out)"
            );
        }
    }
    let options = RunOptions {
        target: TargetChoice::Private,
        progress: args.progress.bars(),
        verify: false,
        hold_connection: false,
        explain: Default::default(),
        jobs: args.jobs,
        overlap: true,
        read: None,
    };
    let mut reports = Vec::new();
    let samples: Vec<Option<&String>> = if args.from_sample.is_some() {
        vec![None]
    } else if args.pattern.is_empty() {
        anyhow::bail!("--match GLOB: name the keys to sample, e.g. --match 'user:*'");
    } else {
        args.pattern.iter().map(Some).collect()
    };
    let mut source = None;
    for glob in samples {
        let sample = match (&args.from_sample, glob) {
            (Some(path), _) => Sample::load(path)?,
            (None, Some(glob)) => {
                if source.is_none() {
                    source = Some(open(&args.source, args.progress.bars())?);
                }
                let source = source.as_mut().expect("opened above");
                let target = source.target.clone();
                crate::whatif::sample(
                    &mut source.walk,
                    target,
                    glob,
                    args.sample,
                    args.source.count,
                )?
            }
            (None, None) => unreachable!("a glob per sample when not --from-sample"),
        };
        if let Some(path) = &args.save_sample {
            sample.save(path)?;
            crate::ui::say!(
                "saved {} records to {}",
                sample.records.len(),
                path.display()
            );
        }
        let mut report = crate::whatif::run(Arc::new(sample), grid.clone(), &options, &recodes)?;
        if args.source.rdb.is_some() && args.from_sample.is_none() {
            // What a loaded copy does not tell about the live server.
            report.warnings.insert(
                0,
                "--rdb: a loaded copy, not the live server: Redis rebuilds streams and hashes on \
                 load (encodings follow this server's default listpack limits, allocations are \
                 fresh, without the live server's fragmentation), so inspect's figures can differ \
                 from the live server's; whatif's rows are measured on private servers either way"
                    .into(),
            );
        }
        reports.push(report);
    }
    if several {
        crate::commands::output::emit(&Families::new(reports), out.format, &outs)?;
    } else {
        let report = reports.pop().expect("one report");
        crate::commands::output::emit(&report, out.format, &outs)?;
    }
    Ok(ExitCode::SUCCESS)
}
