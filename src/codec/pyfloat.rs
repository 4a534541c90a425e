//! `float.__repr__` as CPython writes it: the shortest digits that round-trip (from ryu),
//! laid out by CPython's rule: positional when the decimal exponent is in -4..16, else
//! `d.ddde+XX` with at least two exponent digits.

/// Appends `repr(f)` for a finite or special float (`nan`, `inf`, `-inf`).
pub fn write_repr(out: &mut Vec<u8>, f: f64) {
    if f.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if f.is_infinite() {
        out.extend_from_slice(if f > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    // ryu gives the shortest digits that round-trip, the closest to the exact value, ties to
    // even, as CPython's repr (Rust's own formatter rounds such ties up: 718090100128323.25).
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(f);
    // The common case (a clock's reading): ryu's positional `ddd.ddd` with 1 to 16 integer
    // digits is already CPython's layout, byte for byte; the general path below allocates.
    if let Some((int_part, frac)) = text.split_once('.')
        && (1..=16).contains(&int_part.len())
        && !int_part.starts_with(['0', '-'])
        && !frac.is_empty()
        && frac.bytes().all(|b| b.is_ascii_digit())
    {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    write_general(out, text);
}

/// CPython's layout of any finite ryu output (sign, digits, optional exponent).
fn write_general(out: &mut Vec<u8>, text: &str) {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp_part) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().expect("ryu exponent is an integer")),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = format!("{int_part}{frac_part}");
    let leading_zeros = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    // Decimal exponent of the first significant digit.
    let exp = if all.trim_start_matches('0').is_empty() {
        0
    } else {
        int_part.len() as i32 - 1 - leading_zeros as i32 + exp_part
    };
    if negative {
        out.push(b'-');
    }
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        if point <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-point) as usize));
            out.extend_from_slice(digits.as_bytes());
        } else if point as usize >= digits.len() {
            out.extend_from_slice(digits.as_bytes());
            out.extend(std::iter::repeat_n(b'0', point as usize - digits.len()));
            out.extend_from_slice(b".0");
        } else {
            let (int_part, frac) = digits.split_at(point as usize);
            out.extend_from_slice(int_part.as_bytes());
            out.push(b'.');
            out.extend_from_slice(frac.as_bytes());
        }
    } else {
        out.extend_from_slice(&digits.as_bytes()[..1]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits.as_bytes()[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let abs = exp.unsigned_abs();
        if abs < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(abs.to_string().as_bytes());
    }
}

/// `repr(f)` as a `String`.
pub fn repr(f: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_repr(&mut out, f);
    String::from_utf8(out).expect("float repr is ASCII")
}

#[cfg(test)]
mod tests {
    use super::repr;

    /// The positional fast path gives exactly what the general layout gives.
    #[test]
    fn fast_path_is_the_general_layout() {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for n in 0..200_000u64 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let f = match n % 4 {
                0 => f64::from_bits(rng),
                1 => 1.7e9 + (rng % 1_000_000_000) as f64 / 1e6,
                2 => (rng % 100_000) as f64,
                _ => (rng as f64) / 10f64.powi((n % 40) as i32),
            };
            if !f.is_finite() {
                continue;
            }
            let mut fast = Vec::new();
            super::write_repr(&mut fast, f);
            let mut general = Vec::new();
            super::write_general(&mut general, ryu::Buffer::new().format_finite(f));
            assert_eq!(fast, general, "{f:e}");
        }
    }

    #[test]
    fn matches_cpython_layout() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.5, "1.5"),
            (1e-05, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e15, "1000000000000000.0"),
            (1795593491.5240686, "1795593491.5240686"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (0.1, "0.1"),
            (718090100128323.2, "718090100128323.2"), // an exact tie: CPython rounds to even
            (100.0, "100.0"),
            (-1234.5e-10, "-1.2345e-07"),
            (f64::INFINITY, "inf"),
            (f64::NAN, "nan"),
        ];
        for (f, want) in cases {
            assert_eq!(repr(f), want, "repr({f:e})");
        }
    }
}
