//! Where command output goes: stdout that may be closed under us (`| head`), and `--out`
//! files written whole or not at all.

use crate::cli::Output;
use crate::document::{self, Reported};
use crate::report::{self, OutputFormat};
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

/// Writes a report to every `--out` file, each in the format its extension names, then to
/// stdout in `format`: the one way every command writes a report. The files come first: a
/// closed stdout (`| head`) must never cost one.
pub fn emit(report: &dyn Reported, format: OutputFormat, outs: &[OutFile]) -> anyhow::Result<()> {
    for out in outs {
        out.write(report)?;
    }
    print_stdout(&document::render(report, format)?)?;
    Ok(())
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
/// a new file, it is not a directory, and it is not one of `inputs`, the files the command
/// reads (path, what it is in a message).
pub fn prepare(output: &Output, inputs: &[(&Path, &str)]) -> anyhow::Result<Vec<OutFile>> {
    let inputs: Vec<_> = inputs
        .iter()
        .map(|(path, what)| (std::fs::canonicalize(path).ok(), *what))
        .collect();
    let mut files = Vec::with_capacity(output.files.len());
    for (path, format) in &output.files {
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
        if let Some((_, what)) = inputs
            .iter()
            .find(|(input, _)| resolved.is_some() && resolved == *input)
        {
            anyhow::bail!(
                "--out {}: that is {what}; writing the report there would destroy it. Name \
                 another file, e.g. report.json",
                path.display()
            );
        }
        // A refused symlink or a directory that takes no new file fails now, not after the
        // run.
        crate::files::check(path).with_context(|| format!("--out {}", path.display()))?;
        files.push(OutFile {
            path: path.clone(),
            format: *format,
        });
    }
    Ok(files)
}

impl OutFile {
    /// Writes the report in this file's format, whole or not at all (see
    /// [`crate::files::write`]).
    pub fn write(&self, report: &dyn Reported) -> anyhow::Result<()> {
        let text = document::render(report, self.format)
            .with_context(|| format!("--out {}", self.path.display()))?;
        self.write_text(&text)
    }

    /// The format its extension names (or `--format`'s).
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `text`, already rendered in [`OutFile::format`], through the one safe writer.
    pub fn write_text(&self, text: &str) -> anyhow::Result<()> {
        crate::files::write(&self.path, text.as_bytes())
            .with_context(|| format!("--out: writing {}", self.path.display()))
    }
}

fn out_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
