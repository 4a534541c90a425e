//! Where a sampled record goes in the hash layout, named as dogpile_backend_redis_advanced's
//! hstore demo names them (tuple keys `(str(x - x % 100), str(x))`). Numeric ids: bucket
//! `prefix{id - id % 100}`, field the id itself, so no two ids of a bucket share a field;
//! other keys: a stable hash spreads them over buckets of about 100 fields, the key after
//! its literal prefix as the field. A sample holds only some of the population's keys, so its records are packed
//! into buckets as full as the population's would be (hash memory depends on the fill).

use crate::inspect::pattern;

/// Fields per bucket the rules aim at.
pub const FIELDS: u64 = 100;

/// A record's place: bucket and field for the population, and its sort key.
#[derive(Debug, Clone)]
pub struct Placed {
    pub bucket: String,
    pub field: String,
    order: (u64, String),
}

/// The rule for a set of keys: numeric when every key has a numeric part.
pub fn rule(keys: &[String]) -> &'static str {
    if !keys.is_empty() && keys.iter().all(|k| numeric_id(k).is_some()) {
        "numeric id: bucket = prefix{id - id % 100}, field = id (the plugin demo's (bucket, field) tuples)"
    } else {
        "stable hash: FNV-1a(key) into buckets of about 100 fields"
    }
}

/// The last all-digit part of a key, and the text before and after it.
fn numeric_id(key: &str) -> Option<(&str, u64, &str)> {
    let bytes = key.as_bytes();
    let mut end = bytes.len();
    loop {
        let start = bytes[..end]
            .iter()
            .rposition(|b| b":|/,;=#@ ".contains(b))
            .map_or(0, |p| p + 1);
        let part = &key[start..end];
        if !part.is_empty() && part.len() <= 18 && part.bytes().all(|b| b.is_ascii_digit()) {
            return Some((&key[..start], part.parse().ok()?, &key[end..]));
        }
        if start == 0 {
            return None;
        }
        end = start - 1;
    }
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Places every key: `population` is the pattern's size, which sets how full buckets are.
pub fn place(keys: &[String], population: f64) -> Vec<Placed> {
    let numeric = keys.iter().all(|k| numeric_id(k).is_some()) && !keys.is_empty();
    let (fill, mut placed): (f64, Vec<Placed>) = if numeric {
        let ids: Vec<u64> = keys
            .iter()
            .map(|k| numeric_id(k).expect("checked").1)
            .collect();
        let (lo, hi) = (
            ids.iter().min().copied().unwrap_or(0),
            ids.iter().max().copied().unwrap_or(0),
        );
        // Population buckets: the id range's hundreds, at most one per key.
        let buckets = ((hi / FIELDS - lo / FIELDS + 1) as f64).min(population.max(1.0));
        let fill = population / buckets;
        let placed = keys
            .iter()
            .map(|k| {
                let (before, id, after) = numeric_id(k).expect("checked");
                Placed {
                    bucket: format!("{before}{}{after}", id - id % FIELDS),
                    field: id.to_string(),
                    order: (id, k.clone()),
                }
            })
            .collect();
        (fill, placed)
    } else {
        let buckets = (population / FIELDS as f64).ceil().max(1.0) as u64;
        let fill = population / buckets as f64;
        let placed = keys
            .iter()
            .map(|k| {
                let prefix = pattern::literal_prefix(&pattern::derive(k.as_bytes())).to_string();
                let b = fnv(k) % buckets;
                Placed {
                    bucket: format!("{prefix}{b}"),
                    field: k[prefix.len().min(k.len())..].to_string(),
                    order: (b, k.clone()),
                }
            })
            .collect();
        (fill, placed)
    };
    pack(&mut placed, fill.round().max(1.0) as usize);
    placed
}

/// Regroups a sample's records into buckets of `fill` records, named after the
/// population bucket of each group's first record. Fields are unique within a pattern
/// (an id, or the key after the shared prefix); should two meet anyway, the later one
/// takes its whole key (`a:12:x` and `a:12:y` regrouped together).
fn pack(placed: &mut [Placed], fill: usize) {
    let mut order: Vec<usize> = (0..placed.len()).collect();
    order.sort_by(|&a, &b| placed[a].order.cmp(&placed[b].order));
    let mut used_buckets = std::collections::HashSet::new();
    for group in order.chunks(fill) {
        let mut name = placed[group[0]].bucket.clone();
        let mut n = 1;
        while !used_buckets.insert(name.clone()) {
            name = format!("{}~{n}", placed[group[0]].bucket);
            n += 1;
        }
        let mut fields = std::collections::HashSet::new();
        for &i in group {
            placed[i].bucket = name.clone();
            if !fields.insert(placed[i].field.clone()) {
                placed[i].field = placed[i].order.1.clone();
                fields.insert(placed[i].field.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_fill_buckets_as_the_population() {
        let keys: Vec<String> = (0..1000).step_by(2).map(|i| format!("user:{i}")).collect();
        // 500 sampled of 1000 ids 0..999: 10 population buckets of 100.
        let placed = place(&keys, 1000.0);
        let buckets: std::collections::HashSet<_> = placed.iter().map(|p| &p.bucket).collect();
        assert_eq!(buckets.len(), 5);
        assert_eq!(placed[0].bucket, "user:0");
        assert_eq!(placed[1].field, "2");
        // Regrouped buckets hold ids with the same id % 100: each keeps its own id.
        assert_eq!(placed[51].bucket, "user:0");
        assert_eq!(
            (placed[1].field.as_str(), placed[51].field.as_str()),
            ("2", "102")
        );
        // All of a dense population: the real buckets.
        let keys: Vec<String> = (0..300).map(|i| format!("o:{i}:v")).collect();
        let placed = place(&keys, 300.0);
        assert_eq!(placed[250].bucket, "o:200:v");
        assert_eq!(placed[250].field, "250");
        assert!(placed.iter().all(|p| !p.field.contains(':')));
    }

    #[test]
    fn other_keys_hash_into_buckets_of_about_100() {
        let keys: Vec<String> = (0..250).map(|i| format!("s:{i:08x}-aaaa")).collect();
        let placed = place(&keys, 2500.0);
        let mut sizes = std::collections::HashMap::new();
        for p in &placed {
            *sizes.entry(&p.bucket).or_insert(0) += 1;
            assert!(p.bucket.starts_with("s:"));
        }
        assert_eq!(sizes.len(), 3);
        assert_eq!(
            rule(&keys),
            "stable hash: FNV-1a(key) into buckets of about 100 fields"
        );
    }
}
