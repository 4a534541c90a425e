//! Hash field expiration (`hash_ttl = "field-ttl"`): whether the server has it (the
//! refusal, before anything is written, is `identity::require_field_ttl`). Redis added it in 7.4 and Valkey
//! in 9.0; older engines would answer the plan's HEXPIRE with an error after the HSETs
//! already landed, leaving a half-written, TTL-less dataset.

use anyhow::Context;
use redis::Connection;

/// The engines that have hash field expiration, for messages.
pub const SUPPORTED: &str = "Redis 7.4+ and Valkey 9.0+";

/// Whether the server knows HEXPIRE (the command the field-ttl plan sends): `COMMAND INFO`
/// answers nil for a command the server does not have.
pub fn field_ttl_support(conn: &mut Connection) -> anyhow::Result<bool> {
    let reply: Vec<redis::Value> = redis::cmd("COMMAND")
        .arg("INFO")
        .arg("HEXPIRE")
        .query(conn)
        .context("COMMAND INFO HEXPIRE (to see whether the server has hash field expiration)")?;
    Ok(matches!(reply.first(), Some(v) if *v != redis::Value::Nil))
}
