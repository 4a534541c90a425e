//! A pickle reader for protocols 0 to 5, limited to the payload model and dogpile's
//! `CachedValue`.
//!
//! Written by hand because serde-pickle's value model keeps dicts in a `BTreeMap` (insertion
//! order lost) and cannot rebuild `dogpile.cache.api.CachedValue`. Objects live in an arena so
//! memo references behave as in CPython (a list memoized empty and filled later is the same
//! list when fetched again). Nothing is allocated from a length field before the bytes it
//! announces are known to be there; shared references are expanded within a budget tied to
//! the input's size.

use super::value::Value;
use super::{DecodeError, MAX_DEPTH};
use num_bigint::BigInt;
use std::collections::HashMap;

/// What a pickle holds: a plain value, or dogpile's legacy `CachedValue(payload, metadata)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Unpickled {
    Value(Value),
    CachedValue { payload: Value, metadata: Value },
}

type Id = usize;

enum Node {
    Leaf(Value),
    List(Vec<Id>),
    Tuple(Vec<Id>),
    Dict(Vec<(Id, Id)>),
    Global(Global),
    Cached(Id, Id),
}

#[derive(Clone, Copy, PartialEq)]
enum Global {
    CodecsEncode,
    Bytes,
    CachedValue,
}

/// Reads a whole pickle; bytes after STOP are an error.
pub fn loads(input: &[u8]) -> Result<Unpickled, DecodeError> {
    let mut m = Machine {
        input,
        pos: 0,
        arena: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
    };
    let root = m.run()?;
    if m.pos != input.len() {
        return Err(m.error("extra data after STOP"));
    }
    let mut budget = 16 * input.len() + 1024;
    match &m.arena[root] {
        Node::Cached(payload, meta) => Ok(Unpickled::CachedValue {
            payload: m.to_value(*payload, 0, &mut budget)?,
            metadata: m.to_value(*meta, 0, &mut budget)?,
        }),
        _ => Ok(Unpickled::Value(m.to_value(root, 0, &mut budget)?)),
    }
}

struct Machine<'a> {
    input: &'a [u8],
    pos: usize,
    arena: Vec<Node>,
    stack: Vec<Id>,
    marks: Vec<usize>,
    memo: HashMap<u64, Id>,
}

impl<'a> Machine<'a> {
    fn error(&self, what: impl Into<String>) -> DecodeError {
        DecodeError::Invalid {
            format: "pickle",
            offset: self.pos,
            what: what.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.input.len())
            .ok_or(DecodeError::Truncated { format: "pickle" })?;
        let bytes = &self.input[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn le<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }

    fn len_u8(&mut self) -> Result<usize, DecodeError> {
        Ok(self.le::<1>()?[0] as usize)
    }
    fn len_u32(&mut self) -> Result<usize, DecodeError> {
        Ok(u32::from_le_bytes(self.le()?) as usize)
    }
    fn len_u64(&mut self) -> Result<usize, DecodeError> {
        usize::try_from(u64::from_le_bytes(self.le()?)).map_err(|_| self.error("length too large"))
    }

    /// A text-protocol argument: the bytes up to the next newline.
    fn line(&mut self) -> Result<&'a [u8], DecodeError> {
        let rest = &self.input[self.pos..];
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(DecodeError::Truncated { format: "pickle" })?;
        self.pos += n + 1;
        Ok(&rest[..n])
    }

