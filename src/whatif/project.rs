//! From a sample measured on a private server to the whole pattern. The key and expires
//! tables are sized for the population, not the sample (1,089 keys sit in a 2,048-slot
//! table, a million in 1,048,576 slots: per record they differ by several bytes), and
//! every projected figure and saving carries a 95% interval from the spread of the
//! sampled records' sizes and the population estimate's own uncertainty.

/// Bytes of a key or expires table holding `entries` keys after inserts: 8 B a slot,
/// next_power_of_two(n) slots (at least 4), none for an empty table (README: "How a
/// variant is measured").
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
    let scale = population / w.records;
    per_record * population + table_bytes(w.keys * scale) + table_bytes(w.expires * scale)
}

/// The population estimate: keys and the relative standard error of that count (0 when
/// every key was counted).
#[derive(Debug, Clone, Copy)]
pub struct Population {
    pub keys: f64,
    pub rel_se: f64,
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
