//! The `--url` database as the protocol's target: the steps of one server it does not
//! own, with hooks around them (the checks before writing, the eviction watch, the
//! cleanups, and the removal of exactly what was written at the end).

use super::written::{self, Outcome, Written};
use super::{
    CLEANUP_LIMIT, CLEANUP_SOCKET_TIMEOUT, Evicted, EvictionWatch, Fatal, Watchdog, bounded,
    identify, is_fatal, is_loopback, on_signal, project, projection, watchdog,
};
use crate::backend::{ConnectOptions, PipeStream};
use crate::engine_set::Engine;
use crate::job::Job;
use crate::loader::LoadWatch;
use crate::probe;
use crate::protocol::one::{Around, OneServer};
use crate::protocol::{Session, Target};
use crate::scenario::Scenario;

/// The `--url` database as the protocol's target: one variant at a time, each checked
/// before it writes, watched while it primes and cleaned up however it ends.
pub struct UrlTarget {
    pub connect: ConnectOptions,
    /// `--flush`: empty the database first.
    pub flush: bool,
    /// `--keep`: leave the last variant's records.
    pub keep: bool,
    /// `--budget`: the most one variant's records may take (see [`budget`]).
    pub budget: Option<u64>,
}

impl Target for UrlTarget {
    fn name(&self) -> String {
        crate::backend::redact(&self.connect.url)
    }

    fn place(&self, _engine: &Engine) -> String {
        format!("--url {}", self.connect.describe())
    }

    fn identify(
        &self,
        scenario: &Scenario,
        engines: &mut [Engine],
        named: bool,
    ) -> anyhow::Result<()> {
        if scenario.server.cluster.is_some() {
            anyhow::bail!(
                "--url measures the one server at the URL; a cluster ([server] cluster in {}, \
                 or --cluster) starts private nodes. Leave out one or the other",
                scenario.path.display()
            );
        }
        if named {
            anyhow::bail!(
                "--url measures the one server at the URL; engines ([[server.engine]] in {}, \
                 or --engine) start private servers. Leave out one or the other",
                scenario.path.display()
            );
        }
        let identity = identify(&self.connect)?;
        engines[0].info.version = identity.version_text.clone();
        engines[0].info.allocator = identity.allocator.clone();
        engines[0].identity = Some(identity);
        Ok(())
    }

    fn check_jobs(&self, jobs: usize) -> anyhow::Result<()> {
        if jobs > 1 {
            anyhow::bail!(
                "--jobs {jobs}: --url measures one server, one variant at a time; leave out --jobs"
            );
        }
        Ok(())
    }

    fn prepares_ahead(&self) -> bool {
        false
    }

    fn starts_servers(&self) -> bool {
        false
    }

    fn open<'a>(&'a self, job: Job<'a>) -> anyhow::Result<Box<dyn Session + 'a>> {
        let connect = bounded(&self.connect);
        let around = self.before_writing(&connect, job)?;
        let db = around.db;
        Ok(Box::new(OneServer::open(
            connect,
            db,
            false,
            Some(job),
            around,
        )?))
    }

    fn is_fatal(&self, e: &anyhow::Error) -> bool {
        is_fatal(e)
    }
}

