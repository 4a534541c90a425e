//! Encodes the demo dataset's 1.1 million payloads with every serializer and envelope and
//! prints seconds and records/s per combination. Goal: under 0.3 s each on a 2-core machine.
//!
//! `cargo bench --bench codec` (`REDISADV_BENCH_SCALE=0.1` for a quicker run).

use redisadv::codec::{Codec, Envelope, Format, Metadata};
use redisadv::dataset::{Dataset, Layout};
use std::time::Instant;

fn main() {
    let scale: f64 = std::env::var("REDISADV_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let payloads: Vec<_> = Dataset::demo(scale)
        .calls(Layout::Keys)
        .flatten()
        .map(|(_, value)| value)
        .collect();
    let meta = Metadata::new(1795593845.0916238, 2);
    println!(
        "{} payloads of the demo dataset (scale {scale})",
        payloads.len()
    );
    println!(
        "{:<8} {:<9} {:>8} {:>12} {:>12}",
        "codec", "envelope", "seconds", "records/s", "bytes"
    );
    let mut buf = Vec::with_capacity(256);
    for codec in Codec::ALL {
        for envelope in Envelope::ALL {
            let encoder = Format::new(codec, envelope)
                .encoder(meta)
                .expect("metadata encodes");
            let start = Instant::now();
            let mut total = 0usize;
            for payload in &payloads {
                buf.clear();
                encoder
                    .encode_into(payload, &mut buf)
                    .expect("demo payloads encode");
                total += buf.len();
            }
            let secs = start.elapsed().as_secs_f64();
            println!(
                "{:<8} {:<9} {:>8.3} {:>12.0} {:>12}",
                codec.name(),
                envelope.name(),
                secs,
                payloads.len() as f64 / secs,
                total
            );
        }
    }
}
