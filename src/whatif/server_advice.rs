//! The whole-server line of `whatif --match A --match B ...`: the best change for each family,
//! the families weighted by their bytes today, the total saving with its 95% interval (the
//! families are sampled independently, so their intervals add in quadrature), what each
//! costs on the read path, and what to change in each library; or that nothing is worth it.

use super::WhatifReport;
use super::advice::{WORTH_PERCENT, choose, how, read_path};
use crate::inspect::render::human;
use std::fmt::Write;

/// The lines a user reads for the server (the families given, largest first).
pub fn recommend(reports: &[WhatifReport]) -> String {
    let mut families: Vec<&WhatifReport> = reports.iter().collect();
    let today = |r: &WhatifReport| {
        r.as_stored
            .as_ref()
            .and_then(|p| p.projected_bytes)
            .unwrap_or(0.0)
    };
    families.sort_by(|a, b| today(b).total_cmp(&today(a)));
    let total_today: f64 = families.iter().map(|r| today(r)).sum();
    let mut saved = 0.0;
    let mut var = 0.0;
    let mut changed = 0;
    let mut lines = Vec::new();
    for r in &families {
        let share = if total_today > 0.0 {
            today(r) / total_today * 100.0
        } else {
            0.0
        };
        let head = format!(
            "{} ({}, {} today, {share:.0}% of these families)",
            r.sample.pattern,
            if r.library.is_empty() {
                "library unknown"
            } else {
                &r.library
            },
            human(today(r))
        );
        let (best, note) = choose(r);
        let note = note.map_or(String::new(), |n| format!("; {n}"));
        let Some(best) = best else {
            lines.push(format!("{head}: no variant was measured; keep it as it is"));
            continue;
        };
        let pc = best.savings_percent.unwrap_or(0.0);
        let ci = best
            .savings_percent_ci95
            .filter(|c| c.is_finite())
            .unwrap_or(0.0);
        if pc - ci < WORTH_PERCENT {
            lines.push(format!(
                "{head}: keep it as it is (the best, {}, saves {pc:.1}% ±{ci:.1}, under \
                 {WORTH_PERCENT:.0}% with its interval){note}",
                best.variant
            ));
            continue;
        }
        changed += 1;
        let s = best.savings_bytes.unwrap_or(0.0);
        saved += s;
        var += (best.savings_ci95.filter(|c| c.is_finite()).unwrap_or(0.0) / 1.96).powi(2);
        let mut line = format!(
            "{head}: {} saves {} ({pc:.1}% ±{ci:.1}); read path: {}; change: {}",
            best.variant,
            human(s),
            read_path(best),
            how(best, r)
        );
        if best.unencodable > 0 {
            let _ = write!(
                line,
                "; {} sampled records cannot be written this way",
                best.unencodable
            );
        }
        line.push_str(&note);
        lines.push(line);
    }
    let ci = 1.96 * var.sqrt();
    let pc = |x: f64| {
        if total_today > 0.0 {
            x / total_today * 100.0
        } else {
            0.0
        }
    };
    let mut out = if changed == 0 || pc(saved - ci) < WORTH_PERCENT {
        format!(
            "server recommendation ({} families, {} today): nothing worth changing: the \
             best changes together save {} ±{} ({:.1}% ±{:.1}), under {WORTH_PERCENT:.0}% \
             of these families' bytes with the interval",
            families.len(),
            human(total_today),
            human(saved),
            human(ci),
            pc(saved),
            pc(ci)
        )
    } else {
        format!(
            "server recommendation ({} families, {} today): change {changed} of them to save \
             {} ±{} ({:.1}% ±{:.1} of these families' bytes):",
            families.len(),
            human(total_today),
            human(saved),
            human(ci),
            pc(saved),
            pc(ci)
        )
    };
    for l in lines {
        let _ = write!(out, "\n  - {l}");
    }
    out
}
