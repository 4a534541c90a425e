//! `kind = "sample"`: records read from a real cache by `whatif` (key, bucket and field,
//! TTL, payload), saved as gzipped JSON lines so the experiment reruns offline and in CI.
//! The first line is a [`SampleHeader`]; each further line one record, the payload as a
//! Python literal (exact for bytes, tuples, big ints and floats) and the stored value in hex.
//! In memory each value is held once, as its stored bytes: the payload is decoded when a
//! variant writes it, and every dataset built from the sample points at the same records.

use super::{Dataset, Family, Template, ValueGen};
use crate::codec::{Value, pyliteral};
// The format detection inspect uses (in codec, so the dataset need not import inspect): a
// sample's payload is what its stored bytes decode to, read within their family.
use crate::codec::detect::detect;
use crate::codec::family::{Tally, detect_as, reading};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Arc;

/// Records of a shared sample, by index: every dataset built from a sample (one per variant,
/// and one per check) points at the one copy of its records instead of copying them.
#[derive(Clone)]
pub struct Rows {
    sample: Arc<Sample>,
    /// The records written, in order (whatif leaves out those a serializer cannot encode).
    chosen: Arc<Vec<u32>>,
}

impl Rows {
    fn record(&self, i: u64) -> &SampleRecord {
        &self.sample.records[self.chosen[i as usize] as usize]
    }
    pub fn len(&self) -> usize {
        self.chosen.len()
    }
    pub fn is_empty(&self) -> bool {
        self.chosen.is_empty()
    }
    /// Whether both name the same records.
    fn same(&self, other: &Rows) -> bool {
        (Arc::ptr_eq(&self.sample, &other.sample) || self.sample.records == other.sample.records)
            && self.chosen == other.chosen
    }
}

/// Which name of a record a [`Texts`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Key,
    Bucket,
    Field,
}

/// Record i's key, bucket or field.
#[derive(Clone)]
pub struct Texts {
    rows: Rows,
    column: Column,
}

impl Texts {
    pub fn get(&self, i: u64) -> &str {
        let r = self.rows.record(i);
        match self.column {
            Column::Key => &r.key,
            Column::Bucket => &r.bucket,
            Column::Field => &r.field,
        }
    }
}

impl PartialEq for Texts {
    fn eq(&self, other: &Self) -> bool {
        self.column == other.column && self.rows.same(&other.rows)
    }
}

impl std::fmt::Debug for Texts {
    /// A digest, not the texts: short for large samples, and it still changes with any.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digest = (0..self.rows.len() as u64).fold(FNV_START, |h, i| {
            fnv(h, format!("{:?}", self.get(i)).as_bytes())
        });
        write!(f, "Table(len={}, fnv={digest:016x})", self.rows.len())
    }
}

/// Record i's payload, decoded from its stored bytes when asked (a decoded value can take
/// several times its bytes, so none is kept).
#[derive(Clone)]
pub struct Payloads {
    rows: Rows,
}

impl Payloads {
    pub fn get(&self, i: u64) -> Value {
        self.rows.record(i).payload()
    }
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    pub fn mean_len(&self, len: impl Fn(&Value) -> usize) -> f64 {
        let n = self.len().max(1) as f64;
        let total: usize = (0..self.len() as u64).map(|i| len(&self.get(i))).sum();
        (total as f64 / n).max(1.0)
    }
}

impl std::fmt::Debug for Payloads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digest = (0..self.len() as u64).fold(FNV_START, |h, i| {
            fnv(h, format!("{:?}", self.get(i)).as_bytes())
        });
        write!(f, "Table(len={}, fnv={digest:016x})", self.len())
    }
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
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

/// One record: where it lives in each layout, its TTL, and its value once, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRecord {
    pub key: String,
    pub bucket: String,
    pub field: String,
    /// Milliseconds left when sampled; `None`: no TTL.
    pub ttl_ms: Option<i64>,
    /// The format detected (`dogpile/pickle`, `text`...).
    pub format: String,
    /// The value as stored today (whatif measures it as it is, beside the variants).
    pub stored: Vec<u8>,
    /// The payload, when a sample file gives one that `stored` does not decode to (a file
    /// written by hand, or by a redisadv that detected formats differently); `None`: the
    /// payload is what `stored` decodes to, decoded when asked.
    pub given: Option<Value>,
    /// A pickled class only pickle can carry (json and msgpack cannot encode it).
    pub python_object: Option<String>,
}

