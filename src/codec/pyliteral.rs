//! Python literals, as `repr()` prints them and `ast.literal_eval` reads them: the text form
//! that `redisadv encode` reads and `redisadv decode` prints.

use super::MAX_DEPTH;
use super::pyfloat;
use super::value::Value;
use num_bigint::BigInt;

/// Why a literal could not be read; `column` counts characters from 1.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("column {column}: {what}")]
pub struct LiteralError {
    pub column: usize,
    pub what: String,
}

/// Parses one Python literal: None, True, False, ints, floats (also `inf`, `nan`), str and
/// bytes with Python's escapes and prefixes, lists, tuples and dicts.
pub fn parse(text: &str) -> Result<Value, LiteralError> {
    let chars: Vec<char> = text.chars().collect();
    let mut p = Parser { chars, pos: 0 };
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != p.chars.len() {
        return Err(p.error("unexpected text after the value"));
    }
    Ok(value)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn error(&self, what: impl Into<String>) -> LiteralError {
        LiteralError {
            column: self.pos + 1,
            what: what.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, LiteralError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        match self.peek() {
            None => Err(self.error("expected a value, found the end of the line")),
            Some('[') => {
                self.pos += 1;
                Ok(Value::List(self.sequence(']', depth)?.0))
            }
            Some('(') => {
                self.pos += 1;
                let (items, trailing_comma) = self.sequence(')', depth)?;
                if items.len() == 1 && !trailing_comma {
                    Ok(items.into_iter().next().expect("one item"))
                } else {
                    Ok(Value::Tuple(items))
                }
            }
            Some('{') => {
                self.pos += 1;
                self.dict(depth)
            }
            Some('\'' | '"') => Ok(Value::Str(self.string(false)?.into_text())),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => self.word(),
            Some(_) => self.number(),
        }
    }

    fn sequence(&mut self, close: char, depth: usize) -> Result<(Vec<Value>, bool), LiteralError> {
        let mut items = Vec::new();
        let mut trailing_comma = false;
        loop {
            self.skip_ws();
            if self.eat(close) {
                return Ok((items, trailing_comma));
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            trailing_comma = self.eat(',');
            if !trailing_comma {
                self.skip_ws();
                if self.eat(close) {
                    return Ok((items, false));
                }
                return Err(self.error(format!("expected ',' or '{close}'")));
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Value, LiteralError> {
        let mut pairs: Vec<(Value, Value)> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        loop {
            self.skip_ws();
            if self.eat('}') {
                return Ok(Value::Dict(pairs));
            }
            let key_at = self.pos;
            let key = self.value(depth + 1)?;
            let Some(identity) = key.key_identity() else {
                self.pos = key_at;
                return Err(self.error(format!("unhashable type: '{}'", key.type_name())));
            };
            self.skip_ws();
            if !self.eat(':') {
                return Err(self.error("expected ':' after a dict key"));
            }
            self.skip_ws();
            let val = self.value(depth + 1)?;
            // Python keeps a repeated key's first place and its last value.
            match index.get(&identity) {
                Some(&at) => pairs[at].1 = val,
                None => {
                    index.insert(identity, pairs.len());
                    pairs.push((key, val));
                }
            }
            self.skip_ws();
            if !self.eat(',') {
                self.skip_ws();
                if self.eat('}') {
                    return Ok(Value::Dict(pairs));
                }
                return Err(self.error("expected ',' or '}'"));
            }
        }
    }

    /// Names, and the string prefixes b, r, u and their combinations.
    fn word(&mut self) -> Result<Value, LiteralError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += 1;
        }
        let word: String = self.chars[start..self.pos].iter().collect();
        if matches!(self.peek(), Some('\'' | '"')) {
            let lower = word.to_ascii_lowercase();
            let (bytes, raw) = match lower.as_str() {
                "b" => (true, false),
                "br" | "rb" => (true, true),
                "r" => (false, true),
                "u" => (false, false),
                _ => {
                    self.pos = start;
                    return Err(self.error(format!("unknown string prefix {word:?}")));
                }
            };
            let lit = self.string(raw)?;
            return if bytes {
                lit.into_bytes()
                    .map(Value::Bytes)
                    .map_err(|what| LiteralError {
                        column: start + 1,
                        what,
                    })
            } else {
                Ok(Value::Str(lit.into_text()))
            };
        }
        match word.as_str() {
            "None" => Ok(Value::None),
            "True" => Ok(Value::Bool(true)),
            "False" => Ok(Value::Bool(false)),
            "inf" => Ok(Value::Float(f64::INFINITY)),
            "nan" => Ok(Value::Float(f64::NAN)),
            _ => {
                self.pos = start;
                Err(self.error(format!(
                    "{word:?} is not a Python literal (use None, True, False, numbers, quoted \
                     str or bytes, lists, tuples and dicts)"
                )))
            }
        }
    }

    fn number(&mut self) -> Result<Value, LiteralError> {
        let start = self.pos;
        let negative = if self.eat('-') {
            true
        } else {
            self.eat('+');
            false
        };
        self.skip_ws();
        if self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            let word_at = self.pos;
            let value = self.word()?;
            return match value {
                Value::Float(f) => Ok(Value::Float(if negative { -f } else { f })),
                _ => {
                    self.pos = word_at;
                    Err(self.error("expected a number after the sign"))
                }
            };
        }
        let digits_at = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_'))
            || (matches!(self.peek(), Some('+' | '-'))
                && matches!(self.chars.get(self.pos - 1), Some('e' | 'E')))
        {
            self.pos += 1;
        }
        let text: String = self.chars[digits_at..self.pos]
            .iter()
            .filter(|c| **c != '_')
            .collect();
        if text.is_empty() {
            self.pos = start;
            return Err(self.error("expected a value"));
        }
        let signed = if negative {
            format!("-{text}")
        } else {
            text.clone()
        };
        let bad = |p: &Parser| LiteralError {
            column: start + 1,
            what: format!(
                "{:?} is not a number",
                p.chars[start..p.pos].iter().collect::<String>()
            ),
        };
        let lower = text.to_ascii_lowercase();
        let radix = match lower.get(..2) {
            Some("0x") => Some(16),
            Some("0o") => Some(8),
            Some("0b") => Some(2),
            _ => None,
        };
        if let Some(radix) = radix {
            let n = BigInt::parse_bytes(&lower.as_bytes()[2..], radix).ok_or_else(|| bad(self))?;
            return Ok(Value::int(if negative { -n } else { n }));
        }
        if lower.contains(['.', 'e']) {
            return signed
                .parse::<f64>()
                .map(Value::Float)
                .map_err(|_| bad(self));
        }
        if text.len() > 1 && text.starts_with('0') && text.chars().any(|c| c != '0') {
            return Err(bad(self));
        }
        signed
            .parse::<BigInt>()
            .map(Value::int)
            .map_err(|_| bad(self))
    }

    /// A quoted string body (the prefix already read), with implicit concatenation of
    /// adjacent literals left to the caller.
    fn string(&mut self, raw: bool) -> Result<StringLiteral, LiteralError> {
        let quote = self.peek().expect("called on a quote");
        let triple = self.chars[self.pos..].starts_with(&[quote, quote, quote]);
        self.pos += if triple { 3 } else { 1 };
        let mut out = StringLiteral::default();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            if c == quote {
                if !triple {
                    self.pos += 1;
                    return Ok(out);
                }
                if self.chars[self.pos..].starts_with(&[quote, quote, quote]) {
                    self.pos += 3;
                    return Ok(out);
                }
            }
            self.pos += 1;
            if c != '\\' {
                out.push_char(c);
                continue;
            }
            let Some(esc) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            self.pos += 1;
            if raw {
                out.push_char('\\');
                out.push_char(esc);
                continue;
            }
            match esc {
                '\n' => {}
                '\\' | '\'' | '"' => out.push_char(esc),
                'a' => out.push_char('\u{7}'),
                'b' => out.push_char('\u{8}'),
                'f' => out.push_char('\u{c}'),
                'n' => out.push_char('\n'),
                'r' => out.push_char('\r'),
                't' => out.push_char('\t'),
                'v' => out.push_char('\u{b}'),
                'x' => {
                    let n = self.hex(2)?;
                    out.push_unit(n);
                }
                'u' | 'U' => {
                    let n = self.hex(if esc == 'u' { 4 } else { 8 })?;
                    let c = char::from_u32(n).ok_or_else(|| {
                        self.error(format!("\\{esc}{n:x} is not a character redisadv can hold"))
                    })?;
                    out.push_escaped_char(c);
                }
                '0'..='7' => {
                    let mut n = esc as u32 - '0' as u32;
                    for _ in 0..2 {
                        match self.peek() {
                            Some(d @ '0'..='7') => {
                                n = n * 8 + (d as u32 - '0' as u32);
                                self.pos += 1;
                            }
                            _ => break,
                        }
                    }
                    out.push_unit(n);
                }
                other => {
                    out.push_char('\\');
                    out.push_char(other);
                }
            }
        }
    }

    fn hex(&mut self, width: usize) -> Result<u32, LiteralError> {
        let digits: String = self
            .chars
            .get(self.pos..self.pos + width)
            .unwrap_or(&[])
            .iter()
            .collect();
        if digits.len() != width || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(self.error(format!(
                "truncated \\x/\\u escape: expected {width} hex digits"
            )));
        }
        self.pos += width;
        Ok(u32::from_str_radix(&digits, 16).expect("checked hex digits"))
    }
}

