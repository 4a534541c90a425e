//! Key patterns: the variable parts of a key (numbers, hex ids, UUIDs, dates, random tokens)
//! become placeholders, so `user:42` and `user:7` are both `user:{n}`. UUIDs are found
//! wherever they sit (`celery-task-meta-<uuid>`), a 32-character lowercase token also when it
//! is glued to a prefix (Django's cache sessions); other random tokens glued to a literal
//! prefix (Flask-Caching's base64 memoize keys) are merged afterwards by [`merge_tokens`].

/// Characters that separate the parts of a key name (brackets too: aiocache's keys hold a
/// call's arguments, `shop.apiget_item(42,)[]`).
const SEPARATORS: &[u8] = b":|/,;=#@ ()[]";

/// The pattern of a key: each part between separators is replaced when it is a variable.
pub fn derive(key: &[u8]) -> String {
    let lossy = String::from_utf8_lossy(key);
    let text = uuids_replaced(&lossy);
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
    if is_ipv4(part) {
        return "{ip}".into();
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
    if let Some(prefix) = glued_token(part) {
        return format!("{}{{token}}", placeholder(prefix)).into();
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

/// The key with every `8-4-4-4-12` hex UUID replaced by `{uuid}`, wherever it sits.
fn uuids_replaced(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    if b.len() < 36 || !b.contains(&b'-') {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i + 36 <= b.len() {
        let window = &text[i..];
        let boundary = i == 0 || !b[i - 1].is_ascii_hexdigit();
        if boundary
            && window.is_char_boundary(36)
            && is_uuid(&window[..36])
            && b.get(i + 36).is_none_or(|c| !c.is_ascii_hexdigit())
        {
            out.push_str(&text[copied..i]);
            out.push_str("{uuid}");
            i += 36;
            copied = i;
        } else {
            i += 1;
            while i < b.len() && !text.is_char_boundary(i) {
                i += 1;
            }
        }
    }
    if copied == 0 {
        return text.into();
    }
    out.push_str(&text[copied..]);
    out.into()
}

/// The prefix of a part ending in a random 32-character lowercase token (`[a-z0-9]`, at
/// least one digit and 3 letters), such as Django's cache session keys
/// (`django.contrib.sessions.cache` + the session key; one in 400 of those has fewer than 3
/// digits, one in 30,000 none).
fn glued_token(part: &str) -> Option<&str> {
    let b = part.as_bytes();
    if b.len() < 33 {
        return None;
    }
    let tail = &b[b.len() - 32..];
    let digits = tail.iter().filter(|c| c.is_ascii_digit()).count();
    let ok = tail
        .iter()
        .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        && (1..=29).contains(&digits);
    ok.then(|| &part[..part.len() - 32])
}

/// Characters a random token may hold besides letters and digits (base64's `+/=`, `-_`).
pub fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_' | '.')
}

/// Patterns that differ only by a random token after a shared literal prefix (three or more
/// of them, the token free of separators other than base64's `/`): Flask-Caching's
/// `flask_cache_<22 base64 characters>`, or any id glued to a prefix. `names` are the
/// candidate patterns; the answer maps each merged name to its family's pattern.
pub fn merge_tokens(names: &[&str]) -> std::collections::HashMap<String, String> {
    let mut sorted: Vec<&str> = names.to_vec();
    sorted.sort_unstable();
    let mut merged = std::collections::HashMap::new();
    let mut group: Vec<&str> = Vec::new();
    let mut prefix = "";
    let flush =
        |group: &mut Vec<&str>, prefix: &str, merged: &mut std::collections::HashMap<_, _>| {
            if group.len() >= 3 && prefix.chars().count() >= 3 {
                let family = format!("{prefix}{{token}}");
                for name in group.iter() {
                    merged.insert(name.to_string(), family.clone());
                }
            }
            group.clear();
        };
    for name in sorted {
        if group.is_empty() {
            group.push(name);
            prefix = name;
            continue;
        }
        let common = common_prefix(prefix, name);
        let candidate = &prefix[..common];
        let fits = |s: &str| s.len() > common && tokenish(&s[common..]);
        if candidate.chars().count() >= 3
            && fits(name)
            && group.iter().all(|g| fits(g))
            && !candidate.ends_with('{')
        {
            group.push(name);
            prefix = candidate;
        } else {
            flush(&mut group, prefix, &mut merged);
            group.push(name);
            prefix = name;
        }
    }
    flush(&mut group, prefix, &mut merged);
    merged
}

/// A token's remainder: token characters, and the digit runs or hex ids `derive` already
/// replaced inside it.
/// With base64's `/` or `+` it must also hold a capital letter or a digit inside a part (16
/// random base64 characters lack both once in 500,000; a path such as `view//product/{n}`,
/// whose number is a part of its own, has neither). A capital alone was not enough: one in
/// 4,000 of Flask-Caching's memoize keys has none.
/// And it must look random: hold a digit (or a replaced number), or mix capitals and small
/// letters over 8 characters or more, so fixed names that share a prefix
/// (`dramatiq:mail`, `dramatiq:mail.msgs`, `dramatiq:__heartbeats__`) stay apart.
pub fn tokenish(rest: &str) -> bool {
    let plain = rest.replace("{n}", "0").replace("{hex}", "0");
    if !plain.chars().all(token_char) {
        return false;
    }
    let digit = plain.bytes().any(|b| b.is_ascii_digit());
    let mixed = plain.len() >= 8
        && plain.bytes().any(|b| b.is_ascii_uppercase())
        && plain.bytes().any(|b| b.is_ascii_lowercase());
    if !digit && !mixed {
        return false;
    }
    if !plain.contains(['/', '+']) {
        return true;
    }
    let inner_digit = rest.split('/').any(|part| {
        part.bytes().any(|b| b.is_ascii_digit())
            || ((part.contains("{n}") || part.contains("{hex}"))
                && part != "{n}"
                && part != "{hex}")
    });
    plain.chars().any(|c| c.is_ascii_uppercase()) || inner_digit
}

/// Bytes two strings share at the start (on a char boundary).
fn common_prefix(a: &str, b: &str) -> usize {
    let mut n = 0;
    for ((i, x), y) in a.char_indices().zip(b.chars()) {
        if x != y {
            return i;
        }
        n = i + x.len_utf8();
    }
    n
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

/// A dotted IPv4 address (rate limiters key by the client's address).
fn is_ipv4(part: &str) -> bool {
    let mut n = 0;
    for octet in part.split('.') {
        n += 1;
        if octet.is_empty() || octet.len() > 3 || !octet.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        if octet.parse::<u16>().map_or(true, |v| v > 255) {
            return false;
        }
    }
    n == 4
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

/// A pattern grouped by its first segment: `shop:{n}:x` is `shop:{*}`; a pattern without a
/// separator keeps its first 8 characters.
pub fn coarse(name: &str) -> String {
    let cut = name
        .char_indices()
        .find(|(_, c)| c.is_ascii() && b":|/,;=#@ ".contains(&(*c as u8)))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or_else(|| name.char_indices().nth(8).map_or(name.len(), |(i, _)| i));
    let segment = &name[..cut];
    // A long first segment that runs into a token (`flask_cache_89Jhm4/`) keeps only its
    // leading lowercase words, so the whole family lands in one group.
    let words = segment
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_lowercase() || matches!(c, '_' | '.' | '-')))
        .map_or(segment.len(), |(i, _)| i);
    if cut > 12 && words >= 4 && words < cut {
        return format!("{}{{*}}", &segment[..words]);
    }
    format!("{segment}{{*}}")
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
            (
                "celery-task-meta-3f2a1c9e-8b7d-4e6f-a5b4-c3d2e1f0a9b8",
                "celery-task-meta-{uuid}",
            ),
            (
                "rq:results:3f2a1c9e-8b7d-4e6f-a5b4-c3d2e1f0a9b8",
                "rq:results:{uuid}",
            ),
            (
                "web:1:django.contrib.sessions.cachez1xk9q0w2e3r4t5y6u7i8o9p0asdfghj",
                "web:{n}:django.contrib.sessions.cache{token}",
            ),
            // One digit in the session key.
            (
                "web:1:django.contrib.sessions.cached_dbwertyuiopasdfghjklzxcvbnmqwerty1",
                "web:{n}:django.contrib.sessions.cached_db{token}",
            ),
            // limits: the client's address.
            (
                "LIMITS:LIMITER/10.0.0.7/login/5/1/minute",
                "LIMITS:LIMITER/{ip}/login/{n}/{n}/minute",
            ),
            ("v1.2:config", "v1.2:config"),
            // aiocache: the call's arguments.
            ("shop.apiget_item(42,)[]", "shop.apiget_item({n},)[]"),
            ("shop.apiget_item(7,)[]", "shop.apiget_item({n},)[]"),
        ];
        for (key, want) in cases {
            assert_eq!(derive(key.as_bytes()), want, "{key}");
        }
    }

    #[test]
    fn glued_tokens_merge_into_their_family() {
        let names = [
            "flask_cache_kDJGKuzwF7jn562EQ/EOia",
            "flask_cache_3o2lJA4cJZV3t0U7Q/EOia",
            "flask_cache_2KIoLhQilK6A3txIQ/EOia",
            "flask_cache_+W{n}cnUoT/JGgH5nQTL67",
            "flask_cache_view//product/{n}",
            "rq:queue:emails",
            "user:{n}",
        ];
        let merged = super::merge_tokens(&names);
        for n in &names[..4] {
            assert_eq!(merged[*n], "flask_cache_{token}", "{n}");
        }
        assert!(!merged.contains_key("flask_cache_view//product/{n}"));
        // Fixed names that share a prefix are not a token family (dramatiq's queue keys).
        let fixed = [
            "dramatiq:mail",
            "dramatiq:mail.msgs",
            "dramatiq:__heartbeats__",
        ];
        assert!(super::merge_tokens(&fixed).is_empty());
        // Ids glued to a prefix are.
        let glued = ["user7", "user42", "user99"];
        assert_eq!(super::merge_tokens(&glued)["user42"], "user{token}");
        // A memoize key without a capital letter (1 in 4,000), with `+` and `/`.
        let mut lower: Vec<&str> = names.to_vec();
        lower.push("flask_cache_qz+k{n}xw/ab+cd9e+/eoia");
        let merged = super::merge_tokens(&lower);
        assert_eq!(
            merged["flask_cache_qz+k{n}xw/ab+cd9e+/eoia"],
            "flask_cache_{token}"
        );
        assert!(!merged.contains_key("flask_cache_view//product/{n}"));
        assert!(!merged.contains_key("user:{n}"));
        // Two alone are not a family.
        assert!(super::merge_tokens(&names[..2]).is_empty());
    }
}