impl SampleRecord {
    /// The payload the variants write.
    pub fn payload(&self) -> Value {
        match &self.given {
            Some(v) => v.clone(),
            None => detect_as(&self.stored, &self.format).payload,
        }
    }
}

/// A record as a line of the file: the payload as a Python literal, the stored value in
/// hex. The format every version has written; the line is built and read one at a time.
#[derive(Serialize, Deserialize)]
struct Line {
    key: String,
    bucket: String,
    field: String,
    ttl_ms: Option<i64>,
    format: String,
    payload: String,
    stored: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    python_object: Option<String>,
}

/// A sample: header and records, each record's value held once, as bytes.
#[derive(Debug, Clone)]
pub struct Sample {
    pub header: SampleHeader,
    pub records: Vec<SampleRecord>,
}

/// The longest line a sample file may have (bytes, decompressed): one record with its key,
/// hex-encoded value and payload literal. Values past ~80 MB are not cached in practice.
const MAX_LINE_BYTES: u64 = 256 << 20;

/// The most records a sample file may hold: whatif's `--sample` limit.
const MAX_RECORDS: u64 = 1_000_000;

impl Sample {
    /// Writes the sample whole or not at all (a full disk leaves no truncated file), one
    /// line at a time.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        crate::files::write_with(path, |file| {
            let mut out = flate2::write::GzEncoder::new(file, flate2::Compression::default());
            serde_json::to_writer(&mut out, &self.header)?;
            out.write_all(b"\n")?;
            for r in &self.records {
                let line = Line {
                    key: r.key.clone(),
                    bucket: r.bucket.clone(),
                    field: r.field.clone(),
                    ttl_ms: r.ttl_ms,
                    format: r.format.clone(),
                    payload: pyliteral::repr(&r.payload()),
                    stored: hex::encode(&r.stored),
                    python_object: r.python_object.clone(),
                };
                serde_json::to_writer(&mut out, &line)?;
                out.write_all(b"\n")?;
            }
            out.finish()?.flush()?;
            Ok(())
        })
        .with_context(|| format!("--save-sample {}", path.display()))
    }

    /// Reads a sample file a line at a time; a bad line is an error naming the file and
    /// the line. Each record keeps its stored bytes, and its payload only when the file's
    /// differs from what the bytes decode to.
    pub fn load(path: &Path) -> anyhow::Result<Sample> {
        let file = std::fs::File::open(path)
            .with_context(|| format!("sample file {}: cannot open it", path.display()))?;
        let mut reader = BufReader::new(flate2::read::MultiGzDecoder::new(file));
        let at = |n: usize| format!("{}:{}", path.display(), n + 1);
        let mut line = String::new();
        let mut n = 0;
        // Bounded by a stated limit, not by what the file claims: a small gzip can inflate to
        // any size (a "gzip bomb"), and read_line would grow one line without end.
        let read = |reader: &mut BufReader<_>, line: &mut String, n: usize| {
            line.clear();
            let got = std::io::Read::take(&mut *reader, MAX_LINE_BYTES + 1)
                .read_line(line)
                .with_context(|| {
                    format!(
                        "{}: not a gzipped sample file (write it with `redisadv whatif \
                         --save-sample`)",
                        at(n)
                    )
                })?;
            if got as u64 > MAX_LINE_BYTES {
                anyhow::bail!(
                    "{}: a line longer than {} MiB; a sample file written by `redisadv whatif \
                     --save-sample` has one record per line, each well under that",
                    at(n),
                    MAX_LINE_BYTES >> 20
                );
            }
            Ok(got)
        };
        if read(&mut reader, &mut line, n)? == 0 {
            anyhow::bail!(
                "{}: empty; write it with `redisadv whatif --save-sample`",
                path.display()
            );
        }
        let header: SampleHeader = serde_json::from_str(line.trim_end())
            .with_context(|| format!("{}: not a sample header", at(n)))?;
        if header.kind != "redisadv-sample" {
            anyhow::bail!(
                "{}: kind is {:?}, not \"redisadv-sample\"",
                at(n),
                header.kind
            );
        }
        let mut records = Vec::new();
        let mut tally = Tally::default();
        loop {
            n += 1;
            if read(&mut reader, &mut line, n)? == 0 {
                break;
            }
            if line.trim().is_empty() {
                continue;
            }
            if records.len() as u64 >= MAX_RECORDS {
                anyhow::bail!(
                    "{}: more than {MAX_RECORDS} records; whatif samples at most that many \
                     (--sample), so this is not a file it wrote",
                    at(n)
                );
            }
            let l: Line = serde_json::from_str(line.trim_end())
                .with_context(|| format!("{}: not a sample record", at(n)))?;
            let stored = hex::decode(&l.stored)
                .map_err(|e| anyhow::anyhow!("{}: stored is not hex: {e}", at(n)))?;
            // The literal this redisadv would write for the stored bytes: the same text
            // means the same payload, and none is kept.
            tally.add(&stored, detect(&stored).format);
            let given = if pyliteral::repr(&detect_as(&stored, &l.format).payload) == l.payload {
                None
            } else {
                Some(pyliteral::parse(&l.payload).map_err(|e| {
                    anyhow::anyhow!("{}: payload is not a Python literal: {e}", at(n))
                })?)
            };
            records.push(SampleRecord {
                key: l.key,
                bucket: l.bucket,
                field: l.field,
                ttl_ms: l.ttl_ms,
                format: l.format,
                stored,
                given,
                python_object: l.python_object,
            });
        }
        if records.is_empty() {
            anyhow::bail!("{}: the sample holds no records", path.display());
        }
        // The family rule whatif applied when it took the sample (a file written before
        // the rule reads its family's one-byte values as whatif reads them now).
        if let Some(f) = tally.family() {
            for r in records.iter_mut().filter(|r| r.given.is_none()) {
                r.format = reading(&r.stored, Some(f)).format.name();
            }
        }
        records.shrink_to_fit();
        Ok(Sample { header, records })
    }

    /// The records as a dataset of one family, in the order sampled. `keep` says which
    /// records to write (whatif leaves out those a variant's serializer cannot encode).
    /// The dataset reads the records where they are: nothing is copied.
    pub fn dataset(sample: &Arc<Sample>, keep: &dyn Fn(usize) -> bool) -> Dataset {
        let chosen: Vec<u32> = (0..sample.records.len())
            .filter(|&i| keep(i))
            .map(|i| i as u32)
            .collect();
        let rows = Rows {
            sample: sample.clone(),
            chosen: Arc::new(chosen),
        };
        let texts = |column| Texts {
            rows: rows.clone(),
            column,
        };
        let family = Family {
            name: sample.header.pattern.clone(),
            count: rows.len() as u64,
            per_call: 100,
            key: Template::table("(sample keys)", texts(Column::Key)),
            bucket: Template::table("(sample buckets)", texts(Column::Bucket)),
            field: Template::table("(sample fields)", texts(Column::Field)),
            value: ValueGen::Table(Payloads { rows: rows.clone() }),
            seed: 0,
        };
        Dataset::custom(vec![family], 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> SampleHeader {
        SampleHeader {
            kind: "redisadv-sample".into(),
            version: 1,
            pattern: "k:{n}".into(),
            match_glob: "k:*".into(),
            source: "test".into(),
            population_keys: 2.0,
            population_keys_ci95: 0.0,
            today_bytes: 0.0,
            today_bytes_ci95: 0.0,
            bucket_rule: "numeric".into(),
            skipped_not_strings: 0,
        }
    }

    fn record(key: &str, stored: &[u8], given: Option<Value>) -> SampleRecord {
        SampleRecord {
            key: key.into(),
            bucket: "b".into(),
            field: key.into(),
            ttl_ms: Some(5),
            format: "json".into(),
            stored: stored.to_vec(),
            given,
            python_object: None,
        }
    }

    #[test]
    fn a_saved_sample_loads_back_keeping_a_payload_only_when_given() {
        let sample = Sample {
            header: header(),
            records: vec![
                record("k:1", b"{\"a\": [1, 2.5, \"x\"]}", None),
                // A payload its stored bytes do not decode to (a hand-edited file).
                record("k:2", b"plain text", Some(Value::Int(7))),
            ],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl.gz");
        sample.save(&path).unwrap();
        let back = Sample::load(&path).unwrap();
        assert_eq!(back.header, sample.header);
        assert_eq!(back.records, sample.records);
        assert_eq!(back.records[1].payload(), Value::Int(7));
        // Every dataset built from it reads the same records, none copied.
        let shared = Arc::new(back);
        let all = Sample::dataset(&shared, &|_| true);
        let second = Sample::dataset(&shared, &|i| i == 1);
        assert_eq!(Arc::strong_count(&shared), 1 + 4 + 4);
        assert_eq!(all.families[0].key.render(1), "k:2");
        assert_eq!(second.families[0].key.render(0), "k:2");
    }
}
