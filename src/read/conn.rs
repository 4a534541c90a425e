//! The read workload's connections: plain sockets (TCP or unix) made non-blocking after the
//! handshake, so one thread keeps many busy with `poll`, as redis-benchmark does; and an
//! incremental RESP2 parser that borrows bulk replies from the read buffer (no copy before
//! the codec decodes them).

use crate::backend::resp::{MAX_BULK, MAX_ITEMS, too_long};
use crate::backend::{ConnectOptions, Socket};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};

/// One connection: what waits to be written and what was read but not parsed yet.
pub struct Conn {
    sock: Socket,
    pub out: Vec<u8>,
    out_at: usize,
    /// Read buffer, zeroed once: `parsed..filled` is read but not parsed yet.
    input: Vec<u8>,
    pub parsed: usize,
    filled: usize,
}

impl Conn {
    /// Connects, authenticates and selects the database as `options` say (blocking, within
    /// its timeouts), then turns non-blocking.
    pub fn open(options: &ConnectOptions) -> anyhow::Result<Conn> {
        let sock = options.open_socket()?;
        let mut conn = Conn {
            sock,
            out: Vec::with_capacity(64 * 1024),
            out_at: 0,
            input: vec![0; 64 * 1024],
            parsed: 0,
            filled: 0,
        };
        let hello = options.handshake()?;
        for cmd in &hello {
            cmd.write_packed_command(&mut conn.out);
        }
        conn.write_all_blocking()?;
        for _ in &hello {
            match conn.read_reply_blocking()? {
                Reply::Error(e) => anyhow::bail!("Redis refused the read connection: {e}"),
                _ => conn.consume(),
            }
        }
        conn.sock.set_nonblocking(true)?;
        Ok(conn)
    }

    fn write_all_blocking(&mut self) -> io::Result<()> {
        let out = std::mem::take(&mut self.out);
        let result = self.sock.write_all(&out);
        self.out = out;
        self.out.clear();
        result
    }

    /// Reads (blocking, within the socket timeout) until one whole reply is buffered.
    fn read_reply_blocking(&mut self) -> io::Result<Reply<'_>> {
        loop {
            if parse(self.unparsed())?.is_some() {
                break;
            }
            if self.fill()? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(parse(self.unparsed())?.expect("checked").0)
    }

    /// Drops the reply just read (after a blocking read).
    fn consume(&mut self) {
        if let Ok(Some((_, n))) = parse(self.unparsed()) {
            self.parsed += n;
        }
    }

    /// What was read and not parsed yet.
    pub fn unparsed(&self) -> &[u8] {
        &self.input[self.parsed..self.filled]
    }

    /// Reads what the socket has (after the unparsed tail, moved to the front first when
    /// room runs short); 0 at end of stream.
    pub fn fill(&mut self) -> io::Result<usize> {
        if self.parsed == self.filled {
            self.parsed = 0;
            self.filled = 0;
        }
        if self.input.len() - self.filled < 16 * 1024 {
            self.input.copy_within(self.parsed..self.filled, 0);
            self.filled -= self.parsed;
            self.parsed = 0;
            if self.input.len() - self.filled < 16 * 1024 {
                let grown = self.input.len() * 2;
                self.input.resize(grown, 0);
            }
        }
        let n = self.sock.read(&mut self.input[self.filled..])?;
        self.filled += n;
        Ok(n)
    }

    /// Writes as much of `out` as the socket takes now; true when all of it went.
    pub fn write_some(&mut self) -> io::Result<bool> {
        while self.out_at < self.out.len() {
            let r = self.sock.write(&self.out[self.out_at..]);
            match r {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.out_at += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        self.out_at = 0;
        Ok(true)
    }

    pub fn pending_output(&self) -> bool {
        self.out_at < self.out.len()
    }

    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

/// One reply as the read path needs it: bulk strings borrowed from the buffer.
#[derive(Debug, PartialEq)]
pub enum Reply<'a> {
    Bulk(Option<&'a [u8]>),
    /// HMGET's reply (field, `__expires__`), or any flat array.
    Array(Vec<Option<&'a [u8]>>),
    Int(i64),
    Status(&'a [u8]),
    Error(String),
}

fn bad(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("bad reply from Redis: {what}"),
    )
}

/// The line at the start of `buf` (without CRLF) and the bytes it takes; `None` when the
/// line is not complete yet.
fn line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let end = buf.iter().position(|&b| b == b'\n')?;
    let text = &buf[..end];
    Some((text.strip_suffix(b"\r").unwrap_or(text), end + 1))
}

fn number(bytes: &[u8]) -> io::Result<i64> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("not a number"))
}

/// A bulk string's bytes (`None` for nil) and the bytes it took in the buffer.
type Bulk<'a> = (Option<&'a [u8]>, usize);

