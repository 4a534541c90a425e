//! The terminal table (comfy-table).

use super::explained::explained;
use super::{
    Exporter, Report, VariantReport, bytes_per_record, human_bytes, percent, rows, yes_no,
};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

pub struct TableExporter;

impl Exporter for TableExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String> {
        if report.engines.is_empty() {
            let variants: Vec<&VariantReport> = report.variants.iter().collect();
            let mut out = format!(
                "{} ({} records, scale {}) on {} {} ({}); baseline {}\n{}\n",
                report.scenario.name,
                report.scenario.dataset.records,
                report.scenario.dataset.scale,
                report.redis.server.as_deref().unwrap_or("Redis"),
                report.redis.version,
                report.redis.allocator,
                report.baseline,
                variant_table(report, &variants, false),
            );
            out.push_str(&super::read::table(report));
            out.push_str(&explain_block(report));
            out.push_str(&failures(report));
            return Ok(out);
        }
        let mut out = format!(
            "{} ({} records, scale {}) on {} engines; baseline {} within each engine, and {}\n",
            report.scenario.name,
            report.scenario.dataset.records,
            report.scenario.dataset.scale,
            report.engines.len(),
            report.baseline,
            super::across_label(report),
        );
        if let Some(w) = report.allocator_warning() {
            out.push_str(&format!("{w}\n"));
        }
        for (engine, variants) in report.engine_groups() {
            let e = engine.expect("a multi-engine report names each group's engine");
            out.push_str(&format!(
                "\nengine {}: {}\n{}\n",
                e.name,
                super::engine_line(e),
                variant_table(report, &variants, true)
            ));
        }
        out.push_str(&super::read::table(report));
        out.push_str(&explain_block(report));
        out.push_str(&failures(report));
        Ok(out)
    }
}

/// The failures, then the --jobs note on timings.
fn failures(report: &Report) -> String {
    let note = report.timing_note().map(|n| format!("{n}\n"));
    report
        .failed()
        .map(|v| {
            format!(
                "FAILED {}: {}\n",
                v.label(),
                v.error.as_deref().unwrap_or("unknown error")
            )
        })
        .chain(note)
        .collect()
}

/// One engine's variants; `across` adds the column against the baseline engine.
fn variant_table(report: &Report, variants: &[&VariantReport], across: bool) -> Table {
    {
        let mut table = Table::new();
        table.load_style(UTF8_FULL_CONDENSED);
        let mut header: Vec<String> = Vec::new();
        header.extend(
            [
                "variant",
                "used memory",
                "dataset bytes",
                "relative",
                "B/record",
            ]
            .map(String::from),
        );
        if across {
            header.push(super::across_label(report));
        }
        header.extend(
            [
                "keys",
                "keys w/ TTL",
                "ttl on redis",
                "ttl in dogpile",
                "codec",
                "envelope",
                "layout",
                "prime s",
                "records/s",
            ]
            .map(String::from),
        );
        table.set_header(header);
        for row in rows(report, variants) {
            let v = row.variant;
            let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
            let mut cells = vec![Cell::new(&v.name)];
            match row.measured {
                Some(m) => cells.extend([
                    right(format!(
                        "{} ({})",
                        m.memory.used_memory,
                        human_bytes(m.memory.used_memory)
                    )),
                    right(m.dataset_bytes.to_string()),
                    right(percent(row.relative)),
                    right(format!("{:.1}", bytes_per_record(m))),
                ]),
                None => cells.extend(["FAILED", "-", "-", "-"].map(Cell::new)),
            }
            if across {
                cells.push(right(percent(row.across)));
            }
            match row.measured {
                Some(m) => cells.extend([
                    right(m.keys.to_string()),
                    right(m.keys_with_ttl.to_string()),
                ]),
                None => cells.extend(["-", "-"].map(Cell::new)),
            }
            cells.extend([
                Cell::new(yes_no(v.ttl_on_redis())),
                Cell::new(yes_no(v.expiration_time.is_some())),
                Cell::new(&v.codec),
                Cell::new(&v.envelope),
                Cell::new(&v.layout),
            ]);
            match row.measured {
                Some(m) => cells.extend([
                    right(format!("{:.2}", m.prime_seconds)),
                    right(super::thousands(
                        m.records_per_second.max(0.0).round() as u64
                    )),
                ]),
                None => cells.extend([Cell::new("-"), Cell::new("-")]),
            }
            table.add_row(cells);
        }
        table
    }
}

/// Per variant, what its figures come from: a few indented lines under the table.
fn explain_block(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(&super::cluster::section(report));
    for v in report
        .variants
        .iter()
        .filter(|v| v.result.is_some() && !super::markdown::on_cluster_unexplained(v))
    {
        let e = explained(report, v);
        out.push_str(&format!(
            "\n{}: layout {}, hash_ttl {}, overrides {}\n",
            v.label(),
            v.layout,
            e.hash_ttl,
            e.overrides
        ));
        if e.key_bytes == "-" {
            out.push_str("  (no explanation in this report)\n");
            continue;
        }
        out.push_str(&format!(
            "  written    key B {} and value B {} (mean / p50 / max){}\n",
            e.key_bytes,
            e.value_bytes,
            if e.buckets == "-" {
                String::new()
            } else {
                format!("; {}", e.buckets)
            }
        ));
        out.push_str(&format!(
            "  encodings  {} (predicted {})\n",
            e.encodings, e.predicted
        ));
        out.push_str(&format!("  ttl cost   {}\n", e.ttl));
        for (name, text) in &e.breakdown {
            out.push_str(&format!("  part       {name}: {text}\n"));
        }
        out.push_str(&format!("  why        {}\n", e.why));
        for w in &e.warnings {
            out.push_str(&format!("  warning    {w}\n"));
        }
    }
    out
}
