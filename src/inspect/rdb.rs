//! `--rdb FILE`: Redis itself parses the file. A private redis-server that can read the
//! file's RDB version starts empty, a copy of the file goes into its private directory as
//! dump.rdb, and `DEBUG RELOAD NOSAVE` loads it; the original is never opened for writing.

use crate::server::{RedisServer, ServerOptions};
use anyhow::Context;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long loading a large file may take.
const LOAD_LIMIT: Duration = Duration::from_secs(600);

/// The RDB versions Debian's redis-server 7.0 reads; newer files need a newer engine.
const SYSTEM_MAX_VERSION: u32 = 10;

/// A private server holding the file's data.
pub struct Loaded {
    pub server: RedisServer,
    /// The engine that read it: `system` or a cached engine's name.
    pub engine: String,
}

/// The file's format version: `REDIS0011` is 11; Valkey's `VALKEY080` is 80.
pub fn version(path: &Path) -> anyhow::Result<(String, u32)> {
    let mut head = [0u8; 9];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .with_context(|| format!("--rdb {}: cannot read the file", path.display()))?;
    let text = String::from_utf8_lossy(&head);
    let (magic, digits) = if let Some(d) = text.strip_prefix("REDIS") {
        ("REDIS", d)
    } else if let Some(d) = text.strip_prefix("VALKEY") {
        ("VALKEY", d)
    } else {
        anyhow::bail!(
            "--rdb {}: not an RDB file (it starts with {:?}, not REDIS0...); give a dump.rdb \
             written by SAVE, BGSAVE or redis-cli --rdb",
            path.display(),
            text
        );
    };
    let n = digits.parse().with_context(|| {
        format!(
            "--rdb {}: the header {text:?} has no version number",
            path.display()
        )
    })?;
    Ok((magic.to_string(), n))
}

/// Which server binary reads the file: `--engine` when given, else the system
/// redis-server for RDB 10 and older, a cached Redis 8.6 for newer Redis files and a cached
/// Valkey 9.1 for Valkey's.
pub fn choose(path: &Path, engine: Option<&str>) -> anyhow::Result<(String, PathBuf)> {
    let (magic, version) = version(path)?;
    let name = match engine {
        Some(name) => name.to_string(),
        None if magic == "VALKEY" => "valkey-9.1".into(),
        None if version > SYSTEM_MAX_VERSION => "redis-8.6".into(),
        None => "system".into(),
    };
    if name == "system" {
        return Ok((name, crate::server::default_binary()));
    }
    let installed = crate::engines::binary_for(&name).with_context(|| {
        format!(
            "--rdb {}: RDB version {version} needs a newer server than the system's \
             redis-server (which reads up to version {SYSTEM_MAX_VERSION})",
            path.display()
        )
    })?;
    Ok((name, installed.binary()))
}

/// Refuses anything but a regular file, saying what it is: a directory, a FIFO (reading one
/// would wait for a writer), a device (which may never end) or a missing path.
pub fn check_regular(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let shown = path.display();
    let kind = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => return Ok(()),
        Ok(m) => {
            let t = m.file_type();
            if t.is_dir() {
                "a directory"
            } else if t.is_fifo() {
                "a FIFO (named pipe)"
            } else if t.is_char_device() {
                "a character device"
            } else if t.is_block_device() {
                "a block device"
            } else if t.is_socket() {
                "a socket"
            } else {
                "not a regular file"
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "no such file",
        Err(e) => anyhow::bail!("--rdb {shown}: cannot read it: {e}"),
    };
    let is = if kind == "no such file" { "" } else { "is " };
    anyhow::bail!(
        "--rdb {shown}: {is}{kind}; give the path of an RDB file (a regular file such as \
         dump.rdb)"
    )
}

/// Starts the server and loads a copy of the file into it.
pub fn load(path: &Path, engine: Option<&str>) -> anyhow::Result<Loaded> {
    check_regular(path)?;
    let (engine, binary) = choose(path, engine)?;
    let server = RedisServer::start(&ServerOptions {
        binary,
        ..ServerOptions::default()
    })?;
    std::fs::copy(path, server.dir().join("dump.rdb")).with_context(|| {
        format!(
            "--rdb {}: copying it into the private server's directory",
            path.display()
        )
    })?;
    let mut options = server.connect_options();
    options.socket_timeout = Some(LOAD_LIMIT);
    let mut conn = options.connect()?;
    redis::cmd("DEBUG")
        .arg("RELOAD")
        .arg("NOSAVE")
        .query::<()>(&mut conn)
        .map_err(|e| {
            let log = server.last_log_lines(5).join("\n");
            anyhow::anyhow!(
                "--rdb {}: the private redis-server ({engine}) could not load it: {e}\n{log}",
                path.display()
            )
        })?;
    let deadline = Instant::now() + LOAD_LIMIT;
    loop {
        let info: String = redis::cmd("INFO").arg("persistence").query(&mut conn)?;
        if crate::probe::parse_info(&info)
            .get("loading")
            .map(String::as_str)
            == Some("0")
        {
            break;
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "--rdb {}: still loading after {LOAD_LIMIT:?}",
                path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Loaded { server, engine })
}
