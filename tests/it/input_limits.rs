//! Hostile or mistaken input costs bounded memory and time: a reply's length field, a stream
//! of key names on stdin, a report path that never ends, a sweep of a million runs.

use crate::bench_cli::{redisadv, tiny_scenario};
use crate::common::{project_file, redis};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// One RESP command read from `reader` (its words), or `None` when the client left.
fn read_command(reader: &mut impl BufRead) -> Option<Vec<String>> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let count: usize = line.trim().strip_prefix('*')?.parse().ok()?;
    let mut words = Vec::new();
    for _ in 0..count {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let len: usize = line.trim().strip_prefix('$')?.parse().ok()?;
        let mut word = vec![0; len + 2];
        reader.read_exact(&mut word).ok()?;
        word.truncate(len);
        words.push(String::from_utf8_lossy(&word).into_owned());
    }
    Some(words)
}

/// A server on 127.0.0.1 that speaks Redis to the redis client library (whose connections
/// start with CLIENT SETINFO) and answers the first command of any other connection (the
/// pipelined reader inspect uses) with a bulk length of a terabyte, then hangs up.
fn terabyte_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16).flatten() {
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let mut normal = false;
                while let Some(words) = read_command(&mut reader) {
                    let name = words[0].to_ascii_uppercase();
                    if name == "CLIENT" {
                        normal = true;
                    }
                    let reply: Vec<u8> = if !normal {
                        let _ = writer.write_all(b"$1099511627776\r\nabc");
                        return;
                    } else if name == "INFO" {
                        let text = "# Cluster\r\ncluster_enabled:0\r\n";
                        format!("${}\r\n{text}\r\n", text.len()).into_bytes()
                    } else {
                        b"+OK\r\n".to_vec()
                    };
                    if writer.write_all(&reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn a_terabyte_length_field_is_an_error_not_an_abort() {
    let port = terabyte_server();
    let out = redisadv(&["inspect", "--url", &format!("redis://127.0.0.1:{port}/0")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("memory allocation"), "{err}");
    assert!(
        err.contains(
            "a bulk string of 1099511627776 announced, over redisadv's limit of 536870912"
        ),
        "{err}"
    );
}

#[test]
fn get_answers_key_names_as_they_arrive() {
    let server = redis();
    let mut child = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args([
            "get",
            "--url",
            &format!("redis://127.0.0.1:{}/0", server.port()),
        ])
        .args(["--codec", "json", "--envelope", "raw"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // A first batch of names; stdin stays open, as a stream of names would.
    for i in 0..1000 {
        writeln!(stdin, "key:{i}").unwrap();
    }
    stdin.flush().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut first = String::new();
        let mut reader = BufReader::new(stdout);
        reader.read_line(&mut first).unwrap();
        tx.send(first).unwrap();
        let mut rest = String::new();
        let _ = reader.read_to_string(&mut rest);
    });
    let first = rx.recv_timeout(Duration::from_secs(30));
    drop(stdin);
    let status = child.wait().unwrap();
    assert_eq!(
        first.as_deref().ok(),
        Some("None\n"),
        "the first batch is answered while stdin is still open"
    );
    assert!(status.success());
    // A line that never ends is refused at the stated limit, naming the line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args([
            "get",
            "--url",
            &format!("redis://127.0.0.1:{}/0", server.port()),
        ])
        .args(["--codec", "json", "--envelope", "raw"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < Duration::from_secs(60), "get ends");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("stdin line 1: longer than 1048576 bytes"),
        "{err}"
    );
}

#[test]
fn reports_are_read_up_to_a_stated_limit() {
    // /dev/zero is refused at its first byte (a report begins with '{').
    for args in [
        vec!["report", "/dev/zero"],
        vec!["compare", "/dev/zero", "/dev/zero"],
    ] {
        let out = redisadv(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("/dev/zero: not a JSON report: it begins with byte 0x00"),
            "{args:?}: {err}"
        );
    }
    // A file that begins like one and goes on past 256 MiB (sparse: no disk used).
    let tmp = tempfile::tempdir().unwrap();
    let huge = tmp.path().join("huge.json");
    std::fs::write(&huge, "{\"schema_version\": 1, \"pad\": \"").unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&huge)
        .unwrap()
        .set_len(300 << 20)
        .unwrap();
    let out = redisadv(&["report", huge.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("huge.json: longer than 268435456 bytes (256 MiB)"),
        "{err}"
    );
    let scenario = tiny_scenario(tmp.path());
    let out = redisadv(&[
        "bench",
        scenario.to_str().unwrap(),
        "--baseline",
        "/dev/zero",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not a JSON report"), "{err}");
}

#[test]
fn a_million_run_sweep_is_refused_with_its_count_before_planning() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("huge.toml");
    let list = (1..=1000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    std::fs::write(
        &path,
        format!(
            "name = \"huge\"\n[server]\nconfig = \"{}\"\n[dataset]\nkind = \"demo\"\nscale = \
             0.002\n[[variant]]\nname = \"v\"\ncodec = \"pickle\"\nenvelope = \"dogpile\"\n\
             redis_ttl = [{list}]\nversion = [{list}]\n",
            project_file("redis.conf").display()
        ),
    )
    .unwrap();
    let started = Instant::now();
    let out = redisadv(&["bench", path.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused before any plan"
    );
    for needle in ["1000000 runs", "1000 x 1000", "--max-runs 1000000"] {
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }
}

#[test]
fn a_gzip_bomb_sample_is_refused_at_a_stated_limit() {
    // 16 KiB of gzip inflating to one 300 MiB line: read up to 256 MiB, never to the end.
    let tmp = tempfile::tempdir().unwrap();
    let bomb = tmp.path().join("bomb.jsonl.gz");
    let header = zcat_first_line(&project_file("tests/fixtures/sample-v1.jsonl.gz"));
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&bomb).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(header.as_bytes()).unwrap();
    let block = vec![b'a'; 1 << 20];
    for _ in 0..300 {
        gz.write_all(&block).unwrap();
    }
    gz.finish().unwrap();
    let out = redisadv(&["whatif", "--from-sample", bomb.to_str().unwrap(), "-q"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bomb.jsonl.gz:2: a line longer than 256 MiB"),
        "{err}"
    );
}

/// The first line of a gzipped file, with its newline.
fn zcat_first_line(path: &std::path::Path) -> String {
    let mut line = String::new();
    BufReader::new(flate2::read::GzDecoder::new(
        std::fs::File::open(path).unwrap(),
    ))
    .read_line(&mut line)
    .unwrap();
    line
}
