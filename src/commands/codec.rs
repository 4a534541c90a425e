//! `redisadv encode` and `redisadv decode`: line-oriented filters over stdin.

use crate::cli::{DecodeArgs, EncodeArgs, GetArgs, LayoutArg};
use crate::codec::{self, Metadata, StoredMeta, pyfloat, pyliteral};
use anyhow::{Context, bail};
use std::io::{BufRead, Write};
use std::process::ExitCode;

pub fn encode(args: EncodeArgs) -> anyhow::Result<ExitCode> {
    let format = args.format.format();
    let ct = args.ct.unwrap_or_else(crate::backend::now_seconds);
    let meta = Metadata::new(ct, args.version);
    filter_stdin("encoded", |line| {
        let payload = pyliteral::parse(line).map_err(|e| format!("not a Python literal: {e}"))?;
        let bytes = format.encode(&payload, meta).map_err(|e| e.to_string())?;
        Ok(hex::encode(&bytes))
    })
}

pub fn decode(args: DecodeArgs) -> anyhow::Result<ExitCode> {
    filter_stdin("decoded", |line| {
        let bytes = hex::decode(line).map_err(|e| format!("not hex: {e}"))?;
        let d = codec::detect(
            &bytes,
            args.codec.map(Into::into),
            args.envelope.map(Into::into),
        )
        .map_err(|e| e.to_string())?;
        let meta = match d.meta {
            StoredMeta::Metadata(m) => format!("{{'ct': {}, 'v': {}}}", pyfloat::repr(m.ct), m.v),
            StoredMeta::IntTime(t) => t.to_string(),
            StoredMeta::Absent => "None".to_string(),
        };
        Ok(format!(
            "codec={} envelope={} metadata={} payload={}",
            d.codec,
            d.envelope,
            meta,
            pyliteral::repr(&d.payload)
        ))
    })
}

/// Prints `convert` of each non-empty stdin line; a line that fails, or is not UTF-8, is
/// reported with its number and the lines after it still run (exit 2 at the end).
fn filter_stdin(
    verb: &str,
    mut convert: impl FnMut(&str) -> Result<String, String>,
) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failures = 0;
    for (lineno, line) in stdin_lines() {
        let result = line?.and_then(|line| match line.trim() {
            "" => Ok(None),
            text => convert(text).map(Some),
        });
        match result {
            Ok(Some(text)) => writeln!(out, "{text}")?,
            Ok(None) => {}
            Err(why) => {
                failures += 1;
                eprintln!("error: stdin line {lineno}: {why}");
            }
        }
    }
    out.flush()?;
    if failures > 0 {
        bail!("{failures} line(s) could not be {verb}; see the messages above");
    }
    Ok(ExitCode::SUCCESS)
}

/// Stdin's lines as bytes, numbered from 1: a line that is not UTF-8 is an `Err` naming the
/// first bad byte, and the lines after it still come (`BufRead::lines` would stop there).
fn stdin_lines() -> impl Iterator<Item = (usize, anyhow::Result<Result<String, String>>)> {
    std::io::stdin()
        .lock()
        .split(b'\n')
        .enumerate()
        .map(|(idx, line)| {
            let lineno = idx + 1;
            let line = line.with_context(|| format!("reading stdin line {lineno}"));
            (
                lineno,
                line.map(|mut bytes| {
                    if bytes.last() == Some(&b'\r') {
                        bytes.pop();
                    }
                    String::from_utf8(bytes).map_err(|e| {
                        let at = e.utf8_error().valid_up_to();
                        format!(
                            "not UTF-8 (byte 0x{:02x} at column {}); line skipped",
                            e.as_bytes()[at],
                            at + 1
                        )
                    })
                }),
            )
        })
}

