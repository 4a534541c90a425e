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

/// How a settled figure is proven: used_memory the same over `count` polls `spacing` apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proof {
    count: usize,
    spacing: Duration,
}

impl Proof {
    /// 5 polls 100 ms apart: for a server with clients redisadv does not know (`--url`).
    pub const SHARED: Proof = Proof {
        count: 5,
        spacing: Duration::from_millis(100),
    };

    /// For a private server whose only clients are redisadv's: what the polls guard against
    /// is left to the server's timer (client buffers), so 3 polls 5 timer ticks apart, and
    /// at least 50 ms, prove it as well (50 ms at the benchmark's hz 500, 500 ms at hz 10).
    /// Ask it before the empty figure only: on Redis 7.0 a later CONFIG GET can free 32 B.
    pub fn private(conn: &mut Connection) -> Proof {
        let hz = config_number(conn, "hz").unwrap_or(10).clamp(1, 500);
        Proof {
            count: 3,
            spacing: Duration::from_millis(5_000 / hz).max(Duration::from_millis(50)),
        }
    }

    /// Whether used_memory stays the same over the polls.
    fn holds(self, conn: &mut Connection, polls: &mut u32) -> anyhow::Result<bool> {
        let mut readings = Vec::with_capacity(self.count);
        for i in 0..self.count {
            if i > 0 {
                std::thread::sleep(self.spacing);
            }
            *polls += 1;
            readings.push(memory(conn)?.used_memory);
        }
        Ok(readings.windows(2).all(|w| w[0] == w[1]))
    }
}

/// [`settle_with`] and the [`Proof::SHARED`] proof.
pub fn settle(conn: &mut Connection, db: i64, limit: Duration) -> anyhow::Result<Settled> {
    settle_with(conn, db, limit, Proof::SHARED)
}

/// Waits until no key table is rehashing and then `proof` holds, or fails after `limit`.
/// Nothing rehashes again without writes, and the figure read next comes after the same
/// INFO polls on the empty and the loaded server (a large DEBUG HTSTATS reply right before
/// it would leave the client's buffers in another state).
///
/// `DEBUG HTSTATS` walks the whole key table and blocks Redis meanwhile (about 0.2 s at a
/// million keys), so it is asked once per round, and while a table is rehashing the wait
/// between asks is twice what the ask took, leaving the server time to rehash.
pub fn settle_with(
    conn: &mut Connection,
    db: i64,
    limit: Duration,
    proof: Proof,
) -> anyhow::Result<Settled> {
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
        if proof.holds(conn, &mut polls)? {
            return Ok(Settled {
                seconds: started.elapsed().as_secs_f64(),
                polls,
            });
        }
    }
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

/// The bytes of old bucket arrays the key tables still hold while Redis rehashes them:
/// zero once no table of the server is rehashing. `None` when INFO cannot tell.
///
/// Redis 7.4+ and Valkey 8+ say it (`mem_overhead_db_hashtable_rehashing`). Redis 7.0-7.2
/// do not, but their `used_memory_overhead` counts each table of database `db` as 24 B an
/// entry, 8 B a slot (both arrays while rehashing) and, in the main table, 16 B a key
/// object. After inserts only, a table of `n` entries has `max(4, next_power_of_two(n))`
/// slots and, while rehashing, half as many more. So what the overhead holds beyond the
/// other parts INFO lists and that formula is the backlog, and it must be 0 or one of the
/// old arrays' sums: any other figure (another database holding keys, a server counting
/// otherwise) is `None`.
pub fn rehash_backlog(memory: &HashMap<String, String>, keys: u64, expires: u64) -> Option<u64> {
    if let Some(bytes) = memory.get("mem_overhead_db_hashtable_rehashing") {
        return bytes.parse().ok();
    }
    let field = |name: &str| memory.get(name).and_then(|v| v.parse::<u64>().ok());
    let others = [
        "used_memory_startup",
        "mem_replication_backlog",
        "mem_clients_slaves",
        "mem_clients_normal",
        "mem_cluster_links",
        "mem_aof_buffer",
        "used_memory_scripts",
    ]
    .iter()
    .map(|name| field(name))
    .sum::<Option<u64>>()?;
    let slots = |n: u64| {
        if n == 0 {
            0
        } else {
            n.next_power_of_two().max(4)
        }
    };
    let tables =
        (keys > 0).then(|| keys * 40 + slots(keys) * 8 + expires * 24 + slots(expires) * 8);
    let excess = field("used_memory_overhead")?.checked_sub(others + tables.unwrap_or(0))?;
    let (old_keys, old_expires) = (slots(keys) / 2 * 8, slots(expires) / 2 * 8);
    [0, old_keys, old_expires, old_keys + old_expires]
        .contains(&excess)
        .then_some(excess)
}

