//! The orchestration on the fake target, no Redis: the protocol's order, variant order,
//! a failed variant, a fatal stop, --out after each job, --jobs N, and the settle overlap
//! (the next variant primes only once the previous one is primed).

use crate::job::{RunOptions, TargetChoice};
use crate::protocol::Target;
use crate::protocol::fake::{Fake, Given};
use crate::report::{Report, VariantReport};
use crate::scenario::Scenario;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

const VARIANTS: [&str; 4] = [
    "region_redis",
    "region_redis_local",
    "region_msgpack",
    "region_json",
];

/// quick.toml's first variants at a small scale (the loader still writes every record,
/// into a sink that discards them).
fn scenario() -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quick.toml");
    let mut scenario = Scenario::load(&path).unwrap();
    scenario.select(&VARIANTS.map(String::from)).unwrap();
    scenario.set_scale(0.001);
    scenario
}

fn options(jobs: usize, overlap: bool) -> RunOptions {
    RunOptions {
        target: TargetChoice::Private,
        progress: false,
        // --verify is a heavy tail: with it the next variant would not prime while this
        // one settles (see `protocol::finish`).
        verify: false,
        hold_connection: false,
        explain: Default::default(),
        jobs,
        overlap,
        read: None,
    }
}

fn names(report: &Report) -> Vec<&str> {
    report.variants.iter().map(|v| v.name.as_str()).collect()
}

fn at(calls: &[String], call: &str) -> usize {
    calls
        .iter()
        .position(|c| c == call)
        .unwrap_or_else(|| panic!("no call {call:?} in {calls:?}"))
}

#[test]
fn every_job_runs_the_protocols_steps_in_order_and_the_figure_is_loaded_minus_empty() {
    let fake = Fake {
        given: [(
            "region_json".to_string(),
            Given::Figures {
                empty: 900_000,
                loaded: 1_234_567,
            },
        )]
        .into(),
        ..Fake::default()
    };
    let verify = RunOptions {
        verify: true,
        ..options(1, false)
    };
    let report = super::run_on(&fake, &scenario(), &verify, &|_, _| {}).unwrap();
    let steps = [
        "open", "empty", "prime", "primed", "settle", "figures", "samples", "verify", "release",
        "explain", "read", "end",
    ];
    for v in VARIANTS {
        assert_eq!(fake.calls_of(v), steps, "{v}");
    }
    let json = report.variants[3].result.as_ref().unwrap();
    assert_eq!(json.dataset_bytes, 1_234_567 - 900_000);
    assert_eq!(json.empty_used_memory, 900_000);
    // The records are the loader's, counted as written.
    let scenario = scenario();
    let datasets = crate::scenario::sweep::Datasets::build(&scenario).unwrap();
    let records = datasets.of(&scenario.variants[3]).record_count();
    assert!(records > 0);
    assert_eq!(json.records, records);
    assert_eq!(report.redis.target, "fake");
}

#[test]
fn variants_keep_scenario_order_whatever_order_they_finish_in() {
    let fake = Fake {
        settle_of: [("region_redis".to_string(), Duration::from_millis(300))].into(),
        ..Fake::default()
    };
    let report = super::run_on(&fake, &scenario(), &options(3, true), &|_, _| {}).unwrap();
    assert_eq!(names(&report), VARIANTS);
    // The slow first variant ended after a later one: the order is the scenario's anyway.
    let calls = fake.calls();
    let first = at(&calls, "end region_redis");
    assert!(
        VARIANTS[1..]
            .iter()
            .any(|v| at(&calls, &format!("end {v}")) < first),
        "{calls:?}"
    );
}

#[test]
fn a_failed_variant_is_marked_and_the_run_goes_on() {
    let fake = Fake {
        given: [(
            "region_redis_local".to_string(),
            Given::Fail {
                step: "settle",
                fatal: false,
            },
        )]
        .into(),
        ..Fake::default()
    };
    let report = super::run_on(&fake, &scenario(), &options(1, true), &|_, _| {}).unwrap();
    assert_eq!(names(&report), VARIANTS);
    let failed = &report.variants[1];
    assert!(failed.result.is_none());
    let error = failed.error.as_deref().unwrap();
    assert!(error.contains("fake failure at settle"), "{error}");
    for i in [0, 2, 3] {
        assert!(report.variants[i].result.is_some(), "{}", VARIANTS[i]);
    }
    // Its servers were ended all the same, after the failed step and before nothing else.
    assert_eq!(
        fake.calls_of("region_redis_local"),
        ["open", "empty", "prime", "primed", "settle", "end"]
    );
}

