//! Text from a server (key names, examples) made safe for each output: control characters
//! (terminal escapes, newlines) shown as escapes for the terminal, Markdown and HTML, and a
//! leading `= + - @` neutralised in CSV, where a spreadsheet would run it as a formula.

use std::fmt::Write;

/// `text` with every control character written as an escape (`\n`, `\t`, `\x1b`,
/// `\u{9b}`) and a backslash doubled, so a key name cannot move the cursor, clear the
/// screen or start a new line.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || c == '\\') {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.into()
}

/// A CSV cell: printable, and prefixed with `'` when it starts with a character a
/// spreadsheet reads as a formula (`= + - @`, tab or carriage return), as OWASP advises.
pub fn csv_safe(text: &str) -> String {
    let p = printable(text);
    match p.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{p}"),
        _ => p.into_owned(),
    }
}

/// A Markdown table cell: printable, `|` escaped (GitHub's tables split on it even inside
/// a code span); `code` puts it in a code span.
pub fn markdown(text: &str, code: bool) -> String {
    let p = printable(text).replace('|', "\\|");
    if code {
        format!("`{}`", p.replace('`', "'"))
    } else {
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped() {
        assert_eq!(printable("a\x1b[2Jb\nc"), "a\\x1b[2Jb\\nc");
        assert_eq!(printable("plain:key"), "plain:key");
        assert_eq!(csv_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_safe("-1"), "'-1");
        assert_eq!(csv_safe("user:1"), "user:1");
        assert_eq!(markdown("a|b", true), "`a\\|b`");
    }
}
