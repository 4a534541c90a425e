//! The baseline of whatif's savings: the sampled values exactly as they are stored today,
//! written to a private server of the grid's configuration and measured the way the
//! variants are (settled used_memory after minus before). Comparing a variant with
//! inspect's MEMORY USAGE sum instead would mix two methods: MEMORY USAGE leaves out the
//! key table's slots and allocator rounding that used_memory counts.

use crate::dataset::sample::Sample;
use crate::probe;
use crate::scenario::Scenario;
use crate::server::{RedisServer, ServerOptions};
use anyhow::Context;
use std::time::Duration;

const SETTLE_LIMIT: Duration = Duration::from_secs(180);

/// A TTL at least this long (ms) so that nothing expires while it is measured; a TTL's
/// memory does not depend on its length.
const MIN_TTL_MS: i64 = 3_600_000;

/// Bytes the sample's stored values add to an empty server, settled.
pub fn measure(sample: &Sample, grid: &Scenario) -> anyhow::Result<u64> {
    let mut values = Vec::with_capacity(sample.records.len());
    for r in &sample.records {
        let stored = hex::decode(&r.stored)
            .with_context(|| format!("sample record {}: stored is not hex", r.key))?;
        values.push(stored);
    }
    measure_values(sample, &values, grid)
}

/// Bytes the sample's records add to an empty server, settled, each written under its own
/// key and TTL with `values[i]` as its value (the stored bytes, or a library variant's).
pub fn measure_values(sample: &Sample, values: &[Vec<u8>], grid: &Scenario) -> anyhow::Result<u64> {
    let server = RedisServer::start(&ServerOptions {
        binary: grid
            .server
            .binary
            .clone()
            .unwrap_or_else(crate::server::default_binary),
        config_file: Some(grid.server.config_file.clone()),
        overrides: grid.server.overrides.clone(),
        ..ServerOptions::default()
    })?;
    let mut conn = server.connect()?;
    probe::freeze_reply_buffers(&mut conn);
    // The same proof as a variant's on its private server: asked once, before the empty
    // figure; after the writes, the rehash backlog from INFO, then the proof.
    let proof = probe::Proof::private(&mut conn);
    probe::settle_with(&mut conn, 0, SETTLE_LIMIT, proof)?;
    let empty = probe::memory(&mut conn)?.used_memory;
    for (chunk, bytes) in sample.records.chunks(1000).zip(values.chunks(1000)) {
        let mut pipe = redis::pipe();
        for (r, value) in chunk.iter().zip(bytes) {
            let cmd = pipe.cmd("SET").arg(&r.key).arg(value.as_slice());
            if let Some(ms) = r.ttl_ms {
                cmd.arg("PX").arg(ms.max(MIN_TTL_MS));
            }
            cmd.ignore();
        }
        pipe.query::<()>(&mut conn)
            .context("writing the sampled records")?;
    }
    // The values went over this connection, the only client.
    probe::settle_after_inserts(&mut conn, 0, Some(1), proof, SETTLE_LIMIT)?;
    let loaded = probe::memory(&mut conn)?.used_memory;
    Ok(loaded.saturating_sub(empty))
}
