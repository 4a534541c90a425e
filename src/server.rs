//! A private `redis-server`: a unix socket in a 0700 temporary directory (no TCP port, so no
//! other local user can reach it), no persistence, killed with its whole process group and
//! reaped when dropped, and never outliving redisadv (see [`spawn`]). Cluster nodes, whose
//! bus needs TCP, listen on 127.0.0.1 with a random password only redisadv knows.

mod access;
mod binary;
mod spawn;
pub mod stale;
mod version;
pub use access::Access;
use access::{PASSWORD_FILE, free_port, private_mode, write_password};
use binary::server_not_found;
pub use binary::{SERVER_ENV, binary_version, check_version, default_binary};
pub use version::Version;

use crate::backend::ConnectOptions;
use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
    /// Who may connect; see [`Access`].
    pub access: Access,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            binary: default_binary(),
            config_file: None,
            overrides: Vec::new(),
            startup_timeout: Duration::from_secs(10),
            access: Access::Socket,
        }
    }
}

/// A running private server. Dropping it kills and reaps the process and removes its
/// directory. The process and directory live in a process-wide registry, so that
/// the signal handling (`stop_all`) can remove them when a signal ends the program.
pub struct RedisServer {
    id: u64,
    pid: u32,
    /// 0 when the server has no TCP port ([`Access::Socket`]).
    port: u16,
    dir: PathBuf,
    /// The `requirepass` of an [`Access::Password`] server.
    password: Option<String>,
}

/// A live server's process, guardian and directory.
struct Live {
    id: u64,
    child: Child,
    guardian: spawn::Guardian,
    dir: tempfile::TempDir,
    /// The locked owner marker (see [`stale`]); released when the directory goes.
    _owner: std::fs::File,
}

impl Live {
    /// Retires the guardian first (so it never acts on a reused group id), then kills the
    /// server's whole process group, reaps it, and removes the directory.
    fn stop(mut self) {
        self.guardian.retire();
        spawn::kill_group(&mut self.child);
        // A server that left the group (--daemonize yes, setsid in a wrapper) still works in
        // the directory (redis-server changes into its --dir): stop it too.
        spawn::kill_escaped(self.dir.path());
        drop(self.dir);
    }
}

static LIVE: Mutex<Vec<Live>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
/// Set once a signal is ending the program: no new server may start after `stop_all`.
static STOPPING: AtomicBool = AtomicBool::new(false);
/// Held from a start's first file to its registration in [`LIVE`], and by `stop_all` while
/// it sets [`STOPPING`]: a start is either registered (and stopped) or never begins.
static STARTING: Mutex<()> = Mutex::new(());

/// Settings redisadv owns on every private server; they come after the config file and the
/// overrides so that nothing can change them, and an override naming one is refused (public
/// so that scenario checks can refuse them early, naming the line). What each protects: the
/// server stays inside its directory, on 127.0.0.1, in the foreground (a child redisadv can
/// kill), without persistence, and talking to no one else.
pub const RESERVED: &[&str] = &[
    "port",
    "bind",
    "dir",
    "logfile",
    "pidfile",
    "daemonize",
    "save",
    "appendonly",
    "dbfilename",
    "appendfilename",
    "appenddirname",
    "unixsocket",
    "unixsocketperm",
    "include",
    "replicaof",
    "slaveof",
    "requirepass",
    "masterauth",
];

/// The socket inside the private directory through which readiness identifies the server.
const SOCKET: &str = "redis.sock";
/// `sun_path` holds 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;

fn live() -> std::sync::MutexGuard<'static, Vec<Live>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Kills and reaps every private server still running and removes its directory; servers
/// asked for afterwards are refused (a signal is ending the program).
/// Returns how many were running.
pub fn stop_all() -> usize {
    {
        let _starting = STARTING.lock().unwrap_or_else(|p| p.into_inner());
        STOPPING.store(true, Ordering::SeqCst);
    }
    let mut live = live();
    let count = live.len();
    for server in live.drain(..) {
        server.stop();
    }
    count
}

