//! `--match GLOB` on keys read from a file, with SCAN MATCH's rules (Redis's stringmatch):
//! `*`, `?`, `[abc]`, `[^a]`, `[a-z]` and `\` escapes. By hand: the glob crates differ from
//! Redis on `[^...]` and backslash escapes.

pub fn matches(pattern: &[u8], key: &[u8]) -> bool {
    let (mut p, mut k) = (0, 0);
    // Where to resume after the last `*`: (pattern index after it, key index it covers to).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star = Some((p + 1, k));
                    p += 1;
                    continue;
                }
                _ if k < key.len() => {
                    if let Some(next) = one(pattern, p, key[k]) {
                        p = next;
                        k += 1;
                        continue;
                    }
                }
                _ => {}
            }
        } else if k == key.len() {
            return true;
        }
        match star {
            Some((sp, sk)) if sk < key.len() => {
                star = Some((sp, sk + 1));
                p = sp;
                k = sk + 1;
            }
            _ => return false,
        }
    }
}

/// Whether the pattern element at `p` matches `c`; the index after the element if so.
fn one(pattern: &[u8], p: usize, c: u8) -> Option<usize> {
    match pattern[p] {
        b'?' => Some(p + 1),
        b'\\' if p + 1 < pattern.len() => (pattern[p + 1] == c).then_some(p + 2),
        b'[' => {
            let mut i = p + 1;
            let not = pattern.get(i) == Some(&b'^');
            if not {
                i += 1;
            }
            let mut hit = false;
            while i < pattern.len() && pattern[i] != b']' {
                if pattern[i] == b'\\' && i + 1 < pattern.len() {
                    hit |= pattern[i + 1] == c;
                    i += 2;
                } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' && pattern[i + 2] != b']'
                {
                    let (a, b) = (
                        pattern[i].min(pattern[i + 2]),
                        pattern[i].max(pattern[i + 2]),
                    );
                    hit |= (a..=b).contains(&c);
                    i += 3;
                } else {
                    hit |= pattern[i] == c;
                    i += 1;
                }
            }
            (hit != not).then_some((i + 1).min(pattern.len()))
        }
        other => (other == c).then_some(p + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn scan_match_rules() {
        let yes = [
            ("user:*", "user:42"),
            ("*", ""),
            ("u?er:*", "user:1"),
            ("[ab]*", "bz"),
            ("[^a]x", "bx"),
            ("[a-c]1", "b1"),
            ("a\\*b", "a*b"),
            ("*:*:x", "a:b:c:x"),
        ];
        let no = [
            ("user:*", "users:1"),
            ("[^a]x", "ax"),
            ("a\\*b", "aab"),
            ("?", ""),
            ("x*y", "xyz"),
        ];
        for (p, k) in yes {
            assert!(matches(p.as_bytes(), k.as_bytes()), "{p} {k}");
        }
        for (p, k) in no {
            assert!(!matches(p.as_bytes(), k.as_bytes()), "{p} {k}");
        }
    }
}
