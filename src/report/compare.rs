//! `redisadv compare`: two reports, variant by variant, and the CI gate's exit code.
//!
//! Exit codes: 0 when every variant of BASE was measured in NEW and none grew past the
//! threshold; 1 when one grew, failed in NEW, or is missing from NEW (unless
//! `--allow-missing`); 2 on an error: unreadable file, another dataset (by fingerprint),
//! another schema version, or nothing to compare.

use super::{DatasetInfo, OutputFormat, Report};
use crate::document::{self, Block, Cell, Document, Reported, Table};
use serde::Serialize;

/// The memory figure `compare` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Settled used_memory minus the empty server's: repeats byte for byte.
    DatasetBytes,
    /// The server's whole used_memory.
    UsedMemory,
}

/// What happened to one variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Measured in both, within the threshold.
    Ok,
    /// Grew past the threshold.
    Regression,
    /// Failed in NEW: it proves nothing, so it fails the gate.
    Failed,
    /// In BASE, not in NEW.
    Missing,
    /// In NEW only: shown, never judged.
    Added,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Regression => "REGRESSION",
            Status::Failed => "FAILED",
            Status::Missing => "MISSING",
            Status::Added => "added",
        }
    }
}

/// One variant of either report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    #[serde(rename = "name")]
    pub variant: String,
    pub base: Option<u64>,
    pub new: Option<u64>,
    /// new - base, in bytes.
    pub delta: Option<i128>,
    /// Growth in percent of base; `None` when either side has no figure.
    pub percent: Option<f64>,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub metric: Metric,
    pub threshold: f64,
    /// BASE's variants in order, then those only NEW has.
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
}

/// The overall result, and the exit code it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Regression,
    Missing,
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
        .find(|v| v.label() == name)?
        .result
        .as_ref()?;
    Some(match metric {
        Metric::DatasetBytes => m.dataset_bytes,
        Metric::UsedMemory => m.memory.used_memory,
    })
}

/// An error when `base` and `new` describe different datasets. Reports of schema version 2
/// carry a fingerprint of the dataset's definition; a version-1 report has none, so the
/// check falls back to kind, scale, seed and record count, and the returned note says so.
pub fn check_datasets(base: &DatasetInfo, new: &DatasetInfo) -> anyhow::Result<Option<String>> {
    let describe = |d: &DatasetInfo| {
        format!(
            "{} dataset, scale {}, seed {}, {} records{}",
            d.kind,
            d.scale,
            d.seed,
            d.records,
            d.fingerprint
                .as_deref()
                .map(|f| format!(", fingerprint {f}"))
                .unwrap_or_default()
        )
    };
    let same_shape = base.kind == new.kind
        && base.scale == new.scale
        && base.seed == new.seed
        && base.records == new.records;
    let (same, note) = match (&base.fingerprint, &new.fingerprint) {
        (Some(b), Some(n)) => (same_shape && b == n, None),
        _ => (
            same_shape,
            Some(
                "note: a version-1 report has no dataset fingerprint; the datasets were matched \
                 by kind, scale, seed and record count only"
                    .to_string(),
            ),
        ),
    };
    if !same {
        anyhow::bail!(
            "the reports measured different datasets (BASE: {}; NEW: {}); compare runs of the \
             same scenario dataset and scale",
            describe(base),
            describe(new)
        );
    }
    Ok(note)
}

/// Refuses a report as BASE when not one of its variants was measured (a failed run still
/// writes a report): every comparison with it would find nothing to hold NEW to and pass.
/// `shown` names the file and the flag for the message.
pub fn check_measured(base: &Report, shown: &str) -> anyhow::Result<()> {
    if base.variants.iter().any(|v| v.result.is_some()) {
        return Ok(());
    }
    let why = base
        .variants
        .iter()
        .find_map(|v| v.error.as_deref())
        .map(|e| {
            let first: String = e
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            format!(" (the first error: {first})")
        })
        .unwrap_or_default();
    let what = match base.variants.len() {
        0 => "this report holds no variant".to_string(),
        n => format!("every variant of this report failed ({n} of {n}){why}"),
    };
    anyhow::bail!(
        "{shown}: {what}, so it measured nothing and cannot be a baseline: a comparison with \
         it would pass whatever NEW measures. Use the report of a run whose variants were \
         measured"
    )
}

