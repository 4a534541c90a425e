//! A family's format. A value of one byte or a bare number reads as text and as a
//! serializer's value alike (msgpack's 42 is the byte `*`, json's 42 the text `42`), so
//! per record `detect` cannot tell; across a sampled family it can: when most of the family
//! decodes as one serializer, its ambiguous records are read in that format.

use super::detect::{Detected, Serializer, ValueFormat, decoded, detect, envelope};
use super::{json, msgpack};
use std::collections::BTreeMap;

/// The serializer formats an ambiguous reading can be taken back to.
const REREADABLE: [ValueFormat; 4] = [
    ValueFormat::Plain(Serializer::Msgpack),
    ValueFormat::Plain(Serializer::Json),
    ValueFormat::Dogpile(Serializer::Msgpack),
    ValueFormat::Dogpile(Serializer::Json),
];

fn ambiguous(f: ValueFormat) -> bool {
    matches!(f, ValueFormat::Text | ValueFormat::Binary)
}

/// `bytes` decoded as `format` (plain or dogpile-enveloped msgpack or json), if they do.
pub fn read_as(bytes: &[u8], format: ValueFormat) -> Option<Detected> {
    let (inner, created, s) = match format {
        ValueFormat::Plain(s) => (bytes, None, s),
        ValueFormat::Dogpile(s) => {
            let (ct, inner) = envelope(bytes)?;
            (inner, Some(ct), s)
        }
        _ => return None,
    };
    let value = match s {
        Serializer::Msgpack => msgpack::unpackb(inner).ok()?,
        Serializer::Json => json::loads(inner).ok()?,
        Serializer::Pickle => return None,
    };
    let mut d = decoded(format, value);
    d.created = created;
    Some(d)
}

/// Counts over a family's values: the formats read without doubt, and for the values read
/// as text or bytes, which serializer formats they also decode as.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    decisive: BTreeMap<ValueFormat, u64>,
    /// (read as, also decodes as) -> values.
    ambiguous: BTreeMap<(ValueFormat, ValueFormat), u64>,
    values: u64,
}

impl Tally {
    pub fn add(&mut self, bytes: &[u8], detected: ValueFormat) {
        match detected {
            ValueFormat::Empty => return,
            f if ambiguous(f) => {
                for to in REREADABLE {
                    if read_as(bytes, to).is_some() {
                        *self.ambiguous.entry((f, to)).or_default() += 1;
                    }
                }
            }
            ValueFormat::Compressed(_) => {}
            f => *self.decisive.entry(f).or_default() += 1,
        }
        self.values += 1;
    }

    pub fn merge(&mut self, other: &Tally) {
        for (f, n) in &other.decisive {
            *self.decisive.entry(*f).or_default() += n;
        }
        for (k, n) in &other.ambiguous {
            *self.ambiguous.entry(*k).or_default() += n;
        }
        self.values += other.values;
    }

    /// The family's format: of the formats some value reads as without doubt (or, for
    /// dogpile's envelope, whose payload alone is ambiguous, reads as at all), the one the
    /// most values decode as, when that is more than half the family. A family with no such
    /// value (all text) stays as read.
    pub fn family(&self) -> Option<ValueFormat> {
        let decoding = |f: ValueFormat| -> u64 {
            self.decisive.get(&f).copied().unwrap_or(0)
                + self
                    .ambiguous
                    .iter()
                    .filter(|((_, to), _)| *to == f)
                    .map(|(_, n)| n)
                    .sum::<u64>()
        };
        let enveloped = self
            .ambiguous
            .keys()
            .map(|(_, to)| *to)
            .filter(|to| matches!(to, ValueFormat::Dogpile(_)));
        let (n, f) = self
            .decisive
            .keys()
            .copied()
            .chain(enveloped)
            .map(|f| (decoding(f), std::cmp::Reverse(f)))
            .max()?;
        (2 * n > self.values).then_some(f.0)
    }

    /// Per-record format counts (as `detect` names them) with the family rule applied:
    /// the ambiguous values that decode in the family's format counted in it.
    pub fn apply(&self, formats: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
        let mut out = formats.clone();
        let Some(f) = self.family() else { return out };
        for ((from, to), n) in &self.ambiguous {
            if *to != f {
                continue;
            }
            if let Some(c) = out.get_mut(&from.name()) {
                let moved = (*n).min(*c);
                *c -= moved;
                *out.entry(f.name()).or_default() += moved;
            }
        }
        out.retain(|_, n| *n > 0);
        out
    }
}

/// The family format of a set of stored values (`None`: read each value as `detect` does).
pub fn family_of<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Option<ValueFormat> {
    let mut t = Tally::default();
    for v in values {
        t.add(v, detect(v).format);
    }
    t.family()
}

/// A value read within its family: `detect`'s reading, or the family's format when
/// `detect` reads the value as text or bytes and it decodes in that format.
pub fn reading(bytes: &[u8], family: Option<ValueFormat>) -> Detected {
    let d = detect(bytes);
    if ambiguous(d.format)
        && let Some(f) = family
        && let Some(r) = read_as(bytes, f)
    {
        return r;
    }
    d
}

/// A value read in the format a record names (a sample's `format`, settled by the family
/// rule when the sample was taken).
pub fn detect_as(bytes: &[u8], format: &str) -> Detected {
    reading(bytes, REREADABLE.into_iter().find(|f| f.name() == format))
}

#[cfg(test)]
mod tests;
