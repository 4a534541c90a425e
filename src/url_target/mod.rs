//! A database the user named with `--url`: a server redisadv did not start and must leave as
//! it found it. Before writing: no cluster node, an empty (or `--flush`ed) database, and a
//! projection of the records that fits below maxmemory. While priming: the server's
//! evictions are watched. However the variant ends (error, signal, frozen server): exactly
//! what it wrote is removed, or the user is told what is left. Every wait has a deadline.

pub mod budget;
mod projection;
mod written;

pub use projection::{Projection, project};
pub use written::Outcome;

use crate::backend::{BackendConfig, ConnectOptions, PipeStream};
use crate::dataset::Dataset;
use crate::loader::LoadWatch;
use crate::probe;
use crate::report::Measured;
use crate::scenario::Variant;
use anyhow::Context;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use written::Written;

/// Limit for every read or write on a `--url` server: a frozen server fails the read in
/// hand within this, never hangs the run. A connection's handshake reads up to three
/// replies (CLIENT SETINFO twice, SELECT), each with this limit: 18 s plus the cleanup's
/// 10 s stays within the 30 s promised for a frozen server.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(6);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);
/// A cleanup's connections wait less: they are the last step of a run already failing.
const CLEANUP_SOCKET_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a cleanup may try, reconnecting, before it says what it left.
const CLEANUP_LIMIT: Duration = Duration::from_secs(10);
/// A server that has not answered PING for this long is taken as frozen (see [`watchdog`]).
const FROZEN_AFTER: Duration = Duration::from_secs(10);

/// An error after which a `--url` run stops: the server evicted keys, or records could not
/// be removed. Running the next variant would only do more harm or wait again.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Fatal(pub String);

/// Whether `e` must stop the whole run.
pub fn is_fatal(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<Fatal>())
}

/// The server evicted keys while redisadv primed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Evicted(String);

/// `connect` with the `--url` deadlines.
pub fn bounded(connect: &ConnectOptions) -> ConnectOptions {
    ConnectOptions {
        connect_timeout: CONNECT_TIMEOUT,
        socket_timeout: Some(SOCKET_TIMEOUT),
        ..connect.clone()
    }
}

/// Who the server is and what it can do, read once for the run; refuses a cluster node
/// before anything is written.
pub fn identify(connect: &ConnectOptions) -> anyhow::Result<crate::identity::Identity> {
    let connect = bounded(connect);
    let mut conn = connect
        .connect()
        .with_context(|| format!("--url: cannot reach Redis at {}", connect.describe()))?;
    let cluster = probe::info_section(&mut conn, "cluster")?;
    if cluster.get("cluster_enabled").map(String::as_str) == Some("1") {
        anyhow::bail!(
            "--url: {} is a Redis Cluster node (cluster_enabled:1); redisadv does not write \
             to a cluster it did not start, since one run's keys would spread over nodes it \
             does not see. Use a standalone server, or measure on a private cluster: leave \
             out --url and give --cluster N",
            connect.describe()
        );
    }
    refuse_read_only_replica(&mut conn, &connect.describe())?;
    crate::identity::Identity::read(&mut conn)
}

/// Refuses a read-only replica before anything is sent to it: every write would be refused
/// (READONLY), each one an error in the server's INFO errorstats.
fn refuse_read_only_replica(conn: &mut redis::Connection, server: &str) -> anyhow::Result<()> {
    let replication = probe::info_section(conn, "replication")?;
    if replication.get("role").map(String::as_str) != Some("slave") {
        return Ok(());
    }
    // INFO does not show replica-read-only; CONFIG GET does, when the user may call it.
    let read_only = ["replica-read-only", "slave-read-only"]
        .iter()
        .find_map(|name| {
            redis::cmd("CONFIG")
                .arg("GET")
                .arg(*name)
                .query::<Vec<String>>(conn)
                .ok()
                .and_then(|v| v.get(1).cloned())
        });
    let master = match (
        replication.get("master_host"),
        replication.get("master_port"),
    ) {
        (Some(h), Some(p)) => format!(" of {h}:{p}"),
        _ => String::new(),
    };
    match read_only.as_deref() {
        Some("no") => Ok(()),
        shown => anyhow::bail!(
            "--url: {server} is a replica{master} (INFO replication role:slave){}; it would \
             refuse every write (READONLY), and what a writable replica stores is replaced at \
             its next sync. Give the URL of a master or a standalone server",
            match shown {
                Some(v) => format!(" with replica-read-only {v}"),
                None => " (replica-read-only unknown: CONFIG GET is not allowed, so taken as \
                         yes)"
                    .to_string(),
            }
        ),
    }
}

