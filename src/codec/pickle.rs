//! `pickle.dumps(value, protocol)` byte for byte as CPython 3.11's C pickler writes it, for
//! protocols 2 to 5.
//!
//! Written by hand on purpose: serde-pickle writes other bytes (protocol 3 only, BININT for
//! every int, no memo, no frames), and the stored bytes decide every memory figure. The rules
//! followed here were read from CPython's `pickle.py`/`_pickle.c` and are proven by the test
//! vectors under `tests/vectors/`:
//! - PROTO, then (protocol >= 4) frames of at least 64 KiB cut at the start of a `save`, a frame
//!   under 4 bytes written bare, and str/bytes of 64 KiB or more written outside any frame;
//! - the smallest int opcode (BININT1/BININT2/BININT, else LONG1/LONG4 in minimal two's
//!   complement);
//! - every str, bytes, tuple (but `()`), list and dict memoized: MEMOIZE from protocol 4,
//!   BINPUT/LONG_BINPUT before;
//! - lists and dicts filled in batches of 1,000 with MARK..APPENDS/SETITEMS, except a container
//!   of exactly one item, which uses APPEND/SETITEM (the C pickler's rule, unlike pickle.py's);
//! - bytes under protocol 2 as `_codecs.encode(latin1 text, 'latin1')` (or `bytes()` when empty).
//!
//! Identity: redisadv treats equal values as distinct objects, as values built at run time
//! are, so no memo reference is written for them. The exceptions are the objects CPython itself
//! keeps as singletons whatever code made them: `''`, one-character str below U+0100 and
//! `b''`, plus the `_codecs.encode` / `'latin1'` constants of protocol 2 bytes. Those repeat
//! as memo references (BINGET) exactly as CPython writes them. (One-byte bytes are shared by
//! CPython only when made by some routes, `'x'.encode()` but not `bytes(bytearray(..))`;
//! redisadv treats them as distinct. dogpile's metadata keys are code constants, which are
//! not the singletons, so they never share with the payload.)

use super::value::{Metadata, Value};

const MARK: u8 = b'(';
const STOP: u8 = b'.';
const BININT: u8 = b'J';
const BININT1: u8 = b'K';
const BININT2: u8 = b'M';
const NONE: u8 = b'N';
const REDUCE: u8 = b'R';
const APPEND: u8 = b'a';
const BINBYTES: u8 = b'B';
const SHORT_BINBYTES: u8 = b'C';
const GLOBAL: u8 = b'c';
const APPENDS: u8 = b'e';
const BINGET: u8 = b'h';
const LONG_BINGET: u8 = b'j';
const BINPUT: u8 = b'q';
const LONG_BINPUT: u8 = b'r';
const SETITEM: u8 = b's';
const TUPLE: u8 = b't';
const SETITEMS: u8 = b'u';
const BINFLOAT: u8 = b'G';
const BINUNICODE: u8 = b'X';
const EMPTY_DICT: u8 = b'}';
const EMPTY_LIST: u8 = b']';
const EMPTY_TUPLE: u8 = b')';
const PROTO: u8 = 0x80;
const TUPLE1: u8 = 0x85;
const TUPLE2: u8 = 0x86;
const TUPLE3: u8 = 0x87;
const NEWTRUE: u8 = 0x88;
const NEWFALSE: u8 = 0x89;
const LONG1: u8 = 0x8a;
const LONG4: u8 = 0x8b;
const SHORT_BINUNICODE: u8 = 0x8c;
const BINUNICODE8: u8 = 0x8d;
const BINBYTES8: u8 = 0x8e;
const STACK_GLOBAL: u8 = 0x93;
const MEMOIZE: u8 = 0x94;
const FRAME: u8 = 0x95;

const FRAME_HEADER: usize = 9;
const FRAME_SIZE_MIN: usize = 4;
const FRAME_SIZE_TARGET: usize = 64 * 1024;
const BATCHSIZE: usize = 1000;

