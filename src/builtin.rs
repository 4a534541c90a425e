//! The repository's scenarios, shipped inside the binary, so that someone who installed only
//! the binary (`pip install redisadv`, `cargo install`) can run them by name:
//! `redisadv bench --builtin quick`, `redisadv init --from quick`, `redisadv scenarios`.

use anyhow::Context;
use std::path::{Path, PathBuf};

/// One scenario of `scenarios/`, as the repository has it.
pub struct Builtin {
    pub name: &'static str,
    /// What it runs and how long, for `redisadv scenarios`.
    pub summary: &'static str,
    pub text: &'static str,
}

/// The redis.conf every scenario names (`config = "../redis.conf"` in the repository).
pub const REDIS_CONF: &str = include_str!("../redis.conf");

/// The line each repository scenario uses to name its redis.conf, one directory up.
const REPO_CONFIG_LINE: &str = "config = \"../redis.conf\"";
/// The same line once the scenario is written beside its redis.conf.
const BESIDE_CONFIG_LINE: &str = "config = \"redis.conf\"";

macro_rules! builtin {
    ($name:literal, $summary:literal) => {
        Builtin {
            name: $name,
            summary: $summary,
            text: include_str!(concat!("../scenarios/", $name, ".toml")),
        }
    };
}

/// Every scenario of the repository, in the order `redisadv scenarios` lists them.
pub const BUILTINS: &[Builtin] = &[
    builtin!(
        "quick",
        "the plugin demo at scale 0.01: 16 variants x 11,000 records (seconds; the CI gate)"
    ),
    builtin!(
        "all",
        "the plugin demo's table: 16 variants x 1.1 million records (about a minute, 2 cores)"
    ),
    builtin!(
        "profiles",
        "user profiles of about 300 bytes: plain keys against hash buckets, TTL or not"
    ),
    builtin!(
        "sweep-buckets",
        "hash buckets of 64 to 1024 records across the listpack entry limit"
    ),
    builtin!(
        "sweep-listpack",
        "hash-max-listpack-value swept against values of about 300 bytes"
    ),
    builtin!(
        "engines-quick",
        "4 variants at scale 0.01 on the system redis-server and Valkey 9.1 (engines install)"
    ),
    builtin!(
        "engines",
        "the 16 variants at scale 0.1 on Redis 7.0, Redis 8.6 and Valkey 9.1 (engines install)"
    ),
    builtin!(
        "engines-field-ttl",
        "per-field TTL (HEXPIRE) against the per-bucket TTL on Redis 8.6 and Valkey 9.1"
    ),
    builtin!(
        "cluster",
        "plain keys and hash buckets on a private 3-node Redis Cluster, three engines"
    ),
    builtin!(
        "interop",
        "the 16 variants on 1,100 records: what the interop test reads with real dogpile.cache"
    ),
];

/// The built-in scenario `name`, or an error that lists the names.
pub fn find(name: &str) -> anyhow::Result<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name).ok_or_else(|| {
        anyhow::anyhow!(
            "no built-in scenario named {name:?}; the built-in scenarios are {} \
             (`redisadv scenarios` describes them)",
            names()
        )
    })
}

/// The names, comma-separated.
pub fn names() -> String {
    BUILTINS
        .iter()
        .map(|b| b.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Builtin {
    /// The scenario's text as it reads beside its redis.conf (the repository keeps the
    /// redis.conf one directory up; a scenario without the line finds the one beside it).
    pub fn text_beside_conf(&self) -> String {
        self.text.replacen(REPO_CONFIG_LINE, BESIDE_CONFIG_LINE, 1)
    }

    /// Writes the scenario as `dir/NAME.toml` and the redis.conf beside it, and returns the
    /// scenario's path: `bench --builtin` runs it from a private directory.
    pub fn write_to(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        std::fs::write(dir.join("redis.conf"), REDIS_CONF)
            .with_context(|| format!("writing {}", dir.join("redis.conf").display()))?;
        let path = dir.join(format!("{}.toml", self.name));
        std::fs::write(&path, self.text_beside_conf())
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built-in scenario names the repository's redis.conf at most once (or none, and
    /// finds the one beside it), so that written beside its own copy it parses there.
    #[test]
    fn every_builtin_parses_beside_its_redis_conf() {
        let dir = tempfile::tempdir().unwrap();
        for b in BUILTINS {
            assert!(b.text.matches(REPO_CONFIG_LINE).count() <= 1, "{}", b.name);
            assert!(!b.text_beside_conf().contains("../"), "{}", b.name);
            let path = b.write_to(dir.path()).unwrap();
            crate::scenario::Scenario::load(&path).unwrap_or_else(|e| panic!("{}: {e:#}", b.name));
        }
    }

    /// Every file of scenarios/ is built in (a new one must be added to BUILTINS).
    #[test]
    fn every_repository_scenario_is_built_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let stem = path.file_stem().unwrap().to_str().unwrap();
                assert!(
                    find(stem).is_ok(),
                    "scenarios/{stem}.toml is not in BUILTINS"
                );
            }
        }
    }
}
