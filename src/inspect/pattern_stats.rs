//! One pattern's figures as keys stream by: counts and sums only, a bounded reservoir of
//! TTLs for the median, types, encodings and value formats. Its own file so that the
//! pattern plan (`plan.rs`) and the aggregate that uses the plan (`stats.rs`) share it
//! without importing each other.

use super::scan::Observation;
use crate::codec::detect::detect;
use crate::codec::family::Tally;
use std::collections::BTreeMap;

/// TTLs kept per pattern for the median (a reservoir sample beyond that).
const TTL_RESERVOIR: usize = 1024;

#[derive(Debug, Clone, Default)]
pub struct PatternStats {
    pub example: String,
    pub keys: u64,
    /// MEMORY USAGE summed, and its square summed (for the sample's uncertainty).
    pub memory: u64,
    pub memory_sq: f64,
    /// Keys with a TTL, and MEMORY USAGE summed over them.
    pub with_ttl: u64,
    pub memory_with_ttl: f64,
    pub ttl_min_ms: Option<i64>,
    pub ttl_max_ms: Option<i64>,
    ttls: Vec<i64>,
    ttl_seen: u64,
    pub types: BTreeMap<String, u64>,
    pub encodings: BTreeMap<String, u64>,
    pub formats: BTreeMap<String, u64>,
    /// What the formats say once the family rule reads one-byte and bare-number values in
    /// the family's serializer ([`PatternStats::family_formats`]).
    pub family: Tally,
    /// Value bytes (a string's length; a hash's field values read) and how many values.
    pub value_bytes: u64,
    pub values: u64,
    /// Of those, the strings' (whole values) and the hashes' (the fields of one HSCAN page).
    pub string_bytes: u64,
    pub strings: u64,
    pub hash_field_bytes: u64,
    pub hash_fields: u64,
}

impl PatternStats {
    pub fn add(&mut self, o: &Observation, key: &[u8]) {
        if self.keys == 0 {
            self.example = String::from_utf8_lossy(key).into_owned();
        }
        self.keys += 1;
        self.memory += o.memory;
        self.memory_sq += (o.memory as f64).powi(2);
        if let Some(ms) = o.pttl {
            self.with_ttl += 1;
            self.memory_with_ttl += o.memory as f64;
            self.ttl_min_ms = Some(self.ttl_min_ms.map_or(ms, |m| m.min(ms)));
            self.ttl_max_ms = Some(self.ttl_max_ms.map_or(ms, |m| m.max(ms)));
            self.ttl_seen += 1;
            if self.ttls.len() < TTL_RESERVOIR {
                self.ttls.push(ms);
            } else {
                // Reservoir sampling with a deterministic hash of the count as the draw.
                let j = (splitmix(self.ttl_seen) % self.ttl_seen) as usize;
                if j < TTL_RESERVOIR {
                    self.ttls[j] = ms;
                }
            }
        }
        *self.types.entry(o.kind.to_string()).or_default() += 1;
        *self.encodings.entry(o.encoding.to_string()).or_default() += 1;
        let format = match o.values.first() {
            Some(v) => {
                let f = detect(v).format;
                self.family.add(v, f);
                f.name()
            }
            None if o.kind == "string" => "empty".into(),
            None => format!("({})", o.kind),
        };
        *self.formats.entry(format).or_default() += 1;
        for v in o.values {
            self.value_bytes += v.len() as u64;
            self.values += 1;
        }
        let read: u64 = o.values.iter().map(|v| v.len() as u64).sum();
        match o.kind {
            "string" => {
                self.string_bytes += read;
                self.strings += 1;
            }
            "hash" => {
                self.hash_field_bytes += read;
                self.hash_fields += o.values.len() as u64;
            }
            _ => {}
        }
    }

    /// Format counts with the family rule applied: a family mostly in one serializer
    /// counts its one-byte and bare-number values in it (as whatif reads them).
    pub fn family_formats(&self) -> BTreeMap<String, u64> {
        self.family.apply(&self.formats)
    }

    pub fn merge(&mut self, other: &PatternStats) {
        if self.keys == 0 {
            self.example = other.example.clone();
        }
        self.keys += other.keys;
        self.memory += other.memory;
        self.memory_sq += other.memory_sq;
        self.with_ttl += other.with_ttl;
        self.memory_with_ttl += other.memory_with_ttl;
        for (mine, theirs, pick) in [
            (
                &mut self.ttl_min_ms,
                other.ttl_min_ms,
                i64::min as fn(i64, i64) -> i64,
            ),
            (&mut self.ttl_max_ms, other.ttl_max_ms, i64::max),
        ] {
            *mine = match (*mine, theirs) {
                (Some(a), Some(b)) => Some(pick(a, b)),
                (a, b) => a.or(b),
            };
        }
        self.ttls.extend_from_slice(&other.ttls);
        self.ttls.truncate(TTL_RESERVOIR * 4);
        self.ttl_seen += other.ttl_seen;
        for (mine, theirs) in [
            (&mut self.types, &other.types),
            (&mut self.encodings, &other.encodings),
            (&mut self.formats, &other.formats),
        ] {
            for (k, v) in theirs {
                *mine.entry(k.clone()).or_default() += v;
            }
        }
        self.family.merge(&other.family);
        self.value_bytes += other.value_bytes;
        self.values += other.values;
        self.string_bytes += other.string_bytes;
        self.strings += other.strings;
        self.hash_field_bytes += other.hash_field_bytes;
        self.hash_fields += other.hash_fields;
    }

    /// The median TTL of the keys that have one (from the reservoir).
    pub fn ttl_median_ms(&self) -> Option<i64> {
        if self.ttls.is_empty() {
            return None;
        }
        let mut sorted = self.ttls.clone();
        sorted.sort_unstable();
        Some(sorted[sorted.len() / 2])
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