    fn line_str(&mut self) -> Result<&'a str, DecodeError> {
        let line = self.line()?;
        std::str::from_utf8(line).map_err(|_| self.error("non-ASCII text argument"))
    }

    fn push(&mut self, node: Node) {
        self.arena.push(node);
        self.stack.push(self.arena.len() - 1);
    }

    fn push_leaf(&mut self, value: Value) {
        self.push(Node::Leaf(value));
    }

    fn pop(&mut self) -> Result<Id, DecodeError> {
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err(self.error("stack underflow below a MARK"));
        }
        self.stack
            .pop()
            .ok_or_else(|| self.error("stack underflow"))
    }

    fn top(&self) -> Result<Id, DecodeError> {
        self.stack
            .last()
            .copied()
            .ok_or_else(|| self.error("stack underflow"))
    }

    fn pop_mark(&mut self) -> Result<Vec<Id>, DecodeError> {
        let mark = self
            .marks
            .pop()
            .ok_or_else(|| self.error("no MARK on the stack"))?;
        Ok(self.stack.split_off(mark))
    }

    fn memo_put(&mut self, idx: u64) -> Result<(), DecodeError> {
        let top = self.top()?;
        self.memo.insert(idx, top);
        Ok(())
    }

    fn memo_get(&mut self, idx: u64) -> Result<(), DecodeError> {
        let id = *self
            .memo
            .get(&idx)
            .ok_or_else(|| self.error(format!("memo key {idx} not found")))?;
        self.stack.push(id);
        Ok(())
    }

    fn append(&mut self, list: Id, items: Vec<Id>) -> Result<(), DecodeError> {
        match &mut self.arena[list] {
            Node::List(existing) => {
                existing.extend(items);
                Ok(())
            }
            _ => Err(self.error("APPEND to something that is not a list")),
        }
    }

    fn set_items(&mut self, dict: Id, items: Vec<Id>) -> Result<(), DecodeError> {
        if !items.len().is_multiple_of(2) {
            return Err(self.error("odd number of items for SETITEMS"));
        }
        for pair in items.chunks(2) {
            if !self.hashable(pair[0]) {
                return Err(self.error("unhashable dict key"));
            }
        }
        match &mut self.arena[dict] {
            Node::Dict(pairs) => {
                pairs.extend(items.chunks(2).map(|p| (p[0], p[1])));
                Ok(())
            }
            _ => Err(self.error("SETITEM on something that is not a dict")),
        }
    }

    fn hashable(&self, id: Id) -> bool {
        match &self.arena[id] {
            Node::Leaf(_) | Node::Global(_) => true,
            Node::Tuple(items) => items.len() < 64 && items.iter().all(|i| self.hashable(*i)),
            _ => false,
        }
    }

    fn run(&mut self) -> Result<Id, DecodeError> {
        loop {
            let op = self.le::<1>()?[0];
            match op {
                0x80 => {
                    let proto = self.le::<1>()?[0];
                    if proto > 5 {
                        return Err(self.error(format!("unsupported pickle protocol {proto}")));
                    }
                }
                0x95 => {
                    let n = self.len_u64()?;
                    if n > self.input.len() - self.pos {
                        return Err(DecodeError::Truncated { format: "pickle" });
                    }
                }
                b'.' => return self.pop(),
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    if self.marks.last() == Some(&self.stack.len()) {
                        self.marks.pop();
                    } else {
                        self.pop()?;
                    }
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let top = self.top()?;
                    self.stack.push(top);
                }
                b'N' => self.push_leaf(Value::None),
                0x88 => self.push_leaf(Value::Bool(true)),
                0x89 => self.push_leaf(Value::Bool(false)),
                b'I' => {
                    let text = self.line_str()?;
                    let value = match text {
                        "00" => Value::Bool(false),
                        "01" => Value::Bool(true),
                        _ => parse_int(text).ok_or_else(|| self.error("bad INT argument"))?,
                    };
                    self.push_leaf(value);
                }
                b'L' => {
                    let text = self.line_str()?;
                    let text = text.strip_suffix('L').unwrap_or(text);
                    let value = parse_int(text).ok_or_else(|| self.error("bad LONG argument"))?;
                    self.push_leaf(value);
                }
                b'J' => {
                    let n = i32::from_le_bytes(self.le()?);
                    self.push_leaf(Value::Int(n as i64));
                }
                b'K' => {
                    let n = self.le::<1>()?[0];
                    self.push_leaf(Value::Int(n as i64));
                }
                b'M' => {
                    let n = u16::from_le_bytes(self.le()?);
                    self.push_leaf(Value::Int(n as i64));
                }
                0x8a => {
                    let n = self.len_u8()?;
                    let bytes = self.take(n)?;
                    self.push_leaf(Value::int(BigInt::from_signed_bytes_le(bytes)));
                }
                0x8b => {
                    let n = self.len_u32()?;
                    let bytes = self.take(n)?;
                    self.push_leaf(Value::int(BigInt::from_signed_bytes_le(bytes)));
                }
                b'F' => {
                    let text = self.line_str()?;
                    let f = parse_float(text).ok_or_else(|| self.error("bad FLOAT argument"))?;
                    self.push_leaf(Value::Float(f));
                }
                b'G' => {
                    let f = f64::from_be_bytes(self.le()?);
                    self.push_leaf(Value::Float(f));
                }
                b'S' => {
                    let line = self.line()?;
                    let text = decode_string_repr(line).ok_or_else(|| self.error("bad STRING"))?;
                    self.push_leaf(Value::Str(text));
                }
                b'T' | b'U' => {
                    let n = if op == b'T' {
                        self.len_u32()?
                    } else {
                        self.len_u8()?
                    };
                    let bytes = self.take(n)?;
                    let text = std::str::from_utf8(bytes)
                        .ok()
                        .filter(|s| s.is_ascii())
                        .ok_or_else(|| self.error("non-ASCII Python 2 str"))?;
                    self.push_leaf(Value::Str(text.to_string()));
                }
                b'V' => {
                    let line = self.line()?;
                    let text = decode_raw_unicode_escape(line)
                        .ok_or_else(|| self.error("bad UNICODE argument"))?;
                    self.push_leaf(Value::Str(text));
                }
                b'X' | 0x8c | 0x8d => {
                    let n = match op {
                        b'X' => self.len_u32()?,
                        0x8c => self.len_u8()?,
                        _ => self.len_u64()?,
                    };
                    let bytes = self.take(n)?;
                    let text = std::str::from_utf8(bytes).map_err(|_| {
                        self.error("str is not valid UTF-8 (lone surrogates are not supported)")
                    })?;
                    self.push_leaf(Value::Str(text.to_string()));
                }
                b'B' | b'C' | 0x8e | 0x96 => {
                    let n = match op {
                        b'B' => self.len_u32()?,
                        b'C' => self.len_u8()?,
                        _ => self.len_u64()?,
                    };
                    let bytes = self.take(n)?;
                    self.push_leaf(Value::Bytes(bytes.to_vec()));
                }
                b']' => self.push(Node::List(Vec::new())),
                b')' => self.push(Node::Tuple(Vec::new())),
                b'}' => self.push(Node::Dict(Vec::new())),
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push(Node::List(items));
                }
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Node::Tuple(items));
                }
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    self.push(Node::Tuple(items));
                }
                b'd' => {
                    let items = self.pop_mark()?;
                    self.push(Node::Dict(Vec::new()));
                    let dict = self.top()?;
                    self.set_items(dict, items)?;
                }
                b'a' => {
                    let item = self.pop()?;
                    let list = self.top()?;
                    self.append(list, vec![item])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    let list = self.top()?;
                    self.append(list, items)?;
                }
                b's' => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    let dict = self.top()?;
                    self.set_items(dict, vec![key, value])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let dict = self.top()?;
                    self.set_items(dict, items)?;
                }
                b'p' => {
                    let idx = self
                        .line_str()?
                        .parse()
                        .map_err(|_| self.error("bad PUT"))?;
                    self.memo_put(idx)?;
                }
                b'q' => {
                    let idx = self.le::<1>()?[0] as u64;
                    self.memo_put(idx)?;
                }
                b'r' => {
                    let idx = u32::from_le_bytes(self.le()?) as u64;
                    self.memo_put(idx)?;
                }
                0x94 => {
                    let idx = self.memo.len() as u64;
                    self.memo_put(idx)?;
                }
                b'g' => {
                    let idx = self
                        .line_str()?
                        .parse()
                        .map_err(|_| self.error("bad GET"))?;
                    self.memo_get(idx)?;
                }
                b'h' => {
                    let idx = self.le::<1>()?[0] as u64;
                    self.memo_get(idx)?;
                }
                b'j' => {
                    let idx = u32::from_le_bytes(self.le()?) as u64;
                    self.memo_get(idx)?;
                }
                b'c' => {
                    let module = self.line_str()?;
                    let name = self.line_str()?;
                    let global = self.resolve(module, name)?;
                    self.push(Node::Global(global));
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Node::Leaf(Value::Str(module)), Node::Leaf(Value::Str(name))) =
                        (&self.arena[module], &self.arena[name])
                    else {
                        return Err(self.error("STACK_GLOBAL needs two str"));
                    };
                    let global = self.resolve(&module.clone(), &name.clone())?;
                    self.push(Node::Global(global));
                }
                b'R' => {
                    let args = self.pop()?;
                    let func = self.pop()?;
                    let node = self.reduce(func, args)?;
                    self.push(node);
                }
                _ => {
                    return Err(self.error(format!(
                        "opcode 0x{op:02x} is outside redisadv's payload model"
                    )));
                }
            }
        }
    }

    fn resolve(&self, module: &str, name: &str) -> Result<Global, DecodeError> {
        match (module, name) {
            ("_codecs", "encode") => Ok(Global::CodecsEncode),
            ("__builtin__" | "builtins", "bytes") => Ok(Global::Bytes),
            ("dogpile.cache.api", "CachedValue") => Ok(Global::CachedValue),
            _ => Err(self.error(format!("global {module}.{name} is not allowed"))),
        }
    }

    fn reduce(&self, func: Id, args: Id) -> Result<Node, DecodeError> {
        let (Node::Global(global), Node::Tuple(args)) = (&self.arena[func], &self.arena[args])
        else {
            return Err(self.error("REDUCE needs a known global and a tuple"));
        };
        let leaf = |id: Id| match &self.arena[id] {
            Node::Leaf(v) => Some(v),
            _ => None,
        };
        match (global, args.as_slice()) {
            (Global::CachedValue, [payload, meta]) => Ok(Node::Cached(*payload, *meta)),
            (Global::Bytes, []) => Ok(Node::Leaf(Value::Bytes(Vec::new()))),
            (Global::CodecsEncode, [text, encoding]) => match (leaf(*text), leaf(*encoding)) {
                (Some(Value::Str(text)), Some(Value::Str(enc)))
                    if enc == "latin1" || enc == "latin-1" =>
                {
                    let bytes: Option<Vec<u8>> =
                        text.chars().map(|c| u8::try_from(c as u32).ok()).collect();
                    bytes
                        .map(|b| Node::Leaf(Value::Bytes(b)))
                        .ok_or_else(|| self.error("latin1 text out of range"))
                }
                _ => Err(self.error("unsupported _codecs.encode arguments")),
            },
            _ => Err(self.error("unsupported REDUCE")),
        }
    }

    fn to_value(&self, id: Id, depth: usize, budget: &mut usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        *budget = budget
            .checked_sub(1)
            .ok_or_else(|| self.error("too many shared references to expand"))?;
        let convert = |ids: &Vec<Id>, budget: &mut usize| -> Result<Vec<Value>, DecodeError> {
            ids.iter()
                .map(|i| self.to_value(*i, depth + 1, budget))
                .collect()
        };
        Ok(match &self.arena[id] {
            Node::Leaf(v) => {
                let len = match v {
                    Value::Bytes(b) => b.len(),
                    Value::Str(s) => s.len(),
                    _ => 0,
                };
                *budget = budget
                    .checked_sub(len)
                    .ok_or_else(|| self.error("too many shared references to expand"))?;
                v.clone()
            }
            Node::List(ids) => Value::List(convert(ids, budget)?),
            Node::Tuple(ids) => Value::Tuple(convert(ids, budget)?),
            Node::Dict(pairs) => {
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    out.push((
                        self.to_value(*k, depth + 1, budget)?,
                        self.to_value(*v, depth + 1, budget)?,
                    ));
                }
                Value::Dict(out)
            }
            Node::Global(_) | Node::Cached(..) => {
                return Err(self.error("a class object or nested CachedValue is not a payload"));
            }
        })
    }
}

