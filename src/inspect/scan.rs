//! Walks a database with SCAN, strictly read-only and gently: per key TYPE, PTTL, MEMORY
//! USAGE (SAMPLES 0 when exact, 1000 in a sample) and OBJECT ENCODING, then each type's own read (GET, or
//! GETRANGE pieces for a value larger than one read; one HSCAN page for a hash; nothing for
//! other types, so no command ever meets a key of the wrong type). Every round trip's replies
//! are sized to a small share of the server's memory headroom ([`super::budget`]), because a
//! reply waiting in the client output buffer counts toward maxmemory; INFO's evicted_keys is
//! watched after every page and the walk stops at the first eviction. SCAN itself is bounded
//! by the keys it may list and by a deadline.

use super::budget::{Budget, Capabilities};
use super::conn::{ReadConn, int, text};
use crate::backend::resp::Value;
use redis::Cmd;
use std::time::{Duration, Instant};

/// What SCAN asks for.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// `SCAN ... MATCH`.
    pub pattern: Option<String>,
    /// `SCAN ... COUNT`: keys per page (a hint; lowered when the headroom is small).
    pub count: u64,
    /// Stop after this many keys (whole pages); `None`: the whole database.
    pub limit: Option<u64>,
    /// A cluster node (values are read with one GET per key, which never crosses slots).
    pub cluster: bool,
    /// MEMORY USAGE ... SAMPLES 0: exact for aggregates (hashes, lists, sets, zsets), where
    /// the default samples 5 elements.
    pub exact: bool,
}

/// One key as read.
#[derive(Debug)]
pub struct Observation<'a> {
    pub key: &'a [u8],
    pub kind: &'a str,
    /// Milliseconds left, or `None` without a TTL.
    pub pttl: Option<i64>,
    /// MEMORY USAGE.
    pub memory: u64,
    pub encoding: &'a str,
    /// A string's value, or the first values of a hash (one HSCAN page).
    pub values: &'a [Vec<u8>],
}

/// How far the walk went, and how it read.
#[derive(Debug, Clone, Default)]
pub struct ScanSummary {
    /// Keys observed.
    pub keys: u64,
    /// The share of the keyspace SCAN visited, from its cursor (1 when it finished).
    pub fraction: f64,
    pub commands: u64,
    /// CLIENT NO-TOUCH was on: reading values left the keys' LRU/LFU clocks alone.
    pub no_touch: bool,
    /// Figures inspect could not read on this server, each with its cause.
    pub unknown: Vec<String>,
    /// Why NO-TOUCH is off, when it is.
    pub touch_cause: Option<String>,
    /// The largest reply one round trip was allowed (bytes).
    pub read_budget: u64,
}

/// A key's first figures, before its value is read.
struct Meta {
    key: Vec<u8>,
    kind: String,
    pttl: Option<i64>,
    memory: u64,
    encoding: String,
}

/// RESP bytes a key's four first replies take at most, besides the key itself.
const META_REPLY_BYTES: u64 = 64;

/// MEMORY USAGE's SAMPLES when only a sample of keys is read.
pub const SAMPLE_ELEMENTS: u64 = 1000;

/// Fields of a hash read for its formats (one HSCAN page).
const HASH_FIELDS: u64 = 16;

/// The largest DBSIZE the walk's bounds believe: 2^32 keys, more than any one server
/// holds, and a deadline of about 50 days.
const MAX_DBSIZE: u64 = 1 << 32;

