//! Error messages as a user meets them: one short line with a count, the scheme and the
//! flag named, what to do, each cause once, and never a password.

use crate::bench_cli::{redisadv, tiny_scenario};
use crate::cli_contract::{s, text};
use crate::common;
use std::process::{Command, Output, Stdio};

/// Runs the binary with `input` on stdin.
fn with_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_read_only_replica_gives_one_short_error_with_a_count() {
    let server = common::redis();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut conn = server.connect().unwrap();
    redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(port)
        .query::<()>(&mut conn)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(dir.path());
    let url = format!("redis://127.0.0.1:{}/0", server.port());
    let out = redisadv(&[
        "bench",
        s(&scenario),
        "-q",
        "--only",
        "pickle_ttl",
        "--url",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.len() < 4096, "{} bytes of stderr: {err}", err.len());
    // Refused before the first write: one line, and no READONLY error on the server.
    assert!(
        err.contains("is a replica of 127.0.0.1:") && err.contains("replica-read-only yes"),
        "{err}"
    );
    let info: String = redis::cmd("INFO")
        .arg("errorstats")
        .query(&mut conn)
        .unwrap();
    assert!(!info.contains("READONLY"), "{info}");
    assert!(out.stdout.len() < 4096, "{}", text(&out.stdout));
}

#[test]
fn url_errors_name_the_scheme_and_never_the_password() {
    for url in [
        "rediss://user:secret@127.0.0.1:1",
        "redis://:secret@127.0.0.1:1/0",
        "redis://user:secret@127.0.0.1:1/notadb",
        "http://user:secret@127.0.0.1:1",
    ] {
        for args in [
            vec![
                "get",
                "--url",
                url,
                "--codec",
                "json",
                "--envelope",
                "raw",
                "k",
            ],
            vec!["bench", "scenarios/quick.toml", "-q", "--url", url],
        ] {
            let out = redisadv(&args);
            let (o, e) = (text(&out.stdout), text(&out.stderr));
            assert_eq!(out.status.code(), Some(2), "{args:?}: {e}");
            assert!(!o.contains("secret") && !e.contains("secret"), "{e}");
        }
    }
    let out = redisadv(&["bench", "scenarios/quick.toml", "--url", "http://x"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(!err.contains("InvalidClientConfig"), "{err}");
    for needle in ["http://", "redis://", "rediss://", "unix://"] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
}

#[test]
fn messages_say_what_to_do_once() {
    // Connection refused, once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}/0", closed.local_addr().unwrap());
    drop(closed);
    let out = redisadv(&[
        "get",
        "--url",
        &url,
        "--codec",
        "json",
        "--envelope",
        "raw",
        "k",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(err.matches("Connection refused").count(), 1, "{err}");

    let server = common::redis();
    let mut conn = server.connect().unwrap();
    redis::cmd("SET")
        .arg("plain")
        .arg(b"\x80\x04K\n.".as_slice())
        .query::<()>(&mut conn)
        .unwrap();
    redis::cmd("HSET")
        .arg("bucket")
        .arg("f")
        .arg("10")
        .query::<()>(&mut conn)
        .unwrap();
    let url = format!("redis://127.0.0.1:{}/0", server.port());
    // The wrong codec: its reason once.
    let out = redisadv(&[
        "get",
        "--url",
        &url,
        "--codec",
        "json",
        "--envelope",
        "dogpile",
        "plain",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(err.matches("not a dogpile envelope").count(), 1, "{err}");
    // A hash bucket read as a key: the hint.
    let out = redisadv(&[
        "get",
        "--url",
        &url,
        "--codec",
        "json",
        "--envelope",
        "raw",
        "bucket",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("WRONGTYPE") && err.contains("--layout hash"),
        "{err}"
    );
    let out = redisadv(&[
        "get",
        "--url",
        &url,
        "--codec",
        "json",
        "--envelope",
        "raw",
        "--layout",
        "hash",
        "bucket,f",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("10"), "{}", text(&out.stdout));

    // commands --variant blames --variant and lists the variants.
    let out = redisadv(&["commands", "scenarios/quick.toml", "--variant", "nosuch"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("--variant") && !err.contains("--only") && err.contains("region_redis"),
        "{err}"
    );
}

#[test]
fn encode_and_decode_report_a_non_utf8_line_and_go_on() {
    let out = with_stdin(&["decode"], b"80\nff\xfe\n80\n");
    let (o, e) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert_eq!(o.lines().count(), 2, "both good lines decoded: {o}");
    assert!(e.contains("stdin line 2") && e.contains("UTF-8"), "{e}");
    let out = with_stdin(
        &["encode", "--codec", "json", "--envelope", "raw"],
        b"1\n\xff\n2\n",
    );
    let (o, e) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert_eq!(o, "31\n32\n");
    assert!(e.contains("stdin line 2") && e.contains("UTF-8"), "{e}");
}
