//! One phase of the read workload: a fixed list of calls (each K records), spread over C
//! connections with D calls in flight on each, sent as the backend sends them (the commands
//! of [`BackendConfig::get_command`]), every value decoded as the backend decodes it
//! ([`BackendConfig::cached_value`]). One thread multiplexes the connections with `poll`,
//! as redis-benchmark does, so the client never needs more than one core.

use super::PhaseFigures;
use super::conn::{Conn, Reply, parse};
use crate::backend::BackendConfig;
use crate::dataset::{Dataset, Key, Layout};
use hdrhistogram::Histogram;
use std::time::{Duration, Instant};

/// Maps a record number (0 to the dataset's record count) to its key under a layout.
pub struct KeySource<'a> {
    dataset: &'a Dataset,
    layout: Layout,
    /// The first record number of each family.
    starts: Vec<u64>,
}

impl<'a> KeySource<'a> {
    pub fn new(dataset: &'a Dataset, layout: Layout) -> KeySource<'a> {
        let mut starts = Vec::with_capacity(dataset.families.len());
        let mut at = 0;
        for f in &dataset.families {
            starts.push(at);
            at += f.count;
        }
        KeySource {
            dataset,
            layout,
            starts,
        }
    }

    pub fn key(&self, record: u64) -> Key {
        let f = self.starts.partition_point(|s| *s <= record) - 1;
        self.dataset.families[f].key(record - self.starts[f], self.layout)
    }
}

/// The calls of one phase, `per_call` records each, their commands packed before the clock
/// starts (as redis-benchmark packs its own), so the figures are Redis's and the codec's, not
/// redisadv's string formatting.
pub struct Calls {
    pub per_call: usize,
    pub records: Vec<u64>,
    /// The RESP of every call's commands, back to back.
    packed: Vec<u8>,
    /// Where each call's commands end in `packed`.
    ends: Vec<usize>,
}

impl Calls {
    /// Packs the commands the backend sends for `records`, `per_call` to a call.
    pub fn prepare(records: Vec<u64>, per_call: usize, cx: &PhaseContext) -> Calls {
        let mut packed = Vec::with_capacity(records.len() * 32);
        let mut ends = Vec::with_capacity(records.len() / per_call);
        for call in records.chunks_exact(per_call) {
            for &record in call {
                cx.config
                    .get_command(&cx.keys.key(record))
                    .write_packed_command(&mut packed);
            }
            ends.push(packed.len());
        }
        Calls {
            per_call,
            records,
            packed,
            ends,
        }
    }

    fn count(&self) -> usize {
        self.ends.len()
    }
}

/// One connection's batch in flight.
#[derive(Default)]
struct Slot {
    /// When its commands were written.
    sent: Option<Instant>,
    /// The records of the batch's calls, in command order.
    first_record: usize,
    records: usize,
    /// Replies read so far.
    replies: usize,
}

/// What a phase needs besides its calls.
pub struct PhaseContext<'a> {
    pub config: &'a BackendConfig,
    pub keys: &'a KeySource<'a>,
    /// The clock's present: what `__expires__` is compared with, and the metadata the
    /// plugin fakes for envelopes without it.
    pub now: f64,
    pub pipeline: usize,
    /// How long the server may go without answering.
    pub limit: Duration,
    /// Decode every value (the workload); the anchor leaves it out, as redis-benchmark does.
    pub decode: bool,
}

