//! `--max-patterns` without SCAN-order dependence. The first pass counts, besides its own
//! bounded aggregate, the most frequent patterns and first segments in two Misra-Gries
//! summaries. When the cap was reached, a second pass reads the keys again and keeps a row
//! for every pattern with more than `keys / cap` keys, then for every first segment
//! (`prefix{*}`) with more than that many, and counts the rest as "other". Misra-Gries with
//! `cap` counters keeps every name that frequent whatever the order, and the second pass
//! counts them exactly, so the rows depend only on the keys, not on the order SCAN lists them.

use super::stats::{PatternStats, coarse};
use std::collections::{HashMap, HashSet};

/// The Misra-Gries frequent-items summary: at most `k` counters; any name seen more than
/// `n / (k + 1)` times in `n` is among them at the end, in every order. Written here: it is
/// a dozen lines, and the crates that have it count hashes, not the names we need back.
#[derive(Debug, Clone)]
pub struct Frequent {
    counts: HashMap<String, u64>,
    k: usize,
}

impl Frequent {
    pub fn new(k: usize) -> Frequent {
        Frequent {
            counts: HashMap::new(),
            k: k.max(1),
        }
    }

    pub fn add(&mut self, name: &str) {
        if let Some(c) = self.counts.get_mut(name) {
            *c += 1;
        } else if self.counts.len() < self.k {
            self.counts.insert(name.to_string(), 1);
        } else {
            // Every counter and the new name lose one: O(k), at most n / k times in all.
            self.counts.retain(|_, c| {
                *c -= 1;
                *c > 0
            });
        }
    }

    pub fn names(self) -> HashSet<String> {
        self.counts.into_keys().collect()
    }
}

/// The candidates a second pass counts exactly: frequent patterns and first segments.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub patterns: HashSet<String>,
    pub segments: HashSet<String>,
}

/// The second pass: every key routed by the plan, counted exactly, then rows decided by
/// the threshold.
#[derive(Debug, Default)]
pub struct Planned {
    plan: Plan,
    pub keys: u64,
    patterns: HashMap<String, PatternStats>,
    segments: HashMap<String, PatternStats>,
    /// Keys under each candidate segment, those counted under their pattern included.
    segment_keys: HashMap<String, u64>,
    pub overflow: PatternStats,
}

impl Planned {
    pub fn new(plan: Plan) -> Planned {
        Planned {
            plan,
            ..Planned::default()
        }
    }

    pub fn add(&mut self, name: &str, o: &super::scan::Observation) {
        self.keys += 1;
        let segment = coarse(name);
        if self.plan.segments.contains(&segment) {
            *self.segment_keys.entry(segment.clone()).or_default() += 1;
        }
        let stats = if self.plan.patterns.contains(name) {
            self.patterns.entry(name.to_string()).or_default()
        } else if self.plan.segments.contains(&segment) {
            self.segments.entry(segment).or_default()
        } else {
            &mut self.overflow
        };
        stats.add(o, o.key);
    }

    /// More keys than this and a pattern (or a first segment) has its own row.
    pub fn threshold(&self, cap: usize) -> u64 {
        self.keys / cap.max(1) as u64
    }

    /// The rows: patterns above the threshold, then first segments above it holding the
    /// rest of their keys; everything else in `overflow`.
    pub fn finish(mut self, cap: usize) -> (HashMap<String, PatternStats>, PatternStats) {
        let t = self.threshold(cap);
        let mut rows: HashMap<String, PatternStats> = HashMap::new();
        let mut patterns: Vec<(String, PatternStats)> = self.patterns.into_iter().collect();
        patterns.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, s) in patterns {
            if s.keys > t {
                rows.insert(name, s);
                continue;
            }
            let segment = coarse(&name);
            if self.segment_keys.get(&segment).is_some_and(|&k| k > t) {
                self.segments.entry(segment).or_default().merge(&s);
            } else {
                self.overflow.merge(&s);
            }
        }
        let mut segments: Vec<(String, PatternStats)> = self.segments.into_iter().collect();
        segments.sort_by(|a, b| a.0.cmp(&b.0));
        for (segment, s) in segments {
            if self.segment_keys.get(&segment).is_some_and(|&k| k > t) {
                rows.entry(segment).or_default().merge(&s);
            } else {
                self.overflow.merge(&s);
            }
        }
        (rows, self.overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misra_gries_keeps_every_frequent_name_in_any_order() {
        let mut names: Vec<String> = Vec::new();
        for i in 0..300 {
            names.push(format!("rare:{i}"));
        }
        names.extend(std::iter::repeat_n("big".to_string(), 120));
        names.extend(std::iter::repeat_n("mid".to_string(), 80));
        // n = 500, k = 5: more than 500 / 6 = 83 is guaranteed; "mid" (80) is not.
        for order in 0..20u64 {
            let mut shuffled = names.clone();
            // A deterministic shuffle per order.
            let mut x = order.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let mut f = Frequent::new(5);
            for n in &shuffled {
                f.add(n);
            }
            assert!(f.names().contains("big"), "order {order}");
        }
    }

    /// Two passes over the same keys in two orders give the same rows.
    #[test]
    fn rows_after_a_second_pass_do_not_depend_on_the_order() {
        use crate::inspect::stats::Aggregate;
        let mut keys: Vec<String> = Vec::new();
        for i in 0..400 {
            keys.push(format!("catalog:{i}"));
        }
        for i in 0..150 {
            keys.push(format!("blog:post{}:{i}", i % 20));
        }
        for i in 0..60 {
            keys.push(format!("misc{i}:y"));
        }
        let rows = |order: &[String]| {
            let read = |a: &mut Aggregate| {
                for k in order {
                    let values = [b"v".to_vec()];
                    a.add(&crate::inspect::scan::Observation {
                        key: k.as_bytes(),
                        kind: "string",
                        pttl: None,
                        memory: 10,
                        encoding: "embstr",
                        values: &values,
                    });
                }
            };
            let mut first = Aggregate::first_pass(8, 0);
            read(&mut first);
            let plan = first.plan().expect("the cap was reached");
            let mut second = Aggregate::second_pass(plan, 8, 0);
            read(&mut second);
            second.finish();
            let mut rows: Vec<(String, u64)> = second
                .patterns
                .iter()
                .map(|(n, s)| (n.clone(), s.keys))
                .collect();
            rows.push(("other".into(), second.overflow.keys));
            rows.sort();
            rows
        };
        let forward = rows(&keys);
        let mut reversed = keys.clone();
        reversed.reverse();
        let mut interleaved: Vec<String> = keys.iter().step_by(2).cloned().collect();
        interleaved.extend(keys.iter().skip(1).step_by(2).cloned());
        interleaved.reverse();
        assert_eq!(forward, rows(&reversed));
        assert_eq!(forward, rows(&interleaved));
        // 610 keys / 8 = 76: catalog:{n} (400) whole; blog:post7:{n} and the like (20
        // patterns, 7 or 8 keys each) as blog:{*}; misc7:y and the like (60 first segments of
        // one key each): other.
        assert!(
            forward.contains(&("catalog:{n}".to_string(), 400)),
            "{forward:?}"
        );
        assert!(
            forward.contains(&("blog:{*}".to_string(), 150)),
            "{forward:?}"
        );
        assert!(forward.contains(&("other".to_string(), 60)), "{forward:?}");
    }
}
