//! `[[server.engine]]` and `bench --engine`: the server builds a scenario runs every variant
//! on. Names are checked here (so a typo fails before any server starts, naming the line);
//! a cached engine's binary is looked up when the run starts (`bench`), so that `commands`
//! and `explain` still read a scenario whose engines are not installed on this machine.

use super::Scenario;
use super::validate::overrides;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEngine {
    name: Spanned<String>,
    binary: Option<Spanned<String>>,
    #[serde(default)]
    overrides: std::collections::BTreeMap<String, Spanned<toml::Value>>,
}

/// One engine a run measures on.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineChoice {
    /// What reports call it: `redis-8.6`, `system`, or any name given with a binary.
    pub name: String,
    /// A binary path; `None`: `system` (the `[server] binary`, `$REDISADV_REDIS_SERVER` or
    /// PATH) or the cached engine called `name`.
    pub binary: Option<PathBuf>,
    /// `[server.engine.overrides]`, applied after `[server.overrides]` and before the
    /// variant's.
    pub overrides: Vec<(String, String)>,
    /// Where it was given: `file:line:col` or `--engine`, for errors.
    pub at: String,
}

impl EngineChoice {
    /// `--engine NAME` (a cached engine or `system`) or `--engine NAME=PATH`.
    pub fn from_flag(text: &str) -> anyhow::Result<EngineChoice> {
        let (name, binary) = match text.split_once('=') {
            Some((_, "")) => anyhow::bail!(
                "--engine {text}: no path after `=`; give --engine NAME=PATH, or --engine NAME \
                 for a cached engine (`redisadv engines list`)"
            ),
            Some((n, p)) => (n, Some(PathBuf::from(p))),
            None => (text, None),
        };
        check_name(name).map_err(|m| anyhow::anyhow!("--engine {text}: {m}"))?;
        Ok(EngineChoice {
            name: name.to_string(),
            binary,
            overrides: Vec::new(),
            at: format!("--engine {text}"),
        })
    }
}

/// Engine names appear in reports, CSV cells and `compare`'s `engine/variant` keys.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(format!(
            "engine name {name:?} must be letters, digits, '-', '_' or '.' (e.g. redis-8.6)"
        ));
    }
    Ok(())
}

/// Checks the names (well formed, unique) and makes binary paths relative to the scenario.
pub(super) fn parse(
    raw: &[RawEngine],
    dir: &Path,
    at: &dyn Fn(std::ops::Range<usize>) -> String,
) -> anyhow::Result<Vec<EngineChoice>> {
    let mut engines: Vec<EngineChoice> = Vec::new();
    for e in raw {
        let name = e.name.get_ref();
        let here = at(e.name.span());
        check_name(name).map_err(|m| anyhow::anyhow!("{here}: [[server.engine]]: {m}"))?;
        if engines.iter().any(|o| &o.name == name) {
            anyhow::bail!(
                "{here}: [[server.engine]] {name:?} is listed twice; engine names must be unique"
            );
        }
        let binary = match &e.binary {
            Some(b) if b.get_ref().is_empty() => anyhow::bail!(
                "{}: [[server.engine]] {name:?}: binary is empty; give a path, or leave it out \
                 for a cached engine",
                at(b.span())
            ),
            Some(b) => Some(dir.join(b.get_ref())),
            None => None,
        };
        engines.push(EngineChoice {
            name: name.clone(),
            binary,
            overrides: overrides(
                &e.overrides,
                &format!("[[server.engine]] {name:?} overrides"),
                at,
            )?,
            at: here,
        });
    }
    Ok(engines)
}

/// `engine_baseline` must name a listed engine (or `system` when none is listed).
pub(super) fn check_baseline(
    raw: Option<&Spanned<String>>,
    engines: &[EngineChoice],
    at: &dyn Fn(std::ops::Range<usize>) -> String,
) -> anyhow::Result<Option<String>> {
    let Some(b) = raw else { return Ok(None) };
    let name = b.get_ref();
    if engines.iter().any(|e| &e.name == name) || (engines.is_empty() && name == "system") {
        return Ok(Some(name.clone()));
    }
    let listed: Vec<&str> = engines.iter().map(|e| e.name.as_str()).collect();
    anyhow::bail!(
        "{}: engine_baseline {name:?} names no [[server.engine]] (engines: {})",
        at(b.span()),
        if listed.is_empty() {
            "none listed; only \"system\"".to_string()
        } else {
            listed.join(", ")
        }
    )
}

impl Scenario {
    /// `bench --engine`: replaces the scenario's engines. An `engine_baseline` not among
    /// them gives way to the first.
    pub fn set_engines(&mut self, engines: Vec<EngineChoice>) -> anyhow::Result<()> {
        for (i, e) in engines.iter().enumerate() {
            if engines[..i].iter().any(|o| o.name == e.name) {
                anyhow::bail!(
                    "--engine {}: engine named twice; give each --engine its own name",
                    e.name
                );
            }
        }
        if let Some(b) = &self.engine_baseline
            && !engines.iter().any(|e| &e.name == b)
        {
            self.engine_baseline = None;
        }
        self.server.engines = engines;
        Ok(())
    }
}
