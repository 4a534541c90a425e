//! Per-pattern figures, aggregated as keys stream by: counts and sums only, a bounded
//! reservoir of TTLs for the median, the largest keys, and a cap on the number of patterns
//! kept. At the cap, rare patterns are first merged into their families (random tokens after
//! a shared prefix), then grouped by their first segment; `inspect` then reads the keys a
//! second time with a plan that does not depend on SCAN's order ([`super::plan`]).

use super::pattern::{self, coarse};
pub use super::pattern_stats::PatternStats;
use super::plan::{Candidates, Plan, Planned, Thresholds};
use super::scan::Observation;
use std::collections::HashMap;

/// One of the largest keys read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LargeKey {
    pub memory: u64,
    pub key: String,
    pub kind: String,
    pub pttl: Option<i64>,
}

/// Patterns with at most this many keys are candidates for merging into a family.
const RARE: u64 = 2;

/// The patterns seen, at most `cap` of them. When the cap is reached, rare patterns that
/// differ only by a random token are merged into their family; keys of further new patterns
/// are grouped by their first segment (`prefix:{*}`, at most a quarter of `cap` such groups),
/// and only beyond that counted together under `overflow`, so memory stays bounded whatever
/// the keyspace holds while the big families stay whole.
pub struct Aggregate {
    pub patterns: HashMap<String, PatternStats>,
    pub overflow: PatternStats,
    cap: usize,
    /// Families made by merging tokens: their literal prefixes.
    families: Vec<String>,
    /// Set once the cap was reached: some keys were grouped coarser than their pattern.
    pub capped: bool,
    /// Keys added under a new pattern since the last compaction at the cap.
    new_since_compaction: usize,
    largest: std::collections::BinaryHeap<std::cmp::Reverse<LargeKey>>,
    largest_n: usize,
    /// The first pass's largest patterns and first segments, for a second pass.
    frequent: Option<Candidates>,
    /// A second pass: keys routed by the plan.
    planned: Option<Planned>,
    /// After a second pass: the keys or bytes a pattern needed for a row of its own.
    pub threshold: Option<Thresholds>,
}

impl Aggregate {
    pub fn new(cap: usize) -> Aggregate {
        Aggregate::with_largest(cap, 0)
    }

    /// Also keeps the `n` largest keys (by MEMORY USAGE).
    pub fn with_largest(cap: usize, n: usize) -> Aggregate {
        Aggregate {
            patterns: HashMap::new(),
            overflow: PatternStats::default(),
            cap: cap.max(1),
            families: Vec::new(),
            capped: false,
            new_since_compaction: usize::MAX,
            largest: std::collections::BinaryHeap::new(),
            largest_n: n,
            frequent: None,
            planned: None,
            threshold: None,
        }
    }

    /// A first pass that can plan a second one when the cap is reached.
    pub fn first_pass(cap: usize, n: usize) -> Aggregate {
        let mut a = Aggregate::with_largest(cap, n);
        a.frequent = Some(Candidates::new(a.cap));
        a
    }

    /// The candidates of a second pass (after a first pass that reached the cap).
    pub fn plan(&mut self) -> Option<Plan> {
        let candidates = self.frequent.take()?;
        self.capped.then(|| candidates.plan())
    }

    /// A second pass: keys counted under the plan's candidates, rows decided at the end
    /// ([`Aggregate::finish`]).
    pub fn second_pass(plan: Plan, cap: usize, n: usize) -> Aggregate {
        let mut a = Aggregate::with_largest(cap, n);
        a.planned = Some(Planned::new(plan));
        a.capped = true;
        a
    }

    /// Ends a second pass: its rows become the patterns, the rest the overflow.
    pub fn finish(&mut self) {
        if let Some(p) = self.planned.take() {
            self.threshold = Some(p.thresholds(self.cap));
            let (rows, overflow) = p.finish(self.cap);
            self.patterns = rows;
            self.overflow.merge(&overflow);
        }
    }

    pub fn add(&mut self, o: &Observation) {
        self.keep_if_large(o);
        let mut name = pattern::derive(o.key);
        if let Some(p) = &mut self.planned {
            p.add(&name, o);
            return;
        }
        if let Some(candidates) = &mut self.frequent {
            candidates.add(&name, o.memory);
        }
        if !self.patterns.contains_key(&name)
            && let Some(family) = self.family_of(&name)
        {
            name = family;
        }
        if let Some(stats) = self.patterns.get_mut(&name) {
            stats.add(o, o.key);
            return;
        }
        if self.patterns.len() >= self.cap {
            self.capped = true;
            if self.new_since_compaction >= self.cap / 10 {
                self.compact();
                self.new_since_compaction = 0;
                if let Some(family) = self.family_of(&name) {
                    name = family;
                }
            }
            if self.patterns.len() >= self.cap && !self.patterns.contains_key(&name) {
                name = coarse(&name);
            }
        }
        self.new_since_compaction = self.new_since_compaction.saturating_add(1);
        if let Some(stats) = self.patterns.get_mut(&name) {
            stats.add(o, o.key);
        } else if self.patterns.len() < self.cap + self.cap / 4 {
            let mut stats = PatternStats::default();
            stats.add(o, o.key);
            self.patterns.insert(name, stats);
        } else {
            self.overflow.add(o, o.key);
        }
    }

