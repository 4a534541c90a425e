//! The records a bench writes: the plugin demo's dataset (quirks included) and user-defined
//! families with seeded random values. Records stream in set_multi calls; nothing holds the
//! whole dataset.

pub mod sample;
mod values;

pub use values::{ValueGen, ValueSpec};

use crate::codec::Value;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// Where a record lives in Redis: a plain key, or a field of a hash bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Key {
    Plain(String),
    Hash { bucket: String, field: String },
}

impl Key {
    pub fn hash(bucket: impl Into<String>, field: impl Into<String>) -> Key {
        Key::Hash {
            bucket: bucket.into(),
            field: field.into(),
        }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Plain(k) => f.write_str(k),
            Key::Hash { bucket, field } => write!(f, "({bucket:?}, {field:?})"),
        }
    }
}

/// How a variant lays keys out in Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// One Redis string per record.
    Keys,
    /// `HSET bucket field value`: the plugin's hstore backend.
    Hash,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::Keys => "keys",
            Layout::Hash => "hash",
        }
    }
}

/// A key template: text with `{i}`, `{i / N}`, `{i % N}` or `{i - i % N}` in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Index,
    Div(u64),
    Mod(u64),
    /// `i - i % N`: the first index of i's block of N.
    Block(u64),
    /// Record i's text from a sample of real records.
    Table(sample::Texts),
}

impl Template {
    pub fn parse(source: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("template {source:?}: '{{' without a closing '}}'"))?
                + open;
            let expr: String = rest[open + 1..close]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            parts.push(Self::expr(&expr).ok_or_else(|| {
                format!(
                    "template {source:?}: {{{expr}}} is not one of {{i}}, {{i / N}}, {{i % N}}, \
                     {{i - i % N}} (N a positive integer)"
                )
            })?);
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template {
            source: source.to_string(),
            parts,
        })
    }

    fn expr(expr: &str) -> Option<Part> {
        let positive = |n: &str| n.parse::<u64>().ok().filter(|n| *n > 0);
        if expr == "i" {
            Some(Part::Index)
        } else if let Some(n) = expr.strip_prefix("i-i%") {
            positive(n).map(Part::Block)
        } else if let Some(n) = expr.strip_prefix("i/") {
            positive(n).map(Part::Div)
        } else if let Some(n) = expr.strip_prefix("i%") {
            positive(n).map(Part::Mod)
        } else {
            None
        }
    }

    /// Record i's text is `texts[i]` (keys, buckets and fields of a sample).
    pub fn table(source: &str, texts: sample::Texts) -> Template {
        Template {
            source: source.to_string(),
            parts: vec![Part::Table(texts)],
        }
    }

    pub fn render(&self, i: u64) -> String {
        let mut out = String::with_capacity(self.source.len() + 8);
        // itoa rather than write!: a key or two per record, a million records a variant.
        let mut digits = itoa::Buffer::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Index => out.push_str(digits.format(i)),
                Part::Div(n) => out.push_str(digits.format(i / n)),
                Part::Mod(n) => out.push_str(digits.format(i % n)),
                Part::Block(n) => out.push_str(digits.format(i - i % n)),
                Part::Table(t) => out.push_str(t.get(i)),
            }
        }
        out
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The template's index expressions, in order (for checks that keys stay distinct).
    pub fn index_parts(&self) -> impl Iterator<Item = IndexPart> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Text(_) => None,
            Part::Index => Some(IndexPart::Index),
            Part::Div(n) => Some(IndexPart::Div(*n)),
            Part::Mod(n) => Some(IndexPart::Mod(*n)),
            Part::Block(n) => Some(IndexPart::Block(*n)),
            Part::Table(_) => Some(IndexPart::Index),
        })
    }
}

/// An index expression of a [`Template`]: `{i}`, `{i / N}`, `{i % N}`, `{i - i % N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexPart {
    Index,
    Div(u64),
    Mod(u64),
    Block(u64),
}

/// One family of records: `count` keys from templates, values from a generator, written
/// `per_call` records to a set_multi call.
#[derive(Debug, Clone)]
pub struct Family {
    pub name: String,
    pub count: u64,
    pub per_call: usize,
    pub key: Template,
    pub bucket: Template,
    pub field: Template,
    pub value: ValueGen,
    pub seed: u64,
}

