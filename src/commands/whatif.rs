//! `redisadv whatif`: sample a pattern's records and measure them under each variant.

use crate::commands::inspect::{SourceArgs, open};
use crate::dataset::sample::Sample;
use crate::job::{RunOptions, Target};
use crate::report::OutputFormat;
use crate::scenario::Scenario;
use crate::whatif::RecodeFilter;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct WhatifArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The keys to sample, a SCAN glob such as 'user:*'. Repeat it for several families:
    /// each is measured on its own, then one recommendation for the server.
    #[arg(long = "match", value_name = "GLOB")]
    pub pattern: Vec<String>,
    /// Keys to read (whole SCAN pages).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub sample: u64,
    /// Save the sample (gzipped JSON lines) to rerun offline: `whatif --from-sample FILE`,
    /// or `[dataset] kind = "sample", file = "FILE"` in a scenario.
    #[arg(long, value_name = "FILE")]
    pub save_sample: Option<PathBuf>,
    /// Measure a saved sample instead of reading a server.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["url", "rdb", "save_sample"])]
    pub from_sample: Option<PathBuf>,
    /// The variants to run (a scenario file; its dataset is replaced by the sample).
    /// Default: the built-in all.toml grid.
    #[arg(long, value_name = "SCENARIO")]
    pub grid: Option<PathBuf>,
    /// Run only these variants: the grid's, and the library settings' (zlib, lz4, zstd,
    /// lzma, json, msgpack, json+zlib...; measured for data dogpile did not write).
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub only: Vec<String>,
    /// Variants run at once, each on its own private server.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub jobs: u64,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// Also write the report to FILE (repeatable; the extension picks the format: .json,
    /// .md, .csv, .svg, .html).
    #[arg(long, value_name = "FILE")]
    pub out: Vec<PathBuf>,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

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
    let guarded = args
        .from_sample
        .clone()
        .or_else(|| args.grid.clone())
        .unwrap_or_default();
    let outs = crate::commands::output::prepare_out_files(&args.out, args.format, &guarded)?;
    let mut grid = match &args.grid {
        Some(path) => Scenario::load(path)?,
        None => crate::whatif::default_grid(workdir.path())?,
    };
    let (recode_names, grid_names): (Vec<String>, Vec<String>) = args
        .only
        .iter()
        .cloned()
        .partition(|n| crate::whatif::library_rows::is_recode_name(n));
    if !grid_names.is_empty() {
        grid.select(&grid_names)?;
    } else if !recode_names.is_empty() {
        grid.variants.clear();
    }
    let recodes = if args.only.is_empty() {
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
        if single_only(args.format) || outs.iter().any(|o| single_only(o.format())) {
            anyhow::bail!(
                "--format csv, svg and html take one --match; with several, use table, \
                 markdown or json (also for --out)"
            );
        }
    }
    let options = RunOptions {
        target: Target::Private,
        progress: !args.quiet,
        verify: false,
        hold_connection: false,
        explain: Default::default(),
        jobs: args.jobs as usize,
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
                    source = Some(open(&args.source)?);
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
            eprintln!(
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
        let text = |format| crate::whatif::render::render_many(&reports, format);
        for out in &outs {
            out.write_text(&text(out.format())?)?;
        }
        crate::commands::output::print_stdout(&text(args.format)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let report = reports.pop().expect("one report");
    for out in &outs {
        out.write_text(&crate::whatif::render::render(&report, out.format())?)?;
    }
    crate::commands::output::print_stdout(&crate::whatif::render::render(&report, args.format)?)?;
    Ok(ExitCode::SUCCESS)
}
