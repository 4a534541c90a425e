//! `encode`, `decode` and `get`: the commands that speak the Python stack's wire formats.

use super::heading;
use super::source::ServerArgs;
use super::values::{CodecArg, EnvelopeArg, LayoutArg};
use clap::Args;

/// A wire format on the command line: `--codec`, `--envelope`, `--pickle-protocol`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = heading::WIRE)]
pub struct FormatArgs {
    /// The serializer.
    #[arg(long, value_enum)]
    pub codec: CodecArg,
    /// How the payload is wrapped, and whether dogpile's metadata is kept.
    #[arg(long, value_enum)]
    pub envelope: EnvelopeArg,
    /// Pickle protocol, 2 to 5 (default: 4, or 5 for the legacy tuple envelope).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=5))]
    pub pickle_protocol: Option<u8>,
}

impl FormatArgs {
    /// The format the flags name.
    pub fn format(&self) -> crate::codec::Format {
        let format = crate::codec::Format::new(self.codec.into(), self.envelope.into());
        match self.pickle_protocol {
            Some(p) => format.with_pickle_protocol(p),
            None => format,
        }
    }
}

#[derive(Debug, Args)]
pub struct EncodeArgs {
    #[command(flatten)]
    pub format: FormatArgs,
    /// dogpile's `ct` metadata, seconds since the epoch (default: now).
    #[arg(long, help_heading = heading::WIRE)]
    pub ct: Option<f64>,
    /// dogpile's metadata version: 2 for dogpile.cache >= 1.1, 1 before.
    #[arg(long, default_value_t = 2, help_heading = heading::WIRE)]
    pub version: i64,
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The serializer; detected when not given.
    #[arg(long, value_enum, help_heading = heading::WIRE)]
    pub codec: Option<CodecArg>,
    /// The envelope; detected when not given.
    #[arg(long, value_enum, help_heading = heading::WIRE)]
    pub envelope: Option<EnvelopeArg>,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub format: FormatArgs,
    /// The metadata version filled in for raw and int_time values.
    #[arg(long, default_value_t = 2, help_heading = heading::WIRE)]
    pub version: i64,
    /// `keys`: each KEY is a Redis key; `hash`: each KEY is `bucket,field`.
    #[arg(long, value_enum, default_value = "keys", help_heading = heading::SELECTION)]
    pub layout: LayoutArg,
    /// The keys; read from stdin, one per line, when none are given.
    pub keys: Vec<String>,
}
