//! The payload value model: the Python values dogpile caches, as far as the three wire formats
//! can carry them.

use num_bigint::BigInt;
use num_traits::{FromPrimitive, ToPrimitive};

/// A cached payload. Mirrors the Python types a dogpile region stores: `dict` keeps insertion
/// order (a `Vec` of pairs, not a map), `tuple` and `list` stay distinct because pickle tells
/// them apart, and ints outside `i64` are kept exact as CPython keeps them.
///
/// Two equal values are always treated as distinct objects, as values built at run time are:
/// the pickle writer never emits a memo reference for them (see `pickle.rs` for the singletons
/// CPython shares on its own).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    /// An int inside the `i64` range.
    Int(i64),
    /// An int outside the `i64` range; [`Value::int`] keeps that invariant.
    BigInt(BigInt),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    Tuple(Vec<Value>),
    Dict(Vec<(Value, Value)>),
}

impl Value {
    /// An int of any size, stored as `Int` when it fits `i64`.
    pub fn int(n: BigInt) -> Value {
        match n.to_i64() {
            Some(small) => Value::Int(small),
            None => Value::BigInt(n),
        }
    }

    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// Python's type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
        }
    }

    /// Whether Python could use this value as a dict key.
    pub fn is_hashable(&self) -> bool {
        match self {
            Value::List(_) | Value::Dict(_) => false,
            Value::Tuple(items) => items.iter().all(Value::is_hashable),
            _ => true,
        }
    }

    /// A string that two dict keys share exactly when Python's `==` holds between them, so a
    /// large dict can find repeated keys by hashing. `None` for unhashable values.
    pub fn key_identity(&self) -> Option<String> {
        Some(match self {
            Value::None => "N".into(),
            Value::Str(s) => format!("s{s}"),
            Value::Bytes(b) => format!("b{b:?}"),
            Value::Tuple(items) => {
                let parts: Option<Vec<String>> = items.iter().map(Value::key_identity).collect();
                format!("t{:?}", parts?)
            }
            Value::List(_) | Value::Dict(_) => return None,
            number => match number.as_number()? {
                NumberKey::Int(n) => format!("i{n}"),
                NumberKey::Float(f) => format!("f{}", f.to_bits()),
            },
        })
    }

    /// Numbers as dict keys see them: `True == 1 == 1.0`.
    fn as_number(&self) -> Option<NumberKey> {
        match self {
            Value::Bool(b) => Some(NumberKey::Int(BigInt::from(*b as i64))),
            Value::Int(n) => Some(NumberKey::Int(BigInt::from(*n))),
            Value::BigInt(n) => Some(NumberKey::Int(n.clone())),
            Value::Float(f) if f.fract() == 0.0 && f.is_finite() => {
                BigInt::from_f64(*f).map(NumberKey::Int)
            }
            Value::Float(f) => Some(NumberKey::Float(*f)),
            _ => None,
        }
    }
}

#[derive(PartialEq)]
enum NumberKey {
    Int(BigInt),
    Float(f64),
}

/// dogpile's metadata, stored beside the payload: `{"ct": time.time(), "v": version}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metadata {
    /// Creation time, seconds since the epoch, as `time.time()` returns it.
    pub ct: f64,
    /// dogpile's value version: 2 for dogpile.cache >= 1.1, 1 before.
    pub v: i64,
}

impl Metadata {
    pub fn new(ct: f64, v: i64) -> Metadata {
        Metadata { ct, v }
    }

    /// The metadata dict as Python builds it, keys in dogpile's order.
    pub fn to_value(self) -> Value {
        Value::Dict(vec![
            (Value::str("ct"), Value::Float(self.ct)),
            (Value::str("v"), Value::Int(self.v)),
        ])
    }

    /// Reads `{"ct": number, "v": int}` back; `None` when the dict is not dogpile's.
    pub fn from_value(value: &Value) -> Option<Metadata> {
        let Value::Dict(pairs) = value else {
            return None;
        };
        let mut ct = None;
        let mut v = None;
        for (key, val) in pairs {
            match (key, val) {
                (Value::Str(k), Value::Float(f)) if k == "ct" => ct = Some(*f),
                (Value::Str(k), Value::Int(n)) if k == "ct" => ct = Some(*n as f64),
                (Value::Str(k), Value::Int(n)) if k == "v" => v = Some(*n),
                _ => return None,
            }
        }
        Some(Metadata { ct: ct?, v: v? })
    }
}