/// The bulk string at the start of `buf`; `None` when it is not complete yet.
fn bulk(buf: &[u8]) -> io::Result<Option<Bulk<'_>>> {
    let Some((head, at)) = line(buf) else {
        return Ok(None);
    };
    match head.split_first() {
        Some((b'$', len)) => {
            let len = number(len)?;
            if len < 0 {
                return Ok(Some((None, at)));
            }
            if len > MAX_BULK {
                return Err(too_long("bulk string", len, MAX_BULK));
            }
            let end = at + len as usize;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            Ok(Some((Some(&buf[at..end]), end + 2)))
        }
        _ => Err(bad("an array item that is not a string")),
    }
}

/// The first whole reply in `buf` and the bytes it takes; `None` when more must be read.
pub fn parse(buf: &[u8]) -> io::Result<Option<(Reply<'_>, usize)>> {
    let Some((&kind, _)) = buf.split_first() else {
        return Ok(None);
    };
    if kind == b'$' {
        return Ok(bulk(buf)?.map(|(b, n)| (Reply::Bulk(b), n)));
    }
    let Some((head, mut at)) = line(buf) else {
        return Ok(None);
    };
    let rest = &head[1..];
    Ok(Some(match kind {
        b'+' => (Reply::Status(rest), at),
        b'-' => (Reply::Error(String::from_utf8_lossy(rest).into_owned()), at),
        b':' => (Reply::Int(number(rest)?), at),
        b'*' => {
            let len = number(rest)?;
            if len > MAX_ITEMS {
                return Err(too_long("array", len, MAX_ITEMS));
            }
            // Each item takes at least 4 bytes ("$0\r\n"...): no more room than what arrived.
            let mut items = Vec::with_capacity((len.max(0) as usize).min(buf.len() / 4));
            for _ in 0..len {
                match bulk(&buf[at..])? {
                    Some((item, n)) => {
                        items.push(item);
                        at += n;
                    }
                    None => return Ok(None),
                }
            }
            (Reply::Array(items), at)
        }
        _ => return Err(bad("unknown reply type")),
    }))
}

#[cfg(test)]
mod tests {
    use super::{Reply, parse};

    #[test]
    fn replies_parse_whole_or_wait() {
        let buf = b"$3\r\nabc\r\n$-1\r\n*2\r\n$1\r\nx\r\n$-1\r\n:5\r\n-ERR no\r\n";
        let mut at = 0;
        let mut seen = Vec::new();
        while let Some((reply, n)) = parse(&buf[at..]).unwrap() {
            seen.push(format!("{reply:?}"));
            at += n;
        }
        assert_eq!(at, buf.len());
        assert_eq!(seen.len(), 5);
        assert_eq!(
            parse(b"*2\r\n$1\r\nx\r\n$-1\r\n").unwrap().unwrap().0,
            Reply::Array(vec![Some(&b"x"[..]), None])
        );
        for cut in 1..buf.len() {
            // A reply cut anywhere is either whole before the cut or waits for more.
            if let Some((_, n)) = parse(&buf[..cut]).unwrap() {
                assert!(n <= cut);
            }
        }
        assert!(parse(b"$5\r\nab").unwrap().is_none());
        assert!(parse(b"?x\r\n").is_err());
        // A length field of a terabyte is refused before anything is allocated.
        let err = parse(b"$1099511627776\r\nab").unwrap_err().to_string();
        assert!(err.contains("over redisadv's limit of 536870912"), "{err}");
        assert!(parse(b"*1099511627776\r\n$1\r\na\r\n").is_err());
        assert!(parse(b"*1000000\r\n$1\r\na\r\n").unwrap().is_none());
    }
}
