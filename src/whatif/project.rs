//! From a sample measured on a private server to the whole pattern. The key and expires
//! tables are sized for the population, not the sample (1,089 keys sit in a 2,048-slot
//! table, a million in 1,048,576 slots: per record they differ by several bytes), and
//! every projected figure and saving carries a 95% interval from the spread of the
//! sampled records' sizes and the population estimate's own uncertainty.

/// Bytes of a key or expires table holding `entries` keys after inserts: 8 B a slot,
/// next_power_of_two(n) slots (at least 4), none for an empty table (README: "How a
/// variant is measured"). Redis 7.0 grows a table when an insert finds it full (entries >=
/// slots), so exactly 2^k keys stay in 2^k slots: measured with DEBUG HTSTATS 0 on
/// redis-server 7.0.15, 1,024 keys (with or without EX) sit in 1,024 key and expires slots,
/// 1,025 in 2,048.
pub fn table_bytes(entries: f64) -> f64 {
    if entries < 0.5 {
        return 0.0;
    }
    let n = entries.round().max(1.0) as u64;
    8.0 * n.next_power_of_two().max(4) as f64
}

/// What a private server held for the records written: how many records, keys (records,
/// or buckets in the hash layout) and keys with a TTL.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    pub records: f64,
    pub keys: f64,
    pub expires: f64,
}

/// The projection of `dataset_bytes` (measured for `w`) to `population` records: the
/// per-record part scales, the two tables are sized for the population's keys.
pub fn project(dataset_bytes: f64, w: Written, population: f64) -> f64 {
    if w.records <= 0.0 {
        return 0.0;
    }
    let tables = table_bytes(w.keys) + table_bytes(w.expires);
    let per_record = (dataset_bytes - tables) / w.records;
    per_record * population + tables_for(w, population)
}

/// The key and expires tables `w`'s layout would hold for `population` records (buckets
/// and keys with a TTL scale with the records).
pub fn tables_for(w: Written, population: f64) -> f64 {
    if w.records <= 0.0 {
        return 0.0;
    }
    let scale = population / w.records;
    table_bytes(w.keys * scale) + table_bytes(w.expires * scale)
}

/// The population estimate: keys and the relative standard error of that count (0 when
/// every key was counted).
#[derive(Debug, Clone, Copy)]
pub struct Population {
    pub keys: f64,
    pub rel_se: f64,
}

/// The population counts at which a table of `w`'s layout changes size, inside `lo..=hi`
/// (just past each power of two, where `table_bytes` rounds up).
fn steps(w: Written, lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    if w.records <= 0.0 {
        return out;
    }
    for per_record in [w.keys / w.records, w.expires / w.records] {
        if per_record <= 0.0 {
            continue;
        }
        let mut slots = 4.0_f64;
        loop {
            let n = (slots + 0.75) / per_record;
            if n > hi {
                break;
            }
            if n > lo {
                out.push(n);
            }
            slots *= 2.0;
        }
    }
    out
}

impl Population {
    pub fn new(keys: f64, keys_ci95: f64) -> Population {
        let rel_se = if keys > 0.0 {
            keys_ci95 / 1.96 / keys
        } else {
            0.0
        };
        Population { keys, rel_se }
    }

    /// The 95% ends of the key count (both the count itself when every key was counted).
    pub fn ends(&self) -> (f64, f64) {
        let half = 1.96 * self.rel_se * self.keys;
        ((self.keys - half).max(0.0), self.keys + half)
    }

