//! Named server engines (Redis 8.x, Valkey 8-9) built from Debian's source packages into a
//! cache directory, so that a scenario or `--engine` can name one instead of a path.
//!
//! Debian 12 ships only Redis 7.0, and binaries from Debian's newer suites need a newer glibc,
//! so the engines are built here from the newer suites' *source* packages (see install.rs).

mod apt;
mod install;

pub use install::{InstallOptions, install};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The environment variable that moves the engine cache (tests, CI caches).
pub const ENGINES_DIR_ENV: &str = "REDISADV_ENGINES_DIR";

/// One engine redisadv knows how to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineSpec {
    /// What users type: `redis-8.6`.
    pub name: &'static str,
    /// Debian's source package.
    pub package: &'static str,
    /// Upstream versions that qualify; the newest one the suites offer is built.
    pub version_prefix: &'static str,
    /// The server binary the build leaves in `src/`.
    pub binary: &'static str,
    /// Redis or Valkey, as reports name the server.
    pub server: &'static str,
}

/// The engines `engines install` builds. Debian 12 has no 7.4 source package in any suite
/// (checked: bookworm-backports, trixie, sid, experimental), so 7.4 is not offered.
pub const CATALOG: &[EngineSpec] = &[
    EngineSpec {
        name: "redis-8.6",
        package: "redis",
        version_prefix: "8.6.",
        binary: "redis-server",
        server: "Redis",
    },
    EngineSpec {
        name: "redis-8.0",
        package: "redis",
        version_prefix: "8.0.",
        binary: "redis-server",
        server: "Redis",
    },
    EngineSpec {
        name: "valkey-9.1",
        package: "valkey",
        version_prefix: "9.1.",
        binary: "valkey-server",
        server: "Valkey",
    },
    EngineSpec {
        name: "valkey-8.1",
        package: "valkey",
        version_prefix: "8.1.",
        binary: "valkey-server",
        server: "Valkey",
    },
    EngineSpec {
        name: "valkey-8.0",
        package: "valkey",
        version_prefix: "8.0.",
        binary: "valkey-server",
        server: "Valkey",
    },
];

/// The catalog entry called `name`, or an error that lists the names.
pub fn spec(name: &str) -> anyhow::Result<&'static EngineSpec> {
    CATALOG.iter().find(|s| s.name == name).ok_or_else(|| {
        anyhow::anyhow!(
            "no engine named {name:?}; known engines: {} (`redisadv engines list`)",
            names().join(", ")
        )
    })
}

pub fn names() -> Vec<&'static str> {
    CATALOG.iter().map(|s| s.name).collect()
}

/// Where engines live: `$REDISADV_ENGINES_DIR`, else `$XDG_CACHE_HOME/redisadv/engines`, else
/// `~/.cache/redisadv/engines`.
pub fn cache_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(ENGINES_DIR_ENV) {
        return Ok(PathBuf::from(dir));
    }
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(x) if !x.is_empty() => PathBuf::from(x),
        _ => PathBuf::from(std::env::var_os("HOME").context(
            "neither HOME nor XDG_CACHE_HOME is set; set REDISADV_ENGINES_DIR to a directory",
        )?)
        .join(".cache"),
    };
    Ok(base.join("redisadv").join("engines"))
}

/// What an installed engine's `engine.json` records: where its binary came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub name: String,
    pub server: String,
    /// Debian's source package and version, e.g. `redis 5:8.6.3-1`.
    pub package: String,
    pub package_version: String,
    /// The upstream version the binary reports.
    pub version: String,
    /// The binary, relative to the engine's directory.
    pub binary: String,
    /// How it was built, e.g. `make -j2 (bundled jemalloc)`.
    pub build: String,
    /// Seconds since the epoch when the build finished.
    pub built_at: u64,
}

impl Manifest {
    /// The origin line reports print: `built from Debian source package redis 5:8.6.3-1`.
    pub fn origin(&self) -> String {
        format!(
            "built from Debian source package {} {} ({})",
            self.package, self.package_version, self.build
        )
    }
}

