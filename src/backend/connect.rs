//! Where the backend connects: a redis URL (redis:// or a unix socket), db, credentials and
//! timeouts, so a server that does not answer is an error within the timeout, never a hang.

use anyhow::Context;
use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// A plain socket to the server, for the connections that speak RESP themselves (the
/// loader, inspect, the read workload): connected within the connect timeout, every read and
/// write within the socket timeout.
pub enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Socket {
    pub fn try_clone(&self) -> std::io::Result<Socket> {
        Ok(match self {
            Socket::Tcp(s) => Socket::Tcp(s.try_clone()?),
            Socket::Unix(s) => Socket::Unix(s.try_clone()?),
        })
    }

    /// Bounds each read (None: no bound).
    pub fn set_read_timeout(&self, limit: Option<Duration>) -> std::io::Result<()> {
        match self {
            Socket::Tcp(s) => s.set_read_timeout(limit),
            Socket::Unix(s) => s.set_read_timeout(limit),
        }
    }

    pub fn set_nonblocking(&self, on: bool) -> std::io::Result<()> {
        match self {
            Socket::Tcp(s) => s.set_nonblocking(on),
            Socket::Unix(s) => s.set_nonblocking(on),
        }
    }

    /// Shuts the connection down both ways; later writes fail at once.
    pub fn shutdown(&self) {
        let _ = match self {
            Socket::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
            Socket::Unix(s) => s.shutdown(std::net::Shutdown::Both),
        };
    }

    /// `ip:port` as `CLIENT LIST` shows this client; `None` for a unix socket.
    pub fn client_addr(&self) -> Option<String> {
        match self {
            Socket::Tcp(s) => s
                .local_addr()
                .ok()
                .map(|a| format!("{}:{}", a.ip(), a.port())),
            Socket::Unix(_) => None,
        }
    }

    /// A reading and a writing half on the same connection.
    pub fn split(self) -> std::io::Result<(Box<dyn Read + Send>, Box<dyn Write + Send>)> {
        Ok((Box::new(self.try_clone()?), Box::new(self)))
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.read(buf),
            Socket::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.write(buf),
            Socket::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Socket::Tcp(s) => s.flush(),
            Socket::Unix(s) => s.flush(),
        }
    }
}

impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Socket::Tcp(s) => s.as_raw_fd(),
            Socket::Unix(s) => s.as_raw_fd(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConnectOptions {
    /// `redis://[user:password@]host:port[/db]`, `unix:///path/to/socket[?db=N]`.
    pub url: String,
    /// Overrides the URL's database index.
    pub db: Option<i64>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Limit for connecting and the handshake.
    pub connect_timeout: Duration,
    /// Limit for each read or write afterwards; `None` waits for ever.
    pub socket_timeout: Option<Duration>,
}

impl ConnectOptions {
    pub fn new(url: impl Into<String>) -> ConnectOptions {
        ConnectOptions {
            url: url.into(),
            db: None,
            username: None,
            password: None,
            connect_timeout: Duration::from_secs(5),
            socket_timeout: Some(Duration::from_secs(60)),
        }
    }

    /// A private server on 127.0.0.1.
    pub fn local(port: u16) -> ConnectOptions {
        ConnectOptions::new(format!("redis://127.0.0.1:{port}/0"))
    }

    pub fn connection_info(&self) -> redis::RedisResult<ConnectionInfo> {
        let mut info = self.url.as_str().into_connection_info()?;
        let mut settings = info.redis_settings().clone();
        if let Some(db) = self.db {
            settings = settings.set_db(db);
        }
        if let Some(user) = &self.username {
            settings = settings.set_username(user);
        }
        if let Some(password) = &self.password {
            settings = settings.set_password(password);
        }
        info = info.set_redis_settings(settings);
        Ok(info)
    }

    pub fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let started = std::time::Instant::now();
        let client = redis::Client::open(self.connection_info()?)?;
        let conn = client
            .get_connection_with_timeout(self.connect_timeout)
            .map_err(|e| {
                self.explain_timeout(
                    e,
                    started,
                    "the replies to the connection's handshake (AUTH, SELECT, CLIENT SETINFO)",
                    self.connect_timeout,
                )
            })?;
        conn.set_read_timeout(self.socket_timeout)?;
        conn.set_write_timeout(self.socket_timeout)?;
        Ok(conn)
    }

    /// A [`Socket`] to the server (TCP with no delay, or unix).
    pub fn open_socket(&self) -> anyhow::Result<Socket> {
        let info = self.connection_info()?;
        let opened = match info.addr() {
            ConnectionAddr::Tcp(host, port) => {
                let addr = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), *port))?
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("{host}:{port} does not resolve"))?;
                TcpStream::connect_timeout(&addr, self.connect_timeout).and_then(|s| {
                    s.set_nodelay(true)?;
                    s.set_read_timeout(self.socket_timeout)?;
                    s.set_write_timeout(self.socket_timeout)?;
                    Ok(Socket::Tcp(s))
                })
            }
            ConnectionAddr::Unix(path) => UnixStream::connect(path).and_then(|s| {
                widen_send_buffer(&s);
                s.set_read_timeout(self.socket_timeout)?;
                s.set_write_timeout(self.socket_timeout)?;
                Ok(Socket::Unix(s))
            }),
            _ => anyhow::bail!("TLS connections are not supported"),
        };
        opened.with_context(|| format!("cannot connect to {}", self.describe()))
    }

    /// What a [`Socket`] sends first: AUTH and SELECT as the options say.
    pub fn handshake(&self) -> anyhow::Result<Vec<redis::Cmd>> {
        let settings = self.connection_info()?.redis_settings().clone();
        let mut hello = Vec::new();
        if let Some(password) = settings.password() {
            let mut auth = redis::cmd("AUTH");
            if let Some(user) = settings.username() {
                auth.arg(user);
            }
            auth.arg(password);
            hello.push(auth);
        }
        if settings.db() != 0 {
            hello.push(redis::cmd("SELECT").arg(settings.db()).clone());
        }
        Ok(hello)
    }

    /// A timeout said plainly instead of "Resource temporarily unavailable (os error 11)":
    /// which server, what was waited for, for how long. Still a timeout (an io error of
    /// kind TimedOut), so retries and cleanups treat it as before.
    pub fn explain_timeout(
        &self,
        e: redis::RedisError,
        started: std::time::Instant,
        waited_for: &str,
        limit: Duration,
    ) -> redis::RedisError {
        if !e.is_timeout() {
            return e;
        }
        std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            timeout_text(&self.describe(), started.elapsed(), waited_for, limit),
        )
        .into()
    }

    /// `host:port` or the socket path, for messages; never the password.
    pub fn describe(&self) -> String {
        match self.connection_info().map(|i| i.addr().clone()) {
            Ok(ConnectionAddr::Tcp(host, port)) => format!("{host}:{port}"),
            Ok(ConnectionAddr::Unix(path)) => path.display().to_string(),
            _ => redact(&self.url),
        }
    }

    /// Checks the URL before anything connects: a scheme this build speaks and a URL the
    /// client parses, with a message that says what to write instead. `flag` names the
    /// option (`--url`); the password never appears in the message.
    pub fn check(&self, flag: &str) -> anyhow::Result<()> {
        let shown = redact(&self.url);
        let scheme = self
            .url
            .split_once("://")
            .map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("redis" | "unix" | "redis+unix") => {}
            Some("rediss") => anyhow::bail!(
                "{flag} {shown}: rediss:// (TLS) is not supported by this redisadv build; use \
                 redis://HOST:PORT/DB or unix:///path/to/socket (for a TLS-only server, through \
                 a local tunnel such as stunnel)"
            ),
            Some(other) => anyhow::bail!(
                "{flag} {shown}: {other}:// is not a Redis URL; the accepted schemes are \
                 redis://HOST:PORT/DB, rediss:// (TLS, not in this build) and \
                 unix:///path/to/socket"
            ),
            None => anyhow::bail!(
                "{flag} {shown}: not a URL; write redis://HOST:PORT/DB or unix:///path/to/socket"
            ),
        }
        if let Err(e) = self.connection_info() {
            let why = e.detail().unwrap_or("it did not parse");
            // The client's detail could quote the URL: never with its password.
            let why = match password_of(&self.url) {
                Some(p) if !p.is_empty() => why.replace(p, "***"),
                _ => why.to_string(),
            };
            anyhow::bail!(
                "{flag} {shown}: not a valid Redis URL ({why}); write \
                 redis://[USER:PASSWORD@]HOST:PORT/DB"
            );
        }
        Ok(())
    }
}

