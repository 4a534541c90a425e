//! `bench --timings`: where a run's wall time went, per variant and phase, on stderr.

use super::Report;
use std::fmt::Write;

/// One line per variant (seconds per phase), then the totals and the wall time's ratio to
/// the sum of priming times (the part no scheduling can remove). `overlap`: whether each
/// variant primed while the previous one settled.
pub fn render(report: &Report, wall_seconds: f64, overlap: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<32} {:>6} {:>6} {:>7} {:>7} {:>7} {:>7}",
        "variant", "start", "empty", "prime", "settle", "figures", "explain"
    );
    let mut sum = [0.0f64; 6];
    for v in &report.variants {
        let Some(m) = &v.result else { continue };
        let p = m.phases.clone().unwrap_or_default();
        let row = [
            p.start,
            p.empty,
            m.prime_seconds,
            m.settle_seconds,
            p.figures,
            p.explain,
        ];
        for (s, x) in sum.iter_mut().zip(row) {
            *s += x;
        }
        let _ = writeln!(
            out,
            "{:<32} {:>6.2} {:>6.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2}",
            v.label(),
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5]
        );
    }
    let _ = writeln!(
        out,
        "{:<32} {:>6.2} {:>6.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2}",
        "sum", sum[0], sum[1], sum[2], sum[3], sum[4], sum[5]
    );
    let _ = writeln!(
        out,
        "wall {:.2} s = {:.2} x the sum of priming ({:.2} s){}",
        wall_seconds,
        wall_seconds / sum[2].max(1e-9),
        sum[2],
        report
            .concurrent_jobs
            .map(|n| format!("; --jobs {n}: phases overlap"))
            .unwrap_or_else(|| if overlap {
                "; each variant started and primed while the previous one settled \
                 (settle, figures and explain overlap the next priming), teardown runs \
                 in the background"
                    .into()
            } else {
                "; start and empty overlap the previous variant's settling, \
                 teardown runs in the background"
                    .into()
            })
    );
    out
}
