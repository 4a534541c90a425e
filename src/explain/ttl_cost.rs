//! The Redis TTL's own cost: the expires table. Derived from MEMORY STATS for free, or
//! measured by removing every TTL (PERSIST) after the figures are read and letting memory
//! settle.

use crate::probe::{self, TableStats};
use redis::Connection;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// jemalloc serves a 24-byte dict entry from its 32-byte class; MEMORY STATS counts 24.
pub const ENTRY_ROUNDING: u64 = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TtlCost {
    /// Keys with a TTL: entries of the expires table.
    pub expires_entries: u64,
    /// MEMORY STATS overhead.hashtable.expires (24 B per entry + 8 B per slot).
    pub stats_expires_bytes: u64,
    /// That plus the allocator's rounding of each entry to 32 B: the table's real size.
    pub derived_bytes: u64,
    /// used_memory given back when every TTL is removed (PERSIST) and memory settles, plus
    /// the emptied table Redis keeps; `None` when not measured.
    pub measured_bytes: Option<u64>,
    /// Seconds the measurement took (PERSIST and settling).
    pub measure_seconds: Option<f64>,
}

impl TtlCost {
    /// The figure the breakdown and the "why" use: measured when there is one.
    pub fn bytes(&self) -> u64 {
        self.measured_bytes.unwrap_or(self.derived_bytes)
    }

    pub fn method(&self) -> &'static str {
        if self.measured_bytes.is_some() {
            "measured (PERSIST, settled)"
        } else {
            "derived (MEMORY STATS + 8 B/entry)"
        }
    }
}

pub fn derived(stats: &TableStats, entries: u64) -> TtlCost {
    TtlCost {
        expires_entries: entries,
        stats_expires_bytes: stats.expires_table,
        derived_bytes: stats.expires_table + entries * ENTRY_ROUNDING,
        measured_bytes: None,
        measure_seconds: None,
    }
}

/// Removes the TTL of every key in `keys`, settles, and records what memory fell by.
/// Runs after every reported figure is read: it changes the server.
pub fn measure(
    conn: &mut Connection,
    db: i64,
    keys: &mut dyn Iterator<Item = String>,
    mut cost: TtlCost,
    settle_limit: Duration,
) -> anyhow::Result<TtlCost> {
    let started = Instant::now();
    let before = probe::memory(conn)?.used_memory;
    let mut chunk = Vec::with_capacity(10_000);
    loop {
        chunk.clear();
        chunk.extend((&mut *keys).take(10_000));
        if chunk.is_empty() {
            break;
        }
        probe::persist(conn, &chunk)?;
    }
    probe::settle(conn, db, settle_limit)?;
    let after = probe::memory(conn)?.used_memory;
    let left = probe::memory_stats(conn, db)?.expires_table;
    cost.measured_bytes = Some(before.saturating_sub(after) + left);
    cost.measure_seconds = Some(started.elapsed().as_secs_f64());
    Ok(cost)
}
