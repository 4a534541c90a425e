//! `msgpack.packb(value)` as msgpack-python 1.x writes it with its defaults
//! (`use_bin_type=True`, float64), through `rmp`'s smallest-format writers, and a reader.

use super::value::Value;
use super::{DecodeError, EncodeError, MAX_DEPTH};
use num_bigint::BigInt;
use num_traits::ToPrimitive;
use rmp::Marker;
use rmp::encode;

const WRITE_TO_VEC: &str = "writing to a Vec<u8> cannot fail";

/// Appends `msgpack.packb(value)`; fails where msgpack-python raises.
pub fn packb_into(value: &Value, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    write_value(value, out, 0)
}

fn too_long(what: &str) -> EncodeError {
    EncodeError::Unsupported {
        codec: "msgpack",
        what: format!("{what} is too large for msgpack (over 2**32 - 1)"),
    }
}

fn len32(len: usize, what: &str) -> Result<u32, EncodeError> {
    u32::try_from(len).map_err(|_| too_long(what))
}

fn write_value(value: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), EncodeError> {
    if depth > MAX_DEPTH {
        return Err(EncodeError::TooDeep);
    }
    match value {
        Value::None => encode::write_nil(out).expect(WRITE_TO_VEC),
        Value::Bool(b) => encode::write_bool(out, *b).expect(WRITE_TO_VEC),
        // msgpack-python packs non-negative ints in the unsigned formats, negative ones in
        // the signed formats, each in the fewest bytes: exactly rmp's write_sint.
        Value::Int(n) => {
            encode::write_sint(out, *n).expect(WRITE_TO_VEC);
        }
        Value::BigInt(n) => match n.to_u64() {
            Some(big) => {
                encode::write_uint(out, big).expect(WRITE_TO_VEC);
            }
            None => {
                return Err(EncodeError::Unsupported {
                    codec: "msgpack",
                    what: format!("Integer value out of range: {n} does not fit 64 bits"),
                });
            }
        },
        Value::Float(f) => encode::write_f64(out, *f).expect(WRITE_TO_VEC),
        Value::Str(s) => {
            encode::write_str_len(out, len32(s.len(), "str")?).expect(WRITE_TO_VEC);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bytes(b) => {
            encode::write_bin_len(out, len32(b.len(), "bytes")?).expect(WRITE_TO_VEC);
            out.extend_from_slice(b);
        }
        Value::List(items) | Value::Tuple(items) => {
            encode::write_array_len(out, len32(items.len(), "list")?).expect(WRITE_TO_VEC);
            for item in items {
                write_value(item, out, depth + 1)?;
            }
        }
        Value::Dict(pairs) => {
            encode::write_map_len(out, len32(pairs.len(), "dict")?).expect(WRITE_TO_VEC);
            for (key, val) in pairs {
                write_value(key, out, depth + 1)?;
                write_value(val, out, depth + 1)?;
            }
        }
    }
    Ok(())
}

/// Reads one msgpack object as `msgpack.unpackb(raw=False)` would: arrays come back as lists,
/// str must be UTF-8, bin is bytes. A length field never allocates more than the input holds.
pub fn unpackb(input: &[u8]) -> Result<Value, DecodeError> {
    let mut r = Reader { input, pos: 0 };
    let value = r.value(0)?;
    if r.pos != input.len() {
        return Err(r.error("extra data after the msgpack object"));
    }
    Ok(value)
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, what: &str) -> DecodeError {
        DecodeError::Invalid {
            format: "msgpack",
            offset: self.pos,
            what: what.to_string(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.input.len())
            .ok_or(DecodeError::Truncated { format: "msgpack" })?;
        let bytes = &self.input[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }

    fn len8(&mut self) -> Result<usize, DecodeError> {
        Ok(self.be::<1>()?[0] as usize)
    }
    fn len16(&mut self) -> Result<usize, DecodeError> {
        Ok(u16::from_be_bytes(self.be()?) as usize)
    }
    fn len32(&mut self) -> Result<usize, DecodeError> {
        Ok(u32::from_be_bytes(self.be()?) as usize)
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        let marker = Marker::from_u8(self.be::<1>()?[0]);
        Ok(match marker {
            Marker::Null => Value::None,
            Marker::True => Value::Bool(true),
            Marker::False => Value::Bool(false),
            Marker::FixPos(n) => Value::Int(n as i64),
            Marker::FixNeg(n) => Value::Int(n as i64),
            Marker::U8 => Value::Int(self.be::<1>()?[0] as i64),
            Marker::U16 => Value::Int(u16::from_be_bytes(self.be()?) as i64),
            Marker::U32 => Value::Int(u32::from_be_bytes(self.be()?) as i64),
            Marker::U64 => Value::int(BigInt::from(u64::from_be_bytes(self.be()?))),
            Marker::I8 => Value::Int(i8::from_be_bytes(self.be()?) as i64),
            Marker::I16 => Value::Int(i16::from_be_bytes(self.be()?) as i64),
            Marker::I32 => Value::Int(i32::from_be_bytes(self.be()?) as i64),
            Marker::I64 => Value::Int(i64::from_be_bytes(self.be()?)),
            Marker::F32 => Value::Float(f32::from_be_bytes(self.be()?) as f64),
            Marker::F64 => Value::Float(f64::from_be_bytes(self.be()?)),
            Marker::FixStr(n) => self.str(n as usize)?,
            Marker::Str8 => {
                let n = self.len8()?;
                self.str(n)?
            }
            Marker::Str16 => {
                let n = self.len16()?;
                self.str(n)?
            }
            Marker::Str32 => {
                let n = self.len32()?;
                self.str(n)?
            }
            Marker::Bin8 => {
                let n = self.len8()?;
                Value::Bytes(self.take(n)?.to_vec())
            }
            Marker::Bin16 => {
                let n = self.len16()?;
                Value::Bytes(self.take(n)?.to_vec())
            }
            Marker::Bin32 => {
                let n = self.len32()?;
                Value::Bytes(self.take(n)?.to_vec())
            }
            Marker::FixArray(n) => self.array(n as usize, depth)?,
            Marker::Array16 => {
                let n = self.len16()?;
                self.array(n, depth)?
            }
            Marker::Array32 => {
                let n = self.len32()?;
                self.array(n, depth)?
            }
            Marker::FixMap(n) => self.map(n as usize, depth)?,
            Marker::Map16 => {
                let n = self.len16()?;
                self.map(n, depth)?
            }
            Marker::Map32 => {
                let n = self.len32()?;
                self.map(n, depth)?
            }
            _ => return Err(self.error("unsupported msgpack type (ext or reserved)")),
        })
    }

    fn str(&mut self, n: usize) -> Result<Value, DecodeError> {
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes)
            .map(|s| Value::Str(s.to_string()))
            .map_err(|_| self.error("str is not valid UTF-8"))
    }

    /// Every element takes at least one byte, so capacity is capped by what is left.
    fn capacity(&self, n: usize) -> usize {
        n.min(self.input.len() - self.pos)
    }

    fn array(&mut self, n: usize, depth: usize) -> Result<Value, DecodeError> {
        let mut items = Vec::with_capacity(self.capacity(n));
        for _ in 0..n {
            items.push(self.value(depth + 1)?);
        }
        Ok(Value::List(items))
    }

    fn map(&mut self, n: usize, depth: usize) -> Result<Value, DecodeError> {
        let mut pairs = Vec::with_capacity(self.capacity(n) / 2);
        for _ in 0..n {
            let key = self.value(depth + 1)?;
            if !key.is_hashable() {
                return Err(self.error("unhashable map key"));
            }
            let val = self.value(depth + 1)?;
            pairs.push((key, val));
        }
        Ok(Value::Dict(pairs))
    }
}
