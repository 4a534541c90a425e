//! What the read workload does: `read = { ... }` in a scenario, `bench --read` and its
//! `--read-*` flags, checked with errors that name the file and line or the flag.

use serde::Deserialize;
use toml::Spanned;

/// The read workload of every variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadSettings {
    /// Connections kept busy at once (redis-benchmark's `-c`).
    pub connections: usize,
    /// Calls in flight per connection, sent in one write (redis-benchmark's `-P`).
    pub pipeline: usize,
    /// Calls per phase: `ops` gets, then `ops` get_multi calls.
    pub ops: u64,
    /// Keys per get_multi call.
    pub multi: usize,
    /// Seeds the key choice: the same seed reads the same records in every variant.
    pub seed: u64,
}

impl Default for ReadSettings {
    /// redis-benchmark's defaults for connections and pipeline, so the anchor compares with
    /// what its users know.
    fn default() -> ReadSettings {
        ReadSettings {
            connections: 50,
            pipeline: 1,
            ops: 50_000,
            multi: 10,
            seed: 0,
        }
    }
}

/// The most records one phase may ask for (ops x multi): the seeded choice is drawn up
/// front, 8 bytes a record.
const MAX_RECORDS: u64 = 20_000_000;

impl ReadSettings {
    /// What single settings cannot show: ops x multi within [`MAX_RECORDS`].
    pub fn check(&self) -> Result<(), String> {
        let records = self.ops.saturating_mul(self.multi as u64);
        if records > MAX_RECORDS {
            return Err(format!(
                "ops x multi = {} x {} = {records} records per get_multi phase, more than \
                 {MAX_RECORDS}; lower ops or multi",
                self.ops, self.multi
            ));
        }
        Ok(())
    }
}

/// The limits each setting is held to (a bound, not a hope: every connection is a socket and
/// every call in flight a buffer).
const CONNECTIONS: (i64, i64) = (1, 1000);
const PIPELINE: (i64, i64) = (1, 1000);
const OPS: (i64, i64) = (1, 20_000_000);
const MULTI: (i64, i64) = (1, 10_000);

/// `read = { connections = C, pipeline = D, ops = N, multi = K, seed = S }` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReadSettings {
    connections: Option<Spanned<i64>>,
    pipeline: Option<Spanned<i64>>,
    ops: Option<Spanned<i64>>,
    multi: Option<Spanned<i64>>,
    seed: Option<Spanned<i64>>,
}

fn in_range(name: &str, value: i64, (min, max): (i64, i64)) -> Result<i64, String> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{name} must be {min} to {max}, got {value}; {}",
            hint(name)
        ))
    }
}

/// A `--read-*` flag's value checked as the scenario's is: `name` is the setting
/// (connections, pipeline, ops, multi, seed).
pub fn check_setting(name: &str, value: i64) -> Result<i64, String> {
    let range = match name {
        "connections" => CONNECTIONS,
        "pipeline" => PIPELINE,
        "ops" => OPS,
        "multi" => MULTI,
        _ => (0, i64::MAX),
    };
    in_range(name, value, range)
}

/// What a setting is, for a message about it.
pub fn hint(name: &str) -> &'static str {
    match name {
        "connections" => "the connections kept busy at once, as redis-benchmark's -c",
        "pipeline" => "the calls in flight per connection, as redis-benchmark's -P",
        "ops" => "the calls each phase makes",
        "multi" => "the keys per get_multi call",
        _ => "a whole number of at least 0",
    }
}

/// Checks the scenario's `read` table; `at` turns a span into `file:line:col`.
pub fn from_scenario(
    raw: &RawReadSettings,
    at: &dyn Fn(std::ops::Range<usize>) -> String,
) -> anyhow::Result<ReadSettings> {
    let mut settings = ReadSettings::default();
    let check = |field: &Option<Spanned<i64>>, name: &str, range| -> anyhow::Result<_> {
        field
            .as_ref()
            .map(|v| {
                in_range(name, *v.get_ref(), range)
                    .map_err(|m| anyhow::anyhow!("{}: read: {m}", at(v.span())))
            })
            .transpose()
    };
    if let Some(c) = check(&raw.connections, "connections", CONNECTIONS)? {
        settings.connections = c as usize;
    }
    if let Some(p) = check(&raw.pipeline, "pipeline", PIPELINE)? {
        settings.pipeline = p as usize;
    }
    if let Some(n) = check(&raw.ops, "ops", OPS)? {
        settings.ops = n as u64;
    }
    if let Some(k) = check(&raw.multi, "multi", MULTI)? {
        settings.multi = k as usize;
    }
    if let Some(s) = check(&raw.seed, "seed", (0, i64::MAX))? {
        settings.seed = s as u64;
    }
    let whole = raw.ops.as_ref().or(raw.multi.as_ref()).map(|v| v.span());
    settings.check().map_err(|m| match whole {
        Some(span) => anyhow::anyhow!("{}: read: {m}", at(span)),
        None => anyhow::anyhow!("read: {m}"),
    })?;
    Ok(settings)
}

