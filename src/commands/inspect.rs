//! `redisadv inspect`: a live server (`--url`) or an RDB file (`--rdb`), by key pattern.

use crate::backend::ConnectOptions;
use crate::inspect::{InspectOptions, Walk, conn::ReadConn, rdb, render};
use crate::report::OutputFormat;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the keys come from, shared by `inspect` and `whatif`.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// The server: redis://[USER:PASSWORD@]HOST:PORT/DB or unix:///path. Only read.
    /// Default: $REDISADV_URL (which `ps` does not show, unlike the command line).
    #[arg(long, conflicts_with = "rdb")]
    pub url: Option<String>,
    /// With --url: the password, on the first line of FILE (else the URL's, else
    /// $REDISADV_PASSWORD).
    #[arg(long, value_name = "FILE", conflicts_with = "rdb")]
    pub password_file: Option<PathBuf>,
    /// An RDB file (dump.rdb): streamed with bounded memory; each pattern's sample is
    /// restored into a private redis-server and measured there.
    #[arg(long, value_name = "FILE")]
    pub rdb: Option<PathBuf>,
    /// With --rdb: load the whole file into a private redis-server instead of streaming it
    /// (needs as much memory as the data).
    #[arg(long, requires = "rdb")]
    pub load: bool,
    /// With --rdb: the engine that reads it (system, or a cached engine such as
    /// redis-8.6); default: chosen by the file's RDB version.
    #[arg(long, requires = "rdb", value_name = "NAME")]
    pub engine: Option<String>,
    /// The database to read (default 0, or the one --url names; a --url naming another
    /// database is refused).
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..=1_000_000))]
    pub db: Option<i64>,
    /// SCAN COUNT: keys asked for per page.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub count: u64,
    /// At most this many commands a second, so a production server is not hurt (0: no
    /// limit; default 100000 with --url, no limit on --rdb's private server).
    #[arg(long, value_name = "N")]
    pub max_ops: Option<u64>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Only keys matching this SCAN glob, e.g. 'user:*'.
    #[arg(long = "match", value_name = "GLOB")]
    pub pattern: Option<String>,
    /// Read this many keys (whole SCAN pages) and extrapolate, with a 95% interval
    /// (default: 100000). Streaming --rdb: keys restored and measured per pattern
    /// (default: 1000).
    #[arg(long, value_name = "N", conflicts_with = "all", value_parser = clap::value_parser!(u64).range(1..))]
    pub sample: Option<u64>,
    /// Read every key.
    #[arg(long)]
    pub all: bool,
    /// Patterns shown; the others are summed as "other".
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Patterns kept while scanning; keys of further patterns count as "other".
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_patterns: u64,
    /// The largest keys listed (by MEMORY USAGE; in a sample, of the keys read).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub largest: usize,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// Also write the report to FILE (repeatable); the extension picks the format (.json,
    /// .md, .csv, .svg, .html).
    #[arg(long, value_name = "FILE")]
    pub out: Vec<PathBuf>,
    /// No progress on stderr (it is shown only when stderr is a terminal anyway).
    #[arg(long, short)]
    pub quiet: bool,
}

/// What to read: the --url server (every master when it is a cluster node), or a private
/// server holding --rdb's data (kept alive by the returned guard).
pub struct Source {
    pub walk: Walk,
    pub target: String,
    pub connect: ConnectOptions,
    pub _server: Option<rdb::Loaded>,
}

pub fn open(source: &SourceArgs) -> anyhow::Result<Source> {
    if let Some(path) = &source.rdb
        && !source.load
    {
        crate::inspect::rdb::check_regular(path)?;
        let db = source.db.unwrap_or(0);
        if db < 0 {
            anyhow::bail!("--db {db}: give a database number, 0 or more");
        }
        return Ok(Source {
            walk: Walk::Rdb(crate::rdb_stream::StreamSource {
                path: path.clone(),
                engine: source.engine.clone(),
                db: db as u64,
                progress: true,
            }),
            target: path.display().to_string(),
            connect: ConnectOptions::new("redis://127.0.0.1:0/0"),
            _server: None,
        });
    }
    if let Some(path) = &source.rdb {
        let loaded = rdb::load(path, source.engine.as_deref())?;
        let mut connect = loaded.server.connect_options();
        let db = source.db.unwrap_or(0);
        connect.db = Some(db);
        let conn = ReadConn::connect(&connect, source.max_ops.unwrap_or(0))?;
        return Ok(Source {
            walk: Walk::Server { conn, db },
            target: format!("{} (loaded by {})", path.display(), loaded.engine),
            connect,
            _server: Some(loaded),
        });
    }
    let Some(url) = crate::commands::secret::url_or_env(source.url.as_deref()) else {
        anyhow::bail!(
            "give --url redis://HOST:PORT/DB (a live server; or set REDISADV_URL) or --rdb \
             dump.rdb"
        );
    };
    let url = url.as_str();
    let mut connect = ConnectOptions::new(url);
    connect.check("--url")?;
    crate::commands::secret::apply_password(&mut connect, source.password_file.as_deref())?;
    let url_db = connect.connection_info()?.redis_settings().db();
    let db = match source.db {
        Some(db) if db != url_db && url_names_db(url) => anyhow::bail!(
            "--db {db}: the --url names database {url_db}; give one of them (or the same \
             number in both)"
        ),
        Some(db) => {
            connect.db = Some(db);
            db
        }
        None => url_db,
    };
    let max_ops = source.max_ops.unwrap_or(100_000);
    let conn = ReadConn::connect(&connect, max_ops)?;
    let masters = crate::cluster::discover::masters(&connect).map_err(|e| {
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
        target: crate::backend::redact(url),
        connect,
        _server: None,
    })
}

/// The URL has a path naming a database (`redis://host:port/3`), or `?db=` for a socket.
fn url_names_db(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    if url.starts_with("unix:") {
        return rest.contains("db=");
    }
    rest.split_once('/')
        .is_some_and(|(_, path)| !path.trim_matches('/').is_empty())
}

/// A key counter on stderr while the walk runs: hidden when stderr is not a terminal or
/// with --quiet.
fn progress(quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
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
    let outs = crate::commands::output::prepare_out_files(
        &args.out,
        args.format,
        std::path::Path::new(""),
    )?;
    let streaming = args.source.rdb.is_some() && !args.source.load;
    if args.source.rdb.is_some() && !streaming {
        // A signal stops the private server and removes its copy of the file.
        crate::cleanup::on_signals()?;
    }
    let mut source = open(&args.source)?;
    let options = InspectOptions {
        pattern: args.pattern.clone(),
        // Streaming a file, --sample counts keys restored per pattern.
        sample: if args.all {
            None
        } else if streaming {
            Some(
                args.sample
                    .unwrap_or(crate::rdb_stream::DEFAULT_PER_PATTERN),
            )
        } else {
            Some(args.sample.unwrap_or(100_000))
        },
        count: args.source.count,
        top: args.top,
        max_patterns: args.max_patterns as usize,
        largest: args.largest,
    };
    let bar = progress(args.quiet);
    let report = source
        .walk
        .run(source.target.clone(), &options, &mut |_| bar.inc(1));
    bar.finish_and_clear();
    let mut report = report?;
    if args.source.rdb.is_some() {
        report.extras.loaded_copy = Some(crate::inspect::LOADED_COPY.to_string());
    }
    for out in &outs {
        out.write_text(&render::render(&report, out.format())?)?;
    }
    crate::commands::output::print_stdout(&render::render(&report, args.format)?)?;
    Ok(ExitCode::SUCCESS)
}
