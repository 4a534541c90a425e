//! A private apt configuration for fetching Debian source packages: its own sources list,
//! lists and cache directories under the engine cache, so the system's apt sources and
//! lists stay untouched. The archive and keyring are the machine's own Debian entry's.

use anyhow::{Context, bail};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Suites searched for newer source packages than Debian 12 ships.
const SUITES: &[&str] = &["experimental", "sid", "trixie", "bookworm-backports"];

/// How long one apt call may take.
const APT_DEADLINE: Duration = Duration::from_secs(600);

pub struct PrivateApt {
    root: PathBuf,
}

impl PrivateApt {
    /// Lays out `root` and writes its sources list from the machine's Debian entry.
    pub fn prepare(root: &Path) -> anyhow::Result<PrivateApt> {
        for dir in ["parts", "lists/partial", "cache/archives/partial"] {
            std::fs::create_dir_all(root.join(dir))
                .with_context(|| format!("creating {}", root.join(dir).display()))?;
        }
        let (uri, keyring) = machine_debian_entry()?;
        let mut list = String::from(
            "# Written by redisadv engines: Debian source packages for newer engines.\n",
        );
        for suite in SUITES {
            list.push_str(&format!(
                "deb-src [signed-by={keyring}] {uri} {suite} main\n"
            ));
        }
        std::fs::write(root.join("sources.list"), list)
            .with_context(|| format!("writing {}", root.join("sources.list").display()))?;
        Ok(PrivateApt {
            root: root.to_path_buf(),
        })
    }

    fn options(&self) -> Vec<String> {
        let r = &self.root;
        vec![
            format!(
                "-oDir::Etc::sourcelist={}",
                r.join("sources.list").display()
            ),
            format!("-oDir::Etc::sourceparts={}", r.join("parts").display()),
            format!("-oDir::State::Lists={}", r.join("lists").display()),
            format!("-oDir::Cache={}", r.join("cache").display()),
            // The downloads land in a root-owned directory; apt's sandbox user could not
            // write there.
            "-oAPT::Sandbox::User=root".into(),
        ]
    }

    pub fn update(&self) -> anyhow::Result<()> {
        let mut cmd = Command::new("apt-get");
        cmd.args(self.options()).args(["-q", "update"]);
        run(
            cmd,
            "apt-get update (private sources list)",
            APT_DEADLINE,
            |_| {},
        )?;
        Ok(())
    }

    /// Every version of source package `package` the suites offer.
    pub fn versions(&self, package: &str) -> anyhow::Result<Vec<String>> {
        let mut cmd = Command::new("apt-cache");
        cmd.args(self.options()).args(["showsrc", package]);
        let mut versions = Vec::new();
        run(cmd, "apt-cache showsrc", APT_DEADLINE, |line| {
            if let Some(v) = line.strip_prefix("Version: ") {
                versions.push(v.trim().to_string());
            }
        })?;
        Ok(versions)
    }

    /// Downloads `package=version`'s source files into `dest`; returns the upstream tarball.
    pub fn download(&self, package: &str, version: &str, dest: &Path) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dest)?;
        let mut cmd = Command::new("apt-get");
        cmd.current_dir(dest)
            .args(self.options())
            .args(["-q", "source", "--download-only"])
            .arg(format!("{package}={version}"));
        run(cmd, "apt-get source --download-only", APT_DEADLINE, |_| {})?;
        for entry in std::fs::read_dir(dest)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(&format!("{package}_")) && name.contains(".orig.tar.") {
                return Ok(entry.path());
            }
        }
        bail!(
            "apt-get source {package}={version} left no .orig.tar.* in {}",
            dest.display()
        )
    }
}

/// The archive URI and keyring of the machine's own Debian entry (deb822 `.sources` files or
/// one-line `sources.list`), so the private list uses the mirror and keys this machine trusts.
fn machine_debian_entry() -> anyhow::Result<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("/etc/apt/sources.list.d")
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for path in &files {
        if path.extension().and_then(|e| e.to_str()) != Some("sources") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for stanza in text.split("\n\n") {
            if let Some(found) = deb822_entry(stanza) {
                return Ok(found);
            }
        }
    }
    let text = std::fs::read_to_string("/etc/apt/sources.list").unwrap_or_default();
    for line in text.lines() {
        if let Some(found) = one_line_entry(line) {
            return Ok(found);
        }
    }
    bail!(
        "no Debian archive entry found in /etc/apt/sources.list.d/*.sources or \
         /etc/apt/sources.list; `engines install` needs this machine's Debian apt sources"
    )
}

const KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// A deb822 stanza of the main Debian archive: its first URI and its Signed-By keyring.
pub(crate) fn deb822_entry(stanza: &str) -> Option<(String, String)> {
    let field = |name: &str| {
        stanza
            .lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
    };
    let suites = field("Suites:")?;
    if suites.contains("security") || !field("Types:")?.split_whitespace().any(|t| t == "deb") {
        return None;
    }
    let uri = field("URIs:")?.split_whitespace().next()?.to_string();
    let keyring = field("Signed-By:").unwrap_or_else(|| KEYRING.to_string());
    keyring.contains("debian-archive").then_some((uri, keyring))
}

/// A one-line `deb URI SUITE main` entry of the main Debian archive.
pub(crate) fn one_line_entry(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    let rest = line.strip_prefix("deb ")?;
    let (options, rest) = match rest.strip_prefix('[') {
        Some(r) => r.split_once(']')?,
        None => ("", rest),
    };
    let mut words = rest.split_whitespace();
    let uri = words.next()?.to_string();
    let suite = words.next()?;
    if suite.contains("security") || !uri.trim_end_matches('/').ends_with("/debian") {
        return None;
    }
    let keyring = options
        .split_whitespace()
        .find_map(|o| o.strip_prefix("signed-by="))
        .unwrap_or(KEYRING)
        .to_string();
    Some((uri, keyring))
}

/// Runs `cmd` to completion within `deadline`, feeding each output line (stdout and stderr)
/// to `on_line`; on failure the error carries the last lines. The command runs in its own
/// process group, which is killed whole on the deadline or when a signal ends redisadv.
pub fn run(
    mut cmd: Command,
    what: &str,
    deadline: Duration,
    mut on_line: impl FnMut(&str),
) -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("{what}: cannot start {:?}", cmd.get_program()))?;
    let pgid = child.id() as i32;
    let _kill_on_signal = crate::cleanup::register(move || kill_group(pgid));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|pipe| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        })
    })
    .collect();
    drop(tx);
    let started = Instant::now();
    let mut tail: std::collections::VecDeque<String> = Default::default();
    loop {
        let left = deadline.saturating_sub(started.elapsed());
        if left.is_zero() {
            kill_group(pgid);
            let _ = child.wait();
            bail!("{what}: no result within {deadline:?}; stopped it");
        }
        match rx.recv_timeout(left.min(Duration::from_millis(500))) {
            Ok(line) => {
                on_line(&line);
                if tail.len() == 20 {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    for reader in readers {
        let _ = reader.join();
    }
    let status = child.wait().with_context(|| format!("{what}: waiting"))?;
    if !status.success() {
        bail!(
            "{what} failed ({status}); its last lines:\n{}",
            Vec::from(tail).join("\n")
        );
    }
    Ok(())
}

fn kill_group(pgid: i32) {
    // SAFETY: kill(2) with a negative pid signals that process group; no memory is touched.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_debian_archive_in_either_form() {
        let stanza = "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm \
                      bookworm-updates\nComponents: main\nSigned-By: \
                      /usr/share/keyrings/debian-archive-keyring.gpg";
        assert_eq!(
            deb822_entry(stanza),
            Some((
                "http://mirror.example/debian".into(),
                "/usr/share/keyrings/debian-archive-keyring.gpg".into()
            ))
        );
        assert_eq!(
            deb822_entry(&stanza.replace("bookworm ", "bookworm-security ")),
            None
        );
        assert_eq!(
            deb822_entry("Types: deb\nURIs: https://x/apt\nSuites: nodistro\nSigned-By: /k.gpg"),
            None
        );
        assert_eq!(
            one_line_entry("deb http://mirror.example/debian bookworm main"),
            Some(("http://mirror.example/debian".into(), KEYRING.into()))
        );
        assert_eq!(
            one_line_entry("deb http://mirror.example/debian-security bookworm-security main"),
            None
        );
    }
}
