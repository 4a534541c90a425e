//! Value generators: how a family's payloads are made, from the scenario's `value` tables.

use crate::codec::{Value, pyliteral};
use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// How a family's payloads are made. Random kinds draw from the family's seeded generator,
/// so a scenario writes the same values on every run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ValueSpec {
    /// `start + i * step`: the demo's `x * 10`.
    Sequence {
        #[serde(default)]
        start: i64,
        #[serde(default = "one")]
        step: i64,
    },
    /// A random int in `min..=max`.
    Int { min: i64, max: i64 },
    /// A random float in `min..max`.
    Float { min: f64, max: f64 },
    /// Random letters and digits, `min_len..=max_len` characters.
    Str { min_len: usize, max_len: usize },
    /// Random lowercase words separated by spaces, `min_words..=max_words` of them.
    Text { min_words: usize, max_words: usize },
    /// Random bytes, `min_len..=max_len` of them.
    Bytes { min_len: usize, max_len: usize },
    /// The same value every time, written as a Python literal.
    Const { value: String },
    /// A list of `min_len..=max_len` items.
    List {
        item: Box<ValueSpec>,
        min_len: usize,
        max_len: usize,
    },
    /// A dict with these keys, in this order.
    Dict {
        fields: toml::map::Map<String, toml::Value>,
    },
}

fn one() -> i64 {
    1
}

/// A [`ValueSpec`] checked and compiled: const literals parsed, dict fields resolved.
#[derive(Debug, Clone)]
pub enum ValueGen {
    Sequence {
        start: i64,
        step: i64,
    },
    Int {
        min: i64,
        max: i64,
    },
    Float {
        min: f64,
        max: f64,
    },
    Str {
        min_len: usize,
        max_len: usize,
    },
    Text {
        min_words: usize,
        max_words: usize,
    },
    Bytes {
        min_len: usize,
        max_len: usize,
    },
    Const(Value),
    List {
        item: Box<ValueGen>,
        min_len: usize,
        max_len: usize,
    },
    Dict(Vec<(String, ValueGen)>),
    /// Record `i`'s value from a sample of real records (`kind = "sample"`).
    Table(super::sample::Payloads),
}

impl ValueGen {
    /// Compiles a spec; `at` names where it sits in the scenario, for errors.
    pub fn compile(spec: &ValueSpec, at: &str) -> Result<ValueGen, String> {
        let range = |min: usize, max: usize, what: &str| {
            if min > max {
                Err(format!(
                    "{at}: min_{what} ({min}) is larger than max_{what} ({max})"
                ))
            } else {
                Ok(())
            }
        };
        Ok(match spec {
            ValueSpec::Sequence { start, step } => ValueGen::Sequence {
                start: *start,
                step: *step,
            },
            ValueSpec::Int { min, max } => {
                if min > max {
                    return Err(format!("{at}: min ({min}) is larger than max ({max})"));
                }
                ValueGen::Int {
                    min: *min,
                    max: *max,
                }
            }
            ValueSpec::Float { min, max } => {
                if min >= max || !min.is_finite() || !max.is_finite() {
                    return Err(format!("{at}: need finite min < max, got {min} and {max}"));
                }
                ValueGen::Float {
                    min: *min,
                    max: *max,
                }
            }
            ValueSpec::Str { min_len, max_len } => {
                range(*min_len, *max_len, "len")?;
                ValueGen::Str {
                    min_len: *min_len,
                    max_len: *max_len,
                }
            }
            ValueSpec::Text {
                min_words,
                max_words,
            } => {
                range(*min_words, *max_words, "words")?;
                ValueGen::Text {
                    min_words: *min_words,
                    max_words: *max_words,
                }
            }
            ValueSpec::Bytes { min_len, max_len } => {
                range(*min_len, *max_len, "len")?;
                ValueGen::Bytes {
                    min_len: *min_len,
                    max_len: *max_len,
                }
            }
            ValueSpec::Const { value } => ValueGen::Const(
                pyliteral::parse(value)
                    .map_err(|e| format!("{at}: value {value:?} is not a Python literal: {e}"))?,
            ),
            ValueSpec::List {
                item,
                min_len,
                max_len,
            } => {
                range(*min_len, *max_len, "len")?;
                ValueGen::List {
                    item: Box::new(ValueGen::compile(item, &format!("{at}.item"))?),
                    min_len: *min_len,
                    max_len: *max_len,
                }
            }
            ValueSpec::Dict { fields } => {
                let mut out = Vec::new();
                for (name, raw) in fields {
                    let where_ = format!("{at}.fields.{name}");
                    let spec: ValueSpec = raw
                        .clone()
                        .try_into()
                        .map_err(|e| format!("{where_}: {}", e.to_string().trim()))?;
                    out.push((name.clone(), ValueGen::compile(&spec, &where_)?));
                }
                ValueGen::Dict(out)
            }
        })
    }