pub fn scan(
    conn: &mut ReadConn,
    options: &ScanOptions,
    observe: &mut dyn FnMut(&Observation),
) -> anyhow::Result<ScanSummary> {
    let caps = Capabilities::probe(conn)?;
    let budget = Budget::read(conn)?;
    let mut summary = ScanSummary {
        no_touch: caps.no_touch,
        unknown: caps.unknown(),
        read_budget: budget.per_read,
        ..ScanSummary::default()
    };
    let dbsize = int(&conn.must(&redis::cmd("DBSIZE"), "DBSIZE")?)
        .unwrap_or(0)
        .max(0) as u64;
    // SCAN lists each key once or a few times (a rehash may repeat some); a server whose
    // cursor never returns to 0 is stopped by these bounds. They follow the server's own
    // DBSIZE, taken as at most MAX_DBSIZE so that no answer makes them endless.
    let sized = dbsize.min(MAX_DBSIZE);
    let key_bound = 4 * sized + 100_000;
    let started = Instant::now();
    let deadline = Duration::from_secs(600) + Duration::from_millis(sized);
    let count = options.count.min((budget.per_read / 100).max(10));
    let mut cursor: u64 = 0;
    let mut listed: u64 = 0;
    let mut pages: u64 = 0;
    let mut types = caps.has_type;
    let mut object = caps.has_object;
    loop {
        let mut cmd = redis::cmd("SCAN");
        cmd.arg(cursor);
        if let Some(p) = &options.pattern {
            cmd.arg("MATCH").arg(p);
        }
        cmd.arg("COUNT").arg(count);
        let (next, keys) = scan_reply(conn.one(&cmd)?)?;
        pages += 1;
        listed += keys.len() as u64;
        summary.fraction = if next == 0 {
            1.0
        } else {
            next.reverse_bits() as f64 / 2f64.powi(64)
        };
        cursor = next;
        let metas = read_meta(conn, keys, options, &budget, &mut types, &mut object)?;
        summary.keys += metas.len() as u64;
        read_values(conn, &metas, &budget, observe)?;
        if next == 0 {
            break;
        }
        budget.check_evictions(conn, summary.keys)?;
        if options.limit.is_some_and(|l| summary.keys >= l) {
            break;
        }
        if listed > key_bound || pages > key_bound / count.max(1) + 10_000 {
            anyhow::bail!(
                "SCAN did not finish: {pages} pages listed {listed} keys on a database of \
                 {dbsize} keys (DBSIZE) and the cursor never came back to 0; inspect stopped \
                 rather than walk forever (is this a Redis server, or a proxy that rewrites \
                 SCAN?)"
            );
        }
        if started.elapsed() > deadline {
            anyhow::bail!(
                "SCAN did not finish within {} s ({pages} pages, {} keys read of {dbsize}); \
                 inspect stopped. Use --sample N to read part of the keyspace",
                deadline.as_secs(),
                summary.keys
            );
        }
    }
    if !types && caps.has_type {
        summary
            .unknown
            .push("types and values: TYPE was refused, so no value was read".into());
    }
    if !object && caps.has_object {
        summary
            .unknown
            .push("encodings: OBJECT ENCODING was refused".into());
    }
    summary.touch_cause = caps.touch_cause.clone();
    budget.check_evictions(conn, summary.keys)?;
    if options.limit.is_none() || cursor == 0 {
        summary.fraction = 1.0;
    }
    summary.commands = conn.sent;
    Ok(summary)
}

/// TYPE, PTTL, MEMORY USAGE and OBJECT ENCODING of `keys`, in round trips whose replies fit
/// the budget. A refused TYPE or OBJECT is asked no more (its figure becomes unknown); a
/// refused PTTL or MEMORY USAGE ends the walk, naming the command.
fn read_meta(
    conn: &mut ReadConn,
    keys: Vec<Vec<u8>>,
    options: &ScanOptions,
    budget: &Budget,
    types: &mut bool,
    object: &mut bool,
) -> anyhow::Result<Vec<Meta>> {
    let mut metas = Vec::with_capacity(keys.len());
    let mut at = 0;
    while at < keys.len() {
        let mut bytes = 0;
        let mut end = at;
        while end < keys.len() && (end == at || bytes < budget.per_read) {
            bytes += META_REPLY_BYTES + keys[end].len() as u64;
            end += 1;
        }
        let (send_type, send_object) = (*types, *object);
        let mut cmd = Cmd::new();
        for key in &keys[at..end] {
            if send_type {
                conn.queue(redis::cmd("TYPE").arg(key.as_slice()));
            }
            conn.queue(redis::cmd("PTTL").arg(key.as_slice()));
            cmd.clear();
            cmd.arg("MEMORY").arg("USAGE").arg(key.as_slice());
            // A sample: SAMPLES 1000 is exact for aggregates of up to 1,000 elements (Redis's
            // default 5 read rq's job hashes 4.9% low, outside every interval) and bounds the
            // server's work on larger ones.
            cmd.arg("SAMPLES")
                .arg(if options.exact { 0 } else { SAMPLE_ELEMENTS });
            conn.queue(&cmd);
            if send_object {
                conn.queue(redis::cmd("OBJECT").arg("ENCODING").arg(key.as_slice()));
            }
        }
        conn.flush()?;
        for key in &keys[at..end] {
            let kind = if send_type {
                match conn.read()? {
                    Value::Error(_) => {
                        *types = false;
                        "unknown".to_string()
                    }
                    v => text(&v).unwrap_or_default(),
                }
            } else {
                "unknown".to_string()
            };
            let pttl = match conn.read()? {
                Value::Error(e) => anyhow::bail!(
                    "PTTL: Redis answered: {e}. inspect needs PTTL to tell keys with a TTL \
                     from keys without (allow it to this user: +pttl)"
                ),
                v => int(&v).unwrap_or(-2),
            };
            let memory = match conn.read()? {
                Value::Error(e) => anyhow::bail!(
                    "MEMORY USAGE: Redis answered: {e}. inspect needs MEMORY USAGE for every \
                     figure in bytes (allow it to this user: +memory|usage)"
                ),
                v => int(&v),
            };
            let encoding = if send_object {
                match conn.read()? {
                    Value::Error(_) => {
                        *object = false;
                        "unknown".to_string()
                    }
                    v => text(&v).unwrap_or_else(|| "unknown".into()),
                }
            } else {
                "unknown".to_string()
            };
            // Gone since SCAN listed it.
            if pttl == -2 || kind == "none" || memory.is_none() {
                continue;
            }
            metas.push(Meta {
                key: key.clone(),
                kind,
                pttl: (pttl >= 0).then_some(pttl),
                memory: memory.unwrap_or(0).max(0) as u64,
                encoding,
            });
        }
        at = end;
    }
    Ok(metas)
}

