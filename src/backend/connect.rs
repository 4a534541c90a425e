//! Where the backend connects: a redis URL (redis:// or a unix socket), db, credentials and
//! timeouts, so a server that does not answer is an error within the timeout, never a hang.

use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo};
use std::time::Duration;

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
        let client = redis::Client::open(self.connection_info()?)?;
        let conn = client.get_connection_with_timeout(self.connect_timeout)?;
        conn.set_read_timeout(self.socket_timeout)?;
        conn.set_write_timeout(self.socket_timeout)?;
        Ok(conn)
    }

    /// `host:port` or the socket path, for messages.
    pub fn describe(&self) -> String {
        match self.connection_info().map(|i| i.addr().clone()) {
            Ok(ConnectionAddr::Tcp(host, port)) => format!("{host}:{port}"),
            Ok(ConnectionAddr::Unix(path)) => path.display().to_string(),
            _ => self.url.clone(),
        }
    }
}
