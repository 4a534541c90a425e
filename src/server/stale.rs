//! Private directories carry their owner: `owner` holds redisadv's pid and start time and,
//! once started, the server's process group, and the live owner holds an exclusive `flock` on
//! it. On start, directories whose owner no longer runs (a redisadv killed together with its
//! guardian) are removed, and any process of the recorded group still working inside one is
//! killed. The lock is what proves an owner alive: a pid means nothing to a redisadv in
//! another PID namespace sharing the same TMPDIR (a container sharing /tmp).

use std::io::Write;
use std::path::{Path, PathBuf};

/// The marker file inside every private directory.
pub(super) const OWNER_FILE: &str = "owner";
/// In a marker written by a redisadv that locks it: then an unheld lock alone proves the
/// owner gone (its pid may be another namespace's).
const LOCKED: &str = "locked\n";

/// Writes this process as the owner of `dir` and locks the marker; the lock lasts as long as
/// the returned file is open (it is close-on-exec, so a server never inherits it).
pub fn mark_owner(dir: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::io::AsRawFd;
    let me = std::process::id();
    let start = start_time(me).unwrap_or(0);
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(dir.join(OWNER_FILE))?;
    // Locked before anything is written: a sweeper that takes the lock sees either an empty
    // marker (unsure: left alone) or a whole one whose writer has let go of it.
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    file.write_all(format!("redisadv {me} {start}\n{LOCKED}").as_bytes())?;
    Ok(file)
}

/// Whether some process holds the lock on `dir`'s marker (an owner alive in any PID
/// namespace). A marker that cannot be opened counts as held.
fn lock_held(dir: &Path) -> bool {
    use std::os::unix::io::AsRawFd;
    let Ok(file) = std::fs::File::open(dir.join(OWNER_FILE)) else {
        return true;
    };
    // SAFETY: flock on a descriptor we own; closing it releases the lock.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) != 0 }
}

/// Records the server's process group in `dir`'s marker.
pub(super) fn mark_group(dir: &Path, pgid: u32) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join(OWNER_FILE))?;
    writeln!(file, "server-group {pgid}")
}

/// Field `n` (1-based, as in proc(5)) of /proc/PID/stat.
fn stat_field(pid: u32, n: usize) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(n.checked_sub(3)?)?.parse().ok()
}

/// A process's process-group id.
pub(super) fn process_group(pid: u32) -> Option<u32> {
    stat_field(pid, 5).and_then(|g| u32::try_from(g).ok())
}

/// A process's start time in clock ticks since boot: with the pid, it names one process.
fn start_time(pid: u32) -> Option<u64> {
    stat_field(pid, 22)
}

/// Whether the owner recorded in `dir` is still running (true when unsure).
fn owner_alive(marker: &str) -> bool {
    let Some(line) = marker.lines().find(|l| l.starts_with("redisadv ")) else {
        return true;
    };
    let mut words = line.split_whitespace().skip(1);
    let (Some(Ok(pid)), Some(Ok(start))) = (
        words.next().map(str::parse::<u32>),
        words.next().map(str::parse::<u64>),
    ) else {
        return true;
    };
    start_time(pid) == Some(start)
}

fn recorded_group(marker: &str) -> Option<u32> {
    marker
        .lines()
        .find_map(|l| l.strip_prefix("server-group "))
        .and_then(|g| g.trim().parse().ok())
}

/// Pids of the processes whose working directory is `dir` or inside it.
pub(super) fn processes_in(dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/cwd"))
                .map(|cwd| cwd.starts_with(dir))
                .unwrap_or(false)
        })
        .collect()
}

/// Removes the directories in `tmp` whose name starts with `prefix`, that this user owns and
/// whose owner no longer runs (nobody holds the marker's lock and the recorded pid is gone),
/// after killing their server's processes. Directories without a marker (an older redisadv,
/// or one being created this instant) are left alone. Returns what it removed.
pub fn sweep(tmp: &Path, prefix: &str) -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return removed;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(prefix) {
            continue;
        }
        match entry.metadata() {
            Ok(meta) if meta.is_dir() && meta.uid() == uid => {}
            _ => continue,
        }
        if lock_held(&dir) {
            continue;
        }
        let Ok(marker) = std::fs::read_to_string(dir.join(OWNER_FILE)) else {
            continue;
        };
        if marker.is_empty() || (owner_alive(&marker) && !marker.contains(LOCKED)) {
            continue;
        }
        if let Some(group) = recorded_group(&marker) {
            for pid in processes_in(&dir) {
                if stat_field(pid, 5) == Some(u64::from(group)) {
                    // SAFETY: plain kill(2) of a process identified by group and directory.
                    unsafe {
                        libc::kill(pid as libc::pid_t, libc::SIGKILL);
                    }
                }
            }
        }
        if std::fs::remove_dir_all(&dir).is_ok() {
            removed.push(dir);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_made_up_one_is_not() {
        let me = std::process::id();
        let start = start_time(me).unwrap();
        assert!(owner_alive(&format!("redisadv {me} {start}\n")));
        assert!(!owner_alive(&format!("redisadv {me} {}\n", start + 1)));
        assert!(owner_alive("garbage"));
        assert_eq!(recorded_group("redisadv 1 2\nserver-group 77\n"), Some(77));
    }
}
