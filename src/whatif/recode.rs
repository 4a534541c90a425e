//! whatif's variants for data dogpile did not write (django-redis, Flask-Caching, celery
//! results, plain values): the payload each library stored, compressed as the libraries
//! compress it and re-serialized as their json and msgpack serializers write it. Each
//! record's new bytes are computed here; today.rs writes them to a private server.

use crate::codec::detect::{Serializer, ValueFormat, detect};
use crate::codec::{Value, json, msgpack};
use crate::compress::{self, Compressor};
use crate::dataset::sample::Sample;

/// The library a family's values were written by, as far as the bytes and keys tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Library {
    /// dogpile.cache envelopes: the dogpile grid covers them, nothing here.
    Dogpile,
    /// A pickle, json or msgpack value, bare or compressed, under `prefix:version:key`.
    DjangoRedis,
    /// `!` + pickle (cachelib's RedisSerializer).
    FlaskCaching,
    /// celery's result backend: `celery-task-meta-<id>`, a json document.
    Celery,
    /// Anything else: written by the application itself.
    Application,
}

impl Library {
    pub fn name(self) -> &'static str {
        match self {
            Library::Dogpile => "dogpile.cache",
            Library::DjangoRedis => "django-redis",
            Library::FlaskCaching => "Flask-Caching",
            Library::Celery => "celery",
            Library::Application => "the application",
        }
    }
}

/// A serializer a variant writes the payload with; `None` in [`Recode`] keeps the stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Json,
    Msgpack,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Json => "json",
            Target::Msgpack => "msgpack",
        }
    }
}

/// One variant: a serializer swap, a compressor, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct Recode {
    pub name: String,
    pub serializer: Option<Target>,
    pub compressor: Option<Compressor>,
}

/// A sampled record as its library reads it back.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The serializer's bytes, uncompressed (Flask-Caching's keep their `!`).
    pub inner: Vec<u8>,
    /// The stored serializer, when the bytes are a pickle, json or msgpack value.
    pub serializer: Option<Serializer>,
    /// The decoded payload, when redisadv's payload model carries it.
    pub payload: Option<Value>,
    /// Why the payload cannot be decoded: the pickled type (`datetime.datetime`).
    pub opaque_type: Option<String>,
    /// An integer stored as its digits (django-redis and Flask-Caching never serialize
    /// nor compress those).
    pub integer: bool,
    pub dogpile: bool,
}

/// Reads record `stored` the way django-redis, Flask-Caching or celery reads it back.
pub fn parse(stored: &[u8]) -> Parsed {
    let mut inner = stored.to_vec();
    let body = stored
        .strip_prefix(compress::CELERY_MAGIC)
        .and_then(|rest| {
            rest.iter()
                .position(|&b| b == 0)
                .map(|nul| &rest[nul + 1..])
        });
    if let Some(c) = compress::sniff(body.unwrap_or(stored))
        && let Ok(plain) = c.decompress(body.unwrap_or(stored))
    {
        inner = plain;
    }
    let d = detect(&inner);
    let integer = !inner.is_empty()
        && inner.len() <= 20
        && std::str::from_utf8(&inner).is_ok_and(|s| {
            s.trim_start_matches('-')
                .bytes()
                .all(|b| b.is_ascii_digit())
                && s != "-"
        });
    let (serializer, dogpile) = match d.format {
        ValueFormat::Plain(s) | ValueFormat::FlaskCaching(s) => (Some(s), false),
        ValueFormat::Dogpile(s) | ValueFormat::DogpileTuple(s) => (Some(s), true),
        _ => (None, false),
    };
    let opaque_type = d.python_object.as_deref().map(type_name);
    let payload = (serializer.is_some() && !d.opaque).then_some(d.payload);
    Parsed {
        inner,
        serializer,
        payload,
        opaque_type,
        integer,
        dogpile,
    }
}

/// `module.qualname` of an undecodable pickle from what the reader said about it: the class
/// of its first GLOBAL/STACK_GLOBAL, or the global it refused (`global datetime.datetime
/// is not allowed`).
pub fn type_name(python_object: &str) -> String {
    if let Some(start) = python_object.find("global ")
        && let Some(len) = python_object[start + 7..].find(" is not allowed")
    {
        return python_object[start + 7..start + 7 + len].to_string();
    }
    python_object.to_string()
}

/// The library that wrote a family: the records' formats, then the keys' shapes.
pub fn library(sample: &Sample, parsed: &[Parsed]) -> Library {
    let n = parsed.len().max(1);
    let count = |f: &dyn Fn(usize) -> bool| (0..parsed.len()).filter(|&i| f(i)).count();
    if count(&|i| parsed[i].dogpile) * 2 > n {
        return Library::Dogpile;
    }
    if count(&|i| sample.records[i].stored.starts_with(b"!")) * 2 > n {
        return Library::FlaskCaching;
    }
    if count(&|i| sample.records[i].key.starts_with("celery-task-meta-")) * 2 > n {
        return Library::Celery;
    }
    // Django's key function: KEY_PREFIX:VERSION:key.
    let django = |k: &str| {
        let mut parts = k.splitn(3, ':');
        let (_, v, rest) = (parts.next(), parts.next(), parts.next());
        v.is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())) && rest.is_some()
    };
    if count(&|i| django(&sample.records[i].key)) * 2 > n {
        return Library::DjangoRedis;
    }
    Library::Application
}

