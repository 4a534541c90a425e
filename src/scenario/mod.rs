//! Scenario files: the TOML model, its validation, and errors that name the file, the line
//! and the key.

mod buckets;
pub mod cluster;
mod dataset_spec;
mod engines;
mod fingerprint;
pub mod sweep;
mod validate;

pub use dataset_spec::SampleData;
pub use engines::EngineChoice;
pub use validate::check_scale;
use validate::{check_distinct, overrides};

use crate::backend::{Clock, HashTtl};
use crate::codec::{Codec, Envelope, Format, pickle};
use crate::dataset::{Family, Layout, Template, ValueGen, ValueSpec};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The `ct` of the fixed clock, and where the simulated clock starts: a present-day
/// `time.time()`.
pub const FIXED_CT: f64 = 1795593845.0916238;

/// How far the simulated clock advances per record: about 70,700 records a second, within
/// the Python stack's 40,000 to 110,000. Not a multiple of the float's ulp (2^-22 s here) nor
/// of a microsecond, so the last printed digits vary as real `time.time()` values do: about a
/// quarter of them print one digit shorter.
pub const SIMULATED_STEP: f64 = 0.000_014_142_135_623_730_95;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    baseline: Option<Spanned<String>>,
    /// The engine cross-engine figures divide by (default: the first engine).
    engine_baseline: Option<Spanned<String>>,
    clock: Option<Spanned<ClockKind>>,
    #[serde(default)]
    verify: bool,
    /// `read = { ... }`: the read workload after the figures (crate::read).
    read: Option<crate::read::RawReadSettings>,
    #[serde(default)]
    server: RawServer,
    dataset: RawDataset,
    #[serde(default, rename = "variant")]
    variants: Vec<RawVariant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockKind {
    /// The default: starts at [`FIXED_CT`] and advances [`SIMULATED_STEP`] per record.
    Simulated,
    Fixed,
    Now,
}

impl ClockKind {
    pub fn name(self) -> &'static str {
        match self {
            ClockKind::Simulated => "simulated",
            ClockKind::Fixed => "fixed",
            ClockKind::Now => "now",
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    config: Option<Spanned<String>>,
    binary: Option<String>,
    #[serde(default)]
    overrides: std::collections::BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default, rename = "engine")]
    engines: Vec<engines::RawEngine>,
    cluster: Option<RawCluster>,
}