    /// How far table bytes can move within the key count's 95% interval: the largest
    /// |f(n) - f(keys)| over every population n in it, where `f` gives table bytes for n
    /// records (a step function: each table jumps by 8 B x 2^k where its keys pass 2^k).
    /// It is evaluated at both ends and just past every step of the `layouts`' tables
    /// inside, so a difference of two layouts' tables (a saving) is covered too.
    ///
    /// Why it is added to [`Population::ci95`] rather than folded in quadrature: the tables
    /// are not a smooth function of the count, so the count's linear error says nothing of
    /// them. When the count's interval straddles a power of two, the true tables may be
    /// either size whatever the point estimate picked (a celery family estimated at 4,195
    /// ±221 keys for 4,000 got 8,192-slot tables instead of 4,096: +8.4%, outside a
    /// value-and-count interval); adding the whole step keeps the interval over both sizes.
    /// The point figure stays the tables for the estimated count (what Redis would hold for
    /// that many keys); with every key counted the interval is a point and the step is 0.
    pub fn table_step(&self, layouts: &[Written], f: impl Fn(f64) -> f64) -> f64 {
        let (lo, hi) = self.ends();
        let at = f(self.keys);
        let mut points = vec![lo, hi];
        for w in layouts {
            points.extend(steps(*w, lo, hi));
        }
        points
            .into_iter()
            .map(|n| (f(n) - at).abs())
            .fold(0.0, f64::max)
    }

    /// The 95% half-width of a projection for `w` (see [`Population::ci95`] and
    /// [`Population::table_step`]).
    pub fn projected_ci95(&self, sizes: &[f64], projected: f64, w: Written) -> f64 {
        self.ci95(sizes, projected) + self.table_step(&[w], |n| tables_for(w, n))
    }

    /// The 95% half-width of a saving (`today` minus a projection for `w`) whose paired
    /// per-record differences were `diffs`: both sides' tables move with the count.
    pub fn savings_ci95(&self, diffs: &[f64], savings: f64, today: Written, w: Written) -> f64 {
        self.ci95(diffs, savings)
            + self.table_step(&[today, w], |n| tables_for(today, n) - tables_for(w, n))
    }