/// The pickle protocols this writer produces.
pub const PROTOCOLS: std::ops::RangeInclusive<u8> = 2..=5;
/// `pickle.DEFAULT_PROTOCOL` of CPython 3.8 to 3.13.
pub const DEFAULT_PROTOCOL: u8 = 4;
/// `pickle.HIGHEST_PROTOCOL` of CPython 3.8 and later.
pub const HIGHEST_PROTOCOL: u8 = 5;

/// Appends `pickle.dumps(value, protocol)`. `protocol` must be in [`PROTOCOLS`].
pub fn dumps_into(value: &Value, protocol: u8, out: &mut Vec<u8>) {
    let mut w = Pickler::start(protocol, out);
    w.save(value);
    w.finish();
}

/// Appends `pickle.dumps(CachedValue(payload, metadata), protocol)` as dogpile.cache < 1.1
/// wrote its values: `dogpile.cache.api.CachedValue` reduced to `(payload, metadata)`.
pub fn dumps_cached_value_into(payload: &Value, meta: Metadata, protocol: u8, out: &mut Vec<u8>) {
    let mut w = Pickler::start(protocol, out);
    // The class comes first and nothing refers to it again: no need to remember it.
    w.write_global("dogpile.cache.api", "CachedValue");
    w.memoize(None);
    w.commit_frame(false);
    w.save(payload);
    w.save_metadata(meta);
    w.write(&[TUPLE2]);
    w.memoize(None);
    w.write(&[REDUCE]);
    w.memoize(None);
    w.finish();
}

/// Appends `pickle.dumps([first, second], protocol)` without building the list: the
/// `int_time` envelope.
pub fn dumps_pair_into(first: &Value, second: &Value, protocol: u8, out: &mut Vec<u8>) {
    let mut w = Pickler::start(protocol, out);
    w.commit_frame(false);
    w.write(&[EMPTY_LIST]);
    w.memoize(None);
    w.write(&[MARK]);
    w.save(first);
    w.save(second);
    w.write(&[APPENDS]);
    w.finish();
}

/// Objects that CPython shares by identity no matter how they were built.
#[derive(PartialEq, Eq, Clone)]
enum Shared {
    Char(char),
    EmptyStr,
    EmptyBytes,
    Global(Constant),
    Latin1,
}

#[derive(Hash, PartialEq, Eq, Clone, Copy)]
enum Constant {
    CodecsEncode,
    Bytes,
}

struct Pickler<'a> {
    out: &'a mut Vec<u8>,
    proto: u8,
    framing: bool,
    /// Where the open frame's reserved header starts, if a frame is open.
    frame_start: Option<usize>,
    memo_len: u32,
    /// Memo indices of the shared objects written so far (few: a linear scan beats hashing).
    shared: Vec<(Shared, u32)>,
}

