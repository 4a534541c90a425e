//! How figures read in every report and message: one size formatter (binary units, as Redis
//! prints `used_memory_human`), thousands separators, percentages. The ground floor of
//! output: charts, documents and reports all use these.

/// [`human_size`] of a whole number of bytes.
pub fn human_bytes(n: u64) -> String {
    human_size(n as f64)
}

/// The one size formatter of every report and message: binary units with two decimals, as
/// Redis prints `used_memory_human` (`512B`, `1.50K`, `195.95M`), so a figure reads the same
/// beside Redis's own; a negative size (a saving) keeps its sign.
pub fn human_size(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut value = bytes.abs();
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let sign = if bytes < 0.0 { "-" } else { "" };
    if unit == 0 {
        format!("{sign}{value:.0}B")
    } else {
        format!("{sign}{value:.2}{}", UNITS[unit])
    }
}

/// `110,814`: integers with thousands separators, for rates and byte counts in tables.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A percentage as tables show it: two decimals, `-` when there is none.
pub fn percent(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.2}%")).unwrap_or_else(|| "-".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_as_redis_prints_them() {
        assert_eq!(super::human_bytes(512), "512B");
        assert_eq!(super::human_bytes(1536), "1.50K");
        assert_eq!(super::human_bytes(205_466_728), "195.95M");
        assert_eq!(super::human_size(-1_258_291.2), "-1.20M");
        assert_eq!(super::human_size(0.0), "0B");
    }

    #[test]
    fn thousands_and_rates() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(110_814), "110,814");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
        assert_eq!(crate::report::rate(110_813.806), "110,814/s");
    }
}
