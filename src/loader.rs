//! Primes a server with a dataset through the backend's command plan: every set_multi call
//! becomes exactly the commands Python would send for it, streamed many calls per round trip
//! (never merged), with a progress bar.

use crate::backend::{BackendConfig, PipeStream, plan};
use crate::codec::Metadata;
use crate::dataset::{Dataset, Key, Layout};
use anyhow::Context;
use indicatif::ProgressBar;
use std::collections::HashMap;
use std::time::Instant;

/// Calls are grouped into batches of about this many records; only the on-create policy
/// waits for Redis between batches (for EXISTS).
const BATCH_RECORDS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadOutcome {
    pub records: u64,
    pub calls: u64,
    pub commands: u64,
    pub seconds: f64,
}

/// Writes every record of `dataset` under `layout` through `stream`.
pub fn load(
    stream: &mut PipeStream,
    dataset: &Dataset,
    layout: Layout,
    config: &BackendConfig,
    progress: &ProgressBar,
) -> anyhow::Result<LoadOutcome> {
    let started = Instant::now();
    let plan = config.ttl_plan();
    let fixed_encoder = match config.clock {
        crate::backend::Clock::Fixed(ct) => {
            Some(config.format.encoder(Metadata::new(ct, config.version))?)
        }
        crate::backend::Clock::Now => None,
    };
    let mut records = 0u64;
    let mut calls = 0u64;
    let mut batch: Vec<Vec<(Key, Vec<u8>)>> = Vec::new();
    let mut batch_records = 0usize;
    let mut calls_iter = dataset.calls(layout).peekable();
    while let Some(call) = calls_iter.next() {
        let now_encoder;
        let encoder = match &fixed_encoder {
            Some(e) => e,
            None => {
                now_encoder = config
                    .format
                    .encoder(Metadata::new(config.clock.ct(), config.version))?;
                &now_encoder
            }
        };
        let mut encoded = Vec::with_capacity(call.len());
        for (key, payload) in call {
            let mut bytes = Vec::with_capacity(64);
            encoder
                .encode_into(&payload, &mut bytes)
                .with_context(|| format!("cannot encode the value of key {key}"))?;
            encoded.push((key, bytes));
        }
        batch_records += encoded.len();
        batch.push(encoded);
        calls += 1;
        if batch_records >= BATCH_RECORDS || calls_iter.peek().is_none() {
            send_batch(stream, &batch, plan)?;
            records += batch_records as u64;
            progress.inc(batch_records as u64);
            batch.clear();
            batch_records = 0;
        }
    }
    stream.flush().context("writing to Redis")?;
    Ok(LoadOutcome {
        records,
        calls,
        commands: stream.commands_sent(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn send_batch(
    stream: &mut PipeStream,
    batch: &[Vec<(Key, Vec<u8>)>],
    plan: plan::TtlPlan,
) -> anyhow::Result<()> {
    // The on-create policy asks which buckets exist before this batch; a bucket written
    // earlier in the batch exists for the calls after it, exactly as sequential calls see.
    let mut known: HashMap<&str, bool> = HashMap::new();
    if plan.needs_exists() {
        let mut order: Vec<&str> = Vec::new();
        for call in batch {
            for bucket in plan::buckets_of(call) {
                if known.insert(bucket, false).is_none() {
                    order.push(bucket);
                }
            }
        }
        if !order.is_empty() {
            let cmds: Vec<redis::Cmd> = order
                .iter()
                .map(|b| redis::cmd("EXISTS").arg(*b).clone())
                .collect();
            let replies = stream
                .query(&cmds)
                .context("asking Redis which buckets exist")?;
            for (bucket, reply) in order.iter().zip(replies) {
                known.insert(bucket, matches!(reply, redis::Value::Int(n) if n > 0));
            }
        }
    }
    let now = crate::backend::now_seconds() as i64;
    let mut io_error = None;
    for call in batch {
        let mut existed = |bucket: &str| match known.get_mut(bucket) {
            Some(seen) => std::mem::replace(seen, true),
            None => false,
        };
        plan::set_multi_commands(plan, call, &mut existed, now, &mut |cmd| {
            if io_error.is_none()
                && let Err(e) = stream.send(&cmd)
            {
                io_error = Some(e);
            }
        });
        if let Some(e) = io_error.take() {
            return Err(anyhow::Error::new(e).context("writing to Redis"));
        }
    }
    Ok(())
}
