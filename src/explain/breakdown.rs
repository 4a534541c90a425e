//! Dataset bytes in parts that add up: the key table and the expires table as Redis
//! accounts them, and the rest (key names, objects, values) as the remainder.

use super::ttl_cost::{ENTRY_ROUNDING, TtlCost};
use crate::probe::TableStats;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub name: String,
    pub bytes: i64,
    /// How the figure was obtained: `MEMORY STATS`, `measured`, `derived`.
    pub source: String,
}

/// The parts of `dataset_bytes`; the last is the remainder, so they always add up.
pub fn breakdown(dataset_bytes: u64, stats: &TableStats, ttl: &TtlCost) -> Vec<Part> {
    let key_table = stats.main_table + stats.keys * ENTRY_ROUNDING;
    let expires = ttl.bytes();
    vec![
        Part {
            name: "key table".into(),
            bytes: key_table as i64,
            source: "derived: MEMORY STATS overhead.hashtable.main + 8 B/key allocator rounding"
                .into(),
        },
        Part {
            name: "expires table".into(),
            bytes: expires as i64,
            source: ttl.method().into(),
        },
        Part {
            name: "key names, objects and values".into(),
            bytes: dataset_bytes as i64 - key_table as i64 - expires as i64,
            source: "derived: dataset bytes minus the tables".into(),
        },
    ]
}

/// `key table 1.2 MB (22%), ...` per record.
pub fn describe(parts: &[Part], records: u64) -> String {
    parts
        .iter()
        .map(|p| {
            let per = if records == 0 {
                0.0
            } else {
                p.bytes as f64 / records as f64
            };
            format!("{} {} ({per:.1} B/record)", p.name, p.bytes)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_add_up() {
        let stats = TableStats {
            keys: 1000,
            main_table: 48_000,
            expires_table: 32_192,
        };
        let ttl = super::super::ttl_cost::derived(&stats, 1000);
        let parts = breakdown(200_000, &stats, &ttl);
        assert_eq!(parts.iter().map(|p| p.bytes).sum::<i64>(), 200_000);
        assert_eq!(parts[0].bytes, 56_000);
        assert_eq!(parts[1].bytes, 40_192);
    }
}