/// Whether the server is reached over a unix socket or a loopback address: only then can
/// its INFO process_id be a process of this machine.
fn is_loopback(connect: &ConnectOptions) -> bool {
    match connect.connection_info().map(|i| i.addr().clone()) {
        Ok(redis::ConnectionAddr::Unix(_)) => true,
        Ok(redis::ConnectionAddr::Tcp(host, _)) => {
            host == "localhost"
                || host
                    .trim_matches(|c| c == '[' || c == ']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        _ => false,
    }
}

/// One variant on the `--url` server.
pub struct UrlVariant<'a> {
    pub connect: &'a ConnectOptions,
    pub flush: bool,
    pub keep: bool,
    /// The last variant of the run: the one `--keep` keeps.
    pub last: Option<&'a str>,
    pub dataset: &'a Dataset,
    pub variant: &'a Variant,
    pub config: BackendConfig,
    /// `--budget`: the most the variant's records may take (see [`budget`]).
    pub budget: Option<u64>,
}

/// What measuring a variant needs from the target: where to connect, the database, and the
/// watch to run between the loader's batches.
pub type Measure<'m> =
    dyn FnMut(&ConnectOptions, i64, &mut dyn LoadWatch) -> anyhow::Result<(Measured, String)> + 'm;

/// Checks, measures and cleans up one variant. Errors marked [`Fatal`] stop the run.
pub fn run_variant(v: &UrlVariant, measure: &mut Measure) -> anyhow::Result<(Measured, String)> {
    let connect = bounded(v.connect);
    let db = connect.connection_info()?.redis_settings().db();
    let mut conn = connect.connect().map_err(|e| {
        Fatal(format!(
            "--url: cannot reach {}: {e}; nothing was written",
            connect.describe()
        ))
    })?;
    let name = &v.variant.name;
    let size: u64 = redis::cmd("DBSIZE").query(&mut conn)?;
    if size > 0 && !v.flush {
        anyhow::bail!(
            "--url: database {db} of {} holds {size} keys; redisadv does not write into a \
             database it did not empty. Use an empty database, or add --flush to delete those \
             {size} keys first",
            connect.describe()
        );
    }
    // Before any FLUSHDB, so a refused run deletes nothing (the keys to flush still count).
    let limits = projection::listpack_limits(&mut conn);
    let projected = project(v.dataset, v.variant.layout, &v.config, limits)?;
    let what = format!(
        "variant {name} into database {db} of {}",
        connect.describe()
    );
    projection::check(
        &mut conn,
        &projected,
        &what,
        v.budget,
        is_loopback(&connect),
    )?;
    if size > 0 {
        crate::ui::say!(
            "--flush: FLUSHDB on database {db} of {}: deleting {size} keys",
            connect.describe()
        );
        redis::cmd("FLUSHDB").query::<()>(&mut conn)?;
    }
    crate::ui::say!(
        "warning: --url: INFO memory covers the whole server at {}, not only database {db}",
        connect.describe()
    );
    let mut cleanup = connect.clone();
    cleanup.socket_timeout = Some(CLEANUP_SOCKET_TIMEOUT);
    let written = Written::new(
        cleanup,
        db,
        v.dataset.clone(),
        v.variant.layout,
        name.clone(),
    );
    let registration = crate::cleanup::register({
        let written = written.clone();
        move || on_signal(&written)
    });
    let _watchdog = watchdog(&connect, &written);
    let before = probe::evicted_keys(&mut conn)?;
    let mut watch = EvictionWatch {
        conn,
        before,
        written: written.clone(),
        what: what.clone(),
    };
    let mut result = measure(&connect, db, &mut watch).and_then(|m| {
        watch.check()?;
        Ok(m)
    });
    let keep_this = v.keep && v.last == Some(name.as_str());
    if keep_this && result.is_ok() {
        drop(registration);
        crate::ui::say!(
            "--keep: left the records of variant {name} in database {db} of {} ({} keys)",
            connect.describe(),
            projected.keys
        );
        return result;
    }
    if v.keep && result.is_ok() {
        crate::ui::say!(
            "--keep: removing variant {name}'s records before the next variant; --keep keeps \
             only the last variant's ({})",
            v.last.unwrap_or_default()
        );
    }
    let outcome = written::lock(&written).remove(CLEANUP_LIMIT);
    drop(registration);
    let evicted = result
        .as_ref()
        .err()
        .and_then(|e| e.chain().find_map(|c| c.downcast_ref::<Evicted>()))
        .map(|e| e.0.clone());
    result = match (result, outcome, evicted) {
        (_, Outcome::Removed { keys }, Some(evicted)) => Err(Fatal(format!(
            "{evicted}; stopped priming and removed the {keys} keys redisadv had written"
        ))
        .into()),
        (result, Outcome::Removed { .. }, None) => result,
        (Ok(_), Outcome::Left(left), _) => Err(Fatal(left).into()),
        (Err(e), Outcome::Left(left), _) => Err(Fatal(format!("{e:#}; then {left}")).into()),
    };
    result
}

/// Stops its watchdog thread when dropped.
struct Watchdog(Arc<AtomicBool>);

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// PINGs the server every second on a connection of its own (opened before the empty
/// figure, so both figures include it, its buffers kept steady by the pings). When the
/// server has not answered for [`FROZEN_AFTER`], it removes the variant's records (or says
/// what is left) and ends the process with exit code 2: wherever the main thread waits (a
/// pipeline waits one read timeout per reply), a frozen server ends the run within 30 s.
fn watchdog(connect: &ConnectOptions, written: &written::Shared) -> Watchdog {
    let stop = Arc::new(AtomicBool::new(false));
    let mut options = connect.clone();
    options.connect_timeout = Duration::from_millis(1500);
    options.socket_timeout = Some(Duration::from_millis(1500));
    let mut conn = options.connect().ok();
    let (flag, written) = (stop.clone(), written.clone());
    std::thread::spawn(move || {
        let mut answered = Instant::now();
        loop {
            std::thread::sleep(Duration::from_secs(1));
            if flag.load(Ordering::Relaxed) {
                return;
            }
            if conn.is_none() {
                conn = options.connect().ok();
            }
            let pong = conn
                .as_mut()
                .is_some_and(|c| redis::cmd("PING").query::<String>(c).is_ok());
            if pong {
                answered = Instant::now();
            } else {
                conn = None;
            }
            if answered.elapsed() > FROZEN_AFTER && !flag.load(Ordering::Relaxed) {
                let mut w = written::lock(&written);
                let what = match w.remove(CLEANUP_LIMIT) {
                    Outcome::Removed { keys } => format!("removed the {keys} keys it had written"),
                    Outcome::Left(left) => left,
                };
                let message = format!(
                    "error: --url: the server at {} has not answered for {FROZEN_AFTER:?}; \
                     redisadv stopped the run: {what}\n",
                    options.describe()
                );
                let _ = std::io::Write::write_all(&mut std::io::stderr(), message.as_bytes());
                std::process::exit(2);
            }
        }
    });
    Watchdog(stop)
}

/// The signal thread's cleanup: cut the loader, remove the records, say what happened.
fn on_signal(written: &written::Shared) {
    let mut w = written::lock(written);
    let place = w.place();
    let message = match w.remove(CLEANUP_LIMIT) {
        Outcome::Removed { keys } => {
            format!("interrupted: removed the {keys} keys redisadv had written to {place}\n")
        }
        Outcome::Left(left) => format!("interrupted: {left}\n"),
    };
    // stderr may be a closed terminal (SIGHUP): never panic on it.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), message.as_bytes());
}

/// Watches the server's evicted_keys between the loader's batches; hands the loading
/// connection to the cleanup while it may carry commands.
struct EvictionWatch {
    conn: redis::Connection,
    before: u64,
    written: written::Shared,
    what: String,
}

impl EvictionWatch {
    fn check(&mut self) -> anyhow::Result<()> {
        let now = probe::evicted_keys(&mut self.conn).context("watching evictions")?;
        if now > self.before {
            return Err(Evicted(format!(
                "--url: the server evicted {} keys while redisadv wrote {} (INFO stats \
                 evicted_keys went from {} to {now}); some may be other applications' keys. \
                 Give the server more maxmemory, or use a private server (leave out --url)",
                now - self.before,
                self.what,
                self.before
            ))
            .into());
        }
        Ok(())
    }
}

impl LoadWatch for EvictionWatch {
    fn opened(&mut self, stream: &PipeStream) {
        written::lock(&self.written).killer = stream.killer().ok();
    }

    fn between_batches(&mut self) -> anyhow::Result<()> {
        self.check()
    }

    fn loaded(&mut self) -> anyhow::Result<()> {
        // Every reply is in: nothing is queued any more, and the measurement must not see a
        // second handle holding the loading connection open.
        written::lock(&self.written).killer = None;
        self.check()
    }
}
