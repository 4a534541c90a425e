//! Warnings from the plan: what the keys and values as written and the server's effective
//! limits say Redis will do with the variant's keys. Pure functions of the scan and limits.

use super::encoding::Limits;
use super::written::PlanScan;

/// The setting value to suggest: the next power of two that holds `needed`.
fn raise_to(needed: u64) -> u64 {
    needed.max(1).next_power_of_two()
}

/// One warning per cause, each naming the worst bucket or key and how to avoid it.
pub fn warnings(scan: &PlanScan, limits: Limits) -> Vec<String> {
    let mut out = Vec::new();
    let value_limit = limits.hash_max_listpack_value;
    let entries_limit = limits.hash_max_listpack_entries;
    let too_long: Vec<&(String, u64, u64, u64)> =
        scan.buckets.iter().filter(|b| b.3 > value_limit).collect();
    if let Some(worst) = too_long
        .iter()
        .max_by_key(|b| (b.3, std::cmp::Reverse(&b.0)))
    {
        out.push(format!(
            "{} of {} buckets will be hashtables: bucket {} holds a {} B value > \
             hash-max-listpack-value {value_limit}; raise it to {} or keep values under {} B",
            too_long.len(),
            scan.buckets.len(),
            worst.0,
            worst.3,
            raise_to(worst.3),
            value_limit + 1
        ));
    }
    let long_fields: Vec<&(String, u64, u64, u64)> =
        scan.buckets.iter().filter(|b| b.2 > value_limit).collect();
    if let Some(worst) = long_fields
        .iter()
        .max_by_key(|b| (b.2, std::cmp::Reverse(&b.0)))
    {
        out.push(format!(
            "{} of {} buckets will be hashtables: bucket {} has a {} B field name > \
             hash-max-listpack-value {value_limit}; raise it to {} or use shorter field names",
            long_fields.len(),
            scan.buckets.len(),
            worst.0,
            worst.2,
            raise_to(worst.2)
        ));
    }
    let crowded: Vec<&(String, u64, u64, u64)> = scan
        .buckets
        .iter()
        .filter(|b| b.1 > entries_limit)
        .collect();
    if let Some(worst) = crowded
        .iter()
        .max_by_key(|b| (b.1, std::cmp::Reverse(&b.0)))
    {
        out.push(format!(
            "{} of {} buckets will be hashtables: bucket {} gets {} fields > \
             hash-max-listpack-entries {entries_limit}; raise it to {} or use buckets of at \
             most {entries_limit} fields",
            crowded.len(),
            scan.buckets.len(),
            worst.0,
            worst.1,
            raise_to(worst.1)
        ));
    }
    if scan.raw_values > 0
        && let Some((key, size)) = &scan.longest_value
    {
        out.push(format!(
            "{} of {} values are {} and will be raw strings (object and bytes in two \
             allocations instead of one embstr); the longest value, key {key}, is {size} B",
            scan.raw_values,
            scan.written.records,
            scan.embedding.describe(scan.ttl)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::encoding::Embedding;
    use crate::explain::written::{SizeStat, Written};
    use std::collections::BTreeMap;

    fn scan(buckets: Vec<(String, u64, u64, u64)>, raw: u64) -> PlanScan {
        PlanScan {
            written: Written {
                records: 1000,
                redis_keys: buckets.len() as u64,
                key_bytes: SizeStat::default(),
                value_bytes: SizeStat::default(),
                hash: None,
                predicted_encodings: BTreeMap::new(),
            },
            buckets,
            longest_value: Some(("users:7".into(), 310)),
            raw_values: raw,
            embedding: Embedding::Redis7,
            ttl: false,
            check: Vec::new(),
            sampled: false,
        }
    }

    const LIMITS: Limits = Limits {
        hash_max_listpack_entries: 512,
        hash_max_listpack_value: 64,
    };

    #[test]
    fn long_values_name_the_bucket_and_the_fix() {
        let w = warnings(
            &scan(
                vec![
                    ("users:11".into(), 100, 5, 290),
                    ("users:12".into(), 100, 5, 310),
                ],
                0,
            ),
            LIMITS,
        );
        assert_eq!(
            w,
            vec![
                "2 of 2 buckets will be hashtables: bucket users:12 holds a 310 B value > \
                 hash-max-listpack-value 64; raise it to 512 or keep values under 65 B"
            ]
        );
    }

    #[test]
    fn crowded_buckets_and_raw_strings_warn() {
        let w = warnings(&scan(vec![("big".into(), 1000, 4, 10)], 0), LIMITS);
        assert!(w[0].contains("1000 fields > hash-max-listpack-entries 512; raise it to 1024"));
        let w = warnings(&scan(Vec::new(), 40), LIMITS);
        assert!(w[0].starts_with("40 of 1000 values are longer than 44 B"));
        assert!(warnings(&scan(vec![("ok".into(), 100, 3, 60)], 0), LIMITS).is_empty());
    }

    #[test]
    fn raw_strings_state_the_engine_s_threshold() {
        let on = |embedding, ttl| {
            let mut s = scan(Vec::new(), 7);
            s.embedding = embedding;
            s.ttl = ttl;
            warnings(&s, LIMITS).remove(0)
        };
        assert!(on(Embedding::Redis7, true).starts_with("7 of 1000 values are longer than 44 B"));
        assert!(
            on(Embedding::Redis8, true)
                .starts_with("7 of 1000 values are longer than 41 B with their key (Redis 8")
        );
        let valkey = on(Embedding::Valkey9, false);
        assert!(
            valkey.contains("longer than 113 B with their key"),
            "{valkey}"
        );
        assert!(
            valkey.contains("111 B for keys of 32 B or more"),
            "{valkey}"
        );
        assert!(!valkey.contains("44 B"), "{valkey}");
        let valkey = on(Embedding::Valkey9, true);
        assert!(
            valkey.contains("key and the expire too: key + value <= 105 B"),
            "{valkey}"
        );
        assert!(
            valkey.ends_with("the longest value, key users:7, is 310 B"),
            "{valkey}"
        );
    }
}