/// The variants worth measuring for a family stored as `stored` by `library`.
pub fn grid(library: Library, stored: Option<Serializer>) -> Vec<Recode> {
    let mut out = Vec::new();
    if library == Library::Dogpile {
        return out;
    }
    let mut targets: Vec<Option<Target>> = vec![None];
    for t in [Target::Json, Target::Msgpack] {
        let same = matches!(
            (t, stored),
            (Target::Json, Some(Serializer::Json)) | (Target::Msgpack, Some(Serializer::Msgpack))
        );
        if stored.is_some() && !same {
            targets.push(Some(t));
        }
    }
    // celery compresses with zlib only (kombu's registry); the others take every one.
    let compressors: &[Compressor] = if library == Library::Celery {
        &[Compressor::Zlib]
    } else {
        &Compressor::ALL
    };
    // Named for what changes: `zlib` compresses the stored value, `json+zlib` swaps the
    // serializer and compresses.
    for t in &targets {
        if let Some(t) = t {
            out.push(Recode {
                name: t.name().to_string(),
                serializer: Some(*t),
                compressor: None,
            });
        }
        for &c in compressors {
            // lzma is slow to write and read: offered on the stored serializer only.
            if c == Compressor::Lzma && t.is_some() {
                continue;
            }
            out.push(Recode {
                name: match t {
                    Some(t) => format!("{}+{}", t.name(), c.name()),
                    None => c.name().to_string(),
                },
                serializer: *t,
                compressor: Some(c),
            });
        }
    }
    out
}

/// Why `value` cannot go through `target` and come back the same, or None when it can
/// (what django-redis's JSONSerializer and MSGPackSerializer would give back).
pub fn lossy(value: &Value, target: Target) -> Option<String> {
    match value {
        Value::Bytes(_) if target == Target::Json => Some("bytes".into()),
        Value::Tuple(_) => Some("tuple (read back as a list)".into()),
        Value::List(items) => items.iter().find_map(|v| lossy(v, target)),
        Value::Dict(pairs) => pairs.iter().find_map(|(k, v)| {
            match k {
                Value::Str(_) => None,
                Value::Bytes(_) if target == Target::Msgpack => None,
                other => Some(format!(
                    "a dict key of type {} ({})",
                    other.type_name(),
                    if target == Target::Json {
                        "json turns it into a str"
                    } else {
                        "msgpack's loads refuses it"
                    }
                )),
            }
            .or_else(|| lossy(v, target))
        }),
        _ => None,
    }
}

/// Record `p`'s bytes under variant `r` for a family written by `library`, or why it cannot
/// be written that way (then it is counted at its stored size).
pub fn encode(p: &Parsed, stored: &[u8], r: &Recode, library: Library) -> Result<Vec<u8>, String> {
    if p.integer || p.dogpile {
        // Integers stay digits under every serializer and compressor; dogpile's envelopes
        // are the dogpile grid's.
        return Ok(stored.to_vec());
    }
    let serialized = match r.serializer {
        None => p.inner.clone(),
        Some(t) => {
            let Some(payload) = &p.payload else {
                return Err(p
                    .opaque_type
                    .clone()
                    .unwrap_or_else(|| "an opaque value (no serializer could read it)".into()));
            };
            if let Some(why) = lossy(payload, t) {
                return Err(why);
            }
            let mut out = Vec::new();
            match t {
                Target::Json => json::dumps_into(payload, &mut out),
                Target::Msgpack => msgpack::packb_into(payload, &mut out),
            }
            .map_err(|e| e.to_string())?;
            out
        }
    };
    Ok(match (r.compressor, library) {
        (None, _) => serialized,
        (Some(_), Library::Celery) => compress::celery_zlib(&serialized),
        (Some(c), _) => c.django(&serialized),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_refused_global() {
        assert_eq!(
            type_name("invalid pickle at byte 40: global datetime.datetime is not allowed"),
            "datetime.datetime"
        );
        assert_eq!(type_name("app.models.Point"), "app.models.Point");
    }

    #[test]
    fn grids_follow_the_library() {
        let names = |g: Vec<Recode>| g.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names(grid(Library::DjangoRedis, Some(Serializer::Pickle))),
            [
                "zlib",
                "lz4",
                "zstd",
                "lzma",
                "json",
                "json+zlib",
                "json+lz4",
                "json+zstd",
                "msgpack",
                "msgpack+zlib",
                "msgpack+lz4",
                "msgpack+zstd"
            ]
        );
        assert_eq!(
            names(grid(Library::Celery, Some(Serializer::Json))),
            ["zlib", "msgpack", "msgpack+zlib"]
        );
        assert!(grid(Library::Dogpile, Some(Serializer::Pickle)).is_empty());
    }

    #[test]
    fn integers_stay_digits() {
        let p = parse(b"12345");
        assert!(p.integer);
        let r = &grid(Library::DjangoRedis, Some(Serializer::Pickle))[0];
        assert_eq!(
            encode(&p, b"12345", r, Library::DjangoRedis).unwrap(),
            b"12345"
        );
    }
}