/// An engine found in the cache.
#[derive(Debug, Clone)]
pub struct Installed {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Installed {
    pub fn binary(&self) -> PathBuf {
        self.dir.join(&self.manifest.binary)
    }
}

/// The installed engine `name` in `cache`, if its manifest and binary are there.
pub fn installed_in(cache: &Path, name: &str) -> anyhow::Result<Option<Installed>> {
    let dir = cache.join(name);
    let manifest_path = dir.join("engine.json");
    let text = match std::fs::read_to_string(&manifest_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", manifest_path.display())),
    };
    let manifest: Manifest = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is damaged; remove {} and install the engine again (`redisadv engines \
             install {name} --force`)",
            manifest_path.display(),
            dir.display()
        )
    })?;
    let found = Installed { dir, manifest };
    if !found.binary().exists() {
        return Ok(None);
    }
    verify_binary(&found.binary()).map_err(|why| {
        anyhow::anyhow!(
            "engine {name} in {} is damaged: {why}; install it again with `redisadv engines \
             install {name} --force`",
            found.dir.display()
        )
    })?;
    Ok(Some(found))
}

/// Checks an engine's binary without running it: a regular file, an ELF executable, and as
/// long as its own headers say (the section header table ends an ELF file, so a copy or a
/// download cut short fails here). Written by hand: six header fields are all it needs.
fn verify_binary(binary: &Path) -> Result<(), String> {
    use std::io::Read;
    let shown = binary.display();
    let meta = std::fs::metadata(binary).map_err(|e| format!("{shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a regular file"));
    }
    let mut head = [0u8; 64];
    let read = std::fs::File::open(binary)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| format!("{shown}: {e}"))?;
    if read < 64 || &head[..4] != b"\x7fELF" {
        return Err(format!(
            "{shown} is not an executable (no ELF header; {} bytes)",
            meta.len()
        ));
    }
    // 64-bit little-endian ELF: e_shoff at 0x28, e_shentsize at 0x3A, e_shnum at 0x3C.
    if head[4] != 2 || head[5] != 1 {
        return Ok(());
    }
    let u64_at = |at: usize| u64::from_le_bytes(head[at..at + 8].try_into().expect("8 bytes"));
    let u16_at = |at: usize| u64::from(u16::from_le_bytes([head[at], head[at + 1]]));
    let end = u64_at(0x28).saturating_add(u16_at(0x3A).saturating_mul(u16_at(0x3C)));
    if meta.len() < end {
        return Err(format!(
            "{shown} is truncated: {} bytes, where its ELF headers say at least {end}",
            meta.len()
        ));
    }
    Ok(())
}

/// The binary of the cached engine `name`, for a scenario or `--engine NAME`: an error that
/// says how to install it when it is not there.
pub fn binary_for(name: &str) -> anyhow::Result<Installed> {
    let cache = cache_dir()?;
    match installed_in(&cache, name)? {
        Some(found) => Ok(found),
        None => {
            let hint = match spec(name) {
                Ok(_) => format!("install it with `redisadv engines install {name}`"),
                Err(e) => format!("{e:#}"),
            };
            anyhow::bail!(
                "engine {name:?} is not installed in {}; {hint}",
                cache.display()
            )
        }
    }
}

/// One row of `engines list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListRow {
    pub name: String,
    pub server: String,
    pub status: String,
    pub origin: String,
}

/// Every catalog engine, installed or not, plus the system's redis-server.
pub fn list() -> anyhow::Result<Vec<ListRow>> {
    let cache = cache_dir()?;
    // An interrupted build's staging directory (its owner gone) is removed here too.
    crate::server::stale::sweep(&cache, ".build-");
    let mut rows = Vec::new();
    let system = crate::server::default_binary();
    rows.push(ListRow {
        name: "system".into(),
        server: "Redis".into(),
        status: match crate::server::binary_version(&system) {
            Ok(v) => format!("{v} ({})", system.display()),
            Err(_) => "not found (Debian: apt-get install redis-server)".into(),
        },
        origin: "the redis-server on PATH or $REDISADV_REDIS_SERVER".into(),
    });
    for spec in CATALOG {
        rows.push(match installed_in(&cache, spec.name) {
            // One damaged engine must not hide the others: its row says what is wrong.
            Err(e) => ListRow {
                name: spec.name.into(),
                server: spec.server.into(),
                status: "DAMAGED".into(),
                origin: format!("{e:#}"),
            },
            Ok(Some(found)) => ListRow {
                name: spec.name.into(),
                server: spec.server.into(),
                status: format!("{} ({})", found.manifest.version, found.binary().display()),
                origin: found.manifest.origin(),
            },
            Ok(None) => ListRow {
                name: spec.name.into(),
                server: spec.server.into(),
                status: "not installed".into(),
                origin: format!(
                    "`redisadv engines install {}`: newest {}x of Debian source package {}",
                    spec.name, spec.version_prefix, spec.package
                ),
            },
        });
    }
    Ok(rows)
}
