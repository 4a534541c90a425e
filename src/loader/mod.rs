//! Primes a server with a dataset through the backend's command plan: every set_multi call
//! becomes exactly the commands Python would send for it, streamed many calls per round trip
//! (never merged), with a progress bar.

use crate::backend::plan::{self, Fast};
use crate::backend::resp::Value;
use crate::backend::{BackendConfig, PipeStream};
use crate::codec::{self, Codec, Encoder, Envelope, Format, Metadata, msgpack, pyfloat};
use crate::dataset::{Dataset, Key, Layout};
use anyhow::Context;
use indicatif::ProgressBar;

mod dump;
pub use dump::DumpSink;
use std::collections::{HashMap, HashSet};

/// Calls are grouped into batches of about this many records; only the on-create policy
/// waits for Redis between batches (for EXISTS).
const BATCH_RECORDS: usize = 50_000;

/// ...or this many bytes of encoded values, whichever comes first: a batch of large values
/// must not hold gigabytes (a batch always holds at least one whole call).
pub const BATCH_BYTES: usize = 16 << 20;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadOutcome {
    pub records: u64,
    pub calls: u64,
    pub commands: u64,
}

/// Where the loader's commands go: a live [`PipeStream`], or a [`DumpSink`] that writes
/// them out for `redis-cli --pipe`.
pub trait Sink {
    /// Queues a command, given as its arguments (name first), whose reply is only checked.
    fn send(&mut self, args: &[&[u8]]) -> std::io::Result<()>;
    /// Sends commands after everything queued; their replies are kept for `query_finish`.
    fn query_start(&mut self, cmds: &[redis::Cmd]) -> anyhow::Result<()>;
    /// The replies of the oldest `n` commands sent with `query_start`.
    fn query_finish(&mut self, n: usize) -> anyhow::Result<Vec<Value>>;
    fn flush(&mut self) -> std::io::Result<()>;
    fn commands_sent(&self) -> u64;
}

