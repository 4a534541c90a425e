//! Where command output goes: stdout that may be closed under us (`| head`), and `--out`
//! files written whole or not at all.

use crate::report::{self, OutputFormat, Report};
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};

/// True when `err` comes from writing to a closed pipe: the reader went away, which is how
/// `| head` ends a command, not a failure (ripgrep's rule).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes `text` to stdout. A closed stdout ends the output quietly (`Ok(false)`): the
/// caller's exit code stays that of its work. `print!` would panic there instead.
pub fn print_stdout(text: &str) -> anyhow::Result<bool> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e).context("writing to stdout"),
    }
}

/// `[3/12] name: 1,234,567 dataset bytes, 61.7 B/record`: one finished run, on stderr.
pub fn progress_line(run: &report::VariantReport, done: usize, total: usize) -> String {
    let what = match &run.result {
        Some(m) => format!(
            "{} dataset bytes, {:.1} B/record",
            report::thousands(m.dataset_bytes),
            report::bytes_per_record(m)
        ),
        None => "failed".into(),
    };
    format!("[{done}/{total}] {}: {what}", run.label())
}

/// One `--out FILE`, checked before the run.
#[derive(Debug)]
pub struct OutFile {
    path: PathBuf,
    format: OutputFormat,
}

/// Checks every `--out` before minutes are spent on a run: its directory exists and takes
/// a new file, it is not a directory, and it is not the scenario file being run.
pub fn prepare_out_files(
    paths: &[PathBuf],
    fallback: OutputFormat,
    scenario: &Path,
) -> anyhow::Result<Vec<OutFile>> {
    let scenario = std::fs::canonicalize(scenario).ok();
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let dir = out_dir(path);
        if !dir.is_dir() {
            anyhow::bail!(
                "--out {}: the directory {} does not exist; create it first (mkdir -p {})",
                path.display(),
                dir.display(),
                dir.display()
            );
        }
        if path.is_dir() {
            anyhow::bail!(
                "--out {}: is a directory; name a file such as {}",
                path.display(),
                path.join("report.json").display()
            );
        }
        let resolved = std::fs::canonicalize(path).ok().or_else(|| {
            let name = path.file_name()?;
            std::fs::canonicalize(&dir).map(|d| d.join(name)).ok()
        });
        if resolved.is_some() && resolved == scenario {
            anyhow::bail!(
                "--out {}: that is the scenario file being run; writing the report there would \
                 destroy it. Name another file, e.g. report.json",
                path.display()
            );
        }
        if is_special(path) {
            // /dev/stdout, a FIFO: written in place, nothing to rename.
            files.push(OutFile {
                path: path.clone(),
                format: format_for(path, fallback),
            });
            continue;
        }
        // A file the directory refuses (permissions, read-only mount) fails now, not after
        // the run.
        temp_in(&out_dir(&target_of(path))).with_context(|| {
            format!(
                "--out {}: cannot create a file in {}",
                path.display(),
                dir.display()
            )
        })?;
        files.push(OutFile {
            path: path.clone(),
            format: format_for(path, fallback),
        });
    }
    Ok(files)
}

impl OutFile {
    /// Writes the report to a temporary file beside the target and renames it into place,
    /// so a full disk or a crash never leaves a truncated report behind.
    pub fn write(&self, report: &Report) -> anyhow::Result<()> {
        self.write_text(&report::exporter(self.format).render(report)?)
    }

    /// The format the file's extension names.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Writes already rendered text the same way (whatif's and inspect's documents).
    pub fn write_text(&self, text: &str) -> anyhow::Result<()> {
        let context = || format!("--out: writing {}", self.path.display());
        if is_special(&self.path) {
            return std::fs::write(&self.path, text).with_context(context);
        }
        // Through a symlink, the file it names is replaced, not the link.
        let target = target_of(&self.path);
        let mut temp = temp_in(&out_dir(&target)).with_context(context)?;
        temp.write_all(text.as_bytes()).with_context(context)?;
        temp.as_file().sync_all().with_context(context)?;
        // Reports are not secrets: the mode a plain write would give, not the temp's 0600.
        use std::os::unix::fs::PermissionsExt;
        let _ = temp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
        temp.persist(&target)
            .map_err(|e| e.error)
            .with_context(context)?;
        Ok(())
    }
}

/// An existing path that is not a regular file (a device such as /dev/stdout, a FIFO):
/// renaming over it would replace it.
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file())
}

/// The file a write lands in: `path`, or what it links to (even a link to a file that does
/// not exist yet, which a plain write would create).
fn target_of(path: &Path) -> PathBuf {
    let mut target = path.to_path_buf();
    // The kernel's own limit on links followed.
    for _ in 0..40 {
        match std::fs::read_link(&target) {
            Ok(next) if next.is_absolute() => target = next,
            Ok(next) => target = out_dir(&target).join(next),
            Err(_) => break,
        }
    }
    target
}

fn out_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn temp_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".redisadv-")
        .suffix(".tmp")
        .tempfile_in(dir)
}

/// The format an `--out` file's extension names (.json, .md, .csv), else `--format`'s.
fn format_for(path: &Path, fallback: OutputFormat) -> OutputFormat {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => OutputFormat::Json,
        Some("md") | Some("markdown") => OutputFormat::Markdown,
        Some("csv") => OutputFormat::Csv,
        Some("svg") => OutputFormat::Svg,
        Some("html") | Some("htm") => OutputFormat::Html,
        _ => fallback,
    }
}
