//! The dataset fingerprint's canonical text: what a dataset spec writes, spelled by this
//! file alone, so a report's fingerprint means the same dataset in every build. It used to
//! be the generators' `Debug` output, which any reshaping of a type (or of `Debug` itself)
//! would change; the spelling here is that text as it stood, frozen, so every report
//! written before still compares. Hand-written: the fingerprint must not follow a serde
//! or Debug derive when a type changes.

use crate::codec::Value;
use crate::dataset::{Family, ValueGen};
use std::fmt::Write;

/// FNV-1a 64 of `text`, as 16 hex digits: the same on every run and platform.
pub fn fnv_hex(text: &str) -> String {
    format!("{:016x}", fnv(0xcbf2_9ce4_8422_2325, text.as_bytes()))
}

fn fnv(start: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(start, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The canonical text of a dataset: kind, seed, scale, then one line per family.
pub fn text(kind: &str, seed: u64, scale: f64, families: &[Family]) -> String {
    let mut out = format!("kind={kind}\nseed={seed}\nscale={}\n", float(scale));
    for f in families {
        let _ = writeln!(
            out,
            "family={} count={} per_call={} key={} bucket={} field={} seed={} value={}",
            quoted(&f.name),
            f.count,
            f.per_call,
            quoted(f.key.source()),
            quoted(f.bucket.source()),
            quoted(f.field.source()),
            f.seed,
            generator(&f.value)
        );
    }
    out
}

/// A generator, as `Int { min: 1, max: 9 }`, `Dict([("id", Sequence { .. })])`.
fn generator(g: &ValueGen) -> String {
    match g {
        ValueGen::Sequence { start, step } => {
            format!("Sequence {{ start: {start}, step: {step} }}")
        }
        ValueGen::Int { min, max } => format!("Int {{ min: {min}, max: {max} }}"),
        ValueGen::Float { min, max } => {
            format!("Float {{ min: {}, max: {} }}", float(*min), float(*max))
        }
        ValueGen::Str { min_len, max_len } => {
            format!("Str {{ min_len: {min_len}, max_len: {max_len} }}")
        }
        ValueGen::Text {
            min_words,
            max_words,
        } => format!("Text {{ min_words: {min_words}, max_words: {max_words} }}"),
        ValueGen::Bytes { min_len, max_len } => {
            format!("Bytes {{ min_len: {min_len}, max_len: {max_len} }}")
        }
        ValueGen::Const(v) => format!("Const({})", value(v)),
        ValueGen::List {
            item,
            min_len,
            max_len,
        } => format!(
            "List {{ item: {}, min_len: {min_len}, max_len: {max_len} }}",
            generator(item)
        ),
        ValueGen::Dict(fields) => format!(
            "Dict([{}])",
            fields
                .iter()
                .map(|(name, g)| format!("({}, {})", quoted(name), generator(g)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        // A digest of the records, not the records: short for large samples, and it still
        // changes with any record.
        ValueGen::Table(table) => {
            let digest = (0..table.len() as u64).fold(0xcbf2_9ce4_8422_2325, |h, i| {
                fnv(h, value(&table.get(i)).as_bytes())
            });
            format!("Table(len={}, fnv={digest:016x})", table.len())
        }
    }
}

/// A Python value, as `Str("x")`, `Dict([(Str("a"), Int(1))])`.
fn value(v: &Value) -> String {
    let list = |items: &[Value]| items.iter().map(value).collect::<Vec<_>>().join(", ");
    match v {
        Value::None => "None".into(),
        Value::Bool(b) => format!("Bool({b})"),
        Value::Int(n) => format!("Int({n})"),
        Value::BigInt(n) => format!("BigInt({n})"),
        Value::Float(x) => format!("Float({})", float(*x)),
        Value::Str(s) => format!("Str({})", quoted(s)),
        Value::Bytes(b) => format!(
            "Bytes([{}])",
            b.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")
        ),
        Value::List(items) => format!("List([{}])", list(items)),
        Value::Tuple(items) => format!("Tuple([{}])", list(items)),
        Value::Dict(pairs) => format!(
            "Dict([{}])",
            pairs
                .iter()
                .map(|(k, v)| format!("({}, {})", value(k), value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A float in its shortest round-trip form with a `.0` when whole (`1.0`, `0.25`, `1e-7`,
/// `inf`, `NaN`): Rust's `{:?}` for f64, which the Rust project keeps stable.
fn float(x: f64) -> String {
    format!("{x:?}")
}

/// A string in double quotes, `\` and `"` and control characters escaped (`\n`, `\r`, `\t`,
/// `\0`, else `\u{7f}`); every other character as it is.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_strings_have_one_spelling() {
        let v = Value::Dict(vec![
            (Value::str("a\"b\n"), Value::Float(1.0)),
            (Value::Int(-3), Value::Bytes(vec![0, 255])),
            (Value::None, Value::Tuple(vec![Value::Bool(true)])),
        ]);
        assert_eq!(
            value(&v),
            r#"Dict([(Str("a\"b\n"), Float(1.0)), (Int(-3), Bytes([0, 255])), (None, Tuple([Bool(true)]))])"#
        );
        assert_eq!(quoted("tab\there \u{7f}é"), "\"tab\\there \\u{7f}é\"");
        assert_eq!(float(0.1), "0.1");
        assert_eq!(float(1e21), "1e21");
    }
}
