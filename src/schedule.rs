//! Runs a scenario's jobs, one at a time or `--jobs N` at once, and hands the outcomes back
//! in job order, so a report does not depend on which job finished first.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::ScopedJoinHandle;

/// Runs `run(i)` for every `i` in `0..count` on at most `jobs` threads; returns the outcomes
/// in index order. Once `stop` holds for an outcome, no further job starts (a fatal `--url`
/// error); the jobs already running finish, and the ones never started are missing (`None`).
pub fn run_ordered<R: Send>(
    count: usize,
    jobs: usize,
    run: impl Fn(usize) -> R + Sync,
    stop: impl Fn(&R) -> bool + Sync,
) -> Vec<Option<R>> {
    run_pipelined(count, jobs, Ahead::Prepare, |_| (), |i, (), _| run(i), stop)
}

/// What a worker starts for its next job once the current one calls `primed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ahead {
    /// Its first stage only: the next server starts while this one settles, and primes
    /// once this job is finished.
    Prepare,
    /// The whole job, on a thread of its own: the next variant primes while this one
    /// settles (Redis's timer, not CPU work), so settling is off the wall time. Primings
    /// still never overlap: each next job starts only when the previous one is primed.
    Run,
}

/// Like [`run_ordered`] for jobs of two stages: `prepare(i)`, then `finish(i, prepared,
/// primed)`. When `finish` calls `primed`, the worker claims its next job and starts it on
/// another thread as `ahead` says. A job that never calls `primed` (it failed, or its
/// target does not overlap) is followed by the next one on the same thread. A job prepared
/// after a `stop` is dropped unfinished (`None`).
pub fn run_pipelined<P: Send, R: Send>(
    count: usize,
    jobs: usize,
    ahead: Ahead,
    prepare: impl Fn(usize) -> P + Sync,
    finish: impl Fn(usize, P, &dyn Fn()) -> R + Sync,
    stop: impl Fn(&R) -> bool + Sync,
) -> Vec<Option<R>> {
    let run = Run {
        count,
        ahead,
        next: AtomicUsize::new(0),
        stopped: AtomicBool::new(false),
        results: Mutex::new((0..count).map(|_| None).collect()),
        prepare: &prepare,
        finish: &finish,
        stop: &stop,
    };
    std::thread::scope(|s| {
        let threads = jobs.clamp(1, count.max(1));
        for _ in 1..threads {
            s.spawn(|| run.worker(s, None));
        }
        run.worker(s, None);
    });
    run.results.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// A job's second stage: `finish(i, prepared, primed)`.
type Finish<'f, P, R> = &'f (dyn Fn(usize, P, &dyn Fn()) -> R + Sync);

/// The state every worker of one run shares.
struct Run<'f, P, R> {
    count: usize,
    ahead: Ahead,
    next: AtomicUsize,
    stopped: AtomicBool,
    results: Mutex<Vec<Option<R>>>,
    prepare: &'f (dyn Fn(usize) -> P + Sync),
    finish: Finish<'f, P, R>,
    stop: &'f (dyn Fn(&R) -> bool + Sync),
}

/// The job a worker started when its current one was primed.
enum Started<'scope, P> {
    Prepared(usize, ScopedJoinHandle<'scope, P>),
    /// A worker of its own runs it (and the jobs after it).
    Running,
}

