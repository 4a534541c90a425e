//! What Redis says about memory: INFO memory and keyspace, rehashing and settling, and the
//! stored bytes of sample keys.

use crate::dataset::Key;
use anyhow::Context;
use redis::Connection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

mod settle;
pub use settle::{Proof, Settled, rehash_backlog, settle, settle_after_inserts, settle_with};

/// The INFO memory figures a report keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryInfo {
    pub used_memory: u64,
    pub used_memory_human: String,
    pub used_memory_rss: u64,
    pub used_memory_peak: u64,
    pub used_memory_dataset: u64,
    pub used_memory_overhead: u64,
}

/// Parses `INFO` text into its `name:value` fields.
pub fn parse_info(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn info(conn: &mut Connection, section: &str) -> anyhow::Result<HashMap<String, String>> {
    let text: String = redis::cmd("INFO")
        .arg(section)
        .query(conn)
        .with_context(|| format!("reading INFO {section}"))?;
    Ok(parse_info(&text))
}

/// One INFO section's fields, for callers that need others than the memory figures.
pub fn info_section(
    conn: &mut Connection,
    section: &str,
) -> anyhow::Result<HashMap<String, String>> {
    info(conn, section)
}

/// Keys the server has evicted since it started (INFO stats), summed over all databases.
pub fn evicted_keys(conn: &mut Connection) -> anyhow::Result<u64> {
    number(&info(conn, "stats")?, "evicted_keys")
}

pub fn number(fields: &HashMap<String, String>, name: &str) -> anyhow::Result<u64> {
    fields
        .get(name)
        .with_context(|| format!("INFO has no {name}"))?
        .parse()
        .with_context(|| format!("INFO {name} is not a number"))
}

pub fn memory(conn: &mut Connection) -> anyhow::Result<MemoryInfo> {
    let f = info(conn, "memory")?;
    Ok(MemoryInfo {
        used_memory: number(&f, "used_memory")?,
        used_memory_human: f.get("used_memory_human").cloned().unwrap_or_default(),
        used_memory_rss: number(&f, "used_memory_rss")?,
        used_memory_peak: number(&f, "used_memory_peak")?,
        used_memory_dataset: number(&f, "used_memory_dataset")?,
        used_memory_overhead: number(&f, "used_memory_overhead")?,
    })
}

/// Stops Redis from resizing client reply buffers on its timer (`DEBUG REPLYBUFFER RESIZING
/// 0`), so the INFO connection's own buffer is the same size at the empty and the loaded
/// reading instead of moving by 512-byte steps between them. False when the server refuses
/// DEBUG; the figures may then move by a few hundred bytes from run to run.
pub fn freeze_reply_buffers(conn: &mut Connection) -> bool {
    redis::cmd("DEBUG")
        .arg("REPLYBUFFER")
        .arg("RESIZING")
        .arg(0)
        .query::<()>(conn)
        .is_ok()
}

/// Keys and keys with a TTL in database `db`.
pub fn keyspace(conn: &mut Connection, db: i64) -> anyhow::Result<(u64, u64)> {
    let f = info(conn, "keyspace")?;
    let Some(line) = f.get(&format!("db{db}")) else {
        return Ok((0, 0));
    };
    let parts: HashMap<&str, &str> = line.split(',').filter_map(|p| p.split_once('=')).collect();
    let get = |k: &str| parts.get(k).and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok((get("keys"), get("expires")))
}

/// Whether any key table of `db` is being rehashed (`DEBUG HTSTATS` lists a "rehashing
/// target" table meanwhile); `None` when the server does not allow DEBUG (a `--url` server
/// without `enable-debug-command`).
pub fn rehashing(conn: &mut Connection, db: i64) -> anyhow::Result<Option<bool>> {
    let reply: redis::RedisResult<String> = redis::cmd("DEBUG").arg("HTSTATS").arg(db).query(conn);
    match reply {
        Ok(text) => Ok(Some(text.contains("rehashing target"))),
        Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError) => {
            Ok(None)
        }
        Err(e) => Err(anyhow::Error::new(e).context("DEBUG HTSTATS")),
    }
}

