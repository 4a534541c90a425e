//! The report of the jobs finished so far, for progress and for --out files rewritten after
//! each job (a stopped run keeps what it measured).

use super::{Report, VariantReport};
use std::sync::Mutex;

pub struct Finished {
    header: Report,
    rows: Mutex<Vec<Option<VariantReport>>>,
}

impl Finished {
    /// `header`: the report before any job (its variants are ignored); `jobs`: how many.
    pub fn new(header: &Report, jobs: usize) -> Finished {
        Finished {
            header: Report {
                variants: Vec::new(),
                ..header.clone()
            },
            rows: Mutex::new(vec![None; jobs]),
        }
    }

    /// Records job `i`'s row (and the allocator its server reported); returns the report of
    /// the jobs finished so far, in job order.
    pub fn record(&self, i: usize, row: VariantReport, allocator: Option<&str>) -> Report {
        let mut rows = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        rows[i] = Some(row);
        let mut report = self.header.clone();
        report.variants = rows.iter().flatten().cloned().collect();
        if report.redis.allocator.is_empty()
            && let Some(a) = allocator
        {
            report.redis.allocator = a.to_string();
        }
        report
    }
}
