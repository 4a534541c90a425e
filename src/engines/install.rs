//! `engines install NAME`: fetch Debian's source package through a private apt
//! configuration, build it with `make` (upstream's bundled jemalloc), and install the server
//! binary with a manifest into the engine cache. Idempotent: an installed engine is kept.

use super::apt::{self, PrivateApt};
use super::{EngineSpec, Installed, Manifest, cache_dir, installed_in, spec};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long a build may take; about 2 min 10 s with two cores here.
const BUILD_DEADLINE: Duration = Duration::from_secs(45 * 60);

#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// `make -jN`.
    pub jobs: usize,
    /// Draw a progress line on stderr.
    pub progress: bool,
    /// Build again even when the engine is installed.
    pub force: bool,
}

/// Installs engine `name` (or finds it installed); returns it and whether it was built now.
pub fn install(name: &str, options: &InstallOptions) -> anyhow::Result<(Installed, bool)> {
    let spec = spec(name)?;
    let cache = cache_dir()?;
    // Builds interrupted before (a signal, a SIGKILL) left their staging directories.
    crate::server::stale::sweep(&cache, ".build-");
    if !options.force
        && let Some(found) = installed_in(&cache, name)?
    {
        return Ok((found, false));
    }
    check_tools()?;
    std::fs::create_dir_all(&cache)
        .with_context(|| format!("creating the engine cache {}", cache.display()))?;
    let status = Status::new(options.progress, name);
    status.say("updating the private apt lists");
    let apt = PrivateApt::prepare(&cache.join(".apt"))?;
    apt.update()?;
    let versions = apt.versions(spec.package)?;
    let version = newest(&versions, spec.version_prefix).with_context(|| {
        format!(
            "Debian's suites offer no source package {} {}x (found: {}); the archive may have \
             moved on: `redisadv engines list` shows the other engines",
            spec.package,
            spec.version_prefix,
            if versions.is_empty() {
                "none".to_string()
            } else {
                versions.join(", ")
            }
        )
    })?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".build-{name}-"))
        .tempdir_in(&cache)
        .context("creating a build directory in the engine cache")?;
    // Marks the build as live, so that the next install's sweep knows it from a leftover.
    let _owner = crate::server::stale::mark_owner(staging.path())
        .context("marking the build directory in the engine cache")?;
    status.say(&format!("downloading {} {version}", spec.package));
    let tarball = apt.download(spec.package, &version, &staging.path().join("download"))?;
    status.say("unpacking");
    let source = unpack(&tarball, &staging.path().join("build"))?;
    let started = Instant::now();
    build(&source, options.jobs, &status)?;
    let built = source.join("src").join(spec.binary);
    if !built.is_file() {
        bail!("make finished but left no {}", built.display());
    }
    let upstream = crate::server::binary_version(&built)?;
    let manifest = Manifest {
        name: name.to_string(),
        server: spec.server.to_string(),
        package: spec.package.to_string(),
        package_version: version,
        version: upstream,
        binary: format!("bin/{}", spec.binary),
        build: format!("make -j{} (bundled jemalloc)", options.jobs),
        built_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    let installed = place(&cache, spec, &built, &manifest)?;
    status.finish(&format!(
        "built {name} ({} {}) in {:.0} s",
        spec.server,
        manifest.version,
        started.elapsed().as_secs_f64()
    ));
    Ok((installed, true))
}

/// The newest version whose upstream part starts with `prefix` (`8.6.` matches
/// `5:8.6.3-1`).
pub(crate) fn newest(versions: &[String], prefix: &str) -> Option<String> {
    versions
        .iter()
        .filter(|v| upstream(v).starts_with(prefix))
        .max_by(|a, b| numbers(a).cmp(&numbers(b)).then_with(|| a.cmp(b)))
        .cloned()
}

/// `5:8.6.3-1` -> `8.6.3`; `8.1.1+dfsg1-3+deb13u3` -> `8.1.1+dfsg1`.
fn upstream(version: &str) -> &str {
    let no_epoch = version.split_once(':').map_or(version, |(_, v)| v);
    no_epoch.rsplit_once('-').map_or(no_epoch, |(v, _)| v)
}

/// The numbers in a version, in order, for comparing.
fn numbers(version: &str) -> Vec<u64> {
    version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap_or(u64::MAX))
        .collect()
}

fn check_tools() -> anyhow::Result<()> {
    for tool in ["make", "cc", "tar"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !found {
            bail!(
                "`{tool}` is not installed; building engines needs a C toolchain (Debian: \
                 apt-get install build-essential)"
            );
        }
    }
    Ok(())
}

