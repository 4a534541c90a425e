//! How much a `--url` run may add to a server whose real memory limit INFO cannot show.
//! With maxmemory 0 Redis sets no limit of its own, but the server usually has one: a
//! container's or a systemd unit's cgroup. Going past it gets the server OOM-killed with
//! every key it holds, so without maxmemory redisadv writes at most a small default budget
//! (or the user's `--budget`), and, when the server runs on this machine, no more than its
//! cgroup has left.

use std::path::{Path, PathBuf};

/// What a `--url` run may add to a server with maxmemory 0 unless `--budget` says more.
/// 32 MiB: tiny and quick scenarios fit (the tiny scenario at scale 1 projects about 1.5
/// MiB), and a server in a container as small as 64 MB keeps room for what it already holds.
pub const DEFAULT_BUDGET: u64 = 32 << 20;

/// Parses `--budget`: bytes, or a number with a unit; KB, MB, GB (and k, m, g) count in
/// powers of 1024 as redis.conf's do, and so do KiB, MiB, GiB.
pub fn parse_budget(text: &str) -> Result<u64, String> {
    match parse_size::Config::new()
        .with_binary()
        .parse_size(text.trim())
    {
        Ok(0) => Err(format!(
            "{text:?}: a budget of 0 bytes allows nothing; give e.g. 64MiB"
        )),
        Ok(n) => Ok(n),
        Err(e) => Err(format!(
            "{text:?} is not a size ({e}); give bytes or a unit, e.g. 67108864, 64MB, 1GiB"
        )),
    }
}

/// A memory cgroup's limit on the server's process and what the cgroup uses now.
#[derive(Debug, Clone, PartialEq)]
pub struct CgroupLimit {
    /// The file the limit was read from (memory.max, or memory.limit_in_bytes on v1).
    pub file: PathBuf,
    pub limit: u64,
    pub usage: u64,
}

impl CgroupLimit {
    /// What the cgroup has left.
    pub fn room(&self) -> u64 {
        self.limit.saturating_sub(self.usage)
    }
}

/// Limits at or above this mean "no limit" (v1 writes 2^63 rounded down to a page).
const UNLIMITED: u64 = 1 << 62;

fn read_number(path: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.trim();
    if text == "max" {
        return Some(u64::MAX);
    }
    text.parse().ok()
}

/// The tightest memory limit on the cgroup named by `cgroup` (the text of /proc/PID/cgroup),
/// looking at the cgroup and each of its ancestors under `sys` (normally /sys/fs/cgroup):
/// cgroup v2 (memory.max, memory.current) or the v1 memory controller
/// (memory.limit_in_bytes, memory.usage_in_bytes).
pub fn cgroup_limit(cgroup: &str, sys: &Path) -> Option<CgroupLimit> {
    let mut found: Option<CgroupLimit> = None;
    for line in cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (base, max_name, usage_name) = if id == "0" && controllers.is_empty() {
            (sys.to_path_buf(), "memory.max", "memory.current")
        } else if controllers.split(',').any(|c| c == "memory") {
            (
                sys.join("memory"),
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
            )
        } else {
            continue;
        };
        // The cgroup itself, then each ancestor: any of them may hold the limit.
        let mut dir = PathBuf::from(path.trim_start_matches('/'));
        loop {
            let here = base.join(&dir);
            if let Some(limit) = read_number(&here.join(max_name))
                && limit < UNLIMITED
            {
                let usage = read_number(&here.join(usage_name)).unwrap_or(0);
                let candidate = CgroupLimit {
                    file: here.join(max_name),
                    limit,
                    usage,
                };
                if found.as_ref().is_none_or(|f| candidate.room() < f.room()) {
                    found = Some(candidate);
                }
            }
            if !dir.pop() {
                break;
            }
        }
    }
    found
}

/// Whether the server answering is the process `pid` of this machine: the connection goes
/// to a loopback address or a unix socket, the process exists, its program is a Redis or
/// Valkey server, and it started when the server says it did (so a pid from another PID
/// namespace, such as a container's pid 1, is not taken for a process of ours).
pub fn local_process(loopback: bool, pid: u32, uptime_seconds: u64) -> Option<u32> {
    if !loopback || pid == 0 {
        return None;
    }
    let proc = PathBuf::from(format!("/proc/{pid}"));
    let exe = std::fs::read_link(proc.join("exe")).ok()?;
    // redis-server, valkey-server, or what they link to (Debian's redis-server is a link to
    // redis-check-rdb); never redisadv itself.
    let program = exe.file_name()?.to_string_lossy().to_string();
    if !(program.starts_with("redis-") || program.starts_with("valkey-")) {
        return None;
    }
    let stat = std::fs::read_to_string(proc.join("stat")).ok()?;
    // Field 22, counted after the command's closing parenthesis (the command may hold spaces).
    let after = &stat[stat.rfind(')')? + 1..];
    let started_ticks: u64 = after.split_whitespace().nth(19)?.parse().ok()?;
    // SAFETY: sysconf only reads a constant of the system.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks <= 0 {
        return None;
    }
    let boot_uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let age = boot_uptime - started_ticks as f64 / ticks as f64;
    ((age - uptime_seconds as f64).abs() <= 3.0).then_some(pid)
}

/// The memory cgroup limit of local process `pid`, if it has one.
pub fn cgroup_of(pid: u32) -> Option<CgroupLimit> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    cgroup_limit(&text, Path::new("/sys/fs/cgroup"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_with_units() {
        assert_eq!(parse_budget("67108864"), Ok(64 << 20));
        assert_eq!(parse_budget("64MB"), Ok(64 << 20));
        assert_eq!(parse_budget("64mb"), Ok(64 << 20));
        assert_eq!(parse_budget("1GiB"), Ok(1 << 30));
        assert_eq!(parse_budget("512k"), Ok(512 << 10));
        assert!(parse_budget("0").is_err());
        assert!(parse_budget("lots").unwrap_err().contains("64MB"));
    }

    #[test]
    fn cgroup_limits_are_read_from_the_cgroup_and_its_ancestors() {
        let sys = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let p = sys.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        // v2: the limit sits on the parent, the child has none.
        write("kubepods/pod1/memory.max", "83886080\n");
        write("kubepods/pod1/memory.current", "20971520\n");
        write("kubepods/pod1/redis/memory.max", "max\n");
        write("kubepods/pod1/redis/memory.current", "20000000\n");
        let found = cgroup_limit("0::/kubepods/pod1/redis\n", sys.path()).unwrap();
        assert_eq!(found.limit, 80 << 20);
        assert_eq!(found.room(), 60 << 20);
        assert!(found.file.ends_with("kubepods/pod1/memory.max"));
        // v1: the memory controller's line, unlimited written as 2^63 rounded to a page.
        write("memory/docker/abc/memory.limit_in_bytes", "104857600\n");
        write("memory/docker/abc/memory.usage_in_bytes", "4857600\n");
        write("memory/memory.limit_in_bytes", "9223372036854771712\n");
        let v1 = "12:pids:/docker/abc\n4:memory:/docker/abc\n0::/\n";
        let found = cgroup_limit(v1, sys.path()).unwrap();
        assert_eq!((found.limit, found.room()), (100 << 20, 100_000_000));
        // No limit anywhere.
        assert_eq!(cgroup_limit("4:memory:/\n", sys.path()), None);
    }

    #[test]
    fn this_process_is_not_a_redis_server() {
        assert_eq!(local_process(true, std::process::id(), 0), None);
        assert_eq!(local_process(false, 1, 0), None);
    }
}
