//! `redisadv whatif`: sample a pattern's records and measure them under each variant.

use crate::cli::WhatifArgs;
use crate::commands::inspect::open;
use crate::dataset::sample::Sample;
use crate::job::{RunOptions, TargetChoice};
use crate::scenario::Scenario;
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
    if !args.variants.only.is_empty() {
        grid.select(&args.variants.only)?;
    }
    let sample = match &args.from_sample {
        Some(path) => Sample::load(path)?,
        None => {
            let Some(glob) = &args.pattern else {
                anyhow::bail!("--match GLOB: name the keys to sample, e.g. --match 'user:*'");
            };
            let mut source = open(&args.source, args.progress.bars())?;
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
        target: TargetChoice::Private,
        progress: args.progress.bars(),
        verify: false,
        hold_connection: false,
        explain: Default::default(),
        jobs: args.jobs,
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
    crate::commands::output::emit(&report, out.format, &outs)?;
    Ok(ExitCode::SUCCESS)
}
