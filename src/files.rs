//! The one way redisadv writes a file a user names (reports, `--save-sample`, `init`'s
//! scenario): whole or not at all, through a temporary file renamed into place, never through
//! a symlink another user planted in a shared directory, keeping an existing file's mode.

use anyhow::Context;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` (see [`write_with`]).
pub fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_with(path, |out| Ok(out.write_all(bytes)?))
}

/// Writes what `fill` writes to `path`. A regular file (new or existing, or the file a
/// symlink names) is written to a temporary file in the target's directory and renamed over
/// it, so a full disk or a crash leaves the old file (or none), never a truncated one; an
/// existing file keeps its mode (and, when root writes, its owner). A device or FIFO
/// (/dev/stdout) is written in place. A symlink owned by another user in a sticky
/// world-writable directory (/tmp) is refused, as the kernel's protected_symlinks does.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let target = resolve(path)?;
    // The kernel's own view first: /dev/stderr leads through /proc's links to a pipe, which
    // no path names.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        if meta.is_dir() {
            anyhow::bail!("{} is a directory; name a file", path.display());
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let mut out = std::io::BufWriter::new(&mut file);
        fill(&mut out)?;
        out.flush()
            .with_context(|| format!("writing {}", path.display()))?;
        return Ok(());
    }
    let existing = std::fs::metadata(&target).ok();
    let dir = parent_of(&target);
    let mut temp =
        temp_in(&dir).with_context(|| format!("cannot create a file in {}", dir.display()))?;
    {
        let mut out = std::io::BufWriter::new(temp.as_file_mut());
        fill(&mut out)?;
        out.flush()
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let file = temp.as_file();
    file.sync_all()
        .with_context(|| format!("writing {}", path.display()))?;
    let mode = match &existing {
        Some(meta) => meta.mode() & 0o7777,
        None => 0o666 & !umask(),
    };
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", path.display()))?;
    if let Some(meta) = &existing {
        // Only root can give a file away; for anyone else the owner is already theirs.
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 && (meta.uid() != 0 || meta.gid() != 0) {
            let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
            // chown clears set-id bits: put the mode back.
            let _ = file.set_permissions(std::fs::Permissions::from_mode(mode));
        }
    }
    temp.persist(&target)
        .map_err(|e| e.error)
        .with_context(|| format!("renaming the new file onto {}", target.display()))?;
    Ok(())
}

/// Checks before a long run that `path` can be written: no refused symlink on the way, and
/// its directory takes a new file.
pub fn check(path: &Path) -> anyhow::Result<()> {
    let target = resolve(path)?;
    match std::fs::metadata(path).or_else(|_| std::fs::metadata(&target)) {
        Ok(meta) if meta.is_dir() => {
            anyhow::bail!("{} is a directory; name a file", path.display())
        }
        Ok(meta) if !meta.is_file() => Ok(()),
        _ => {
            let dir = parent_of(&target);
            temp_in(&dir)
                .map(drop)
                .with_context(|| format!("cannot create a file in {}", dir.display()))
        }
    }
}

/// The file a write to `path` lands in: `path` with every symlink on the way resolved, in
/// its directories as in its last name (even a link to a file that does not exist yet,
/// which a plain write would create). Each link is checked as the kernel's
/// protected_symlinks checks it: in a sticky world-writable directory, a link is followed
/// only when its owner is the one following it or the directory's owner. A directory of
/// the path that is such a link is refused as the file itself would be: `/tmp/x/r.md`
/// through another user's `/tmp/x` could land anywhere.
fn resolve(path: &Path) -> anyhow::Result<PathBuf> {
    use std::path::Component;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    // The names still to walk, last first; and the real directory reached so far.
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    let mut at = if path.is_absolute() {
        PathBuf::from("/")
    } else {
        std::env::current_dir().context("reading the current directory")?
    };
    push_names(&mut rest, path);
    // The kernel's own limit on links followed.
    let mut links = 0;
    while let Some(name) = rest.pop() {
        match Path::new(&name).components().next() {
            Some(Component::CurDir) => continue,
            Some(Component::ParentDir) => {
                at.pop();
                continue;
            }
            _ => {}
        }
        let next = at.join(&name);
        let Ok(link) = std::fs::symlink_metadata(&next) else {
            // Not there (yet): the write creates it, or fails naming it.
            at = next;
            for name in rest.into_iter().rev() {
                at.push(name);
            }
            return Ok(at);
        };
        if !link.file_type().is_symlink() {
            at = next;
            continue;
        }
        links += 1;
        if links > 40 {
            anyhow::bail!("{}: too many levels of symbolic links", path.display());
        }
        if let Ok(d) = std::fs::metadata(&at) {
            let shared = d.mode() & 0o1002 == 0o1002;
            if shared && link.uid() != me && link.uid() != d.uid() {
                let what = if rest.is_empty() {
                    "the symlink"
                } else {
                    "the symlinked directory"
                };
                anyhow::bail!(
                    "refusing to write through {what} {} : it belongs to another user \
                     (uid {}) in the shared directory {} (sticky and world-writable), so it \
                     could point at any file; remove it or name another path",
                    next.display(),
                    link.uid(),
                    at.display()
                );
            }
        }
        let target =
            std::fs::read_link(&next).with_context(|| format!("reading {}", next.display()))?;
        if target.is_absolute() {
            at = PathBuf::from("/");
        }
        push_names(&mut rest, &target);
    }
    Ok(at)
}

/// Puts `path`'s names on `rest`, the first on top.
fn push_names(rest: &mut Vec<std::ffi::OsString>, path: &Path) {
    use std::path::Component;
    let names: Vec<_> = path
        .components()
        .filter_map(|c| match c {
            Component::RootDir | Component::Prefix(_) => None,
            c => Some(c.as_os_str().to_os_string()),
        })
        .collect();
    rest.extend(names.into_iter().rev());
}

fn parent_of(path: &Path) -> PathBuf {
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

/// The process's umask, read without changing it (umask(2) can only set it), from
/// /proc/self/status; 022 when unknown.
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|m| u32::from_str_radix(m.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_keeping_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        write(&path, b"one").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A failing fill leaves the old file and no temporary file.
        let err = write_with(&path, |_| anyhow::bail!("disk full")).unwrap_err();
        assert!(format!("{err:#}").contains("disk full"));
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn writes_through_ones_own_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink("real.txt", &link).unwrap();
        write(&link, b"x").unwrap();
        assert_eq!(std::fs::read(&real).unwrap(), b"x");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}