impl Family {
    pub fn key(&self, i: u64, layout: Layout) -> Key {
        match layout {
            Layout::Keys => Key::Plain(self.key.render(i)),
            Layout::Hash => Key::Hash {
                bucket: self.bucket.render(i),
                field: self.field.render(i),
            },
        }
    }
}

/// The records of one scenario.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub families: Vec<Family>,
    /// Index of each sample key: (family, i).
    pub samples: Vec<(usize, u64)>,
}

const DEMO_DICT_PREFIXES: [&str; 6] = [
    "foo",
    "foobar",
    "foobarbiz",
    "foobarbizbash",
    "foobarbizbashfizzbuzz",
    "fizzbuzz",
];
const DEMO_STR_PREFIXES: [&str; 4] = [
    "qkknasdkk",
    "kehzipqyfnslhtqnzjsgqolf",
    "7124n9jasdgqbozjayqkdhag",
    "61jkansd89asd",
];

impl Dataset {
    /// The plugin demo's dataset times `scale`: max_a = 1,000,000 x scale int records in
    /// calls of 100; six dict families and four str families of max_b = 10,000 x scale
    /// records, the dicts in calls of 100 and the strs one per call (the demo's inner loop
    /// rewrites one key at a time).
    pub fn demo(scale: f64) -> Dataset {
        let max_a = (1_000_000.0 * scale).round() as u64;
        let max_b = (10_000.0 * scale).round() as u64;
        let t = |s: &str| Template::parse(s).expect("demo templates are valid");
        let mut families = vec![Family {
            name: "ints".into(),
            count: max_a,
            per_call: 100,
            key: t("{i}"),
            bucket: t("{i - i % 100}"),
            field: t("{i}"),
            value: ValueGen::Sequence { start: 0, step: 10 },
            seed: 0,
        }];
        for pfx in DEMO_DICT_PREFIXES {
            families.push(Family {
                name: pfx.into(),
                count: max_b,
                per_call: 100,
                key: t(&format!("{pfx}|{{i}}")),
                bucket: t(pfx),
                field: t("{i}"),
                value: ValueGen::Dict(vec![
                    (
                        "one".into(),
                        ValueGen::Sequence {
                            start: 0,
                            step: 399,
                        },
                    ),
                    ("two".into(), ValueGen::Const(Value::str(pfx))),
                ]),
                seed: 0,
            });
        }
        for pfx in DEMO_STR_PREFIXES {
            families.push(Family {
                name: pfx.into(),
                count: max_b,
                per_call: 1,
                key: t(&format!("{pfx}|{{i}}")),
                bucket: t(pfx),
                field: t("{i}"),
                value: ValueGen::Const(Value::str(pfx)),
                seed: 0,
            });
        }
        // The demo printed keys 1, 100, 1000, fizzbuzz|999 and qkknasdkk|999.
        let samples = vec![(0, 1), (0, 100), (0, 1000), (6, 999), (7, 999)];
        Dataset { families, samples }
    }

    /// User families; each family's generator is seeded from `seed` and its position.
    /// Samples: the first, middle and last record of each family.
    pub fn custom(mut families: Vec<Family>, seed: u64) -> Dataset {
        let mut samples = Vec::new();
        for (idx, family) in families.iter_mut().enumerate() {
            family.seed = seed ^ (idx as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            if family.count > 0 {
                for i in [0, family.count / 2, family.count - 1] {
                    if !samples.contains(&(idx, i)) {
                        samples.push((idx, i));
                    }
                }
            }
        }
        Dataset { families, samples }
    }

    pub fn record_count(&self) -> u64 {
        self.families.iter().map(|f| f.count).sum()
    }

    /// The sample keys under a layout, skipping any the dataset is too small to hold.
    pub fn sample_keys(&self, layout: Layout) -> Vec<Key> {
        self.samples
            .iter()
            .filter(|(f, i)| *i < self.families[*f].count)
            .map(|(f, i)| self.families[*f].key(*i, layout))
            .collect()
    }

    /// Every set_multi call, in order, as the application would make them.
    /// The key of the `n`th record [`calls`](Self::calls) yields (counting from 0).
    pub fn key_at(&self, mut n: u64, layout: Layout) -> Option<Key> {
        for family in &self.families {
            if n < family.count {
                return Some(family.key(n, layout));
            }
            n -= family.count;
        }
        None
    }

    pub fn calls(&self, layout: Layout) -> Calls<'_> {
        Calls {
            dataset: self,
            layout,
            family: 0,
            next: 0,
            rng: None,
        }
    }