/// Compares `new` with `base`; an error when they measured different datasets, or when not
/// one variant is in both (nothing compared must never pass a gate).
pub fn compare(
    base: &Report,
    new: &Report,
    metric: Metric,
    threshold: f64,
) -> anyhow::Result<Comparison> {
    let note = check_datasets(&base.scenario.dataset, &new.scenario.dataset)?;
    check_measured(base, "BASE")?;
    let names = |r: &Report| {
        let names: Vec<String> = r.variants.iter().map(|v| v.label()).collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    };
    if !base
        .variants
        .iter()
        .any(|v| new.variants.iter().any(|w| w.label() == v.label()))
    {
        anyhow::bail!(
            "nothing to compare: no variant is in both reports (BASE: {}; NEW: {})",
            names(base),
            names(new)
        );
    }
    let mut warnings: Vec<String> = note.into_iter().collect();
    if base.redis.version != new.redis.version || base.redis.allocator != new.redis.allocator {
        warnings.push(format!(
            "WARNING: different Redis builds: {} ({}) vs {} ({}); memory figures are not \
             comparable byte for byte",
            base.redis.version, base.redis.allocator, new.redis.version, new.redis.allocator
        ));
    }
    if base.scenario.clock.kind == "now" || new.scenario.clock.kind == "now" {
        warnings.push(
            "warning: a report used clock = \"now\"; its figures vary by a few KB from run to run"
                .into(),
        );
    }
    let mut changes = Vec::new();
    for v in &base.variants {
        let bf = figure(base, &v.label(), metric);
        if !new.variants.iter().any(|w| w.label() == v.label()) {
            changes.push(Change {
                variant: v.label(),
                base: bf,
                new: None,
                delta: None,
                percent: None,
                status: Status::Missing,
            });
            continue;
        }
        let nf = figure(new, &v.label(), metric);
        let (delta, percent) = match (bf, nf) {
            (Some(b), Some(n)) => (Some(n as i128 - b as i128), Some(growth_percent(b, n))),
            _ => (None, None),
        };
        let status = match (bf, nf) {
            (_, None) => Status::Failed,
            _ if percent.is_some_and(|p| p > threshold) => Status::Regression,
            _ => Status::Ok,
        };
        changes.push(Change {
            variant: v.label(),
            base: bf,
            new: nf,
            delta,
            percent,
            status,
        });
    }
    for v in &new.variants {
        if !base.variants.iter().any(|w| w.label() == v.label()) {
            changes.push(Change {
                variant: v.label(),
                base: None,
                new: figure(new, &v.label(), metric),
                delta: None,
                percent: None,
                status: Status::Added,
            });
        }
    }
    Ok(Comparison {
        metric,
        threshold,
        changes,
        warnings,
    })
}

/// `compare --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareFormat {
    Table,
    Markdown,
    Json,
}

impl Comparison {
    fn count(&self, status: Status) -> usize {
        self.changes.iter().filter(|c| c.status == status).count()
    }

    pub fn regressed(&self) -> bool {
        self.count(Status::Regression) + self.count(Status::Failed) > 0
    }

    pub fn verdict(&self, allow_missing: bool) -> Verdict {
        if self.regressed() {
            Verdict::Regression
        } else if !allow_missing && self.count(Status::Missing) > 0 {
            Verdict::Missing
        } else {
            Verdict::Pass
        }
    }