/// Runs `calls` over `conns` and measures them.
pub fn run(conns: &mut [Conn], calls: &Calls, cx: &PhaseContext) -> anyhow::Result<PhaseFigures> {
    let total = calls.count();
    let mut latency = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3)
        .map_err(|e| anyhow::anyhow!("latency histogram: {e}"))?;
    let mut slots: Vec<Slot> = conns.iter().map(|_| Slot::default()).collect();
    let fds: Vec<_> = conns.iter().map(|c| c.fd()).collect();
    let mut poller = super::poller::Poller::new(&fds)?;
    let mut tally = Tally::default();
    let mut next = 0;
    let mut done = 0;
    let started = Instant::now();
    for (i, (conn, slot)) in conns.iter_mut().zip(&mut slots).enumerate() {
        next = send_batch(conn, slot, calls, next, cx)?;
        poller.want_write(i, conn.pending_output())?;
    }
    let mut progress = Instant::now();
    let mut ready = Vec::with_capacity(conns.len());
    while done < total {
        let waited = progress.elapsed();
        if waited > cx.limit {
            anyhow::bail!(
                "the read workload got no reply from Redis for {:?} ({done} of {total} calls \
                 answered)",
                cx.limit
            );
        }
        let timeout = (cx.limit - waited).as_millis().clamp(1, 1000) as i32;
        poller.wait(timeout, &mut ready)?;
        for &(i, events) in &ready {
            if events & libc::EPOLLOUT as u32 != 0 {
                conns[i].write_some()?;
                poller.want_write(i, conns[i].pending_output())?;
            }
            if events & (libc::EPOLLIN | libc::EPOLLHUP | libc::EPOLLERR) as u32 == 0 {
                continue;
            }
            match conns[i].fill() {
                Ok(0) => anyhow::bail!(
                    "Redis closed a read connection ({done} of {total} calls answered)"
                ),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e.into()),
            }
            progress = Instant::now();
            done += take_replies(
                &mut conns[i],
                &mut slots[i],
                calls,
                cx,
                &mut tally,
                &mut latency,
            )?;
            if slots[i].sent.is_some() && slots[i].replies == slots[i].records {
                slots[i].sent = None;
                next = send_batch(&mut conns[i], &mut slots[i], calls, next, cx)?;
                poller.want_write(i, conns[i].pending_output())?;
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let us = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
    Ok(PhaseFigures {
        calls: total as u64,
        keys_per_call: calls.per_call,
        records: calls.records.len() as u64,
        seconds,
        ops_per_second: total as f64 / seconds,
        records_per_second: calls.records.len() as f64 / seconds,
        p50_us: us(0.5),
        p99_us: us(0.99),
        p999_us: us(0.999),
        decode_seconds: tally.decode.as_secs_f64(),
        decode_share: tally.decode.as_secs_f64() / seconds,
        misses: tally.misses,
    })
}

#[derive(Default)]
struct Tally {
    decode: Duration,
    misses: u64,
}

/// Queues the next `pipeline` calls (from call `next`) on `conn` and writes what the socket
/// takes; returns the call after them.
fn send_batch(
    conn: &mut Conn,
    slot: &mut Slot,
    calls: &Calls,
    next: usize,
    cx: &PhaseContext,
) -> anyhow::Result<usize> {
    let end = (next + cx.pipeline).min(calls.count());
    if next >= end {
        return Ok(next);
    }
    let from = if next == 0 { 0 } else { calls.ends[next - 1] };
    conn.out
        .extend_from_slice(&calls.packed[from..calls.ends[end - 1]]);
    slot.first_record = next * calls.per_call;
    slot.records = (end - next) * calls.per_call;
    slot.replies = 0;
    slot.sent = Some(Instant::now());
    conn.write_some()?;
    Ok(end)
}

/// Parses the replies buffered on `conn` and decodes their values; each call they complete
/// goes into `latency`. Returns how many calls completed.
fn take_replies(
    conn: &mut Conn,
    slot: &mut Slot,
    calls: &Calls,
    cx: &PhaseContext,
    tally: &mut Tally,
    latency: &mut Histogram<u64>,
) -> anyhow::Result<usize> {
    let mut finished = 0;
    // Without decoding, every call completed by this read completed when it arrived: one
    // clock read serves them all.
    let mut arrived: Option<Instant> = None;
    while let Some((reply, n)) = parse(conn.unparsed())? {
        if slot.replies >= slot.records {
            anyhow::bail!("Redis sent a reply nothing asked for");
        }
        let record = calls.records[slot.first_record + slot.replies];
        let stored = match reply {
            Reply::Bulk(bytes) => bytes,
            // The field policy's HMGET: the value unless `__expires__` has passed (the
            // plugin then deletes the bucket; the workload only reads, so it counts a miss).
            Reply::Array(items) if items.len() == 2 => {
                let expires = items[1]
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .and_then(|t| t.parse::<i64>().ok());
                if expires.is_some_and(|t| (t as f64) <= cx.now) {
                    None
                } else {
                    items[0]
                }
            }
            Reply::Error(e) => {
                anyhow::bail!("Redis refused the read of {}: {e}", cx.keys.key(record))
            }
            other => anyhow::bail!(
                "unexpected reply to the read of {}: {other:?}",
                cx.keys.key(record)
            ),
        };
        match stored {
            Some(_) if !cx.decode => {}
            Some(bytes) => {
                let t = Instant::now();
                let value = cx.config.cached_value(bytes, cx.now).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot decode the value stored at {}: {e}",
                        cx.keys.key(record)
                    )
                })?;
                // Freeing the value is the codec's cost too.
                drop(std::hint::black_box(value));
                tally.decode += t.elapsed();
            }
            None => tally.misses += 1,
        }
        conn.parsed += n;
        slot.replies += 1;
        if slot.replies.is_multiple_of(calls.per_call) {
            let sent = slot.sent.expect("a batch in flight");
            let at = match arrived {
                Some(at) if !cx.decode => at,
                _ => *arrived.insert(Instant::now()),
            };
            latency.saturating_record((at.duration_since(sent).as_nanos() as u64).max(1));
            finished += 1;
        }
    }
    Ok(finished)
}
