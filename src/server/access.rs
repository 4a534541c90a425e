//! Who may reach a private server: only its unix socket, or 127.0.0.1 behind a random
//! password only redisadv knows (a cluster's nodes), or open (tests only); and the private
//! directory and password file that keep it so.

use anyhow::Context;
use std::path::Path;

/// How a private server can be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// Only through the unix socket in its 0700 directory: no TCP port at all.
    #[default]
    Socket,
    /// Also on 127.0.0.1 (a cluster's nodes must reach each other), behind a random
    /// `requirepass`/`masterauth` that is never printed and is handed to the server in a
    /// 0600 file inside the 0700 directory (never on its command line, which `ps` shows).
    Password,
    /// On 127.0.0.1 with no password: only for tests, whose servers stand in for a user's
    /// own server reached with `--url`.
    Open,
}

/// The file holding an [`Access::Password`] server's password, read by `--include`.
pub(super) const PASSWORD_FILE: &str = "auth.conf";

/// Makes `dir` 0700 whatever the umask or the temp-file library's default.
pub(super) fn private_mode(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} private (0700)", dir.display()))
}

/// A random password written as `requirepass`/`masterauth` into a 0600 file in `dir`.
pub(super) fn write_password(dir: &Path) -> std::io::Result<String> {
    use rand::RngExt;
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let bytes: [u8; 24] = rand::rng().random();
    let password = hex::encode(bytes);
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(dir.join(PASSWORD_FILE))?;
    file.write_all(format!("requirepass {password}\nmasterauth {password}\n").as_bytes())?;
    Ok(password)
}

/// A free TCP port on 127.0.0.1 for a node that must listen on one.
pub(super) fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}
