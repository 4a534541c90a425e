//! Removing exactly what a variant wrote into a `--url` database, however the run ends: from
//! the main thread after the variant, or from the signal thread through
//! [`crate::cleanup::register`]. Every removal starts on a fresh connection (the loading one
//! may have been dropped, killed, or closed by the server's `timeout`), is bounded in time,
//! and when it cannot finish says exactly what it left.

use crate::backend::{ConnectOptions, StreamKiller};
use crate::dataset::{Dataset, Key, Layout};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Keys per DEL or EXISTS command, and commands per round trip.
const KEYS_PER_COMMAND: usize = 1000;
const COMMANDS_PER_TRIP: usize = 10;
/// Attempts (each on a fresh connection) before a removal gives up.
const ATTEMPTS: u32 = 3;

/// How a removal ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every key is gone; `keys` were deleted.
    Removed { keys: u64 },
    /// What is left, as a statement for the user: database, count and patterns.
    Left(String),
}

/// The records one variant writes into a `--url` database, and how to reach them.
pub struct Written {
    task: Arc<Task>,
    variant: String,
    /// The loading connection while it may still carry commands.
    pub killer: Option<StreamKiller>,
    outcome: Option<Outcome>,
}

/// What a removal needs, shared with the worker thread that talks to Redis.
struct Task {
    connect: ConnectOptions,
    db: i64,
    dataset: Dataset,
    layout: Layout,
}

pub type Shared = Arc<Mutex<Written>>;

pub fn lock(shared: &Shared) -> MutexGuard<'_, Written> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// Why an attempt failed, and whether another could do better.
struct Failed {
    error: String,
    retry: bool,
}

/// Runs `f` on its own thread and waits at most `limit` for it. A server that stopped
/// answering can hold a redis connection for one read timeout per pipelined reply; this
/// bounds the whole. A thread still waiting is left behind (the process ends soon).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).ok()
}

impl Written {
    pub fn new(
        connect: ConnectOptions,
        db: i64,
        dataset: Dataset,
        layout: Layout,
        variant: String,
    ) -> Shared {
        Arc::new(Mutex::new(Written {
            task: Arc::new(Task {
                connect,
                db,
                dataset,
                layout,
            }),
            variant,
            killer: None,
            outcome: None,
        }))
    }

    /// `database D of HOST:PORT`.
    pub fn place(&self) -> String {
        format!(
            "database {} of {}",
            self.task.db,
            self.task.connect.describe()
        )
    }

    /// Removes every key the variant wrote, at most once, within `limit` (plus a little to
    /// count what is left).
    pub fn remove(&mut self, limit: Duration) -> Outcome {
        if let Some(outcome) = &self.outcome {
            return outcome.clone();
        }
        let started = Instant::now();
        // Cut the loading connection first, so no write still queued on it lands after
        // the DELs; Redis drops what it had not run when its client is killed.
        let loader = self.killer.take().and_then(|killer| {
            killer.shutdown();
            killer.client_addr()
        });
        let task = self.task.clone();
        let removed = within(limit, move || task.attempts(loader.as_deref(), limit));
        let outcome = match removed {
            Some(Ok(keys)) => Outcome::Removed { keys },
            Some(Err(failed)) => {
                let task = self.task.clone();
                let left = limit.saturating_sub(started.elapsed());
                let counted =
                    within(left.max(Duration::from_secs(2)), move || task.count().ok()).flatten();
                Outcome::Left(self.statement(&failed, counted))
            }
            None => Outcome::Left(self.statement(
                &Failed {
                    error: format!("the server did not answer within {limit:?}"),
                    retry: true,
                },
                None,
            )),
        };
        self.outcome = Some(outcome.clone());
        outcome
    }

    /// Database, count and patterns of what is left after `failed`; `counted` per family
    /// when the server could still count them.
    fn statement(&self, failed: &Failed, counted: Option<Vec<u64>>) -> String {
        let task = &self.task;
        let families = &task.dataset.families;
        let written: Vec<u64> = (0..families.len())
            .map(|f| family_keys(&task.dataset, f, task.layout).count() as u64)
            .collect();
        let (total, how) = match &counted {
            Some(counts) => (counts.iter().sum::<u64>(), "counted with EXISTS"),
            None => (
                written.iter().sum(),
                "at most: the server did not answer, so they could not be counted",
            ),
        };
        let patterns: Vec<String> = families
            .iter()
            .enumerate()
            .filter_map(|(f, family)| {
                let n = counted.as_ref().map_or(written[f], |c| c[f]);
                let template = match task.layout {
                    Layout::Keys => family.key.source(),
                    Layout::Hash => family.bucket.source(),
                };
                (n > 0).then(|| {
                    format!(
                        "{n} of pattern {template:?} for i in 0..{} (SCAN MATCH {:?})",
                        family.count,
                        glob(template)
                    )
                })
            })
            .collect();
        format!(
            "could not remove what variant {} wrote to {} ({}). Left there: {total} keys ({how}): \
             {}. Delete them with a user allowed to DEL, or FLUSHDB database {} if it holds \
             nothing else",
            self.variant,
            self.place(),
            failed.error,
            patterns.join("; "),
            task.db
        )
    }
}

