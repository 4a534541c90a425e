//! Hash field expiration (`hash_ttl = "field-ttl"`): whether the server has it, and the
//! refusal, before anything is written, when it does not. Redis added it in 7.4 and Valkey
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

/// The engine and its version as users know it: `Valkey 9.1.2` (Valkey reports a
/// Redis-compatible `redis_version` too, 7.2.4, which would mislead), else `Redis 7.0.15`.
pub fn engine_name(conn: &mut Connection) -> anyhow::Result<String> {
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query(conn)
        .context("INFO server")?;
    Ok(engine_from_info(&info))
}

fn engine_from_info(info: &str) -> String {
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.trim_end().strip_prefix(name)?.strip_prefix(':'))
            .map(str::to_string)
    };
    match (field("server_name").as_deref(), field("valkey_version")) {
        (Some("valkey"), Some(v)) => format!("Valkey {v}"),
        _ => format!(
            "Redis {}",
            field("redis_version").unwrap_or_else(|| "(unknown version)".into())
        ),
    }
}

/// Refuses `variant` (a field-ttl variant) on a server without hash field expiration,
/// naming the engine and version and what to use instead. `what` says where the server is
/// (`the private server (/usr/bin/redis-server)`, `--url redis://...`).
pub fn require_field_ttl(conn: &mut Connection, variant: &str, what: &str) -> anyhow::Result<()> {
    if field_ttl_support(conn)? {
        return Ok(());
    }
    let engine = engine_name(conn)?;
    anyhow::bail!(
        "variant {variant:?}: hash_ttl = \"field-ttl\" needs hash field expiration (HEXPIRE), \
         which {engine} ({what}) does not have; it is in {SUPPORTED}. Run it on such an engine \
         (`redisadv engines install redis-8.6` or `valkey-9.1`, then point [server] binary or \
         REDISADV_REDIS_SERVER at it), or choose another hash_ttl. Nothing was written"
    )
}

#[cfg(test)]
mod tests {
    use super::engine_from_info;

    #[test]
    fn valkey_is_named_by_its_own_version() {
        let valkey =
            "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:9.1.2\r\n";
        assert_eq!(engine_from_info(valkey), "Valkey 9.1.2");
        assert_eq!(
            engine_from_info("# Server\r\nredis_version:7.0.15\r\n"),
            "Redis 7.0.15"
        );
    }
}