/// A string body kept as code units so the same parser serves str and bytes literals: in
/// bytes, `\xff` is one byte and a non-ASCII character is an error.
#[derive(Default)]
struct StringLiteral {
    units: Vec<u32>,
    /// A `\u` escape or a non-ASCII character appeared: not allowed in bytes.
    non_byte: Option<char>,
}

impl StringLiteral {
    fn push_char(&mut self, c: char) {
        if !c.is_ascii() && self.non_byte.is_none() {
            self.non_byte = Some(c);
        }
        self.units.push(c as u32);
    }
    fn push_unit(&mut self, n: u32) {
        self.units.push(n);
    }
    fn push_escaped_char(&mut self, c: char) {
        self.non_byte.get_or_insert(c);
        self.units.push(c as u32);
    }
    fn into_text(self) -> String {
        self.units
            .into_iter()
            .map(|u| char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    }
    fn into_bytes(self) -> Result<Vec<u8>, String> {
        if let Some(c) = self.non_byte {
            return Err(format!(
                "bytes can only contain ASCII literal characters, found {c:?}"
            ));
        }
        self.units
            .into_iter()
            .map(|u| {
                u8::try_from(u).map_err(|_| format!("octal escape value {u} > 0o377 in bytes"))
            })
            .collect()
    }
}

/// `repr(value)` as Python prints it.
pub fn repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(value, &mut out);
    out
}

