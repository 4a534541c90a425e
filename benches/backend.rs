//! Records/s of `Backend::set_multi` (one pipelined round trip per call) on a private
//! redis-server, for set_multi batches of 1,000 and 10,000 records: plain keys with a TTL
//! (SETEX), without (MSET), and the hash layout (HSET + EXPIRE on new buckets). Compare with
//! `redis-cli --pipe` on the same machine: scripts/bench-vs-pipe. Each case also streams the
//! same calls on the backend's full-duplex `PipeStream`, as `redisadv bench` loads them.
//!
//! `cargo bench --bench backend` (`REDISADV_BENCH_RECORDS` sets the records per case,
//! default 1,100,000).

use indicatif::ProgressBar;
use redisadv::backend::{Backend, BackendConfig, Clock, HashTtl, PipeStream};
use redisadv::codec::{Codec, Envelope, Format, Value};
use redisadv::dataset::Key;
use redisadv::dataset::{Dataset, Family, Layout, Template, ValueGen};
use redisadv::loader::load;
use redisadv::server::{RedisServer, ServerOptions};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let records: u64 = std::env::var("REDISADV_BENCH_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_100_000);
    println!("{records} records per case, msgpack raw payloads x*10, one fresh server per case");
    println!(
        "{:<22} {:>7} {:>9} {:>12}",
        "layout", "batch", "seconds", "records/s"
    );
    let cases = [
        ("plain, TTL 3600", Some(3600), false),
        ("plain, no TTL", None, false),
        ("hash, TTL on-create", Some(3600), true),
    ];
    for (label, ttl, hash) in cases {
        for batch in [1_000u64, 10_000] {
            let server = RedisServer::start(&ServerOptions {
                config_file: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("redis.conf")),
                ..ServerOptions::default()
            })
            .expect("redis-server starts");
            let mut config = BackendConfig::new(Format::new(Codec::Msgpack, Envelope::Raw));
            config.redis_ttl = ttl;
            config.hash_ttl = HashTtl::OnCreate;
            config.clock = Clock::Fixed(1795593845.0916238);
            let mut backend =
                Backend::connect(&server.connect_options(), config).expect("connects");
            let started = Instant::now();
            let mut x = 0;
            while x < records {
                let end = (x + batch).min(records);
                let call: Vec<(Key, Value)> = (x..end)
                    .map(|i| {
                        let key = if hash {
                            Key::hash((i - i % 100).to_string(), i.to_string())
                        } else {
                            Key::Plain(i.to_string())
                        };
                        (key, Value::Int(i as i64 * 10))
                    })
                    .collect();
                backend.set_multi(&call).expect("set_multi");
                x = end;
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{label:<22} {batch:>7} {secs:>9.3} {:>12.0}  set_multi",
                records as f64 / secs
            );
            drop(backend);
            drop(server);

            // The same calls streamed on the backend's full-duplex PipeStream, as bench loads.
            let server = RedisServer::start(&ServerOptions {
                config_file: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("redis.conf")),
                ..ServerOptions::default()
            })
            .expect("redis-server starts");
            let t = |s: &str| Template::parse(s).expect("valid template");
            let dataset = Dataset::custom(
                vec![Family {
                    name: "ints".into(),
                    count: records,
                    per_call: batch as usize,
                    key: t("{i}"),
                    bucket: t("{i - i % 100}"),
                    field: t("{i}"),
                    value: ValueGen::Sequence { start: 0, step: 10 },
                    seed: 0,
                }],
                0,
            );
            let mut config = BackendConfig::new(Format::new(Codec::Msgpack, Envelope::Raw));
            config.redis_ttl = ttl;
            config.clock = Clock::Fixed(1795593845.0916238);
            let layout = if hash { Layout::Hash } else { Layout::Keys };
            let mut stream = PipeStream::connect(&server.connect_options()).expect("connects");
            let started = Instant::now();
            load(
                &mut stream,
                &dataset,
                layout,
                &config,
                &ProgressBar::hidden(),
                &mut |_| {},
            )
            .expect("loads");
            stream.finish().expect("all replies");
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{label:<22} {batch:>7} {secs:>9.3} {:>12.0}  streamed",
                records as f64 / secs
            );
        }
    }
}
