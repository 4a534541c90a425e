//! What a scenario says is what runs: settings that would do nothing or something else are
//! refused with the line, dict fields keep their order, one repeatable clock dates a
//! scenario, the report's TTL column tells what Redis holds, and large values stay bounded
//! in the tool's memory.

use crate::common::project_file;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Writes `body` after a header (name, the project's redis.conf) as `s.toml` in `dir`; the
/// header is 4 lines, so a body that starts with a table starts on line 5.
fn scenario(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("s.toml");
    // Top-level keys of the body (before its first table) go above [server].
    let split = body.find("\n[").map_or(0, |i| i + 1);
    let (top, body) = if body.starts_with('[') {
        ("", body)
    } else {
        body.split_at(split)
    };
    let text = format!(
        "name = \"t\"\n{top}[server]\nconfig = \"{}\"\n# body\n{body}",
        project_file("redis.conf").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs the binary, ending it (SIGTERM, so it stops its servers) if it is still running
/// after `limit`: a generous bound so that a failing test ends instead of hanging.
fn run(args: &[&str], limit: Duration) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let pid = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watch = {
        let done = done.clone();
        std::thread::spawn(move || {
            let start = Instant::now();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if start.elapsed() > limit {
                    let _ = Command::new("kill")
                        .args(["-TERM", &pid.to_string()])
                        .status();
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let out = child.wait_with_output().expect("the binary ends");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    watch.join().unwrap();
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `bench` refuses the scenario with exit code 2 and a message holding every `expected`.
fn refused(path: &Path, extra: &[&str], expected: &[&str]) {
    let mut args = vec!["bench", path.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    let out = run(&args, Duration::from_secs(120));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{expected:?}: {err}");
    for e in expected {
        assert!(err.contains(e), "{err:?} lacks {e:?}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

const DEMO_JSON: &str = "[dataset]\nkind = \"demo\"\nscale = 0.0001\n[[variant]]\nname = \"v\"\n\
                         codec = \"json\"\nenvelope = \"raw\"\n";

#[test]
fn overrides_that_escape_the_private_server_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().display().to_string();
    let path = scenario(
        dir.path(),
        &format!("[server.overrides]\ndir = \"{elsewhere}\"\n{DEMO_JSON}"),
    );
    refused(&path, &[], &["s.toml:6", "dir", "temporary directory"]);
    let path = scenario(
        dir.path(),
        &format!("{DEMO_JSON}[variant.overrides]\nlogfile = \"{elsewhere}/r.log\"\n"),
    );
    refused(&path, &[], &["s.toml:13", "logfile", "Remove it"]);
    let path = scenario(
        dir.path(),
        &format!("{DEMO_JSON}[variant.overrides]\nsave = \"900 1\"\n"),
    );
    refused(&path, &[], &["s.toml:13", "save", "snapshots"]);
}

fn custom(family: &str, variants: &str) -> String {
    format!("[dataset]\nkind = \"custom\"\n[[dataset.family]]\n{family}\n{variants}")
}

const KEYS_VARIANT: &str = "[[variant]]\nname = \"v\"\ncodec = \"json\"\nenvelope = \"raw\"\n";

#[test]
fn a_key_template_that_reuses_keys_is_refused_unless_overwrite_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let family =
        "name = \"f\"\ncount = 100\nkey = \"same\"\nvalue = { type = \"int\", min = 0, max = 9 }";
    let path = scenario(dir.path(), &custom(family, KEYS_VARIANT));
    refused(
        &path,
        &[],
        &["s.toml:10", "\"same\"", "{i}", "overwrite = true"],
    );
    // The hash layout's bucket and field must tell records apart too.
    let hash = format!("{KEYS_VARIANT}layout = \"hash\"\n");
    let family_hash = "name = \"f\"\ncount = 100\nkey = \"k{i}\"\nbucket = \"b\"\n\
                       field = \"{i / 10}\"\nvalue = { type = \"int\", min = 0, max = 9 }";
    let path = scenario(dir.path(), &custom(family_hash, &hash));
    refused(&path, &[], &["s.toml:12", "field", "overwrite = true"]);
    // Said on purpose: it runs, and every record lands on the one key.
    let family = family.replace("key = ", "overwrite = true\nkey = ");
    let path = scenario(dir.path(), &custom(&family, KEYS_VARIANT));
    let out = run(
        &[
            "bench",
            path.to_str().unwrap(),
            "--quiet",
            "--format",
            "json",
        ],
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["variants"][0]["result"]["keys"], 1);
    assert_eq!(report["variants"][0]["result"]["records"], 100);
}

#[test]
fn a_scale_that_leaves_a_family_without_records_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(
        dir.path(),
        &DEMO_JSON.replace("scale = 0.0001", "scale = 1e-9"),
    );
    refused(&path, &[], &["s.toml:7", "scale", "no records"]);
    let path = scenario(dir.path(), DEMO_JSON);
    refused(&path, &["--scale", "1e-9"], &["--scale", "no records"]);
    let family =
        "name = \"f\"\ncount = 5\nkey = \"k{i}\"\nvalue = { type = \"int\", min = 0, max = 9 }";
    let text = custom(family, KEYS_VARIANT)
        .replace("kind = \"custom\"", "kind = \"custom\"\nscale = 0.01");
    let path = scenario(dir.path(), &text);
    refused(&path, &[], &["s.toml:10", "count = 5", "no records"]);
}

#[test]
fn a_count_that_cannot_run_is_refused_with_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let family = "name = \"f\"\ncount = 9223372036854775807\nkey = \"k{i}\"\n\
                  value = { type = \"str\", min_len = 10, max_len = 20 }";
    let path = scenario(dir.path(), &custom(family, KEYS_VARIANT));
    refused(
        &path,
        &[],
        &["s.toml:9", "9223372036854775807", "bytes", "memory"],
    );
}

#[test]
fn settings_that_would_do_nothing_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario(dir.path(), &format!("{DEMO_JSON}pickle_protocol = 2\n"));
    refused(
        &path,
        &[],
        &["s.toml:12", "pickle_protocol", "codec = \"pickle\""],
    );
    let path = scenario(
        dir.path(),
        &format!("{DEMO_JSON}redis_ttl = 60\nhash_ttl = \"never\"\n"),
    );
    refused(&path, &[], &["s.toml:13", "hash_ttl", "layout = \"hash\""]);
}

/// The commands `redisadv commands` writes for a scenario's variant, as text.
fn commands(path: &Path, variant: &str) -> String {
    let out = run(
        &["commands", path.to_str().unwrap(), "--variant", variant],
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn dict_fields_keep_the_order_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let family = "name = \"f\"\ncount = 1\nkey = \"k{i}\"\nvalue = { type = \"dict\", fields = { \
                  zebra = { type = \"const\", value = \"1\" }, apple = { type = \"const\", value = \
                  \"2\" }, mango = { type = \"const\", value = \"3\" } } }";
    let path = scenario(dir.path(), &custom(family, KEYS_VARIANT));
    let out = commands(&path, "v");
    assert!(
        out.contains(r#"{"zebra": 1, "apple": 2, "mango": 3}"#),
        "{out:?}"
    );
}

/// The `ct` values stored by a json tuple variant, in write order, as printed.
fn printed_cts(resp: &str) -> Vec<String> {
    resp.split("{\"ct\": ")
        .skip(1)
        .map(|rest| rest.split(',').next().unwrap().to_string())
        .collect()
}

#[test]
fn the_default_clock_advances_like_a_real_one_and_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let body = "[dataset]\nkind = \"demo\"\nscale = 0.01\n[[variant]]\nname = \"v\"\n\
                codec = \"json\"\nenvelope = \"tuple\"\n";
    let path = scenario(dir.path(), body);
    let first = commands(&path, "v");
    assert_eq!(first, commands(&path, "v"), "the same bytes on every run");
    let cts = printed_cts(&first);
    assert_eq!(cts.len(), 11_000);
    assert_eq!(cts[0], "1795593845.0916238", "starts at the fixed instant");
    let values: Vec<f64> = cts.iter().map(|c| c.parse().unwrap()).collect();
    assert!(
        values.windows(2).all(|w| w[1] > w[0]),
        "advances per record"
    );
    // Real time.time() values print 18 characters, about a quarter of them 17 (or fewer).
    let short = cts.iter().filter(|c| c.len() < 18).count() as f64 / cts.len() as f64;
    assert!((0.15..0.35).contains(&short), "{short} print short");
    // clock = "fixed" keeps one constant.
    let fixed = scenario(dir.path(), &format!("clock = \"fixed\"\n{body}"));
    let cts = printed_cts(&commands(&fixed, "v"));
    assert!(cts.iter().all(|c| c == "1795593845.0916238"));
}

#[test]
fn the_field_policy_dates_expiry_with_the_scenario_clock() {
    let dir = tempfile::tempdir().unwrap();
    let body = "clock = \"fixed\"\n[dataset]\nkind = \"demo\"\nscale = 0.0001\n[[variant]]\n\
                name = \"v\"\ncodec = \"json\"\nenvelope = \"raw\"\nlayout = \"hash\"\n\
                redis_ttl = 3600\nhash_ttl = \"field\"\n";
    let path = scenario(dir.path(), body);
    let out = commands(&path, "v");
    // int(1795593845.0916238) + 3600, in every HSET.
    let expiries: Vec<&str> = out
        .split("__expires__\r\n")
        .skip(1)
        .map(|rest| rest.split("\r\n").nth(1).unwrap())
        .collect();
    assert!(!expiries.is_empty(), "{out:?}");
    assert!(expiries.iter().all(|e| *e == "1795597445"), "{expiries:?}");
}

#[test]
fn the_ttl_column_says_what_redis_holds() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = "[dataset]\nkind = \"demo\"\nscale = 0.0001\n".to_string();
    for (name, layout, policy) in [
        ("keys_ttl", "keys", None),
        ("hash_never", "hash", Some("never")),
        ("hash_field", "hash", Some("field")),
        ("hash_on_create", "hash", Some("on-create")),
    ] {
        body.push_str(&format!(
            "[[variant]]\nname = \"{name}\"\ncodec = \"json\"\nenvelope = \"raw\"\n\
             layout = \"{layout}\"\nredis_ttl = 3600\n"
        ));
        if let Some(p) = policy {
            body.push_str(&format!("hash_ttl = \"{p}\"\n"));
        }
    }
    let path = scenario(dir.path(), &body);
    let md = dir.path().join("r.md");
    let json = dir.path().join("r.json");
    let out = run(
        &[
            "bench",
            path.to_str().unwrap(),
            "--quiet",
            "--out",
            md.to_str().unwrap(),
            "--out",
            json.to_str().unwrap(),
        ],
        Duration::from_secs(300),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let md = std::fs::read_to_string(md).unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    for (i, (name, want)) in [
        ("keys_ttl", "yes"),
        ("hash_never", "no"),
        ("hash_field", "no"),
        ("hash_on_create", "yes"),
    ]
    .into_iter()
    .enumerate()
    {
        let row = md
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap();
        // | test | memory bytes | memory human | dataset bytes | relative | ttl on redis? |
        assert_eq!(row.split(" | ").nth(5), Some(want), "{row}");
        let with_ttl = report["variants"][i]["result"]["keys_with_ttl"]
            .as_u64()
            .unwrap();
        assert_eq!(
            with_ttl > 0,
            want == "yes",
            "{name}: Redis holds {with_ttl} TTLs"
        );
    }
}

/// The highest VmHWM (peak resident memory, bytes) seen while `pid` runs.
fn watch_peak(pid: u32, stop: &std::sync::atomic::AtomicBool) -> u64 {
    let mut peak = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let mut status = String::new();
        if std::fs::File::open(format!("/proc/{pid}/status"))
            .and_then(|mut f| f.read_to_string(&mut status))
            .is_ok()
            && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            peak = peak.max(kb * 1024);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    peak
}

#[test]
fn large_values_keep_the_tool_small() {
    let dir = tempfile::tempdir().unwrap();
    // 200 values of 3-4 MB: about 700 MB in Redis.
    let family = "name = \"big\"\ncount = 200\nper_call = 1\nkey = \"big:{i}\"\n\
                  value = { type = \"str\", min_len = 3000000, max_len = 4000000 }";
    let path = scenario(dir.path(), &custom(family, KEYS_VARIANT));
    let child = Command::new(env!("CARGO_BIN_EXE_redisadv"))
        .args([
            "bench",
            path.to_str().unwrap(),
            "--quiet",
            "--format",
            "json",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        std::thread::spawn(move || watch_peak(pid, &stop))
    };
    let out = child.wait_with_output().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = watcher.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &report["variants"][0]["result"];
    assert_eq!(result["keys"], 200);
    assert!(result["dataset_bytes"].as_u64().unwrap() > 600_000_000);
    eprintln!("redisadv's peak resident memory: {peak} bytes");
    assert!(peak > 0 && peak < 200 << 20, "peak {peak} bytes");
}
