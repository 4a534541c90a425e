//! Exact memory of the keys restored: a private server of the file's engine takes each
//! object with RESTORE (no value is decoded), answers MEMORY USAGE SAMPLES 0 and OBJECT
//! ENCODING, gives a string's value (GET) or a hash's first values (HSCAN) for inspect's
//! format detection, and is flushed after every batch so its memory stays bounded.

use super::payload::dump_payload;
use super::reader::{Entry, type_name};
use crate::backend::resp::Value;
use crate::inspect::conn::{ReadConn, int, text};
use crate::inspect::scan::Observation;
use crate::server::{RedisServer, ServerOptions};

/// Objects restored per batch, at most, and their bytes.
pub const BATCH_KEYS: usize = 2000;
pub const BATCH_BYTES: usize = 16 << 20;

/// One key waiting in a batch.
pub struct Pending {
    pub entry: Entry,
    pub stratum: usize,
}

pub struct Measurer {
    pub server: RedisServer,
    pub engine: String,
    conn: ReadConn,
    version: u16,
    batch: Vec<Pending>,
    batch_bytes: usize,
    pub empty_used_memory: u64,
    pub peak_rss: u64,
    pub commands: u64,
}

impl Measurer {
    pub fn start(
        engine: String,
        binary: std::path::PathBuf,
        version: u32,
    ) -> anyhow::Result<Measurer> {
        let server = RedisServer::start(&ServerOptions {
            binary,
            ..ServerOptions::default()
        })?;
        let conn = ReadConn::connect(&server.connect_options(), 0)?;
        let mut m = Measurer {
            server,
            engine,
            conn,
            version: version as u16,
            batch: Vec::new(),
            batch_bytes: 0,
            empty_used_memory: 0,
            peak_rss: 0,
            commands: 0,
        };
        m.empty_used_memory = m.memory_field("used_memory")?;
        Ok(m)
    }

    fn memory_field(&mut self, name: &str) -> anyhow::Result<u64> {
        let info = crate::probe::parse_info(&self.conn.info("memory")?);
        crate::probe::number(&info, name)
    }

    /// Queues a captured key; measures the batch when it is full. `done` gets each key.
    pub fn push(
        &mut self,
        p: Pending,
        now_ms: i64,
        done: &mut dyn FnMut(&Observation, usize, f64),
    ) -> anyhow::Result<()> {
        self.batch_bytes += p.entry.object.as_ref().map_or(0, Vec::len);
        self.batch.push(p);
        if self.batch.len() >= BATCH_KEYS || self.batch_bytes >= BATCH_BYTES {
            self.flush(now_ms, done)?;
        }
        Ok(())
    }

    /// Restores and measures the queued keys, then empties the server.
    pub fn flush(
        &mut self,
        now_ms: i64,
        done: &mut dyn FnMut(&Observation, usize, f64),
    ) -> anyhow::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        // Keys of different databases may share a name: restore them in separate rounds.
        let mut rounds: Vec<Vec<&Pending>> = Vec::new();
        let mut names = std::collections::HashSet::new();
        for p in &batch {
            let round = if names.insert((p.entry.key.as_slice(), 0usize)) {
                0
            } else {
                (1..)
                    .find(|r| names.insert((p.entry.key.as_slice(), *r)))
                    .unwrap_or(0)
            };
            if rounds.len() <= round {
                rounds.resize_with(round + 1, Vec::new);
            }
            rounds[round].push(p);
        }
        for round in rounds {
            self.measure_round(&round, now_ms, done)?;
        }
        Ok(())
    }

    fn measure_round(
        &mut self,
        round: &[&Pending],
        now_ms: i64,
        done: &mut dyn FnMut(&Observation, usize, f64),
    ) -> anyhow::Result<()> {
        for p in round {
            let e = &p.entry;
            let object = e.object.as_deref().unwrap_or_default();
            let key = e.key.as_slice();
            self.conn.queue(
                redis::cmd("RESTORE")
                    .arg(key)
                    .arg(0)
                    .arg(dump_payload(object, self.version))
                    .arg("REPLACE"),
            );
            self.conn.queue(
                redis::cmd("MEMORY")
                    .arg("USAGE")
                    .arg(key)
                    .arg("SAMPLES")
                    .arg(0),
            );
            self.conn
                .queue(redis::cmd("OBJECT").arg("ENCODING").arg(key));
            match type_name(e.rdb_type) {
                "string" => self.conn.queue(redis::cmd("GET").arg(key)),
                "hash" => self
                    .conn
                    .queue(redis::cmd("HSCAN").arg(key).arg(0).arg("COUNT").arg(16)),
                _ => self.conn.queue(&redis::cmd("PING")),
            }
        }
        self.conn.flush()?;
        for p in round {
            let e = &p.entry;
            if let Value::Error(err) = self.conn.read()? {
                anyhow::bail!(
                    "the private {} refused RESTORE of key {:?} (the record at byte {}): {err}",
                    self.engine,
                    String::from_utf8_lossy(&e.key),
                    e.offset
                );
            }
            let memory = int(&self.conn.read()?).unwrap_or(0).max(0) as u64;
            let encoding = text(&self.conn.read()?).unwrap_or_default();
            let values: Vec<Vec<u8>> = match self.conn.read()? {
                Value::Bulk(b) => vec![b],
                hscan => crate::inspect::scan::hscan_values(hscan),
            };
            done(
                &Observation {
                    key: &e.key,
                    kind: type_name(e.rdb_type),
                    pttl: e.expire_ms.map(|at| at - now_ms),
                    memory,
                    encoding: &encoding,
                    values: &values,
                },
                p.stratum,
                e.object_bytes as f64,
            );
        }
        self.peak_rss = self.peak_rss.max(self.memory_field("used_memory_rss")?);
        self.conn.queue(redis::cmd("FLUSHALL").arg("SYNC"));
        self.conn.flush()?;
        self.conn.read()?;
        self.commands = self.conn.sent;
        Ok(())
    }
}