/// [`settle_with`] for a server that has only seen inserts since it was empty (priming).
/// On a private server (`clients`: how many connections redisadv keeps) it waits until the
/// loading connection is freed (its buffers count until Redis has read its end). Then it reads the rehash backlog ([`rehash_backlog`]) from INFO every 10 ms, which
/// costs Redis nothing, instead of asking DEBUG HTSTATS, which blocks Redis (and its
/// rehashing) for 0.2 s a million keys. Where INFO cannot tell, it asks DEBUG HTSTATS as
/// [`settle_with`] does.
pub fn settle_after_inserts(
    conn: &mut Connection,
    db: i64,
    clients: Option<u64>,
    proof: Proof,
    limit: Duration,
) -> anyhow::Result<Settled> {
    let started = Instant::now();
    let mut polls = 0;
    if let Some(clients) = clients {
        clients_down_to(conn, clients, &mut polls, started + limit)?;
    }
    let (keys, expires) = keyspace(conn, db)?;
    loop {
        polls += 1;
        match rehash_backlog(&info(conn, "memory")?, keys, expires) {
            None => {
                let rest = settle_with(conn, db, limit.saturating_sub(started.elapsed()), proof)?;
                return Ok(Settled {
                    seconds: started.elapsed().as_secs_f64(),
                    polls: polls + rest.polls,
                });
            }
            Some(0) => break,
            Some(_) if started.elapsed() > limit => anyhow::bail!(
                "the key tables were still rehashing after {limit:?}; raise hz in redis.conf"
            ),
            Some(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    if proof.holds(conn, &mut polls)? {
        return Ok(Settled {
            seconds: started.elapsed().as_secs_f64(),
            polls,
        });
    }
    let rest = settle_with(conn, db, limit.saturating_sub(started.elapsed()), proof)?;
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
    use std::collections::HashMap;

    fn info(fields: &[(&str, u64)]) -> HashMap<String, String> {
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_rehash_backlog_is_read_or_derived_from_info() {
        // Redis 7.4+ and Valkey say it.
        let newer = info(&[("mem_overhead_db_hashtable_rehashing", 8 << 20)]);
        assert_eq!(super::rehash_backlog(&newer, 1_100_000, 0), Some(8 << 20));
        // Redis 7.0, measured after 1.1 M SET .. EX: both 1 Mi-slot arrays, then none.
        let tables = 1_100_000 * 40 + (2 << 20) * 8 + 1_100_000 * 24 + (2 << 20) * 8;
        let redis70 = |excess: u64| {
            info(&[
                (
                    "used_memory_overhead",
                    876_224 + 200 + 2_048 + tables + excess,
                ),
                ("used_memory_startup", 876_224),
                ("used_memory_scripts", 200),
                ("mem_clients_normal", 2_048),
                ("mem_clients_slaves", 0),
                ("mem_replication_backlog", 0),
                ("mem_cluster_links", 0),
                ("mem_aof_buffer", 0),
            ])
        };
        let backlog = |excess| super::rehash_backlog(&redis70(excess), 1_100_000, 1_100_000);
        assert_eq!(backlog(16 << 20), Some(16 << 20));
        assert_eq!(backlog(8 << 20), Some(8 << 20));
        assert_eq!(backlog(0), Some(0));
        // Anything else (keys in another database, another formula) cannot be told.
        assert_eq!(backlog(4_096), None);
        let mut partial = redis70(0);
        partial.remove("mem_aof_buffer");
        assert_eq!(super::rehash_backlog(&partial, 1_100_000, 1_100_000), None);
    }
}
