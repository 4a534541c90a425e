//! Reading a saved JSON report (`report`, `compare`, `--baseline`): bounded in size, its
//! schema version checked before the rest is parsed.

use super::{OLDEST_READABLE, Report, SCHEMA_VERSION};

/// Reads a saved JSON report of version [`OLDEST_READABLE`] to [`SCHEMA_VERSION`], refusing
/// any other.
pub fn load(path: &std::path::Path) -> anyhow::Result<Report> {
    parse(path, &read_bounded(path)?)
}

/// [`load`] of a text already read (by [`read_bounded`]) from `path`.
pub fn parse(path: &std::path::Path, text: &str) -> anyhow::Result<Report> {
    let probe: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!("{}: not a JSON report: {e}", path.display()))?;
    match probe.get("schema_version").and_then(|v| v.as_u64()) {
        Some(v) if (OLDEST_READABLE as u64..=SCHEMA_VERSION as u64).contains(&v) => {}
        Some(v) => anyhow::bail!(
            "{}: report schema version {v}, this redisadv reads versions {OLDEST_READABLE} to \
             {SCHEMA_VERSION}; regenerate the report with this redisadv",
            path.display()
        ),
        None => anyhow::bail!(
            "{}: not a bench report (no schema_version); compare and --baseline read the JSON \
             of `bench --out FILE.json` (`report` also renders inspect's and whatif's)",
            path.display()
        ),
    }
    serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!("{}: invalid report: {e}", path.display()))
}

/// The largest report file `report`, `compare` and `--baseline` read: a report of a
/// thousand-run sweep takes a few MB, and a bound keeps a wrong path (/dev/zero, a dump)
/// from filling memory.
pub const MAX_REPORT_BYTES: u64 = 256 << 20;

/// The file's text, read up to [`MAX_REPORT_BYTES`]: growing with what arrives, never past.
pub fn read_bounded(path: &std::path::Path) -> anyhow::Result<String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| anyhow::anyhow!("cannot read report {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(cannot)?;
    if file.metadata().map_err(cannot)?.is_dir() {
        anyhow::bail!("cannot read report {}: it is a directory", path.display());
    }
    let mut input = file.take(MAX_REPORT_BYTES + 1);
    // A report is a JSON object: a file that begins with anything else (/dev/zero, a dump)
    // is refused at its first bytes, before up to 256 MiB of it are read.
    let mut bytes = vec![0; 64 * 1024];
    let mut head = 0;
    while head < bytes.len() {
        match input.read(&mut bytes[head..]) {
            Ok(0) => break,
            Ok(n) => head += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(cannot(e)),
        }
    }
    bytes.truncate(head);
    if let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace())
        && *first != b'{'
    {
        anyhow::bail!(
            "{}: not a JSON report: it begins with byte 0x{first:02x}, where a redisadv report \
             (bench --out FILE.json) begins with '{{'",
            path.display()
        );
    }
    input.read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > MAX_REPORT_BYTES {
        anyhow::bail!(
            "{}: longer than {MAX_REPORT_BYTES} bytes (256 MiB), redisadv's limit for a report; \
             is it a redisadv JSON report (bench --out FILE.json)?",
            path.display()
        );
    }
    String::from_utf8(bytes)
        .map_err(|e| anyhow::anyhow!("{}: not a JSON report: not UTF-8 ({e})", path.display()))
}
