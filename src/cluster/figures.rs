//! What a cluster run reports beside the summed figures: each node's share, the skew, the
//! engine's fixed cost per non-empty slot, and the slots that hold the most memory.

use super::nodes::{Cluster, SLOTS};
use super::route::slot_of;
use crate::probe;
pub use crate::report::cluster::{ClusterFigures, NodeFigures, SlotBaseline, SlotFigure};
use redis::Connection;
use std::time::Duration;

/// How many slots the report lists by memory.
pub const TOP_SLOTS: usize = 10;

/// The skew: max over mean; 0 when nothing was stored.
pub fn skew(bytes: &[u64]) -> f64 {
    let total: u64 = bytes.iter().sum();
    if total == 0 || bytes.is_empty() {
        return 0.0;
    }
    let mean = total as f64 / bytes.len() as f64;
    *bytes.iter().max().expect("not empty") as f64 / mean
}

/// Each node's settling proof, asked once before its empty figure ([`probe::Proof::private`]).
pub fn proofs(conns: &mut [Connection]) -> Vec<probe::Proof> {
    conns.iter_mut().map(probe::Proof::private).collect()
}

/// Where the nodes are when they are settled: what bench's one server does at each stage.
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    /// Empty (or just flushed): [`probe::settle_with`] and the node's proof.
    Empty,
    /// Only inserts since empty, with this many clients per node left once the loading
    /// connections are freed: [`probe::settle_after_inserts`] (the rehash backlog from INFO,
    /// then the node's proof).
    Inserted { clients: u64 },
}

