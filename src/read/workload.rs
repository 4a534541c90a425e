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

/// The calls of one phase: `records.len() / per_call` calls of `per_call` records each.
pub struct Calls {
    pub per_call: usize,
    pub records: Vec<u64>,
}

impl Calls {
    fn count(&self) -> usize {
        self.records.len() / self.per_call
    }
}

/// One connection's batch in flight.
#[derive(Default)]
struct Slot {
    /// When its commands were written.
    sent: Option<Instant>,
    /// The key of each command of the batch, in order.
    keys: Vec<Key>,
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
}

/// Runs `calls` over `conns` and measures them.
pub fn run(conns: &mut [Conn], calls: &Calls, cx: &PhaseContext) -> anyhow::Result<PhaseFigures> {
    let total = calls.count();
    let mut latency = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3)
        .map_err(|e| anyhow::anyhow!("latency histogram: {e}"))?;
    let mut slots: Vec<Slot> = conns.iter().map(|_| Slot::default()).collect();
    let mut fds: Vec<libc::pollfd> = conns
        .iter()
        .map(|c| libc::pollfd {
            fd: c.fd(),
            events: 0,
            revents: 0,
        })
        .collect();
    let mut tally = Tally::default();
    let mut next = 0;
    let mut done = 0;
    let started = Instant::now();
    for (conn, slot) in conns.iter_mut().zip(&mut slots) {
        next = send_batch(conn, slot, calls, next, cx)?;
    }
    let mut progress = Instant::now();
    while done < total {
        for ((fd, conn), slot) in fds.iter_mut().zip(conns.iter()).zip(&slots) {
            fd.events = 0;
            fd.revents = 0;
            if slot.sent.is_some() {
                fd.events = libc::POLLIN;
                if conn.pending_output() {
                    fd.events |= libc::POLLOUT;
                }
            }
        }
        let waited = progress.elapsed();
        if waited > cx.limit {
            anyhow::bail!(
                "the read workload got no reply from Redis for {:?} ({done} of {total} calls \
                 answered)",
                cx.limit
            );
        }
        let timeout = (cx.limit - waited).as_millis().clamp(1, 1000) as libc::c_int;
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs for the whole call.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if ready < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(anyhow::anyhow!("poll: {e}"));
        }
        for i in 0..fds.len() {
            let revents = fds[i].revents;
            if revents == 0 {
                continue;
            }
            if revents & libc::POLLOUT != 0 {
                conns[i].write_some()?;
            }
            if revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) == 0 {
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
            let finished = take_replies(&mut conns[i], &mut slots[i], calls, cx, &mut tally)?;
            for at in finished {
                let ns = at
                    .duration_since(slots[i].sent.expect("in flight"))
                    .as_nanos();
                latency.saturating_record(ns.max(1) as u64);
                done += 1;
            }
            if slots[i].replies == slots[i].keys.len() {
                slots[i].sent = None;
                next = send_batch(&mut conns[i], &mut slots[i], calls, next, cx)?;
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
    slot.keys.clear();
    slot.replies = 0;
    for &record in &calls.records[next * calls.per_call..end * calls.per_call] {
        let key = cx.keys.key(record);
        cx.config
            .get_command(&key)
            .write_packed_command(&mut conn.out);
        slot.keys.push(key);
    }
    slot.sent = Some(Instant::now());
    conn.write_some()?;
    Ok(end)
}

/// Parses the replies buffered on `conn`, decodes their values, and returns when each call
/// the replies completed was complete.
fn take_replies(
    conn: &mut Conn,
    slot: &mut Slot,
    calls: &Calls,
    cx: &PhaseContext,
    tally: &mut Tally,
) -> anyhow::Result<Vec<Instant>> {
    let mut finished = Vec::new();
    while let Some((reply, n)) = parse(conn.unparsed())? {
        let Some(key) = slot.keys.get(slot.replies) else {
            anyhow::bail!("Redis sent a reply nothing asked for");
        };
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
            Reply::Error(e) => anyhow::bail!("Redis refused the read of {key}: {e}"),
            other => anyhow::bail!("unexpected reply to the read of {key}: {other:?}"),
        };
        match stored {
            Some(bytes) => {
                let t = Instant::now();
                let value = cx.config.cached_value(key, bytes, cx.now)?;
                tally.decode += t.elapsed();
                drop(std::hint::black_box(value));
            }
            None => tally.misses += 1,
        }
        conn.parsed += n;
        slot.replies += 1;
        if slot.replies.is_multiple_of(calls.per_call) {
            finished.push(Instant::now());
        }
    }
    Ok(finished)
}
