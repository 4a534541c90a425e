//! Walks a database with SCAN, strictly read-only: per key PTTL, MEMORY USAGE and OBJECT
//! ENCODING, and one MGET for the page's values (one per hash slot on a cluster node), in
//! one pipelined round trip per SCAN page; the next page is requested before the current
//! one's replies are read, so Redis works while redisadv aggregates. Keys that are not strings (MGET gives nil) get TYPE and one
//! HSCAN page in a later round trip.

use super::conn::{ReadConn, int, text};
use crate::backend::resp::Value;
use redis::Cmd;

/// What SCAN asks for.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// `SCAN ... MATCH`.
    pub pattern: Option<String>,
    /// `SCAN ... COUNT`: keys per page (a hint).
    pub count: u64,
    /// Stop after this many keys (whole pages); `None`: the whole database.
    pub limit: Option<u64>,
    /// A cluster node: one MGET per hash slot of the page (an MGET across slots fails with
    /// CROSSSLOT), instead of one per page.
    pub cluster: bool,
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

/// How far the walk went.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanSummary {
    /// Keys observed.
    pub keys: u64,
    /// The share of the keyspace SCAN visited, from its cursor (1 when it finished).
    pub fraction: f64,
    pub commands: u64,
}

/// Commands queued per key in the first round trip (MGET comes once per page).
const PER_KEY: usize = 3;

struct Flight {
    scan: bool,
    keys: Vec<Vec<u8>>,
    /// The keys' indices per MGET, in the order the MGETs are sent.
    groups: Vec<Vec<usize>>,
    extras: Vec<Deferred>,
}

impl Flight {
    fn new(scan: bool, keys: Vec<Vec<u8>>, extras: Vec<Deferred>, cluster: bool) -> Flight {
        let groups = if keys.is_empty() {
            Vec::new()
        } else if cluster {
            by_slot(&keys)
        } else {
            vec![(0..keys.len()).collect()]
        };
        Flight {
            scan,
            keys,
            groups,
            extras,
        }
    }
}

/// The keys' indices grouped by hash slot, slots in first-appearance order.
fn by_slot(keys: &[Vec<u8>]) -> Vec<Vec<usize>> {
    let mut at = std::collections::HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let slot = crate::cluster::route::slot_of(key);
        let g = *at.entry(slot).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    groups
}

/// A key that GET refused (not a string): its first figures, waiting for TYPE and HSCAN.
struct Deferred {
    key: Vec<u8>,
    pttl: Option<i64>,
    memory: u64,
    encoding: String,
}

pub fn scan(
    conn: &mut ReadConn,
    options: &ScanOptions,
    observe: &mut dyn FnMut(&Observation),
) -> anyhow::Result<ScanSummary> {
    let mut summary = ScanSummary::default();
    let mut cursor: u64 = 0;
    let mut finished = false;
    let mut deferred: Vec<Deferred> = Vec::new();
    let mut outstanding = Flight::new(true, Vec::new(), Vec::new(), options.cluster);
    send(conn, &outstanding, cursor, options)?;
    loop {
        let mut new_keys = Vec::new();
        if outstanding.scan {
            let (next, keys) = scan_reply(conn.read()?)?;
            summary.fraction = if next == 0 {
                1.0
            } else {
                next.reverse_bits() as f64 / 2f64.powi(64)
            };
            cursor = next;
            finished = next == 0;
            new_keys = keys;
        }
        let limit_reached = options
            .limit
            .is_some_and(|l| summary.keys + (new_keys.len() as u64) >= l);
        let next = Flight::new(
            !finished && !limit_reached,
            new_keys,
            std::mem::take(&mut deferred),
            options.cluster,
        );
        let more = next.scan || !next.keys.is_empty() || !next.extras.is_empty();
        if more {
            summary.keys += next.keys.len() as u64;
            send(conn, &next, cursor, options)?;
        }
        read_keys(conn, &outstanding, &mut deferred, observe)?;
        if !more {
            if deferred.is_empty() {
                break;
            }
            outstanding = Flight::new(
                false,
                Vec::new(),
                std::mem::take(&mut deferred),
                options.cluster,
            );
            send(conn, &outstanding, cursor, options)?;
            continue;
        }
        outstanding = next;
    }
    if options.limit.is_some() && !finished {
        // Pages cut short by the limit: the fraction is where the last page read ended.
    } else {
        summary.fraction = 1.0;
    }
    summary.commands = conn.sent;
    Ok(summary)
}

