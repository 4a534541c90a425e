//! The one shared helper for tests that need Redis: a private redis-server on a free port of
//! 127.0.0.1 in a temporary directory, killed and reaped when the guard drops.

use redisadv::server::{RedisServer, ServerOptions};
use std::path::PathBuf;

pub fn project_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A fresh server started from the project's redis.conf.
pub fn redis() -> RedisServer {
    let options = ServerOptions {
        config_file: Some(project_file("redis.conf")),
        ..ServerOptions::default()
    };
    RedisServer::start(&options).expect("redis-server starts (is it installed?)")
}
