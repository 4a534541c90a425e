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
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failures = 0;
    for (idx, line) in std::io::stdin().lock().lines().enumerate() {
        let lineno = idx + 1;
        let line = line.with_context(|| format!("reading stdin line {lineno}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let result = pyliteral::parse(&line)
            .map_err(|e| format!("not a Python literal: {e}"))
            .and_then(|payload| format.encode(&payload, meta).map_err(|e| e.to_string()));
        match result {
            Ok(bytes) => writeln!(out, "{}", hex::encode(&bytes))?,
            Err(why) => {
                failures += 1;
                eprintln!("error: stdin line {lineno}: {why}");
            }
        }
    }
    out.flush()?;
    if failures > 0 {
        bail!("{failures} line(s) could not be encoded; see the messages above");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn decode(args: DecodeArgs) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failures = 0;
    for (idx, line) in std::io::stdin().lock().lines().enumerate() {
        let lineno = idx + 1;
        let line = line.with_context(|| format!("reading stdin line {lineno}"))?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let result = hex::decode(text)
            .map_err(|e| format!("not hex: {e}"))
            .and_then(|bytes| {
                codec::detect(&bytes, args.codec, args.envelope).map_err(|e| e.to_string())
            });
        match result {
            Ok(d) => {
                let meta = match d.meta {
                    StoredMeta::Metadata(m) => {
                        format!("{{'ct': {}, 'v': {}}}", pyfloat::repr(m.ct), m.v)
                    }
                    StoredMeta::IntTime(t) => t.to_string(),
                    StoredMeta::Absent => "None".to_string(),
                };
                writeln!(
                    out,
                    "codec={} envelope={} metadata={} payload={}",
                    d.codec,
                    d.envelope,
                    meta,
                    pyliteral::repr(&d.payload)
                )?;
            }
            Err(why) => {
                failures += 1;
                eprintln!("error: stdin line {lineno}: {why}");
            }
        }
    }
    out.flush()?;
    if failures > 0 {
        bail!("{failures} line(s) could not be decoded; see the messages above");
    }
    Ok(ExitCode::SUCCESS)
}

/// `redisadv get`: reads through the backend, never writes.
pub fn get(args: GetArgs) -> anyhow::Result<ExitCode> {
    use crate::backend::{Backend, BackendConfig, ConnectOptions};
    use crate::dataset::Key;
    let mut config = BackendConfig::new(args.format.format());
    config.version = args.version;
    // Read-only: the field policy would delete expired buckets on read.
    config.hash_ttl = crate::backend::HashTtl::Never;
    let options = ConnectOptions::new(args.url.clone());
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
        for value in backend.get_multi(chunk)? {
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
