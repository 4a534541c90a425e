//! The protocol's steps on one server: the INFO connection, the explanation prepared while
//! the empty server settles, the loading connection. A private server and the --url
//! database are both this, each with its own [`Around`]: what it watches while priming and
//! how it ends.

use super::{Explained, NodeFigures, SETTLE_LIMIT, Session, Writes};
use crate::backend::{ConnectOptions, PipeStream};
use crate::dataset::Key;
use crate::explain::{ExplainOptions, Explainer, Scanned};
use crate::identity::Identity;
use crate::job::Job;
use crate::loader::{self, LoadOutcome, LoadWatch};
use crate::probe::{self, MemoryInfo, Proof};
use crate::report::Sample;
use anyhow::Context;
use redis::Connection;

/// What a kind of server adds to the steps: a watch between the loader's batches, whether
/// the next job may start while it settles, and its end.
pub trait Around: LoadWatch + Send {
    fn overlaps(&self) -> bool;

    /// [`Session::end`], once redisadv's own connections to the server are closed.
    fn end(self, failed: Option<anyhow::Error>) -> anyhow::Result<f64>;
}

/// One server, measured step by step.
pub struct OneServer<'a, A: Around> {
    connect: ConnectOptions,
    db: i64,
    /// Whether redisadv started the server: only then a server-wide setting (frozen reply
    /// buffers), a known client count, the timer-based proof and TTLs measured by removing
    /// them.
    owned: bool,
    /// The bench job, or `None` for writes that are no job (nothing to explain or verify).
    job: Option<Job<'a>>,
    conn: Connection,
    identity: Option<Identity>,
    /// How the empty figure was proven; the loaded one is proven the same way, without
    /// asking the server again (a CONFIG GET between the two figures can free 32 B).
    proof: Proof,
    explainer: Option<Explainer>,
    scanned: Option<Scanned>,
    /// The loading connection, kept while the figures are read (`--hold-connection`).
    held: Option<PipeStream>,
    around: A,
}

impl<'a, A: Around> OneServer<'a, A> {
    /// Connects for INFO and, for a job, checks its variant against the engine's identity
    /// (read once for the run; asked here only when it could not be). On a failure the
    /// server's end runs at once, as after any failed step.
    pub fn open(
        connect: ConnectOptions,
        db: i64,
        owned: bool,
        job: Option<Job<'a>>,
        around: A,
    ) -> anyhow::Result<Self> {
        let (conn, identity) = match connect_to(&connect, owned, job) {
            Ok(opened) => opened,
            Err(e) => {
                return Err(match around.end(Some(e)) {
                    Err(e) => e,
                    Ok(_) => anyhow::anyhow!("connecting to read INFO failed"),
                });
            }
        };
        Ok(OneServer {
            connect,
            db,
            owned,
            job,
            conn,
            identity,
            proof: Proof::SHARED,
            explainer: None,
            scanned: None,
            held: None,
            around,
        })
    }

    fn job(&self) -> anyhow::Result<Job<'a>> {
        self.job
            .context("no bench job on this server: nothing to verify, explain or read")
    }
}

/// The INFO connection, and the engine's identity for a job.
fn connect_to(
    connect: &ConnectOptions,
    owned: bool,
    job: Option<Job>,
) -> anyhow::Result<(Connection, Option<Identity>)> {
    let mut conn = connect.connect().context("connecting to read INFO")?;
    // A server-wide setting, so only on servers redisadv owns; not with --hold-connection,
    // whose point is the held connection as Python leaves it (buffer shrunk by the timer).
    let hold = job.is_some_and(|j| j.options.hold_connection);
    if owned && !hold {
        probe::freeze_reply_buffers(&mut conn);
    }
    let Some(job) = job else {
        return Ok((conn, None));
    };
    let identity = match &job.engine.identity {
        Some(known) => known.clone(),
        None => Identity::read(&mut conn)?,
    };
    if job.variant.hash_ttl == crate::backend::HashTtl::FieldTtl {
        crate::identity::require_field_ttl(&identity, &job.variant.name, &connect.describe())?;
    }
    Ok((conn, Some(identity)))
}

