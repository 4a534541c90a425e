//! `kind = "sample"`: records read from a real cache by `whatif` (key, bucket and field,
//! TTL, payload), saved as gzipped JSON lines so the experiment reruns offline and in CI.
//! The first line is a [`SampleHeader`]; each further line one [`SampleRecord`], the payload
//! as a Python literal (exact for bytes, tuples, big ints and floats).

use super::{Dataset, Family, Template, ValueGen};
use crate::codec::{Value, pyliteral};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Arc;

/// Record i's item of a sample, shared by every clone of the dataset.
#[derive(Clone)]
pub struct Table<T>(Arc<Vec<T>>);

impl<T> Table<T> {
    pub fn new(items: Vec<T>) -> Table<T> {
        Table(Arc::new(items))
    }
    pub fn get(&self, i: u64) -> &T {
        &self.0[i as usize]
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn mean_len(&self, len: impl Fn(&T) -> usize) -> f64 {
        let n = self.0.len().max(1) as f64;
        (self.0.iter().map(len).sum::<usize>() as f64 / n).max(1.0)
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Table<T> {
    /// A digest, not the items: the dataset fingerprint stays short for large samples
    /// and still changes with any record.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digest = self.0.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, item| {
            format!("{item:?}").bytes().fold(h, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            })
        });
        write!(f, "Table(len={}, fnv={digest:016x})", self.0.len())
    }
}

impl<T: PartialEq> PartialEq for Table<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

/// What the sample is of, and what inspect measured for the pattern today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleHeader {
    /// Always "redisadv-sample".
    pub kind: String,
    pub version: u32,
    /// The key pattern sampled (derived placeholders) and the SCAN glob used.
    pub pattern: String,
    #[serde(rename = "match")]
    pub match_glob: String,
    /// Where it was read (password hidden).
    pub source: String,
    /// The pattern's keys in the source, and their bytes there today (MEMORY USAGE plus the
    /// expires table's share), extrapolated when only part was read.
    pub population_keys: f64,
    /// The 95% half-width of `population_keys` (0 when every key was counted; absent in
    /// samples saved before it was written).
    #[serde(default)]
    pub population_keys_ci95: f64,
    pub today_bytes: f64,
    pub today_bytes_ci95: f64,
    /// The bucket rule the records' `bucket` and `field` follow.
    pub bucket_rule: String,
    /// String keys of the pattern left out because they are not strings (hashes, sets...).
    pub skipped_not_strings: u64,
}

/// One record: where it lives in each layout, its TTL and its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRecord {
    pub key: String,
    pub bucket: String,
    pub field: String,
    /// Milliseconds left when sampled; `None`: no TTL.
    pub ttl_ms: Option<i64>,
    /// The format detected (`dogpile/pickle`, `text`...).
    pub format: String,
    /// The payload as a Python literal.
    pub payload: String,
    /// The value as stored today, hex (whatif measures it as it is, beside the variants).
    pub stored: String,
    /// A pickled class only pickle can carry (json and msgpack cannot encode it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python_object: Option<String>,
}

/// A sample read back: header, records and their decoded payloads.
#[derive(Debug, Clone)]
pub struct Sample {
    pub header: SampleHeader,
    pub records: Vec<SampleRecord>,
    pub payloads: Vec<Value>,
}

impl Sample {
    /// Writes the sample whole or not at all: a full disk leaves no truncated file.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        crate::files::write_with(path, |file| {
            let mut out = flate2::write::GzEncoder::new(file, flate2::Compression::default());
            serde_json::to_writer(&mut out, &self.header)?;
            out.write_all(b"\n")?;
            for r in &self.records {
                serde_json::to_writer(&mut out, r)?;
                out.write_all(b"\n")?;
            }
            out.finish()?.flush()?;
            Ok(())
        })
        .with_context(|| format!("--save-sample {}", path.display()))
    }

    /// Reads a sample file; a bad line is an error naming the file and the line.
    pub fn load(path: &Path) -> anyhow::Result<Sample> {
        let file = std::fs::File::open(path)
            .with_context(|| format!("sample file {}: cannot open it", path.display()))?;
        let reader = BufReader::new(flate2::read::MultiGzDecoder::new(file));
        let mut lines = reader.lines().enumerate();
        let at = |n: usize| format!("{}:{}", path.display(), n + 1);
        let (n, first) = lines.next().ok_or_else(|| {
            anyhow::anyhow!(
                "{}: empty; write it with `redisadv whatif --save-sample`",
                path.display()
            )
        })?;
        let first = first.with_context(|| {
            format!(
                "{}: not a gzipped sample file (write it with `redisadv whatif --save-sample`)",
                at(n)
            )
        })?;
        let header: SampleHeader = serde_json::from_str(&first)
            .with_context(|| format!("{}: not a sample header", at(n)))?;
        if header.kind != "redisadv-sample" {
            anyhow::bail!(
                "{}: kind is {:?}, not \"redisadv-sample\"",
                at(n),
                header.kind
            );
        }
        let mut records = Vec::new();
        let mut payloads = Vec::new();
        for (n, line) in lines {
            let line = line.with_context(|| at(n))?;
            if line.trim().is_empty() {
                continue;
            }
            let r: SampleRecord = serde_json::from_str(&line)
                .with_context(|| format!("{}: not a sample record", at(n)))?;
            let v = pyliteral::parse(&r.payload)
                .map_err(|e| anyhow::anyhow!("{}: payload is not a Python literal: {e}", at(n)))?;
            records.push(r);
            payloads.push(v);
        }
        if records.is_empty() {
            anyhow::bail!("{}: the sample holds no records", path.display());
        }
        Ok(Sample {
            header,
            records,
            payloads,
        })
    }

    /// The records as a dataset of one family, in the order sampled. `keep` says which
    /// records to write (whatif leaves out those a variant's serializer cannot encode).
    pub fn dataset(&self, keep: &dyn Fn(usize) -> bool) -> Dataset {
        let chosen: Vec<usize> = (0..self.records.len()).filter(|&i| keep(i)).collect();
        let texts = |f: fn(&SampleRecord) -> &String| {
            Table::new(
                chosen
                    .iter()
                    .map(|&i| f(&self.records[i]).clone())
                    .collect(),
            )
        };
        let values = Table::new(chosen.iter().map(|&i| self.payloads[i].clone()).collect());
        let family = Family {
            name: self.header.pattern.clone(),
            count: chosen.len() as u64,
            per_call: 100,
            key: Template::table("(sample keys)", texts(|r| &r.key)),
            bucket: Template::table("(sample buckets)", texts(|r| &r.bucket)),
            field: Template::table("(sample fields)", texts(|r| &r.field)),
            value: ValueGen::Table(values),
            seed: 0,
        };
        Dataset::custom(vec![family], 0)
    }
}
