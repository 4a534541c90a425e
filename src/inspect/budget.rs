//! How gently inspect may read a server: which of its commands exist here (a renamed or
//! disabled command is named, never silently read as zero), whether CLIENT NO-TOUCH keeps
//! the keys' LRU clocks still, how many reply bytes one round trip may cost the server (a
//! reply waiting in the client output buffer counts toward maxmemory), and whether the
//! server evicted a key while inspect read it.

use super::conn::ReadConn;
use crate::backend::resp::Value;

/// Reply bytes one round trip may take when the server sets no maxmemory.
pub const MAX_READ: u64 = 1 << 20;
/// Reply bytes one round trip may always take: they fit the 16 KB reply buffer every client
/// already holds, so they cost the server no new memory.
pub const MIN_READ: u64 = 8 * 1024;
/// The share of the headroom (maxmemory - used_memory) one round trip may take.
pub const HEADROOM_SHARE: u64 = 16;

/// The commands inspect uses that this server has (COMMAND INFO: a renamed or disabled
/// command answers nil there, without an error reply), and NO-TOUCH's state.
#[derive(Debug, Clone)]
pub struct Capabilities {
    pub has_type: bool,
    pub has_object: bool,
    /// CLIENT NO-TOUCH is on for this connection.
    pub no_touch: bool,
    /// Why NO-TOUCH is off, when it is.
    pub touch_cause: Option<String>,
}

impl Capabilities {
    /// Asks COMMAND INFO which commands exist (PTTL and MEMORY are required: their absence
    /// is an error naming them), then turns CLIENT NO-TOUCH on where the engine has it
    /// (Redis 7.2 and later, Valkey); on older engines nothing is sent that would fail.
    pub fn probe(conn: &mut ReadConn) -> anyhow::Result<Capabilities> {
        let names = [
            "pttl", "memory", "type", "object", "client", "hscan", "getrange",
        ];
        let mut cmd = redis::cmd("COMMAND");
        cmd.arg("INFO");
        for n in names {
            cmd.arg(n);
        }
        // A user refused COMMAND (one error reply) is read as having every command; a
        // refusal of one later is then reported by the command itself.
        let present: Vec<bool> = match conn.one(&cmd)? {
            Value::Array(items) if items.len() == names.len() => {
                items.iter().map(|v| !matches!(v, Value::Nil)).collect()
            }
            _ => vec![true; names.len()],
        };
        let has = |n: &str| present[names.iter().position(|x| *x == n).unwrap_or(0)];
        for (name, what) in [
            ("pttl", "which keys have a TTL"),
            ("memory", "every figure in bytes (MEMORY USAGE)"),
        ] {
            if !has(name) {
                anyhow::bail!(
                    "this server has no {} command (renamed or disabled by rename-command): \
                     inspect cannot tell {what}; read a copy instead (inspect --rdb dump.rdb)",
                    name.to_uppercase()
                );
            }
        }
        let server = crate::probe::parse_info(&conn.info("server")?);
        let version = server.get("redis_version").cloned().unwrap_or_default();
        let valkey = server.contains_key("valkey_version");
        let (no_touch, touch_cause) = if !has("client") {
            (false, Some("CLIENT is disabled on this server".to_string()))
        } else if valkey || at_least(&version, 7, 2) {
            match conn.one(redis::cmd("CLIENT").arg("NO-TOUCH").arg("ON"))? {
                Value::Error(e) => (false, Some(format!("CLIENT NO-TOUCH was refused: {e}"))),
                _ => (true, None),
            }
        } else {
            (
                false,
                Some(format!(
                    "Redis {version} has no CLIENT NO-TOUCH (7.2 and later have it): each \
                     value read resets that key's LRU idle time"
                )),
            )
        };
        Ok(Capabilities {
            has_type: has("type"),
            has_object: has("object"),
            no_touch,
            touch_cause,
        })
    }

    /// The figures this server cannot give, each with its cause.
    pub fn unknown(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.has_type {
            out.push(
                "types and values: this server has no TYPE command (renamed or disabled), so \
                 no value was read"
                    .to_string(),
            );
        }
        if !self.has_object {
            out.push(
                "encodings: this server has no OBJECT command (renamed or disabled)".to_string(),
            );
        }
        out
    }
}

/// `version` is at least `major.minor`.
fn at_least(version: &str, major: u64, minor: u64) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let (a, b) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (a, b) >= (major, minor)
}

/// The reply bytes one round trip may take, and the evictions seen when the walk began.
#[derive(Debug, Clone)]
pub struct Budget {
    pub per_read: u64,
    evicted_at_start: u64,
}

impl Budget {
    /// From INFO memory and stats: a sixteenth of the headroom under maxmemory, between
    /// 8 KB and 1 MB; 1 MB when there is no maxmemory.
    pub fn read(conn: &mut ReadConn) -> anyhow::Result<Budget> {
        let memory = crate::probe::parse_info(&conn.info("memory")?);
        let number = |k: &str| {
            memory
                .get(k)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        let (max, used) = (number("maxmemory"), number("used_memory"));
        let per_read = if max == 0 {
            MAX_READ
        } else {
            (max.saturating_sub(used) / HEADROOM_SHARE).clamp(MIN_READ, MAX_READ)
        };
        Ok(Budget {
            per_read,
            evicted_at_start: evicted_keys(conn)?,
        })
    }

    /// Stops the walk once the server has evicted a key since it began.
    pub fn check_evictions(&self, conn: &mut ReadConn, read: u64) -> anyhow::Result<()> {
        let now = evicted_keys(conn)?;
        if now > self.evicted_at_start {
            anyhow::bail!(
                "the server evicted {} key(s) while inspect read it (INFO stats evicted_keys \
                 went from {} to {now}); inspect stopped after {read} keys so as not to add to \
                 the memory pressure. The server is at its maxmemory: read a copy instead \
                 (inspect --rdb dump.rdb), or try again when it has headroom",
                now - self.evicted_at_start,
                self.evicted_at_start,
            );
        }
        Ok(())
    }
}

fn evicted_keys(conn: &mut ReadConn) -> anyhow::Result<u64> {
    let stats = crate::probe::parse_info(&conn.info("stats")?);
    Ok(stats
        .get("evicted_keys")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_compare() {
        assert!(super::at_least("7.2.4", 7, 2));
        assert!(super::at_least("8.6.0", 7, 2));
        assert!(!super::at_least("7.0.15", 7, 2));
    }
}