/// What a timeout message says: the server, how long it was silent, what was waited for,
/// and the limit for each read.
pub fn timeout_text(server: &str, elapsed: Duration, waited_for: &str, limit: Duration) -> String {
    format!(
        "the server at {server} did not answer for {:.1} s while redisadv waited for {waited_for} \
         (each read may wait {} s); it may be stopped, overloaded or busy with a long command, \
         or the address may not be a Redis server",
        elapsed.as_secs_f64(),
        limit.as_secs_f64()
    )
}

/// The password part of a URL's userinfo, if any.
fn password_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    // As in [`redact`]: the userinfo ends at the last '@'.
    let userinfo = &rest[..rest.rfind('@')?];
    Some(userinfo.split_once(':')?.1)
}

/// A URL as messages and reports may show it: `redis://user:***@host:port/db`. The one
/// redaction for every place a target is printed or stored. The userinfo ends at the *last*
/// '@' (a password may hold '@', ':', '/' or '%' unencoded; a database path never holds
/// '@'), and a unix URL's `pass=` parameter is hidden too.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        // Not a URL: it could be anything, a password included.
        return if url.contains('@') || url.contains("pass") {
            "***".to_string()
        } else {
            url.to_string()
        };
    };
    let shown = match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}:***@{}", &rest[at + 1..])
        }
        None => url.to_string(),
    };
    hide_pass_parameter(&shown)
}

/// `?pass=secret` or `&pass=secret` (redis-rs's unix URL password) as `pass=***`.
fn hide_pass_parameter(url: &str) -> String {
    let Some(query_at) = url.find('?') else {
        return url.to_string();
    };
    let (head, query) = url.split_at(query_at + 1);
    let parts: Vec<String> = query
        .split('&')
        .map(|part| match part.split_once('=') {
            Some((name, _)) if name.eq_ignore_ascii_case("pass") => format!("{name}=***"),
            _ => part.to_string(),
        })
        .collect();
    format!("{head}{}", parts.join("&"))
}

/// A unix socket's send buffer defaults to net.core.wmem_default (208 KB), against
/// loopback TCP's autotuned megabytes: a loader writing 64 KB pieces then blocks on every
/// few writes, and on two cores each wake-up costs Redis its core (priming measured
/// 1.2-1.6 s over the socket against 1.0-1.1 s over TCP for the same variant). Ask for
/// 4 MB; the kernel caps it at net.core.wmem_max, and a refusal only keeps the default.
fn widen_send_buffer(socket: &UnixStream) {
    use std::os::fd::AsRawFd;
    let size: libc::c_int = 4 << 20;
    // SAFETY: setsockopt on an open descriptor with a pointer to a c_int of the given size.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{ConnectOptions, redact};

    #[test]
    fn passwords_never_shown() {
        assert_eq!(redact("redis://u:secret@h:1/0"), "redis://u:***@h:1/0");
        assert_eq!(redact("rediss://:secret@h:1"), "rediss://:***@h:1");
        assert_eq!(redact("redis://u:se@cret@h:1/0"), "redis://u:***@h:1/0");
        assert_eq!(redact("redis://h:1/0"), "redis://h:1/0");
        assert_eq!(redact("redis://u:p/a@ss@h:1/0"), "redis://u:***@h:1/0");
        assert_eq!(redact("redis://:Zq7@Kx:Vy%Wu@h:1"), "redis://:***@h:1");
        assert_eq!(
            redact("unix:///run/r.sock?db=1&pass=s3cr3t"),
            "unix:///run/r.sock?db=1&pass=***"
        );
        for url in [
            "http://u:secret@h",
            "rediss://u:secret@h:1",
            "redis://u:secret@h:1/x",
        ] {
            let err = ConnectOptions::new(url).check("--url").unwrap_err();
            assert!(!format!("{err:#}").contains("secret"), "{err:#}");
        }
        ConnectOptions::new("redis://u:secret@127.0.0.1:1/0")
            .check("--url")
            .unwrap();
    }
}
