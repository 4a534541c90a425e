//! Nothing left behind, nothing foreign touched, and every bad input a clear error.

use crate::bench_cli::{redisadv, tiny_scenario};
use crate::common::{project_file, redis};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit code 2, one clear message containing every `needle`, and no panic or backtrace.
fn assert_clean_error(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "exit code; stderr: {err}");
    for n in needles {
        assert!(err.contains(n), "{err:?} lacks {n:?}");
    }
    assert!(
        !err.contains("panicked") && !err.contains("stack backtrace"),
        "{err}"
    );
}

#[test]
fn a_server_killed_mid_variant_fails_that_variant_only() {
    let tmp = tempfile::tempdir().unwrap();
    // A redis-server that kills itself shortly after starting when told "lfu-log-factor 11".
    let wrapper = tmp.path().join("redis-server-dies");
    std::fs::write(
        &wrapper,
        "#!/bin/sh\ncase \"$*\" in *lfu-log-factor*) (sleep 0.4; kill -9 $$) & ;; esac\nexec redis-server \"$@\"\n",
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&wrapper)
        .status()
        .unwrap();
    let scenario = tmp.path().join("dies.toml");
    std::fs::write(
        &scenario,
        format!(
            "name = \"dies\"\n[server]\nconfig = \"{}\"\n[dataset]\nkind = \"demo\"\nscale = 0.5\n\
             [[variant]]\nname = \"dies\"\ncodec = \"json\"\nenvelope = \"raw\"\nredis_ttl = 60\n\
             [variant.overrides]\n\"lfu-log-factor\" = 11\n\
             [[variant]]\nname = \"lives\"\ncodec = \"json\"\nenvelope = \"raw\"\n",
            project_file("redis.conf").display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args([
            "bench",
            scenario.to_str().unwrap(),
            "-q",
            "--format",
            "json",
        ])
        .env("REDISADV_REDIS_SERVER", &wrapper)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dies = &report["variants"][0];
    assert!(dies["result"].is_null());
    let error = dies["error"].as_str().unwrap();
    assert!(error.contains("redis-server"), "{error}");
    assert!(
        !report["variants"][1]["result"].is_null(),
        "the other variant still ran"
    );
    assert!(
        stderr(&out).contains("1 variant(s) failed: dies"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn servers_that_cannot_start_say_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    let s = scenario.to_str().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(["bench", s, "-q"])
        .env("REDISADV_REDIS_SERVER", "/nonexistent/redis-server")
        .output()
        .unwrap();
    assert_clean_error(
        &out,
        &[
            "not found",
            "apt-get install redis-server",
            "REDISADV_REDIS_SERVER",
        ],
    );

    let old = tmp.path().join("redis-server-6");
    std::fs::write(
        &old,
        "#!/bin/sh\necho 'Redis server v=6.2.14 sha=00000000:0 malloc=jemalloc-5.1.0'\n",
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&old).status().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(["bench", s, "-q"])
        .env("REDISADV_REDIS_SERVER", &old)
        .output()
        .unwrap();
    assert_clean_error(
        &out,
        &[
            "Redis 6.2.14",
            "needs Redis 7.0 or newer",
            "REDISADV_REDIS_SERVER",
        ],
    );

    let bad = tmp.path().join("bad-override.toml");
    let text = std::fs::read_to_string(&scenario).unwrap().replace(
        "[dataset]",
        "[server.overrides]\n\"no-such-directive\" = 1\n[dataset]",
    );
    std::fs::write(&bad, text).unwrap();
    let out = redisadv(&["bench", bad.to_str().unwrap(), "-q", "--only", "pickle_ttl"]);
    assert_clean_error(
        &out,
        &["pickle_ttl", "exited", "overrides", "no-such-directive"],
    );
}

fn seed_foreign(conn: &mut redis::Connection) {
    redis::cmd("SET")
        .arg("customer:1")
        .arg("precious")
        .query::<()>(conn)
        .unwrap();
    redis::cmd("HSET")
        .arg("orders")
        .arg("1")
        .arg("x")
        .query::<()>(conn)
        .unwrap();
}

fn assert_foreign_intact(conn: &mut redis::Connection) {
    let v: Option<String> = redis::cmd("GET").arg("customer:1").query(conn).unwrap();
    assert_eq!(v.as_deref(), Some("precious"));
    let h: Option<String> = redis::cmd("HGET")
        .arg("orders")
        .arg("1")
        .query(conn)
        .unwrap();
    assert_eq!(h.as_deref(), Some("x"));
}

#[test]
fn url_mode_never_touches_foreign_data() {
    let server = redis();
    let mut conn = server.connect().unwrap();
    seed_foreign(&mut conn);
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    let s = scenario.to_str().unwrap();
    let db0 = format!("redis://127.0.0.1:{}/0", server.port());
    let db1 = format!("redis://127.0.0.1:{}/1", server.port());

    // A database that holds keys is refused; nothing is written or deleted.
    let out = redisadv(&["bench", s, "-q", "--url", &db0]);
    assert_clean_error(&out, &["holds 2 keys", "--flush"]);
    assert_foreign_intact(&mut conn);
    let size: i64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
    assert_eq!(size, 2);
    // --keep/--flush without --url is a usage error.
    let out = redisadv(&["bench", s, "-q", "--flush"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--url"), "{}", stderr(&out));

    // An empty database: measured, then exactly what was written is removed.
    let out = redisadv(&["bench", s, "-q", "--url", &db1, "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("INFO memory covers the whole server"),
        "{}",
        stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["variants"][0]["result"]["keys"], 2200);
    redis::cmd("SELECT").arg(1).query::<()>(&mut conn).unwrap();
    let size: i64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
    assert_eq!(size, 0, "what redisadv wrote is gone");
    redis::cmd("SELECT").arg(0).query::<()>(&mut conn).unwrap();
    assert_foreign_intact(&mut conn);

    // --keep leaves the records; --flush empties the database and says so.
    let out = redisadv(&[
        "bench",
        s,
        "-q",
        "--url",
        &db1,
        "--keep",
        "--only",
        "json_raw_hash",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    redis::cmd("SELECT").arg(1).query::<()>(&mut conn).unwrap();
    let size: i64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
    assert_eq!(size, 30);
    let out = redisadv(&[
        "bench",
        s,
        "-q",
        "--url",
        &db1,
        "--flush",
        "--only",
        "json_raw_hash",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("FLUSHDB on database 1") && stderr(&out).contains("30 keys"),
        "{}",
        stderr(&out)
    );
    redis::cmd("SELECT").arg(0).query::<()>(&mut conn).unwrap();
    assert_foreign_intact(&mut conn);
}

#[test]
fn a_url_that_does_not_answer_is_a_timeout_not_a_hang() {
    let port = crate::common::silent_port(30);
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    let started = Instant::now();
    let out = redisadv(&[
        "bench",
        scenario.to_str().unwrap(),
        "-q",
        "--url",
        &format!("redis://127.0.0.1:{port}/0"),
    ]);
    assert_clean_error(&out, &["--url", &format!("127.0.0.1:{port}")]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn bad_input_matrix_through_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tiny_scenario(tmp.path());
    let s = scenario.to_str().unwrap();
    let write = |name: &str, text: String| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let good = std::fs::read_to_string(&scenario).unwrap();
    let malformed = write("malformed.toml", good.replace("[dataset]", "[dataset"));
    assert_clean_error(
        &redisadv(&["bench", malformed.to_str().unwrap()]),
        &["malformed.toml:5"],
    );
    let unknown = write(
        "unknown.toml",
        good.replace("kind = \"demo\"", "kind = \"demo\"\nsize = 3"),
    );
    assert_clean_error(
        &redisadv(&["bench", unknown.to_str().unwrap()]),
        &["unknown.toml:7", "unknown field `size`"],
    );
    let codec = write(
        "codec.toml",
        good.replace("codec = \"json\"", "codec = \"yaml\""),
    );
    assert_clean_error(
        &redisadv(&["bench", codec.to_str().unwrap()]),
        &["codec.toml:15", "yaml"],
    );
    // A json variant given bytes payloads, a msgpack variant given an int past 64 bits.
    let custom = |codec: &str, value: &str| {
        format!(
            "name = \"c\"\n[server]\nconfig = \"{}\"\n[dataset]\nkind = \"custom\"\n[[dataset.family]]\n\
             name = \"f\"\ncount = 10\nkey = \"k{{i}}\"\nvalue = {value}\n[[variant]]\nname = \"v\"\n\
             codec = \"{codec}\"\nenvelope = \"raw\"\n",
            project_file("redis.conf").display()
        )
    };
    let bytes = write(
        "bytes.toml",
        custom("json", "{ type = \"bytes\", min_len = 1, max_len = 4 }"),
    );
    assert_clean_error(
        &redisadv(&["bench", bytes.to_str().unwrap(), "-q"]),
        &["variant v", "k0", "bytes is not JSON serializable"],
    );
    let big = write(
        "big.toml",
        custom("msgpack", "{ type = \"const\", value = \"2**70\" }"),
    );
    assert_clean_error(
        &redisadv(&["bench", big.to_str().unwrap(), "-q"]),
        &["big.toml", "not a Python literal"],
    );
    let big = write(
        "big2.toml",
        custom(
            "msgpack",
            "{ type = \"const\", value = \"1180591620717411303424\" }",
        ),
    );
    assert_clean_error(
        &redisadv(&["bench", big.to_str().unwrap(), "-q"]),
        &["variant v", "Integer value out of range"],
    );
    // Flags.
    assert_clean_error(&redisadv(&["bench", s, "--scale", "0"]), &["--scale"]);
    assert_clean_error(
        &redisadv(&["bench", s, "--only", "nope"]),
        &["--only", "nope", "pickle_ttl"],
    );
    assert_clean_error(
        &redisadv(&["bench", "/nonexistent/scenario.toml"]),
        &["/nonexistent/scenario.toml"],
    );
    assert_clean_error(
        &redisadv(&["report", "/nonexistent/report.json"]),
        &["/nonexistent/report.json"],
    );
    let not_json = write("notjson.json", "{".into());
    assert_clean_error(
        &redisadv(&["report", not_json.to_str().unwrap()]),
        &["notjson.json", "not a JSON report"],
    );
    assert!(Path::new(s).exists());
}

#[test]
fn encode_names_the_line_it_cannot_read() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(["encode", "--codec", "json", "--envelope", "raw"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"10\n[1, 2\nb'x'\n'ok'\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "3130\n276f6b27\n".replace("276f6b27", "226f6b22")
    );
    assert_clean_error(&out, &["stdin line 2", "stdin line 3", "bytes"]);
}
