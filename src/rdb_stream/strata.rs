//! What the stream keeps per key pattern (a stratum): inspect's own per-pattern figures
//! (keys, TTLs, types), the serialized bytes summed, and a uniform reservoir of record
//! offsets to restore later. Memory: a few counters per pattern plus 8 bytes per sampled key.

use super::reader::{Entry, type_name};
use crate::inspect::pattern;
use crate::inspect::rdb_file::BigKey;
use crate::inspect::scan::Observation;
use crate::inspect::stats::{Aggregate, PatternStats};
use std::collections::HashMap;

/// The stratum a key falls in: its pattern, or the overflow beyond `--max-patterns`.
pub type StratumId = usize;
pub const OVERFLOW: StratumId = usize::MAX;

#[derive(Debug, Default, Clone)]
pub struct Stratum {
    /// Serialized (DUMP) bytes of every key, summed.
    pub object_bytes: f64,
    /// Offsets of the sampled keys' records (a reservoir of `capacity`).
    pub reservoir: Vec<u64>,
    pub seen: u64,
    /// Sums over the measured keys: x = serialized bytes, y = MEMORY USAGE.
    pub n: u64,
    pub sx: f64,
    pub sy: f64,
    pub sxx: f64,
    pub syy: f64,
    pub sxy: f64,
    /// inspect's figures of the measured keys (memory, encodings, formats, values).
    pub measured: PatternStats,
}

impl Stratum {
    pub fn measured(&mut self, o: &Observation, x: f64) {
        let y = o.memory as f64;
        self.n += 1;
        self.sx += x;
        self.sy += y;
        self.sxx += x * x;
        self.syy += y * y;
        self.sxy += x * y;
        self.measured.add(o, o.key);
    }

    /// MEMORY USAGE of every key, projected by the ratio to serialized bytes, and the
    /// estimate's variance (0 when every key was measured).
    pub fn projection(&self, keys: u64) -> (f64, f64) {
        if self.n == 0 || self.sx <= 0.0 {
            return (0.0, 0.0);
        }
        if self.n >= keys {
            return (self.sy, 0.0);
        }
        let r = self.sy / self.sx;
        let total = r * self.object_bytes;
        if self.n < 2 {
            return (total, 0.0);
        }
        let n = self.n as f64;
        let big_n = keys as f64;
        let sdd = (self.syy - 2.0 * r * self.sxy + r * r * self.sxx).max(0.0) / (n - 1.0);
        let var = big_n * big_n * (1.0 - n / big_n) / n * sdd;
        (total, var)
    }

    pub fn merge(&mut self, o: &Stratum) {
        self.object_bytes += o.object_bytes;
        self.n += o.n;
        self.sx += o.sx;
        self.sy += o.sy;
        self.sxx += o.sxx;
        self.syy += o.syy;
        self.sxy += o.sxy;
        self.measured.merge(&o.measured);
    }
}

/// Everything the stream aggregates.
pub struct Strata {
    /// inspect's aggregate over every key read from the stream: keys, TTLs and types.
    pub stream: Aggregate,
    pub index: HashMap<String, StratumId>,
    pub strata: Vec<Stratum>,
    pub overflow: Stratum,
    pub capacity: usize,
    pub largest: Vec<BigKey>,
    largest_n: usize,
}

impl Strata {
    pub fn new(max_patterns: usize, capacity: usize, largest_n: usize) -> Strata {
        Strata {
            stream: Aggregate::new(max_patterns),
            index: HashMap::new(),
            strata: Vec::new(),
            overflow: Stratum::default(),
            capacity,
            largest: Vec::new(),
            largest_n,
        }
    }

    /// Counts one key; returns its stratum.
    pub fn add(&mut self, e: &Entry, now_ms: i64) -> StratumId {
        let pttl = e.expire_ms.map(|at| at - now_ms);
        let kind = type_name(e.rdb_type);
        self.stream.add(&Observation {
            key: &e.key,
            kind,
            pttl,
            memory: 0,
            encoding: "",
            values: &[],
        });
        let name = pattern::derive(&e.key);
        let id = match self.index.get(&name) {
            Some(&id) => id,
            None if self.stream.patterns.contains_key(&name) => {
                self.strata.push(Stratum::default());
                self.index.insert(name, self.strata.len() - 1);
                self.strata.len() - 1
            }
            None => OVERFLOW,
        };
        let cap = self.capacity;
        let s = self.get_mut(id);
        s.object_bytes += e.object_bytes as f64;
        s.seen += 1;
        if s.reservoir.len() < cap {
            s.reservoir.push(e.offset);
        } else if cap > 0 {
            let j = (splitmix(s.seen ^ e.offset) % s.seen) as usize;
            if j < cap {
                s.reservoir[j] = e.offset;
            }
        }
        self.track_largest(e, kind, pttl);
        id
    }

    pub fn get_mut(&mut self, id: StratumId) -> &mut Stratum {
        if id == OVERFLOW {
            &mut self.overflow
        } else {
            &mut self.strata[id]
        }
    }

    /// The stratum of a key already counted.
    pub fn id_of(&self, key: &[u8]) -> StratumId {
        *self.index.get(&pattern::derive(key)).unwrap_or(&OVERFLOW)
    }

    fn track_largest(&mut self, e: &Entry, kind: &str, pttl: Option<i64>) {
        if self.largest_n == 0 {
            return;
        }
        let full = self.largest.len() >= self.largest_n;
        if full
            && self
                .largest
                .last()
                .is_some_and(|k| k.serialized_bytes >= e.object_bytes)
        {
            return;
        }
        self.largest.push(BigKey {
            key: String::from_utf8_lossy(&e.key).into_owned(),
            db: e.db,
            kind: kind.into(),
            serialized_bytes: e.object_bytes,
            ttl_seconds: pttl.map(|ms| ms as f64 / 1000.0),
        });
        self.largest
            .sort_by_key(|k| std::cmp::Reverse(k.serialized_bytes));
        self.largest.truncate(self.largest_n);
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