    /// The token family (`prefix{token}`) a new pattern belongs to, if any.
    fn family_of(&self, name: &str) -> Option<String> {
        self.families.iter().find_map(|prefix| {
            let rest = name.strip_prefix(prefix.as_str())?;
            (!rest.is_empty() && pattern::tokenish(rest)).then(|| format!("{prefix}{{token}}"))
        })
    }

    fn keep_if_large(&mut self, o: &Observation) {
        if self.largest_n == 0 {
            return;
        }
        if self.largest.len() == self.largest_n
            && self.largest.peek().is_some_and(|s| s.0.memory >= o.memory)
        {
            return;
        }
        self.largest.push(std::cmp::Reverse(LargeKey {
            memory: o.memory,
            key: String::from_utf8_lossy(o.key).into_owned(),
            kind: o.kind.to_string(),
            pttl: o.pttl,
        }));
        if self.largest.len() > self.largest_n {
            self.largest.pop();
        }
    }

    /// The largest keys kept, largest first.
    pub fn largest(&self) -> Vec<LargeKey> {
        let mut keys: Vec<LargeKey> = self.largest.iter().map(|r| r.0.clone()).collect();
        keys.sort_by(|a, b| b.memory.cmp(&a.memory).then(a.key.cmp(&b.key)));
        keys
    }

    /// Merges rare patterns that differ only by a random token into their family (at the
    /// cap, and once more when the walk is done).
    pub fn compact(&mut self) {
        let rare: Vec<String> = self
            .patterns
            .iter()
            .filter(|(_, s)| s.keys <= RARE)
            .map(|(n, _)| n.clone())
            .collect();
        let merges = family_merges(&rare, self.patterns.keys().map(String::as_str));
        for (from, to) in merges {
            if let Some(prefix) = to.strip_suffix("{token}")
                && !self.families.iter().any(|f| f == prefix)
            {
                self.families.push(prefix.to_string());
            }
            if let Some(stats) = self.patterns.remove(&from) {
                self.patterns.entry(to).or_default().merge(&stats);
            }
        }
    }
}

/// Where each rare pattern goes: into a token family with others that differ only by a
/// random token ([`pattern::merge_tokens`]), or, for a glued 32-character token without a
/// digit (one Django session key in 30,000), into the family its prefix already has among
/// `all` the patterns.
pub fn family_merges<'a>(
    rare: &[String],
    all: impl Iterator<Item = &'a str>,
) -> HashMap<String, String> {
    let names: Vec<&str> = rare.iter().map(String::as_str).collect();
    let mut merges = pattern::merge_tokens(&names);
    let glued: Vec<&str> = all.filter_map(|n| n.strip_suffix("{token}")).collect();
    for name in rare {
        if let Some(prefix) = glued.iter().find(|p| {
            name.strip_prefix(**p).is_some_and(|rest| {
                rest.len() == 32
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
        }) {
            merges.insert(name.clone(), format!("{prefix}{{token}}"));
        }
    }
    merges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(aggregate: &mut Aggregate, key: &str, memory: u64, pttl: Option<i64>) {
        let values = [b"v".to_vec()];
        aggregate.add(&Observation {
            key: key.as_bytes(),
            kind: "string",
            pttl,
            memory,
            encoding: "embstr",
            values: &values,
        });
    }

    #[test]
    fn a_session_key_without_digits_joins_its_family() {
        let mut a = Aggregate::new(100);
        for k in [
            "web:1:django.contrib.sessions.cachez1xk9q0w2e3r4t5y6u7i8o9p0asdfghj",
            "web:1:django.contrib.sessions.cacheq1xk9q0w2e3r4t5y6u7i8o9p0asdfghj",
            "web:1:django.contrib.sessions.cachehhgjaaftrzrudxkqtqztddbwaahhtduc",
        ] {
            key(&mut a, k, 10, None);
        }
        a.compact();
        assert_eq!(a.patterns.len(), 1, "{:?}", a.patterns.keys());
        assert_eq!(
            a.patterns["web:{n}:django.contrib.sessions.cache{token}"].keys,
            3
        );
    }

    #[test]
    fn patterns_are_capped_and_ttls_summarised() {
        let mut a = Aggregate::new(2);
        for i in 0..10 {
            key(&mut a, &format!("a:{i}"), 50, Some(1000 * (i + 1)));
            key(&mut a, &format!("b:{i}"), 60, None);
            key(&mut a, &format!("c{i}:x:y"), 70, None);
        }
        key(&mut a, "d:1", 80, None);
        assert_eq!(a.patterns.len(), 2);
        assert!(a.capped);
        assert_eq!(
            coarse("flask_cache_89Jhm4/baX8tFwOK20+zky"),
            "flask_cache_{*}"
        );
        assert_eq!(coarse("web:{n}:x"), "web:{*}");
        assert_eq!(a.overflow.keys, 11, "c*:x:y and d:{{n}} count as overflow");
        let s = &a.patterns["a:{n}"];
        assert_eq!((s.keys, s.memory, s.with_ttl), (10, 500, 10));
        assert_eq!((s.ttl_min_ms, s.ttl_max_ms), (Some(1000), Some(10_000)));
        assert_eq!(s.ttl_median_ms(), Some(6000));
        assert_eq!(s.formats["text"], 10);
        let mut total = PatternStats::default();
        for s in a.patterns.values() {
            total.merge(s);
        }
        total.merge(&a.overflow);
        assert_eq!((total.keys, total.with_ttl), (31, 10));
    }
}
