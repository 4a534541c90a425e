//! A streaming RDB reader: one key at a time, values skipped by their lengths (or captured as
//! the bytes RESTORE takes), memory bounded by the largest single key captured.
//!
//! Written by hand because neither crate fits: `rdb` (rdb-rs 0.3) decodes every value into
//! owned Rust values through a formatter and exposes neither byte offsets nor a value's raw
//! bytes, so it can neither skip values nor hand RESTORE its payload; `librdb` (0.1/0.2)
//! builds Redis's C parser from a vendored submodule (a C toolchain at build time) and also
//! delivers decoded items through callbacks, not raw objects with offsets. This reader only
//! walks the structure (RDB 1 to 12, Valkey's 80: listpacks, quicklist 2, streams 1 to 3,
//! hash field TTLs, functions, module values and module aux data by their opcodes) and checks
//! the CRC64 footer at the end.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Why the file could not be read: where, and what was found there.
#[derive(Debug, thiserror::Error)]
#[error("at byte {offset}: {what}")]
pub struct RdbError {
    pub offset: u64,
    pub what: String,
    /// The file ended early (truncated), as opposed to content the reader does not know.
    pub truncated: bool,
}

/// The newest RDB format versions this reader knows: Redis's, and Valkey's own numbering.
pub const MAX_REDIS_VERSION: u32 = 12;
pub const VALKEY_VERSIONS: std::ops::RangeInclusive<u32> = 80..=80;

/// One key as found in the file.
#[derive(Debug, Clone)]
pub struct Entry {
    pub db: u64,
    pub key: Vec<u8>,
    /// The RDB object type byte (0 string, 4 hash, 18 quicklist 2, ...).
    pub rdb_type: u8,
    /// Absolute expiry in Unix milliseconds.
    pub expire_ms: Option<i64>,
    /// Where the key's record starts (its first opcode: expiry, LRU/LFU or the type byte).
    pub offset: u64,
    /// The serialized object's size: type byte plus value, as DUMP would carry it.
    pub object_bytes: u64,
    /// The type byte and value bytes, when captured.
    pub object: Option<Vec<u8>>,
}

pub struct RdbReader {
    r: BufReader<File>,
    pos: u64,
    pub version: u32,
    pub magic: String,
    pub file_size: u64,
    db: u64,
    crc: u64,
    /// Bytes of the current object, when captured.
    capture: Option<Vec<u8>>,
    scratch: Vec<u8>,
    /// Keys the file says each database holds (RESIZEDB), and how many with a TTL.
    pub resize_hints: Vec<(u64, u64, u64)>,
    pub aux: Vec<(String, String)>,
    pub finished: bool,
}

// Opcodes and types, as the RDB format defines them.
const OP_FUNCTION2: u8 = 0xF5;
const OP_FUNCTION_PRE_GA: u8 = 0xF6;
const OP_MODULE_AUX: u8 = 0xF7;
const OP_IDLE: u8 = 0xF8;
const OP_FREQ: u8 = 0xF9;
const OP_AUX: u8 = 0xFA;
const OP_RESIZEDB: u8 = 0xFB;
const OP_EXPIRETIME_MS: u8 = 0xFC;
const OP_EXPIRETIME: u8 = 0xFD;
const OP_SELECTDB: u8 = 0xFE;
const OP_EOF: u8 = 0xFF;
const OP_SLOT_INFO: u8 = 0xF4;

impl RdbReader {
    pub fn open(path: &Path) -> anyhow::Result<RdbReader> {
        let file = File::open(path)
            .map_err(|e| anyhow::anyhow!("--rdb {}: cannot open it: {e}", path.display()))?;
        let file_size = file.metadata()?.len();
        let mut reader = RdbReader {
            r: BufReader::with_capacity(1 << 20, file),
            pos: 0,
            version: 0,
            magic: String::new(),
            file_size,
            db: 0,
            crc: 0,
            capture: None,
            scratch: vec![0; 1 << 16],
            resize_hints: Vec::new(),
            aux: Vec::new(),
            finished: false,
        };
        let head = reader.bytes(9, "the header")?;
        let text = String::from_utf8_lossy(&head).into_owned();
        let (magic, digits) = if let Some(d) = text.strip_prefix("REDIS") {
            ("REDIS", d)
        } else if let Some(d) = text.strip_prefix("VALKEY") {
            ("VALKEY", d)
        } else {
            return Err(reader.bad(0, format!("not an RDB file: it starts with {text:?}")))?;
        };
        let version: u32 = digits
            .parse()
            .map_err(|_| reader.bad(0, format!("the header {text:?} has no version number")))?;
        let known = if magic == "VALKEY" {
            VALKEY_VERSIONS.contains(&version)
        } else {
            (1..=MAX_REDIS_VERSION).contains(&version)
        };
        if !known {
            return Err(reader.bad(
                5,
                format!(
                    "RDB version {version} ({text:?}) is newer than this reader knows \
                     (Redis up to {MAX_REDIS_VERSION}, Valkey {VALKEY_VERSIONS:?})"
                ),
            ))?;
        }
        reader.version = version;
        reader.magic = magic.into();
        Ok(reader)
    }