impl Sink for PipeStream {
    fn send(&mut self, args: &[&[u8]]) -> std::io::Result<()> {
        PipeStream::send_args(self, args)
    }
    fn query_start(&mut self, cmds: &[redis::Cmd]) -> anyhow::Result<()> {
        PipeStream::query_start(self, cmds)
    }
    fn query_finish(&mut self, n: usize) -> anyhow::Result<Vec<Value>> {
        PipeStream::query_finish(self, n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        PipeStream::flush(self)
    }
    fn commands_sent(&self) -> u64 {
        PipeStream::commands_sent(self)
    }
}

/// Something a load runs beside its batches: a `--url` run watches the server's evictions
/// there and hands the loading connection to its cleanup. The unit type watches nothing.
pub trait LoadWatch {
    /// The loading connection is open.
    fn opened(&mut self, _stream: &PipeStream) {}
    /// After each batch is written (and once more at the end); an error stops the load.
    fn between_batches(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
    /// Redis has answered the last command of the load.
    fn loaded(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}

impl LoadWatch for () {}

/// A sink that asks a [`LoadWatch`] between batches (the loader flushes once per batch);
/// the watch's error is kept in `stopped`, whole, for the caller to report.
pub struct Watched<'a> {
    pub sink: &'a mut dyn Sink,
    pub watch: &'a mut dyn LoadWatch,
    pub stopped: Option<anyhow::Error>,
}

impl Sink for Watched<'_> {
    fn send(&mut self, args: &[&[u8]]) -> std::io::Result<()> {
        self.sink.send(args)
    }
    fn query_start(&mut self, cmds: &[redis::Cmd]) -> anyhow::Result<()> {
        self.sink.query_start(cmds)
    }
    fn query_finish(&mut self, n: usize) -> anyhow::Result<Vec<Value>> {
        self.sink.query_finish(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.sink.flush()?;
        if let Err(e) = self.watch.between_batches() {
            let message = format!("{e:#}");
            self.stopped = Some(e);
            return Err(std::io::Error::other(message));
        }
        Ok(())
    }
    fn commands_sent(&self) -> u64 {
        self.sink.commands_sent()
    }
}

/// Encoded calls of one batch, and the buckets the on-create policy asks about.
/// One call's records as written: each key and its stored bytes.
pub type EncodedCall = Vec<(Key, Vec<u8>)>;

struct Batch {
    calls: Vec<EncodedCall>,
    /// Per call: the clock's reading (seconds) when the call was made, for `__expires__`.
    nows: Vec<i64>,
    records: u64,
    bytes: usize,
    /// Distinct buckets, in order, whose EXISTS replies are pending.
    asked: Vec<String>,
}

/// Encodes records one at a time, stamping record `n` with the clock's `ct_at(n)`. A fixed
/// clock (or an envelope without `ct`) uses one encoder for the whole load; under a moving
/// clock the metadata of the dogpile and the json and msgpack tuple envelopes is written
/// directly around the payload, which costs far less than an encoder per record.
pub struct Stamper<'a> {
    config: &'a BackendConfig,
    /// The payload's own serialization (the raw envelope of the same codec).
    raw: Encoder,
    /// The encoder and the stamp it was made for, for the other cases.
    current: Option<(f64, Encoder)>,
}

impl<'a> Stamper<'a> {
    pub fn new(config: &'a BackendConfig) -> anyhow::Result<Stamper<'a>> {
        let raw = Format {
            envelope: Envelope::Raw,
            ..config.format
        }
        .encoder(Metadata::new(0.0, config.version))?;
        Ok(Stamper {
            config,
            raw,
            current: None,
        })
    }

    pub fn encode(
        &mut self,
        n: u64,
        payload: &codec::Value,
        out: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        let ct = self.config.clock.ct_at(n);
        let (format, v) = (self.config.format, self.config.version);
        if !self.config.clock.is_constant() {
            match (format.envelope, format.codec) {
                (Envelope::Dogpile, _) => {
                    json_metadata(ct, v, out);
                    out.push(b'|');
                    self.raw.encode_into(payload, out)?;
                    return Ok(());
                }
                (Envelope::Tuple, Codec::Json) => {
                    out.push(b'[');
                    self.raw.encode_into(payload, out)?;
                    out.extend_from_slice(b", ");
                    json_metadata(ct, v, out);
                    out.push(b']');
                    return Ok(());
                }
                (Envelope::Tuple, Codec::Msgpack) => {
                    out.push(0x92); // fixarray of 2
                    self.raw.encode_into(payload, out)?;
                    // {"ct": float 64, "v": int}
                    out.extend_from_slice(&[0x82, 0xa2, b'c', b't', 0xcb]);
                    out.extend_from_slice(&ct.to_be_bytes());
                    out.extend_from_slice(&[0xa1, b'v']);
                    msgpack::packb_into(&codec::Value::Int(v), out)?;
                    return Ok(());
                }
                _ => {}
            }
        }
        let stamp = match format.envelope {
            Envelope::Raw => 0.0,
            Envelope::IntTime => ct.trunc(),
            Envelope::Dogpile | Envelope::Tuple => ct,
        };
        let reuse = matches!(&self.current, Some((s, _)) if s.to_bits() == stamp.to_bits());
        if !reuse {
            let encoder = format.encoder(Metadata::new(ct, v))?;
            self.current = Some((stamp, encoder));
        }
        let (_, encoder) = self.current.as_ref().expect("set above");
        encoder.encode_into(payload, out)?;
        Ok(())
    }
}

/// `json.dumps({"ct": ct, "v": v})`, as dogpile writes its metadata.
fn json_metadata(ct: f64, v: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"ct\": ");
    pyfloat::write_repr(out, ct);
    out.extend_from_slice(b", \"v\": ");
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    out.push(b'}');
}

/// Writes every record of `dataset` under `layout` through `stream`. `encoded` sees each
/// call's records as written (key and stored bytes), so the explanation's sizes need no
/// second encoding pass.
///
/// Under the on-create policy each batch needs EXISTS answers before its writes. To keep
/// Redis busy, batch k+1 is encoded and its EXISTS sent right behind batch k's writes, so
/// the answers reflect batch k and the client works while Redis does.
pub fn load(
    stream: &mut dyn Sink,
    dataset: &Dataset,
    layout: Layout,
    config: &BackendConfig,
    progress: &ProgressBar,
    encoded: &mut dyn FnMut(&EncodedCall),
) -> anyhow::Result<LoadOutcome> {
    let plan = config.ttl_plan();
    let mut stamper = Stamper::new(config)?;
    // Records encoded so far: where the clock stands.
    let mut written = 0u64;
    let mut calls_iter = dataset.calls(layout);
    // Each value is encoded here, then copied into an allocation of its exact size: one
    // allocation per value instead of a few growing ones.
    let mut scratch = Vec::with_capacity(4096);
    let mut next_batch = || -> anyhow::Result<Option<Batch>> {
        let mut batch = Batch {
            calls: Vec::new(),
            nows: Vec::new(),
            records: 0,
            bytes: 0,
            asked: Vec::new(),
        };
        while batch.records < BATCH_RECORDS as u64 && batch.bytes < BATCH_BYTES {
            let Some(call) = calls_iter.next() else { break };
            batch.nows.push(config.now_after(written) as i64);
            let mut records = Vec::with_capacity(call.len());
            for (key, payload) in call {
                scratch.clear();
                stamper
                    .encode(written, &payload, &mut scratch)
                    .with_context(|| format!("cannot encode the value of key {key}"))?;
                let bytes = scratch.as_slice().to_vec();
                written += 1;
                batch.bytes += bytes.len();
                records.push((key, bytes));
            }
            encoded(&records);
            batch.records += records.len() as u64;
            batch.calls.push(records);
        }
        Ok((!batch.calls.is_empty()).then_some(batch))
    };
    let (mut records, mut calls) = (0u64, 0u64);
    let mut pending = next_batch()?;
    if let Some(batch) = &mut pending {
        ask_exists(stream, batch, plan)?;
    }
    while let Some(batch) = pending {
        // Under the on-create policy the next batch is encoded while Redis works on this
        // one; otherwise this batch is sent (and dropped) first, so only one batch of
        // values is held at a time.
        let mut following = if plan.needs_exists() {
            next_batch()?
        } else {
            None
        };
        let answers = stream
            .query_finish(batch.asked.len())
            .context("asking Redis which buckets exist")?;
        send_writes(stream, &batch, &answers, plan)?;
        records += batch.records;
        calls += batch.calls.len() as u64;
        progress.inc(batch.records);
        if !plan.needs_exists() {
            drop(batch);
            stream.flush().context("writing to Redis")?;
            following = next_batch()?;
        }
        if let Some(next) = &mut following {
            ask_exists(stream, next, plan)?;
        }
        stream.flush().context("writing to Redis")?;
        pending = following;
    }
    stream.flush().context("writing to Redis")?;
    Ok(LoadOutcome {
        records,
        calls,
        commands: stream.commands_sent(),
    })
}

/// Sends EXISTS for the batch's buckets (on-create policy only) without waiting.
fn ask_exists(stream: &mut dyn Sink, batch: &mut Batch, plan: plan::TtlPlan) -> anyhow::Result<()> {
    if !plan.needs_exists() {
        return Ok(());
    }
    // Each call's buckets in order, each once: the records' buckets in order, each once.
    let mut seen: HashSet<&str, Fast> = HashSet::default();
    for (key, _) in batch.calls.iter().flatten() {
        if let Key::Hash { bucket, .. } = key
            && seen.insert(bucket)
        {
            batch.asked.push(bucket.clone());
        }
    }
    let cmds: Vec<redis::Cmd> = batch
        .asked
        .iter()
        .map(|b| {
            let mut cmd = redis::cmd("EXISTS");
            cmd.arg(b);
            cmd
        })
        .collect();
    stream
        .query_start(&cmds)
        .context("asking Redis which buckets exist")
}

/// The batch's commands, with the EXISTS answers: a bucket written earlier in the batch
/// exists for the calls after it, exactly as sequential calls see it.
fn send_writes(
    stream: &mut dyn Sink,
    batch: &Batch,
    answers: &[Value],
    plan: plan::TtlPlan,
) -> anyhow::Result<()> {
    let mut known: HashMap<&str, bool, Fast> = batch
        .asked
        .iter()
        .zip(answers)
        .map(|(b, reply)| (b.as_str(), matches!(reply, Value::Int(n) if *n > 0)))
        .collect();
    let mut io_error = None;
    for (call, &now) in batch.calls.iter().zip(&batch.nows) {
        let mut existed = |bucket: &str| match known.get_mut(bucket) {
            Some(seen) => std::mem::replace(seen, true),
            None => false,
        };
        plan::set_multi_commands(plan, call, &mut existed, now, &mut |args| {
            if io_error.is_none()
                && let Err(e) = stream.send(args)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Clock;
    use crate::codec::pyliteral;

    /// The direct metadata writing gives exactly the encoder's bytes, for every format.
    #[test]
    fn stamped_bytes_are_the_encoders() {
        let payloads = [
            "10",
            "{'one': 398601, 'two': 'fizzbuzz'}",
            "'qkknasdkk'",
            "[1.5, None]",
        ]
        .map(|p| pyliteral::parse(p).unwrap());
        for codec in Codec::ALL {
            for envelope in Envelope::ALL {
                for version in [1, 2, 300] {
                    let mut config = BackendConfig::new(Format::new(codec, envelope));
                    config.version = version;
                    config.clock = Clock::Simulated {
                        start: crate::scenario::FIXED_CT,
                        step: crate::scenario::SIMULATED_STEP,
                    };
                    let mut stamper = Stamper::new(&config).unwrap();
                    for n in 0..2000u64 {
                        let payload = &payloads[n as usize % payloads.len()];
                        let mut got = Vec::new();
                        stamper.encode(n, payload, &mut got).unwrap();
                        let meta = Metadata::new(config.clock.ct_at(n), version);
                        let want = config.format.encode(payload, meta).unwrap();
                        assert_eq!(got, want, "{codec}/{envelope}/v{version}/record {n}");
                    }
                }
            }
        }
    }
}
