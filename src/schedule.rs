//! Runs a scenario's jobs, one at a time or `--jobs N` at once, and hands the outcomes back
//! in job order, so a report does not depend on which job finished first.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Runs `run(i)` for every `i` in `0..count` on at most `jobs` threads; returns the outcomes
/// in index order. Once `stop` holds for an outcome, no further job starts (a fatal `--url`
/// error); the jobs already running finish, and the ones never started are missing (`None`).
pub fn run_ordered<R: Send>(
    count: usize,
    jobs: usize,
    run: impl Fn(usize) -> R + Sync,
    stop: impl Fn(&R) -> bool + Sync,
) -> Vec<Option<R>> {
    run_pipelined(count, jobs, |_| (), |i, (), _| run(i), stop)
}

/// Like [`run_ordered`] for jobs of two stages: `prepare(i)`, then `finish(i, prepared,
/// primed)`. When `finish` calls `primed`, the worker claims its next job and prepares it on
/// another thread meanwhile, so the next server starts and is measured empty while this one
/// settles. A job prepared after a `stop` is dropped unfinished (`None`).
pub fn run_pipelined<P: Send, R: Send>(
    count: usize,
    jobs: usize,
    prepare: impl Fn(usize) -> P + Sync,
    finish: impl Fn(usize, P, &dyn Fn()) -> R + Sync,
    stop: impl Fn(&R) -> bool + Sync,
) -> Vec<Option<R>> {
    let next = AtomicUsize::new(0);
    let stopped = AtomicBool::new(false);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..count).map(|_| None).collect());
    let claim = || {
        if stopped.load(Ordering::SeqCst) {
            return None;
        }
        let i = next.fetch_add(1, Ordering::SeqCst);
        (i < count).then_some(i)
    };
    std::thread::scope(|s| {
        let worker = || {
            let mut ahead: Option<(usize, std::thread::ScopedJoinHandle<'_, P>)> = None;
            loop {
                let (i, prepared) = match ahead.take() {
                    Some((i, handle)) => (i, join(handle)),
                    None => match claim() {
                        Some(i) => (i, prepare(i)),
                        None => break,
                    },
                };
                let next_up = Mutex::new(None);
                let primed = || {
                    let mut slot = next_up.lock().unwrap_or_else(|p| p.into_inner());
                    if slot.is_none()
                        && let Some(j) = claim()
                    {
                        let prepare = &prepare;
                        *slot = Some((j, s.spawn(move || prepare(j))));
                    }
                };
                let outcome = finish(i, prepared, &primed);
                ahead = next_up.into_inner().unwrap_or_else(|p| p.into_inner());
                if stop(&outcome) {
                    stopped.store(true, Ordering::SeqCst);
                }
                results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(outcome);
                if stopped.load(Ordering::SeqCst) {
                    // Its server stops as the prepared value drops.
                    drop(ahead.take().map(|(_, h)| join(h)));
                    break;
                }
            }
        };
        let threads = jobs.clamp(1, count.max(1));
        for _ in 1..threads {
            s.spawn(worker);
        }
        worker();
    });
    results.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// A preparing thread's value; its panic goes on in the caller.
fn join<P>(handle: std::thread::ScopedJoinHandle<'_, P>) -> P {
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
}
