//! `--max-patterns` without SCAN-order dependence. The first pass counts, besides its own
//! bounded aggregate, the patterns and first segments with the most keys and the most bytes
//! in four Space-Saving summaries. When the cap was reached, a second pass reads the keys
//! again and keeps a row for every pattern with more than 1/cap of the keys or of the bytes
//! read, then for every first segment (`prefix{*}`) above either, and counts the rest as
//! "other". Space-Saving with `cap` counters holds every name that large whatever the order,
//! and the second pass counts them exactly, so the rows depend only on the keys, not on the
//! order SCAN lists them.

use super::pattern::coarse;
use super::pattern_stats::PatternStats;
use std::collections::{BTreeSet, HashMap, HashSet};

/// The Space-Saving summary (Metwally et al.): at most `k` counters; a name weighing more
/// than `total / k` is among them at the end, in every order. Written here: it is a few
/// lines, and the crates that have it count hashes, not the names we need back.
#[derive(Debug, Clone)]
pub struct Frequent {
    ids: HashMap<String, usize>,
    names: Vec<String>,
    counts: Vec<u64>,
    /// (count, id), smallest first.
    order: BTreeSet<(u64, usize)>,
    k: usize,
}

impl Frequent {
    pub fn new(k: usize) -> Frequent {
        Frequent {
            ids: HashMap::new(),
            names: Vec::new(),
            counts: Vec::new(),
            order: BTreeSet::new(),
            k: k.max(1),
        }
    }

    pub fn add(&mut self, name: &str, weight: u64) {
        let id = match self.ids.get(name) {
            Some(&id) => id,
            None if self.names.len() < self.k => {
                let id = self.names.len();
                self.names.push(name.to_string());
                self.counts.push(0);
                self.ids.insert(name.to_string(), id);
                self.order.insert((0, id));
                id
            }
            None => {
                // The smallest counter takes the new name, keeping its count.
                let Some(&(_, id)) = self.order.first() else {
                    return;
                };
                self.ids.remove(&self.names[id]);
                self.names[id] = name.to_string();
                self.ids.insert(name.to_string(), id);
                id
            }
        };
        self.order.remove(&(self.counts[id], id));
        self.counts[id] += weight;
        self.order.insert((self.counts[id], id));
    }

    pub fn names(self) -> HashSet<String> {
        self.names.into_iter().collect()
    }
}

/// The first pass's four summaries: patterns and first segments, by keys and by bytes.
#[derive(Debug, Clone)]
pub struct Candidates {
    pattern_keys: Frequent,
    pattern_bytes: Frequent,
    segment_keys: Frequent,
    segment_bytes: Frequent,
}

impl Candidates {
    pub fn new(cap: usize) -> Candidates {
        Candidates {
            pattern_keys: Frequent::new(cap),
            pattern_bytes: Frequent::new(cap),
            segment_keys: Frequent::new(cap),
            segment_bytes: Frequent::new(cap),
        }
    }

    pub fn add(&mut self, name: &str, memory: u64) {
        let segment = coarse(name);
        self.pattern_keys.add(name, 1);
        self.pattern_bytes.add(name, memory);
        self.segment_keys.add(&segment, 1);
        self.segment_bytes.add(&segment, memory);
    }

    pub fn plan(self) -> Plan {
        let mut patterns = self.pattern_keys.names();
        patterns.extend(self.pattern_bytes.names());
        let mut segments = self.segment_keys.names();
        segments.extend(self.segment_bytes.names());
        Plan { patterns, segments }
    }
}

/// The candidates a second pass counts exactly: large patterns and first segments.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub patterns: HashSet<String>,
    pub segments: HashSet<String>,
}

/// A row's size, to compare with the thresholds.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    keys: u64,
    memory: u64,
}

/// The second pass: every key routed by the plan, counted exactly, then rows decided by
/// the thresholds.
#[derive(Debug, Default)]
pub struct Planned {
    plan: Plan,
    read: Size,
    patterns: HashMap<String, PatternStats>,
    segments: HashMap<String, PatternStats>,
    /// Each candidate segment's keys and bytes, those counted under their pattern included.
    segment_sizes: HashMap<String, Size>,
    pub overflow: PatternStats,
}

/// More keys or bytes than these and a pattern (or a first segment) has its own row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub keys: u64,
    pub bytes: u64,
}

impl Thresholds {
    fn passed(&self, keys: u64, memory: u64) -> bool {
        keys > self.keys || memory > self.bytes
    }
}

impl Planned {
    pub fn new(plan: Plan) -> Planned {
        Planned {
            plan,
            ..Planned::default()
        }
    }

    pub fn add(&mut self, name: &str, o: &super::scan::Observation) {
        self.read.keys += 1;
        self.read.memory += o.memory;
        let segment = coarse(name);
        if self.plan.segments.contains(&segment) {
            let size = self.segment_sizes.entry(segment.clone()).or_default();
            size.keys += 1;
            size.memory += o.memory;
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

    /// 1/cap of the keys and of the bytes read (MEMORY USAGE).
    pub fn thresholds(&self, cap: usize) -> Thresholds {
        let cap = cap.max(1) as u64;
        Thresholds {
            keys: self.read.keys / cap,
            bytes: self.read.memory / cap,
        }
    }

    /// The rows: patterns above a threshold, then first segments above one holding the
    /// rest of their keys; everything else in `overflow`.
    pub fn finish(mut self, cap: usize) -> (HashMap<String, PatternStats>, PatternStats) {
        let t = self.thresholds(cap);
        let segment_passed = |sizes: &HashMap<String, Size>, segment: &str| {
            sizes
                .get(segment)
                .is_some_and(|s| t.passed(s.keys, s.memory))
        };
        let mut rows: HashMap<String, PatternStats> = HashMap::new();
        let mut patterns: Vec<(String, PatternStats)> = self.patterns.into_iter().collect();
        patterns.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, s) in patterns {
            if t.passed(s.keys, s.memory) {
                rows.insert(name, s);
                continue;
            }
            let segment = coarse(&name);
            if segment_passed(&self.segment_sizes, &segment) {
                self.segments.entry(segment).or_default().merge(&s);
            } else {
                self.overflow.merge(&s);
            }
        }
        let mut segments: Vec<(String, PatternStats)> = self.segments.into_iter().collect();
        segments.sort_by(|a, b| a.0.cmp(&b.0));
        for (segment, s) in segments {
            if segment_passed(&self.segment_sizes, &segment) {
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
    fn space_saving_keeps_every_frequent_name_in_any_order() {
        let mut names: Vec<String> = Vec::new();
        for i in 0..300 {
            names.push(format!("rare:{i}"));
        }
        names.extend(std::iter::repeat_n("big".to_string(), 120));
        names.extend(std::iter::repeat_n("mid".to_string(), 80));
        // n = 500, k = 5: more than 500 / 5 = 100 is guaranteed; "mid" (80) is not.
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
                f.add(n, 1);
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
