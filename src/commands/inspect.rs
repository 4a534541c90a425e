//! `redisadv inspect`: a live server (`--url`) or an RDB file (`--rdb`), by key pattern.

use crate::backend::ConnectOptions;
use crate::cli::{InspectArgs, SourceArgs};
use crate::inspect::{InspectOptions, Walk, conn::ReadConn, rdb};
use std::process::ExitCode;

/// What to read: the --url server (every master when it is a cluster node), or a private
/// server holding --rdb's data (kept alive by the returned guard).
pub struct Source {
    pub walk: Walk,
    pub target: String,
    pub connect: ConnectOptions,
    pub _server: Option<rdb::Loaded>,
}

/// Opens the source the flags name; `progress`: a streamed file's reading bar.
pub fn open(source: &SourceArgs, progress: bool) -> anyhow::Result<Source> {
    let db = source.server.db.unwrap_or(0);
    if let Some(path) = &source.rdb
        && !source.load
    {
        crate::inspect::rdb::check_regular(path)?;
        return Ok(Source {
            walk: Walk::Rdb(Box::new(crate::rdb_stream::StreamSource {
                path: path.clone(),
                engine: source.engine.clone(),
                db: db as u64,
                progress,
            })),
            target: path.display().to_string(),
            connect: ConnectOptions::new("redis://127.0.0.1:0/0"),
            _server: None,
        });
    }
    if let Some(path) = &source.rdb {
        let loaded = rdb::load(path, source.engine.as_deref())?;
        let mut connect = loaded.server.connect_options();
        connect.db = Some(db);
        let conn = ReadConn::connect(&connect, source.max_ops.unwrap_or(0))?;
        return Ok(Source {
            walk: Walk::Server { conn, db },
            target: format!("{} (loaded by {})", path.display(), loaded.engine),
            connect,
            _server: Some(loaded),
        });
    }
    let Some(server) = source.server.resolve()? else {
        anyhow::bail!(
            "give --url redis://HOST:PORT/DB (a live server; or set REDISADV_URL) or --rdb \
             dump.rdb"
        );
    };
    let (connect, db) = (server.connect, server.db);
    let max_ops = source.max_ops.unwrap_or(100_000);
    let conn = ReadConn::connect(&connect, max_ops)?;
    let masters = crate::inspect::discover::masters(&connect).map_err(|e| {
        e.context(
            "finding the cluster's masters (INFO cluster, CLUSTER NODES; a restricted ACL \
             user needs +info +cluster|nodes)",
        )
    })?;
    let walk = match masters {
        // A cluster node holds only its own slots: read every master instead.
        Some(masters) => {
            drop(conn);
            Walk::Cluster {
                connect: connect.clone(),
                masters,
                max_ops,
            }
        }
        None => Walk::Server { conn, db },
    };
    Ok(Source {
        walk,
        target: server.redacted,
        connect,
        _server: None,
    })
}

/// A key counter on stderr while the walk runs (the one progress rule: a terminal, no
/// --quiet).
fn progress(shown: bool) -> indicatif::ProgressBar {
    if !shown {
        return indicatif::ProgressBar::hidden();
    }
    let bar = crate::ui::add(indicatif::ProgressBar::new_spinner());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} inspect: {human_pos} keys read, {per_sec}, {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

pub fn run(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let out = args.output.resolve();
    let rdb = args
        .source
        .rdb
        .as_deref()
        .map(|p| (p, "the RDB file being read"));
    let outs = crate::commands::output::prepare(&out, rdb.as_slice())?;
    if args.source.rdb.is_some() && !args.source.streams_rdb() {
        // A signal stops the private server and removes its copy of the file.
        crate::cleanup::on_signals()?;
    }
    let shown = args.progress.bars();
    let mut source = open(&args.source, shown)?;
    let options = InspectOptions {
        pattern: args.pattern.clone(),
        // Streaming a file, --sample counts keys restored per pattern.
        sample: args.sample(),
        count: args.source.count,
        top: args.top,
        max_patterns: args.max_patterns as usize,
        largest: args.largest,
    };
    let bar = progress(shown && !args.source.streams_rdb());
    let report = source
        .walk
        .run(source.target.clone(), &options, &mut |_| bar.inc(1));
    bar.finish_and_clear();
    let mut report = report?;
    if args.source.rdb.is_some() {
        report.extras.loaded_copy = Some(crate::inspect::LOADED_COPY.to_string());
    }
    crate::commands::output::emit(&report, out.format, &outs)?;
    Ok(ExitCode::SUCCESS)
}
