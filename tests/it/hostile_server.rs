//! A hostile server: a small RESP server, written here, that answers what inspect asks but
//! whose SCAN cursor never returns to 0, or whose pages stay empty forever, whose HSCAN,
//! SSCAN and ZSCAN cursors never end, and whose GETRANGE never runs out of bytes. It is the
//! input under test, not a stand-in for redisadv's code: inspect and whatif must end within
//! the bounds docs/own-data.md and docs/guarantees.md state, with a message and exit code 2.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the server misbehaves.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// Every SCAN page lists new keys (strings, hashes, sets, zsets) and a cursor that is
    /// never 0.
    EndlessKeys,
    /// Every SCAN page is empty, and its cursor is never 0.
    EmptyPages,
    /// One string key whose MEMORY USAGE says 4 MiB, and GETRANGE answers every range in
    /// full, forever.
    EndlessValue,
}

/// Keys per SCAN page in [`Mode::EndlessKeys`].
const PAGE: usize = 20;
/// What DBSIZE says.
const DBSIZE: u64 = 10;

struct Hostile {
    port: u16,
    /// Commands received, by name (upper case; `MEMORY USAGE` as `MEMORY`).
    seen: Arc<Mutex<HashMap<String, u64>>>,
}

impl Hostile {
    fn start(mode: Mode) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(HashMap::new()));
        let counts = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counts = counts.clone();
                std::thread::spawn(move || serve(stream, mode, &counts));
            }
        });
        Hostile { port, seen }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn count(&self, name: &str) -> u64 {
        self.seen.lock().unwrap().get(name).copied().unwrap_or(0)
    }
}

fn serve(stream: TcpStream, mode: Mode, seen: &Mutex<HashMap<String, u64>>) {
    let mut out = std::io::BufWriter::new(stream.try_clone().unwrap());
    let mut input = BufReader::new(stream);
    let mut page: u64 = 0;
    while let Some(args) = read_command(&mut input) {
        let name = String::from_utf8_lossy(&args[0]).to_uppercase();
        *seen.lock().unwrap().entry(name.clone()).or_default() += 1;
        let arg = |i: usize| String::from_utf8_lossy(args.get(i).map_or(&[][..], |a| a));
        let reply = match name.as_str() {
            "PING" => "+PONG\r\n".to_string(),
            "COMMAND" => format!("*{}\r\n{}", args.len() - 2, ":1\r\n".repeat(args.len() - 2)),
            "INFO" => bulk(
                "# Server\r\nredis_version:7.0.15\r\nprocess_id:1\r\n# Memory\r\n\
                 used_memory:1000000\r\nmaxmemory:0\r\n# Stats\r\nevicted_keys:0\r\n\
                 # Cluster\r\ncluster_enabled:0\r\n# Keyspace\r\ndb0:keys=10,expires=0\r\n",
            ),
            "DBSIZE" => format!(":{DBSIZE}\r\n"),
            "SCAN" => {
                page += 1;
                let cursor = page * 7919;
                match mode {
                    Mode::EndlessKeys => {
                        let kinds = ["k", "h", "s", "z"];
                        let keys: Vec<String> = (0..PAGE)
                            .map(|i| format!("{}:{page}:{i}", kinds[i % kinds.len()]))
                            .collect();
                        scan_page(cursor, &keys)
                    }
                    Mode::EmptyPages => scan_page(cursor, &[]),
                    // One key, and the walk is over.
                    Mode::EndlessValue => scan_page(0, &["big:1".to_string()]),
                }
            }
            "TYPE" => match arg(1).split(':').next() {
                Some("h") => "+hash\r\n".into(),
                Some("s") => "+set\r\n".into(),
                Some("z") => "+zset\r\n".into(),
                _ => "+string\r\n".into(),
            },
            "PTTL" => ":-1\r\n".into(),
            "MEMORY" if arg(1).eq_ignore_ascii_case("usage") => {
                if arg(2).starts_with("big:") {
                    format!(":{}\r\n", 4 << 20)
                } else {
                    ":80\r\n".into()
                }
            }
            "MEMORY" => "*0\r\n".into(),
            "OBJECT" => "+listpack\r\n".into(),
            "GET" => bulk("\"a json string\""),
            "GETRANGE" => {
                let from: u64 = arg(2).parse().unwrap_or(0);
                let to: u64 = arg(3).parse().unwrap_or(0);
                bulk(&"x".repeat((to - from + 1) as usize))
            }
            // A value's cursor that never ends, with a page of members.
            "HSCAN" => format!(
                "*2\r\n{}*4\r\n{}{}{}{}",
                bulk("17"),
                bulk("f"),
                bulk("v"),
                bulk("g"),
                bulk("w")
            ),
            "SSCAN" | "ZSCAN" => format!("*2\r\n{}*2\r\n{}{}", bulk("17"), bulk("m"), bulk("1")),
            _ => format!("-ERR unknown command '{name}'\r\n"),
        };
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
        // Flush when the client has sent everything it pipelined.
        if input.buffer().is_empty() && out.flush().is_err() {
            return;
        }
    }
}

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

