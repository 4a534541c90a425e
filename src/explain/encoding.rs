//! The encoding an engine picks for a value, as pure functions of its bytes, its key and the
//! server's limits, and the measured mix read back with OBJECT ENCODING.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::identity::{EMBSTR_MAX, Embedding};

/// The effective hash limits, read from the server with CONFIG GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub hash_max_listpack_entries: u64,
    pub hash_max_listpack_value: u64,
}

/// `int` for what Redis's string2l accepts in at most 20 bytes (no sign but `-`, no leading
/// zero, fits a signed 64-bit long), else `embstr` when `engine` embeds the value under a
/// `key`-byte key (stored with an expire when `ttl`), `raw` otherwise.
pub fn string_encoding(bytes: &[u8], key: usize, ttl: bool, engine: Embedding) -> &'static str {
    if bytes.len() <= 20 && parses_as_long(bytes) {
        "int"
    } else if engine.embeds(key, bytes.len(), ttl) {
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

    /// The value alone under Redis 7.0's rule: key and TTL do not count.
    fn r7(bytes: &[u8]) -> &'static str {
        string_encoding(bytes, 60, true, Embedding::Redis7)
    }

    #[test]
    fn strings_encode_as_redis_7_0_does() {
        assert_eq!(r7(b"10"), "int");
        assert_eq!(r7(b"-9223372036854775808"), "int");
        assert_eq!(r7(b"9223372036854775808"), "embstr");
        assert_eq!(r7(b"010"), "embstr");
        assert_eq!(r7(b"-0"), "embstr");
        assert_eq!(r7(b"+1"), "embstr");
        assert_eq!(r7(b"0"), "int");
        assert_eq!(r7(&[b'x'; 44]), "embstr");
        assert_eq!(r7(&[b'x'; 45]), "raw");
        for key in [0, 1, 33, 100] {
            assert!(Embedding::Redis7.embeds(key, 44, false));
            assert!(!Embedding::Redis7.embeds(key, 45, true));
        }
    }

    /// Boundaries measured on Redis 8.6.3 (MSET and SETEX alike): the longest embedded value
    /// is 41 - key bytes (41 under a 0-byte key, 30 under 11, 8 under 33, none under 60).
    #[test]
    fn redis_8_embeds_key_plus_value_up_to_41_bytes_ttl_or_not() {
        for ttl in [false, true] {
            for (key, longest) in [(0, 41), (1, 40), (5, 36), (11, 30), (31, 10), (33, 8)] {
                let e = Embedding::Redis8;
                assert!(e.embeds(key, longest, ttl), "{key} {longest} {ttl}");
                assert!(!e.embeds(key, longest + 1, ttl), "{key} {longest} {ttl}");
            }
            assert!(!Embedding::Redis8.embeds(60, 0, ttl));
            assert!(!Embedding::Redis8.embeds(41, 1, ttl));
        }
        let x = |n| vec![b'x'; n];
        assert_eq!(
            string_encoding(&x(30), 11, false, Embedding::Redis8),
            "embstr"
        );
        assert_eq!(string_encoding(&x(31), 11, true, Embedding::Redis8), "raw");
        // An integer stays an integer under any key.
        let long = b"-9223372036854775808";
        assert_eq!(string_encoding(long, 100, false, Embedding::Redis8), "int");
    }

    /// Boundaries measured on Valkey 9.1.2: key + value <= 113 B under keys shorter than
    /// 32 B, 111 B from 32 B on (the key's sds header grows from 1 to 3 B), 8 B less when
    /// the expire is stored with the key (SETEX).
    #[test]
    fn valkey_9_1_embeds_object_key_expire_and_value_in_128_bytes() {
        let cases = [
            (0, 113, 105),
            (1, 112, 104),
            (5, 108, 100),
            (11, 102, 94),
            (20, 93, 85),
            (31, 82, 74),
            (32, 79, 71),
            (33, 78, 70),
            (60, 51, 43),
            (100, 11, 3),
        ];
        let e = Embedding::Valkey9;
        for (key, plain, with_ttl) in cases {
            assert!(e.embeds(key, plain, false), "{key}");
            assert!(!e.embeds(key, plain + 1, false), "{key}");
            assert!(e.embeds(key, with_ttl, true), "{key}");
            assert!(!e.embeds(key, with_ttl + 1, true), "{key}");
        }
        // An empty value still embeds under a 111-byte key, not under 112 (measured).
        assert!(e.embeds(111, 0, false));
        assert!(!e.embeds(111, 1, false));
        assert!(!e.embeds(112, 0, false));
        assert_eq!(string_encoding(&[b'x'; 55], 5, true, e), "embstr");
        assert_eq!(string_encoding(&[b'x'; 101], 5, true, e), "raw");
        assert_eq!(
            string_encoding(b"9223372036854775808", 100, false, e),
            "raw"
        );
    }

    #[test]
    fn the_rule_follows_the_engine_in_info() {
        let info = |pairs: &[(&str, &str)]| -> std::collections::HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let rule = |server| {
            crate::identity::Identity::from_info(&server, &Default::default())
                .caps
                .embedding
        };
        let redis = |v| rule(info(&[("redis_version", v)]));
        assert_eq!(redis("7.0.15"), Embedding::Redis7);
        assert_eq!(redis("7.4.2"), Embedding::Redis7);
        assert_eq!(redis("8.6.3"), Embedding::Redis8);
        assert_eq!(redis("8.0.0"), Embedding::Redis8);
        let valkey = |v| {
            rule(info(&[
                ("redis_version", "7.2.4"),
                ("server_name", "valkey"),
                ("valkey_version", v),
            ]))
        };
        assert_eq!(valkey("9.1.2"), Embedding::Valkey9);
        assert_eq!(valkey("10.0.0"), Embedding::Valkey9);
        assert_eq!(valkey("7.2.5"), Embedding::Redis7);
        assert_eq!(rule(Default::default()), Embedding::Redis7);
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
