//! A password never appears, not even a part of it, in anything bench, inspect or whatif
//! print or write; and it can come from the environment or a file instead of argv.

use crate::bench_cli::{redisadv, tiny_scenario};
use crate::common::redis;
use std::process::{Command, Output};

/// '@', ':' and '%' unencoded, as a user pastes it.
const PASSWORD: &str = "Zq7@Kx:Vy%Wu9";

/// Every 4-character piece of the password, raw and as a URL encodes it.
fn pieces() -> Vec<String> {
    let mut all = Vec::new();
    for form in [PASSWORD, "Zq7%40Kx%3AVy%25Wu9", "Zq7%40Kx:Vy%Wu9"] {
        let chars: Vec<char> = form.chars().collect();
        for w in chars.windows(4) {
            all.push(w.iter().collect());
        }
    }
    all
}

fn assert_secret_absent(what: &str, text: &str) {
    for piece in pieces() {
        assert!(
            !text.contains(&piece),
            "{what} shows {piece:?} of the password:\n{text}"
        );
    }
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redisadv"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

fn both(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn gunzip(path: &std::path::Path) -> String {
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap()),
        &mut text,
    )
    .unwrap();
    text
}

#[test]
fn a_password_with_at_colon_and_percent_never_shows() {
    let server = redis();
    let port = server.port();
    let plain = format!("redis://127.0.0.1:{port}/0");
    assert!(
        redisadv(&["seed-fixture", "--url", &plain, "--count", "200"])
            .status
            .success()
    );
    let mut c = server.connect().unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg(PASSWORD)
        .query(&mut c)
        .unwrap();
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{port}/0");
    let dir = tempfile::tempdir().unwrap();

    // inspect in every format.
    for format in ["table", "json", "markdown", "csv"] {
        let out = run(&["inspect", "--url", &url, "--format", format], &[]);
        assert!(out.status.success(), "{}", both(&out));
        if format != "csv" {
            // The target is shown, redacted (CSV carries the rows only).
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("127.0.0.1"),
                "{format}"
            );
        }
        assert_secret_absent(&format!("inspect --format {format}"), &both(&out));
    }
    // whatif: its header, progress and the saved sample.
    let saved = dir.path().join("s.jsonl.gz");
    let out = run(
        &[
            "whatif",
            "--url",
            &url,
            "--match",
            "user:*",
            "--only",
            "region_redis",
            "--save-sample",
            saved.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", both(&out));
    assert_secret_absent("whatif", &both(&out));
    let sample = gunzip(&saved);
    assert!(sample.contains("127.0.0.1"), "the sample names its source");
    assert_secret_absent("the saved sample", &sample);
    // bench --url into an empty database: report on stdout and in --out.
    let scenario = tiny_scenario(dir.path());
    let report = dir.path().join("r.md");
    let url1 = format!("redis://:{PASSWORD}@127.0.0.1:{port}/1");
    let out = run(
        &[
            "bench",
            scenario.to_str().unwrap(),
            "--only",
            "pickle_ttl",
            "-q",
            "--url",
            &url1,
            "--out",
            report.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", both(&out));
    assert_secret_absent("bench --url", &both(&out));
    assert_secret_absent("bench --out", &std::fs::read_to_string(&report).unwrap());
    // Errors: a server that is not there.
    let gone = format!("redis://:{PASSWORD}@127.0.0.1:1/0");
    for args in [
        vec!["inspect", "--url", gone.as_str()],
        vec!["whatif", "--url", gone.as_str(), "--match", "x"],
    ] {
        let out = run(&args, &[]);
        assert!(!out.status.success());
        assert_secret_absent(&format!("{args:?}"), &both(&out));
    }

    // The URL from the environment, the password alone from the environment or a file:
    // the same figures as with the password in argv.
    let keys = |out: &Output| {
        assert!(out.status.success(), "{}", both(out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["total"]["inspected"].clone()
    };
    let with_argv = keys(&run(&["inspect", "--url", &url, "--format", "json"], &[]));
    assert!(with_argv.as_u64().unwrap() > 0, "{with_argv}");
    let from_env = run(
        &["inspect", "--format", "json"],
        &[("REDISADV_URL", url.as_str())],
    );
    assert_eq!(keys(&from_env), with_argv);
    let pw_env = run(
        &["inspect", "--url", &plain, "--format", "json"],
        &[("REDISADV_PASSWORD", PASSWORD)],
    );
    assert_eq!(keys(&pw_env), with_argv);
    let file = dir.path().join("pw");
    std::fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    let pw_file = run(
        &[
            "inspect",
            "--url",
            &plain,
            "--password-file",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(keys(&pw_file), with_argv);
    assert_secret_absent("inspect --password-file", &both(&pw_file));
    // get takes $REDISADV_URL too.
    let out = run(
        &[
            "get",
            "--codec",
            "pickle",
            "--envelope",
            "dogpile",
            "user:1",
        ],
        &[("REDISADV_URL", url.as_str())],
    );
    assert!(out.status.success(), "{}", both(&out));
    assert_secret_absent("get", &both(&out));
}

#[test]
fn a_password_file_every_user_can_read_is_used_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let server = redis();
    let port = server.port();
    let mut c = server.connect().unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg(PASSWORD)
        .query(&mut c)
        .unwrap();
    let url = format!("redis://127.0.0.1:{port}/0");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    // World-readable: read, with a warning that says how to close it; owner or group
    // only: no word.
    for (mode, warned) in [(0o644, true), (0o600, false), (0o640, false)] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = run(
            &[
                "inspect",
                "--url",
                &url,
                "--password-file",
                file.to_str().unwrap(),
                "--format",
                "json",
            ],
            &[],
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{mode:o}: {err}");
        assert_eq!(
            err.contains("every local user can read it (mode 644)") && err.contains("chmod o-r"),
            warned,
            "{mode:o}: {err}"
        );
        assert_secret_absent("a warned --password-file", &both(&out));
    }
}
