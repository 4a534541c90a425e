//! dogpile's Redis value formats: a payload model, three serializers byte-identical to the
//! Python libraries, and the four envelopes a variant wraps its payload in.

pub mod detect;
pub mod family;
pub mod json;
pub mod msgpack;
pub mod pickle;
pub mod pyfloat;
pub mod pyliteral;
pub mod unpickle;
mod value;

pub use value::{Metadata, Value};

use std::fmt;

/// How deep containers may nest, in encoders, decoders and the literal parser alike (CPython
/// refuses about this depth too, with RecursionError).
pub const MAX_DEPTH: usize = 1000;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum EncodeError {
    #[error("{codec} cannot encode this value: {what}")]
    Unsupported { codec: &'static str, what: String },
    #[error("value nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum DecodeError {
    #[error("invalid {format} at byte {offset}: {what}")]
    Invalid {
        format: &'static str,
        offset: usize,
        what: String,
    },
    #[error("truncated {format} data")]
    Truncated { format: &'static str },
    #[error("value nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("not a {envelope} envelope: {what}")]
    Envelope {
        envelope: &'static str,
        what: String,
    },
    #[error("could not recognise the format: {0}")]
    Unrecognised(String),
}

/// The serializer a variant uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    Pickle,
    Json,
    Msgpack,
}

/// How a variant wraps the payload, and whether dogpile's metadata is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Envelope {
    /// dogpile.cache >= 1.1: `json.dumps(metadata) + b"|" + serializer(payload)`.
    Dogpile,
    /// `serializer([payload, metadata])`; for pickle, the legacy `CachedValue` object.
    Tuple,
    /// `serializer([payload, int(ct)])`.
    IntTime,
    /// `serializer(payload)`: no metadata stored.
    Raw,
}

impl Codec {
    pub const ALL: [Codec; 3] = [Codec::Pickle, Codec::Json, Codec::Msgpack];
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pickle => "pickle",
            Codec::Json => "json",
            Codec::Msgpack => "msgpack",
        }
    }
}

impl Envelope {
    pub const ALL: [Envelope; 4] = [
        Envelope::Dogpile,
        Envelope::Tuple,
        Envelope::IntTime,
        Envelope::Raw,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Envelope::Dogpile => "dogpile",
            Envelope::Tuple => "tuple",
            Envelope::IntTime => "int_time",
            Envelope::Raw => "raw",
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a value read back equals the one written, as far as the format can tell: NaN
/// equals NaN, and a tuple equals the list json and msgpack give back for it.
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::List(x) | Value::Tuple(x), Value::List(y) | Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        (Value::Dict(x), Value::Dict(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| same_value(k1, k2) && same_value(v1, v2))
        }
        _ => a == b,
    }
}

/// The metadata as stored: dogpile's dict, the bare int time, or nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StoredMeta {
    Metadata(Metadata),
    IntTime(i64),
    Absent,
}

/// A decoded stored value.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub codec: Codec,
    pub envelope: Envelope,
    pub payload: Value,
    pub meta: StoredMeta,
}

/// A complete wire format: serializer, envelope, and the pickle protocol where it applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Format {
    pub codec: Codec,
    pub envelope: Envelope,
    pub pickle_protocol: u8,
}

impl Format {
    /// The format with the pickle protocol Python would use: `pickle.dumps`' default (4) for
    /// dogpile >= 1.1, HIGHEST_PROTOCOL (5) for the legacy `CachedValue`.
    pub fn new(codec: Codec, envelope: Envelope) -> Format {
        let pickle_protocol = if envelope == Envelope::Tuple {
            pickle::HIGHEST_PROTOCOL
        } else {
            pickle::DEFAULT_PROTOCOL
        };
        Format {
            codec,
            envelope,
            pickle_protocol,
        }
    }

    pub fn with_pickle_protocol(mut self, protocol: u8) -> Format {
        self.pickle_protocol = protocol;
        self
    }

