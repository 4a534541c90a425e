//! The command line, as clap derives it.

use crate::codec::{Codec, Envelope};
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "redisadv",
    version,
    about = "What Redis really costs in memory for different ways of caching the same data"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the bytes the Python stack would store for each payload read from stdin (one
    /// Python literal per line), as lowercase hex.
    Encode(EncodeArgs),
    /// Decode stored values read from stdin (hex, one per line) and print format, metadata and
    /// payload.
    Decode(DecodeArgs),
}

#[derive(Debug, Args)]
pub struct EncodeArgs {
    #[arg(long, value_enum)]
    pub codec: Codec,
    #[arg(long, value_enum)]
    pub envelope: Envelope,
    /// Pickle protocol, 2 to 5 (default: 4, or 5 for the legacy tuple envelope).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=5))]
    pub pickle_protocol: Option<u8>,
    /// dogpile's `ct` metadata, seconds since the epoch (default: now).
    #[arg(long)]
    pub ct: Option<f64>,
    /// dogpile's metadata version: 2 for dogpile.cache >= 1.1, 1 before.
    #[arg(long, default_value_t = 2)]
    pub version: i64,
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The serializer; detected when not given.
    #[arg(long, value_enum)]
    pub codec: Option<Codec>,
    /// The envelope; detected when not given.
    #[arg(long, value_enum)]
    pub envelope: Option<Envelope>,
}
