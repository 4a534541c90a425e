//! Starting a private redis-server so that it dies with redisadv however redisadv dies.
//!
//! Three layers, because no single one covers every death:
//! - the server runs in its own process group (a terminal's Ctrl-C or hang-up reaches
//!   redisadv only, which then stops it), and every stop kills the whole group, so a
//!   `REDISADV_REDIS_SERVER` wrapper that does not `exec` leaves no grandchild behind;
//! - `PR_SET_PDEATHSIG=SIGKILL` kills the direct child when redisadv dies by any means
//!   (SIGKILL, abort). It fires when the *thread* that forked the child ends, so every server
//!   is forked by one spawner thread that lives as long as the process;
//! - a guardian `sh` in its own session reads a pipe that only redisadv holds. When redisadv
//!   dies the pipe reaches end-of-file and the guardian kills the server's process group
//!   (wrapper grandchildren, which PDEATHSIG does not reach) and removes its directory.

use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The guardian: reads the server's process-group id, then waits. `retire` ends it without
/// acting (a normal stop); end-of-file means redisadv died: kill the group, remove the dir.
const GUARDIAN: &str = r#"pg=
while IFS= read -r line; do
  case "$line" in
    retire) exit 0 ;;
    *) pg=$line ;;
  esac
done
if [ -n "$pg" ]; then kill -KILL -"$pg" 2>/dev/null; fi
rm -rf "$1"
"#;

type Job = Box<dyn FnOnce() + Send>;

/// Runs `job` on the spawner thread, which lives until the process ends.
fn on_spawner_thread<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
    static SPAWNER: Mutex<Option<mpsc::Sender<Job>>> = Mutex::new(None);
    let (reply_tx, reply_rx) = mpsc::channel();
    let job: Job = Box::new(move || {
        let _ = reply_tx.send(job());
    });
    let mut spawner = SPAWNER.lock().unwrap_or_else(|p| p.into_inner());
    let sender = spawner.get_or_insert_with(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("redisadv-spawner".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .expect("starting the spawner thread");
        tx
    });
    sender.send(job).expect("the spawner thread lives");
    drop(spawner);
    reply_rx.recv().expect("the spawner thread answers")
}

/// A guardian process; see the module doc.
pub(super) struct Guardian {
    child: Child,
    pipe: Option<ChildStdin>,
}

impl Guardian {
    /// Ends the guardian without letting it act: called before a normal stop so that it never
    /// signals a process group whose id may be reused later.
    pub(super) fn retire(&mut self) {
        if let Some(mut pipe) = self.pipe.take() {
            let _ = pipe.write_all(b"retire\n");
        }
        if wait_deadline(&mut self.child, Duration::from_secs(2)).is_none() {
            let _ = self.child.kill();
            let _ = wait_deadline(&mut self.child, Duration::from_secs(2));
        }
    }
}

/// Spawns `cmd` (a redis-server, maybe through a wrapper) as described in the module doc.
/// `dir` is the private directory the guardian removes if redisadv dies.
pub(super) fn spawn_guarded(mut cmd: Command, dir: &Path) -> std::io::Result<(Child, Guardian)> {
    let dir = dir.to_path_buf();
    on_spawner_thread(move || {
        let mut guardian = Command::new("/bin/sh");
        guardian
            .arg("-c")
            .arg(GUARDIAN)
            .arg("redisadv-guardian")
            .arg(&dir)
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: setsid is async-signal-safe.
        unsafe {
            guardian.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let mut guardian_child = guardian.spawn()?;
        let pipe = guardian_child.stdin.take().expect("piped stdin");
        let mut guardian = Guardian {
            child: guardian_child,
            pipe: Some(pipe),
        };
        let fd = guardian.pipe.as_ref().expect("just set").as_raw_fd();
        let parent = std::process::id() as libc::pid_t;
        cmd.process_group(0);
        // SAFETY: only async-signal-safe calls (prctl, getppid, getpid, write) and no
        // allocation between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // redisadv died before prctl took effect: nobody would signal us.
                if libc::getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                // Tell the guardian our process group before exec, so no window exists in
                // which redisadv could die with the guardian not knowing whom to kill.
                let mut buf = [0u8; 24];
                let line = pid_line(libc::getpid(), &mut buf);
                libc::write(fd, line.as_ptr().cast(), line.len());
                Ok(())
            });
        }
        match cmd.spawn() {
            Ok(child) => Ok((child, guardian)),
            Err(e) => {
                guardian.retire();
                Err(e)
            }
        }
    })
}

/// `pid` in decimal and a newline, written into `buf` without allocating.
fn pid_line(pid: libc::pid_t, buf: &mut [u8; 24]) -> &[u8] {
    let mut n = pid.unsigned_abs();
    let mut at = buf.len() - 1;
    buf[at] = b'\n';
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[at..]
}

/// The child's exit status if it has ended, *without* reaping it: an unreaped child keeps
/// its pid, so its process-group id cannot be reused while redisadv may still signal it.
pub(super) fn peek_exit(child: &Child) -> Option<ExitStatus> {
    // SAFETY: waitid with WNOWAIT only reads the child's state into a zeroed siginfo_t.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        if libc::waitid(libc::P_PID, child.id(), &mut info, flags) != 0 {
            // ECHILD: already reaped.
            return Some(ExitStatus::default());
        }
        if info.si_pid() == 0 {
            return None;
        }
        let status = info.si_status();
        Some(ExitStatus::from_raw(match info.si_code {
            libc::CLD_EXITED => (status & 0xff) << 8,
            libc::CLD_DUMPED => status | 0x80,
            _ => status,
        }))
    }
}

/// Sends SIGKILL to the child's whole process group, which cannot have been reused: the
/// child (its leader) is not reaped before [`kill_group`].
pub(super) fn signal_group(child: &Child) {
    // SAFETY: plain kill(2).
    unsafe {
        libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
    }
}

/// Kills the child's whole process group and reaps the child, waiting at most a few seconds.
pub(super) fn kill_group(child: &mut Child) {
    signal_group(child);
    let _ = child.kill();
    let _ = wait_deadline(child, Duration::from_secs(5));
}

/// Kills every process still working inside `dir` (redis-server changes into its `--dir`):
/// a server that left the process group, which [`kill_group`] cannot reach. Waits at most
/// 2 s for them to go.
pub(super) fn kill_escaped(dir: &Path) {
    let pids = super::stale::processes_in(dir);
    if pids.is_empty() {
        return;
    }
    for pid in &pids {
        // SAFETY: plain kill(2) of a process found working in our private directory.
        unsafe {
            libc::kill(*pid as libc::pid_t, libc::SIGKILL);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while !super::stale::processes_in(dir).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Reaps `child` if it ends within `limit`.
fn wait_deadline(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pid_lines() {
        let mut buf = [0u8; 24];
        assert_eq!(super::pid_line(0, &mut buf), b"0\n");
        assert_eq!(super::pid_line(4194304, &mut buf), b"4194304\n");
    }
}