impl<'a> Pickler<'a> {
    fn start(proto: u8, out: &'a mut Vec<u8>) -> Pickler<'a> {
        debug_assert!(PROTOCOLS.contains(&proto));
        out.extend_from_slice(&[PROTO, proto]);
        Pickler {
            out,
            proto,
            framing: proto >= 4,
            frame_start: None,
            memo_len: 0,
            shared: Vec::new(),
        }
    }

    fn finish(mut self) {
        self.write(&[STOP]);
        self.commit_frame(true);
    }

    fn write(&mut self, bytes: &[u8]) {
        if self.framing && self.frame_start.is_none() {
            self.frame_start = Some(self.out.len());
            self.out.extend_from_slice(&[0; FRAME_HEADER]);
        }
        self.out.extend_from_slice(bytes);
    }

    /// Closes the open frame when it reached the target size (or always, with `force`).
    fn commit_frame(&mut self, force: bool) {
        let Some(start) = self.frame_start else {
            return;
        };
        let len = self.out.len() - start - FRAME_HEADER;
        if len < FRAME_SIZE_TARGET && !force {
            return;
        }
        if len >= FRAME_SIZE_MIN {
            self.out[start] = FRAME;
            self.out[start + 1..start + FRAME_HEADER].copy_from_slice(&(len as u64).to_le_bytes());
        } else {
            self.out.drain(start..start + FRAME_HEADER);
        }
        self.frame_start = None;
    }

    /// A str or bytes of 64 KiB or more goes outside any frame, as CPython writes it.
    fn write_large(&mut self, header: &[u8], payload: &[u8]) {
        if self.framing {
            self.commit_frame(true);
            self.out.extend_from_slice(header);
            self.out.extend_from_slice(payload);
        } else {
            self.write(header);
            self.write(payload);
        }
    }

    fn memoize(&mut self, shared: Option<Shared>) {
        let idx = self.memo_len;
        self.memo_len += 1;
        if self.proto >= 4 {
            self.write(&[MEMOIZE]);
        } else if idx < 256 {
            self.write(&[BINPUT, idx as u8]);
        } else {
            let mut op = [LONG_BINPUT, 0, 0, 0, 0];
            op[1..].copy_from_slice(&idx.to_le_bytes());
            self.write(&op);
        }
        if let Some(key) = shared {
            self.shared.push((key, idx));
        }
    }

    /// Writes a memo reference when `key` was pickled before; true if it did.
    fn get_shared(&mut self, key: &Shared) -> bool {
        let Some(&(_, idx)) = self.shared.iter().find(|(k, _)| k == key) else {
            return false;
        };
        if idx < 256 {
            self.write(&[BINGET, idx as u8]);
        } else {
            let mut op = [LONG_BINGET, 0, 0, 0, 0];
            op[1..].copy_from_slice(&idx.to_le_bytes());
            self.write(&op);
        }
        true
    }

    fn save(&mut self, value: &Value) {
        self.commit_frame(false);
        match value {
            Value::None => self.write(&[NONE]),
            Value::Bool(true) => self.write(&[NEWTRUE]),
            Value::Bool(false) => self.write(&[NEWFALSE]),
            Value::Int(n) => self.save_int(*n),
            Value::BigInt(n) => self.save_long_bytes(&n.to_signed_bytes_le()),
            Value::Float(f) => {
                let mut op = [BINFLOAT, 0, 0, 0, 0, 0, 0, 0, 0];
                op[1..].copy_from_slice(&f.to_be_bytes());
                self.write(&op);
            }
            Value::Str(s) => self.save_str(s),
            Value::Bytes(b) => self.save_bytes(b),
            Value::Tuple(items) => self.save_tuple(items),
            Value::List(items) => {
                self.write(&[EMPTY_LIST]);
                self.memoize(None);
                self.save_list_items(items);
            }
            Value::Dict(pairs) => {
                self.write(&[EMPTY_DICT]);
                self.memoize(None);
                self.save_dict_items(pairs);
            }
        }
    }

    /// `batch_list_exact`: one item alone gets APPEND; otherwise MARK..APPENDS batches of
    /// 1,000 while items remain.
    fn save_list_items(&mut self, items: &[Value]) {
        if let [one] = items {
            self.save(one);
            self.write(&[APPEND]);
            return;
        }
        for batch in items.chunks(BATCHSIZE) {
            self.write(&[MARK]);
            for item in batch {
                self.save(item);
            }
            self.write(&[APPENDS]);
        }
    }

    /// `batch_dict_exact`: one pair alone gets SETITEM; otherwise MARK..SETITEMS batches of
    /// 1,000, and a full last batch is followed by an empty one (`(u`), as CPython writes it.
    fn save_dict_items(&mut self, pairs: &[(Value, Value)]) {
        match pairs {
            [] => {}
            [(k, v)] => {
                self.save(k);
                self.save(v);
                self.write(&[SETITEM]);
            }
            _ => {
                let mut rest = pairs;
                loop {
                    let (batch, tail) = rest.split_at(rest.len().min(BATCHSIZE));
                    self.write(&[MARK]);
                    for (k, v) in batch {
                        self.save(k);
                        self.save(v);
                    }
                    self.write(&[SETITEMS]);
                    rest = tail;
                    if batch.len() < BATCHSIZE {
                        break;
                    }
                }
            }
        }
    }

    /// dogpile's `{"ct": ct, "v": v}`. Its keys are code constants, never CPython's
    /// one-character singletons, so they are written out even when the payload had them.
    fn save_metadata(&mut self, meta: Metadata) {
        self.commit_frame(false);
        self.write(&[EMPTY_DICT]);
        self.memoize(None);
        self.write(&[MARK]);
        for (key, value) in [("ct", Value::Float(meta.ct)), ("v", Value::Int(meta.v))] {
            self.commit_frame(false);
            let n = key.len() as u8;
            if self.proto >= 4 {
                self.write(&[SHORT_BINUNICODE, n]);
            } else {
                self.write(&[BINUNICODE, n, 0, 0, 0]);
            }
            self.write(key.as_bytes());
            self.memoize(None);
            self.save(&value);
        }
        self.write(&[SETITEMS]);
    }

    fn save_int(&mut self, n: i64) {
        if (0..=0xff).contains(&n) {
            self.write(&[BININT1, n as u8]);
        } else if (0..=0xffff).contains(&n) {
            let b = (n as u16).to_le_bytes();
            self.write(&[BININT2, b[0], b[1]]);
        } else if let Ok(small) = i32::try_from(n) {
            let b = small.to_le_bytes();
            self.write(&[BININT, b[0], b[1], b[2], b[3]]);
        } else {
            let bytes = n.to_le_bytes();
            self.save_long_bytes(minimal_twos_complement(&bytes));
        }
    }

    fn save_long_bytes(&mut self, le: &[u8]) {
        let le = minimal_twos_complement(le);
        if le.len() < 256 {
            self.write(&[LONG1, le.len() as u8]);
        } else {
            self.write(&[LONG4]);
            self.write(&(le.len() as u32).to_le_bytes());
        }
        self.write(le);
    }

    fn save_str(&mut self, s: &str) {
        let shared = shared_str(s);
        if let Some(key) = &shared
            && self.get_shared(key)
        {
            return;
        }
        let n = s.len();
        if n <= 0xff && self.proto >= 4 {
            self.write(&[SHORT_BINUNICODE, n as u8]);
            self.write(s.as_bytes());
        } else if n > 0xffff_ffff && self.proto >= 4 {
            let mut header = vec![BINUNICODE8];
            header.extend_from_slice(&(n as u64).to_le_bytes());
            self.write_large(&header, s.as_bytes());
        } else {
            let mut header = [BINUNICODE, 0, 0, 0, 0];
            header[1..].copy_from_slice(&(n as u32).to_le_bytes());
            if n >= FRAME_SIZE_TARGET {
                self.write_large(&header, s.as_bytes());
            } else {
                self.write(&header);
                self.write(s.as_bytes());
            }
        }
        self.memoize(shared);
    }

    fn save_bytes(&mut self, b: &[u8]) {
        let shared = b.is_empty().then_some(Shared::EmptyBytes);
        if let Some(key) = &shared
            && self.get_shared(key)
        {
            return;
        }
        if self.proto < 3 {
            self.save_bytes_protocol2(b);
        } else {
            let n = b.len();
            if n <= 0xff {
                self.write(&[SHORT_BINBYTES, n as u8]);
                self.write(b);
            } else if n > 0xffff_ffff && self.proto >= 4 {
                let mut header = vec![BINBYTES8];
                header.extend_from_slice(&(n as u64).to_le_bytes());
                self.write_large(&header, b);
            } else {
                let mut header = [BINBYTES, 0, 0, 0, 0];
                header[1..].copy_from_slice(&(n as u32).to_le_bytes());
                if n >= FRAME_SIZE_TARGET {
                    self.write_large(&header, b);
                } else {
                    self.write(&header);
                    self.write(b);
                }
            }
        }
        self.memoize(shared);
    }

    /// Protocol 2 has no bytes opcode: CPython reduces bytes to `_codecs.encode(text,
    /// 'latin1')`, or `bytes()` for `b''`. The caller memoizes the result.
    fn save_bytes_protocol2(&mut self, b: &[u8]) {
        if b.is_empty() {
            self.save_global(Constant::Bytes, "__builtin__", "bytes");
            self.commit_frame(false);
            self.write(&[EMPTY_TUPLE]);
        } else {
            self.save_global(Constant::CodecsEncode, "_codecs", "encode");
            let text: String = b.iter().map(|&byte| byte as char).collect();
            self.commit_frame(false);
            self.save_str(&text);
            self.commit_frame(false);
            if !self.get_shared(&Shared::Latin1) {
                let mut op = vec![BINUNICODE, 6, 0, 0, 0];
                op.extend_from_slice(b"latin1");
                self.write(&op);
                self.memoize(Some(Shared::Latin1));
            }
            self.write(&[TUPLE2]);
            self.memoize(None);
        }
        self.write(&[REDUCE]);
    }

    fn save_global(&mut self, constant: Constant, module: &str, name: &str) {
        self.commit_frame(false);
        if self.get_shared(&Shared::Global(constant)) {
            return;
        }
        self.write_global(module, name);
        self.memoize(Some(Shared::Global(constant)));
    }

    fn write_global(&mut self, module: &str, name: &str) {
        if self.proto >= 4 {
            self.save_str(module);
            self.commit_frame(false);
            self.save_str(name);
            self.write(&[STACK_GLOBAL]);
        } else {
            let mut op = vec![GLOBAL];
            op.extend_from_slice(module.as_bytes());
            op.push(b'\n');
            op.extend_from_slice(name.as_bytes());
            op.push(b'\n');
            self.write(&op);
        }
    }

    fn save_tuple(&mut self, items: &[Value]) {
        if items.is_empty() {
            self.write(&[EMPTY_TUPLE]);
            return;
        }
        if items.len() <= 3 {
            for item in items {
                self.save(item);
            }
            self.write(&[[TUPLE1, TUPLE2, TUPLE3][items.len() - 1]]);
        } else {
            self.write(&[MARK]);
            for item in items {
                self.save(item);
            }
            self.write(&[TUPLE]);
        }
        self.memoize(None);
    }
}

/// The str objects CPython keeps as singletons: `''` and one character below U+0100.
fn shared_str(s: &str) -> Option<Shared> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Some(Shared::EmptyStr),
        (Some(c), None) if (c as u32) < 256 => Some(Shared::Char(c)),
        _ => None,
    }
}

