//! Private servers end with redisadv however redisadv ends, leave no directory behind, and
//! are the servers redisadv started. Servers are found by their working directory under a
//! private TMPDIR (redis-server retitles its command line).

use crate::bench_cli::tiny_scenario;
use crate::common::{processes_under, project_file, wait_for};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// A test's own directory, with a private TMPDIR for redisadv inside it.
struct Sandbox {
    root: tempfile::TempDir,
    tmp: PathBuf,
    scenario: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let root = tempfile::tempdir().unwrap();
        let tmp = root.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let scenario = tiny_scenario(root.path());
        Sandbox {
            root,
            tmp,
            scenario,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_redisadv"));
        cmd.args(args).env("TMPDIR", &self.tmp);
        cmd
    }

    /// `redisadv bench` on the tiny scenario at `scale`, running in the background.
    fn bench(&self, scale: &str, server: Option<&Path>) -> Child {
        let mut cmd = self.command(&[
            "bench",
            self.scenario.to_str().unwrap(),
            "--scale",
            scale,
            "-q",
        ]);
        if let Some(server) = server {
            cmd.env("REDISADV_REDIS_SERVER", server);
        }
        cmd.stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn entries(&self) -> Vec<PathBuf> {
        std::fs::read_dir(&self.tmp)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect()
    }

    /// No process works under the private TMPDIR and no directory is left in it.
    fn assert_nothing_left(&self, what: &str) {
        let limit = Duration::from_secs(10);
        wait_for(&format!("{what}: the servers to end"), limit, || {
            processes_under(&self.tmp).is_empty()
        });
        wait_for(&format!("{what}: the directories to go"), limit, || {
            self.entries().is_empty()
        });
    }

    /// Waits until a private server works under the TMPDIR.
    fn wait_for_server(&self) {
        wait_for("a private redis-server", Duration::from_secs(30), || {
            !processes_under(&self.tmp).is_empty()
        });
    }

    fn script(&self, name: &str, text: &str) -> PathBuf {
        let path = self.root.path().join(name);
        std::fs::write(&path, text).unwrap();
        Command::new("chmod").arg("+x").arg(&path).status().unwrap();
        path
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn send(signal: &str, child: &Child) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal}");
}

/// Sends `signal` to a running `redisadv bench` once its first server runs.
fn signal_mid_run(signal: &str) -> (Sandbox, Output) {
    let sandbox = Sandbox::new();
    let child = sandbox.bench("0.5", None);
    sandbox.wait_for_server();
    std::thread::sleep(Duration::from_millis(300));
    send(signal, &child);
    let out = child.wait_with_output().unwrap();
    (sandbox, out)
}

/// Handled signals: the signal thread stops the servers, removes the directories, says so,
/// and exits with 128 + the signal number.
fn handled(signal: &str, number: i32) {
    let (sandbox, out) = signal_mid_run(signal);
    assert_eq!(out.status.code(), Some(128 + number), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    sandbox.assert_nothing_left(signal);
}

#[test]
fn sigint_leaves_no_server_and_no_directory() {
    handled("INT", 2);
}

#[test]
fn sigterm_leaves_no_server_and_no_directory() {
    handled("TERM", 15);
}

#[test]
fn sighup_leaves_no_server_and_no_directory() {
    handled("HUP", 1);
}

#[test]
fn sigquit_leaves_no_server_and_no_directory() {
    handled("QUIT", 3);
}

/// SIGKILL and an abort run no handler: the guardian removes the server and the directory.
#[test]
fn sigkill_leaves_no_server_and_no_directory() {
    let (sandbox, out) = signal_mid_run("KILL");
    assert_eq!(out.status.code(), None, "killed by the signal");
    sandbox.assert_nothing_left("KILL");
}

#[test]
fn an_abort_leaves_no_server_and_no_directory() {
    let (sandbox, out) = signal_mid_run("ABRT");
    assert_eq!(out.status.code(), None, "ended by the signal");
    sandbox.assert_nothing_left("ABRT");
}

/// A REDISADV_REDIS_SERVER wrapper that runs redis-server as its child instead of `exec`:
/// neither a normal run nor a SIGKILL leaves that grandchild running.
#[test]
fn a_wrapper_that_does_not_exec_leaves_no_server() {
    let sandbox = Sandbox::new();
    let wrapper = sandbox.script(
        "redis-server-wrapper",
        "#!/bin/sh\nredis-server \"$@\"\necho wrapper done\n",
    );
    let out = sandbox
        .bench("0.002", Some(&wrapper))
        .wait_with_output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    sandbox.assert_nothing_left("a normal run");

    let child = sandbox.bench("0.5", Some(&wrapper));
    sandbox.wait_for_server();
    std::thread::sleep(Duration::from_millis(300));
    send("KILL", &child);
    child.wait_with_output().unwrap();
    sandbox.assert_nothing_left("KILL");
}

/// The pid and start time (proc(5) field 22) of a process.
fn start_time(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 1..];
    rest.split_whitespace().nth(19).unwrap().parse().unwrap()
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Kills and reaps a process the test started, however the test ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A directory left by a redisadv that no longer runs (and its guardian with it) is removed,
/// with the server still working in it, by the next redisadv that starts a server; a
/// directory whose owner runs, and one without an owner marker, are left alone.
#[test]
fn directories_of_a_dead_redisadv_are_removed_on_the_next_start() {
    let sandbox = Sandbox::new();
    let dead = {
        let mut child = Command::new("true").spawn().unwrap();
        child.wait().unwrap();
        child.id()
    };
    let stale = sandbox.tmp.join("redisadv-stale1");
    std::fs::create_dir(&stale).unwrap();
    let orphan = {
        use std::os::unix::process::CommandExt;
        Command::new("redis-server")
            .args(["--port", &free_port().to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&stale)
            .process_group(0)
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut orphan = Reaped(orphan);
    std::fs::write(
        stale.join("owner"),
        format!("redisadv {dead} 1\nserver-group {}\n", orphan.0.id()),
    )
    .unwrap();
    wait_for("the orphan to start", Duration::from_secs(10), || {
        processes_under(&stale).contains(&orphan.0.id())
    });
    let me = std::process::id();
    let alive = sandbox.tmp.join("redisadv-alive1");
    std::fs::create_dir(&alive).unwrap();
    std::fs::write(
        alive.join("owner"),
        format!("redisadv {me} {}\n", start_time(me)),
    )
    .unwrap();
    let unmarked = sandbox.tmp.join("redisadv-unmarked1");
    std::fs::create_dir(&unmarked).unwrap();

    let out = sandbox.bench("0.002", None).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stale.exists(), "the dead owner's directory is removed");
    wait_for("the orphan to end", Duration::from_secs(10), || {
        orphan.0.try_wait().unwrap().is_some()
    });
    assert!(alive.exists(), "a running owner's directory stays");
    assert!(unmarked.exists(), "an unmarked directory stays");
}

/// Another redis-server binds the port redisadv chose before redisadv's server does:
/// redisadv must notice that the server answering is not its own, retry on another port,
/// and never write into the other server. The wrapper does this once, on the first start.
#[test]
fn a_foreign_server_on_the_chosen_port_is_never_written() {
    let sandbox = Sandbox::new();
    let root = sandbox.root.path().display().to_string();
    let wrapper = sandbox.script(
        "redis-server-race",
        &format!(
            r#"#!/bin/sh
T='{root}'
port=; prev=
for a in "$@"; do [ "$prev" = "--port" ] && port=$a; prev=$a; done
if [ -n "$port" ] && [ "$port" != 0 ] && mkdir "$T/foreign" 2>/dev/null; then
  echo "$port" > "$T/foreign.port"
  setsid redis-server --port "$port" --bind 127.0.0.1 --dir "$T/foreign" --save "" \
    --appendonly no </dev/null >/dev/null 2>&1 &
  echo $! > "$T/foreign.pid"
  i=0
  until redis-cli -p "$port" ping >/dev/null 2>&1 || [ $i -ge 200 ]; do
    i=$((i+1)); sleep 0.05
  done
fi
exec redis-server "$@"
"#
        ),
    );
    // A standalone private server has no port to race for (its socket is in its own 0700
    // directory); a cluster node has one: the race is run against a one-node cluster.
    let out = sandbox
        .command(&[
            "bench",
            sandbox.scenario.to_str().unwrap(),
            "--scale",
            "0.002",
            "-q",
            "--cluster",
            "1",
        ])
        .env("REDISADV_REDIS_SERVER", &wrapper)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .unwrap();
    let read = |name: &str| {
        std::fs::read_to_string(sandbox.root.path().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}; {}", stderr(&out)))
            .trim()
            .parse::<u32>()
            .unwrap()
    };
    let (port, pid) = (read("foreign.port"), read("foreign.pid"));
    // The foreign server is this test's: end it however the test ends.
    struct KillOnDrop(u32);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .args(["-KILL", &self.0.to_string()])
                .status();
        }
    }
    let _foreign = KillOnDrop(pid);
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/0")).unwrap();
    let mut conn = client
        .get_connection_with_timeout(Duration::from_secs(5))
        .unwrap();
    let keys: i64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
    assert_eq!(keys, 0, "redisadv wrote into the foreign server");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    sandbox.assert_nothing_left("the port race");
}

/// Overrides that would let a private server escape its directory or outlive redisadv are
/// refused, and nothing is left running.
#[test]
fn overrides_of_the_private_servers_safety_settings_are_refused() {
    let sandbox = Sandbox::new();
    let text = std::fs::read_to_string(&sandbox.scenario).unwrap().replace(
        "[dataset]",
        "[server.overrides]\ndaemonize = \"yes\"\n[dataset]",
    );
    let scenario = sandbox.root.path().join("daemonize.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = sandbox
        .command(&["bench", scenario.to_str().unwrap(), "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("daemonize"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    sandbox.assert_nothing_left("daemonize");

    // A library caller that bypasses scenario checks meets the same refusal.
    for name in [
        "dir",
        "logfile",
        "unixsocket",
        "daemonize",
        "save",
        "pidfile",
    ] {
        let options = redisadv::server::ServerOptions {
            config_file: Some(project_file("redis.conf")),
            overrides: vec![(name.into(), sandbox.root.path().display().to_string())],
            ..Default::default()
        };
        let err = match redisadv::server::RedisServer::start(&options) {
            Ok(server) => panic!("{name} override accepted; dir {:?}", server.dir()),
            Err(e) => format!("{e:#}"),
        };
        assert!(
            err.contains(name) && err.contains("remove this override"),
            "{err}"
        );
    }
}
