//! Sizes as written, counted as the loader encodes each record: key and value sizes, the
//! hash buckets as they will be, the encoding Redis should pick for every key, and a seeded
//! sample of keys to check that prediction against the server.

use super::encoding::{Embedding, Limits, hash_encoding, string_encoding};
use crate::backend::{BackendConfig, EXPIRES_FIELD, HashTtl};
use crate::dataset::{Dataset, Key, Layout};
use anyhow::Context;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::BuildHasher;

/// Keys checked one by one when a variant writes at most this many; above it, a sample.
pub const CHECK_ALL_KEYS: usize = 100_000;
/// The size of the seeded sample above [`CHECK_ALL_KEYS`].
pub const SAMPLE_KEYS: usize = 10_000;

/// Mean, median and largest of a size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeStat {
    pub mean: f64,
    pub p50: u64,
    pub max: u64,
}

/// The hash buckets as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketSizes {
    pub buckets: u64,
    pub fields_mean: f64,
    pub fields_max: u64,
    /// The bucket with the most fields, and the one holding the largest value.
    pub most_fields_bucket: String,
    pub largest_value_bucket: String,
    /// The longest field name written.
    pub field_bytes_max: u64,
}

/// What the plan writes, before Redis sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Written {
    pub records: u64,
    /// The Redis keys written: records under `keys`, buckets under `hash`.
    pub redis_keys: u64,
    /// Per record: the key under `keys`, the field name under `hash`.
    pub key_bytes: SizeStat,
    /// Per record: the stored value bytes.
    pub value_bytes: SizeStat,
    pub hash: Option<BucketSizes>,
    /// Redis keys per encoding Redis should choose under the server's limits.
    pub predicted_encodings: BTreeMap<String, u64>,
}

/// Sizes counted by value (sizes repeat a lot), so the median is exact without holding
/// every record; sizes under 4 KiB in an array, as this runs once per record.
struct Histogram {
    small: Vec<u64>,
    large: BTreeMap<u64, u64>,
    total: u128,
    n: u64,
    max: u64,
}

const SMALL_SIZES: usize = 4096;

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            small: vec![0; SMALL_SIZES],
            large: BTreeMap::new(),
            total: 0,
            n: 0,
            max: 0,
        }
    }
}

impl Histogram {
    fn add(&mut self, size: u64) {
        match self.small.get_mut(size as usize) {
            Some(count) => *count += 1,
            None => *self.large.entry(size).or_default() += 1,
        }
        self.total += size as u128;
        self.n += 1;
        self.max = self.max.max(size);
    }
    fn stat(&self) -> SizeStat {
        if self.n == 0 {
            return SizeStat::default();
        }
        let half = self.n.div_ceil(2);
        let mut seen = 0;
        let mut p50 = 0;
        let counts = self
            .small
            .iter()
            .enumerate()
            .map(|(size, count)| (size as u64, *count))
            .chain(self.large.iter().map(|(s, c)| (*s, *c)));
        for (size, count) in counts {
            seen += count;
            if seen >= half {
                p50 = size;
                break;
            }
        }
        SizeStat {
            mean: self.total as f64 / self.n as f64,
            p50,
            max: self.max,
        }
    }
}

/// Hashing a million field names a run is a visible part of counting them: foldhash's fast
/// hasher instead of SipHash (no untrusted keys here).
type Fast = foldhash::fast::RandomState;

#[derive(Default)]
struct Bucket {
    fields: HashSet<u64, Fast>,
    field_max: u64,
    value_max: u64,
}

/// The pass's result: the figures for the report, the buckets for warnings, and the keys
/// whose OBJECT ENCODING will be checked, each with the encoding expected.
pub struct PlanScan {
    pub written: Written,
    /// Per bucket: (name, fields, longest field, longest value), in name order.
    pub buckets: Vec<(String, u64, u64, u64)>,
    /// Keys under `keys`: (key, longest value) of the longest value written.
    pub longest_value: Option<(String, u64)>,
    /// Values too long to embed with their key (keys layout), under `embedding`.
    pub raw_values: u64,
    /// The engine's embedding rule, and whether the keys are stored with an expire.
    pub embedding: Embedding,
    pub ttl: bool,
    pub check: Vec<(String, String)>,
    /// Whether `check` is a sample of the keys rather than all of them.
    pub sampled: bool,
}

