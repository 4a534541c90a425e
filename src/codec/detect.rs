//! What a stored value is: a dogpile envelope (pickle, json or msgpack inside), a plain
//! serialization, text, compressed data or opaque bytes. Cheap checks first (magic bytes,
//! the envelope's `{"ct": ...}|` prefix), full decoding only where it decides.

use super::{Metadata, Value, json, msgpack, unpickle};

/// A detected value format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueFormat {
    /// `json(metadata) | serializer(payload)`: dogpile.cache >= 1.1.
    Dogpile(Serializer),
    /// `serializer([payload, metadata])`, or pickle's legacy `CachedValue`.
    DogpileTuple(Serializer),
    Plain(Serializer),
    /// Flask-Caching's RedisCache: `!` then the pickle (integers are stored as text).
    FlaskCaching(Serializer),
    Text,
    Binary,
    Compressed(Compression),
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Serializer {
    Pickle,
    Json,
    Msgpack,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Compression {
    Zlib,
    Gzip,
    Lz4,
    Zstd,
}

impl Serializer {
    fn name(self) -> &'static str {
        match self {
            Serializer::Pickle => "pickle",
            Serializer::Json => "json",
            Serializer::Msgpack => "msgpack",
        }
    }
}

impl ValueFormat {
    pub fn name(self) -> String {
        match self {
            ValueFormat::Dogpile(s) => format!("dogpile/{}", s.name()),
            ValueFormat::DogpileTuple(s) => format!("dogpile-tuple/{}", s.name()),
            ValueFormat::Plain(s) => s.name().to_string(),
            ValueFormat::FlaskCaching(s) => format!("flask-caching/{}", s.name()),
            ValueFormat::Text => "text".into(),
            ValueFormat::Binary => "binary".into(),
            ValueFormat::Compressed(Compression::Zlib) => "zlib".into(),
            ValueFormat::Compressed(Compression::Gzip) => "gzip".into(),
            ValueFormat::Compressed(Compression::Lz4) => "lz4".into(),
            ValueFormat::Compressed(Compression::Zstd) => "zstd".into(),
            ValueFormat::Empty => "empty".into(),
        }
    }
}

/// A stored value read back: its format and, when it could be decoded, the payload the
/// application cached. An undecodable payload is kept as it is stored (bytes, or str when
/// it is UTF-8 text); `python_object` names a pickled class no other serializer can carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    pub format: ValueFormat,
    pub payload: Value,
    /// The payload could not be decoded into plain values (a pickled custom class, say).
    pub opaque: bool,
    pub python_object: Option<String>,
    /// Seconds since the epoch the envelope says the value was created, if any.
    pub created: Option<f64>,
}

pub fn detect(bytes: &[u8]) -> Detected {
    let plain = |format, payload| Detected {
        format,
        payload,
        opaque: false,
        python_object: None,
        created: None,
    };
    if bytes.is_empty() {
        return plain(ValueFormat::Empty, Value::Str(String::new()));
    }
    if let Some(c) = compression(bytes) {
        return opaque(ValueFormat::Compressed(c), bytes);
    }
    if bytes[0] == b'!'
        && let Some(mut d) = serialized(&bytes[1..])
        && d.format == ValueFormat::Plain(Serializer::Pickle)
    {
        d.format = ValueFormat::FlaskCaching(Serializer::Pickle);
        return d;
    }
    if let Some((ct, inner)) = envelope(bytes) {
        let mut d = serialized(inner).unwrap_or_else(|| opaque(ValueFormat::Binary, inner));
        d.format = match d.format {
            ValueFormat::Plain(s) => ValueFormat::Dogpile(s),
            ValueFormat::DogpileTuple(s) => ValueFormat::DogpileTuple(s),
            other => other,
        };
        d.created = Some(ct);
        return d;
    }
    if let Some(d) = serialized(bytes) {
        return d;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(|c| c.is_control() && !c.is_whitespace()) => {
            plain(ValueFormat::Text, Value::Str(s.to_string()))
        }
        _ => opaque(ValueFormat::Binary, bytes),
    }
}