impl UrlTarget {
    /// The checks before a variant writes (an empty or `--flush`ed database, a projection
    /// that fits), then the hooks that watch and clean up.
    fn before_writing(&self, connect: &ConnectOptions, job: Job) -> anyhow::Result<UrlHooks> {
        let db = connect.connection_info()?.redis_settings().db();
        let mut conn = connect.connect().map_err(|e| {
            Fatal(format!(
                "--url: cannot reach {}: {e}; nothing was written",
                connect.describe()
            ))
        })?;
        let name = &job.variant.name;
        let size: u64 = redis::cmd("DBSIZE").query(&mut conn)?;
        if size > 0 && !self.flush {
            anyhow::bail!(
                "--url: database {db} of {} holds {size} keys; redisadv does not write into a \
                 database it did not empty. Use an empty database, or add --flush to delete \
                 those {size} keys first",
                connect.describe()
            );
        }
        // Before any FLUSHDB, so a refused run deletes nothing (the keys to flush still count).
        let limits = projection::listpack_limits(&mut conn);
        let projected = project(job.dataset, job.variant.layout, &job.config(), limits)?;
        let what = format!(
            "variant {name} into database {db} of {}",
            connect.describe()
        );
        projection::check(
            &mut conn,
            &projected,
            &what,
            self.budget,
            is_loopback(connect),
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
            job.dataset.clone(),
            job.variant.layout,
            name.clone(),
        );
        let registration = crate::cleanup::register({
            let written = written.clone();
            move || on_signal(&written)
        });
        let watchdog = watchdog(connect, &written);
        let before = probe::evicted_keys(&mut conn)?;
        let last = job.scenario.variants.last().map(|v| v.name.clone());
        Ok(UrlHooks {
            watch: EvictionWatch {
                conn,
                before,
                written: written.clone(),
                what,
            },
            written,
            registration,
            _watchdog: watchdog,
            keep: self.keep,
            keep_this: self.keep && last.as_deref() == Some(name.as_str()),
            last: last.unwrap_or_default(),
            name: name.clone(),
            db,
            place: connect.describe(),
            keys: projected.keys,
        })
    }
}

/// What a variant on the `--url` server adds to the protocol's steps: the eviction watch
/// while priming, the signal and frozen-server cleanups while it runs, and at its end the
/// removal of exactly what it wrote (or `--keep`). Errors marked [`Fatal`] stop the run.
struct UrlHooks {
    watch: EvictionWatch,
    written: written::Shared,
    registration: crate::cleanup::Registration,
    _watchdog: Watchdog,
    keep: bool,
    /// The last variant of a `--keep` run: the one whose records stay.
    keep_this: bool,
    last: String,
    name: String,
    db: i64,
    place: String,
    keys: u64,
}

impl LoadWatch for UrlHooks {
    fn opened(&mut self, stream: &PipeStream) {
        self.watch.opened(stream)
    }

    fn between_batches(&mut self) -> anyhow::Result<()> {
        self.watch.between_batches()
    }

    fn loaded(&mut self) -> anyhow::Result<()> {
        self.watch.loaded()
    }
}

impl Around for UrlHooks {
    fn overlaps(&self) -> bool {
        false
    }

    fn end(mut self, failed: Option<anyhow::Error>) -> anyhow::Result<f64> {
        let failed = match failed {
            None => self.watch.check().err(),
            failed => failed,
        };
        let (name, db, place) = (&self.name, self.db, &self.place);
        if self.keep_this && failed.is_none() {
            drop(self.registration);
            crate::ui::say!(
                "--keep: left the records of variant {name} in database {db} of {place} ({} \
                 keys)",
                self.keys
            );
            return Ok(0.0);
        }
        if self.keep && failed.is_none() {
            crate::ui::say!(
                "--keep: removing variant {name}'s records before the next variant; --keep \
                 keeps only the last variant's ({})",
                self.last
            );
        }
        let outcome = written::lock(&self.written).remove(CLEANUP_LIMIT);
        drop(self.registration);
        let evicted = failed
            .as_ref()
            .and_then(|e| e.chain().find_map(|c| c.downcast_ref::<Evicted>()))
            .map(|e| e.0.clone());
        match (failed, outcome, evicted) {
            (_, Outcome::Removed { keys }, Some(evicted)) => Err(Fatal(format!(
                "{evicted}; stopped priming and removed the {keys} keys redisadv had written"
            ))
            .into()),
            (None, Outcome::Removed { .. }, None) => Ok(0.0),
            (Some(e), Outcome::Removed { .. }, None) => Err(e),
            (None, Outcome::Left(left), _) => Err(Fatal(left).into()),
            (Some(e), Outcome::Left(left), _) => Err(Fatal(format!("{e:#}; then {left}")).into()),
        }
    }
}
