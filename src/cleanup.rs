//! What must happen however redisadv ends: a registry of cleanup hooks (private servers,
//! records written into a `--url` database) that the signal thread runs before the process
//! exits. Normal returns and errors run the same hooks through their guards' `Drop`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

type Hook = Box<dyn FnMut() + Send>;

static HOOKS: Mutex<Vec<(u64, Hook)>> = Mutex::new(Vec::new());
static NEXT_HOOK: AtomicU64 = AtomicU64::new(0);
/// Set when a signal starts ending the program.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// True once a signal has started ending the program: a job that fails from then on failed
/// because its server was stopped, not because of what it measured.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

fn hooks() -> std::sync::MutexGuard<'static, Vec<(u64, Hook)>> {
    HOOKS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A registered hook; dropping it unregisters the hook without running it (the owner has
/// cleaned up by itself).
#[must_use = "dropping the registration unregisters the hook"]
pub struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        hooks().retain(|(id, _)| *id != self.0);
    }
}

/// Registers `hook` to run when a signal ends the program. Hooks run newest first, so a
/// `--url` cleanup registered after its connection's server runs before anything else.
pub fn register(hook: impl FnMut() + Send + 'static) -> Registration {
    let id = NEXT_HOOK.fetch_add(1, Ordering::Relaxed);
    hooks().push((id, Box::new(hook)));
    Registration(id)
}

/// Runs every registered hook once, newest first, and forgets them.
/// Returns how many private servers were stopped.
pub fn run_all() -> usize {
    let taken: Vec<(u64, Hook)> = std::mem::take(&mut *hooks());
    for (_, mut hook) in taken.into_iter().rev() {
        hook();
    }
    crate::server::stop_all()
}

/// While the signal thread cleans up, the main thread may see its server vanish, fail, and
/// return from `main`: its `exit` would then race the signal thread, ending the program with
/// the wrong exit code and maybe before every server is stopped. This `atexit` handler holds
/// such an exit back (at most 10 s) so that the signal thread's `_exit` ends the program.
extern "C" fn hold_exit_while_interrupted() {
    let deadline = Instant::now() + Duration::from_secs(10);
    while INTERRUPTED.load(Ordering::SeqCst) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// On SIGINT, SIGTERM, SIGHUP or SIGQUIT: run every cleanup hook, stop every private server,
/// remove its directory, and exit with 128 + the signal number. For the command line; a
/// library caller keeps its own handling. (SIGKILL and aborts cannot be handled: private
/// servers then end through their guardian, see `server::spawn`.)
pub fn on_signals() -> anyhow::Result<()> {
    use anyhow::Context;
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT])
        .context("installing the signal handlers")?;
    // SAFETY: registers a plain function; it only reads an atomic and sleeps.
    unsafe {
        libc::atexit(hold_exit_while_interrupted);
    }
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            INTERRUPTED.store(true, Ordering::SeqCst);
            // stderr may be a closed terminal (SIGHUP): never panic on it.
            let stopped = run_all();
            let message = match stopped {
                0 => "interrupted\n".to_string(),
                n => format!(
                    "interrupted: stopped {n} private redis-server(s) and removed their directories\n"
                ),
            };
            let _ = std::io::Write::write_all(&mut std::io::stderr(), message.as_bytes());
            // _exit, not exit: the main thread may be inside exit already (see above).
            // SAFETY: ends the process; nothing runs after it.
            unsafe { libc::_exit(128 + signal) }
        }
    });
    Ok(())
}
