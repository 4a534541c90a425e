//! Markdown, like the plugin README's table, plus dataset bytes, records/s and the samples.

use super::explained::explained;
use super::{Exporter, Report, VariantReport, human_bytes, percent, rows, yes_no};
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
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    v.name,
                    m.memory.used_memory,
                    human_bytes(m.memory.used_memory),
                    m.dataset_bytes,
                    percent(row.relative),
                    yes_no(v.ttl_on_redis()),
                    yes_no(v.expiration_time.is_some()),
                    backend,
                    encoder,
                    super::thousands(m.records_per_second.max(0.0).round() as u64)
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
        explain_sections(report, &mut out)?;
        writeln!(out)?;
        writeln!(out, "## Samples")?;
        // Variants that stored the same bytes share one list.
        let mut shown: Vec<(Vec<&str>, &VariantReport)> = Vec::new();
        for v in &report.variants {
            let same = shown
                .iter_mut()
                .find(|(_, first)| match (&first.result, &v.result) {
                    (Some(a), Some(b)) => a.samples == b.samples,
                    _ => false,
                });
            match same {
                Some((names, _)) => names.push(&v.name),
                None => shown.push((vec![&v.name], v)),
            }
        }
        for (names, v) in shown {
            writeln!(out)?;
            writeln!(out, "### {}", names.join(", "))?;
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

/// Layout, TTL policy, buckets, overrides, what was written, what Redis chose, the TTL's
/// cost, the breakdown, the "why" and the warnings, per variant.
fn explain_sections(report: &Report, out: &mut String) -> std::fmt::Result {
    let measured: Vec<&VariantReport> = report
        .variants
        .iter()
        .filter(|v| v.result.is_some())
        .collect();
    if measured.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "## Why each variant costs what it costs")?;
    writeln!(out)?;
    writeln!(
        out,
        "| test | layout | hash_ttl | buckets | overrides | why |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for v in &measured {
        let e = explained(report, v);
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            v.name, v.layout, e.hash_ttl, e.buckets, e.overrides, e.why
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Sizes as written (bytes, mean / p50 / max; the key is the field name under the hash \
         layout), and the encodings Redis chose (OBJECT ENCODING):"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| test | key bytes | value bytes | encodings measured | predicted |"
    )?;
    writeln!(out, "|---|---|---|---|---|")?;
    for v in &measured {
        let e = explained(report, v);
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            v.name, e.key_bytes, e.value_bytes, e.encodings, e.predicted
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Dataset bytes in parts that add up, and the Redis TTL's own cost:"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| test | key table | expires table | key names, objects and values | TTL cost |"
    )?;
    writeln!(out, "|---|---|---|---|---|")?;
    for v in &measured {
        let e = explained(report, v);
        let part = |i: usize| e.breakdown.get(i).map_or("-".to_string(), |p| p.1.clone());
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            v.name,
            part(0),
            part(1),
            part(2),
            e.ttl
        )?;
    }
    let warned: Vec<(&VariantReport, Vec<String>)> = measured
        .iter()
        .map(|v| (*v, explained(report, v).warnings))
        .filter(|(_, w)| !w.is_empty())
        .collect();
    if !warned.is_empty() {
        writeln!(out)?;
        writeln!(out, "Warnings before priming:")?;
        writeln!(out)?;
        for (v, warnings) in warned {
            for w in warnings {
                writeln!(out, "- {}: {w}", v.name)?;
            }
        }
    }
    Ok(())
}
