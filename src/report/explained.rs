//! The explanation of one variant as short texts, shared by the text exporters so they
//! agree.

use super::why;
use super::{Report, VariantReport};
use crate::explain::{Explanation, encoding, written::SizeStat};

/// Per variant, every explanation figure as text; `-` where the variant has none.
pub struct Explained {
    pub hash_ttl: String,
    pub buckets: String,
    pub overrides: String,
    pub key_bytes: String,
    pub value_bytes: String,
    pub predicted: String,
    pub encodings: String,
    pub ttl: String,
    pub breakdown: Vec<(String, String)>,
    pub why: String,
    pub warnings: Vec<String>,
}

fn sizes(s: &SizeStat) -> String {
    format!("{:.1} / {} / {}", s.mean, s.p50, s.max)
}

fn per_record(bytes: i64, records: u64) -> String {
    if records == 0 {
        "-".into()
    } else {
        format!("{:.1}", bytes as f64 / records as f64)
    }
}

pub fn overrides(v: &VariantReport) -> String {
    if v.overrides.is_empty() {
        "-".into()
    } else {
        v.overrides
            .iter()
            .map(|(k, val)| format!("{k}={val}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `11000 embstr (all keys checked; as predicted)`.
pub fn encodings(e: &Explanation) -> String {
    let m = &e.encodings;
    let scope = if m.sampled {
        format!(
            "sample of {} of {} keys, seed {}",
            m.checked,
            m.keys,
            m.seed.unwrap_or(0)
        )
    } else {
        format!("all {} keys checked", m.checked)
    };
    let verdict = if m.unexpected == 0 {
        "as predicted".to_string()
    } else {
        format!(
            "{} not as predicted: {}",
            m.unexpected,
            m.unexpected_examples.join("; ")
        )
    };
    format!("{} ({scope}; {verdict})", encoding::describe(&m.measured))
}

pub fn explained(report: &Report, v: &VariantReport) -> Explained {
    let mut out = Explained {
        hash_ttl: if v.layout == "hash" {
            v.hash_ttl.clone()
        } else {
            "-".into()
        },
        buckets: "-".into(),
        overrides: overrides(v),
        key_bytes: "-".into(),
        value_bytes: "-".into(),
        predicted: "-".into(),
        encodings: "-".into(),
        ttl: "-".into(),
        breakdown: Vec::new(),
        why: why::line(report, v).unwrap_or_else(|| "-".into()),
        warnings: Vec::new(),
    };
    let Some(m) = v.result.as_ref() else {
        return out;
    };
    let Some(e) = m.explain.as_ref() else {
        return out;
    };
    let w = &e.written;
    if let Some(h) = &w.hash {
        out.buckets = format!(
            "{} buckets, {:.1} fields mean, {} max",
            h.buckets, h.fields_mean, h.fields_max
        );
    }
    out.key_bytes = sizes(&w.key_bytes);
    out.value_bytes = sizes(&w.value_bytes);
    out.predicted = encoding::describe(&w.predicted_encodings);
    out.encodings = encodings(e);
    let t = &e.ttl;
    out.ttl = format!(
        "{} B ({} B/record), {} expires entries, {}; MEMORY STATS expires {} B",
        t.bytes(),
        per_record(t.bytes() as i64, m.records),
        t.expires_entries,
        t.method(),
        t.stats_expires_bytes
    );
    if v.hash_ttl == "field-ttl" && v.layout == "hash" {
        // HEXPIRE's TTLs live in each bucket (and the engine's own index of them), so
        // their cost is in the values part of the breakdown, not here.
        out.ttl.push_str(
            "; field TTLs are not expires entries: their cost is inside the buckets (key \
             names, objects and values)",
        );
    }
    out.breakdown = e
        .breakdown
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                format!(
                    "{} B ({} B/record, {})",
                    p.bytes,
                    per_record(p.bytes, m.records),
                    p.source
                ),
            )
        })
        .collect();
    out.warnings = e.warnings.clone();
    out
}