/// What the `--read*` flags ask for (cli/read.rs parses them), laid over the scenario's
/// `read` table by [`ReadOverrides::resolve`].
#[derive(Debug, Default, Clone)]
pub struct ReadOverrides {
    /// `--read`: run the read workload.
    pub read: bool,
    pub read_connections: Option<i64>,
    pub read_pipeline: Option<i64>,
    pub read_ops: Option<i64>,
    pub read_multi: Option<i64>,
    pub read_seed: Option<i64>,
}

impl ReadOverrides {
    /// Whether any flag asks for the read workload.
    pub fn wanted(&self) -> bool {
        self.read
            || self.read_connections.is_some()
            || self.read_pipeline.is_some()
            || self.read_ops.is_some()
            || self.read_multi.is_some()
            || self.read_seed.is_some()
    }

    /// The settings a run uses: the scenario's (if it has a `read` table) under the flags;
    /// `None` when neither asks for reads.
    pub fn resolve(&self, scenario: Option<ReadSettings>) -> anyhow::Result<Option<ReadSettings>> {
        if !self.wanted() && scenario.is_none() {
            return Ok(None);
        }
        let mut s = scenario.unwrap_or_default();
        if let Some(c) = self.read_connections {
            s.connections = c as usize;
        }
        if let Some(p) = self.read_pipeline {
            s.pipeline = p as usize;
        }
        if let Some(n) = self.read_ops {
            s.ops = n as u64;
        }
        if let Some(k) = self.read_multi {
            s.multi = k as usize;
        }
        if let Some(seed) = self.read_seed {
            s.seed = seed as u64;
        }
        s.check()
            .map_err(|m| anyhow::anyhow!("--read-ops/--read-multi: {m}"))?;
        Ok(Some(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<ReadSettings> {
        #[derive(Deserialize)]
        struct Doc {
            read: RawReadSettings,
        }
        let doc: Doc = toml::from_str(text)?;
        from_scenario(&doc.read, &|span| format!("s.toml@{}", span.start))
    }

    #[test]
    fn scenario_settings_and_their_limits() {
        let s = parse("read = { connections = 4, pipeline = 16, ops = 10, multi = 3, seed = 7 }")
            .unwrap();
        assert_eq!(
            s,
            ReadSettings {
                connections: 4,
                pipeline: 16,
                ops: 10,
                multi: 3,
                seed: 7
            }
        );
        assert_eq!(parse("read = {}").unwrap(), ReadSettings::default());
        let e = parse("read = { pipeline = 0 }").unwrap_err().to_string();
        assert!(
            e.contains("s.toml@") && e.contains("pipeline must be 1 to 1000"),
            "{e}"
        );
        assert!(parse("read = { depth = 2 }").is_err());
    }

    #[test]
    fn flags_override_the_scenario() {
        let args = ReadOverrides {
            read_pipeline: Some(8),
            ..ReadOverrides::default()
        };
        assert!(args.wanted());
        let s = args
            .resolve(Some(ReadSettings {
                connections: 3,
                ..ReadSettings::default()
            }))
            .unwrap()
            .unwrap();
        assert_eq!((s.connections, s.pipeline), (3, 8));
        assert_eq!(ReadOverrides::default().resolve(None).unwrap(), None);
        let big = ReadOverrides {
            read_ops: Some(100_000_000),
            ..ReadOverrides::default()
        };
        let e = big.resolve(None).unwrap_err().to_string();
        assert!(e.starts_with("--read-ops/--read-multi: ops x multi"), "{e}");
    }
}
