//! Settling: waiting until a server's memory figure is final (no key table rehashing, no
//! client freed later, used_memory still over polls) before it is read, with the least
//! waiting the proof needs.

use super::{config_number, info, keyspace, memory, number, rehashing};
use redis::Connection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, Instant};

static WARNED_NO_DEBUG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How settling went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settled {
    pub seconds: f64,
    pub polls: u32,
}

/// How a settled figure is proven: used_memory the same over `count` polls `spacing` apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proof {
    count: usize,
    spacing: Duration,
}

impl Proof {
    /// 5 polls 100 ms apart: for a server with clients redisadv does not know (`--url`).
    pub const SHARED: Proof = Proof {
        count: 5,
        spacing: Duration::from_millis(100),
    };

    /// For a private server whose only clients are redisadv's: what the polls guard against
    /// is left to the server's timer (client buffers), so 3 polls 5 timer ticks apart, and
    /// at least 50 ms, prove it as well (50 ms at the benchmark's hz 500, 500 ms at hz 10).
    /// Ask it before the empty figure only: on Redis 7.0 a later CONFIG GET can free 32 B.
    pub fn private(conn: &mut Connection) -> Proof {
        let hz = config_number(conn, "hz").unwrap_or(10).clamp(1, 500);
        Proof {
            count: 3,
            spacing: Duration::from_millis(5_000 / hz).max(Duration::from_millis(50)),
        }
    }

    /// Whether used_memory stays the same over the polls.
    fn holds(self, conn: &mut Connection, polls: &mut u32) -> anyhow::Result<bool> {
        let mut readings = Vec::with_capacity(self.count);
        for i in 0..self.count {
            if i > 0 {
                std::thread::sleep(self.spacing);
            }
            *polls += 1;
            readings.push(memory(conn)?.used_memory);
        }
        Ok(readings.windows(2).all(|w| w[0] == w[1]))
    }
}

/// [`settle_with`] and the [`Proof::SHARED`] proof.
pub fn settle(conn: &mut Connection, db: i64, limit: Duration) -> anyhow::Result<Settled> {
    settle_with(conn, db, limit, Proof::SHARED)
}

/// Waits until no key table is rehashing and then `proof` holds, or fails after `limit`.
/// Nothing rehashes again without writes, and the figure read next comes after the same
/// INFO polls on the empty and the loaded server (a large DEBUG HTSTATS reply right before
/// it would leave the client's buffers in another state).
///
/// `DEBUG HTSTATS` walks the whole key table and blocks Redis meanwhile (about 0.2 s at a
/// million keys), so it is asked once per round, and while a table is rehashing the wait
/// between asks is twice what the ask took, leaving the server time to rehash.
pub fn settle_with(
    conn: &mut Connection,
    db: i64,
    limit: Duration,
    proof: Proof,
) -> anyhow::Result<Settled> {
    let started = Instant::now();
    let mut polls = 0;
    loop {
        if started.elapsed() > limit {
            anyhow::bail!(
                "memory did not settle within {limit:?} (still rehashing or used_memory still \
                 moving); raise hz in redis.conf"
            );
        }
        polls += 1;
        let asked = Instant::now();
        match rehashing(conn, db)? {
            Some(true) => {
                std::thread::sleep((asked.elapsed() * 2).max(Duration::from_millis(100)));
                continue;
            }
            Some(false) => {}
            None if !WARNED_NO_DEBUG.swap(true, std::sync::atomic::Ordering::Relaxed) => {
                crate::ui::say!(
                    "warning: the server refuses DEBUG HTSTATS (enable-debug-command): settling \
                 on used_memory alone, which may still be rehashing"
                )
            }
            None => {}
        }
        if proof.holds(conn, &mut polls)? {
            return Ok(Settled {
                seconds: started.elapsed().as_secs_f64(),
                polls,
            });
        }
    }
}