fn scan_page(cursor: u64, keys: &[String]) -> String {
    let items: String = keys.iter().map(|k| bulk(k)).collect();
    format!(
        "*2\r\n{}*{}\r\n{items}",
        bulk(&cursor.to_string()),
        keys.len()
    )
}

/// One command as RESP array of bulk strings; `None` at the end of the stream.
fn read_command(input: &mut BufReader<TcpStream>) -> Option<Vec<Vec<u8>>> {
    let mut line = String::new();
    input.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let n: usize = line.trim_end().strip_prefix('*')?.parse().ok()?;
    let mut args = Vec::with_capacity(n);
    for _ in 0..n {
        line.clear();
        input.read_line(&mut line).ok()?;
        let len: usize = line.trim_end().strip_prefix('$')?.parse().ok()?;
        let mut arg = vec![0; len + 2];
        input.read_exact(&mut arg).ok()?;
        arg.truncate(len);
        args.push(arg);
    }
    Some(args)
}

/// Runs redisadv; one that has not ended after 180 s is killed (and the test fails on its
/// exit code), so a walk without end fails the test instead of hanging it.
fn run(args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Drained while it runs: a full pipe must not stall it.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let stderr = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    (output, started.elapsed())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn inspect_ends_a_scan_whose_cursor_never_returns_to_0() {
    // The whole keyspace (--all): the walk stops after 4 x DBSIZE + 100,000 keys listed.
    let server = Hostile::start(Mode::EndlessKeys);
    let (out, took) = run(&["inspect", "--all", "--url", &server.url(), "-q"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("SCAN did not finish") && err.contains("never came back to 0"),
        "{err}"
    );
    assert!(err.contains(&format!("{DBSIZE} keys (DBSIZE)")), "{err}");
    let listed = server.count("SCAN") * PAGE as u64;
    let bound = 4 * DBSIZE + 100_000;
    assert!(
        listed > bound && listed <= bound + PAGE as u64,
        "{listed} keys listed, bound {bound}"
    );
    assert!(took < Duration::from_secs(120), "{took:?}");
    // A value's cursor is never followed: one HSCAN page per hash read, no SSCAN or ZSCAN.
    assert!(server.count("HSCAN") > 0);
    assert!(
        server.count("HSCAN") <= server.count("SCAN") * (PAGE as u64 / 4),
        "{} HSCAN for {} pages",
        server.count("HSCAN"),
        server.count("SCAN")
    );
    assert_eq!(server.count("SSCAN") + server.count("ZSCAN"), 0);

    // With --sample 100 the walk ends after the page that reaches 100 keys, with figures.
    let server = Hostile::start(Mode::EndlessKeys);
    let (out, took) = run(&[
        "inspect",
        "--url",
        &server.url(),
        "--sample",
        "100",
        "--format",
        "json",
        "-q",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["keys_inspected"], 100, "{report:#}");
    assert_eq!(server.count("SCAN"), 100 / PAGE as u64);
    assert!(
        server.count("HSCAN") <= 100 / 4,
        "{}",
        server.count("HSCAN")
    );
    assert_eq!(server.count("SSCAN") + server.count("ZSCAN"), 0);
    assert!(took < Duration::from_secs(60), "{took:?}");
}

#[test]
fn inspect_and_whatif_end_a_scan_of_empty_pages_forever() {
    let runs: [&[&str]; 4] = [
        &["inspect", "--all"],
        &["inspect"],
        &["inspect", "--sample", "100"],
        &["whatif", "--match", "user:*", "--sample", "100"],
    ];
    for args in runs {
        let server = Hostile::start(Mode::EmptyPages);
        let url = server.url();
        let mut all = args.to_vec();
        all.extend(["--url", &url, "-q"]);
        let (out, took) = run(&all);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {err}");
        assert!(
            err.contains("SCAN did not finish") && err.contains("listed 0 keys"),
            "{all:?}: {err}"
        );
        // The pages' bound: (4 x DBSIZE + 100,000) / COUNT + 10,000.
        let pages = server.count("SCAN");
        assert!((10_000..=10_200).contains(&pages), "{all:?}: {pages} pages");
        assert!(took < Duration::from_secs(120), "{all:?}: {took:?}");
        assert_eq!(server.count("GET"), 0);
    }
}

#[test]
fn inspect_ends_a_value_read_that_never_ends() {
    // GETRANGE pieces of a string larger than one read stop at its MEMORY USAGE: a server
    // that always answers a full piece does not grow redisadv's memory forever.
    let server = Hostile::start(Mode::EndlessValue);
    let (out, took) = run(&["inspect", "--url", &server.url(), "-q"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("GETRANGE") && err.contains("big:1") && err.contains("MEMORY USAGE"),
        "{err}"
    );
    // 4 MiB in pieces of 1 MiB: the fifth full piece is one too many.
    assert!(
        server.count("GETRANGE") <= 6,
        "{}",
        server.count("GETRANGE")
    );
    assert!(took < Duration::from_secs(60), "{took:?}");
}