    /// Appends the bytes the Python stack stores for `payload` with `meta`. For many
    /// payloads with one `meta`, [`Format::encoder`] does the metadata once.
    pub fn encode_into(
        &self,
        payload: &Value,
        meta: Metadata,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        self.encoder(meta)?.encode_into(payload, out)
    }

    pub fn encode(&self, payload: &Value, meta: Metadata) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.encode_into(payload, meta, &mut out)?;
        Ok(out)
    }

    /// An encoder for payloads that share `meta` (a bench's fixed clock, one batch): the
    /// serialized metadata around the payload is computed once.
    pub fn encoder(&self, meta: Metadata) -> Result<Encoder, EncodeError> {
        let mut prefix = Vec::new();
        let mut suffix = Vec::new();
        // What the tuple and int_time envelopes put after the payload.
        let second = if self.envelope == Envelope::Tuple {
            meta.to_value()
        } else {
            Value::Int(meta.ct.trunc() as i64)
        };
        match (self.envelope, self.codec) {
            (Envelope::Dogpile, _) => {
                json::dumps_into(&meta.to_value(), &mut prefix)?;
                prefix.push(b'|');
            }
            (Envelope::Tuple | Envelope::IntTime, Codec::Json) => {
                prefix.push(b'[');
                suffix.extend_from_slice(b", ");
                json::dumps_into(&second, &mut suffix)?;
                suffix.push(b']');
            }
            (Envelope::Tuple | Envelope::IntTime, Codec::Msgpack) => {
                prefix.push(0x92); // fixarray of 2
                msgpack::packb_into(&second, &mut suffix)?;
            }
            _ => {}
        }
        Ok(Encoder {
            format: *self,
            meta,
            prefix,
            suffix,
        })
    }

    /// Reads stored bytes written in this format.
    pub fn decode(&self, bytes: &[u8]) -> Result<Decoded, DecodeError> {
        let (payload, meta) = match self.envelope {
            Envelope::Dogpile => {
                let bar =
                    bytes
                        .iter()
                        .position(|&b| b == b'|')
                        .ok_or_else(|| DecodeError::Envelope {
                            envelope: "dogpile",
                            what: "no '|' after the metadata".into(),
                        })?;
                let meta = Metadata::from_value(&json::loads(&bytes[..bar])?).ok_or_else(|| {
                    DecodeError::Envelope {
                        envelope: "dogpile",
                        what: "the metadata is not {\"ct\": float, \"v\": int}".into(),
                    }
                })?;
                (
                    self.deserialize(&bytes[bar + 1..])?,
                    StoredMeta::Metadata(meta),
                )
            }
            Envelope::Tuple if self.codec == Codec::Pickle => match unpickle::loads(bytes)? {
                unpickle::Unpickled::CachedValue { payload, metadata } => {
                    let meta =
                        Metadata::from_value(&metadata).ok_or_else(|| DecodeError::Envelope {
                            envelope: "tuple",
                            what: "CachedValue metadata is not {'ct': float, 'v': int}".into(),
                        })?;
                    (payload, StoredMeta::Metadata(meta))
                }
                unpickle::Unpickled::Value(_) => {
                    return Err(DecodeError::Envelope {
                        envelope: "tuple",
                        what: "the pickle holds no dogpile.cache.api.CachedValue".into(),
                    });
                }
            },
            Envelope::Tuple | Envelope::IntTime => {
                let (payload, second) = split_pair(self.deserialize(bytes)?, self.envelope)?;
                let meta = match (self.envelope, &second) {
                    (Envelope::IntTime, Value::Int(t)) => StoredMeta::IntTime(*t),
                    (Envelope::Tuple, meta) => {
                        StoredMeta::Metadata(Metadata::from_value(meta).ok_or_else(|| {
                            DecodeError::Envelope {
                                envelope: "tuple",
                                what: "the second item is not dogpile's metadata".into(),
                            }
                        })?)
                    }
                    _ => {
                        return Err(DecodeError::Envelope {
                            envelope: "int_time",
                            what: "the second item is not an int".into(),
                        });
                    }
                };
                (payload, meta)
            }
            Envelope::Raw => (self.deserialize(bytes)?, StoredMeta::Absent),
        };
        Ok(Decoded {
            codec: self.codec,
            envelope: self.envelope,
            payload,
            meta,
        })
    }

    fn deserialize(&self, bytes: &[u8]) -> Result<Value, DecodeError> {
        match self.codec {
            Codec::Pickle => match unpickle::loads(bytes)? {
                unpickle::Unpickled::Value(v) => Ok(v),
                unpickle::Unpickled::CachedValue { .. } => Err(DecodeError::Envelope {
                    envelope: self.envelope.name(),
                    what: "found a legacy CachedValue: use the tuple envelope".into(),
                }),
            },
            Codec::Json => json::loads(bytes),
            Codec::Msgpack => msgpack::unpackb(bytes),
        }
    }
}

