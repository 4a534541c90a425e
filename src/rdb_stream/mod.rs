//! `--rdb FILE` without loading the file: the dump is streamed key by key (values skipped by
//! their lengths), every key counted by pattern, TTL, type and serialized size, and a
//! stratified sample per pattern restored into a private server of the file's engine and
//! measured exactly (MEMORY USAGE SAMPLES 0), projected to each pattern with a 95% interval.
//! `--all` restores every key, in bounded batches. Memory stays bounded whatever the size.

pub mod glob;
pub mod measure;
pub mod payload;
pub mod reader;
pub mod report;
pub mod strata;

use crate::inspect::rdb_file::DbFigures;
use crate::inspect::scan::Observation;
use crate::inspect::{InspectOptions, InspectReport};
use measure::{Measurer, Pending};
use reader::{RdbError, RdbReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use strata::Strata;

/// Keys restored per pattern by default when sampling a file.
pub const DEFAULT_PER_PATTERN: u64 = 1000;
/// Largest keys listed.
const LARGEST: usize = 10;

/// What to read from the file.
#[derive(Debug, Clone)]
pub struct StreamSource {
    pub path: PathBuf,
    pub engine: Option<String>,
    pub db: u64,
    /// Draw progress on stderr (when it is a terminal).
    pub progress: bool,
}

/// Streams the file and builds inspect's report. `options.sample` is the keys restored per
/// pattern (`None`: every key). `observe` sees every key measured.
pub fn inspect(
    source: &StreamSource,
    target: String,
    options: &InspectOptions,
    observe: &mut dyn FnMut(&Observation),
) -> anyhow::Result<InspectReport> {
    let started = Instant::now();
    let path = &source.path;
    let mut reader = RdbReader::open(path).map_err(|e| match e.downcast::<RdbError>() {
        Ok(e) => located(path, e),
        Err(e) => e,
    })?;
    let (engine, binary) = crate::inspect::rdb::choose(path, source.engine.as_deref())?;
    // The sample is measured on a private server: say now, not after the whole file, when
    // there is none to start.
    crate::server::binary_version(&binary)?;
    let all = options.sample.is_none();
    let capacity = options.sample.unwrap_or(0) as usize;
    let mut strata = Strata::new(options.max_patterns, capacity, LARGEST);
    let stop = interrupt_flag()?;
    let now_ms = now_ms();
    let bar = progress(source.progress, reader.file_size);
    let mut measurer = if all {
        Some(Measurer::start(
            engine.clone(),
            binary.clone(),
            reader.version,
        )?)
    } else {
        None
    };
    let mut dbs: std::collections::BTreeMap<u64, DbFigures> = Default::default();
    let mut expired = 0u64;
    let mut interrupted = false;
    let mut record = |strata: &mut Strata, o: &Observation, id: usize, x: f64| {
        strata.get_mut(id).measured(o, x);
        observe(o);
    };
    let mut last_tick = Instant::now();
    loop {
        if stop.load(Ordering::SeqCst) {
            interrupted = true;
            break;
        }
        let Some(e) = reader.next(all).map_err(|e| located(path, e))? else {
            break;
        };
        let d = dbs.entry(e.db).or_insert_with(|| DbFigures {
            db: e.db,
            ..Default::default()
        });
        d.keys += 1;
        d.expires += e.expire_ms.is_some() as u64;
        d.serialized_bytes += e.object_bytes;
        if last_tick.elapsed().as_millis() >= 200 {
            bar.set_position(reader.position());
            last_tick = Instant::now();
        }
        if e.db != source.db {
            continue;
        }
        if let Some(glob) = &options.pattern
            && !glob::matches(glob.as_bytes(), &e.key)
        {
            continue;
        }
        // A master loading the file drops keys already expired; so does the stream.
        if e.expire_ms.is_some_and(|at| at <= now_ms) {
            expired += 1;
            continue;
        }
        let id = strata.add(&e, now_ms);
        if let Some(m) = &mut measurer {
            m.push(
                Pending {
                    entry: e,
                    stratum: id,
                },
                now_ms,
                &mut |o, id, x| record(&mut strata, o, id, x),
            )?;
        }
    }
    let bytes_read = reader.position();
    bar.finish_and_clear();
    let mut m = match measurer {
        Some(m) => m,
        None => {
            let mut m = Measurer::start(engine.clone(), binary, reader.version)?;
            if !interrupted {
                interrupted =
                    restore_sample(path, &mut strata, &mut m, now_ms, &stop, &mut record)?;
            }
            m
        }
    };
    m.flush(now_ms, &mut |o, id, x| record(&mut strata, o, id, x))?;
    if interrupted {
        crate::ui::say!(
            "interrupted at byte {bytes_read} of {} ({:.1}%): the report covers the keys read \
             and measured so far",
            reader.file_size,
            100.0 * bytes_read as f64 / reader.file_size.max(1) as f64
        );
    }
    let section = crate::inspect::rdb_file::RdbSection {
        file_bytes: reader.file_size,
        bytes_read,
        rdb_version: format!("{}{:03}", reader.magic, reader.version),
        engine: m.engine.clone(),
        interrupted,
        expired_skipped: expired,
        keys_restored_per_pattern: options.sample,
        private_server_peak_rss: m.peak_rss,
        databases: dbs.into_values().collect(),
        largest_keys: std::mem::take(&mut strata.largest),
    };
    let mut report = report::build(target, source.db, strata, &m, section, options);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Second pass of a sample: each pattern's reservoir read again at its offsets (in file
/// order) and restored. Returns whether it was interrupted.
fn restore_sample(
    path: &Path,
    strata: &mut Strata,
    m: &mut Measurer,
    now_ms: i64,
    stop: &AtomicBool,
    record: &mut dyn FnMut(&mut Strata, &Observation, usize, f64),
) -> anyhow::Result<bool> {
    let mut wanted: Vec<(u64, usize)> = Vec::new();
    for (id, s) in strata.strata.iter_mut().enumerate() {
        wanted.extend(
            std::mem::take(&mut s.reservoir)
                .into_iter()
                .map(|o| (o, id)),
        );
    }
    wanted.extend(
        std::mem::take(&mut strata.overflow.reservoir)
            .into_iter()
            .map(|o| (o, strata::OVERFLOW)),
    );
    wanted.sort_unstable();
    let mut reader = RdbReader::open(path)?;
    for (offset, id) in wanted {
        if stop.load(Ordering::SeqCst) {
            return Ok(true);
        }
        let entry = reader.read_at(offset).map_err(|e| located(path, e))?;
        m.push(Pending { entry, stratum: id }, now_ms, &mut |o, id, x| {
            record(strata, o, id, x)
        })?;
    }
    Ok(false)
}

/// A reader error as the user sees it: the file, the offset and what was there.
fn located(path: &Path, e: RdbError) -> anyhow::Error {
    anyhow::Error::new(e).context(format!("--rdb {}", path.display()))
}

/// Whether an error is one the private server may read past: content this reader does not
/// know (a newer format, a module type), not a truncated or corrupted file.
pub fn server_may_read(e: &anyhow::Error) -> bool {
    e.downcast_ref::<RdbError>().is_some_and(|r| {
        !r.truncated && !r.what.contains("checksum") && !r.what.contains("not an RDB")
    })
}

/// The first Ctrl-C sets the flag (the stream stops and reports what it read); a second
/// one ends the program.
fn interrupt_flag() -> anyhow::Result<Arc<AtomicBool>> {
    use signal_hook::consts::SIGINT;
    let flag = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register_conditional_shutdown(SIGINT, 130, flag.clone())?;
    signal_hook::flag::register(SIGINT, flag.clone())?;
    Ok(flag)
}

fn progress(show: bool, total: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = crate::ui::add(indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    ));
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "reading {bytes}/{total_bytes} at {binary_bytes_per_sec}, {eta} left {wide_bar}",
    ) {
        bar.set_style(style);
    }
    bar
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl crate::inspect::rdb_file::FileWalk for StreamSource {
    fn walk(
        &self,
        target: String,
        options: &InspectOptions,
        observe: &mut dyn FnMut(&Observation),
    ) -> anyhow::Result<InspectReport> {
        inspect_or_load(self, target, options, observe)
    }
}

/// Streams the file; when the reader meets content it does not know (a newer format, a
/// module type) and the file fits in memory, loads it into a private server instead, and
/// says so.
pub fn inspect_or_load(
    source: &StreamSource,
    target: String,
    options: &InspectOptions,
    observe: &mut dyn FnMut(&Observation),
) -> anyhow::Result<InspectReport> {
    let error = match inspect(source, target.clone(), options, observe) {
        Ok(report) => return Ok(report),
        Err(e) => e,
    };
    let size = std::fs::metadata(&source.path).map_or(u64::MAX, |m| m.len());
    let available = available_memory();
    if !server_may_read(&error) || size.saturating_mul(3) > available {
        return Err(error);
    }
    crate::ui::say!(
        "{error:#}\nthe file ({size} bytes) fits in memory: loading it into a private server \
         instead (its memory is not bounded)"
    );
    let loaded =
        crate::inspect::rdb::load(&source.path, source.engine.as_deref()).map_err(|e| {
            anyhow::anyhow!("{error:#}; loading it into a private server failed too: {e:#}")
        })?;
    let mut connect = loaded.server.connect_options();
    connect.db = Some(source.db as i64);
    let conn = crate::inspect::conn::ReadConn::connect(&connect, 0)?;
    let mut walk = crate::inspect::Walk::Server {
        conn,
        db: source.db as i64,
    };
    let options = InspectOptions {
        sample: options.sample.map(|n| n.max(100_000)),
        ..options.clone()
    };
    walk.run(
        format!("{target} (loaded by {})", loaded.engine),
        &options,
        observe,
    )
}

/// MemAvailable from /proc/meminfo, in bytes (0 when unknown: no fallback then).
fn available_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
