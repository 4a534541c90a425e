//! How much memory a variant's records will take on a server redisadv did not start, before
//! anything is written: a pass over the encoded records with Redis's per-key costs, compared
//! with what the server has left below its maxmemory. Going over would evict other
//! applications' keys or make Redis answer them OOM errors, so it is refused.

use crate::backend::{BackendConfig, HashTtl};

/// What one field's TTL may add (see [`project`]'s field-ttl case).
const FIELD_TTL_BYTES: u64 = 48;
use super::budget::{self, CgroupLimit, DEFAULT_BUDGET};
use crate::dataset::{Dataset, Key, Layout};
use crate::probe;
use crate::report::human_bytes;
use std::collections::HashMap;

/// The projection is the estimate plus this share of it, plus [`SLACK`].
const MARGIN_PERCENT: u64 = 25;
/// Room for the loading connection's buffers and the server's own growth meanwhile.
const SLACK: u64 = 1 << 20;

/// What a variant's records are expected to take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    /// Redis keys: plain keys, or hash buckets.
    pub keys: u64,
    /// The estimate of keys, values and Redis's per-key structures.
    pub estimate: u64,
    /// The estimate with the margin: what must fit.
    pub bytes: u64,
}

/// A jemalloc size class at or above `n` (four classes per doubling).
fn alloc(n: u64) -> u64 {
    if n <= 16 {
        return n.max(1).next_multiple_of(8);
    }
    let step = (n.next_power_of_two() / 8).max(16);
    n.next_multiple_of(step)
}

/// An sds string of `len` bytes: header, bytes, terminator.
fn sds(len: u64) -> u64 {
    let header = match len {
        0..256 => 3,
        256..65536 => 5,
        _ => 9,
    };
    alloc(header + len + 1)
}

/// A string value: embedded in its object up to 44 bytes, else an object and an sds.
fn string_object(len: u64) -> u64 {
    if len <= 44 {
        alloc(16 + 3 + len + 1)
    } else {
        16 + sds(len)
    }
}

/// A dict entry (24 bytes, counted as its 32-byte class) and its table slot at the peak of
/// a rehash, when the old table and the new one of twice the size both exist.
fn table(entries: u64) -> u64 {
    entries * 32 + entries.next_power_of_two() * 8 * 3 / 2
}

/// The server's hash thresholds, or Redis's defaults when CONFIG is not allowed.
pub fn listpack_limits(conn: &mut redis::Connection) -> (u64, u64) {
    let get = |conn: &mut redis::Connection, name: &str, default: u64| {
        redis::cmd("CONFIG")
            .arg("GET")
            .arg(name)
            .query::<Vec<String>>(conn)
            .ok()
            .and_then(|v| v.get(1).and_then(|n| n.parse().ok()))
            .unwrap_or(default)
    };
    (
        get(conn, "hash-max-listpack-entries", 128),
        get(conn, "hash-max-listpack-value", 64),
    )
}

/// One hash bucket as the loader fills it.
#[derive(Default)]
struct Bucket {
    key_len: u64,
    fields: u64,
    /// Field and value bytes.
    bytes: u64,
    /// The longest field or value.
    longest: u64,
}

/// Encodes every record of `dataset` as the loader would and adds up what Redis stores.
pub fn project(
    dataset: &Dataset,
    layout: Layout,
    config: &BackendConfig,
    listpack: (u64, u64),
) -> anyhow::Result<Projection> {
    // The loader's own encoder, so the sizes are those of the bytes written.
    let mut stamper = crate::loader::Stamper::new(config)?;
    let mut written = 0u64;
    let plan = config.ttl_plan();
    let mut plain = 0u64;
    let mut estimate = 0u64;
    let mut buckets: HashMap<String, Bucket> = HashMap::new();
    let mut bytes = Vec::with_capacity(256);
    for call in dataset.calls(layout) {
        for (key, payload) in call {
            bytes.clear();
            stamper.encode(written, &payload, &mut bytes)?;
            written += 1;
            let value = bytes.len() as u64;
            match key {
                Key::Plain(k) => {
                    plain += 1;
                    estimate += sds(k.len() as u64) + string_object(value);
                }
                Key::Hash { bucket, field } => {
                    let key_len = bucket.len() as u64;
                    let b = buckets.entry(bucket).or_default();
                    b.key_len = key_len;
                    b.fields += 1;
                    b.bytes += field.len() as u64 + value;
                    b.longest = b.longest.max(field.len() as u64).max(value);
                }
            }
        }
    }
    estimate += table(plain);
    if plan.redis_ttl.is_some() {
        estimate += table(plain);
    }
    for b in buckets.values() {
        let fields = b.fields + u64::from(plan.hash_ttl == HashTtl::Field);
        estimate += sds(b.key_len) + 16;
        if plan.redis_ttl.is_some() && plan.hash_ttl == HashTtl::FieldTtl {
            // Field TTLs: Valkey 9.1 turns the bucket into a hashtable (+42 B/field measured
            // at 100 fields of 48 B), Redis 8 a listpackex (+11); the larger, rounded up.
            estimate += fields * FIELD_TTL_BYTES;
        }
        estimate += if fields <= listpack.0 && b.longest <= listpack.1 {
            // Each entry: its bytes, an encoding byte or two and a back-length byte.
            alloc(7 + b.bytes + 4 * 2 * fields + 1)
        } else {
            // Every field and value its own sds, plus the hash's own table.
            64 + table(fields) + b.bytes + fields * 2 * 16
        };
    }
    let keys = plain + buckets.len() as u64;
    estimate += table(buckets.len() as u64);
    if plan.redis_ttl.is_some() && plan.hash_ttl != HashTtl::Never {
        estimate += table(buckets.len() as u64);
    }
    Ok(Projection {
        keys,
        estimate,
        bytes: estimate + estimate * MARGIN_PERCENT / 100 + SLACK,
    })
}

