//! Key patterns: the variable parts of a key (numbers, hex ids, UUIDs, dates) become
//! placeholders, so `user:42` and `user:7` are both `user:{n}`.

/// Characters that separate the parts of a key name.
const SEPARATORS: &[u8] = b":|/,;=#@ ";

/// The pattern of a key: each part between separators is replaced when it is a variable.
pub fn derive(key: &[u8]) -> String {
    let text = String::from_utf8_lossy(key);
    let mut out = String::with_capacity(text.len());
    let mut part = String::new();
    for ch in text.chars() {
        if ch.is_ascii() && SEPARATORS.contains(&(ch as u8)) {
            out.push_str(&placeholder(&part));
            out.push(ch);
            part.clear();
        } else {
            part.push(ch);
        }
    }
    out.push_str(&placeholder(&part));
    out
}

/// One part of a key: itself, a placeholder, or itself with its long digit runs replaced.
fn placeholder(part: &str) -> std::borrow::Cow<'_, str> {
    if part.is_empty() {
        return part.into();
    }
    if is_uuid(part) {
        return "{uuid}".into();
    }
    if is_date(part) {
        return "{date}".into();
    }
    let bytes = part.as_bytes();
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    let numeric = bytes
        .iter()
        .enumerate()
        .all(|(i, b)| b.is_ascii_digit() || (i == 0 && *b == b'-'))
        && digits > 0;
    if numeric {
        return "{n}".into();
    }
    if is_hex(part, digits) {
        return "{hex}".into();
    }
    // `user123`, `v1.2` stay; `order-000123` or `img_20240101` lose their long numbers.
    if digits >= 3 {
        let mut out = String::with_capacity(part.len());
        let mut run = String::new();
        for ch in part.chars() {
            if ch.is_ascii_digit() {
                run.push(ch);
                continue;
            }
            flush_run(&mut out, &mut run);
            out.push(ch);
        }
        flush_run(&mut out, &mut run);
        return out.into();
    }
    part.into()
}

fn flush_run(out: &mut String, run: &mut String) {
    if run.len() >= 3 {
        out.push_str("{n}");
    } else {
        out.push_str(run);
    }
    run.clear();
}

/// `8-4-4-4-12` hex digits, or 32 hex digits with at least one digit and one letter.
fn is_uuid(part: &str) -> bool {
    let b = part.as_bytes();
    if b.len() == 36 {
        return b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    }
    false
}

/// `YYYY-MM-DD`, `YYYYMMDD`, optionally with a time (`T12:00:00`, `.`-fractions, `Z`) when
/// the separators left it whole.
fn is_date(part: &str) -> bool {
    let b = part.as_bytes();
    let year = |s: &[u8]| {
        s.len() == 4 && s.iter().all(u8::is_ascii_digit) && (s[0] == b'1' || s[0] == b'2')
    };
    let two = |s: &[u8], max: u8| {
        s.len() == 2 && s.iter().all(u8::is_ascii_digit) && {
            let n = (s[0] - b'0') * 10 + (s[1] - b'0');
            (1..=max).contains(&n)
        }
    };
    if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        return year(&b[..4])
            && two(&b[5..7], 12)
            && two(&b[8..10], 31)
            && b[10..]
                .iter()
                .all(|c| c.is_ascii_digit() || b"T.Z+-".contains(c));
    }
    b.len() == 8 && year(&b[..4]) && two(&b[4..6], 12) && two(&b[6..8], 31)
}

/// Hex ids: at least 8 hex digits mixing digits and letters, or a hash's usual length.
fn is_hex(part: &str, digits: usize) -> bool {
    let b = part.as_bytes();
    if b.len() < 8 || !b.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let mixed = digits > 0 && digits < b.len();
    mixed || matches!(b.len(), 16 | 24 | 32 | 40 | 64)
}

/// The part of a key left of its first placeholder, for bucket names in whatif.
pub fn literal_prefix(pattern: &str) -> &str {
    &pattern[..pattern.find('{').unwrap_or(pattern.len())]
}

#[cfg(test)]
mod tests {
    use super::derive;

    #[test]
    fn placeholders() {
        let cases = [
            ("user:42", "user:{n}"),
            ("user:42:profile", "user:{n}:profile"),
            (
                "session:3f2a1c9e-8b7d-4e6f-a5b4-c3d2e1f0a9b8",
                "session:{uuid}",
            ),
            ("cache|2024-05-01|x", "cache|{date}|x"),
            ("day:20240501", "day:{date}"),
            ("blob:deadbeef01234567", "blob:{hex}"),
            ("foo|123", "foo|{n}"),
            ("12345", "{n}"),
            ("order-000123", "order-{n}"),
            ("v2:config", "v2:config"),
            ("plain", "plain"),
            ("neg:-5", "neg:{n}"),
        ];
        for (key, want) in cases {
            assert_eq!(derive(key.as_bytes()), want, "{key}");
        }
    }
}
