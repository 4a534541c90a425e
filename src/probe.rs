//! What Redis says about memory: INFO memory and keyspace, rehashing and settling, and the
//! stored bytes of sample keys.

use crate::dataset::Key;
use anyhow::Context;
use redis::Connection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, Instant};

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

/// The server's own version and `mem_allocator`: Valkey's `valkey_version` (its
/// `redis_version` is the Redis API level it speaks, 7.2.4), else `redis_version`.
pub fn server_identity(conn: &mut Connection) -> anyhow::Result<(String, String)> {
    let server = info(conn, "server")?;
    let memory = info(conn, "memory")?;
    Ok((
        server_version(&server),
        memory.get("mem_allocator").cloned().unwrap_or_default(),
    ))
}

/// `Valkey` when INFO server says `server_name:valkey`, else `Redis` (Redis 7-8 print no
/// server_name, or `redis`).
pub fn server_name(server: &HashMap<String, String>) -> String {
    match server.get("server_name").map(|s| s.to_ascii_lowercase()) {
        Some(n) if n == "valkey" => "Valkey".into(),
        Some(n) if !n.is_empty() && n != "redis" => n,
        _ => "Redis".into(),
    }
}

/// The version of the server named by [`server_name`].
pub fn server_version(server: &HashMap<String, String>) -> String {
    server
        .get("valkey_version")
        .or_else(|| server.get("redis_version"))
        .cloned()
        .unwrap_or_default()
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

static WARNED_NO_DEBUG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How settling went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settled {
    pub seconds: f64,
    pub polls: u32,
}

/// Waits until no key table is rehashing and then used_memory has not moved over 5 polls
/// 100 ms apart, or fails after `limit`. Nothing rehashes again without writes, and the
/// figure read next comes after the same INFO polls on the empty and the loaded server (a
/// large DEBUG HTSTATS reply right before it would leave the client's buffers in another
/// state).
///
/// `DEBUG HTSTATS` walks the whole key table and blocks Redis meanwhile (about 0.2 s at a
/// million keys), so it is asked once per round, and while a table is rehashing the wait
/// between asks is twice what the ask took, leaving the server time to rehash.
pub fn settle(conn: &mut Connection, db: i64, limit: Duration) -> anyhow::Result<Settled> {
    let started = Instant::now();
    let mut polls = 0;
    loop {
        if started.elapsed() > limit {
            anyhow::bail!(
                "memory did not settle within {limit:?} (still rehashing or used_memory still \
                 moving); raise hz in redis.conf"
            );
        }
        polls += 1;
        let asked = Instant::now();
        match rehashing(conn, db)? {
            Some(true) => {
                std::thread::sleep((asked.elapsed() * 2).max(Duration::from_millis(100)));
                continue;
            }
            Some(false) => {}
            None if !WARNED_NO_DEBUG.swap(true, std::sync::atomic::Ordering::Relaxed) => eprintln!(
                "warning: the server refuses DEBUG HTSTATS (enable-debug-command): settling \
                 on used_memory alone, which may still be rehashing"
            ),
            None => {}
        }
        if stable(conn, &mut polls)? {
            return Ok(Settled {
                seconds: started.elapsed().as_secs_f64(),
                polls,
            });
        }
    }
}

/// Whether used_memory stays the same over 5 polls 100 ms apart: the proof when nothing
/// else tells what the server may still be doing.
fn stable(conn: &mut Connection, polls: &mut u32) -> anyhow::Result<bool> {
    stable_over(conn, polls, 5, Duration::from_millis(100))
}

/// Whether used_memory stays the same over `count` polls `spacing` apart.
fn stable_over(
    conn: &mut Connection,
    polls: &mut u32,
    count: usize,
    spacing: Duration,
) -> anyhow::Result<bool> {
    let mut readings = Vec::with_capacity(count);
    for i in 0..count {
        if i > 0 {
            std::thread::sleep(spacing);
        }
        *polls += 1;
        readings.push(memory(conn)?.used_memory);
    }
    Ok(readings.windows(2).all(|w| w[0] == w[1]))
}

/// Waits until the server has freed every client but `clients` (the loading connection
/// closes asynchronously: its buffers count until Redis has read its end).
fn clients_down_to(
    conn: &mut Connection,
    clients: u64,
    polls: &mut u32,
    deadline: Instant,
) -> anyhow::Result<()> {
    loop {
        *polls += 1;
        let connected = number(&info(conn, "clients")?, "connected_clients")?;
        if connected <= clients {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "{connected} clients still connected after priming, {clients} expected: \
                 the loading connection did not close"
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A key table this large is watched through used_memory instead of DEBUG HTSTATS (which
/// costs 50 ms from here on): its old bucket array (8 B a slot, 2 MiB or more) is one
/// allocation whose free no other event of a settling server matches to the byte.
const WATCHED_TABLE: u64 = 1 << 18;

/// The bytes of the bucket array a table of `n` entries frees when its last rehash ends,
/// if that rehash is likely still running after priming: the table doubled at
/// `next_power_of_two(n) / 2` entries, and every insert since moved a bucket or more, so
/// past half again as many inserts it has usually finished (and is asked instead).
fn pending_free(n: u64) -> Option<u64> {
    let old = n.next_power_of_two() / 2;
    (n > WATCHED_TABLE && n - old < old / 2).then_some(8 * old)
}

/// [`settle`] for a server that has only seen inserts since it was empty (priming): then a
/// table of `n` entries that is rehashing grows from `next_power_of_two(n) / 2` slots, and
/// its rehash ends when exactly that old array is freed. Those frees are watched in
/// used_memory every 20 ms, which costs Redis nothing, instead of asking DEBUG HTSTATS,
/// which blocks Redis (and its rehashing) for 0.2 s a million keys. When a table is small
/// or likely rehashed already ([`pending_free`]), or a free does not come within its
/// patience, it asks as [`settle`] does.
///
/// Only the tables' own frees are trusted: a table whose rehash already ended, or any other
/// free, leaves a table unmatched until its patience runs out.
pub fn settle_after_inserts(
    conn: &mut Connection,
    db: i64,
    clients: u64,
    limit: Duration,
) -> anyhow::Result<Settled> {
    let started = Instant::now();
    let mut polls = 0;
    clients_down_to(conn, clients, &mut polls, started + limit)?;
    let (keys, expires) = keyspace(conn, db)?;
    let tables: Vec<u64> = [keys, expires].into_iter().filter(|&n| n > 0).collect();
    let mut pending: Vec<u64> = tables.iter().filter_map(|&n| pending_free(n)).collect();
    polls += 1;
    if pending.len() == tables.len() {
        // Rehashing a million slots takes Redis about a second here, more under load.
        let patience =
            |bytes: u64| Duration::from_millis(300) + Duration::from_nanos(bytes / 8 * 1_500);
        let mut last = memory(conn)?.used_memory;
        let mut progress = Instant::now();
        while let Some(&largest) = pending.iter().max() {
            if progress.elapsed() > patience(largest) || started.elapsed() > limit {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
            polls += 1;
            let now = memory(conn)?.used_memory;
            let freed = last.saturating_sub(now);
            last = now;
            if freed == pending.iter().sum::<u64>() {
                pending.clear();
            } else if let Some(i) = pending.iter().position(|&b| b == freed) {
                pending.remove(i);
            } else if pending.iter().any(|&b| freed >= b) {
                // A table's free together with another in one poll: DEBUG HTSTATS tells
                // now, instead of after the patience.
                break;
            } else {
                continue;
            }
            progress = Instant::now();
        }
        // The tables are rehashed and every other client is freed: what the polls guard
        // against is left to the server's timer (client buffers), which runs every 2 ms at
        // the benchmark's hz 500, so 3 polls 50 ms apart prove it as well as 5 at 100 ms.
        // Without a client count (`u64::MAX`: a --url server's other clients) the long
        // proof stays.
        let proven = if clients == u64::MAX {
            stable(conn, &mut polls)?
        } else {
            stable_over(conn, &mut polls, 3, Duration::from_millis(50))?
        };
        if pending.is_empty() && proven {
            return Ok(Settled {
                seconds: started.elapsed().as_secs_f64(),
                polls,
            });
        }
    }
    let rest = settle(conn, db, limit.saturating_sub(started.elapsed()))?;
    Ok(Settled {
        seconds: started.elapsed().as_secs_f64(),
        polls: polls + rest.polls,
    })
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

#[cfg(test)]
mod tests {
    #[test]
    fn only_large_tables_that_doubled_lately_are_watched() {
        // all.toml: 1.1 M keys doubled at 1,048,576 (an 8 MiB array); 1 M doubled at 524,288
        // and has had 476 k inserts since; 10,010 hash buckets are asked.
        assert_eq!(super::pending_free(1_100_000), Some(8 << 20));
        assert_eq!(super::pending_free(1_000_000), None);
        assert_eq!(super::pending_free(10_010), None);
        assert_eq!(super::pending_free(600_000), Some(8 * 524_288));
    }
}
