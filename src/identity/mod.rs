//! Who an engine is and what it can do, read once per engine (once per `--url`) and carried
//! in every job: its kind, version, allocator and capabilities. Everything that depends on
//! the engine asks this value instead of parsing INFO or a version string again.

use redis::Connection;
use std::collections::HashMap;
use std::fmt;

mod embedding;
pub use crate::server::Version;
pub use embedding::{EMBSTR_MAX, Embedding};

/// The server family, from INFO `server_name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Redis,
    Valkey,
    /// Another server speaking the protocol, by the name it gives.
    Other(String),
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Redis => f.write_str("Redis"),
            Kind::Valkey => f.write_str("Valkey"),
            Kind::Other(name) => f.write_str(name),
        }
    }
}

impl Kind {
    /// `Valkey` when INFO server says `server_name:valkey`; Redis 7-8 print no server_name,
    /// or `redis`.
    pub fn from_info(server: &HashMap<String, String>) -> Kind {
        match server.get("server_name").map(|s| s.to_ascii_lowercase()) {
            Some(n) if n == "valkey" => Kind::Valkey,
            Some(n) if !n.is_empty() && n != "redis" => Kind::Other(n),
            _ => Kind::Redis,
        }
    }
}

/// What an engine can do, as far as redisadv's measurements depend on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Hash field expiration (HEXPIRE): Redis 7.4+, Valkey 9.0+. Asked with COMMAND INFO,
    /// the engine's own answer; from the version when it was not asked.
    pub field_ttl: bool,
    /// INFO memory says the key tables' rehash backlog (`mem_overhead_db_hashtable_rehashing`,
    /// Redis 7.4+ and Valkey 8+); without it settling derives the backlog.
    pub rehash_backlog_field: bool,
    /// Memory per slot in CLUSTER SLOT-STATS (`cluster-slot-stats-enabled mem`): Redis 8.2+.
    pub slot_stats_memory: bool,
    /// The `hash-seed` setting (Valkey 8.1+) and its value when read: `None` when the engine
    /// has no such setting.
    pub hash_seed: Option<String>,
    /// Which strings share one allocation with their object.
    pub embedding: Embedding,
}

/// One engine as redisadv knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub kind: Kind,
    /// Valkey's own `valkey_version` (its `redis_version` is the API level it speaks,
    /// 7.2.4), else `redis_version`, as printed.
    pub version_text: String,
    pub version: Version,
    /// INFO memory `mem_allocator`, e.g. `jemalloc-5.3.0`.
    pub allocator: String,
    pub caps: Capabilities,
}

impl fmt::Display for Identity {
    /// `Valkey 9.1.2`, `Redis 7.0.15`: the engine as users know it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let version = if self.version_text.is_empty() {
            "(unknown version)"
        } else {
            &self.version_text
        };
        write!(f, "{} {version}", self.kind)
    }
}

impl Identity {
    /// From INFO `server` and `memory` alone; capabilities that need a command of their own
    /// (field TTL, hash-seed) follow from the version.
    pub fn from_info(server: &HashMap<String, String>, memory: &HashMap<String, String>) -> Self {
        let kind = Kind::from_info(server);
        let version_text = server
            .get("valkey_version")
            .filter(|_| kind == Kind::Valkey)
            .or_else(|| server.get("redis_version"))
            .cloned()
            .unwrap_or_default();
        let version = Version::parse(&version_text);
        let caps = Capabilities {
            field_ttl: match kind {
                Kind::Redis => version.at_least(7, 4),
                Kind::Valkey => version.at_least(9, 0),
                Kind::Other(_) => false,
            },
            rehash_backlog_field: memory.contains_key("mem_overhead_db_hashtable_rehashing"),
            slot_stats_memory: kind == Kind::Redis && version.at_least(8, 2),
            hash_seed: None,
            embedding: Embedding::of(&kind, version),
        };
        Identity {
            kind,
            version_text,
            version,
            allocator: memory.get("mem_allocator").cloned().unwrap_or_default(),
            caps,
        }
    }

