//! `json.dumps(value)` with Python's defaults, and a reader for what it writes.
//!
//! Written by hand because serde_json cannot give Python's bytes: `", "`/`": "` separators,
//! `float.__repr__` digits (`1e-05`, `1e+16`), `NaN`/`Infinity`, and dict keys converted as
//! Python converts them; nor can it read `NaN`/`Infinity` back.

use super::pyfloat;
use super::value::Value;
use super::{DecodeError, EncodeError, MAX_DEPTH};
use num_bigint::BigInt;
use std::collections::HashMap;

/// Appends `json.dumps(value)`; fails where Python raises TypeError.
pub fn dumps_into(value: &Value, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    write_value(value, out, 0)
}

fn write_value(value: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), EncodeError> {
    if depth > MAX_DEPTH {
        return Err(EncodeError::TooDeep);
    }
    match value {
        Value::None => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::BigInt(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::Float(f) => write_float(*f, out),
        Value::Str(s) => write_str(s, out),
        Value::Bytes(_) => {
            return Err(EncodeError::Unsupported {
                codec: "json",
                what: "Object of type bytes is not JSON serializable".into(),
            });
        }
        Value::List(items) | Value::Tuple(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                write_value(item, out, depth + 1)?;
            }
            out.push(b']');
        }
        Value::Dict(pairs) => {
            out.push(b'{');
            for (i, (key, val)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                write_key(key, out)?;
                out.extend_from_slice(b": ");
                write_value(val, out, depth + 1)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// Python's `_floatstr`: repr, with the JavaScript names for the specials.
fn write_float(f: f64, out: &mut Vec<u8>) {
    if f.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if f.is_infinite() {
        out.extend_from_slice(if f > 0.0 { b"Infinity" } else { b"-Infinity" });
    } else {
        pyfloat::write_repr(out, f);
    }
}

/// Dict keys become strings the way `json.dumps` converts them.
fn write_key(key: &Value, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let text = match key {
        Value::Str(s) => {
            write_str(s, out);
            return Ok(());
        }
        Value::Float(f) => {
            let mut buf = Vec::new();
            write_float(*f, &mut buf);
            String::from_utf8(buf).expect("ASCII")
        }
        Value::Bool(true) => "true".into(),
        Value::Bool(false) => "false".into(),
        Value::None => "null".into(),
        Value::Int(n) => n.to_string(),
        Value::BigInt(n) => n.to_string(),
        other => {
            return Err(EncodeError::Unsupported {
                codec: "json",
                what: format!(
                    "keys must be str, int, float, bool or None, not {}",
                    other.type_name()
                ),
            });
        }
    };
    write_str(&text, out);
    Ok(())
}

/// A JSON string with `ensure_ascii=True`: `\uXXXX` (lowercase hex) for everything outside
/// printable ASCII, surrogate pairs above U+FFFF.
fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            ' '..='~' => out.push(c as u8),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.extend_from_slice(format!("\\u{:04x}", unit).as_bytes());
                }
            }
        }
    }
    out.push(b'"');
}

