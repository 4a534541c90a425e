//! The report as JSON: the schema in `schema/report.schema.json`.

use super::{Exporter, Report};

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let mut report = report.clone();
        super::why::fill_why(&mut report);
        Ok(serde_json::to_string_pretty(&report)? + "\n")
    }
}
