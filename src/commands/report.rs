//! `redisadv report`: a saved JSON report of any command (bench, inspect, whatif) rendered
//! again in every format, without touching Redis; the document model makes them one job.

use super::output;
use crate::cli::ReportArgs;
use crate::document::Reported;
use crate::inspect::InspectReport;
use crate::report;
use crate::whatif::WhatifReport;
use crate::whatif::render::Families;
use std::path::Path;
use std::process::ExitCode;

pub fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let out = args.output.resolve();
    let files = output::prepare(&out, &[(args.report.as_path(), "the report being read")])?;
    let saved = load_any(&args.report)?;
    output::emit(saved.as_ref(), out.format, &files)?;
    Ok(ExitCode::SUCCESS)
}

/// The report in `path`, told apart by its top-level fields: bench's carries a
/// schema_version, whatif's an `as_stored` row (several families: `families`), inspect's a
/// `mode` and its `patterns`.
fn load_any(path: &Path) -> anyhow::Result<Box<dyn Reported>> {
    let text = report::read_bounded(path)?;
    let probe: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: not a JSON report: {e}", path.display()))?;
    let has = |field: &str| probe.get(field).is_some();
    let invalid = |what: &str, e: serde_json::Error| {
        anyhow::anyhow!(
            "{}: invalid {what} report: {e}; was it written by another redisadv version? \
             Run the {what} again with this one",
            path.display()
        )
    };
    if has("schema_version") {
        return Ok(Box::new(report::parse_report(path, &text)?));
    }
    if has("families") {
        let reports: Vec<WhatifReport> =
            serde_json::from_value(probe["families"].clone()).map_err(|e| invalid("whatif", e))?;
        return Ok(Box::new(Families::new(reports)));
    }
    if has("as_stored") && has("sample") {
        let r: WhatifReport = serde_json::from_value(probe).map_err(|e| invalid("whatif", e))?;
        return Ok(Box::new(r));
    }
    if has("mode") && has("patterns") {
        let r: InspectReport = serde_json::from_value(probe).map_err(|e| invalid("inspect", e))?;
        return Ok(Box::new(r));
    }
    anyhow::bail!(
        "{}: not a redisadv report: a JSON report of bench (--out FILE.json), inspect or whatif \
         (--format json) was expected",
        path.display()
    )
}
