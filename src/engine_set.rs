//! The engines one bench run measures on. Each is resolved to a binary and identified from
//! its own INFO (server name, version, mem_allocator, how jemalloc is linked) on a short-lived
//! private server before any variant runs, so a missing or broken engine fails the run
//! before the long part, and every job knows which engine it is on.

use crate::report::EngineInfo;
use crate::scenario::{EngineChoice, Scenario};
use crate::server::{self, RedisServer, ServerOptions};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// One engine of the run, ready to start servers.
#[derive(Debug, Clone)]
pub struct Engine {
    pub name: String,
    pub binary: PathBuf,
    /// `[server.overrides]` then the engine's own.
    pub overrides: Vec<(String, String)>,
    /// Server name, version, allocator and origin, as reports record them.
    pub info: EngineInfo,
    /// Who the engine is and what it can do, read once before any job; `None` when its
    /// server could not be asked (each job then reports why).
    pub identity: Option<crate::identity::Identity>,
}

/// The scenario's engines resolved to binaries; no engine listed gives `system` alone.
pub fn resolve(scenario: &Scenario) -> anyhow::Result<Vec<Engine>> {
    let system = || {
        scenario
            .server
            .binary
            .clone()
            .unwrap_or_else(server::default_binary)
    };
    let listed = if scenario.server.engines.is_empty() {
        vec![EngineChoice {
            name: "system".into(),
            binary: None,
            overrides: Vec::new(),
            at: scenario.path.display().to_string(),
        }]
    } else {
        scenario.server.engines.clone()
    };
    listed
        .into_iter()
        .map(|choice| {
            let (binary, origin) = match (&choice.binary, choice.name.as_str()) {
                (Some(path), _) => (path.clone(), origin_of(path)),
                (None, "system") => {
                    let path = system();
                    let origin = origin_of(&path);
                    (path, origin)
                }
                (None, name) => {
                    let found =
                        cached(name).map_err(|e| anyhow::anyhow!("{}: {e:#}", choice.at))?;
                    (found.binary(), found.manifest.origin())
                }
            };
            let mut overrides = scenario.server.overrides.clone();
            overrides.extend(choice.overrides.iter().cloned());
            Ok(Engine {
                info: EngineInfo {
                    name: choice.name.clone(),
                    server: String::new(),
                    version: String::new(),
                    allocator: String::new(),
                    jemalloc: String::new(),
                    origin,
                    binary: binary.display().to_string(),
                },
                name: choice.name,
                binary,
                overrides,
                identity: None,
            })
        })
        .collect()
}

/// The cached engine `name`, or an error saying how to get it: `engines install` for a
/// catalog name, else that the name is neither cached nor `system` and a binary is needed.
fn cached(name: &str) -> anyhow::Result<crate::engines::Installed> {
    let cache = crate::engines::cache_dir()?;
    if let Some(found) = crate::engines::installed_in(&cache, name)? {
        return Ok(found);
    }
    let give = "or give its binary (binary = \"PATH\" in [[server.engine]], --engine NAME=PATH)";
    match crate::engines::spec(name) {
        Ok(_) => anyhow::bail!(
            "engine {name:?} is not installed in {}; install it with `redisadv engines install \
             {name}` and run again, {give}",
            cache.display()
        ),
        Err(_) => anyhow::bail!(
            "engine {name:?} is neither \"system\" nor an engine `redisadv engines install NAME` \
             builds ({}); {give}",
            crate::engines::names().join(", ")
        ),
    }
}

/// Checks the version (7.0 or newer, from `--version`, without starting anything), then
/// starts one private server of `engine` and reads who it is. With `strict` unset (a run on
/// one unnamed server, as before engines) a server that does not start is left for each
/// variant to report, as it always was.
pub fn identify(engine: &mut Engine, config_file: &Path, strict: bool) -> anyhow::Result<()> {
    let name = engine.name.clone();
    let at = |e: anyhow::Error| e.context(format!("engine {name}"));
    let version = server::binary_version(&engine.binary).map_err(at)?;
    server::check_version(&engine.binary, &version).map_err(at)?;
    engine.info.server = "Redis".into();
    engine.info.version = version;
    match read_identity(engine, config_file) {
        Err(e) if strict => Err(at(e)),
        _ => Ok(()),
    }
}

fn read_identity(engine: &mut Engine, config_file: &Path) -> anyhow::Result<()> {
    let started = RedisServer::start(&ServerOptions {
        binary: engine.binary.clone(),
        config_file: Some(config_file.to_path_buf()),
        overrides: engine.overrides.clone(),
        ..ServerOptions::default()
    })?;
    let mut conn = started.connect().context("connecting to read INFO")?;
    let identity = crate::identity::Identity::read(&mut conn)?;
    engine.info.server = identity.kind.to_string();
    engine.info.version = identity.version_text.clone();
    engine.info.allocator = identity.allocator.clone();
    engine.info.jemalloc = jemalloc_linkage(started.pid(), &engine.info.allocator);
    // Unset on an engine that has it: see [`FIXED_HASH_SEED`].
    if identity.caps.hash_seed.as_deref() == Some("") {
        engine
            .overrides
            .push(("hash-seed".into(), FIXED_HASH_SEED.into()));
    }
    engine.identity = Some(identity);
    Ok(())
}

/// The `hash-seed` every server of this engine gets, when it has the setting (Valkey 8.1+)
/// and nothing set it yet. Its key table fills 7-key buckets and adds a 64-byte child bucket
/// when one overflows, so with a random seed per start the dataset figures moved by a few KB
/// from run to run; with one seed they repeat to the byte. Redis 8 has no such setting (its
/// figures still move: a key alone in its bucket needs no 16-byte entry).
/// Any fixed string would do.
pub const FIXED_HASH_SEED: &str = "redisadv";

/// How the running server got its allocator: Debian links the system's libjemalloc (16-byte
/// size classes), upstream builds compile their bundled copy in (8-byte). INFO prints
/// `jemalloc-5.3.0` for both, so the process's mapped libraries tell them apart.
fn jemalloc_linkage(pid: u32, allocator: &str) -> String {
    if !allocator.starts_with("jemalloc") {
        return String::new();
    }
    match std::fs::read_to_string(format!("/proc/{pid}/maps")) {
        Ok(maps) if maps.contains("libjemalloc") => "system".into(),
        Ok(_) => "bundled".into(),
        Err(_) => String::new(),
    }
}

/// Where a binary came from: its Debian package (`dpkg-query -S`) and version, else its path.
fn origin_of(binary: &Path) -> String {
    let resolved = which(binary).unwrap_or_else(|| binary.to_path_buf());
    let real = resolved.canonicalize().unwrap_or(resolved.clone());
    let owner = |path: &Path| {
        let out = std::process::Command::new("dpkg-query")
            .arg("-S")
            .arg(path)
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let package = text.lines().next()?.split(':').next()?.trim().to_string();
        (out.status.success() && !package.is_empty()).then_some(package)
    };
    let Some(package) = owner(&resolved).or_else(|| owner(&real)) else {
        return resolved.display().to_string();
    };
    let version = std::process::Command::new("dpkg-query")
        .args(["-W", "-f", "${Version}", &package])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!(
        "Debian package {package} {version} ({})",
        resolved.display()
    )
}

/// A bare command name looked up on PATH, as `Command` would.
fn which(binary: &Path) -> Option<PathBuf> {
    if binary.components().count() != 1 {
        return Some(binary.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(binary))
        .find(|p| p.is_file())
}
