//! All integration tests, in one test binary (one link, one shared Redis helper).

mod backend;
mod bench_cli;
mod charts;
mod cli_contract;
mod cli_messages;
mod cluster;
mod codec_vectors;
mod common;
mod decoder_fuzz;
mod embstr;
mod engines;
mod explain;
mod field_ttl;
mod inspect;
mod inspect_cluster;
mod jobs;
mod lifecycle;
mod read_path;
mod reliability;
mod report_formats;
mod scenario;
mod scenario_truth;
mod sweep;
mod url_safety;
mod whatif;
mod whatif_own_data;