/// Each key's value as its type allows, in round trips whose replies fit the budget (a
/// key's MEMORY USAGE bounds its value), then the observations in SCAN's order.
fn read_values(
    conn: &mut ReadConn,
    metas: &[Meta],
    budget: &Budget,
    observe: &mut dyn FnMut(&Observation),
) -> anyhow::Result<()> {
    let mut at = 0;
    while at < metas.len() {
        // The keys of this round trip: at least one, until their values fill the budget.
        let mut bytes = 0;
        let mut end = at;
        while end < metas.len() && (end == at || bytes + read_size(&metas[end]) <= budget.per_read)
        {
            bytes += read_size(&metas[end]);
            end += 1;
        }
        let mut whole = Vec::with_capacity(end - at);
        for m in &metas[at..end] {
            let one_read = m.memory <= budget.per_read;
            match m.kind.as_str() {
                "string" if one_read => conn.queue(redis::cmd("GET").arg(m.key.as_slice())),
                "hash" => conn.queue(
                    redis::cmd("HSCAN")
                        .arg(m.key.as_slice())
                        .arg(0)
                        .arg("COUNT")
                        .arg(if one_read { HASH_FIELDS } else { 1 }),
                ),
                _ => {}
            }
            whole.push(one_read);
        }
        conn.flush()?;
        for (m, one_read) in metas[at..end].iter().zip(whole) {
            let values: Vec<Vec<u8>> = match m.kind.as_str() {
                "string" if one_read => match conn.read()? {
                    Value::Bulk(b) => vec![b],
                    Value::Error(e) if !e.starts_with("WRONGTYPE") => anyhow::bail!(
                        "GET: Redis answered: {e}. inspect reads string values for their \
                         formats (allow it to this user: +get +getrange)"
                    ),
                    _ => continue, // changed type or gone since TYPE
                },
                "string" => match read_in_pieces(conn, m, budget.per_read)? {
                    Some(b) => vec![b],
                    None => continue,
                },
                "hash" => hscan_values(conn.read()?),
                _ => Vec::new(),
            };
            observe(&Observation {
                key: &m.key,
                kind: &m.kind,
                pttl: m.pttl,
                memory: m.memory,
                encoding: &m.encoding,
                values: &values,
            });
        }
        at = end;
    }
    Ok(())
}

/// The reply bytes a key's value read may take (its MEMORY USAGE bounds it; other types
/// are not read).
fn read_size(m: &Meta) -> u64 {
    match m.kind.as_str() {
        "string" | "hash" => m.memory,
        _ => 0,
    }
}

/// A string larger than one read, in GETRANGE pieces of at most `piece` bytes, so the
/// server never holds more than one piece for this client. `None` when it changed type.
/// The value is no longer than its MEMORY USAGE: a server that keeps answering past it
/// (a value growing while read, or not a Redis server) ends the walk.
fn read_in_pieces(conn: &mut ReadConn, m: &Meta, piece: u64) -> anyhow::Result<Option<Vec<u8>>> {
    let key = m.key.as_slice();
    let mut value = Vec::new();
    loop {
        if value.len() as u64 > m.memory {
            anyhow::bail!(
                "GETRANGE on {}: {} bytes read and the value goes on, more than its MEMORY \
                 USAGE of {} bytes; inspect stopped rather than read without end (is this a \
                 Redis server?)",
                crate::report::cell::printable(&String::from_utf8_lossy(key)),
                value.len(),
                m.memory
            );
        }
        let from = value.len() as u64;
        let reply = conn.one(
            redis::cmd("GETRANGE")
                .arg(key)
                .arg(from)
                .arg(from + piece - 1),
        )?;
        match reply {
            Value::Bulk(b) => {
                let last = (b.len() as u64) < piece;
                value.extend_from_slice(&b);
                if last {
                    return Ok(Some(value));
                }
            }
            _ => return Ok(None),
        }
    }
}

/// The field values of one HSCAN reply (`[cursor, [field, value, ...]]`).
pub(crate) fn hscan_values(v: Value) -> Vec<Vec<u8>> {
    match v {
        Value::Array(mut parts) if parts.len() == 2 => match parts.pop() {
            Some(Value::Array(items)) => items
                .into_iter()
                .skip(1)
                .step_by(2)
                .filter_map(|v| match v {
                    Value::Bulk(b) => Some(b),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn scan_reply(v: Value) -> anyhow::Result<(u64, Vec<Vec<u8>>)> {
    let Value::Array(mut parts) = v else {
        match v {
            Value::Error(e) => anyhow::bail!("SCAN: Redis answered: {e}"),
            other => anyhow::bail!("SCAN answered {other:?}"),
        }
    };
    let keys = match parts.pop() {
        Some(Value::Array(keys)) => keys
            .into_iter()
            .filter_map(|k| match k {
                Value::Bulk(b) => Some(b),
                _ => None,
            })
            .collect(),
        _ => anyhow::bail!("SCAN answered without keys"),
    };
    let cursor = parts
        .first()
        .and_then(text)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("SCAN answered without a cursor"))?;
    Ok((cursor, keys))
}