/// `redisadv get`: reads through the backend, never writes.
pub fn get(args: GetArgs) -> anyhow::Result<ExitCode> {
    use crate::backend::{Backend, BackendConfig};
    use crate::dataset::Key;
    let mut config = BackendConfig::new(args.format.format());
    config.version = args.version;
    // Read-only: the field policy would delete expired buckets on read.
    config.hash_ttl = crate::backend::HashTtl::Never;
    let options = args.server.require()?.connect;
    let mut backend = Backend::connect(&options, config)
        .with_context(|| format!("--url: cannot reach {}", options.describe()))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut batch: Vec<Key> = Vec::with_capacity(GET_BATCH);
    let mut read_batch = |batch: &mut Vec<Key>, out: &mut std::io::StdoutLock| {
        let started = std::time::Instant::now();
        let values = backend.get_multi(batch).map_err(|e| match e {
            crate::backend::BackendError::Redis(e) if e.is_timeout() => anyhow::anyhow!(
                "reading from Redis: {}",
                options.explain_timeout(
                    e,
                    started,
                    &format!("the values of {} keys", batch.len()),
                    options.socket_timeout.unwrap_or_default(),
                )
            ),
            e => read_error(e, args.layout),
        })?;
        batch.clear();
        for value in values {
            match value {
                Some(v) => writeln!(
                    out,
                    "{}\t{{'ct': {}, 'v': {}}}",
                    pyliteral::repr(&v.payload),
                    pyfloat::repr(v.metadata.ct),
                    v.metadata.v
                )?,
                None => writeln!(out, "None")?,
            }
        }
        // Each batch's answers go out before the next names are read: a stream of names
        // gets its answers as it goes.
        out.flush()?;
        anyhow::Ok(())
    };
    let add = |name: &str, batch: &mut Vec<Key>| -> anyhow::Result<()> {
        if name.is_empty() {
            return Ok(());
        }
        batch.push(match args.layout {
            LayoutArg::Keys => Key::Plain(name.to_string()),
            LayoutArg::Hash => {
                let (bucket, field) = name
                    .split_once(',')
                    .with_context(|| format!("--layout hash: {name:?} is not bucket,field"))?;
                Key::hash(bucket, field)
            }
        });
        Ok(())
    };
    if !args.keys.is_empty() {
        for name in &args.keys {
            add(name, &mut batch)?;
            if batch.len() == GET_BATCH {
                read_batch(&mut batch, &mut out)?;
            }
        }
    } else {
        let mut stdin = std::io::stdin().lock();
        let mut line = Vec::new();
        let mut lineno = 0usize;
        while let Some(name) = next_key_line(&mut stdin, &mut line, &mut lineno)? {
            add(name, &mut batch)?;
            if batch.len() == GET_BATCH {
                read_batch(&mut batch, &mut out)?;
            }
        }
    }
    if !batch.is_empty() {
        read_batch(&mut batch, &mut out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Keys read per round trip by `get`.
const GET_BATCH: usize = 1000;

/// The longest key name `get` takes on a stdin line: far above any key name in use, and a
/// bound on what one line can cost (stdin may be a stream that never sends a newline).
const MAX_KEY_LINE: u64 = 1 << 20;

/// The next stdin line as a key name (without its line end), or `None` at the end; an
/// error names the line when it is longer than [`MAX_KEY_LINE`] or not UTF-8.
fn next_key_line<'l, R: BufRead>(
    input: &mut R,
    line: &'l mut Vec<u8>,
    lineno: &mut usize,
) -> anyhow::Result<Option<&'l str>> {
    line.clear();
    *lineno += 1;
    let n = <&mut R as std::io::Read>::take(input, MAX_KEY_LINE + 2)
        .read_until(b'\n', line)
        .with_context(|| format!("reading stdin line {lineno}"))?;
    if n == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    if line.len() as u64 > MAX_KEY_LINE {
        bail!(
            "stdin line {lineno}: longer than {MAX_KEY_LINE} bytes (1 MiB) without a line end; \
             give one key name per line"
        );
    }
    std::str::from_utf8(line)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("stdin line {lineno}: the key name is not UTF-8 ({e})"))
}

/// A read error with what to do about it: WRONGTYPE under `--layout keys` is most often a
/// hash bucket written by the hash layout.
fn read_error(err: crate::backend::BackendError, layout: LayoutArg) -> anyhow::Error {
    use crate::backend::{BackendError, redis_errors};
    let BackendError::Redis(redis) = &err else {
        return err.into();
    };
    let brief = redis_errors::brief(redis);
    if !redis_errors::is_wrong_type(redis) {
        return anyhow::anyhow!("reading from Redis: {brief}");
    }
    match layout {
        LayoutArg::Keys => anyhow::anyhow!(
            "reading from Redis: {brief}. A key holds another type than a string value: if it \
             is a hash bucket (the hash layout), read it with --layout hash and KEY as \
             bucket,field"
        ),
        LayoutArg::Hash => anyhow::anyhow!(
            "reading from Redis: {brief}. A bucket is not a hash: if the values are plain \
             keys, read them with --layout keys"
        ),
    }
}