    /// The 95% half-width of `projected` (a population total) whose per-record sizes in
    /// the sample were `sizes`: a simple random sample's standard error of their mean,
    /// finite-population corrected, times the population, and the population estimate's
    /// error, in quadrature. The sizes (key or field plus value bytes as written) stand in
    /// for each record's memory: what the private server measured is one total, and its
    /// spread across records follows the sizes (allocator classes round it in steps).
    pub fn ci95(&self, sizes: &[f64], projected: f64) -> f64 {
        let n = sizes.len() as f64;
        if n < 2.0 {
            return f64::NAN;
        }
        let mean = sizes.iter().sum::<f64>() / n;
        let var = sizes.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let fpc = (1.0 - n / self.keys.max(n)).max(0.0);
        let values_se = self.keys * (var / n * fpc).sqrt();
        let population_se = projected.abs() * self.rel_se;
        1.96 * values_se.hypot(population_se)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sized_for_the_population() {
        assert_eq!(table_bytes(0.0), 0.0);
        assert_eq!(table_bytes(1.0), 32.0);
        assert_eq!(table_bytes(1089.0), 8.0 * 2048.0);
        assert_eq!(table_bytes(1024.0), 8.0 * 1024.0);
        // 1,089 records with TTLs measured at 100 B each plus their two 2,048-slot tables,
        // projected to 1,000,000 keys: 100 B each plus two 1,048,576-slot tables.
        let w = Written {
            records: 1089.0,
            keys: 1089.0,
            expires: 1089.0,
        };
        let measured = 108_900.0 + 2.0 * table_bytes(1089.0);
        let p = project(measured, w, 1_000_000.0);
        assert!((p - (100e6 + 2.0 * 8.0 * 1_048_576.0)).abs() < 1e-3, "{p}");
        // Buckets: 11 keys for 1,089 records, a hundredth of the population's tables.
        let w = Written {
            records: 1089.0,
            keys: 11.0,
            expires: 0.0,
        };
        let p = project(10_890.0 + table_bytes(11.0), w, 1_000_000.0);
        assert!((p - (10e6 + 8.0 * 16_384.0)).abs() < 1e-3, "{p}");
    }

    #[test]
    fn exact_powers_of_two_stay_in_their_table() {
        // DEBUG HTSTATS 0 on redis-server 7.0.15 after SET (with and without EX 3600):
        // 1,023 and 1,024 keys -> table size 1,024 (key and expires), 1,025 -> 2,048.
        assert_eq!(table_bytes(1023.0), 8.0 * 1024.0);
        assert_eq!(table_bytes(1024.0), 8.0 * 1024.0);
        assert_eq!(table_bytes(1025.0), 8.0 * 2048.0);
    }

    #[test]
    fn an_interval_straddling_a_power_of_two_covers_both_table_sizes() {
        // The celery case: 4,195 ±221 keys estimated, 4,000 real, every key with a TTL,
        // 300 sampled records measured at 400 B each plus their 512-slot tables.
        let w = Written {
            records: 300.0,
            keys: 300.0,
            expires: 300.0,
        };
        let measured = 300.0 * 400.0 + 2.0 * table_bytes(300.0);
        let pop = Population::new(4195.0, 221.0);
        let sizes = vec![400.0; 300];
        let projected = project(measured, w, pop.keys);
        let truth = project(measured, w, 4000.0);
        // The point estimate picks 8,192 slots, the truth needs 4,096: 64 KiB apart.
        assert!((projected - truth - (4195.0 - 4000.0) * 400.0 - 2.0 * 8.0 * 4096.0).abs() < 1e-6);
        let old = pop.ci95(&sizes, projected);
        assert!(
            (projected - truth).abs() > old,
            "the old interval missed it"
        );
        let ci = pop.projected_ci95(&sizes, projected, w);
        assert!(
            (projected - truth).abs() <= ci,
            "{projected} ±{ci} vs {truth}"
        );
        assert!((ci - old - 2.0 * 8.0 * 4096.0).abs() < 1e-6);
        // Far from a power of two, nothing is added; with every key counted, nothing either.
        let far = Population::new(3000.0, 150.0);
        let p = project(measured, w, far.keys);
        assert_eq!(far.projected_ci95(&sizes, p, w), far.ci95(&sizes, p));
        let exact = Population::new(4195.0, 0.0);
        assert_eq!(exact.projected_ci95(&sizes, p, w), 0.0);
        // A saving: the same keys today and in the variant cancel; buckets (a hundredth of
        // the keys, 40 to 44 of them, no step inside) leave today's step in the saving.
        assert_eq!(pop.savings_ci95(&[0.0; 300], 0.0, w, w), 0.0);
        let hash = Written {
            records: 300.0,
            keys: 3.0,
            expires: 0.0,
        };
        let s = pop.savings_ci95(&[0.0; 300], 0.0, w, hash);
        assert_eq!(s, 2.0 * 8.0 * 4096.0);
    }

    #[test]
    fn every_step_inside_the_interval_is_counted() {
        // Today's tables (one key a record) step at 4,097 keys, a hash layout's buckets
        // (one per 100 records) at 6,401: the largest move of their difference over every
        // whole count in the interval is what table_step finds.
        let today = Written {
            records: 100.0,
            keys: 100.0,
            expires: 100.0,
        };
        let hash = Written {
            records: 100.0,
            keys: 1.0,
            expires: 1.0,
        };
        let pop = Population::new(5500.0, 1500.0);
        let f = |n: f64| tables_for(today, n) - tables_for(hash, n);
        let at = f(5500.0);
        let brute = (4000..=7000)
            .map(|n| (f(f64::from(n)) - at).abs())
            .fold(0.0, f64::max);
        assert_eq!(pop.table_step(&[today, hash], f), brute);
        let g = |n: f64| tables_for(hash, n);
        let brute = (4000..=7000)
            .map(|n| (g(f64::from(n)) - g(5500.0)).abs())
            .fold(0.0, f64::max);
        assert_eq!(pop.table_step(&[hash], g), brute);
        assert!(brute > 0.0);
    }

    #[test]
    fn intervals_grow_with_spread_and_vanish_for_the_whole_population() {
        let sizes: Vec<f64> = (0..100).map(|i| f64::from(i % 10)).collect();
        let p = Population::new(10_000.0, 0.0);
        let ci = p.ci95(&sizes, 1.0);
        assert!(ci > 0.0);
        assert_eq!(Population::new(100.0, 0.0).ci95(&sizes, 1.0), 0.0);
        let flat = vec![5.0; 100];
        assert_eq!(p.ci95(&flat, 1.0), 0.0);
        // The population estimate's error counts too.
        let q = Population::new(10_000.0, 196.0);
        assert!((q.ci95(&flat, 50_000.0) - 1.96 * 500.0).abs() < 1e-9);
    }
}
