//! The views beside the pattern table: how the server was read, its other databases, the
//! keys that never expire and the largest keys.

use super::Extrapolation;
use super::stats::PatternStats;
use serde::{Deserialize, Serialize};

/// What else a reader needs: how the server was read, the other databases, the keys that
/// never expire and the largest keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Extras {
    /// MEMORY USAGE ... SAMPLES 0 (exact for aggregates) rather than Redis's default 5.
    #[serde(default)]
    pub exact: bool,
    /// CLIENT NO-TOUCH was on: the keys' LRU/LFU clocks were left alone.
    #[serde(default)]
    pub no_touch: bool,
    /// Why it was not, when it was not.
    #[serde(default)]
    pub touch_cause: Option<String>,
    /// Figures this server could not give, each with its cause.
    #[serde(default)]
    pub unknown: Vec<String>,
    /// Set when --max-patterns was reached: what happened to the rarer patterns.
    #[serde(default)]
    pub patterns_capped: Option<String>,
    /// Every database of the server with keys (INFO keyspace).
    #[serde(default)]
    pub databases: Vec<DatabaseKeys>,
    /// Keys without a TTL, per pattern (largest first).
    #[serde(default)]
    pub never_expires: Vec<NeverExpires>,
    /// The largest keys read, by MEMORY USAGE.
    #[serde(default)]
    pub largest_keys: Vec<LargestKey>,
    /// The largest reply one round trip was allowed (a share of the memory headroom).
    #[serde(default)]
    pub read_budget_bytes: u64,
    /// Read from an RDB file: where a copy Redis rebuilt from the file differs from the live
    /// server ([`LOADED_COPY`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loaded_copy: Option<String>,
}

/// What a copy loaded (or restored) from an RDB file does not tell about the live server.
pub const LOADED_COPY: &str = "--rdb: a copy Redis rebuilt from the file, not the live \
     server: loading rebuilds every value (streams and big hashes, sets and sorted sets get \
     tables and nodes sized for what they hold, without the slack a live key keeps from its \
     growth and deletions; strings get no spare room), encodings follow this private \
     server's default listpack limits, not the live server's, and there is no fragmentation; \
     the live server's MEMORY USAGE can be higher, most for streams and big hashes";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseKeys {
    pub db: i64,
    pub keys: u64,
    pub expires: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NeverExpires {
    pub pattern: String,
    /// Keys without a TTL (extrapolated in a sample), and their MEMORY USAGE.
    pub keys: f64,
    pub bytes: f64,
    /// Of the pattern's keys.
    pub share_of_keys: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LargestKey {
    pub key: String,
    pub pattern: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// MEMORY USAGE, plus the expires table's share when it has a TTL.
    pub bytes: f64,
    pub ttl_seconds: Option<f64>,
}

/// `db0:keys=5,expires=2,avg_ttl=0` lines of INFO keyspace.
pub(super) fn databases(keyspace: &std::collections::HashMap<String, String>) -> Vec<DatabaseKeys> {
    let mut out: Vec<DatabaseKeys> = keyspace
        .iter()
        .filter_map(|(name, line)| {
            let db = name.strip_prefix("db")?.parse().ok()?;
            let field = |f: &str| {
                line.split(',')
                    .find_map(|kv| kv.strip_prefix(f))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            };
            Some(DatabaseKeys {
                db,
                keys: field("keys="),
                expires: field("expires="),
            })
        })
        .collect();
    out.sort_by_key(|d| d.db);
    out
}

/// What the report says when --max-patterns was reached.
pub fn capped_note(cap: usize) -> String {
    format!(
        "--max-patterns {cap} was reached: rare patterns were merged into their families, \
         then new ones grouped by their first segment (shown as prefix{{*}}); raise \
         --max-patterns to see them one by one"
    )
}

/// What the report says when --max-patterns was reached and a second pass read the keys
/// again (`plan`): rows that do not depend on SCAN's order.
pub fn planned_note(cap: usize, t: super::plan::Thresholds) -> String {
    format!(
        "--max-patterns {cap} was reached: the keys were read a second time; each pattern with \
         more than {} keys or {} (1/{cap} of the keys or of the MEMORY USAGE read) has its own \
         row, the rest are grouped by their first segment (prefix{{*}}) when it holds more \
         than that, else counted in \"other\"; these rows do not depend on the order SCAN \
         lists the keys. Raise --max-patterns to see the rarer patterns one by one",
        t.keys,
        super::render::human(t.bytes as f64)
    )
}

/// Per listed pattern (and "other"), the keys without a TTL and their bytes, largest first.
pub(super) fn never_expires(
    ctx: &Extrapolation,
    rows: &[(String, PatternStats)],
    other: &PatternStats,
    top: usize,
) -> Vec<NeverExpires> {
    let mut out: Vec<NeverExpires> = rows
        .iter()
        .map(|(p, s)| (p.as_str(), s))
        .chain(std::iter::once(("other", other)))
        .filter(|(_, s)| s.keys > s.with_ttl)
        .map(|(p, s)| {
            let scale = ctx.scale();
            NeverExpires {
                pattern: p.to_string(),
                keys: (s.keys - s.with_ttl) as f64 * scale,
                bytes: (s.memory as f64 - s.memory_with_ttl) * scale,
                share_of_keys: (s.keys - s.with_ttl) as f64 / s.keys.max(1) as f64,
            }
        })
        .collect();
    out.sort_by(|a, b| b.bytes.total_cmp(&a.bytes).then(a.pattern.cmp(&b.pattern)));
    out.truncate(top);
    out
}