/// Settles every node at once, each by the same proof as a variant on one private server.
pub fn settle_all(
    conns: &mut [Connection],
    proofs: &[probe::Proof],
    stage: Stage,
    limit: Duration,
) -> anyhow::Result<f64> {
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        let handles: Vec<_> = conns
            .iter_mut()
            .zip(proofs)
            .enumerate()
            .map(|(i, (conn, &proof))| {
                scope.spawn(move || {
                    match stage {
                        Stage::Empty => probe::settle_with(conn, 0, limit, proof),
                        Stage::Inserted { clients } => {
                            probe::settle_after_inserts(conn, 0, Some(clients), proof, limit)
                        }
                    }
                    .map_err(|e| e.context(format!("cluster node {i}")))
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("settle does not panic").map(|_| ()))
    })?;
    Ok(started.elapsed().as_secs_f64())
}

/// `CLUSTER SLOT-STATS ORDERBY memory-bytes` on every node, the largest [`TOP_SLOTS`] of
/// the whole cluster.
pub fn top_slots(conns: &mut [Connection]) -> anyhow::Result<Vec<SlotFigure>> {
    let mut all = Vec::new();
    for (node, conn) in conns.iter_mut().enumerate() {
        let reply: redis::Value = redis::cmd("CLUSTER")
            .arg("SLOT-STATS")
            .arg("ORDERBY")
            .arg("memory-bytes")
            .arg("LIMIT")
            .arg(TOP_SLOTS)
            .query(conn)
            .map_err(|e| anyhow::anyhow!("CLUSTER SLOT-STATS on node {node}: {e}"))?;
        all.extend(parse_slot_stats(&reply, node));
    }
    all.sort_by(|a, b| {
        b.memory_bytes
            .cmp(&a.memory_bytes)
            .then(a.slot.cmp(&b.slot))
    });
    all.truncate(TOP_SLOTS);
    Ok(all)
}

/// `[[slot, [name, value, ...]], ...]` (a map instead of the inner list under RESP3).
fn parse_slot_stats(reply: &redis::Value, node: usize) -> Vec<SlotFigure> {
    use redis::Value;
    let number = |v: &Value| match v {
        Value::Int(n) => *n as u64,
        _ => 0,
    };
    let Value::Array(rows) = reply else {
        return Vec::new();
    };
    rows.iter()
        .filter_map(|row| {
            let Value::Array(parts) = row else {
                return None;
            };
            let slot = number(parts.first()?) as u16;
            let pairs: Vec<(String, u64)> = match parts.get(1)? {
                Value::Array(items) => items
                    .chunks(2)
                    .filter_map(|p| Some((name(p.first()?), number(p.get(1)?))))
                    .collect(),
                Value::Map(items) => items.iter().map(|(k, v)| (name(k), number(v))).collect(),
                _ => return None,
            };
            let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map_or(0, |(_, v)| *v);
            Some(SlotFigure {
                slot,
                node,
                memory_bytes: get("memory-bytes"),
                keys: get("key-count"),
            })
        })
        .collect()
}

fn name(v: &redis::Value) -> String {
    match v {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        redis::Value::SimpleString(s) => s.clone(),
        _ => String::new(),
    }
}

/// Empties every node and measures [`SlotBaseline`]. Run last: it removes the variant's
/// records.
pub fn slot_baseline(
    cluster: &Cluster,
    conns: &mut [Connection],
    proofs: &[probe::Proof],
    limit: Duration,
) -> anyhow::Result<SlotBaseline> {
    // Keys of one length (8 bytes) in both sets, so only the slots differ.
    let every: Vec<String> = one_key_per_slot();
    let one: Vec<String> = (0..SLOTS as u32).map(|i| format!("{{a}}{i:05x}")).collect();
    let mut over_empty = |keys: &[String]| -> anyhow::Result<u64> {
        for conn in conns.iter_mut() {
            redis::cmd("FLUSHALL").arg("SYNC").query::<()>(conn)?;
        }
        settle_all(conns, proofs, Stage::Empty, limit)?;
        let empty = used_memory(conns)?;
        let mut pipes: Vec<redis::Pipeline> = conns.iter().map(|_| redis::pipe()).collect();
        for key in keys {
            let node = cluster.owner(slot_of(key.as_bytes()));
            pipes[node].cmd("SET").arg(key).arg("1").ignore();
        }
        for (conn, pipe) in conns.iter_mut().zip(&pipes) {
            if pipe.cmd_iter().next().is_some() {
                pipe.query::<()>(conn)?;
            }
        }
        settle_all(conns, proofs, Stage::Inserted { clients: 1 }, limit)?;
        Ok(used_memory(conns)?.saturating_sub(empty))
    };
    let every_slot_bytes = over_empty(&every)?;
    let one_slot_bytes = over_empty(&one)?;
    Ok(SlotBaseline {
        every_slot_bytes,
        one_slot_bytes,
        per_slot_bytes: (every_slot_bytes as f64 - one_slot_bytes as f64) / (SLOTS as f64 - 1.0),
    })
}

fn used_memory(conns: &mut [Connection]) -> anyhow::Result<u64> {
    conns
        .iter_mut()
        .map(|c| probe::memory(c).map(|m| m.used_memory))
        .sum()
}

/// One 8-byte key per slot, `{xxxxxx}`: the first six-hex-digit tag that lands in each.
fn one_key_per_slot() -> Vec<String> {
    let mut keys: Vec<Option<String>> = vec![None; SLOTS as usize];
    let mut missing = SLOTS as usize;
    for n in 0u32.. {
        let key = format!("{{{n:06x}}}");
        let slot = slot_of(key.as_bytes()) as usize;
        if keys[slot].is_none() {
            keys[slot] = Some(key);
            missing -= 1;
            if missing == 0 {
                break;
            }
        }
    }
    keys.into_iter().map(|k| k.expect("every slot")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_gets_one_key_of_eight_bytes() {
        let keys = one_key_per_slot();
        assert_eq!(keys.len(), SLOTS as usize);
        for (slot, key) in keys.iter().enumerate() {
            assert_eq!(key.len(), 8);
            assert_eq!(slot_of(key.as_bytes()) as usize, slot);
        }
    }

    #[test]
    fn skew_is_max_over_mean() {
        assert_eq!(skew(&[20, 50, 30]), 1.5);
        assert_eq!(skew(&[10, 10, 10]), 1.0);
        assert_eq!(skew(&[0, 0]), 0.0);
    }

    #[test]
    fn slot_stats_replies_are_read() {
        use redis::Value::{Array, BulkString, Int};
        let reply = Array(vec![Array(vec![
            Int(42),
            Array(vec![
                BulkString(b"key-count".to_vec()),
                Int(3),
                BulkString(b"memory-bytes".to_vec()),
                Int(4096),
            ]),
        ])]);
        let got = parse_slot_stats(&reply, 1);
        assert_eq!(
            got,
            vec![SlotFigure {
                slot: 42,
                node: 1,
                memory_bytes: 4096,
                keys: 3
            }]
        );
    }
}
