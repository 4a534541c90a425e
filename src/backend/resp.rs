//! A minimal RESP2 reply reader for the loader's reply thread.
//!
//! Written by hand for speed: `redis::Parser` costs about 2 µs per reply here, which capped
//! priming at about 250,000 SETEX/s; the loader only needs to count replies, spot errors and
//! read the integers EXISTS returns.

use std::io::{self, BufRead, Read};

/// One RESP2 reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Okay,
    Status(String),
    Error(String),
    Int(i64),
    Nil,
    Bulk(Vec<u8>),
    Array(Vec<Value>),
}

/// Nesting limit for arrays in replies (the loader's commands never nest).
const MAX_DEPTH: usize = 16;

/// The longest bulk reply accepted: Redis's own default limit on a string it takes
/// (proto-max-bulk-len, 512 MB). A longer length field is a broken or hostile server, and
/// allocating from it could abort the process.
pub const MAX_BULK: i64 = 512 << 20;

/// The most items an array reply may announce; redisadv's commands ask for at most
/// thousands (a SCAN page, an MGET batch).
pub const MAX_ITEMS: i64 = 1 << 24;

/// The error for a length field past [`MAX_BULK`] or [`MAX_ITEMS`].
pub fn too_long(what: &str, len: i64, limit: i64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "bad reply from Redis: a {what} of {len} announced, over redisadv's limit of \
             {limit}; the server (or whatever answers at that address) is not sending replies \
             redisadv can read"
        ),
    )
}

/// Reads one reply.
pub fn read_reply<R: BufRead>(reader: &mut R, line: &mut Vec<u8>) -> io::Result<Value> {
    read_at(reader, line, 0)
}

fn bad(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("bad reply from Redis: {what}"),
    )
}

fn read_line<R: BufRead>(reader: &mut R, line: &mut Vec<u8>) -> io::Result<()> {
    line.clear();
    let n = reader.read_until(b'\n', line)?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "Redis closed the connection",
        ));
    }
    if !line.ends_with(b"\r\n") {
        return Err(bad("line without CRLF"));
    }
    line.truncate(line.len() - 2);
    Ok(())
}

fn number(bytes: &[u8]) -> io::Result<i64> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("not a number"))
}

fn read_at<R: BufRead>(reader: &mut R, line: &mut Vec<u8>, depth: usize) -> io::Result<Value> {
    read_line(reader, line)?;
    let (&kind, rest) = line.split_first().ok_or_else(|| bad("empty line"))?;
    match kind {
        b'+' if rest == b"OK" => Ok(Value::Okay),
        b'+' => Ok(Value::Status(String::from_utf8_lossy(rest).into_owned())),
        b'-' => Ok(Value::Error(String::from_utf8_lossy(rest).into_owned())),
        b':' => Ok(Value::Int(number(rest)?)),
        b'$' => {
            let len = number(rest)?;
            if len < 0 {
                return Ok(Value::Nil);
            }
            if len > MAX_BULK {
                return Err(too_long("bulk string", len, MAX_BULK));
            }
            // Grows with what arrives, never from the length field alone.
            let want = len as u64 + 2;
            let mut data = Vec::with_capacity(want.min(64 * 1024) as usize);
            reader.take(want).read_to_end(&mut data)?;
            if data.len() as u64 != want {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "Redis closed the connection in the middle of a reply",
                ));
            }
            data.truncate(len as usize);
            Ok(Value::Bulk(data))
        }
        b'*' => {
            let len = number(rest)?;
            if len < 0 {
                return Ok(Value::Nil);
            }
            if len > MAX_ITEMS {
                return Err(too_long("array", len, MAX_ITEMS));
            }
            if depth >= MAX_DEPTH {
                return Err(bad("arrays nested too deep"));
            }
            let mut items = Vec::new();
            for _ in 0..len {
                items.push(read_at(reader, line, depth + 1)?);
            }
            Ok(Value::Array(items))
        }
        _ => Err(bad("unknown reply type")),
    }
}
