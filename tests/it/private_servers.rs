//! redisadv's own servers are private: another local user (`nobody`) can read nothing from
//! them while `inspect --rdb` or `bench` runs, and their directories are 0700.

use crate::bench_cli::tiny_scenario;
use crate::common::{processes_under, redis, wait_for};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A TMPDIR every user can reach, as /tmp is, so the test does not pass merely because
/// nobody cannot reach the test's own directory.
pub fn shared_tmp(parent: &Path) -> PathBuf {
    let tmp = parent.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    for dir in [parent, tmp.as_path()] {
        let mode = if dir == tmp { 0o1777 } else { 0o755 };
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    tmp
}

/// `redis-cli ARGS` run as user nobody: its stdout and stderr.
fn as_nobody(args: &[&str]) -> String {
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "redis-cli",
        ])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("setpriv and redis-cli run");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The private servers' directories under `tmp` and the TCP port each listens on (from the
/// server itself, asked as root through its socket; 0 is none).
fn private_servers(tmp: &Path) -> Vec<(PathBuf, u16)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(tmp).unwrap().flatten() {
        let dir = entry.path();
        let socket = dir.join("redis.sock");
        let Ok(client) = redis::Client::open(format!("unix://{}", socket.display())) else {
            continue;
        };
        let Ok(mut conn) = client.get_connection() else {
            continue;
        };
        // A cluster node needs its password, which only redisadv knows: root reads it from
        // the 0600 file to learn the port, as root may.
        if let Ok(auth) = std::fs::read_to_string(dir.join("auth.conf")) {
            let pw = auth.split_whitespace().nth(1).unwrap().to_string();
            let _: () = redis::cmd("AUTH").arg(pw).query(&mut conn).unwrap();
        }
        let Ok((_, port)) = redis::cmd("CONFIG")
            .arg("GET")
            .arg("port")
            .query::<(String, String)>(&mut conn)
        else {
            continue;
        };
        found.push((dir, port.parse().unwrap()));
    }
    found
}

/// Checks every private server under `tmp` as nobody: neither its port nor its socket
/// answers a read, and its directory is 0700. Returns how many were checked.
fn nobody_reads_nothing(tmp: &Path, key: &str) -> usize {
    let servers = private_servers(tmp);
    for (dir, port) in &servers {
        let mode = std::fs::metadata(dir).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700, "{} is {mode:o}", dir.display());
        let socket = dir.join("redis.sock");
        let mut tries = vec![vec!["-s".to_string(), socket.display().to_string()]];
        if *port != 0 {
            tries.push(vec![
                "-h".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
            ]);
        }
        for how in tries {
            let mut args: Vec<&str> = how.iter().map(String::as_str).collect();
            args.extend(["--no-auth-warning", "GET", key]);
            let got = as_nobody(&args);
            assert!(
                !got.contains("TOPSECRET"),
                "nobody read the data through {how:?}: {got}"
            );
            args.truncate(args.len() - 2);
            args.push("DBSIZE");
            let got = as_nobody(&args);
            assert!(
                got.trim().parse::<u64>().is_err(),
                "nobody read DBSIZE through {how:?}: {got}"
            );
        }
    }
    servers.len()
}

fn interrupt(child: Child, tmp: &Path) {
    // SAFETY: plain kill(2) of our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let _ = child.wait_with_output();
    wait_for("the servers to end", Duration::from_secs(10), || {
        processes_under(tmp).is_empty()
    });
}

#[test]
fn another_user_reads_nothing_while_inspect_rdb_runs() {
    if !is_root() {
        eprintln!("another_user_reads_nothing_while_inspect_rdb_runs: skipped, needs root");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let tmp = shared_tmp(root.path());
    // A root-only dump holding a secret.
    let source = redis();
    let mut c = source.connect().unwrap();
    for i in 0..300 {
        let _: () = redis::cmd("SET")
            .arg(format!("secret:{i}"))
            .arg(format!("TOPSECRET-{i}"))
            .query(&mut c)
            .unwrap();
    }
    let _: () = redis::cmd("SAVE").query(&mut c).unwrap();
    let private = root.path().join("private");
    std::fs::create_dir(&private).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let rdb = private.join("dump.rdb");
    std::fs::copy(source.dir().join("dump.rdb"), &rdb).unwrap();
    std::fs::set_permissions(&rdb, std::fs::Permissions::from_mode(0o600)).unwrap();
    // Slowed down so that it is still reading while nobody tries.
    let child = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args([
            "inspect",
            "--rdb",
            rdb.to_str().unwrap(),
            "--all",
            // The load path holds the whole dump in its server for the run; the streaming
            // path's server holds a batch for well under a second, too short to try.
            "--load",
            "--max-ops",
            "20",
        ])
        .env("TMPDIR", &tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the loaded private server", Duration::from_secs(30), || {
        !private_servers(&tmp).is_empty()
    });
    let checked = nobody_reads_nothing(&tmp, "secret:1");
    interrupt(child, &tmp);
    assert_eq!(checked, 1);
}

#[test]
fn another_user_reads_nothing_while_bench_runs_alone_or_as_a_cluster() {
    if !is_root() {
        eprintln!("another_user_reads_nothing_while_bench_runs: skipped, needs root");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let tmp = shared_tmp(root.path());
    let scenario = tiny_scenario(root.path());
    for extra in [&[][..], &["--cluster", "3"][..]] {
        let child = Command::new(env!("CARGO_BIN_EXE_redisadv"))
            .args(["bench", scenario.to_str().unwrap(), "-q", "--scale", "0.3"])
            .args(extra)
            .env("TMPDIR", &tmp)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for("a private server", Duration::from_secs(60), || {
            !private_servers(&tmp).is_empty()
        });
        let checked = nobody_reads_nothing(&tmp, "1");
        interrupt(child, &tmp);
        assert!(checked >= 1, "{extra:?}");
    }
}