/// Encodes payloads that share one metadata; made by [`Format::encoder`].
#[derive(Debug, Clone)]
pub struct Encoder {
    format: Format,
    meta: Metadata,
    /// Serialized bytes before and after the payload's own.
    prefix: Vec<u8>,
    suffix: Vec<u8>,
}

impl Encoder {
    pub fn format(&self) -> Format {
        self.format
    }

    /// Appends the stored bytes of `payload`; on error `out` may hold a partial value.
    pub fn encode_into(&self, payload: &Value, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let proto = self.format.pickle_protocol;
        match (self.format.codec, self.format.envelope) {
            (Codec::Pickle, Envelope::Tuple) => {
                pickle::dumps_cached_value_into(payload, self.meta, proto, out);
            }
            (Codec::Pickle, Envelope::IntTime) => {
                let int_time = Value::Int(self.meta.ct.trunc() as i64);
                pickle::dumps_pair_into(payload, &int_time, proto, out);
            }
            (codec, _) => {
                out.extend_from_slice(&self.prefix);
                match codec {
                    Codec::Pickle => pickle::dumps_into(payload, proto, out),
                    Codec::Json => json::dumps_into(payload, out)?,
                    Codec::Msgpack => msgpack::packb_into(payload, out)?,
                }
                out.extend_from_slice(&self.suffix);
            }
        }
        Ok(())
    }
}

fn split_pair(value: Value, envelope: Envelope) -> Result<(Value, Value), DecodeError> {
    match value {
        Value::List(items) | Value::Tuple(items) if items.len() == 2 => {
            let mut it = items.into_iter();
            Ok((it.next().expect("two"), it.next().expect("two")))
        }
        other => Err(DecodeError::Envelope {
            envelope: envelope.name(),
            what: format!("expected a two-item list, found {}", other.type_name()),
        }),
    }
}

/// Recognises the format of stored bytes when the user did not say, trying the most specific
/// readings first. `codec` and `envelope` narrow the search when given.
pub fn detect(
    bytes: &[u8],
    codec: Option<Codec>,
    envelope: Option<Envelope>,
) -> Result<Decoded, DecodeError> {
    let codecs: Vec<Codec> = codec.map_or(Codec::ALL.to_vec(), |c| vec![c]);
    let envelopes: Vec<Envelope> = envelope.map_or(Envelope::ALL.to_vec(), |e| vec![e]);
    let mut first_error = None;
    for &env in &envelopes {
        for &c in &codecs {
            match Format::new(c, env).decode(bytes) {
                Ok(decoded) => return Ok(decoded),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
    }
    match (codecs.len(), envelopes.len(), first_error) {
        (1, 1, Some(e)) => Err(e),
        _ => Err(DecodeError::Unrecognised(
            "not pickle, json or msgpack in any envelope (give --codec and --envelope to see \
             why a given format fails)"
                .into(),
        )),
    }
}