/// Refuses an override of a setting redisadv owns (see [`RESERVED`]).
fn check_overrides(overrides: &[(String, String)]) -> anyhow::Result<()> {
    for (name, _) in overrides {
        let bare = name.trim_start_matches('-').to_ascii_lowercase();
        if RESERVED.contains(&bare.as_str()) {
            bail!(
                "override {name:?}: redisadv sets {bare} itself on a private redis-server (it \
                 keeps the server on 127.0.0.1, inside its temporary directory, without \
                 persistence and ending with redisadv); remove this override"
            );
        }
    }
    Ok(())
}

impl RedisServer {
    /// Starts a server and waits until the server answering its TCP port is that very
    /// server; retries on another port when the port was taken meanwhile or another server
    /// answers it. The first start in a process removes directories left by a redisadv that
    /// no longer runs.
    pub fn start(options: &ServerOptions) -> anyhow::Result<RedisServer> {
        check_overrides(&options.overrides)?;
        static SWEEP: std::sync::Once = std::sync::Once::new();
        SWEEP.call_once(|| {
            stale::sweep(&std::env::temp_dir(), "redisadv-");
        });
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
        let port = match options.access {
            Access::Socket => 0,
            Access::Password | Access::Open => free_port().map_err(StartError::Other)?,
        };
        let starting = STARTING.lock().unwrap_or_else(|p| p.into_inner());
        if STOPPING.load(Ordering::SeqCst) {
            return Err(StartError::Other(anyhow::anyhow!(
                "interrupted: not starting another redis-server"
            )));
        }
        let dir = tempfile::Builder::new()
            .prefix("redisadv-")
            .tempdir()
            .context("creating a temporary directory for redis-server")
            .map_err(StartError::Other)?;
        private_mode(dir.path()).map_err(StartError::Other)?;
        let owner = stale::mark_owner(dir.path())
            .with_context(|| format!("writing {}", dir.path().join(stale::OWNER_FILE).display()))
            .map_err(StartError::Other)?;
        let password = match options.access {
            Access::Password => Some(
                write_password(dir.path())
                    .context("writing the private server's password file")
                    .map_err(StartError::Other)?,
            ),
            Access::Socket | Access::Open => None,
        };
        let log = dir.path().join("redis.log");
        let socket = dir.path().join(SOCKET);
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(StartError::Other(anyhow::anyhow!(
                "the private redis-server's socket path {} is longer than the {MAX_SOCKET_PATH} \
                 bytes a unix socket allows; set TMPDIR to a shorter directory",
                socket.display()
            )));
        }
        let mut cmd = Command::new(&options.binary);
        if let Some(conf) = &options.config_file {
            cmd.arg(conf);
        }
        cmd.args(["--enable-debug-command", "local"]);
        for (name, value) in &options.overrides {
            cmd.arg(format!("--{name}")).arg(value);
        }
        // Last, so that neither the config file nor an override can change them.
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(dir.path())
            .arg("--logfile")
            .arg(&log)
            .args(["--pidfile", "", "--daemonize", "no"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--unixsocket")
            .arg(&socket)
            .args(["--unixsocketperm", "700"]);
        if password.is_some() {
            cmd.arg("--include").arg(dir.path().join(PASSWORD_FILE));
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let (mut child, guardian) = spawn::spawn_guarded(cmd, dir.path()).map_err(|e| {
            StartError::Other(if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::anyhow!("{}", server_not_found(&options.binary))
            } else {
                anyhow::Error::new(e).context(format!("starting {:?}", options.binary))
            })
        })?;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let stderr = child.stderr.take();
        let _ = stale::mark_group(dir.path(), child.id());
        let server = RedisServer {
            id,
            pid: child.id(),
            port,
            dir: dir.path().to_path_buf(),
            password,
        };
        live().push(Live {
            id,
            child,
            guardian,
            dir,
            _owner: owner,
        });
        drop(starting);
        // On an error `server` drops here, which stops it and removes its directory.
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
        connect.socket_timeout = Some(Duration::from_secs(2));
        loop {
            if let Some(status) = self.exit_status() {
                // A wrapper's children may still hold stderr open: end them before reading.
                if let Some(l) = live().iter().find(|l| l.id == self.id) {
                    spawn::signal_group(&l.child);
                }
                let mut stderr_text = String::new();
                if let Some(mut pipe) = stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr_text);
                }
                let stderr = stderr_text;
                let log = self.last_log_lines(15).join("\n");
                let output = format!("{}\n{}", stderr.trim(), log).trim().to_string();
                let escaped = stale::processes_in(&self.dir);
                if !escaped.is_empty() {
                    return Err(StartError::Other(self.escaped_error(&escaped)));
                }
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
            // Our server answers on the socket inside our private directory; the port is ours
            // only if the same server (same run_id) answers there too.
            let ours = server_identity(&self.socket_options());
            if let Some((_, pid)) = &ours
                && !self.in_our_group(*pid)
            {
                return Err(StartError::Other(self.escaped_error(&[*pid])));
            }
            if self.port == 0
                && let Some((_, _)) = ours
            {
                return Ok(());
            }
            if let Some((ours, _)) = ours
                && let Some((on_port, _)) = server_identity(&connect)
            {
                if on_port == ours {
                    return Ok(());
                }
                return Err(StartError::PortTaken(anyhow::anyhow!(
                    "port {} is answered by another redis-server (run_id {on_port}), not the \
                     one redisadv started (run_id {ours})",
                    self.port
                )));
            }
            if Instant::now() > deadline {
                return Err(StartError::Other(anyhow::anyhow!(
                    "redis-server did not answer INFO on its socket and its port within {:?}; its \
                     log:\n{}",
                    options.startup_timeout,
                    self.last_log_lines(15).join("\n")
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The TCP port; 0 for a socket-only server ([`Access::Socket`]).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether process `pid` (the server's INFO process_id) is the child redisadv started or
    /// in its process group (a wrapper that runs redis-server without `exec`): a stop reaches
    /// it.
    fn in_our_group(&self, pid: u32) -> bool {
        pid == self.pid || stale::process_group(pid) == Some(self.pid)
    }

    fn escaped_error(&self, pids: &[u32]) -> anyhow::Error {
        let pids: Vec<String> = pids.iter().map(u32::to_string).collect();
        anyhow::anyhow!(
            "the private redis-server (process {}) is not the process redisadv started nor in \
             its process group: it was daemonized (daemonize yes) or moved to another session \
             (setsid) by a wrapper, so it could outlive redisadv. It was stopped. Run \
             redis-server in the foreground: a wrapper should end with `exec redis-server \"$@\"`",
            pids.join(", ")
        )
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The exit status once the process has ended (`Some` also when it was stopped).
    fn exit_status(&self) -> Option<std::process::ExitStatus> {
        let live = live();
        match live.iter().find(|l| l.id == self.id) {
            Some(l) => spawn::peek_exit(&l.child),
            None => Some(std::process::ExitStatus::default()),
        }
    }

    /// The private unix socket, which only the server redisadv started can answer.
    fn socket_options(&self) -> ConnectOptions {
        let mut options =
            ConnectOptions::new(format!("unix://{}", self.dir.join(SOCKET).display()));
        options.connect_timeout = Duration::from_millis(500);
        options.socket_timeout = Some(Duration::from_secs(2));
        options.password = self.password.clone();
        options
    }

    /// How redisadv reaches the server: its private socket, or for a cluster node its port
    /// with the password.
    pub fn connect_options(&self) -> ConnectOptions {
        if self.port == 0 {
            let mut options =
                ConnectOptions::new(format!("unix://{}", self.dir.join(SOCKET).display()));
            options.db = Some(0);
            return options;
        }
        let mut options = ConnectOptions::local(self.port);
        options.password = self.password.clone();
        options
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
        // Stop while holding the registry, so that a signal's `stop_all` (and the exit after
        // it) waits for this stop to finish instead of cutting it short.
        let mut live = live();
        if let Some(at) = live.iter().position(|l| l.id == self.id) {
            live.remove(at).stop();
        }
    }
}

/// `run_id` and `process_id` from `INFO server`, if a server answers there.
fn server_identity(options: &ConnectOptions) -> Option<(String, u32)> {
    let mut conn = options.connect().ok()?;
    let info: String = redis::cmd("INFO").arg("server").query(&mut conn).ok()?;
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    Some((field("run_id:")?, field("process_id:")?.parse().ok()?))
}

enum StartError {
    PortTaken(anyhow::Error),
    Other(anyhow::Error),
}
