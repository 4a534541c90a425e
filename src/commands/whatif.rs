//! `redisadv whatif`: sample a pattern's records and measure them under each variant.

use crate::commands::inspect::{SourceArgs, open};
use crate::dataset::sample::Sample;
use crate::job::{RunOptions, Target};
use crate::report::OutputFormat;
use crate::scenario::Scenario;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct WhatifArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The keys to sample, a SCAN glob such as 'user:*'.
    #[arg(long = "match", value_name = "GLOB")]
    pub pattern: Option<String>,
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
    /// Run only these variants of the grid.
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
    if !args.only.is_empty() {
        grid.select(&args.only)?;
    }
    let sample = match &args.from_sample {
        Some(path) => Sample::load(path)?,
        None => {
            let Some(glob) = &args.pattern else {
                anyhow::bail!("--match GLOB: name the keys to sample, e.g. --match 'user:*'");
            };
            let mut source = open(&args.source)?;
            let target = source.target.clone();
            crate::whatif::sample(
                &mut source.walk,
                target,
                glob,
                args.sample,
                args.source.count,
            )?
        }
    };
    if let Some(path) = &args.save_sample {
        sample.save(path)?;
        eprintln!(
            "saved {} records to {}",
            sample.records.len(),
            path.display()
        );
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
    let mut report = crate::whatif::run(Arc::new(sample), grid, &options)?;
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
    crate::commands::output::emit(&report, args.format, &outs)?;
    Ok(ExitCode::SUCCESS)
}