    fn metric_name(&self) -> &'static str {
        match self.metric {
            Metric::DatasetBytes => "dataset-bytes",
            Metric::UsedMemory => "used-memory",
        }
    }

    fn summary(&self, allow_missing: bool) -> String {
        let (regressed, failed, missing) = (
            self.count(Status::Regression),
            self.count(Status::Failed),
            self.count(Status::Missing),
        );
        let mut parts = Vec::new();
        if regressed == 0 && failed == 0 {
            parts.push("no regression".to_string());
        }
        if regressed > 0 {
            parts.push(format!("{regressed} variant(s) regressed"));
        }
        if failed > 0 {
            parts.push(format!("{failed} variant(s) failed in NEW"));
        }
        if missing > 0 {
            parts.push(format!(
                "{missing} variant(s) missing from NEW{}",
                if allow_missing {
                    " (allowed by --allow-missing)"
                } else {
                    " (--allow-missing accepts that)"
                }
            ));
        }
        parts.join("; ")
    }

    /// The comparison in `format` (compare's own `--format` values).
    pub fn render(&self, format: CompareFormat, allow_missing: bool) -> String {
        let format = match format {
            CompareFormat::Table => OutputFormat::Table,
            CompareFormat::Markdown => OutputFormat::Markdown,
            CompareFormat::Json => OutputFormat::Json,
        };
        self.outcome(allow_missing)
            .render(format)
            .expect("a comparison has a table, Markdown and JSON")
    }

    /// The comparison with the gate's setting: what every output format writes.
    pub fn outcome(&self, allow_missing: bool) -> Outcome<'_> {
        Outcome {
            comparison: self,
            allow_missing,
        }
    }

    fn cells(c: &Change) -> [String; 4] {
        let show = |v: Option<u64>| v.map(super::thousands).unwrap_or_else(|| "-".into());
        [
            show(c.base),
            show(c.new),
            c.delta
                .map(|d| {
                    let sign = if d < 0 { "-" } else { "+" };
                    format!("{sign}{}", super::thousands(d.unsigned_abs() as u64))
                })
                .unwrap_or_else(|| "-".into()),
            c.percent
                .map(|p| format!("{p:+.3}%"))
                .unwrap_or_else(|| "-".into()),
        ]
    }

    /// The terminal's and Markdown's heading, warnings, one row per variant and the
    /// summary; HTML shows them as a page, CSV one row per variant with the raw figures.
    fn document(&self, allow_missing: bool) -> Document {
        let mut doc = Document::new();
        let summary = self.summary(allow_missing);
        let figure = format!(
            "{} (bytes), allowed growth {}%",
            self.metric_name(),
            self.threshold
        );
        doc.push_for(document::HTML, Block::Title("compare".into()));
        doc.push_for(
            document::HTML,
            Block::Paragraph(format!("{summary}: {figure}")),
        );
        doc.push_for(
            document::MARKDOWN,
            Block::Paragraph(format!("**{summary}**: {figure}")),
        );
        for w in &self.warnings {
            doc.push_for(document::TERMINAL, Block::Paragraph(w.clone()));
            doc.push_for(document::MARKDOWN, Block::Paragraph(format!("> {w}")));
            doc.push_for(document::HTML, Block::Warning(w.clone()));
        }
        doc.push_for(document::TERMINAL, Block::Paragraph(figure));
        let mut table = Table::new(
            &["variant", "base", "new", "difference", "percent", "verdict"],
            &[false, true, true, true, true, false],
        );
        for c in &self.changes {
            let [b, n, d, p] = Self::cells(c);
            table.row(vec![
                Cell::text(&c.variant),
                Cell::number(b),
                Cell::number(n),
                Cell::number(d),
                Cell::number(p),
                Cell::text(c.status.label()),
            ]);
        }
        doc.push_for(document::PROSE, Block::Table(table));
        doc.push_for(document::TERMINAL, Block::Paragraph(summary));
        let mut csv = Table::new(
            &["variant", "base", "new", "delta", "percent", "status"],
            &[],
        );
        let raw = |v: Option<String>| Cell::number(v.unwrap_or_default());
        for c in &self.changes {
            csv.row(vec![
                Cell::text(&c.variant),
                raw(c.base.map(|b| b.to_string())),
                raw(c.new.map(|n| n.to_string())),
                raw(c.delta.map(|d| d.to_string())),
                raw(c.percent.map(|p| format!("{p:.6}"))),
                Cell::text(c.status.label()),
            ]);
        }
        doc.push_for(document::CSV, Block::Table(csv));
        doc
    }

    fn render_json(&self, allow_missing: bool) -> String {
        /// The JSON shape, field order as a reader expects it.
        #[derive(Serialize)]
        struct Json<'a> {
            verdict: Verdict,
            summary: String,
            metric: &'a str,
            max_regression_percent: f64,
            allow_missing: bool,
            variants: &'a [Change],
            warnings: &'a [String],
        }
        let value = Json {
            verdict: self.verdict(allow_missing),
            summary: self.summary(allow_missing),
            metric: self.metric_name(),
            max_regression_percent: self.threshold,
            allow_missing,
            variants: &self.changes,
            warnings: &self.warnings,
        };
        let mut text = serde_json::to_string_pretty(&value).expect("plain JSON values");
        text.push('\n');
        text
    }
}

/// A comparison as the gate judged it (`--allow-missing` decides the verdict): what
/// `compare` writes in every format.
pub struct Outcome<'a> {
    comparison: &'a Comparison,
    allow_missing: bool,
}

impl Outcome<'_> {
    pub fn render(&self, format: OutputFormat) -> anyhow::Result<String> {
        document::render(self, format)
    }
}

impl Reported for Outcome<'_> {
    fn document(&self) -> Document {
        self.comparison.document(self.allow_missing)
    }

    fn json(&self) -> anyhow::Result<String> {
        Ok(self.comparison.render_json(self.allow_missing))
    }
}
