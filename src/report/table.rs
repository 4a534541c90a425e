//! The terminal table (comfy-table).

use super::{Exporter, Report, bytes_per_record, human_bytes, percent, rows, yes_no};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

pub struct TableExporter;

impl Exporter for TableExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let mut table = Table::new();
        table.load_style(UTF8_FULL_CONDENSED);
        table.set_header(vec![
            "variant",
            "used memory",
            "dataset bytes",
            "relative",
            "B/record",
            "keys",
            "keys w/ TTL",
            "ttl on redis",
            "ttl in dogpile",
            "codec",
            "envelope",
            "layout",
            "prime s",
            "records/s",
        ]);
        for row in rows(report) {
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
                    right(m.keys.to_string()),
                    right(m.keys_with_ttl.to_string()),
                ]),
                None => cells.extend(["FAILED", "-", "-", "-", "-", "-"].map(Cell::new)),
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
                    right(format!("{:.0}", m.records_per_second)),
                ]),
                None => cells.extend([Cell::new("-"), Cell::new("-")]),
            }
            table.add_row(cells);
        }
        let mut out = format!(
            "{} ({} records, scale {}) on Redis {} ({}); baseline {}\n{table}\n",
            report.scenario.name,
            report.scenario.dataset.records,
            report.scenario.dataset.scale,
            report.redis.version,
            report.redis.allocator,
            report.baseline,
        );
        for v in report.failed() {
            out.push_str(&format!(
                "FAILED {}: {}\n",
                v.name,
                v.error.as_deref().unwrap_or("unknown error")
            ));
        }
        Ok(out)
    }
}
