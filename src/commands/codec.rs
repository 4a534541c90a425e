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
        let d = codec::detect(&bytes, args.codec, args.envelope).map_err(|e| e.to_string())?;
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
    use crate::backend::{Backend, BackendConfig, ConnectOptions};
    use crate::dataset::Key;
    let mut config = BackendConfig::new(args.format.format());
    config.version = args.version;
    // Read-only: the field policy would delete expired buckets on read.
    config.hash_ttl = crate::backend::HashTtl::Never;
    let mut options = ConnectOptions::new(args.url.clone());
    options.check("--url")?;
    crate::commands::secret::apply_password(&mut options, args.password_file.as_deref())?;
    let mut backend = Backend::connect(&options, config)
        .with_context(|| format!("--url: cannot reach {}", options.describe()))?;
    let names: Vec<String> = if args.keys.is_empty() {
        std::io::stdin()
            .lock()
            .lines()
            .collect::<Result<_, _>>()
            .context("reading keys from stdin")?
    } else {
        args.keys
    };
    let mut keys = Vec::with_capacity(names.len());
    for name in names.iter().filter(|n| !n.is_empty()) {
        keys.push(match args.layout {
            LayoutArg::Keys => Key::Plain(name.clone()),
            LayoutArg::Hash => {
                let (bucket, field) = name
                    .split_once(',')
                    .with_context(|| format!("--layout hash: {name:?} is not bucket,field"))?;
                Key::hash(bucket, field)
            }
        });
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for chunk in keys.chunks(1000) {
        let values = backend
            .get_multi(chunk)
            .map_err(|e| read_error(e, args.layout))?;
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
    }
    Ok(ExitCode::SUCCESS)
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
