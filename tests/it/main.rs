//! All integration tests, in one test binary (one link, one shared Redis helper).

mod backend;
mod bench_cli;
mod codec_vectors;
mod common;
mod decoder_fuzz;
mod engines;
mod reliability;
mod report_formats;
mod scenario;