    pub fn position(&self) -> u64 {
        self.pos
    }

    fn bad(&self, offset: u64, what: String) -> RdbError {
        RdbError {
            offset,
            what,
            truncated: false,
        }
    }

    /// Reads exactly `buf.len()` bytes, feeding the checksum and the capture.
    fn fill(&mut self, buf: &mut [u8], what: &str) -> Result<(), RdbError> {
        if let Err(e) = self.r.read_exact(buf) {
            return Err(RdbError {
                offset: self.pos,
                what: format!(
                    "the file ends inside {what} ({e}; {} bytes in all): truncated?",
                    self.file_size
                ),
                truncated: true,
            });
        }
        self.pos += buf.len() as u64;
        self.crc = crc64::crc64(self.crc, buf);
        if let Some(c) = &mut self.capture {
            c.extend_from_slice(buf);
        }
        Ok(())
    }

    fn bytes(&mut self, n: usize, what: &str) -> Result<Vec<u8>, RdbError> {
        if n as u64 > self.file_size.saturating_sub(self.pos) {
            return Err(RdbError {
                offset: self.pos,
                what: format!(
                    "{what} says {n} bytes follow, but the file ({} bytes) ends first: \
                     truncated or corrupted",
                    self.file_size
                ),
                truncated: true,
            });
        }
        let mut v = vec![0; n];
        self.fill(&mut v, what)?;
        Ok(v)
    }

    fn u8(&mut self, what: &str) -> Result<u8, RdbError> {
        let mut b = [0u8; 1];
        self.fill(&mut b, what)?;
        Ok(b[0])
    }

    fn le<const N: usize>(&mut self, what: &str) -> Result<[u8; N], RdbError> {
        let mut b = [0u8; N];
        self.fill(&mut b, what)?;
        Ok(b)
    }