fn write_repr(value: &Value, out: &mut String) {
    match value {
        Value::None => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::BigInt(n) => out.push_str(&n.to_string()),
        Value::Float(f) => out.push_str(&pyfloat::repr(*f)),
        Value::Str(s) => write_str_repr(s, out),
        Value::Bytes(b) => out.push_str(&bytes_repr(b)),
        Value::List(items) => write_items(items, '[', ']', out),
        Value::Tuple(items) if items.len() == 1 => {
            out.push('(');
            write_repr(&items[0], out);
            out.push_str(",)");
        }
        Value::Tuple(items) => write_items(items, '(', ')', out),
        Value::Dict(pairs) => {
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(k, out);
                out.push_str(": ");
                write_repr(v, out);
            }
            out.push('}');
        }
    }
}

fn write_items(items: &[Value], open: char, close: char, out: &mut String) {
    out.push(open);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_repr(item, out);
    }
    out.push(close);
}

/// str repr: single quotes unless the text has `'` and no `"`; non-printable characters as
/// `\xhh`, `\uhhhh` or `\Uhhhhhhhh`. Printability follows Python for ASCII and Latin-1 and
/// treats control, format and separator characters above as non-printable.
fn write_str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push(quote);
}

fn is_printable(c: char) -> bool {
    let n = c as u32;
    match n {
        0x20..=0x7e => true,
        0..=0x1f | 0x7f..=0xa0 | 0xad => false,
        0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f | 0x3000 | 0xfeff => false,
        0xd800..=0xf8ff | 0xfff9..=0xfffb | 0xfffe..=0xffff => false,
        0xe0000..=0xe007f | 0xf0000.. => false,
        _ => !c.is_control(),
    }
}

/// bytes repr: `b'...'` with `\xhh` for everything outside printable ASCII.
pub fn bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(b.len() + 3);
    out.push('b');
    out.push(quote);
    for &byte in b {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ if byte as char == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(byte as char),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_repr_forms() {
        for text in [
            "{'one': 398601, 'two': 'fizzbuzz'}",
            "(1,)",
            "b'\\x00'",
            "None",
            "-5",
            "1.5",
            "'é'",
            "[1, (2, 3), {'a': [None, True, False]}]",
            "1e-05",
            "-inf",
            "123456789012345678901234567890",
            "\"it's\"",
            "'\\U0001f600'",
        ] {
            let value = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let again = parse(&repr(&value)).unwrap();
            assert_eq!(value, again, "{text}");
        }
        assert_eq!(parse("'\\u00e9'").unwrap(), Value::str("é"));
        assert_eq!(repr(&parse("'\\U0001f600'").unwrap()), "'😀'");
    }

    #[test]
    fn rejects_with_column() {
        let err = parse("[1, 2").unwrap_err();
        assert!(err.what.contains("expected"), "{err}");
        let err = parse("{[1]: 2}").unwrap_err();
        assert_eq!(err.column, 2);
        assert!(parse("b'é'").is_err());
        assert!(parse("foo").is_err());
        assert!(parse("").is_err());
    }
}