impl<P: Send, R: Send> Run<'_, P, R> {
    fn claim(&self) -> Option<usize> {
        if self.stopped.load(Ordering::SeqCst) {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        (i < self.count).then_some(i)
    }

    /// Runs jobs until none is left, beginning with `first` when a predecessor claimed it.
    fn worker<'scope, 'env>(
        &'env self,
        s: &'scope std::thread::Scope<'scope, 'env>,
        mut first: Option<usize>,
    ) {
        let mut ahead: Option<(usize, ScopedJoinHandle<'scope, P>)> = None;
        loop {
            let (i, prepared) = match (first.take(), ahead.take()) {
                (Some(i), _) => (i, (self.prepare)(i)),
                (None, Some((i, handle))) => (i, join(handle)),
                (None, None) => match self.claim() {
                    Some(i) => (i, (self.prepare)(i)),
                    None => break,
                },
            };
            if self.stopped.load(Ordering::SeqCst) {
                break; // claimed before the stop: its server stops as `prepared` drops
            }
            let next_up: Mutex<Option<Started<'scope, P>>> = Mutex::new(None);
            let primed = || {
                let mut slot = next_up.lock().unwrap_or_else(|p| p.into_inner());
                if slot.is_none()
                    && let Some(j) = self.claim()
                {
                    *slot = Some(match self.ahead {
                        Ahead::Prepare => {
                            let prepare = self.prepare;
                            Started::Prepared(j, s.spawn(move || prepare(j)))
                        }
                        Ahead::Run => {
                            s.spawn(move || self.worker(s, Some(j)));
                            Started::Running
                        }
                    });
                }
            };
            let outcome = (self.finish)(i, prepared, &primed);
            if (self.stop)(&outcome) {
                self.stopped.store(true, Ordering::SeqCst);
            }
            self.results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(outcome);
            match next_up.into_inner().unwrap_or_else(|p| p.into_inner()) {
                Some(Started::Running) => break, // the scope joins that worker
                Some(Started::Prepared(j, handle)) => ahead = Some((j, handle)),
                None => {}
            }
            if self.stopped.load(Ordering::SeqCst) {
                // Its server stops as the prepared value drops.
                drop(ahead.take().map(|(_, h)| join(h)));
                break;
            }
        }
    }
}

/// A preparing thread's value; its panic goes on in the caller.
fn join<P>(handle: ScopedJoinHandle<'_, P>) -> P {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    use super::run_ordered;

    #[test]
    fn outcomes_come_back_in_job_order_and_stop_starts_nothing_new() {
        let out = run_ordered(7, 3, |i| i * 10, |_| false);
        assert_eq!(out, (0..7).map(|i| Some(i * 10)).collect::<Vec<_>>());
        let out = run_ordered(5, 1, |i| i, |&r| r == 2);
        assert_eq!(out, vec![Some(0), Some(1), Some(2), None, None]);
    }

    #[test]
    fn the_next_job_is_prepared_once_the_current_one_is_primed() {
        use std::sync::Mutex;
        let events = Mutex::new(Vec::new());
        let log = |e: String| events.lock().unwrap().push(e);
        let out = super::run_pipelined(
            3,
            1,
            super::Ahead::Prepare,
            |i| {
                log(format!("prepare {i}"));
                i * 10
            },
            |i, p, primed| {
                log(format!("prime {i}"));
                primed();
                // The next job is prepared while this one still runs.
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                let next = format!("prepare {}", i + 1);
                while i < 2 && !events.lock().unwrap().contains(&next) {
                    assert!(std::time::Instant::now() < deadline, "{next} never ran");
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                log(format!("finish {i}"));
                p + 1
            },
            |_| false,
        );
        assert_eq!(out, vec![Some(1), Some(11), Some(21)]);
        let events = events.into_inner().unwrap();
        let at = |e: &str| events.iter().position(|x| x == e).unwrap();
        assert!(at("prepare 1") < at("finish 0"), "{events:?}");
        assert!(at("prepare 2") < at("finish 1"), "{events:?}");
        assert!(at("prime 0") < at("prepare 1"), "{events:?}");
    }

    /// Under `Ahead::Run` the next job primes while this one settles, primings never
    /// overlap, and a job that fails before it is primed is followed all the same.
    #[test]
    fn the_next_job_runs_while_the_current_one_settles() {
        use std::sync::Mutex;
        use std::time::{Duration, Instant};
        let events = Mutex::new(Vec::new());
        let log = |e: String| events.lock().unwrap().push(e);
        let seen = |e: &str| events.lock().unwrap().iter().any(|x| x == e);
        let out = super::run_pipelined(
            4,
            1,
            super::Ahead::Run,
            |i| i,
            |i, p, primed| {
                log(format!("prime {i}"));
                if i == 1 {
                    log(format!("fail {i}"));
                    return Err(p); // never primed: job 2 starts after it on this thread
                }
                log(format!("primed {i}"));
                primed();
                // Settling: job i + 1 primes meanwhile (job 1 fails at once).
                let deadline = Instant::now() + Duration::from_secs(10);
                let next = format!("prime {}", i + 1);
                while i < 3 && !seen(&next) {
                    assert!(Instant::now() < deadline, "{next} never started");
                    std::thread::sleep(Duration::from_millis(1));
                }
                log(format!("finish {i}"));
                Ok(p * 10)
            },
            |_| false,
        );
        assert_eq!(
            out,
            vec![Some(Ok(0)), Some(Err(1)), Some(Ok(20)), Some(Ok(30))]
        );
        let events = events.into_inner().unwrap();
        let at = |e: &str| events.iter().position(|x| x == e).unwrap();
        assert!(at("prime 1") < at("finish 0"), "{events:?}");
        assert!(at("primed 0") < at("prime 1"), "{events:?}");
        assert!(at("fail 1") < at("prime 2"), "{events:?}");
        assert!(at("primed 2") < at("prime 3"), "{events:?}");
        assert!(at("prime 3") < at("finish 2"), "{events:?}");
    }
}