/// `[server] cluster = { nodes = N }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    nodes: Spanned<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    Demo,
    Custom,
    /// Records sampled from a real cache by `whatif --save-sample` (`file = "..."`).
    Sample,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataset {
    kind: DatasetKind,
    scale: Option<Spanned<f64>>,
    #[serde(default)]
    seed: u64,
    #[serde(default, rename = "family")]
    families: Vec<RawFamily>,
    /// `kind = "sample"`: the sample file, relative to the scenario.
    file: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFamily {
    name: Spanned<String>,
    count: Spanned<i64>,
    per_call: Option<Spanned<i64>>,
    key: Spanned<String>,
    bucket: Option<Spanned<String>>,
    field: Option<Spanned<String>>,
    /// Allows templates that write several records onto one key (a later record
    /// overwrites an earlier one).
    #[serde(default)]
    overwrite: bool,
    value: Spanned<ValueSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    name: Spanned<String>,
    codec: Codec,
    envelope: Envelope,
    pickle_protocol: Option<Spanned<i64>>,
    redis_ttl: Option<Spanned<i64>>,
    expiration_time: Option<Spanned<f64>>,
    #[serde(default = "default_layout")]
    layout: Layout,
    hash_ttl: Option<Spanned<HashTtl>>,
    version: Option<i64>,
    #[serde(default)]
    overrides: std::collections::BTreeMap<String, Spanned<toml::Value>>,
    /// Records per hash bucket for every family, for this variant alone.
    bucket_size: Option<Spanned<i64>>,
    /// Bucket and field templates for this variant alone (`{family}`: the family's name).
    bucket: Option<Spanned<String>>,
    field: Option<Spanned<String>>,
}

fn default_layout() -> Layout {
    Layout::Keys
}

/// A checked scenario, ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub path: PathBuf,
    pub name: String,
    pub description: String,
    pub baseline: usize,
    /// The engine cross-engine figures divide by; `None`: the first.
    pub engine_baseline: Option<String>,
    pub clock_kind: ClockKind,
    /// Read every record back after priming (as `bench --verify`).
    pub verify: bool,
    /// The read workload after each variant's figures (as `bench --read`).
    pub read: Option<crate::read::ReadSettings>,
    pub server: ServerSpec,
    pub dataset: DatasetSpec,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub config_file: PathBuf,
    /// From the scenario; `None` means `$REDISADV_REDIS_SERVER` or PATH.
    pub binary: Option<PathBuf>,
    pub overrides: Vec<(String, String)>,
    /// `[[server.engine]]` (or `bench --engine`): every variant runs on each; empty: the
    /// system (or `binary`) redis-server alone, as before engines existed.
    pub engines: Vec<EngineChoice>,
    /// `[server] cluster = { nodes = N }` (or `bench --cluster N`): every job runs on a
    /// private cluster of this many nodes instead of one server.
    pub cluster: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct DatasetSpec {
    pub kind: DatasetKind,
    pub scale: f64,
    pub seed: u64,
    families: Vec<Family>,
    /// Where each family's `count` is written (`file:line:col`), for errors.
    count_at: Vec<String>,
    /// The file's scale and where it is written (`None`: the default): a different `scale`
    /// came from `--scale`.
    file_scale: f64,
    scale_at: Option<String>,
    /// A variant's own bucketing (`bucket_size`, or `bucket` and `field`), for every family.
    buckets: Option<buckets::Buckets>,
    /// `kind = "sample"`: the records, and which of them this run writes.
    pub sample: Option<SampleData>,
}

/// One way of caching the dataset (one run of a sweep).
#[derive(Debug, Clone)]
pub struct Variant {
    /// `base[key=value,...]` for a sweep's run, else the `[[variant]]`'s name.
    pub name: String,
    /// The `[[variant]]` it came from.
    pub base: String,
    /// The swept settings of this run, in file order: (`bucket_size`, `512`).
    pub sweep: Vec<(String, String)>,
    /// Its own dataset, when a sweep or the variant's bucketing changes it.
    pub dataset: Option<DatasetSpec>,
    pub format: Format,
    pub redis_ttl: Option<u64>,
    /// dogpile's `expiration_time` (the TTL dogpile checks itself), seconds.
    pub expiration_time: Option<f64>,
    pub layout: Layout,
    pub hash_ttl: HashTtl,
    pub version: i64,
    pub overrides: Vec<(String, String)>,
}

/// The largest `scale`: 100 times the demo is 110 million records.
pub const MAX_SCALE: f64 = 100.0;

/// The most runs a scenario's sweeps may make unless `bench --max-runs` allows more: each
/// run starts a server and measures the whole dataset, and the runs' plans are built
/// before the first one starts.
pub const MAX_RUNS: u64 = 1000;

/// The largest scenario file read (a scenario is a page of TOML; a sample it names is read
/// on its own terms).
const MAX_SCENARIO_BYTES: u64 = 16 << 20;

impl Scenario {
    pub fn load(path: &Path) -> anyhow::Result<Scenario> {
        Scenario::load_limited(path, MAX_RUNS)
    }

    /// [`Scenario::load`] allowing up to `max_runs` sweep runs.
    pub fn load_limited(path: &Path, max_runs: u64) -> anyhow::Result<Scenario> {
        use std::io::Read;
        let cannot =
            |e: std::io::Error| anyhow::anyhow!("cannot read scenario {}: {e}", path.display());
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_SCENARIO_BYTES + 1).read_to_end(&mut bytes))
            .map_err(cannot)?;
        if bytes.len() as u64 > MAX_SCENARIO_BYTES {
            anyhow::bail!(
                "{}: longer than {MAX_SCENARIO_BYTES} bytes (16 MiB), redisadv's limit for a \
                 scenario file; is it a scenario (TOML)?",
                path.display()
            );
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!("cannot read scenario {}: not UTF-8 ({e})", path.display())
        })?;
        sweep::expand(&text, path, max_runs)
    }

    /// Parses and checks `text`, read from `path` (for messages and relative paths); a
    /// sweep (a setting given as a list) becomes one variant per combination.
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<Scenario> {
        sweep::expand(text, path, MAX_RUNS)
    }

    /// Parses `text`, a sweep-free copy of `original` where `origin` maps offsets back, so
    /// messages name the line of the file.
    fn parse_expanded(
        text: &str,
        original: &str,
        origin: &dyn Fn(usize) -> usize,
        path: &Path,
    ) -> anyhow::Result<Scenario> {
        let at = |span: std::ops::Range<usize>| -> String {
            let (line, col) = line_col(original, origin(span.start));
            format!("{}:{line}:{col}", path.display())
        };
        let raw: RawScenario = toml::from_str(text).map_err(|e| match e.span() {
            // The offending line names the key even when the message does not.
            Some(span) => {
                let start = origin(span.start).min(original.len());
                let line = original[..start].matches('\n').count();
                let source = original.lines().nth(line).unwrap_or("").trim();
                anyhow::anyhow!("{}: {} (in `{source}`)", at(span), e.message())
            }
            None => anyhow::anyhow!("{}: {}", path.display(), e.message()),
        })?;
        let fail =
            |span: std::ops::Range<usize>, msg: String| anyhow::anyhow!("{}: {msg}", at(span));

        let dir = path.parent().unwrap_or(Path::new("."));
        let config_file = match &raw.server.config {
            Some(c) => {
                let p = dir.join(c.get_ref());
                if !p.is_file() {
                    return Err(fail(
                        c.span(),
                        format!(
                            "[server] config: {} does not exist (paths are relative to the \
                             scenario file)",
                            p.display()
                        ),
                    ));
                }
                p
            }
            None => find_upwards(dir, "redis.conf").ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: no redis.conf found beside the scenario or above it; set [server] \
                     config = \"path/to/redis.conf\"",
                    path.display()
                )
            })?,
        };
        let server =
            ServerSpec {
                config_file,
                binary: raw.server.binary.as_ref().map(PathBuf::from),
                overrides: overrides(&raw.server.overrides, "[server.overrides]", &at)?,
                engines: engines::parse(&raw.server.engines, dir, &at)?,
                cluster: match &raw.server.cluster {
                    Some(c) => Some(cluster::check_nodes(*c.nodes.get_ref()).map_err(|m| {
                        fail(c.nodes.span(), format!("[server] cluster nodes: {m}"))
                    })?),
                    None => None,
                },
            };
        let engine_baseline =
            engines::check_baseline(raw.engine_baseline.as_ref(), &server.engines, &at)?;

        let scale = match &raw.dataset.scale {
            Some(s) => {
                let v = *s.get_ref();
                check_scale(v).map_err(|m| fail(s.span(), format!("[dataset] scale: {m}")))?;
                v
            }
            None => 1.0,
        };
        let mut families = Vec::new();
        let mut count_at = Vec::new();
        match raw.dataset.kind {
            DatasetKind::Demo | DatasetKind::Custom if raw.dataset.file.is_some() => {
                return Err(fail(
                    raw.dataset.file.as_ref().expect("checked").span(),
                    "[dataset] file applies to kind = \"sample\" only; remove it".into(),
                ));
            }
            DatasetKind::Sample if !raw.dataset.families.is_empty() => {
                return Err(anyhow::anyhow!(
                    "{}: [[dataset.family]] needs kind = \"custom\" (a sample's records come from its file)",
                    path.display()
                ));
            }
            DatasetKind::Sample if raw.dataset.file.is_none() => {
                return Err(anyhow::anyhow!(
                    "{}: kind = \"sample\" needs file = \"SAMPLE.jsonl.gz\" in [dataset] (written by `redisadv whatif --save-sample`)",
                    path.display()
                ));
            }
            DatasetKind::Demo if !raw.dataset.families.is_empty() => {
                return Err(anyhow::anyhow!(
                    "{}: [[dataset.family]] needs kind = \"custom\" (the demo dataset is fixed)",
                    path.display()
                ));
            }
            DatasetKind::Custom if raw.dataset.families.is_empty() => {
                return Err(anyhow::anyhow!(
                    "{}: kind = \"custom\" needs at least one [[dataset.family]]",
                    path.display()
                ));
            }
            _ => {}
        }
        for f in &raw.dataset.families {
            let name = f.name.get_ref().clone();
            let where_ = format!("[[dataset.family]] {name:?}");
            let count = *f.count.get_ref();
            if count <= 0 {
                return Err(fail(
                    f.count.span(),
                    format!("{where_}: count must be positive, got {count}"),
                ));
            }
            let per_call = f
                .per_call
                .as_ref()
                .map(|p| (*p.get_ref(), p.span()))
                .unwrap_or((100, 0..0));
            if !(1..=100_000).contains(&per_call.0) {
                return Err(fail(
                    per_call.1,
                    format!("{where_}: per_call must be 1 to 100000, got {}", per_call.0),
                ));
            }
            let template = |t: &Spanned<String>, key: &str| {
                Template::parse(t.get_ref())
                    .map_err(|m| fail(t.span(), format!("{where_}: {key}: {m}")))
            };
            let key = template(&f.key, "key")?;
            let bucket = match &f.bucket {
                Some(b) => template(b, "bucket")?,
                None => Template::parse(&format!("{name}:{{i / 100}}")).expect("valid"),
            };
            let field = match &f.field {
                Some(b) => template(b, "field")?,
                None => Template::parse("{i % 100}").expect("valid"),
            };
            let value = ValueGen::compile(f.value.get_ref(), &format!("{where_}: value"))
                .map_err(|m| fail(f.value.span(), m))?;
            count_at.push(at(f.count.span()));
            families.push(Family {
                name,
                count: count as u64,
                per_call: per_call.0 as usize,
                key,
                bucket,
                field,
                value,
                seed: 0,
            });
        }

        if raw.variants.is_empty() {
            return Err(anyhow::anyhow!(
                "{}: no [[variant]]: a scenario needs at least one",
                path.display()
            ));
        }
        let sample = match &raw.dataset.file {
            Some(file) => {
                let p = dir.join(file.get_ref());
                let sample = crate::dataset::sample::Sample::load(&p)
                    .map_err(|e| fail(file.span(), format!("[dataset] file: {e:#}")))?;
                let keep = vec![true; sample.records.len()];
                Some(SampleData {
                    sample: std::sync::Arc::new(sample),
                    keep: std::sync::Arc::new(keep),
                })
            }
            None => None,
        };
        let dataset = DatasetSpec {
            kind: raw.dataset.kind,
            scale,
            seed: raw.dataset.seed,
            families,
            count_at,
            file_scale: scale,
            scale_at: raw.dataset.scale.as_ref().map(|s| at(s.span())),
            buckets: None,
            sample,
        };
        let mut variants: Vec<Variant> = Vec::new();
        for v in &raw.variants {
            let name = v.name.get_ref().clone();
            if name.contains(['[', ']']) {
                // A sweep's runs are named base[key=value,...]: a literal name of that shape
                // could be taken for a run, and get its figures in reports and comparisons.
                return Err(fail(
                    v.name.span(),
                    format!(
                        "variant name {name:?}: '[' and ']' are kept for the runs of a sweep \
                         (name[key=value]); rename the variant, e.g. {:?}",
                        name.replace(['[', ']'], "_")
                    ),
                ));
            }
            if variants.iter().any(|other| other.name == name) {
                return Err(fail(
                    v.name.span(),
                    format!("variant name {name:?} is used twice; names must be unique"),
                ));
            }
            let mut format = Format::new(v.codec, v.envelope);
            if let Some(p) = &v.pickle_protocol {
                let n = *p.get_ref();
                if v.codec != Codec::Pickle {
                    return Err(fail(
                        p.span(),
                        format!(
                            "variant {name:?}: pickle_protocol applies to codec = \"pickle\" only \
                             (this variant uses {}); remove it",
                            v.codec.name()
                        ),
                    ));
                }
                if !pickle::PROTOCOLS.contains(&(n as u8)) || n > 255 {
                    return Err(fail(
                        p.span(),
                        format!("variant {name:?}: pickle_protocol must be 2 to 5, got {n}"),
                    ));
                }
                format = format.with_pickle_protocol(n as u8);
            }
            let redis_ttl = match &v.redis_ttl {
                Some(t) if *t.get_ref() < 0 => {
                    return Err(fail(
                        t.span(),
                        format!(
                            "variant {name:?}: redis_ttl must be seconds >= 0 (0 or absent: no TTL)"
                        ),
                    ));
                }
                Some(t) if *t.get_ref() == 0 => None,
                Some(t) => Some(*t.get_ref() as u64),
                None => None,
            };
            let expiration_time = match &v.expiration_time {
                Some(t) if t.get_ref().is_nan() || *t.get_ref() <= 0.0 => {
                    return Err(fail(
                        t.span(),
                        format!("variant {name:?}: expiration_time must be positive seconds"),
                    ));
                }
                Some(t) => Some(*t.get_ref()),
                None => None,
            };
            let hash_ttl = match &v.hash_ttl {
                Some(h) if v.layout == Layout::Keys => {
                    return Err(fail(
                        h.span(),
                        format!(
                            "variant {name:?}: hash_ttl applies to layout = \"hash\" only (this \
                             variant uses the keys layout, whose TTL is redis_ttl); remove it or \
                             set layout = \"hash\""
                        ),
                    ));
                }
                Some(h) if *h.get_ref() == HashTtl::FieldTtl && redis_ttl.is_none() => {
                    return Err(fail(
                        h.span(),
                        format!(
                            "variant {name:?}: hash_ttl = \"field-ttl\" gives each field the \
                             variant's redis_ttl, and this variant has none; add redis_ttl = \
                             SECONDS (more than 0) or choose another hash_ttl"
                        ),
                    ));
                }
                Some(h) => *h.get_ref(),
                None => HashTtl::OnCreate,
            };
            variants.push(Variant {
                name: name.clone(),
                base: name.clone(),
                sweep: Vec::new(),
                dataset: buckets::of_variant(v, &name, &dataset, &fail)?,
                format,
                redis_ttl,
                expiration_time,
                layout: v.layout,
                hash_ttl,
                version: v.version.unwrap_or(
                    if v.envelope == Envelope::Tuple && v.codec == Codec::Pickle {
                        1
                    } else {
                        2
                    },
                ),
                overrides: overrides(&v.overrides, &format!("variant {name:?} overrides"), &at)?,
            });
        }
        for (f, family) in raw.dataset.families.iter().zip(&dataset.families) {
            check_distinct(f, family, &variants, &fail)?;
        }
        let baseline = match &raw.baseline {
            Some(b) => variants
                .iter()
                .position(|v| v.name == *b.get_ref())
                .ok_or_else(|| {
                    fail(
                        b.span(),
                        format!(
                            "baseline {:?} names no variant (variants: {})",
                            b.get_ref(),
                            names_of(&variants)
                        ),
                    )
                })?,
            None => 0,
        };
        Ok(Scenario {
            path: path.to_path_buf(),
            name: raw.name.into_inner(),
            description: raw.description,
            baseline,
            engine_baseline,
            clock_kind: raw
                .clock
                .map(|c| c.into_inner())
                .unwrap_or(ClockKind::Simulated),
            verify: raw.verify,
            read: raw
                .read
                .as_ref()
                .map(|r| crate::read::from_scenario(r, &at))
                .transpose()?,
            server,
            dataset,
            variants,
        })
    }

    /// The dataset `variant` writes: its own, or the scenario's.
    pub fn dataset_of<'a>(&'a self, variant: &'a Variant) -> &'a DatasetSpec {
        variant.dataset.as_ref().unwrap_or(&self.dataset)
    }

    /// `--scale`: every dataset of the run, the variants' own included.
    pub fn set_scale(&mut self, scale: f64) {
        self.dataset.scale = scale;
        for d in self.variants.iter_mut().filter_map(|v| v.dataset.as_mut()) {
            d.scale = scale;
        }
    }

    pub fn clock(&self) -> Clock {
        match self.clock_kind {
            ClockKind::Simulated => Clock::Simulated {
                start: FIXED_CT,
                step: SIMULATED_STEP,
            },
            ClockKind::Fixed => Clock::Fixed(FIXED_CT),
            ClockKind::Now => Clock::Now,
        }
    }

    /// Keeps only the named variants (`--only`): a run's full name, or a `[[variant]]`'s
    /// name for all its runs; unknown names are an error. The baseline stays when it is
    /// kept, else the first kept variant is the baseline.
    pub fn select(&mut self, names: &[String]) -> anyhow::Result<()> {
        let names = &sweep::rejoin(names);
        for n in names {
            if !self.variants.iter().any(|v| &v.name == n || &v.base == n) {
                anyhow::bail!(
                    "--only: no variant named {n:?} in {} (variants: {})",
                    self.path.display(),
                    names_of(&self.variants)
                );
            }
        }
        let baseline_name = self.variants[self.baseline].name.clone();
        self.variants
            .retain(|v| names.contains(&v.name) || names.contains(&v.base));
        self.baseline = self
            .variants
            .iter()
            .position(|v| v.name == baseline_name)
            .unwrap_or(0);
        Ok(())
    }
}

fn find_upwards(start: &Path, name: &str) -> Option<PathBuf> {
    let start = if start.as_os_str().is_empty() {
        Path::new(".")
    } else {
        start
    };
    let start = start.canonicalize().ok()?;
    start
        .ancestors()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, col)
}

/// `a, b, c`: the variants' names, for messages that list them.
pub fn names_of(variants: &[Variant]) -> String {
    variants
        .iter()
        .map(|v| v.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