impl<A: Around> Session for OneServer<'_, A> {
    fn empty(&mut self) -> anyhow::Result<Vec<MemoryInfo>> {
        let (owned, db) = (self.owned, self.db);
        let settle = |conn: &mut Connection| -> anyhow::Result<(Proof, MemoryInfo)> {
            let proof = if owned {
                Proof::private(conn)
            } else {
                Proof::SHARED
            };
            probe::settle_with(conn, db, SETTLE_LIMIT, proof)?;
            Ok((proof, probe::memory(conn)?))
        };
        // The plan's explanation is computed while the empty server settles.
        let (proof, figure) = match (self.job, &self.identity) {
            (Some(job), Some(identity)) => {
                let (explainer, settled) = Explainer::before_priming(
                    &mut self.conn,
                    &job.config(),
                    job.variant.layout,
                    job.scenario.dataset.seed,
                    &job.variant.name,
                    identity.caps.embedding,
                    settle,
                )?;
                self.explainer = Some(explainer);
                settled
            }
            _ => settle(&mut self.conn)?,
        };
        self.proof = proof;
        Ok(vec![figure])
    }

    fn prime(&mut self, writes: &dyn Writes) -> anyhow::Result<LoadOutcome> {
        let mut stream =
            PipeStream::connect(&self.connect).context("opening the loading connection")?;
        self.around.opened(&stream);
        let explainer = &mut self.explainer;
        let mut sink = loader::Watched {
            sink: &mut stream,
            watch: &mut self.around,
            stopped: None,
        };
        let outcome = writes
            .write(&mut sink, &mut |records| {
                if let Some(e) = explainer.as_mut() {
                    e.count(records)
                }
            })
            .map_err(|e| sink.stopped.take().unwrap_or(e))
            .with_context(|| format!("priming {}", writes.name()))?;
        let summary = stream.finish().context("priming")?;
        self.around.loaded()?;
        summary.check().context("priming")?;
        if self.job.is_some_and(|j| j.options.hold_connection) {
            self.held = Some(stream);
        }
        Ok(outcome)
    }

    fn settle(&mut self) -> anyhow::Result<f64> {
        if let (Some(explainer), Some(job)) = (self.explainer.take(), self.job) {
            let print = !job.options.explain.quiet_warnings;
            self.scanned = Some(explainer.written(job.dataset, &job.config(), print));
        }
        // Only the INFO connection (and the held loading one) may remain: another client of
        // a --url server would never leave, so there the count is not waited for.
        let clients = self.owned.then(|| 1 + u64::from(self.held.is_some()));
        let settled = probe::settle_after_inserts(
            &mut self.conn,
            self.db,
            clients,
            self.proof,
            SETTLE_LIMIT,
        )?;
        Ok(settled.seconds)
    }

    fn figures(&mut self) -> anyhow::Result<Vec<NodeFigures>> {
        let memory = probe::memory(&mut self.conn)?;
        let (keys, keys_with_ttl) = probe::keyspace(&mut self.conn, self.db)?;
        Ok(vec![NodeFigures {
            memory,
            keys,
            keys_with_ttl,
        }])
    }

    fn samples(&mut self, keys: &[Key]) -> anyhow::Result<Vec<Sample>> {
        Ok(probe::samples(&mut self.conn, keys)?
            .into_iter()
            .map(|(key, bytes)| Sample {
                key,
                hex: bytes.map(hex::encode),
            })
            .collect())
    }

    fn verify(&mut self) -> anyhow::Result<crate::report::Verified> {
        let job = self.job()?;
        crate::verify::verify(
            &self.connect,
            job.dataset,
            job.variant.layout,
            &job.config(),
        )
    }

    fn release(&mut self) -> anyhow::Result<()> {
        self.held = None;
        Ok(())
    }

    fn explain(&mut self, dataset_bytes: u64) -> anyhow::Result<Explained> {
        let (Some(scanned), Some(job)) = (self.scanned.take(), self.job) else {
            return Ok(Explained::default());
        };
        // Last: it may remove the TTLs, so only on servers redisadv owns.
        let options = ExplainOptions {
            measure_ttl: job.options.explain.measure_ttl && self.owned,
            quiet_warnings: job.options.explain.quiet_warnings,
        };
        let explain = scanned.after_figures(
            &mut self.conn,
            self.db,
            job.dataset,
            dataset_bytes,
            options,
            SETTLE_LIMIT,
        );
        Ok(Explained {
            explain,
            cluster: None,
        })
    }

    fn read(&mut self) -> anyhow::Result<Option<crate::read::ReadFigures>> {
        let Some(job) = self.job else {
            return Ok(None);
        };
        crate::read::after_figures_of(
            job.options.read.as_ref(),
            &self.connect,
            job.dataset,
            job.variant.layout,
            &job.config(),
        )
    }

    fn overlaps(&self) -> bool {
        self.around.overlaps()
    }

    fn allocator(&self) -> String {
        self.identity
            .as_ref()
            .map(|i| i.allocator.clone())
            .unwrap_or_default()
    }

    fn end(self: Box<Self>, failed: Option<anyhow::Error>) -> anyhow::Result<f64> {
        let OneServer {
            conn, held, around, ..
        } = *self;
        drop((conn, held));
        around.end(failed)
    }
}
