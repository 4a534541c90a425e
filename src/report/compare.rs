//! `redisadv compare`: two reports, variant by variant. Exit codes: 0 when no variant grew
//! past the threshold, 1 when one did, 2 on an error (unreadable file, another dataset or
//! scale, another schema version).

use super::Report;
use crate::cli::Metric;
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

/// One variant present in both reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub variant: String,
    pub base: Option<u64>,
    pub new: Option<u64>,
    /// Growth in percent of base; `None` when either side failed.
    pub percent: Option<f64>,
    pub regressed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub metric: Metric,
    pub threshold: f64,
    pub changes: Vec<Change>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub warnings: Vec<String>,
}

/// Growth of `new` over `base` in percent (pure, for tests and tables).
pub fn growth_percent(base: u64, new: u64) -> f64 {
    if base == 0 {
        if new == 0 { 0.0 } else { f64::INFINITY }
    } else {
        (new as f64 - base as f64) * 100.0 / base as f64
    }
}

fn figure(report: &Report, name: &str, metric: Metric) -> Option<u64> {
    let m = report
        .variants
        .iter()
        .find(|v| v.name == name)?
        .result
        .as_ref()?;
    Some(match metric {
        Metric::DatasetBytes => m.dataset_bytes,
        Metric::UsedMemory => m.memory.used_memory,
    })
}

/// Compares `new` with `base`; an error when they measured different things.
pub fn compare(
    base: &Report,
    new: &Report,
    metric: Metric,
    threshold: f64,
) -> anyhow::Result<Comparison> {
    let (b, n) = (&base.scenario.dataset, &new.scenario.dataset);
    if b.kind != n.kind || b.scale != n.scale || b.seed != n.seed || b.records != n.records {
        anyhow::bail!(
            "the reports measured different datasets ({} scale {} with {} records vs {} scale {} \
             with {} records); compare runs of the same scenario and scale",
            b.kind,
            b.scale,
            b.records,
            n.kind,
            n.scale,
            n.records
        );
    }
    let mut warnings = Vec::new();
    if base.redis.version != new.redis.version || base.redis.allocator != new.redis.allocator {
        warnings.push(format!(
            "WARNING: different Redis builds: {} ({}) vs {} ({}); memory figures are not \
             comparable byte for byte",
            base.redis.version, base.redis.allocator, new.redis.version, new.redis.allocator
        ));
    }
    if base.scenario.clock.kind != "fixed" || new.scenario.clock.kind != "fixed" {
        warnings.push(
            "warning: a report used clock = \"now\"; its figures vary by a few KB from run to run"
                .into(),
        );
    }
    let mut changes = Vec::new();
    for v in &base.variants {
        if !new.variants.iter().any(|w| w.name == v.name) {
            continue;
        }
        let (bf, nf) = (figure(base, &v.name, metric), figure(new, &v.name, metric));
        let percent = match (bf, nf) {
            (Some(b), Some(n)) => Some(growth_percent(b, n)),
            _ => None,
        };
        // A variant that failed in the new run counts as a regression: it proves nothing.
        let regressed = match (bf, nf) {
            (_, None) => true,
            (None, Some(_)) => false,
            _ => percent.is_some_and(|p| p > threshold),
        };
        changes.push(Change {
            variant: v.name.clone(),
            base: bf,
            new: nf,
            percent,
            regressed,
        });
    }
    let added = new
        .variants
        .iter()
        .filter(|v| !base.variants.iter().any(|w| w.name == v.name))
        .map(|v| v.name.clone())
        .collect();
    let removed = base
        .variants
        .iter()
        .filter(|v| !new.variants.iter().any(|w| w.name == v.name))
        .map(|v| v.name.clone())
        .collect();
    Ok(Comparison {
        metric,
        threshold,
        changes,
        added,
        removed,
        warnings,
    })
}

impl Comparison {
    pub fn regressed(&self) -> bool {
        self.changes.iter().any(|c| c.regressed)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for w in &self.warnings {
            out.push_str(w);
            out.push('\n');
        }
        let metric = match self.metric {
            Metric::DatasetBytes => "dataset bytes",
            Metric::UsedMemory => "used_memory",
        };
        let mut table = Table::new();
        table.load_style(UTF8_FULL_CONDENSED);
        table.set_header(vec![
            "variant",
            "base",
            "new",
            "difference",
            "percent",
            "verdict",
        ]);
        let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
        let show = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_else(|| "FAILED".into());
        for c in &self.changes {
            let diff = match (c.base, c.new) {
                (Some(b), Some(n)) => format!("{:+}", n as i128 - b as i128),
                _ => "-".into(),
            };
            table.add_row(vec![
                Cell::new(&c.variant),
                right(show(c.base)),
                right(show(c.new)),
                right(diff),
                right(
                    c.percent
                        .map(|p| format!("{p:+.3}%"))
                        .unwrap_or_else(|| "-".into()),
                ),
                Cell::new(if c.regressed { "REGRESSION" } else { "ok" }),
            ]);
        }
        out.push_str(&format!(
            "{metric}, allowed growth {}%\n{table}\n",
            self.threshold
        ));
        for name in &self.added {
            out.push_str(&format!("added: {name}\n"));
        }
        for name in &self.removed {
            out.push_str(&format!("removed: {name}\n"));
        }
        let n = self.changes.iter().filter(|c| c.regressed).count();
        out.push_str(&if n == 0 {
            "no regression\n".to_string()
        } else {
            format!("{n} variant(s) regressed\n")
        });
        out
    }
}