fn parse_int(text: &str) -> Option<Value> {
    match text.parse::<i64>() {
        Ok(n) => Some(Value::Int(n)),
        Err(_) => text.parse::<BigInt>().ok().map(Value::int),
    }
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        "nan" => Some(f64::NAN),
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// Protocol 0 STRING: a quoted Python 2 str repr, decoded as ASCII.
fn decode_string_repr(line: &[u8]) -> Option<String> {
    let inner = match line {
        [q, inner @ .., q2] if (q == &b'\'' || q == &b'"') && q == q2 => inner,
        _ => return None,
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        i += 1;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let esc = *inner.get(i)?;
        i += 1;
        match esc {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'\\' | b'\'' | b'"' => out.push(esc),
            b'x' => {
                let hex = std::str::from_utf8(inner.get(i..i + 2)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b'0'..=b'7' => {
                let mut n = (esc - b'0') as u32;
                for _ in 0..2 {
                    match inner.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            n = n * 8 + (d - b'0') as u32;
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(u8::try_from(n).ok()?);
            }
            _ => {
                out.push(b'\\');
                out.push(esc);
            }
        }
    }
    String::from_utf8(out).ok().filter(|s| s.is_ascii())
}

/// Protocol 0 UNICODE: raw-unicode-escape, where only `\uXXXX` and `\UXXXXXXXX` are escapes
/// and every other byte is a Latin-1 character.
fn decode_raw_unicode_escape(line: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        let width = match (b, line.get(i + 1)) {
            (b'\\', Some(b'u')) => 4,
            (b'\\', Some(b'U')) => 8,
            _ => 0,
        };
        if width == 0 {
            out.push(b as char);
            i += 1;
            continue;
        }
        let hex = std::str::from_utf8(line.get(i + 2..i + 2 + width)?).ok()?;
        out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
        i += 2 + width;
    }
    Some(out)
}