/// Waits until the server has freed every client but `clients` (the loading connection
/// closes asynchronously: its buffers count until Redis has read its end).
fn clients_down_to(
    conn: &mut Connection,
    clients: u64,
    polls: &mut u32,
    deadline: Instant,
) -> anyhow::Result<()> {
    loop {
        *polls += 1;
        let connected = number(&info(conn, "clients")?, "connected_clients")?;
        if connected <= clients {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "{connected} clients still connected after priming, {clients} expected: \
                 the loading connection did not close"
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The bytes of old bucket arrays the key tables still hold while Redis rehashes them:
/// zero once no table of the server is rehashing. `None` when INFO cannot tell.
///
/// Redis 7.4+ and Valkey 8+ say it (`mem_overhead_db_hashtable_rehashing`). Redis 7.0-7.2
/// do not, but their `used_memory_overhead` counts each table of database `db` as 24 B an
/// entry, 8 B a slot (both arrays while rehashing) and, in the main table, 16 B a key
/// object. After inserts only, a table of `n` entries has `max(4, next_power_of_two(n))`
/// slots and, while rehashing, half as many more. So what the overhead holds beyond the
/// other parts INFO lists and that formula is the backlog, and it must be 0 or one of the
/// old arrays' sums: any other figure (another database holding keys, a server counting
/// otherwise) is `None`.
pub fn rehash_backlog(memory: &HashMap<String, String>, keys: u64, expires: u64) -> Option<u64> {
    if let Some(bytes) = memory.get("mem_overhead_db_hashtable_rehashing") {
        return bytes.parse().ok();
    }
    let field = |name: &str| memory.get(name).and_then(|v| v.parse::<u64>().ok());
    let others = [
        "used_memory_startup",
        "mem_replication_backlog",
        "mem_clients_slaves",
        "mem_clients_normal",
        "mem_cluster_links",
        "mem_aof_buffer",
        "used_memory_scripts",
    ]
    .iter()
    .map(|name| field(name))
    .sum::<Option<u64>>()?;
    let slots = |n: u64| {
        if n == 0 {
            0
        } else {
            n.next_power_of_two().max(4)
        }
    };
    let tables =
        (keys > 0).then(|| keys * 40 + slots(keys) * 8 + expires * 24 + slots(expires) * 8);
    let excess = field("used_memory_overhead")?.checked_sub(others + tables.unwrap_or(0))?;
    let (old_keys, old_expires) = (slots(keys) / 2 * 8, slots(expires) / 2 * 8);
    [0, old_keys, old_expires, old_keys + old_expires]
        .contains(&excess)
        .then_some(excess)
}

/// [`settle_with`] for a server that has only seen inserts since it was empty (priming).
/// On a private server (`clients`: how many connections redisadv keeps) it waits until the
/// loading connection is freed (its buffers count until Redis has read its end). Then it reads the rehash backlog ([`rehash_backlog`]) from INFO every 10 ms, which
/// costs Redis nothing, instead of asking DEBUG HTSTATS, which blocks Redis (and its
/// rehashing) for 0.2 s a million keys. Where INFO cannot tell, it asks DEBUG HTSTATS as
/// [`settle_with`] does.
pub fn settle_after_inserts(
    conn: &mut Connection,
    db: i64,
    clients: Option<u64>,
    proof: Proof,
    limit: Duration,
) -> anyhow::Result<Settled> {
    let started = Instant::now();
    let mut polls = 0;
    if let Some(clients) = clients {
        clients_down_to(conn, clients, &mut polls, started + limit)?;
    }
    let (keys, expires) = keyspace(conn, db)?;
    loop {
        polls += 1;
        match rehash_backlog(&info(conn, "memory")?, keys, expires) {
            None => {
                let rest = settle_with(conn, db, limit.saturating_sub(started.elapsed()), proof)?;
                return Ok(Settled {
                    seconds: started.elapsed().as_secs_f64(),
                    polls: polls + rest.polls,
                });
            }
            Some(0) => break,
            Some(_) if started.elapsed() > limit => anyhow::bail!(
                "the key tables were still rehashing after {limit:?}; raise hz in redis.conf"
            ),
            Some(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    if proof.holds(conn, &mut polls)? {
        return Ok(Settled {
            seconds: started.elapsed().as_secs_f64(),
            polls,
        });
    }
    let rest = settle_with(conn, db, limit.saturating_sub(started.elapsed()), proof)?;
    Ok(Settled {
        seconds: started.elapsed().as_secs_f64(),
        polls: polls + rest.polls,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    fn info(fields: &[(&str, u64)]) -> HashMap<String, String> {
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_rehash_backlog_is_read_or_derived_from_info() {
        // Redis 7.4+ and Valkey say it.
        let newer = info(&[("mem_overhead_db_hashtable_rehashing", 8 << 20)]);
        assert_eq!(super::rehash_backlog(&newer, 1_100_000, 0), Some(8 << 20));
        // Redis 7.0, measured after 1.1 M SET .. EX: both 1 Mi-slot arrays, then none.
        let tables = 1_100_000 * 40 + (2 << 20) * 8 + 1_100_000 * 24 + (2 << 20) * 8;
        let redis70 = |excess: u64| {
            info(&[
                (
                    "used_memory_overhead",
                    876_224 + 200 + 2_048 + tables + excess,
                ),
                ("used_memory_startup", 876_224),
                ("used_memory_scripts", 200),
                ("mem_clients_normal", 2_048),
                ("mem_clients_slaves", 0),
                ("mem_replication_backlog", 0),
                ("mem_cluster_links", 0),
                ("mem_aof_buffer", 0),
            ])
        };
        let backlog = |excess| super::rehash_backlog(&redis70(excess), 1_100_000, 1_100_000);
        assert_eq!(backlog(16 << 20), Some(16 << 20));
        assert_eq!(backlog(8 << 20), Some(8 << 20));
        assert_eq!(backlog(0), Some(0));
        // Anything else (keys in another database, another formula) cannot be told.
        assert_eq!(backlog(4_096), None);
        let mut partial = redis70(0);
        partial.remove("mem_aof_buffer");
        assert_eq!(super::rehash_backlog(&partial, 1_100_000, 1_100_000), None);
    }
}