/// Unpacks the upstream tarball into `dest`; returns its single top directory.
fn unpack(tarball: &Path, dest: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dest)?;
    let mut cmd = Command::new("tar");
    cmd.arg("-xf").arg(tarball).arg("-C").arg(dest);
    apt::run(cmd, "tar", Duration::from_secs(300), |_| {})?;
    let dirs: Vec<PathBuf> = std::fs::read_dir(dest)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    match dirs.as_slice() {
        [one] => Ok(one.clone()),
        _ => bail!("{} did not unpack into one directory", tarball.display()),
    }
}

/// `make -jN` in `source`, counting compiled files for the progress line.
fn build(source: &Path, jobs: usize, status: &Status) -> anyhow::Result<()> {
    let sources = count_c_files(source);
    let mut compiled = 0usize;
    status.say(&format!("make -j{jobs}"));
    let mut cmd = Command::new("make");
    cmd.current_dir(source).arg(format!("-j{jobs}"));
    apt::run(cmd, &format!("make -j{jobs}"), BUILD_DEADLINE, |line| {
        let word = line.split_whitespace().next().unwrap_or("");
        if word == "CC" || line.starts_with("cc ") || line.starts_with("gcc ") {
            compiled += 1;
            status.progress(&format!("{compiled} of about {sources} C files compiled"));
        }
    })
}

fn count_c_files(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().and_then(|e| e.to_str()) == Some("c") {
                n += 1;
            }
        }
    }
    n
}

/// Copies the binary and the manifest into `cache/NAME` through a rename, so a failed or
/// interrupted install never leaves a half engine behind.
fn place(
    cache: &Path,
    spec: &EngineSpec,
    built: &Path,
    manifest: &Manifest,
) -> anyhow::Result<Installed> {
    let ready = tempfile::Builder::new()
        .prefix(&format!(".new-{}-", spec.name))
        .tempdir_in(cache)?;
    let bin = ready.path().join("bin");
    std::fs::create_dir_all(&bin)?;
    std::fs::copy(built, bin.join(spec.binary))
        .with_context(|| format!("copying {}", built.display()))?;
    std::fs::write(
        ready.path().join("engine.json"),
        serde_json::to_string_pretty(manifest)? + "\n",
    )?;
    let dest = cache.join(spec.name);
    if dest.exists() {
        std::fs::remove_dir_all(&dest).with_context(|| format!("replacing {}", dest.display()))?;
    }
    let staged = ready.keep();
    std::fs::rename(&staged, &dest)
        .with_context(|| format!("moving the engine into {}", dest.display()))?;
    installed_in(cache, spec.name)?
        .with_context(|| format!("{} is incomplete after installing", dest.display()))
}

/// A progress line on stderr when it is a terminal, else plain lines at each step.
struct Status {
    bar: Option<ProgressBar>,
    name: String,
    last: std::cell::RefCell<String>,
}

impl Status {
    fn new(progress: bool, name: &str) -> Status {
        let bar = progress.then(|| {
            let bar = crate::ui::add(ProgressBar::with_draw_target(
                None,
                ProgressDrawTarget::stderr(),
            ));
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix} {msg} [{elapsed}]")
                    .expect("valid template"),
            );
            bar.set_prefix(name.to_string());
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Status {
            bar,
            name: name.to_string(),
            last: Default::default(),
        }
    }

    /// A new step: a line of its own without a terminal.
    fn say(&self, step: &str) {
        *self.last.borrow_mut() = step.to_string();
        match &self.bar {
            Some(bar) => bar.set_message(step.to_string()),
            None => crate::ui::say!("{}: {step}", self.name),
        }
    }

    /// Progress within the current step: drawn on a terminal, else left out (one line per
    /// compiled file would bury the log).
    fn progress(&self, detail: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{}: {detail}", self.last.borrow()));
        }
    }

    fn finish(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        crate::ui::say!("{}: {message}", self.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_newest_matching_version() {
        let v: Vec<String> = ["5:8.0.6-3", "5:8.6.3-1", "5:8.0.2-3+deb13u3", "5:8.0.10-1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(newest(&v, "8.0.").as_deref(), Some("5:8.0.10-1"));
        assert_eq!(newest(&v, "8.6.").as_deref(), Some("5:8.6.3-1"));
        assert_eq!(newest(&v, "7.4."), None);
        let k: Vec<String> = ["9.1.2-1", "8.1.1+dfsg1-3+deb13u3", "8.0.1+dfsg1-1~bpo12+1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(newest(&k, "8.1.").as_deref(), Some("8.1.1+dfsg1-3+deb13u3"));
        assert_eq!(upstream("5:8.6.3-1"), "8.6.3");
    }
}