#[test]
fn a_fatal_error_stops_the_run_and_keeps_what_was_measured() {
    let fake = Fake {
        given: [(
            "region_msgpack".to_string(),
            Given::Fail {
                step: "prime",
                fatal: true,
            },
        )]
        .into(),
        ..Fake::default()
    };
    let written: Mutex<Vec<Report>> = Mutex::new(Vec::new());
    let err = super::run_on(&fake, &scenario(), &options(1, true), &|report, _| {
        written.lock().unwrap().push(report.clone())
    })
    .unwrap_err();
    assert!(fake.is_fatal(&err), "{err:#}");
    // The variant after it never started.
    assert!(
        fake.calls_of("region_json").is_empty(),
        "{:?}",
        fake.calls()
    );
    // The fullest --out rewrite (jobs may finish in either order) holds the two measured
    // variants and the failed one.
    let written = written.into_inner().unwrap();
    let last = written.iter().max_by_key(|r| r.variants.len()).unwrap();
    assert_eq!(
        names(last),
        ["region_redis", "region_redis_local", "region_msgpack"]
    );
    assert!(last.variants[0].result.is_some() && last.variants[1].result.is_some());
    assert!(last.variants[2].error.is_some());
}

#[test]
fn out_is_rewritten_after_each_job_with_every_job_finished_so_far() {
    let rows: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());
    let fake = Fake::default();
    let finished = |report: &Report, row: &VariantReport| {
        rows.lock()
            .unwrap()
            .push((report.variants.len(), row.name.clone()))
    };
    super::run_on(&fake, &scenario(), &options(1, false), &finished).unwrap();
    let rows = rows.into_inner().unwrap();
    let expected: Vec<(usize, String)> = VARIANTS
        .iter()
        .enumerate()
        .map(|(i, v)| (i + 1, v.to_string()))
        .collect();
    assert_eq!(rows, expected);
}

#[test]
fn jobs_n_runs_at_most_n_jobs_at_once() {
    for jobs in [1, 2, 3] {
        let fake = Fake {
            settle: Duration::from_millis(150),
            ..Fake::default()
        };
        let report = super::run_on(&fake, &scenario(), &options(jobs, false), &|_, _| {}).unwrap();
        assert_eq!(names(&report), VARIANTS);
        assert_eq!(report.concurrent_jobs, (jobs > 1).then_some(jobs));
        // Never more than N at once; each job settles for 150 ms, so with N > 1 workers
        // jobs do overlap (a worker may have claimed the next job ahead, so not always N).
        let most = fake.most_running.load(Ordering::SeqCst);
        assert!(most <= jobs, "--jobs {jobs}: {most} at once");
        assert!(most >= jobs.min(2), "--jobs {jobs}: {most} at once");
    }
}

/// Issue 26: one job at a time, the next variant primes while the previous one settles,
/// and only once the previous priming has ended.
#[test]
fn the_next_variant_primes_after_the_previous_priming_while_it_settles() {
    let fake = Fake {
        settle: Duration::from_millis(200),
        ..Fake::default()
    };
    super::run_on(&fake, &scenario(), &options(1, true), &|_, _| {}).unwrap();
    let calls = fake.calls();
    for pair in VARIANTS.windows(2) {
        let (before, next) = (pair[0], pair[1]);
        assert!(
            at(&calls, &format!("primed {before}")) < at(&calls, &format!("prime {next}")),
            "{calls:?}"
        );
        assert!(
            at(&calls, &format!("prime {next}")) < at(&calls, &format!("end {before}")),
            "{calls:?}"
        );
    }
}

/// With a heavy tail (--verify's reads) the next variant waits until this one is done:
/// its priming would compete with the reads.
#[test]
fn with_verify_the_next_variant_waits_for_the_tail() {
    let fake = Fake::default();
    let verify = RunOptions {
        verify: true,
        ..options(1, true)
    };
    super::run_on(&fake, &scenario(), &verify, &|_, _| {}).unwrap();
    let calls = fake.calls();
    for pair in VARIANTS.windows(2) {
        assert!(
            at(&calls, &format!("read {}", pair[0])) < at(&calls, &format!("open {}", pair[1])),
            "{calls:?}"
        );
    }
}
