//! Where a server's URL and password come from besides argv, which `ps` shows every local
//! user: `$REDISADV_URL`, `$REDISADV_PASSWORD` and `--password-file`.

use crate::backend::ConnectOptions;
use anyhow::Context;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The URL a reading command (inspect, whatif, get) uses when `--url` is not given.
pub const URL_ENV: &str = "REDISADV_URL";
/// The password alone, for a `--url` without one.
pub const PASSWORD_ENV: &str = "REDISADV_PASSWORD";

/// `--url`, else `$REDISADV_URL` (set and not empty).
pub fn url_or_env(flag: Option<&str>) -> Option<String> {
    flag.map(str::to_string)
        .or_else(|| std::env::var(URL_ENV).ok().filter(|u| !u.is_empty()))
}

/// Gives `options` its password: `--password-file`'s first line, else the URL's own, else
/// `$REDISADV_PASSWORD`. The password never appears in a message.
pub fn apply_password(options: &mut ConnectOptions, file: Option<&Path>) -> anyhow::Result<()> {
    if let Some(path) = file {
        options.password = Some(read_password_file(path)?);
        return Ok(());
    }
    let in_url = options
        .connection_info()
        .ok()
        .is_some_and(|i| i.redis_settings().password().is_some());
    if !in_url && let Ok(password) = std::env::var(PASSWORD_ENV) {
        if password.is_empty() {
            anyhow::bail!("${PASSWORD_ENV} is set but empty; unset it or give the password");
        }
        options.password = Some(password);
    }
    Ok(())
}

/// The password in `path`: its first line, without the line ending.
fn read_password_file(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "--password-file {}: cannot read it (a file holding the password on its first line)",
            path.display()
        )
    })?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        anyhow::bail!(
            "--password-file {}: the first line is empty; write the password on it",
            path.display()
        );
    }
    // Read anyway (a mounted secret may be 0644 by default), but said: every local user
    // can read this password, as they could in `ps`.
    if let Ok(meta) = std::fs::metadata(path)
        && meta.is_file()
        && meta.permissions().mode() & 0o004 != 0
    {
        eprintln!(
            "warning: --password-file {}: every local user can read it (mode {:o}); \
             `chmod o-r {}` keeps the password from them",
            path.display(),
            meta.permissions().mode() & 0o7777,
            path.display()
        );
    }
    Ok(line.to_string())
}