/// Refuses when `projection` does not fit: below the server's maxmemory; without one,
/// within the budget (`--budget`, else [`DEFAULT_BUDGET`]), because the real limit (a
/// container's) is invisible to INFO; and, for a server on this machine, within what its
/// memory cgroup has left. `what` names the variant and the database for the message.
pub fn check(
    conn: &mut redis::Connection,
    projection: &Projection,
    what: &str,
    budget: Option<u64>,
    loopback: bool,
) -> anyhow::Result<()> {
    let memory = probe::info_section(conn, "memory")?;
    let used = probe::number(&memory, "used_memory")?;
    let maxmemory = probe::number(&memory, "maxmemory").unwrap_or(0);
    let system = probe::number(&memory, "total_system_memory").unwrap_or(0);
    let policy = memory
        .get("maxmemory_policy")
        .cloned()
        .unwrap_or_else(|| "unknown".into());
    let need = format!(
        "about {} bytes ({}) for {} keys: the records' estimate of {} bytes plus a \
         {MARGIN_PERCENT}% margin and 1 MiB",
        projection.bytes,
        human_bytes(projection.bytes),
        projection.keys,
        projection.estimate
    );
    let fixes = "Use a smaller --scale, fewer variants (--only), a server with more \
                 maxmemory, or a private server (leave out --url)";
    let over = |limit: u64| {
        format!(
            "over by {} bytes ({})",
            projection.bytes - limit,
            human_bytes(projection.bytes - limit)
        )
    };
    if let Some(cgroup) = local_cgroup(conn, loopback)
        && projection.bytes > cgroup.room()
    {
        anyhow::bail!(
            "--url: refusing to write {what}: it needs {need}, but the server runs on this \
             machine in a memory cgroup limited to {} bytes ({}; {}) that already uses {} \
             bytes: only {} bytes ({}) are left, {}. Past the limit the kernel kills the \
             server with every key it holds. {fixes}",
            cgroup.limit,
            human_bytes(cgroup.limit),
            cgroup.file.display(),
            cgroup.usage,
            cgroup.room(),
            human_bytes(cgroup.room()),
            over(cgroup.room()),
        );
    }
    if let Some(budget) = budget
        && projection.bytes > budget
    {
        anyhow::bail!(
            "--url: refusing to write {what}: it needs {need}, more than --budget {budget} \
             bytes ({}): {}. Give a larger --budget if the server has that much to spare. \
             {fixes}",
            human_bytes(budget),
            over(budget),
        );
    }
    if maxmemory > 0 {
        let free = maxmemory.saturating_sub(used);
        if projection.bytes > free {
            let consequence = match policy.as_str() {
                "noeviction" => "Redis would answer OOM errors to every client that writes, \
                                 the server's other clients included"
                    .to_string(),
                p if p.starts_with("volatile") => format!(
                    "with maxmemory-policy {p} Redis would evict keys that have a TTL in any \
                     database, other applications' included, and then answer OOM errors"
                ),
                p => format!(
                    "with maxmemory-policy {p} Redis would evict keys of any database, other \
                     applications' included"
                ),
            };
            anyhow::bail!(
                "--url: refusing to write {what}: it needs {need}, but only {free} bytes ({}) \
                 are left below maxmemory {maxmemory} (used_memory {used}): {}. Past \
                 maxmemory {consequence}. {fixes}",
                human_bytes(free),
                over(free),
            );
        }
        return Ok(());
    }
    if budget.is_none() && projection.bytes > DEFAULT_BUDGET {
        anyhow::bail!(
            "--url: refusing to write {what}: it needs {need}, more than the default budget \
             of {DEFAULT_BUDGET} bytes ({}) for a server with maxmemory 0: {}. With \
             maxmemory 0 Redis sets no limit of its own, and the real one (a container's or \
             a service's memory limit) is not visible in INFO; a server pushed past it is \
             killed with every key it holds. If the server has room, say how much \
             redisadv may add with --budget BYTES (e.g. --budget 256MiB), or set maxmemory \
             on the server. {fixes}",
            human_bytes(DEFAULT_BUDGET),
            over(DEFAULT_BUDGET),
        );
    }
    if system > 0 && used + projection.bytes > system {
        anyhow::bail!(
            "--url: refusing to write {what}: the server has no maxmemory, but it needs {need} \
             on top of used_memory {used}, more than the machine's {system} bytes \
             (total_system_memory): over by {} bytes ({}). {fixes}",
            used + projection.bytes - system,
            human_bytes(used + projection.bytes - system),
        );
    }
    Ok(())
}

/// The memory cgroup limit of the server's process, when the server runs on this machine
/// (see [`budget::local_process`]) and has one.
fn local_cgroup(conn: &mut redis::Connection, loopback: bool) -> Option<CgroupLimit> {
    if !loopback {
        return None;
    }
    let server = probe::info_section(conn, "server").ok()?;
    let pid = probe::number(&server, "process_id").ok()?;
    let uptime = probe::number(&server, "uptime_in_seconds").ok()?;
    let pid = budget::local_process(loopback, u32::try_from(pid).ok()?, uptime)?;
    budget::cgroup_of(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes() {
        assert_eq!(alloc(1), 8);
        assert_eq!(alloc(17), 32);
        assert_eq!(alloc(129), 160);
        assert_eq!(alloc(1000), 1024);
        assert_eq!(alloc(1025), 1280);
        assert_eq!(string_object(44), 64);
        assert_eq!(sds(300), 320);
    }
}
