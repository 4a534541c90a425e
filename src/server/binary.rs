//! Which redis-server binary runs, and its version read without starting it.

use super::Version;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable that names the redis-server binary.
pub const SERVER_ENV: &str = "REDISADV_REDIS_SERVER";

/// `$REDISADV_REDIS_SERVER`, or `redis-server` from PATH.
pub fn default_binary() -> PathBuf {
    std::env::var_os(SERVER_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("redis-server"))
}

/// What to do when there is no server to start: redisadv runs its own private redis-server,
/// and a pip or cargo install brings none, so the sentence gives the one command that does.
pub(super) fn server_not_found(binary: &Path) -> String {
    let what = if binary.components().count() == 1 {
        format!("{binary:?} is not on PATH")
    } else {
        format!("cannot run {binary:?}: not found")
    };
    format!(
        "{what}; redisadv starts a private redis-server (7.0 or later) for every run. Install \
         one with one command: `sudo apt-get install redis-server` (Debian, Ubuntu; `brew \
         install redis` on macOS), or build Valkey (Debian) with `redisadv \
         engines install valkey-9.1` (needs make and a C compiler) and add `--engine \
         valkey-9.1`; or set {SERVER_ENV} to a redis-server binary"
    )
}

/// Reads redis-server's version without starting it: `redis-server --version`.
pub fn binary_version(binary: &Path) -> anyhow::Result<String> {
    let out = Command::new(binary)
        .arg("--version")
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::anyhow!("{}", server_not_found(binary))
            } else {
                anyhow::Error::new(e).context(format!("running {binary:?} --version"))
            }
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix("v="))
        .with_context(|| format!("{binary:?} --version printed no version: {text:?}"))?;
    Ok(version.to_string())
}

/// Fails unless `version` is at least 7.0, which the benchmark's redis.conf needs.
pub fn check_version(binary: &Path, version: &str) -> anyhow::Result<()> {
    if !Version::parse(version).at_least(7, 0) {
        bail!(
            "{binary:?} is Redis {version}; redisadv needs Redis 7.0 or newer (install a newer \
             redis-server or set {SERVER_ENV})"
        );
    }
    Ok(())
}