/// The stored bytes of each sample key (`None` where nothing is stored).
///
/// One command at a time: a pipeline on a server that stopped answering waits one read
/// timeout per reply, and there are only a handful of samples.
pub fn samples(conn: &mut Connection, keys: &[Key]) -> anyhow::Result<Vec<(Key, Option<Vec<u8>>)>> {
    keys.iter()
        .map(|key| {
            let value: Option<Vec<u8>> = match key {
                Key::Plain(k) => redis::cmd("GET").arg(k).query(conn),
                Key::Hash { bucket, field } => {
                    redis::cmd("HGET").arg(bucket).arg(field).query(conn)
                }
            }
            .with_context(|| format!("reading sample key {key}"))?;
            Ok((key.clone(), value))
        })
        .collect()
}

/// What `MEMORY STATS` says about one database's tables, by Redis's own formula (24 B per
/// dict entry, 8 B per slot, plus 16 B per key object in the main table), and the keys
/// count; all zero for a database that holds nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStats {
    pub keys: u64,
    pub main_table: u64,
    pub expires_table: u64,
}

/// `MEMORY STATS` for database `db`.
pub fn memory_stats(conn: &mut Connection, db: i64) -> anyhow::Result<TableStats> {
    let reply: redis::Value = redis::cmd("MEMORY")
        .arg("STATS")
        .query(conn)
        .context("reading MEMORY STATS")?;
    Ok(parse_memory_stats(&reply, db))
}

/// The name/value pairs of a MEMORY STATS reply (RESP2 flat array or RESP3 map).
fn pairs(value: &redis::Value) -> Vec<(String, &redis::Value)> {
    let text = |v: &redis::Value| match v {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        redis::Value::SimpleString(s) => s.clone(),
        _ => String::new(),
    };
    match value {
        redis::Value::Array(items) => items
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (text(&c[0]), &c[1]))
            .collect(),
        redis::Value::Map(items) => items.iter().map(|(k, v)| (text(k), v)).collect(),
        _ => Vec::new(),
    }
}

fn integer(value: &redis::Value) -> u64 {
    match value {
        redis::Value::Int(n) => (*n).max(0) as u64,
        redis::Value::BulkString(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        _ => 0,
    }
}

pub fn parse_memory_stats(reply: &redis::Value, db: i64) -> TableStats {
    let mut stats = TableStats::default();
    let db_name = format!("db.{db}");
    for (name, value) in pairs(reply) {
        if name == "keys.count" {
            stats.keys = integer(value);
        } else if name == db_name {
            for (part, bytes) in pairs(value) {
                match part.as_str() {
                    "overhead.hashtable.main" => stats.main_table = integer(bytes),
                    "overhead.hashtable.expires" => stats.expires_table = integer(bytes),
                    _ => {}
                }
            }
        }
    }
    stats
}

/// A numeric server setting read with `CONFIG GET` (the effective value, not the file's).
pub fn config_number(conn: &mut Connection, name: &str) -> anyhow::Result<u64> {
    let reply: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg(name)
        .query(conn)
        .with_context(|| format!("CONFIG GET {name}"))?;
    reply
        .get(1)
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("CONFIG GET {name}: no numeric value in {reply:?}"))
}

/// `OBJECT ENCODING` of each key, pipelined in chunks; `None` for a key that is gone.
pub fn encodings(conn: &mut Connection, keys: &[String]) -> anyhow::Result<Vec<Option<String>>> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(10_000) {
        let mut pipe = redis::pipe();
        for key in chunk {
            pipe.cmd("OBJECT").arg("ENCODING").arg(key);
        }
        let got: Vec<Option<String>> = pipe.query(conn).context("OBJECT ENCODING")?;
        out.extend(got);
    }
    Ok(out)
}

/// `PERSIST` on each key, pipelined in chunks: how many lost a TTL.
pub fn persist(conn: &mut Connection, keys: &[String]) -> anyhow::Result<u64> {
    let mut removed = 0;
    for chunk in keys.chunks(10_000) {
        let mut pipe = redis::pipe();
        for key in chunk {
            pipe.cmd("PERSIST").arg(key);
        }
        let got: Vec<u64> = pipe.query(conn).context("PERSIST")?;
        removed += got.iter().sum::<u64>();
    }
    Ok(removed)
}