/// Drops redundant sign-extension bytes from a little-endian two's complement number, as
/// `pickle.encode_long` sizes it.
fn minimal_twos_complement(le: &[u8]) -> &[u8] {
    let mut len = le.len();
    while len > 1 {
        let top = le[len - 1];
        let next_high_bit = le[len - 2] & 0x80 != 0;
        if (top == 0x00 && !next_high_bit) || (top == 0xff && next_high_bit) {
            len -= 1;
        } else {
            break;
        }
    }
    if len == 1 && le[0] == 0 {
        &le[..0]
    } else {
        &le[..len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dumps(v: &Value, p: u8) -> Vec<u8> {
        let mut out = Vec::new();
        dumps_into(v, p, &mut out);
        out
    }

    #[test]
    fn small_values_match_cpython() {
        assert_eq!(dumps(&Value::Int(10), 4), b"\x80\x04K\n.");
        assert_eq!(
            dumps(&Value::List(vec![Value::Int(1)]), 4),
            b"\x80\x04\x95\x06\x00\x00\x00\x00\x00\x00\x00]\x94K\x01a."
        );
        assert_eq!(
            dumps(&Value::Int(i64::MIN), 4),
            b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80."
        );
        assert_eq!(
            dumps(&Value::Bytes(vec![]), 2),
            b"\x80\x02c__builtin__\nbytes\nq\x00)Rq\x01."
        );
    }
}
