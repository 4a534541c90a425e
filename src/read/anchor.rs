//! The anchor: redis-benchmark (redis-tools) on the same server, keys, connections and
//! pipeline depth, so the read figures can be judged against a C client's.
//!
//! redis-benchmark cannot be told a list of keys: its `-r` substitutes `__rand_int__` with a
//! 12-digit zero-padded number, which names none of a dataset's keys (`1`, `foo|7`). So the
//! anchor takes a few seeded keys of the dataset and runs redis-benchmark once per key with
//! the variant's own read command (`GET key`, `HGET bucket field`, or the field policy's
//! `HMGET bucket field __expires__`), and redisadv runs the same requests on the same key
//! right beside it, alternating, so both see the same server and the same machine load.

use crate::backend::ConnectOptions;
use redis::ConnectionAddr;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The redis-benchmark binary: `$REDISADV_REDIS_BENCHMARK`, else the first on PATH.
pub fn binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REDISADV_REDIS_BENCHMARK") {
        return Some(PathBuf::from(p));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("redis-benchmark"))
        .find(|p| p.is_file())
}

/// Why the anchor cannot run against `connect`, if it cannot.
pub fn unavailable(connect: &ConnectOptions) -> Option<String> {
    let settings = connect.connection_info().ok()?;
    if settings.redis_settings().password().is_some() {
        return Some(
            "the server needs a password, which redis-benchmark takes only on its command line \
             (where other users of the machine could read it)"
                .into(),
        );
    }
    if binary().is_none() {
        return Some(
            "redis-benchmark not found on PATH (apt-get install redis-tools, or set \
             REDISADV_REDIS_BENCHMARK)"
                .into(),
        );
    }
    None
}

/// One redis-benchmark run: `requests` of `command` (its arguments) over `connections`
/// connections `pipeline` deep; returns its requests per second.
pub fn run(
    connect: &ConnectOptions,
    command: &redis::Cmd,
    requests: u64,
    connections: usize,
    pipeline: usize,
) -> anyhow::Result<f64> {
    let bin = binary().ok_or_else(|| anyhow::anyhow!("redis-benchmark not found"))?;
    let info = connect.connection_info()?;
    let mut cmd = Command::new(&bin);
    match info.addr() {
        ConnectionAddr::Tcp(host, port) => {
            cmd.arg("-h").arg(host).arg("-p").arg(port.to_string());
        }
        ConnectionAddr::Unix(path) => {
            cmd.arg("-s").arg(path);
        }
        _ => anyhow::bail!("redis-benchmark: TLS connections are not supported"),
    }
    let db = info.redis_settings().db();
    if db != 0 {
        cmd.arg("--dbnum").arg(db.to_string());
    }
    cmd.arg("-c")
        .arg(connections.to_string())
        .arg("-P")
        .arg(pipeline.to_string())
        .arg("-n")
        .arg(requests.to_string())
        .arg("--csv");
    for arg in command.args_iter() {
        if let redis::Arg::Simple(bytes) = arg {
            cmd.arg(OsStr::from_bytes(bytes));
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: prctl is async-signal-safe; it makes the benchmark die with redisadv.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| anyhow::anyhow!("starting {}: {e}", bin.display()))?;
    let pid = child.id() as libc::pid_t;
    // A signal's cleanup ends the benchmark too (it also dies with redisadv by PDEATHSIG).
    let _hook = crate::cleanup::register(move || {
        // SAFETY: kill on our own child's pid.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    });
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut text);
        text
    });
    // A generous bound: a minute, plus a second per 10,000 requests.
    let limit = Duration::from_secs(60 + requests / 10_000);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("redis-benchmark did not finish within {limit:?}; it was stopped");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let out = String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned();
    let err = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
    if !status.success() {
        anyhow::bail!(
            "redis-benchmark failed ({status}): {}",
            err.trim().lines().last().unwrap_or("")
        );
    }
    rps_of(&out).ok_or_else(|| {
        anyhow::anyhow!(
            "redis-benchmark printed no rate: {}",
            err.trim().lines().last().unwrap_or(out.trim())
        )
    })
}

/// The `rps` column of redis-benchmark's `--csv` output.
fn rps_of(csv: &str) -> Option<f64> {
    // Progress lines end in '\r' before the CSV; the result line follows the header.
    let mut lines = csv
        .split(['\n', '\r'])
        .filter(|l| l.starts_with('"'))
        .skip_while(|l| !l.starts_with("\"test\""));
    let header: Vec<&str> = lines.next()?.split(',').collect();
    let column = header.iter().position(|h| *h == "\"rps\"")?;
    let row = lines.next()?;
    // The test name may itself hold commas (a key's): count columns from the right.
    let fields: Vec<&str> = row.rsplitn(header.len(), ',').collect();
    let field = fields.get(header.len() - 1 - column)?;
    field
        .trim_matches('"')
        .parse()
        .ok()
        .filter(|r: &f64| *r > 0.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_rate_column_is_found() {
        let out = "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\
                   \"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n\"GET a,b\",\
                   \"13709.90\",\"2.829\",\"0.176\",\"1.079\",\"9.855\",\"13.183\",\"28.767\"\n";
        assert_eq!(super::rps_of(out), Some(13709.90));
        assert_eq!(super::rps_of("nothing"), None);
    }
}
