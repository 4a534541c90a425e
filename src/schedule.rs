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
    let next = AtomicUsize::new(0);
    let stopped = AtomicBool::new(false);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..count).map(|_| None).collect());
    let worker = || {
        loop {
            if stopped.load(Ordering::SeqCst) {
                break;
            }
            let i = next.fetch_add(1, Ordering::SeqCst);
            if i >= count {
                break;
            }
            let outcome = run(i);
            if stop(&outcome) {
                stopped.store(true, Ordering::SeqCst);
            }
            results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(outcome);
        }
    };
    let threads = jobs.clamp(1, count.max(1));
    if threads == 1 {
        worker();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(worker);
            }
        });
    }
    results.into_inner().unwrap_or_else(|p| p.into_inner())
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
}
