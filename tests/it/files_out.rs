//! Files redisadv writes (`--out`, `init`, `--save-sample`): never through another user's
//! symlink in a shared directory, an existing file keeps its mode, and a full disk leaves no
//! truncated file.

use crate::bench_cli::{redisadv, tiny_scenario};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A sticky world-writable directory, as /tmp is.
fn shared_dir(parent: &Path) -> std::path::PathBuf {
    let dir = parent.join("shared");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
    dir
}

#[test]
fn out_refuses_another_users_link_in_a_sticky_dir_and_keeps_modes() {
    if !is_root() {
        eprintln!("out_refuses_another_users_link_in_a_sticky_dir: skipped, needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(dir.path());
    let shared = shared_dir(dir.path());
    // A root-only file, and links to it and to a file not there yet, planted by `nobody`.
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "root only\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let planted = shared.join("report.json");
    std::os::unix::fs::symlink(&secret, &planted).unwrap();
    std::os::unix::fs::lchown(&planted, Some(65534), Some(65534)).unwrap();
    let created = dir.path().join("created.md");
    let dangling = shared.join("report.md");
    std::os::unix::fs::symlink(&created, &dangling).unwrap();
    std::os::unix::fs::lchown(&dangling, Some(65534), Some(65534)).unwrap();
    let s = scenario.to_str().unwrap();
    for link in [&planted, &dangling] {
        let out = redisadv(&[
            "bench",
            s,
            "--only",
            "pickle_ttl",
            "-q",
            "--out",
            link.to_str().unwrap(),
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("symlink") && err.contains("another user") && err.contains("--out"),
            "{err}"
        );
    }
    // init --force through the planted link: refused too.
    let out = redisadv(&["init", "--force", planted.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("symlink"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "root only\n");
    assert_eq!(std::fs::metadata(&secret).unwrap().mode() & 0o7777, 0o600);
    assert!(!created.exists(), "nothing created where the link points");
    assert!(
        std::fs::symlink_metadata(&planted)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // root's own link in the same directory is followed, and an existing 0600 file stays
    // 0600 (a report may be private to its reader).
    let kept = dir.path().join("kept.json");
    std::fs::write(&kept, "old").unwrap();
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o600)).unwrap();
    let own = shared.join("own.json");
    std::os::unix::fs::symlink(&kept, &own).unwrap();
    let fresh = shared.join("fresh.json");
    let out = redisadv(&[
        "bench",
        s,
        "--only",
        "pickle_ttl",
        "-q",
        "--out",
        own.to_str().unwrap(),
        "--out",
        fresh.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = std::fs::read_to_string(&kept).unwrap();
    assert!(report.contains("\"pickle_ttl\""), "{report}");
    assert_eq!(std::fs::metadata(&kept).unwrap().mode() & 0o7777, 0o600);
    assert!(
        std::fs::symlink_metadata(&own)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link stays a link"
    );
    // A new file gets the mode a plain write gives: 0666 less the umask.
    let umask = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|m| u32::from_str_radix(m.trim(), 8).unwrap())
        .unwrap();
    assert_eq!(
        std::fs::metadata(&fresh).unwrap().mode() & 0o777,
        0o666 & !umask
    );
    // No temporary file is left beside them.
    let leftovers: Vec<_> = std::fs::read_dir(&shared)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn out_refuses_a_parent_directory_that_is_another_users_link_in_a_sticky_dir() {
    if !is_root() {
        eprintln!("out_refuses_a_parent_directory_that_is_another_users_link: skipped, needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(dir.path());
    let shared = shared_dir(dir.path());
    // A root-only directory, and `nobody`'s link to it in the shared directory: a report
    // to shared/reports/r.json would land in the private directory.
    let private = dir.path().join("private");
    std::fs::create_dir(&private).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let planted = shared.join("reports");
    std::os::unix::fs::symlink(&private, &planted).unwrap();
    let status = std::process::Command::new("chown")
        .args(["-h", "nobody"])
        .arg(&planted)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(std::fs::symlink_metadata(&planted).unwrap().uid(), 65534);
    // Directly, and through root's own link to that link.
    let deeper = shared.join("reports").join("r.json");
    std::os::unix::fs::symlink("reports", shared.join("alias")).unwrap();
    let around = shared.join("alias").join("r.md");
    for out in [&deeper, &around] {
        let run = redisadv(&[
            "bench",
            scenario.to_str().unwrap(),
            "--only",
            "pickle_ttl",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = text(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{err}");
        assert!(
            err.contains("symlinked directory")
                && err.contains("another user")
                && err.contains(&planted.display().to_string()),
            "{err}"
        );
    }
    let init = redisadv(&["init", deeper.with_extension("toml").to_str().unwrap()]);
    assert!(!init.status.success());
    assert!(
        text(&init.stderr).contains("symlinked directory"),
        "{}",
        text(&init.stderr)
    );
    assert_eq!(
        std::fs::read_dir(&private).unwrap().count(),
        0,
        "nothing written in the directory the link names"
    );

    // root's own link to a directory, in the same shared directory, is followed.
    let own = shared.join("mine");
    std::os::unix::fs::symlink(&private, &own).unwrap();
    let run = redisadv(&[
        "bench",
        scenario.to_str().unwrap(),
        "--only",
        "pickle_ttl",
        "-q",
        "--out",
        own.join("r.json").to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(private.join("r.json").is_file());
}
