//! Markdown, like the plugin README's table, plus dataset bytes, records/s and the samples.

use super::{Exporter, Report, human_bytes, percent, rows, yes_no};
use std::fmt::Write;

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let mut out = String::new();
        writeln!(out, "# {}", report.scenario.name)?;
        writeln!(out)?;
        if !report.scenario.description.is_empty() {
            writeln!(out, "{}", report.scenario.description.trim())?;
            writeln!(out)?;
        }
        writeln!(
            out,
            "{} records ({} dataset, scale {}), Redis {} ({}), clock {}, baseline {}.",
            report.scenario.dataset.records,
            report.scenario.dataset.kind,
            report.scenario.dataset.scale,
            report.redis.version,
            report.redis.allocator,
            report.scenario.clock.kind,
            report.baseline
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "| test | memory bytes | memory human | dataset bytes | relative | ttl on redis? | \
             ttl in dogpile? | backend | encoder | records/s |"
        )?;
        writeln!(out, "|---|---:|---:|---:|---:|---|---|---|---|---:|")?;
        for row in rows(report) {
            let v = row.variant;
            let backend = if v.layout == "hash" {
                "RedisHstore"
            } else {
                "Redis"
            };
            let encoder = format!("{} {}", v.codec, v.envelope);
            match row.measured {
                Some(m) => writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0} |",
                    v.name,
                    m.memory.used_memory,
                    human_bytes(m.memory.used_memory),
                    m.dataset_bytes,
                    percent(row.relative),
                    yes_no(v.ttl_on_redis()),
                    yes_no(v.expiration_time.is_some()),
                    backend,
                    encoder,
                    m.records_per_second
                )?,
                None => writeln!(
                    out,
                    "| {} | FAILED | - | - | - | {} | {} | {} | {} | - |",
                    v.name,
                    yes_no(v.ttl_on_redis()),
                    yes_no(v.expiration_time.is_some()),
                    backend,
                    encoder
                )?,
            }
        }
        writeln!(out)?;
        writeln!(out, "## Samples")?;
        for v in &report.variants {
            writeln!(out)?;
            writeln!(out, "### {}", v.name)?;
            writeln!(out)?;
            match &v.result {
                Some(m) => {
                    for s in &m.samples {
                        writeln!(out, "- `{}`: `{}`", s.key, s.python_repr())?;
                    }
                }
                None => writeln!(
                    out,
                    "FAILED: {}",
                    v.error.as_deref().unwrap_or("unknown error")
                )?,
            }
        }
        Ok(out)
    }
}