/// dogpile >= 1.1's `{"ct": ..., "v": ...}|` prefix: the creation time and the bytes after it.
pub(super) fn envelope(bytes: &[u8]) -> Option<(f64, &[u8])> {
    if !bytes.starts_with(b"{\"ct\"") {
        return None;
    }
    let bar = bytes.iter().position(|&b| b == b'|')?;
    let meta = json::loads(&bytes[..bar]).ok()?;
    let meta = Metadata::from_value(&meta)?;
    Some((meta.ct, &bytes[bar + 1..]))
}

fn opaque(format: ValueFormat, bytes: &[u8]) -> Detected {
    Detected {
        format,
        payload: Value::Bytes(bytes.to_vec()),
        opaque: true,
        python_object: None,
        created: None,
    }
}

/// The magic bytes of the usual compressors.
fn compression(b: &[u8]) -> Option<Compression> {
    if b.len() >= 2 && b[0] == 0x78 && matches!(b[1], 0x01 | 0x5e | 0x9c | 0xda) {
        return Some(Compression::Zlib);
    }
    if b.starts_with(&[0x1f, 0x8b]) {
        return Some(Compression::Gzip);
    }
    if b.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
        return Some(Compression::Lz4);
    }
    if b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Some(Compression::Zstd);
    }
    None
}

/// A pickle, json document or msgpack value, with a dogpile tuple recognised inside.
fn serialized(b: &[u8]) -> Option<Detected> {
    if b.len() >= 3 && b[0] == 0x80 && (2..=5).contains(&b[1]) && b.last() == Some(&b'.') {
        return Some(match unpickle::loads(b) {
            Ok(unpickle::Unpickled::Value(v)) => decoded(ValueFormat::Plain(Serializer::Pickle), v),
            Ok(unpickle::Unpickled::CachedValue { payload, metadata }) => {
                let mut d = decoded(ValueFormat::DogpileTuple(Serializer::Pickle), payload);
                d.created = Metadata::from_value(&metadata).map(|m| m.ct);
                d
            }
            Err(e) => {
                let mut d = opaque(ValueFormat::Plain(Serializer::Pickle), b);
                d.python_object = Some(pickled_class(b).unwrap_or_else(|| e.to_string()));
                d
            }
        });
    }
    // Nothing after Flask-Caching's `!` or dogpile's `|` (a value of one byte "!").
    let &first = b.first()?;
    // JSON documents and strings; a bare number or word is text (a counter, a flag).
    if matches!(first, b'{' | b'[' | b'"')
        && let Ok(v) = json::loads(b)
    {
        return Some(tuple_or(v, Serializer::Json));
    }
    if std::str::from_utf8(b).is_ok() && first.is_ascii() && first >= 0x20 {
        return None; // text
    }
    if let Ok(v) = msgpack::unpackb(b) {
        return Some(tuple_or(v, Serializer::Msgpack));
    }
    None
}

pub(super) fn decoded(format: ValueFormat, payload: Value) -> Detected {
    Detected {
        format,
        payload,
        opaque: false,
        python_object: None,
        created: None,
    }
}

/// `[payload, metadata]` is dogpile's tuple envelope; anything else is the payload.
fn tuple_or(v: Value, s: Serializer) -> Detected {
    if let Value::List(items) | Value::Tuple(items) = &v
        && items.len() == 2
        && let Some(meta) = Metadata::from_value(&items[1])
    {
        let mut d = decoded(ValueFormat::DogpileTuple(s), items[0].clone());
        d.created = Some(meta.ct);
        return d;
    }
    decoded(ValueFormat::Plain(s), v)
}