/// Reads one JSON document as Python's `json.loads` would: ints stay ints of any size,
/// `NaN`/`Infinity`/`-Infinity` are floats, objects keep their order (a repeated key keeps its
/// first place and its last value).
pub fn loads(input: &[u8]) -> Result<Value, DecodeError> {
    let mut p = Parser { input, pos: 0 };
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != input.len() {
        return Err(p.error("extra data after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> DecodeError {
        DecodeError::Invalid {
            format: "json",
            offset: self.pos,
            what: what.to_string(),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, literal: &[u8]) -> bool {
        if self.input[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        match self.input.get(self.pos) {
            None => Err(DecodeError::Truncated { format: "json" }),
            Some(b'{') => {
                self.pos += 1;
                let mut pairs: Vec<(Value, Value)> = Vec::new();
                let mut index: HashMap<String, usize> = HashMap::new();
                self.skip_ws();
                if self.eat(b"}") {
                    return Ok(Value::Dict(pairs));
                }
                loop {
                    self.skip_ws();
                    if self.input.get(self.pos) != Some(&b'"') {
                        return Err(self.error("expected a string key"));
                    }
                    let key = self.string()?;
                    self.skip_ws();
                    if !self.eat(b":") {
                        return Err(self.error("expected ':'"));
                    }
                    self.skip_ws();
                    let val = self.value(depth + 1)?;
                    match index.get(&key) {
                        Some(&at) => pairs[at].1 = val,
                        None => {
                            index.insert(key.clone(), pairs.len());
                            pairs.push((Value::Str(key), val));
                        }
                    }
                    self.skip_ws();
                    if self.eat(b"}") {
                        return Ok(Value::Dict(pairs));
                    }
                    if !self.eat(b",") {
                        return Err(self.error("expected ',' or '}'"));
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.eat(b"]") {
                    return Ok(Value::List(items));
                }
                loop {
                    self.skip_ws();
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    if self.eat(b"]") {
                        return Ok(Value::List(items));
                    }
                    if !self.eat(b",") {
                        return Err(self.error("expected ',' or ']'"));
                    }
                }
            }
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(_) => {
                for (literal, value) in [
                    (&b"null"[..], Value::None),
                    (b"true", Value::Bool(true)),
                    (b"false", Value::Bool(false)),
                    (b"NaN", Value::Float(f64::NAN)),
                    (b"Infinity", Value::Float(f64::INFINITY)),
                    (b"-Infinity", Value::Float(f64::NEG_INFINITY)),
                ] {
                    if self.eat(literal) {
                        return Ok(value);
                    }
                }
                self.number()
            }
        }
    }

    fn number(&mut self) -> Result<Value, DecodeError> {
        let start = self.pos;
        let mut is_float = false;
        while let Some(&b) = self.input.get(self.pos) {
            match b {
                b'0'..=b'9' | b'-' | b'+' => {}
                b'.' | b'e' | b'E' => is_float = true,
                _ => break,
            }
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.input[start..self.pos]).expect("ASCII digits");
        if text.is_empty() {
            return Err(self.error("expected a JSON value"));
        }
        let bad = || DecodeError::Invalid {
            format: "json",
            offset: start,
            what: format!("bad number {text:?}"),
        };
        if is_float {
            text.parse::<f64>().map(Value::Float).map_err(|_| bad())
        } else if let Ok(n) = text.parse::<i64>() {
            Ok(Value::Int(n))
        } else {
            text.parse::<BigInt>().map(Value::int).map_err(|_| bad())
        }
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let rest = &self.input[self.pos..];
            let plain = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .ok_or(DecodeError::Truncated { format: "json" })?;
            let text = std::str::from_utf8(&rest[..plain])
                .map_err(|_| self.error("invalid UTF-8 in a string"))?;
            out.push_str(text);
            self.pos += plain;
            match self.input[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let esc = *self
                        .input
                        .get(self.pos)
                        .ok_or(DecodeError::Truncated { format: "json" })?;
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let unit = self.hex4()?;
                            let c = if (0xd800..0xdc00).contains(&unit) && self.eat(b"\\u") {
                                let low = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&low) {
                                    return Err(self.error("lone surrogate in a string"));
                                }
                                0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                            } else {
                                unit
                            };
                            out.push(char::from_u32(c).ok_or_else(|| {
                                self.error("lone surrogate in a string (not supported)")
                            })?);
                        }
                        _ => return Err(self.error("invalid escape")),
                    }
                }
                _ => return Err(self.error("control character in a string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, DecodeError> {
        let digits = self
            .input
            .get(self.pos..self.pos + 4)
            .ok_or(DecodeError::Truncated { format: "json" })?;
        let text = std::str::from_utf8(digits).map_err(|_| self.error("bad \\u escape"))?;
        let unit = u32::from_str_radix(text, 16).map_err(|_| self.error("bad \\u escape"))?;
        self.pos += 4;
        Ok(unit)
    }
}