    /// Reads the engine behind `conn`: INFO server and memory, COMMAND INFO HEXPIRE, CONFIG
    /// GET hash-seed. Read-only; ask it before an empty figure, never between the empty and
    /// the loaded one (a CONFIG GET can free 32 B on Redis 7.0).
    pub fn read(conn: &mut Connection) -> anyhow::Result<Identity> {
        let server = crate::probe::info_section(conn, "server")?;
        let memory = crate::probe::info_section(conn, "memory")?;
        let mut identity = Identity::from_info(&server, &memory);
        identity.caps.field_ttl = crate::backend::field_ttl_support(conn)?;
        identity.caps.hash_seed = redis::cmd("CONFIG")
            .arg("GET")
            .arg("hash-seed")
            .query::<Vec<String>>(conn)
            .ok()
            .and_then(|reply| match reply.as_slice() {
                [_, value] => Some(value.clone()),
                _ => None,
            });
        Ok(identity)
    }
}

/// Refuses `variant` (a field-ttl variant) on an engine without hash field expiration,
/// naming the engine, where it is (`what`: a binary, `--url redis://...`) and what to use
/// instead. Nothing has been written when it is asked.
pub fn require_field_ttl(identity: &Identity, variant: &str, what: &str) -> anyhow::Result<()> {
    if identity.caps.field_ttl {
        return Ok(());
    }
    anyhow::bail!(
        "variant {variant:?}: hash_ttl = \"field-ttl\" needs hash field expiration (HEXPIRE), \
         which {identity} ({what}) does not have; it is in {}. Run it on such an engine \
         (`redisadv engines install redis-8.6` or `valkey-9.1`, then point [server] binary or \
         REDISADV_REDIS_SERVER at it), or choose another hash_ttl. Nothing was written",
        crate::backend::FIELD_TTL_ENGINES
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn versions_parse_and_compare() {
        assert_eq!(Version::parse("7.0.15").to_string(), "7.0.15");
        assert!(Version::parse("8.2.0").at_least(8, 2));
        assert!(!Version::parse("8.0.2").at_least(8, 2));
        assert!(Version::parse("10.0").at_least(9, 1));
        assert_eq!(Version::parse(""), Version::default());
        assert_eq!(Version::parse("x.y"), Version::default());
        assert!(Version::parse("7.2.10") > Version::parse("7.2.9"));
    }

    #[test]
    fn valkey_is_named_by_its_own_version() {
        let valkey = Identity::from_info(
            &info(&[
                ("redis_version", "7.2.4"),
                ("server_name", "valkey"),
                ("valkey_version", "9.1.2"),
            ]),
            &info(&[
                ("mem_allocator", "jemalloc-5.3.0"),
                ("mem_overhead_db_hashtable_rehashing", "0"),
            ]),
        );
        assert_eq!(valkey.to_string(), "Valkey 9.1.2");
        assert!(valkey.caps.field_ttl && valkey.caps.rehash_backlog_field);
        assert!(!valkey.caps.slot_stats_memory);
        assert_eq!(valkey.caps.embedding, Embedding::Valkey9);
        let redis = Identity::from_info(&info(&[("redis_version", "7.0.15")]), &info(&[]));
        assert_eq!(redis.to_string(), "Redis 7.0.15");
        assert!(!redis.caps.field_ttl && !redis.caps.rehash_backlog_field);
        let unknown = Identity::from_info(&info(&[]), &info(&[]));
        assert_eq!(unknown.to_string(), "Redis (unknown version)");
    }

    #[test]
    fn slot_memory_is_counted_from_redis_8_2() {
        let c = |server: &str, v: &str| {
            Identity::from_info(
                &info(&[
                    ("server_name", server),
                    ("redis_version", v),
                    ("valkey_version", v),
                ]),
                &info(&[]),
            )
            .caps
            .slot_stats_memory
        };
        assert!(c("redis", "8.6.3"));
        assert!(c("redis", "8.2.0"));
        assert!(!c("redis", "8.0.2"));
        assert!(!c("redis", "7.0.15"));
        assert!(!c("valkey", "9.1.2"));
    }
}