fn send(
    conn: &mut ReadConn,
    flight: &Flight,
    cursor: u64,
    options: &ScanOptions,
) -> anyhow::Result<()> {
    if flight.scan {
        let mut cmd = redis::cmd("SCAN");
        cmd.arg(cursor);
        if let Some(p) = &options.pattern {
            cmd.arg("MATCH").arg(p);
        }
        cmd.arg("COUNT").arg(options.count);
        conn.queue(&cmd);
    }
    let mut cmd = Cmd::new();
    for key in &flight.keys {
        for name in ["PTTL", "MEMORY", "OBJECT"] {
            cmd.clear();
            cmd.arg(name);
            match name {
                "MEMORY" => cmd.arg("USAGE"),
                "OBJECT" => cmd.arg("ENCODING"),
                _ => &mut cmd,
            };
            cmd.arg(key.as_slice());
            conn.queue(&cmd);
        }
    }
    for group in &flight.groups {
        cmd.clear();
        cmd.arg("MGET");
        for &i in group {
            cmd.arg(flight.keys[i].as_slice());
        }
        conn.queue(&cmd);
    }
    for d in &flight.extras {
        conn.queue(redis::cmd("TYPE").arg(d.key.as_slice()));
        conn.queue(
            redis::cmd("HSCAN")
                .arg(d.key.as_slice())
                .arg(0)
                .arg("COUNT")
                .arg(16),
        );
    }
    conn.flush()
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

fn read_keys(
    conn: &mut ReadConn,
    flight: &Flight,
    deferred: &mut Vec<Deferred>,
    observe: &mut dyn FnMut(&Observation),
) -> anyhow::Result<()> {
    let mut replies = Vec::with_capacity(PER_KEY * flight.keys.len());
    for _ in 0..PER_KEY * flight.keys.len() {
        replies.push(conn.read()?);
    }
    let mut values = vec![Value::Nil; flight.keys.len()];
    for group in &flight.groups {
        match conn.read()? {
            Value::Array(got) if got.len() == group.len() => {
                for (&i, v) in group.iter().zip(got) {
                    values[i] = v;
                }
            }
            Value::Error(e) => anyhow::bail!("MGET: Redis answered: {e}"),
            other => anyhow::bail!("MGET answered {other:?}"),
        }
    }
    for (i, key) in flight.keys.iter().enumerate() {
        let r = &replies[i * PER_KEY..(i + 1) * PER_KEY];
        let pttl = int(&r[0]).unwrap_or(-2);
        if pttl == -2 {
            continue; // gone since SCAN listed it
        }
        if let Value::Error(e) = &r[1] {
            anyhow::bail!("MEMORY USAGE: Redis answered: {e}");
        }
        let memory = int(&r[1]).unwrap_or(0).max(0) as u64;
        let encoding = text(&r[2]).unwrap_or_default();
        let pttl = (pttl >= 0).then_some(pttl);
        match std::mem::replace(&mut values[i], Value::Nil) {
            Value::Bulk(b) => {
                let values = [b];
                observe(&Observation {
                    key,
                    kind: "string",
                    pttl,
                    memory,
                    encoding: &encoding,
                    values: &values,
                });
            }
            // Not a string (or deleted since): TYPE tells.
            _ => deferred.push(Deferred {
                key: key.clone(),
                pttl,
                memory,
                encoding,
            }),
        }
    }
    for d in &flight.extras {
        let kind = text(&conn.read()?).unwrap_or_default();
        let values: Vec<Vec<u8>> = match conn.read()? {
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
        };
        if kind == "none" {
            continue;
        }
        observe(&Observation {
            key: &d.key,
            kind: &kind,
            pttl: d.pttl,
            memory: d.memory,
            encoding: &d.encoding,
            values: &values,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_page_is_grouped_by_hash_slot() {
        let keys: Vec<Vec<u8>> = ["{a}:1", "b", "{a}:2", "c", "{a}:3"]
            .iter()
            .map(|k| k.as_bytes().to_vec())
            .collect();
        let groups = super::by_slot(&keys);
        assert_eq!(groups[0], vec![0, 2, 4]);
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), 5);
    }
}