    /// Skips `n` bytes (read through, for the checksum and any capture).
    fn skip(&mut self, mut n: u64, what: &str) -> Result<(), RdbError> {
        if n > self.file_size.saturating_sub(self.pos) {
            return Err(RdbError {
                offset: self.pos,
                what: format!(
                    "{what} says {n} bytes follow, but the file ({} bytes) ends first: \
                     truncated or corrupted",
                    self.file_size
                ),
                truncated: true,
            });
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        while n > 0 {
            let k = n.min(scratch.len() as u64) as usize;
            let r = self.fill(&mut scratch[..k], what);
            if r.is_err() {
                self.scratch = scratch;
                return r;
            }
            n -= k as u64;
        }
        self.scratch = scratch;
        Ok(())
    }

    /// A length; `Err(special)` for a string's special encoding (11xxxxxx).
    fn length_or_special(&mut self, what: &str) -> Result<Result<u64, u8>, RdbError> {
        let b = self.u8(what)?;
        Ok(match b >> 6 {
            0 => Ok((b & 0x3F) as u64),
            1 => Ok((((b & 0x3F) as u64) << 8) | self.u8(what)? as u64),
            2 if b == 0x80 => Ok(u32::from_be_bytes(self.le::<4>(what)?) as u64),
            2 if b == 0x81 => Ok(u64::from_be_bytes(self.le::<8>(what)?)),
            3 => Err(b & 0x3F),
            _ => {
                return Err(self.bad(self.pos - 1, format!("{what}: length byte {b:#04x}")));
            }
        })
    }

    fn length(&mut self, what: &str) -> Result<u64, RdbError> {
        let at = self.pos;
        match self.length_or_special(what)? {
            Ok(n) => Ok(n),
            Err(e) => Err(self.bad(
                at,
                format!("{what}: a string encoding ({e}) where a length belongs"),
            )),
        }
    }

    /// A string, kept (`keep`) or skipped.
    fn string(&mut self, what: &str, keep: bool) -> Result<Vec<u8>, RdbError> {
        let at = self.pos;
        match self.length_or_special(what)? {
            Ok(n) if keep => {
                if n > self.file_size {
                    return Err(self.bad(at, format!("{what}: length {n} beyond the file's size")));
                }
                self.bytes(n as usize, what)
            }
            Ok(n) => self.skip(n, what).map(|_| Vec::new()),
            Err(0) => Ok((self.u8(what)? as i8).to_string().into_bytes()),
            Err(1) => Ok(i16::from_le_bytes(self.le::<2>(what)?)
                .to_string()
                .into_bytes()),
            Err(2) => Ok(i32::from_le_bytes(self.le::<4>(what)?)
                .to_string()
                .into_bytes()),
            Err(3) => {
                let clen = self.length(what)?;
                let ulen = self.length(what)?;
                if keep {
                    if ulen > 1 << 32 {
                        return Err(self.bad(at, format!("{what}: an LZF string of {ulen} bytes")));
                    }
                    let packed = self.bytes(clen as usize, what)?;
                    lzf::decompress(&packed, ulen as usize).map_err(|e| {
                        self.bad(at, format!("{what}: LZF data does not decode ({e:?})"))
                    })
                } else {
                    self.skip(clen, what).map(|_| Vec::new())
                }
            }
            Err(e) => Err(self.bad(at, format!("{what}: unknown string encoding {e}"))),
        }
    }

    /// The next key, or `None` at the end of the file (after the checksum is checked).
    /// `capture` keeps the object's bytes for RESTORE.
    pub fn next(&mut self, capture: bool) -> Result<Option<Entry>, RdbError> {
        if self.finished {
            return Ok(None);
        }
        let mut expire_ms = None;
        let mut start = self.pos;
        loop {
            let at = self.pos;
            let op = self.u8("an opcode")?;
            match op {
                OP_EXPIRETIME_MS => {
                    expire_ms = Some(i64::from_le_bytes(self.le::<8>("an expiry")?))
                }
                OP_EXPIRETIME => {
                    expire_ms = Some(i32::from_le_bytes(self.le::<4>("an expiry")?) as i64 * 1000)
                }
                OP_FREQ => {
                    self.u8("an LFU frequency")?;
                }
                OP_IDLE => {
                    self.length("an LRU idle time")?;
                }
                OP_SELECTDB => {
                    self.db = self.length("a database number")?;
                    start = self.pos;
                }
                OP_RESIZEDB => {
                    let keys = self.length("RESIZEDB")?;
                    let expires = self.length("RESIZEDB")?;
                    self.resize_hints.push((self.db, keys, expires));
                    start = self.pos;
                }
                OP_SLOT_INFO => {
                    for _ in 0..3 {
                        self.length("slot info")?;
                    }
                    start = self.pos;
                }
                OP_AUX => {
                    let k = self.string("an AUX field", true)?;
                    let v = self.string("an AUX field", true)?;
                    self.aux.push((
                        String::from_utf8_lossy(&k).into_owned(),
                        String::from_utf8_lossy(&v).into_owned(),
                    ));
                    start = self.pos;
                }
                OP_MODULE_AUX => {
                    self.length("module aux: module id")?;
                    self.length("module aux: when opcode")?;
                    self.length("module aux: when")?;
                    self.module_value(at)?;
                    start = self.pos;
                }
                OP_FUNCTION2 => {
                    self.string("a function library", false)?;
                    start = self.pos;
                }
                OP_FUNCTION_PRE_GA => {
                    return Err(self.bad(
                        at,
                        "a function in the Redis 7.0 release candidates' format (opcode 0xF6), \
                         which this reader does not read"
                            .into(),
                    ));
                }
                OP_EOF => {
                    self.finish()?;
                    return Ok(None);
                }
                t if is_type(t) => {
                    let key = self.string("a key", true)?;
                    let object_start = self.pos;
                    self.capture = capture.then(|| {
                        let mut v = Vec::with_capacity(64);
                        v.push(t);
                        v
                    });
                    let result = self.value(t, at);
                    let object = self.capture.take();
                    result?;
                    return Ok(Some(Entry {
                        db: self.db,
                        key,
                        rdb_type: t,
                        expire_ms,
                        offset: start,
                        object_bytes: 1 + self.pos - object_start,
                        object,
                    }));
                }
                other => {
                    return Err(self.bad(
                        at,
                        format!(
                            "unknown opcode or type {other} ({other:#04x}); a newer Redis or a \
                             module wrote it, or the file is corrupted"
                        ),
                    ));
                }
            }
        }
    }

    /// Reads the key whose record starts at `offset` again, capturing its object.
    pub fn read_at(&mut self, offset: u64) -> Result<Entry, RdbError> {
        self.r
            .seek(SeekFrom::Start(offset))
            .map_err(|e| self.bad(offset, e.to_string()))?;
        self.pos = offset;
        self.finished = false;
        self.next(true)?
            .ok_or_else(|| self.bad(offset, "no key there".into()))
    }

    fn finish(&mut self) -> Result<(), RdbError> {
        self.finished = true;
        if self.version < 5 {
            return Ok(());
        }
        let expected = self.crc;
        let at = self.pos;
        let stored = u64::from_le_bytes(self.le::<8>("the CRC64 footer")?);
        if stored != 0 && stored != expected {
            return Err(self.bad(
                at,
                format!(
                    "checksum mismatch: the footer says {stored:#018x}, the content gives \
                     {expected:#018x}: the file is corrupted"
                ),
            ));
        }
        Ok(())
    }

    /// Skips (or captures) one object's value of type `t`.
    fn value(&mut self, t: u8, at: u64) -> Result<(), RdbError> {
        match t {
            0 | 9..=13 | 16 | 17 | 20 | 23 => {
                self.string("a value", false)?;
            }
            25 => {
                self.le::<8>("a hash's minimum field expiry")?;
                self.string("a listpack", false)?;
            }
            1 | 2 => {
                for _ in 0..self.length("an element count")? {
                    self.string("an element", false)?;
                }
            }
            3 => {
                for _ in 0..self.length("an element count")? {
                    self.string("a member", false)?;
                    let n = self.u8("a score")?;
                    if n < 253 {
                        self.skip(n as u64, "a score")?;
                    }
                }
            }
            5 => {
                for _ in 0..self.length("an element count")? {
                    self.string("a member", false)?;
                    self.le::<8>("a score")?;
                }
            }
            4 => {
                for _ in 0..self.length("a field count")? {
                    self.string("a field", false)?;
                    self.string("a value", false)?;
                }
            }
            22 | 24 => {
                if t == 24 {
                    self.le::<8>("a hash's minimum field expiry")?;
                }
                for _ in 0..self.length("a field count")? {
                    self.length("a field's expiry")?;
                    self.string("a field", false)?;
                    self.string("a value", false)?;
                }
            }
            14 => {
                for _ in 0..self.length("a node count")? {
                    self.string("a ziplist node", false)?;
                }
            }
            18 => {
                for _ in 0..self.length("a node count")? {
                    self.length("a node container")?;
                    self.string("a listpack node", false)?;
                }
            }
            15 | 19 | 21 => self.stream(t)?,
            7 => {
                self.length("a module type id")?;
                self.module_value(at)?;
            }
            6 => {
                return Err(self.bad(
                    at,
                    "a module value in the pre-release format (type 6), which cannot be \
                     skipped without its module"
                        .into(),
                ));
            }
            _ => unreachable!("is_type admitted {t}"),
        }
        Ok(())
    }

    fn stream(&mut self, t: u8) -> Result<(), RdbError> {
        for _ in 0..self.length("a stream's node count")? {
            self.string("a stream node key", false)?;
            self.string("a stream listpack", false)?;
        }
        self.length("a stream's length")?;
        self.length("a stream's last id")?;
        self.length("a stream's last id")?;
        if t >= 19 {
            for _ in 0..5 {
                self.length("a stream's ids")?;
            }
        }
        for _ in 0..self.length("a stream's group count")? {
            self.string("a group name", false)?;
            self.length("a group's last id")?;
            self.length("a group's last id")?;
            if t >= 19 {
                self.length("a group's entries read")?;
            }
            for _ in 0..self.length("a group's pending count")? {
                self.skip(16 + 8, "a pending entry")?;
                self.length("a delivery count")?;
            }
            for _ in 0..self.length("a group's consumer count")? {
                self.string("a consumer name", false)?;
                self.le::<8>("a consumer's seen time")?;
                if t >= 21 {
                    self.le::<8>("a consumer's active time")?;
                }
                let n = self.length("a consumer's pending count")?;
                self.skip(16 * n, "a consumer's pending ids")?;
            }
        }
        Ok(())
    }

    /// A module value (type 7) or module aux data: typed opcodes up to their EOF.
    fn module_value(&mut self, at: u64) -> Result<(), RdbError> {
        loop {
            let op_at = self.pos;
            match self.length("a module opcode")? {
                0 => return Ok(()),
                1 | 2 => {
                    self.length("a module integer")?;
                }
                3 => {
                    self.le::<4>("a module float")?;
                }
                4 => {
                    self.le::<8>("a module double")?;
                }
                5 => {
                    self.string("a module string", false)?;
                }
                other => {
                    return Err(self.bad(
                        op_at,
                        format!("module data (started at byte {at}): unknown opcode {other}"),
                    ));
                }
            }
        }
    }
}

fn is_type(t: u8) -> bool {
    matches!(t, 0..=7 | 9..=25) && t != 8
}

/// The RDB type's Redis type name.
pub fn type_name(t: u8) -> &'static str {
    match t {
        0 => "string",
        1 | 10 | 14 | 18 => "list",
        2 | 11 | 20 => "set",
        3 | 5 | 12 | 17 => "zset",
        4 | 9 | 13 | 16 | 22..=25 => "hash",
        15 | 19 | 21 => "stream",
        _ => "module",
    }
}
