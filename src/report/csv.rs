//! One CSV row per variant, every figure in its own column.

use super::{Exporter, Report, bytes_per_record, relative_percent};

pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "variant",
            "status",
            "codec",
            "envelope",
            "pickle_protocol",
            "layout",
            "redis_ttl",
            "expiration_time",
            "hash_ttl",
            "version",
            "used_memory",
            "used_memory_human",
            "used_memory_rss",
            "used_memory_peak",
            "used_memory_dataset",
            "used_memory_overhead",
            "empty_used_memory",
            "dataset_bytes",
            "relative_percent",
            "bytes_per_record",
            "keys",
            "keys_with_ttl",
            "records",
            "prime_seconds",
            "records_per_second",
            "settle_seconds",
            "error",
        ])?;
        let opt = |o: Option<String>| o.unwrap_or_default();
        for v in &report.variants {
            let m = v.result.as_ref();
            let f = |g: &dyn Fn(&super::Measured) -> String| opt(m.map(g));
            w.write_record([
                v.name.clone(),
                if m.is_some() { "ok" } else { "failed" }.to_string(),
                v.codec.clone(),
                v.envelope.clone(),
                opt(v.pickle_protocol.map(|p| p.to_string())),
                v.layout.clone(),
                opt(v.redis_ttl.map(|t| t.to_string())),
                opt(v.expiration_time.map(|t| t.to_string())),
                v.hash_ttl.clone(),
                v.version.to_string(),
                f(&|m| m.memory.used_memory.to_string()),
                f(&|m| m.memory.used_memory_human.clone()),
                f(&|m| m.memory.used_memory_rss.to_string()),
                f(&|m| m.memory.used_memory_peak.to_string()),
                f(&|m| m.memory.used_memory_dataset.to_string()),
                f(&|m| m.memory.used_memory_overhead.to_string()),
                f(&|m| m.empty_used_memory.to_string()),
                f(&|m| m.dataset_bytes.to_string()),
                opt(relative_percent(report, v).map(|p| format!("{p:.4}"))),
                f(&|m| format!("{:.3}", bytes_per_record(m))),
                f(&|m| m.keys.to_string()),
                f(&|m| m.keys_with_ttl.to_string()),
                f(&|m| m.records.to_string()),
                f(&|m| format!("{:.3}", m.prime_seconds)),
                f(&|m| format!("{:.0}", m.records_per_second)),
                f(&|m| format!("{:.3}", m.settle_seconds)),
                opt(v.error.clone()),
            ])?;
        }
        Ok(String::from_utf8(w.into_inner()?)?)
    }
}
