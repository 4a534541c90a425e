//! The values flags take, as clap sees them, each mapped onto the library's own enum: the
//! library's types stay free of clap, and a flag's spelling is decided here.

use crate::codec::{Codec, Envelope};
use crate::report::OutputFormat;
use crate::report::compare::{CompareFormat, Metric};
use clap::ValueEnum;

/// `--format` of a command that writes a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Markdown,
    Json,
    Csv,
    /// A chart: relative memory as bars, or a sweep's bytes per record as lines.
    Svg,
    /// One self-contained page: charts, header, table, explanations, scenario text.
    Html,
}

impl From<FormatArg> for OutputFormat {
    fn from(arg: FormatArg) -> Self {
        match arg {
            FormatArg::Table => OutputFormat::Table,
            FormatArg::Markdown => OutputFormat::Markdown,
            FormatArg::Json => OutputFormat::Json,
            FormatArg::Csv => OutputFormat::Csv,
            FormatArg::Svg => OutputFormat::Svg,
            FormatArg::Html => OutputFormat::Html,
        }
    }
}

/// `compare --format`: a comparison is a table, Markdown or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormatArg {
    /// A terminal table.
    Table,
    /// Markdown, for a pull request.
    Markdown,
    /// Per-variant base/new/delta/percent/status and an overall verdict.
    Json,
}

impl From<CompareFormatArg> for OutputFormat {
    fn from(arg: CompareFormatArg) -> Self {
        match arg {
            CompareFormatArg::Table => OutputFormat::Table,
            CompareFormatArg::Markdown => OutputFormat::Markdown,
            CompareFormatArg::Json => OutputFormat::Json,
        }
    }
}

impl From<CompareFormatArg> for CompareFormat {
    fn from(arg: CompareFormatArg) -> Self {
        match arg {
            CompareFormatArg::Table => CompareFormat::Table,
            CompareFormatArg::Markdown => CompareFormat::Markdown,
            CompareFormatArg::Json => CompareFormat::Json,
        }
    }
}

/// `--metric`: the memory figure compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricArg {
    /// Settled used_memory minus the empty server's: repeats byte for byte.
    #[value(name = "dataset-bytes", alias = "dataset_bytes")]
    DatasetBytes,
    /// The server's whole used_memory.
    #[value(name = "used-memory", alias = "used_memory")]
    UsedMemory,
}

impl From<MetricArg> for Metric {
    fn from(arg: MetricArg) -> Self {
        match arg {
            MetricArg::DatasetBytes => Metric::DatasetBytes,
            MetricArg::UsedMemory => Metric::UsedMemory,
        }
    }
}

/// `--codec`: the serializer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CodecArg {
    Pickle,
    Json,
    Msgpack,
}

impl From<CodecArg> for Codec {
    fn from(arg: CodecArg) -> Self {
        match arg {
            CodecArg::Pickle => Codec::Pickle,
            CodecArg::Json => Codec::Json,
            CodecArg::Msgpack => Codec::Msgpack,
        }
    }
}

/// `--envelope`: how the payload is wrapped, and whether dogpile's metadata is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvelopeArg {
    /// dogpile.cache >= 1.1: `json.dumps(metadata) + b"|" + serializer(payload)`.
    Dogpile,
    /// `serializer([payload, metadata])`; for pickle, the legacy `CachedValue` object.
    Tuple,
    /// `serializer([payload, int(ct)])`.
    #[value(name = "int_time")]
    IntTime,
    /// `serializer(payload)`: no metadata stored.
    Raw,
}

impl From<EnvelopeArg> for Envelope {
    fn from(arg: EnvelopeArg) -> Self {
        match arg {
            EnvelopeArg::Dogpile => Envelope::Dogpile,
            EnvelopeArg::Tuple => Envelope::Tuple,
            EnvelopeArg::IntTime => Envelope::IntTime,
            EnvelopeArg::Raw => Envelope::Raw,
        }
    }
}

/// `get --layout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayoutArg {
    Keys,
    Hash,
}

/// `1%`, `0.5` or `0.5%` as a percentage (`--max-regression`).
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%');
    match number.parse::<f64>() {
        Ok(p) if p.is_finite() && p >= 0.0 => Ok(p),
        _ => Err(format!("{text:?} is not a percentage such as 1% or 0.5")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every library value has a flag value, spelled as the library names it.
    #[test]
    fn every_library_value_has_a_flag_value_of_its_name() {
        for codec in Codec::ALL {
            let arg = CodecArg::from_str(codec.name(), false).expect("a --codec value");
            assert_eq!(Codec::from(arg), codec);
        }
        for arg in EnvelopeArg::value_variants() {
            let name = arg.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(Envelope::from(*arg).to_string(), name);
        }
        assert_eq!(
            FormatArg::value_variants().len(),
            6,
            "one --format value per OutputFormat"
        );
    }

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("1%"), Ok(1.0));
        assert_eq!(parse_percent("0.5"), Ok(0.5));
        assert!(parse_percent("-1").is_err());
    }
}
