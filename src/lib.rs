//! redisadv: what Redis really costs in memory for different ways of caching the same data.
//!
//! The library holds everything; `main.rs` only parses the command line and reports errors.

pub mod backend;
pub mod bench;
pub mod builtin;
pub mod chart;
pub mod cleanup;
pub mod cli;
pub mod cluster;
pub mod codec;
pub mod commands;
pub mod compress;
pub mod dataset;
pub mod document;
pub mod engine_set;
pub mod engines;
pub mod errors;
pub mod explain;
pub mod figures;
pub mod files;
pub mod identity;
pub mod inspect;
pub mod job;
pub mod loader;
pub mod preflight;
pub mod probe;
pub mod protocol;
pub mod rdb_stream;
pub mod read;
pub mod report;
pub mod scenario;
pub mod schedule;
pub mod server;
pub mod ui;
pub mod url_target;
pub mod verify;
pub mod whatif;
