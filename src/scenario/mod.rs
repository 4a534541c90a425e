//! Scenario files: the TOML model, its validation, and errors that name the file, the line
//! and the key.

use crate::backend::{Clock, HashTtl};
use crate::codec::{Codec, Envelope, Format, pickle};
use crate::dataset::{Dataset, Family, Layout, Template, ValueGen, ValueSpec};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The `ct` of the fixed clock: a present-day `time.time()` with all 17 digits, so stored
/// values have the length real ones have and every run stores the same bytes.
pub const FIXED_CT: f64 = 1795593845.0916238;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    baseline: Option<Spanned<String>>,
    clock: Option<Spanned<ClockKind>>,
    #[serde(default)]
    verify: bool,
    #[serde(default)]
    server: RawServer,
    dataset: RawDataset,
    #[serde(default, rename = "variant")]
    variants: Vec<RawVariant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockKind {
    Fixed,
    Now,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    config: Option<Spanned<String>>,
    binary: Option<String>,
    #[serde(default)]
    overrides: toml::map::Map<String, toml::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    Demo,
    Custom,
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
    #[serde(default = "default_hash_ttl")]
    hash_ttl: HashTtl,
    version: Option<i64>,
    #[serde(default)]
    overrides: toml::map::Map<String, toml::Value>,
}

fn default_layout() -> Layout {
    Layout::Keys
}

fn default_hash_ttl() -> HashTtl {
    HashTtl::OnCreate
}

/// A checked scenario, ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub path: PathBuf,
    pub name: String,
    pub description: String,
    pub baseline: usize,
    pub clock_kind: ClockKind,
    /// Read every record back after priming (as `bench --verify`).
    pub verify: bool,
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
}

#[derive(Debug, Clone)]
pub struct DatasetSpec {
    pub kind: DatasetKind,
    pub scale: f64,
    pub seed: u64,
    families: Vec<Family>,
}

impl DatasetSpec {
    /// The records, at this spec's scale.
    pub fn build(&self) -> Dataset {
        match self.kind {
            DatasetKind::Demo => Dataset::demo(self.scale),
            DatasetKind::Custom => {
                let families = self
                    .families
                    .iter()
                    .map(|f| Family {
                        count: ((f.count as f64) * self.scale).round().max(1.0) as u64,
                        ..f.clone()
                    })
                    .collect();
                Dataset::custom(families, self.seed)
            }
        }
    }
}

/// One way of caching the dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub name: String,
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

impl Scenario {
    pub fn load(path: &Path) -> anyhow::Result<Scenario> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read scenario {}: {e}", path.display()))?;
        Scenario::parse(&text, path)
    }

    /// Parses and checks `text`, read from `path` (for messages and relative paths).
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<Scenario> {
        let at = |span: std::ops::Range<usize>| -> String {
            let (line, col) = line_col(text, span.start);
            format!("{}:{line}:{col}", path.display())
        };
        let raw: RawScenario = toml::from_str(text).map_err(|e| match e.span() {
            // The offending line names the key even when the message does not.
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count();
                let source = text.lines().nth(line).unwrap_or("").trim();
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
        let server = ServerSpec {
            config_file,
            binary: raw.server.binary.as_ref().map(PathBuf::from),
            overrides: overrides(&raw.server.overrides, "[server.overrides]")
                .map_err(|m| anyhow::anyhow!("{}: {m}", path.display()))?,
        };

        let scale = match &raw.dataset.scale {
            Some(s) => {
                let v = *s.get_ref();
                check_scale(v).map_err(|m| fail(s.span(), format!("[dataset] scale: {m}")))?;
                v
            }
            None => 1.0,
        };
        let mut families = Vec::new();
        match raw.dataset.kind {
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
        let mut variants: Vec<Variant> = Vec::new();
        for v in &raw.variants {
            let name = v.name.get_ref().clone();
            if variants.iter().any(|other| other.name == name) {
                return Err(fail(
                    v.name.span(),
                    format!("variant name {name:?} is used twice; names must be unique"),
                ));
            }
            let mut format = Format::new(v.codec, v.envelope);
            if let Some(p) = &v.pickle_protocol {
                let n = *p.get_ref();
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
            variants.push(Variant {
                name: name.clone(),
                format,
                redis_ttl,
                expiration_time,
                layout: v.layout,
                hash_ttl: v.hash_ttl,
                version: v.version.unwrap_or(
                    if v.envelope == Envelope::Tuple && v.codec == Codec::Pickle {
                        1
                    } else {
                        2
                    },
                ),
                overrides: overrides(&v.overrides, &format!("variant {name:?} overrides"))
                    .map_err(|m| fail(v.name.span(), m))?,
            });
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
                            variants
                                .iter()
                                .map(|v| v.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
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
            clock_kind: raw
                .clock
                .map(|c| c.into_inner())
                .unwrap_or(ClockKind::Fixed),
            verify: raw.verify,
            server,
            dataset: DatasetSpec {
                kind: raw.dataset.kind,
                scale,
                seed: raw.dataset.seed,
                families,
            },
            variants,
        })
    }

    pub fn clock(&self) -> Clock {
        match self.clock_kind {
            ClockKind::Fixed => Clock::Fixed(FIXED_CT),
            ClockKind::Now => Clock::Now,
        }
    }

    /// Keeps only the named variants (`--only`); unknown names are an error. The baseline
    /// stays when it is kept, else the first kept variant is the baseline.
    pub fn select(&mut self, names: &[String]) -> anyhow::Result<()> {
        for n in names {
            if !self.variants.iter().any(|v| &v.name == n) {
                anyhow::bail!(
                    "--only: no variant named {n:?} in {} (variants: {})",
                    self.path.display(),
                    self.variants
                        .iter()
                        .map(|v| v.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        let baseline_name = self.variants[self.baseline].name.clone();
        self.variants.retain(|v| names.contains(&v.name));
        self.baseline = self
            .variants
            .iter()
            .position(|v| v.name == baseline_name)
            .unwrap_or(0);
        Ok(())
    }
}

pub fn check_scale(scale: f64) -> Result<(), String> {
    if scale.is_finite() && scale > 0.0 && scale <= MAX_SCALE {
        Ok(())
    } else {
        Err(format!(
            "must be more than 0 and at most {MAX_SCALE}, got {scale}"
        ))
    }
}

fn overrides(
    map: &toml::map::Map<String, toml::Value>,
    what: &str,
) -> Result<Vec<(String, String)>, String> {
    map.iter()
        .map(|(name, value)| {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(format!(
                    "{what}: {name:?} is not a redis.conf directive name"
                ));
            }
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => if *b { "yes" } else { "no" }.to_string(),
                other => {
                    return Err(format!(
                        "{what}: {name} must be a string, number or boolean, not {}",
                        other.type_str()
                    ));
                }
            };
            Ok((name.clone(), text))
        })
        .collect()
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