/// Encodes every record as the loader does and measures what it wrote: the same as
/// [`Tally`] fed by a priming, for callers that do not prime.
pub fn scan(
    dataset: &Dataset,
    layout: Layout,
    config: &BackendConfig,
    limits: Limits,
    embedding: Embedding,
    seed: u64,
) -> anyhow::Result<PlanScan> {
    let mut tally = Tally::new(seed, embedding, config);
    // The loader's own encoder, so the sizes are those of the bytes written.
    let mut stamper = crate::loader::Stamper::new(config)?;
    let mut written = 0u64;
    let mut bytes = Vec::with_capacity(256);
    for call in dataset.calls(layout) {
        for (key, payload) in call {
            bytes.clear();
            stamper
                .encode(written, &payload, &mut bytes)
                .with_context(|| format!("cannot encode the value of key {key}"))?;
            written += 1;
            tally.add(&key, &bytes);
        }
    }
    Ok(tally.finish(dataset, layout, config, limits))
}

/// The sizes of what the loader writes, counted record by record as it encodes them, so
/// the plan is not encoded a second time for its explanation.
pub struct Tally {
    keys: Histogram,
    values: Histogram,
    buckets: HashMap<String, Bucket, Fast>,
    /// Keys to check, by record number, and the encoding expected: about 340 k keys pass
    /// through it at a million records, so they are named only once chosen.
    reservoir: Vec<(u64, &'static str)>,
    rng: Xoshiro256PlusPlus,
    seed: u64,
    seen_keys: u64,
    longest: Option<(String, u64)>,
    raw_values: u64,
    /// Keys per string encoding: a handful of names, counted without a map lookup.
    strings: Vec<(&'static str, u64)>,
    embedding: Embedding,
    /// Whether each plain key is stored with an expire (SETEX), which Valkey embeds.
    ttl: bool,
    hasher: Fast,
    /// Time spent counting, as the report's `plan` step.
    pub seconds: f64,
}

impl Tally {
    /// `seed` picks the keys whose encodings are checked; `embedding` is the server's rule
    /// for strings, and `config`'s TTL plan says whether an expire is stored with each key.
    pub fn new(seed: u64, embedding: Embedding, config: &BackendConfig) -> Tally {
        Tally {
            keys: Histogram::default(),
            values: Histogram::default(),
            buckets: HashMap::default(),
            reservoir: Vec::new(),
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            seed,
            seen_keys: 0,
            longest: None,
            raw_values: 0,
            strings: Vec::new(),
            embedding,
            ttl: config.ttl_plan().redis_ttl.is_some(),
            hasher: Fast::default(),
            seconds: 0.0,
        }
    }

    /// The seed [`Tally::new`] was given.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// One record, in the order the loader writes them: its key and stored bytes.
    pub fn add(&mut self, key: &Key, bytes: &[u8]) {
        let size = bytes.len() as u64;
        self.values.add(size);
        match key {
            Key::Plain(k) => {
                self.keys.add(k.len() as u64);
                let encoding = string_encoding(bytes, k.len(), self.ttl, self.embedding);
                match self.strings.iter_mut().find(|(name, _)| *name == encoding) {
                    Some((_, count)) => *count += 1,
                    None => self.strings.push((encoding, 1)),
                }
                if encoding == "raw" {
                    self.raw_values += 1;
                }
                if self.longest.as_ref().is_none_or(|(_, m)| size > *m) {
                    self.longest = Some((k.clone(), size));
                }
                self.seen_keys += 1;
                if let Some(slot) = reserve(&self.reservoir, &mut self.rng, self.seen_keys) {
                    place(&mut self.reservoir, slot, (self.values.n - 1, encoding));
                }
            }
            Key::Hash { bucket, field } => {
                self.keys.add(field.len() as u64);
                let field_hash = self.hasher.hash_one(field);
                let b = match self.buckets.get_mut(bucket) {
                    Some(b) => b,
                    None => self.buckets.entry(bucket.clone()).or_default(),
                };
                b.fields.insert(field_hash);
                b.field_max = b.field_max.max(field.len() as u64);
                b.value_max = b.value_max.max(size);
            }
        }
    }

    /// The figures once every record of `dataset` is counted, with the encodings Redis
    /// should choose under `limits`.
    pub fn finish(
        self,
        dataset: &Dataset,
        layout: Layout,
        config: &BackendConfig,
        limits: Limits,
    ) -> PlanScan {
        let Tally {
            keys,
            values,
            buckets,
            mut reservoir,
            mut rng,
            seed,
            seen_keys,
            longest,
            raw_values,
            strings,
            embedding,
            ttl,
            ..
        } = self;
        let mut predicted: BTreeMap<String, u64> = strings
            .into_iter()
            .map(|(name, count)| (name.to_string(), count))
            .collect();
        // The field policy writes one more field per bucket: `__expires__` and a timestamp.
        let expires_field = (layout == Layout::Hash
            && config.hash_ttl == HashTtl::Field
            && config.ttl_plan().redis_ttl.is_some())
        .then_some(EXPIRES_FIELD.len() as u64);
        let mut listed: Vec<(String, u64, u64, u64)> = buckets
            .into_iter()
            .map(|(name, b)| {
                let extra = expires_field.is_some() as u64;
                let field_max = b.field_max.max(expires_field.unwrap_or(0));
                (name, b.fields.len() as u64 + extra, field_max, b.value_max)
            })
            .collect();
        listed.sort_by(|a, b| a.0.cmp(&b.0));
        let hash = (layout == Layout::Hash).then(|| bucket_sizes(&listed));
        // Field TTLs make a small hash Redis's listpackex (Valkey's hashtable, which the
        // measured mix accepts for it).
        let field_ttls = layout == Layout::Hash
            && config.hash_ttl == HashTtl::FieldTtl
            && config.ttl_plan().redis_ttl.is_some();
        if layout == Layout::Hash {
            for (i, (_, fields, field_max, value_max)) in listed.iter().enumerate() {
                let encoding = match hash_encoding(*fields, (*field_max).max(*value_max), limits) {
                    "listpack" if field_ttls => "listpackex",
                    other => other,
                };
                *predicted.entry(encoding.into()).or_default() += 1;
                if let Some(slot) = reserve(&reservoir, &mut rng, i as u64 + 1) {
                    place(&mut reservoir, slot, (i as u64, encoding));
                }
            }
        }
        let redis_keys = match layout {
            Layout::Keys => seen_keys,
            Layout::Hash => listed.len() as u64,
        };
        let sampled = redis_keys as usize > CHECK_ALL_KEYS;
        if sampled {
            // A uniform sample of a uniform sample is a uniform sample.
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5eed);
            for i in 0..SAMPLE_KEYS.min(reservoir.len()) {
                let j = rng.random_range(i..reservoir.len());
                reservoir.swap(i, j);
            }
            reservoir.truncate(SAMPLE_KEYS);
        }
        PlanScan {
            written: Written {
                records: values.n,
                redis_keys,
                key_bytes: keys.stat(),
                value_bytes: values.stat(),
                hash,
                predicted_encodings: predicted,
            },
            longest_value: longest,
            raw_values,
            embedding,
            ttl,
            check: reservoir
                .into_iter()
                .map(|(n, encoding)| {
                    let key = match layout {
                        Layout::Keys => dataset.key_at(n, layout).map(|k| k.to_string()),
                        Layout::Hash => listed.get(n as usize).map(|b| b.0.clone()),
                    };
                    (key.unwrap_or_default(), encoding.to_string())
                })
                .collect(),
            buckets: listed,
            sampled,
        }
    }
}

/// Algorithm R over the `n`th key, keeping at most [`CHECK_ALL_KEYS`]: the slot the key
/// goes to, if any (the key is only built when it is kept).
fn reserve<T>(reservoir: &[T], rng: &mut Xoshiro256PlusPlus, n: u64) -> Option<usize> {
    if reservoir.len() < CHECK_ALL_KEYS {
        Some(reservoir.len())
    } else {
        let j = rng.random_range(0..n) as usize;
        (j < CHECK_ALL_KEYS).then_some(j)
    }
}

fn place<T>(reservoir: &mut Vec<T>, slot: usize, item: T) {
    if slot == reservoir.len() {
        reservoir.push(item);
    } else {
        reservoir[slot] = item;
    }
}

fn bucket_sizes(listed: &[(String, u64, u64, u64)]) -> BucketSizes {
    let most = listed.iter().max_by_key(|b| (b.1, std::cmp::Reverse(&b.0)));
    let largest = listed.iter().max_by_key(|b| (b.3, std::cmp::Reverse(&b.0)));
    let total: u64 = listed.iter().map(|b| b.1).sum();
    BucketSizes {
        buckets: listed.len() as u64,
        fields_mean: if listed.is_empty() {
            0.0
        } else {
            total as f64 / listed.len() as f64
        },
        fields_max: most.map_or(0, |b| b.1),
        most_fields_bucket: most.map(|b| b.0.clone()).unwrap_or_default(),
        largest_value_bucket: largest.map(|b| b.0.clone()).unwrap_or_default(),
        field_bytes_max: listed.iter().map(|b| b.2).max().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_median_and_mean() {
        let mut h = Histogram::default();
        for s in [10, 10, 30, 400] {
            h.add(s);
        }
        let s = h.stat();
        assert_eq!((s.p50, s.max), (10, 400));
        assert!((s.mean - 112.5).abs() < 1e-9);
    }

    fn many_keys(count: u64) -> Dataset {
        let family = crate::dataset::Family {
            name: "n".into(),
            count,
            per_call: 100,
            key: crate::dataset::Template::parse("k{i}").unwrap(),
            bucket: crate::dataset::Template::parse("b{i / 100}").unwrap(),
            field: crate::dataset::Template::parse("{i % 100}").unwrap(),
            value: crate::dataset::ValueGen::Sequence { start: 0, step: 1 },
            seed: 0,
        };
        Dataset::custom(vec![family], 1)
    }

    fn scan_keys(count: u64, seed: u64) -> PlanScan {
        let config = BackendConfig::new(crate::codec::Format::new(
            crate::codec::Codec::Json,
            crate::codec::Envelope::Raw,
        ));
        let limits = Limits {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
        };
        let rule = Embedding::Redis7;
        scan(&many_keys(count), Layout::Keys, &config, limits, rule, seed).unwrap()
    }

    #[test]
    fn above_the_limit_a_seeded_sample_of_distinct_keys() {
        let small = scan_keys(1000, 3);
        assert!(!small.sampled);
        assert_eq!(small.check.len(), 1000);
        assert_eq!(small.written.predicted_encodings["int"], 1000);
        let big = scan_keys(CHECK_ALL_KEYS as u64 + 50_000, 3);
        assert!(big.sampled);
        assert_eq!(big.check.len(), SAMPLE_KEYS);
        let distinct: HashSet<&String> = big.check.iter().map(|(k, _)| k).collect();
        assert_eq!(distinct.len(), SAMPLE_KEYS);
        // Keys written after the first 100,000 are in the sample too.
        assert!(
            big.check
                .iter()
                .any(|(k, _)| k[1..].parse::<u64>().unwrap() >= 100_000)
        );
        assert_eq!(
            big.check,
            scan_keys(CHECK_ALL_KEYS as u64 + 50_000, 3).check
        );
        assert_ne!(
            big.check,
            scan_keys(CHECK_ALL_KEYS as u64 + 50_000, 4).check
        );
    }

    #[test]
    fn buckets_name_their_extremes() {
        let b = bucket_sizes(&[
            ("a".into(), 10, 2, 300),
            ("b".into(), 600, 3, 20),
            ("c".into(), 5, 1, 300),
        ]);
        assert_eq!((b.buckets, b.fields_max), (3, 600));
        assert_eq!(b.most_fields_bucket, "b");
        assert_eq!(b.largest_value_bucket, "a");
        assert!((b.fields_mean - 205.0).abs() < 1e-9);
    }
}
