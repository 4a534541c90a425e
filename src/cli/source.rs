//! The source group of the commands that read a server (`get`, `inspect`, `whatif`):
//! `--url` (default `$REDISADV_URL`), `--password-file` (else the URL's, else
//! `$REDISADV_PASSWORD`) and `--db`; inspect and whatif add `--rdb` and the scan's pace.
//! Only read: `bench --url`, which writes, never takes the URL from the environment
//! (cli/bench.rs).

use super::heading;
use crate::backend::ConnectOptions;
use clap::Args;
use std::path::PathBuf;

/// A server to read: `--url`, `--password-file`, `--db`.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = heading::SOURCE)]
pub struct ServerArgs {
    /// The server: redis://[USER:PASSWORD@]HOST:PORT/DB or unix:///path. Only read.
    /// Default: $REDISADV_URL (which `ps` does not show, unlike the command line).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The password, on the first line of FILE (else the URL's, else $REDISADV_PASSWORD),
    /// so that `ps` never shows it.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// The database to read (default 0, or the one --url names; a --url naming another
    /// database is refused).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(0..=1_000_000))]
    pub db: Option<i64>,
}

/// A resolved `--url`: where to connect (password and database applied), the database,
/// and the URL without its password, for reports and messages.
#[derive(Debug, Clone)]
pub struct Server {
    pub connect: ConnectOptions,
    pub db: i64,
    pub redacted: String,
}

impl ServerArgs {
    /// `--url` or `$REDISADV_URL`, with its password and database; `None` when neither
    /// names a server.
    pub fn resolve(&self) -> anyhow::Result<Option<Server>> {
        let Some(url) = super::secret::url_or_env(self.url.as_deref()) else {
            return Ok(None);
        };
        let mut connect = ConnectOptions::new(url.as_str());
        connect.check("--url")?;
        super::secret::apply_password(&mut connect, self.password_file.as_deref())?;
        let url_db = connect.connection_info()?.redis_settings().db();
        let db = match self.db {
            Some(db) if db != url_db && url_names_db(&url) => anyhow::bail!(
                "--db {db}: the --url names database {url_db}; give one of them (or the same \
                 number in both)"
            ),
            Some(db) => {
                connect.db = Some(db);
                db
            }
            None => url_db,
        };
        Ok(Some(Server {
            connect,
            db,
            redacted: crate::backend::redact(&url),
        }))
    }

    /// [`ServerArgs::resolve`] for a command that needs a server.
    pub fn require(&self) -> anyhow::Result<Server> {
        self.resolve()?.ok_or_else(|| {
            anyhow::anyhow!(
                "give --url redis://HOST:PORT/DB (or set {})",
                super::secret::URL_ENV
            )
        })
    }
}

/// The URL has a path naming a database (`redis://host:port/3`), or `?db=` for a socket.
fn url_names_db(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    if url.starts_with("unix:") {
        return rest.contains("db=");
    }
    rest.split_once('/')
        .is_some_and(|(_, path)| !path.trim_matches('/').is_empty())
}

/// Where `inspect` and `whatif` read keys: a live server or an RDB file.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// An RDB file (dump.rdb): streamed with bounded memory; each pattern's sample is
    /// restored into a private redis-server and measured there.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["url", "password_file"], help_heading = heading::SOURCE)]
    pub rdb: Option<PathBuf>,
    /// With --rdb: load the whole file into a private redis-server instead of streaming it
    /// (needs as much memory as the data).
    #[arg(long, requires = "rdb", help_heading = heading::SOURCE)]
    pub load: bool,
    /// With --rdb: the engine that reads it (system, or a cached engine such as
    /// redis-8.6); default: chosen by the file's RDB version.
    #[arg(long, requires = "rdb", value_name = "NAME", help_heading = heading::SOURCE)]
    pub engine: Option<String>,
    /// SCAN COUNT: keys asked for per page.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000), help_heading = heading::SOURCE)]
    pub count: u64,
    /// At most this many commands a second, so a production server is not hurt (0: no
    /// limit; default 100000 with --url, no limit on --rdb's private server).
    #[arg(long, value_name = "N", help_heading = heading::SOURCE)]
    pub max_ops: Option<u64>,
}

impl SourceArgs {
    /// `--rdb` without `--load`: the file is streamed, not loaded into a server.
    pub fn streams_rdb(&self) -> bool {
        self.rdb.is_some() && !self.load
    }
}

#[cfg(test)]
mod tests {
    use super::url_names_db;

    #[test]
    fn a_url_names_a_database_by_its_path_or_db_parameter() {
        assert!(url_names_db("redis://h:1/3"));
        assert!(url_names_db("redis://u:p@h:1/0"));
        assert!(!url_names_db("redis://h:1"));
        assert!(!url_names_db("redis://h:1/"));
        assert!(url_names_db("unix:///tmp/s?db=2"));
        assert!(!url_names_db("unix:///tmp/s"));
    }
}