    /// About how many bytes one value takes once serialized: for size estimates only.
    pub fn estimated_len(&self) -> f64 {
        let mid = |a: usize, b: usize| (a as f64 + b as f64) / 2.0;
        match self {
            ValueGen::Sequence { .. } | ValueGen::Int { .. } | ValueGen::Float { .. } => 9.0,
            ValueGen::Str { min_len, max_len } | ValueGen::Bytes { min_len, max_len } => {
                mid(*min_len, *max_len) + 5.0
            }
            ValueGen::Text {
                min_words,
                max_words,
            } => mid(*min_words, *max_words) * 6.5 + 5.0,
            ValueGen::Const(v) => pyliteral::repr(v).len() as f64,
            ValueGen::Table(t) => t.mean_len(|v| pyliteral::repr(v).len()),
            ValueGen::List {
                item,
                min_len,
                max_len,
            } => mid(*min_len, *max_len) * (item.estimated_len() + 1.0) + 5.0,
            ValueGen::Dict(fields) => fields
                .iter()
                .map(|(name, g)| name.len() as f64 + 3.0 + g.estimated_len())
                .sum::<f64>()
                .max(1.0),
        }
    }

    pub fn generate(&self, i: u64, rng: &mut Xoshiro256PlusPlus) -> Value {
        const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        match self {
            ValueGen::Sequence { start, step } => {
                Value::Int(start.wrapping_add((i as i64).wrapping_mul(*step)))
            }
            ValueGen::Int { min, max } => Value::Int(rng.random_range(*min..=*max)),
            ValueGen::Float { min, max } => Value::Float(rng.random_range(*min..*max)),
            ValueGen::Str { min_len, max_len } => {
                let n = rng.random_range(*min_len..=*max_len);
                Value::Str(
                    (0..n)
                        .map(|_| ALNUM[rng.random_range(0..ALNUM.len())] as char)
                        .collect(),
                )
            }
            ValueGen::Text {
                min_words,
                max_words,
            } => {
                let n = rng.random_range(*min_words..=*max_words);
                let words: Vec<String> = (0..n)
                    .map(|_| {
                        let len = rng.random_range(2..=9);
                        (0..len)
                            .map(|_| (b'a' + rng.random_range(0..26u8)) as char)
                            .collect()
                    })
                    .collect();
                Value::Str(words.join(" "))
            }
            ValueGen::Bytes { min_len, max_len } => {
                let n = rng.random_range(*min_len..=*max_len);
                Value::Bytes((0..n).map(|_| rng.random::<u8>()).collect())
            }
            ValueGen::Const(v) => v.clone(),
            ValueGen::Table(t) => t.get(i),
            ValueGen::List {
                item,
                min_len,
                max_len,
            } => {
                let n = rng.random_range(*min_len..=*max_len);
                Value::List((0..n).map(|_| item.generate(i, rng)).collect())
            }
            ValueGen::Dict(fields) => Value::Dict(
                fields
                    .iter()
                    .map(|(name, g)| (Value::Str(name.clone()), g.generate(i, rng)))
                    .collect(),
            ),
        }
    }
}