impl Task {
    /// Attempts on fresh connections until one succeeds, the server refuses, three have
    /// failed, or `limit` has passed.
    fn attempts(&self, loader: Option<&str>, limit: Duration) -> Result<u64, Failed> {
        let deadline = Instant::now() + limit;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.attempt(loader) {
                Ok(keys) => return Ok(keys),
                Err(failed) if !failed.retry || attempt >= ATTEMPTS => return Err(failed),
                Err(failed) if Instant::now() >= deadline => return Err(failed),
                Err(_) => std::thread::sleep(Duration::from_millis(300)),
            }
        }
    }

    /// One attempt: kill the loading client, delete every key, and check none is left.
    fn attempt(&self, loader: Option<&str>) -> Result<u64, Failed> {
        let io = |e: redis::RedisError| Failed {
            retry: !is_refusal(&e),
            error: e.to_string(),
        };
        let mut conn = self.connect.connect().map_err(io)?;
        if let Some(addr) = loader {
            // Refused (ACL) or already gone: nothing more to do here.
            let _ = redis::cmd("CLIENT")
                .arg("KILL")
                .arg("ADDR")
                .arg(addr)
                .query::<()>(&mut conn);
        }
        let mut deleted = 0;
        for family in 0..self.dataset.families.len() {
            deleted += self.per_family(&mut conn, family, "DEL").map_err(io)?;
        }
        let left: u64 = self.count_on(&mut conn).map_err(io)?.iter().sum();
        if left > 0 {
            return Err(Failed {
                error: format!("{left} keys were still there after DEL"),
                retry: true,
            });
        }
        Ok(deleted)
    }

    /// What is left of each family, on a fresh connection.
    fn count(&self) -> redis::RedisResult<Vec<u64>> {
        self.count_on(&mut self.connect.connect()?)
    }

    fn count_on(&self, conn: &mut redis::Connection) -> redis::RedisResult<Vec<u64>> {
        (0..self.dataset.families.len())
            .map(|f| self.per_family(conn, f, "EXISTS"))
            .collect()
    }

    /// Sends `command` (DEL or EXISTS) over every key of one family; the sum of the replies.
    fn per_family(
        &self,
        conn: &mut redis::Connection,
        family: usize,
        command: &str,
    ) -> redis::RedisResult<u64> {
        let mut total = 0;
        let mut keys = family_keys(&self.dataset, family, self.layout).peekable();
        while keys.peek().is_some() {
            let mut pipe = redis::pipe();
            for _ in 0..COMMANDS_PER_TRIP {
                let chunk: Vec<String> = keys.by_ref().take(KEYS_PER_COMMAND).collect();
                if chunk.is_empty() {
                    break;
                }
                pipe.cmd(command).arg(chunk);
            }
            let counts: Vec<u64> = pipe.query(conn)?;
            total += counts.iter().sum::<u64>();
        }
        Ok(total)
    }
}

/// A server's refusal (ACL NOPERM, a renamed or denied command): another attempt would be
/// refused too.
fn is_refusal(e: &redis::RedisError) -> bool {
    !(e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal())
}

/// The template as a SCAN MATCH pattern: every `{...}` becomes `*`.
fn glob(template: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in template.chars() {
        match c {
            '{' => {
                inside = true;
                out.push('*');
            }
            '}' => inside = false,
            '*' | '?' | '[' | ']' | '\\' if !inside => {
                out.push('\\');
                out.push(c);
            }
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// The distinct Redis keys family `f` writes: its keys, or its hash buckets.
fn family_keys(dataset: &Dataset, f: usize, layout: Layout) -> impl Iterator<Item = String> + '_ {
    let family = &dataset.families[f];
    let mut seen = HashSet::new();
    (0..family.count).filter_map(move |i| match family.key(i, layout) {
        Key::Plain(k) => Some(k),
        Key::Hash { bucket, .. } => seen.insert(bucket.clone()).then_some(bucket),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_become_scan_patterns() {
        assert_eq!(super::glob("foo|{i}"), "foo|*");
        assert_eq!(super::glob("{i - i % 100}"), "*");
        assert_eq!(super::glob("a*{i / 10}"), "a\\**");
    }
}