/// `module.Class` from a pickle's first GLOBAL or STACK_GLOBAL (protocol 4 puts the two
/// names in SHORT_BINUNICODE strings before it).
fn pickled_class(b: &[u8]) -> Option<String> {
    if b.get(2) == Some(&b'c') {
        // GLOBAL: `c module\n name\n` (protocol 2 and 3).
        let rest = &b[3..];
        let mut lines = rest.splitn(3, |&c| c == b'\n');
        let module = std::str::from_utf8(lines.next()?).ok()?;
        let name = std::str::from_utf8(lines.next()?).ok()?;
        if !module.is_empty()
            && module
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '_')
            && !name.is_empty()
            && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            return Some(format!("{module}.{name}"));
        }
    }
    let mut strings = Vec::new();
    let mut i = 2;
    while i + 1 < b.len() {
        match b[i] {
            0x8c => {
                let n = b[i + 1] as usize;
                let s = b.get(i + 2..i + 2 + n)?;
                strings.push(String::from_utf8_lossy(s).into_owned());
                i += 2 + n;
            }
            0x93 if strings.len() >= 2 => {
                let n = strings.len();
                return Some(format!("{}.{}", strings[n - 2], strings[n - 1]));
            }
            0x95 => i += 9, // FRAME and its 8-byte length
            0x94 => i += 1, // MEMOIZE
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Codec, Envelope, Format, Metadata};

    /// A msgpack integer 33 is the one byte "!", Flask-Caching's pickle marker with nothing
    /// after it (it panicked).
    #[test]
    fn one_byte_values_and_empty_payloads() {
        for b in [&b"!"[..], b"!\x80", b"{\"ct\": 1.5, \"v\": 2}|", b"\x21"] {
            let _ = detect(b);
        }
        assert_eq!(detect(b"!").format, ValueFormat::Text);
    }

    #[test]
    fn formats() {
        let meta = Metadata::new(1700000000.5, 2);
        let v = Value::Dict(vec![(Value::str("a"), Value::Int(1))]);
        for (codec, s) in [
            (Codec::Pickle, Serializer::Pickle),
            (Codec::Json, Serializer::Json),
            (Codec::Msgpack, Serializer::Msgpack),
        ] {
            let b = Format::new(codec, Envelope::Dogpile)
                .encode(&v, meta)
                .unwrap();
            let d = detect(&b);
            assert_eq!(d.format, ValueFormat::Dogpile(s));
            assert_eq!(d.payload, v);
            let b = Format::new(codec, Envelope::Tuple)
                .encode(&v, meta)
                .unwrap();
            assert_eq!(detect(&b).format, ValueFormat::DogpileTuple(s), "{codec}");
            let b = Format::new(codec, Envelope::Raw).encode(&v, meta).unwrap();
            assert_eq!(detect(&b).format, ValueFormat::Plain(s), "{codec}");
        }
        assert_eq!(detect(b"hello world").format, ValueFormat::Text);
        // Flask-Caching: "!" + pickle.dumps("hi", 5).
        let flask = hex::decode("2180059506000000000000008c026869942e").unwrap();
        let d = detect(&flask);
        assert_eq!(d.format.name(), "flask-caching/pickle");
        assert_eq!(d.payload, Value::Str("hi".into()));
        assert_eq!(detect(b"12345").format, ValueFormat::Text);
        assert_eq!(
            detect(&[0x78, 0x9c, 1, 2]).format,
            ValueFormat::Compressed(Compression::Zlib)
        );
        assert_eq!(detect(&[0xff, 0x00, 0xc1]).format, ValueFormat::Binary);
        // pickle.dumps(Point(1, 2)) with protocols 4 and 2, the class app.models.Point.
        for pickled in [
            "8004952c000000000000008c0a6170702e6d6f64656c73948c05506f696e749493942981947d94288c0178944b018c0179944b0275622e",
            "8002636170702e6d6f64656c730a506f696e740a7100298171017d71022858010000007871034b0158010000007971044b0275622e",
        ] {
            let d = detect(&hex::decode(pickled).unwrap());
            assert_eq!(d.format, ValueFormat::Plain(Serializer::Pickle));
            assert!(d.opaque);
            assert_eq!(d.python_object.as_deref(), Some("app.models.Point"));
        }
    }
}