    /// One record, regenerated: the value of record `i` of family `f` (for verification).
    /// Random families replay their generator from the start, so this is for spot checks.
    pub fn record(&self, f: usize, i: u64, layout: Layout) -> (Key, Value) {
        let family = &self.families[f];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(family.seed);
        let mut value = Value::None;
        for j in 0..=i {
            value = family.value.generate(j, &mut rng);
        }
        (family.key(i, layout), value)
    }
}

/// One set_multi call: its records in order.
pub type Call = Vec<(Key, Value)>;

/// Streams a dataset's calls without holding them.
pub struct Calls<'a> {
    dataset: &'a Dataset,
    layout: Layout,
    family: usize,
    next: u64,
    rng: Option<Xoshiro256PlusPlus>,
}

impl Iterator for Calls<'_> {
    type Item = Call;

    fn next(&mut self) -> Option<Call> {
        loop {
            let family = self.dataset.families.get(self.family)?;
            if self.next >= family.count {
                self.family += 1;
                self.next = 0;
                self.rng = None;
                continue;
            }
            let rng = self
                .rng
                .get_or_insert_with(|| Xoshiro256PlusPlus::seed_from_u64(family.seed));
            let end = (self.next + family.per_call as u64).min(family.count);
            let call = (self.next..end)
                .map(|i| (family.key(i, self.layout), family.value.generate(i, rng)))
                .collect();
            self.next = end;
            return Some(call);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::pyliteral;

    #[test]
    fn key_at_names_the_records_in_call_order() {
        let d = Dataset::demo(0.01);
        for layout in [Layout::Keys, Layout::Hash] {
            let keys: Vec<Key> = d.calls(layout).flatten().map(|(k, _)| k).collect();
            for (n, key) in keys.iter().enumerate() {
                assert_eq!(d.key_at(n as u64, layout).as_ref(), Some(key));
            }
            assert_eq!(d.key_at(keys.len() as u64, layout), None);
        }
    }

    #[test]
    fn demo_matches_the_plugin_demo() {
        let d = Dataset::demo(0.01);
        assert_eq!(d.record_count(), 10_000 + 10 * 100);
        let calls: Vec<Call> = d.calls(Layout::Keys).collect();
        assert_eq!(calls.len(), 100 + 6 + 4 * 100);
        assert_eq!(calls[0][1], (Key::Plain("1".into()), Value::Int(10)));
        let dict_call = &calls[100 + 5];
        assert_eq!(dict_call[99].0, Key::Plain("fizzbuzz|99".into()));
        assert_eq!(
            dict_call[99].1,
            pyliteral::parse("{'one': 39501, 'two': 'fizzbuzz'}").unwrap()
        );
        let hashed: Vec<Call> = d.calls(Layout::Hash).collect();
        assert_eq!(hashed[3][57].0, Key::hash("300", "357"));
        assert_eq!(
            hashed.last().unwrap()[0].0,
            Key::hash("61jkansd89asd", "99")
        );
    }

    #[test]
    fn templates_render_and_reject() {
        let t = Template::parse("user:{i / 1000}:{ i % 1000 }|{i - i % 100}").unwrap();
        assert_eq!(t.render(123456), "user:123:456|123400");
        assert!(Template::parse("x{j}").is_err());
        assert!(Template::parse("x{i % 0}").is_err());
        assert!(Template::parse("x{i").is_err());
    }

    #[test]
    fn random_families_repeat() {
        let spec: ValueSpec = toml::from_str(
            "type = 'dict'\n[fields]\nname = { type = 'str', min_len = 3, max_len = 9 }\n\
             tags = { type = 'list', min_len = 0, max_len = 3, item = { type = 'text', min_words = 1, max_words = 2 } }",
        )
        .unwrap();
        let family = Family {
            name: "users".into(),
            count: 50,
            per_call: 7,
            key: Template::parse("u:{i}").unwrap(),
            bucket: Template::parse("u:{i / 10}").unwrap(),
            field: Template::parse("{i % 10}").unwrap(),
            value: ValueGen::compile(&spec, "value").unwrap(),
            seed: 0,
        };
        let d = Dataset::custom(vec![family], 42);
        let a: Vec<Call> = d.calls(Layout::Keys).collect();
        let b: Vec<Call> = d.calls(Layout::Keys).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 8);
        assert_eq!(d.record(0, 9, Layout::Keys), a[1][2]);
    }
}
