//! The private target: a fresh `redis-server` per job, started by redisadv, measured by the
//! protocol and stopped on a thread of its own while the run goes on.

use super::one::{Around, OneServer};
use super::{Session, Target};
use crate::engine_set::{self, Engine};
use crate::job::Job;
use crate::loader::LoadWatch;
use crate::scenario::Scenario;
use crate::server::{RedisServer, ServerOptions};
use std::path::PathBuf;

/// A private server per job.
#[derive(Default)]
pub struct Private {
    teardowns: Teardowns,
}

impl Target for Private {
    fn name(&self) -> String {
        super::target_name(None)
    }

    fn place(&self, engine: &Engine) -> String {
        engine.binary.display().to_string()
    }

    fn identify(
        &self,
        scenario: &Scenario,
        engines: &mut [Engine],
        named: bool,
    ) -> anyhow::Result<()> {
        identify(scenario, engines, named)
    }

    fn prepares_ahead(&self) -> bool {
        true
    }

    fn open<'a>(&'a self, job: Job<'a>) -> anyhow::Result<Box<dyn Session + 'a>> {
        let mut overrides = job.engine.overrides.clone();
        overrides.extend(job.variant.overrides.iter().cloned());
        let server = RedisServer::start(&ServerOptions {
            binary: job.engine.binary.clone(),
            config_file: Some(job.scenario.server.config_file.clone()),
            overrides,
            ..ServerOptions::default()
        })?;
        let session = open_on(server, Some(job), Some(&self.teardowns))?;
        Ok(Box::new(session))
    }

    fn join(&self) {
        self.teardowns.join();
    }
}

/// Every engine's identity, read once before any job from a private server of its own
/// (shared by the private cluster).
pub fn identify(scenario: &Scenario, engines: &mut [Engine], named: bool) -> anyhow::Result<()> {
    for engine in engines {
        engine_set::identify(engine, &scenario.server.config_file, named)?;
    }
    Ok(())
}

/// A private server of `binary`, `config_file` and `overrides`, opened for writes that are
/// no bench job (whatif's values as stored today); stopped when the session ends.
pub fn open_plain(
    binary: PathBuf,
    config_file: PathBuf,
    overrides: Vec<(String, String)>,
) -> anyhow::Result<Box<dyn Session + 'static>> {
    let server = RedisServer::start(&ServerOptions {
        binary,
        config_file: Some(config_file),
        overrides,
        ..ServerOptions::default()
    })?;
    Ok(Box::new(open_on(server, None, None)?))
}

/// The protocol's steps on `server`, which redisadv owns.
fn open_on<'a>(
    server: RedisServer,
    job: Option<Job<'a>>,
    teardowns: Option<&'a Teardowns>,
) -> anyhow::Result<OneServer<'a, Owned<'a>>> {
    let connect = server.connect_options();
    OneServer::open(connect, 0, true, job, Owned { server, teardowns })
}

/// What a private server adds: its end (stopped in the background, with its last log
/// lines when it died during a failed step).
pub struct Owned<'a> {
    server: RedisServer,
    teardowns: Option<&'a Teardowns>,
}

impl LoadWatch for Owned<'_> {}

impl Around for Owned<'_> {
    fn overlaps(&self) -> bool {
        true
    }

    fn end(self, failed: Option<anyhow::Error>) -> anyhow::Result<f64> {
        let failed = failed.map(|e| with_log(&self.server, e));
        match self.teardowns {
            Some(teardowns) => teardowns.stop(self.server),
            None => drop(self.server),
        }
        failed.map_or(Ok(0.0), Err)
    }
}

/// `e`, with the server's last log lines when it died meanwhile.
fn with_log(server: &RedisServer, e: anyhow::Error) -> anyhow::Error {
    if server.is_running() {
        e
    } else {
        let lines = server.last_log_lines(10).join("\n");
        e.context(format!("redis-server died; its last log lines:\n{lines}"))
    }
}

/// Servers being stopped on threads of their own; [`Teardowns::join`] waits for them all.
#[derive(Default)]
pub struct Teardowns(std::sync::Mutex<Vec<std::thread::JoinHandle<()>>>);

impl Teardowns {
    /// Stops `server` on its own thread: the run goes on meanwhile.
    fn stop(&self, server: RedisServer) {
        let handle = std::thread::spawn(move || drop(server));
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(handle);
    }

    /// Waits until every server handed over is stopped (each stop has its own deadline).
    pub fn join(&self) {
        let handles = std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        for h in handles {
            let _ = h.join();
        }
    }
}
