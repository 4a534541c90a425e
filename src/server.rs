//! A private `redis-server`: 127.0.0.1 on a free port, a temporary directory, no persistence,
//! ready when it answers PING, killed and reaped when dropped.

use crate::backend::ConnectOptions;
use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The environment variable that names the redis-server binary.
pub const SERVER_ENV: &str = "REDISADV_REDIS_SERVER";

#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The binary; default `$REDISADV_REDIS_SERVER` or `redis-server` from PATH.
    pub binary: PathBuf,
    /// A redis.conf to start from.
    pub config_file: Option<PathBuf>,
    /// `--name value` overrides, applied after the file.
    pub overrides: Vec<(String, String)>,
    /// How long to wait for PING.
    pub startup_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            binary: default_binary(),
            config_file: None,
            overrides: Vec::new(),
            startup_timeout: Duration::from_secs(10),
        }
    }
}

pub fn default_binary() -> PathBuf {
    std::env::var_os(SERVER_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("redis-server"))
}

/// A running private server. Dropping it kills and reaps the process and removes its
/// directory. The process and directory live in a process-wide registry, so that
/// [`crate::cleanup::on_signals`] can remove them when a signal ends the program.
pub struct RedisServer {
    id: u64,
    pid: u32,
    port: u16,
    dir: PathBuf,
}

/// A live server's process and directory.
struct Live {
    id: u64,
    child: Child,
    dir: tempfile::TempDir,
}

static LIVE: Mutex<Vec<Live>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn live() -> std::sync::MutexGuard<'static, Vec<Live>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Kills and reaps every private server still running and removes its directory.
pub fn stop_all() {
    for mut server in live().drain(..) {
        let _ = server.child.kill();
        let _ = server.child.wait();
        drop(server.dir);
    }
}

impl RedisServer {
    /// Starts a server and waits until it answers PING; retries on a port taken meanwhile.
    pub fn start(options: &ServerOptions) -> anyhow::Result<RedisServer> {
        let mut last_error = None;
        for _ in 0..5 {
            match Self::start_once(options) {
                Ok(server) => return Ok(server),
                Err(StartError::PortTaken(e)) => last_error = Some(e),
                Err(StartError::Other(e)) => return Err(e),
            }
        }
        Err(last_error
            .expect("five attempts")
            .context("no free port after five attempts"))
    }

    fn start_once(options: &ServerOptions) -> Result<RedisServer, StartError> {
        let port = free_port().map_err(StartError::Other)?;
        let dir = tempfile::Builder::new()
            .prefix("redisadv-")
            .tempdir()
            .context("creating a temporary directory for redis-server")
            .map_err(StartError::Other)?;
        let log = dir.path().join("redis.log");
        let mut cmd = Command::new(&options.binary);
        if let Some(conf) = &options.config_file {
            cmd.arg(conf);
        }
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(dir.path())
            .arg("--logfile")
            .arg(&log)
            .args(["--daemonize", "no", "--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "local"]);
        for (name, value) in &options.overrides {
            cmd.arg(format!("--{name}")).arg(value);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| {
            StartError::Other(if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::anyhow!(
                    "cannot run {:?}: not found. Install redis-server (Debian: apt-get install \
                     redis-server) or set {SERVER_ENV} to its path",
                    options.binary
                )
            } else {
                anyhow::Error::new(e).context(format!("starting {:?}", options.binary))
            })
        })?;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let stderr = child.stderr.take();
        let server = RedisServer {
            id,
            pid: child.id(),
            port,
            dir: dir.path().to_path_buf(),
        };
        live().push(Live { id, child, dir });
        server.wait_ready(options, stderr)?;
        Ok(server)
    }

    fn wait_ready(
        &self,
        options: &ServerOptions,
        mut stderr: Option<std::process::ChildStderr>,
    ) -> Result<(), StartError> {
        let deadline = Instant::now() + options.startup_timeout;
        let mut connect = self.connect_options();
        connect.connect_timeout = Duration::from_millis(500);
        loop {
            if let Some(status) = self.exit_status() {
                let mut stderr_text = String::new();
                if let Some(mut pipe) = stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr_text);
                }
                let stderr = stderr_text;
                let log = self.last_log_lines(15).join("\n");
                let output = format!("{}\n{}", stderr.trim(), log).trim().to_string();
                if output.contains("Address already in use") {
                    return Err(StartError::PortTaken(anyhow::anyhow!(
                        "port {} taken",
                        self.port
                    )));
                }
                return Err(StartError::Other(anyhow::anyhow!(
                    "redis-server exited ({status}) before it was ready. Check the config file \
                     and the overrides. It said:\n{output}"
                )));
            }
            if let Ok(mut conn) = connect.connect()
                && redis::cmd("PING").query::<String>(&mut conn).is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(StartError::Other(anyhow::anyhow!(
                    "redis-server did not answer PING within {:?}; its log:\n{}",
                    options.startup_timeout,
                    self.last_log_lines(15).join("\n")
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The exit status once the process has ended (`Some` also when it was stopped).
    fn exit_status(&self) -> Option<std::process::ExitStatus> {
        let mut live = live();
        match live.iter_mut().find(|l| l.id == self.id) {
            Some(l) => l.child.try_wait().ok().flatten(),
            None => Some(std::process::ExitStatus::default()),
        }
    }

    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions::local(self.port)
    }

    pub fn connect(&self) -> redis::RedisResult<redis::Connection> {
        self.connect_options().connect()
    }

    /// Whether the process is still running.
    pub fn is_running(&self) -> bool {
        self.exit_status().is_none()
    }

    /// The server log's last `n` lines, for error messages.
    pub fn last_log_lines(&self, n: usize) -> Vec<String> {
        let Ok(file) = std::fs::File::open(self.dir.join("redis.log")) else {
            return Vec::new();
        };
        let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
        lines[lines.len().saturating_sub(n)..].to_vec()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let mine = {
            let mut live = live();
            live.iter()
                .position(|l| l.id == self.id)
                .map(|at| live.remove(at))
        };
        if let Some(mut server) = mine {
            let _ = server.child.kill();
            let _ = server.child.wait();
        }
    }
}

enum StartError {
    PortTaken(anyhow::Error),
    Other(anyhow::Error),
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Reads redis-server's version without starting it: `redis-server --version`.
pub fn binary_version(binary: &Path) -> anyhow::Result<String> {
    let out = Command::new(binary).arg("--version").output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!(
                "cannot run {binary:?}: not found. Install redis-server (Debian: apt-get install \
                 redis-server) or set {SERVER_ENV} to its path"
            )
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
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 7 {
        bail!(
            "{binary:?} is Redis {version}; redisadv needs Redis 7.0 or newer (install a newer \
             redis-server or set {SERVER_ENV})"
        );
    }
    Ok(())
}
