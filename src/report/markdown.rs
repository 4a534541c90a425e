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
        if report.engines.is_empty() {
            writeln!(
                out,
                "{} records ({} dataset, scale {}), {} {} ({}), clock {}, baseline {}.",
                report.scenario.dataset.records,
                report.scenario.dataset.kind,
                report.scenario.dataset.scale,
                report.redis.server.as_deref().unwrap_or("Redis"),
                report.redis.version,
                report.redis.allocator,
                report.scenario.clock.kind,
                report.baseline
            )?;
            writeln!(out)?;
            let variants: Vec<&VariantReport> = report.variants.iter().collect();
            variant_table(report, &variants, false, &mut out)?;
        } else {
            writeln!(
                out,
                "{} records ({} dataset, scale {}), clock {}, on {} engines. Relative: against \
                 {} on the same engine; across engines: {}.",
                report.scenario.dataset.records,
                report.scenario.dataset.kind,
                report.scenario.dataset.scale,
                report.scenario.clock.kind,
                report.engines.len(),
                report.baseline,
                super::across_label(report),
            )?;
            writeln!(out)?;
            writeln!(
                out,
                "| engine | server | version | mem_allocator | jemalloc | origin |"
            )?;
            writeln!(out, "|---|---|---|---|---|---|")?;
            for e in &report.engines {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    e.name,
                    e.server,
                    e.version,
                    e.allocator,
                    if e.jemalloc.is_empty() {
                        "-"
                    } else {
                        &e.jemalloc
                    },
                    e.origin
                )?;
            }
            if let Some(w) = report.allocator_warning() {
                writeln!(out)?;
                writeln!(out, "**{w}**")?;
            }
            for (engine, variants) in report.engine_groups() {
                let e = engine.expect("a multi-engine report names each group's engine");
                writeln!(out)?;
                writeln!(out, "## Engine {}: {}", e.name, super::engine_line(e))?;
                writeln!(out)?;
                variant_table(report, &variants, true, &mut out)?;
            }
        }
        if let Some(note) = report.timing_note() {
            writeln!(out)?;
            writeln!(out, "*{note}.*")?;
        }
        super::read::markdown(report, &mut out)?;
        out.push_str(&super::cluster::section(report));
        explain_sections(report, &mut out)?;
        writeln!(out)?;
        writeln!(out, "## Samples")?;
        // Variants that stored the same bytes share one list.
        let mut shown: Vec<(Vec<String>, &VariantReport)> = Vec::new();
        for v in &report.variants {
            let same = shown
                .iter_mut()
                .find(|(_, first)| match (&first.result, &v.result) {
                    (Some(a), Some(b)) => a.samples == b.samples,
                    _ => false,
                });
            match same {
                Some((names, _)) => names.push(v.label()),
                None => shown.push((vec![v.label()], v)),
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

/// One engine's variants; `across` adds the column against the baseline engine.
fn variant_table(
    report: &Report,
    variants: &[&VariantReport],
    across: bool,
    out: &mut String,
) -> std::fmt::Result {
    writeln!(
        out,
        "| test | memory bytes | memory human | dataset bytes | relative | {}ttl on redis? | \
             ttl in dogpile? | backend | encoder | records/s |",
        if across {
            format!("{} | ", super::across_label(report))
        } else {
            String::new()
        }
    )?;
    writeln!(
        out,
        "|---|---:|---:|---:|---:|{}---|---|---|---|---:|",
        if across { "---:|" } else { "" }
    )?;
    for row in rows(report, variants) {
        let v = row.variant;
        let backend = if v.layout == "hash" {
            "RedisHstore"
        } else {
            "Redis"
        };
        let encoder = format!("{} {}", v.codec, v.envelope);
        let across_cell = if across {
            format!("{} | ", percent(row.across))
        } else {
            String::new()
        };
        match row.measured {
            Some(m) => writeln!(
                out,
                "| {} | {} | {} | {} | {} | {}{} | {} | {} | {} | {} |",
                v.name,
                m.memory.used_memory,
                human_bytes(m.memory.used_memory),
                m.dataset_bytes,
                percent(row.relative),
                across_cell,
                yes_no(v.ttl_on_redis()),
                yes_no(v.expiration_time.is_some()),
                backend,
                encoder,
                super::thousands(m.records_per_second.max(0.0).round() as u64)
            )?,
            None => writeln!(
                out,
                "| {} | FAILED | - | - | - | {}{} | {} | {} | {} | - |",
                v.name,
                across_cell,
                yes_no(v.ttl_on_redis()),
                yes_no(v.expiration_time.is_some()),
                backend,
                encoder
            )?,
        }
    }
    Ok(())
}

/// Layout, TTL policy, buckets, overrides, what was written, what Redis chose, the TTL's
/// cost, the breakdown, the "why" and the warnings, per variant.
fn explain_sections(report: &Report, out: &mut String) -> std::fmt::Result {
    let measured: Vec<&VariantReport> = report
        .variants
        .iter()
        .filter(|v| v.result.is_some() && !on_cluster_unexplained(v))
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
            v.label(),
            v.layout,
            e.hash_ttl,
            e.buckets,
            e.overrides,
            e.why
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
            v.label(),
            e.key_bytes,
            e.value_bytes,
            e.encodings,
            e.predicted
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
            v.label(),
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
        writeln!(out, "Warnings from the plan:")?;
        writeln!(out)?;
        for (v, warnings) in warned {
            for w in warnings {
                writeln!(out, "- {}: {w}", v.label())?;
            }
        }
    }
    Ok(())
}

/// A variant measured on a cluster, which has no explanation (its section says so).
pub fn on_cluster_unexplained(v: &VariantReport) -> bool {
    v.result
        .as_ref()
        .is_some_and(|m| m.cluster.is_some() && m.explain.is_none())
}
