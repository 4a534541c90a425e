//! The encoding Redis 7.0 picks for a value, as pure functions of its bytes and the server's
//! limits, and the measured mix read back with OBJECT ENCODING.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest string Redis 7.0 keeps in one allocation with its object (embstr).
pub const EMBSTR_MAX: usize = 44;

/// The effective hash limits, read from the server with CONFIG GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub hash_max_listpack_entries: u64,
    pub hash_max_listpack_value: u64,
}

/// `int` for what Redis's string2l accepts in at most 20 bytes (no sign but `-`, no leading
/// zero, fits a signed 64-bit long), `embstr` up to 44 bytes, `raw` above.
pub fn string_encoding(bytes: &[u8]) -> &'static str {
    if bytes.len() <= 20 && parses_as_long(bytes) {
        "int"
    } else if bytes.len() <= EMBSTR_MAX {
        "embstr"
    } else {
        "raw"
    }
}

fn parses_as_long(bytes: &[u8]) -> bool {
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let canonical = match digits {
        [] => false,
        [b'0'] => bytes.len() == 1,
        [first, rest @ ..] => {
            (b'1'..=b'9').contains(first) && rest.iter().all(|b| b.is_ascii_digit())
        }
    };
    canonical
        && std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .is_some()
}

/// A hash stays a listpack while no field or value is longer than hash-max-listpack-value
/// and it has at most hash-max-listpack-entries fields; it never converts back.
pub fn hash_encoding(fields: u64, longest: u64, limits: Limits) -> &'static str {
    if longest > limits.hash_max_listpack_value || fields > limits.hash_max_listpack_entries {
        "hashtable"
    } else {
        "listpack"
    }
}

/// The encodings read back from the loaded server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodingMix {
    /// Redis keys the variant wrote.
    pub keys: u64,
    /// Keys whose OBJECT ENCODING was read: all of them, or a seeded sample.
    pub checked: u64,
    pub sampled: bool,
    /// The sample's seed (the scenario's), when sampled.
    pub seed: Option<u64>,
    /// Checked keys per encoding, as Redis names it (listpackex and others pass through).
    pub measured: BTreeMap<String, u64>,
    /// Checked keys whose encoding is not the one predicted from the plan and the limits.
    pub unexpected: u64,
    /// The first few, as `key: predicted -> measured`.
    pub unexpected_examples: Vec<String>,
}

/// Counts the measured encodings of `checked` (key, predicted) against `got`.
pub fn mix(
    keys: u64,
    checked: &[(String, String)],
    got: &[Option<String>],
    sampled: bool,
    seed: u64,
) -> EncodingMix {
    let mut measured: BTreeMap<String, u64> = BTreeMap::new();
    let mut unexpected = 0;
    let mut examples = Vec::new();
    for ((key, predicted), got) in checked.iter().zip(got) {
        let name = got.clone().unwrap_or_else(|| "missing".into());
        if !same_encoding(predicted, &name) {
            unexpected += 1;
            if examples.len() < 3 {
                examples.push(format!("{key}: {predicted} -> {name}"));
            }
        }
        *measured.entry(name).or_default() += 1;
    }
    EncodingMix {
        keys,
        checked: checked.len() as u64,
        sampled,
        seed: sampled.then_some(seed),
        measured,
        unexpected,
        unexpected_examples: examples,
    }
}

/// Whether `measured` is what `predicted` says: a small hash with field TTLs is Redis's
/// listpackex, but Valkey 9 converts a hash to a hashtable at its first field TTL.
fn same_encoding(predicted: &str, measured: &str) -> bool {
    predicted == measured || (predicted == "listpackex" && measured == "hashtable")
}

/// `1000 embstr, 10 raw`-style.
pub fn describe(counts: &BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return "-".into();
    }
    counts
        .iter()
        .map(|(name, n)| format!("{n} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_encode_as_redis_7_0_does() {
        assert_eq!(string_encoding(b"10"), "int");
        assert_eq!(string_encoding(b"-9223372036854775808"), "int");
        assert_eq!(string_encoding(b"9223372036854775808"), "embstr");
        assert_eq!(string_encoding(b"010"), "embstr");
        assert_eq!(string_encoding(b"-0"), "embstr");
        assert_eq!(string_encoding(b"+1"), "embstr");
        assert_eq!(string_encoding(b"0"), "int");
        assert_eq!(string_encoding(&[b'x'; 44]), "embstr");
        assert_eq!(string_encoding(&[b'x'; 45]), "raw");
    }

    #[test]
    fn hashes_convert_past_either_limit() {
        let l = Limits {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
        };
        assert_eq!(hash_encoding(512, 64, l), "listpack");
        assert_eq!(hash_encoding(513, 10, l), "hashtable");
        assert_eq!(hash_encoding(2, 65, l), "hashtable");
    }

    #[test]
    fn mix_counts_and_flags_surprises() {
        let checked = vec![("a".into(), "embstr".into()), ("b".into(), "int".into())];
        let got = vec![Some("embstr".into()), Some("raw".into())];
        let m = mix(2, &checked, &got, false, 7);
        assert_eq!(m.unexpected, 1);
        assert_eq!(m.unexpected_examples, vec!["b: int -> raw"]);
        assert_eq!(describe(&m.measured), "1 embstr, 1 raw");
        assert_eq!(m.seed, None);
        let ex = vec![
            ("h".into(), "listpackex".into()),
            ("i".into(), "listpackex".into()),
        ];
        let got = vec![Some("hashtable".into()), Some("listpack".into())];
        assert_eq!(
            mix(2, &ex, &got, false, 7).unexpected,
            1,
            "Valkey's hashtable only"
        );
    }
}
