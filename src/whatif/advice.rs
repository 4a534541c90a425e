//! The one line a user acts on: the variant that saves most, its saving with its interval,
//! what it costs on the read path, and which dogpile region arguments or backend, or which
//! setting of the library that wrote the family, gives it; or that nothing is worth
//! changing.

use super::{Projection, WhatifReport};
use crate::inspect::render::human;

/// A saving whose 95% interval does not clear this share of today is not worth a change.
pub const WORTH_PERCENT: f64 = 10.0;

/// The row to recommend, and why a row that saves more is not it. A family another library
/// wrote is advised among that library's own settings (moving it to dogpile.cache is named,
/// not advised); a row that cannot carry every sampled record is advised only when none can.
pub fn choose(r: &WhatifReport) -> (Option<&Projection>, Option<String>) {
    fn saving(p: &&Projection) -> f64 {
        p.savings_bytes.unwrap_or(f64::NEG_INFINITY)
    }
    fn most(rows: Vec<&Projection>) -> Option<&Projection> {
        rows.into_iter()
            .max_by(|a, b| saving(a).total_cmp(&saving(b)))
    }
    let measured: Vec<&Projection> = r
        .variants
        .iter()
        .filter(|p| p.savings_bytes.is_some_and(f64::is_finite))
        .collect();
    let own: Vec<&Projection> = measured
        .iter()
        .copied()
        .filter(|p| !p.library.is_empty())
        .collect();
    let pool = if own.is_empty() {
        measured.clone()
    } else {
        own
    };
    let whole: Vec<&Projection> = pool
        .iter()
        .copied()
        .filter(|p| p.unencodable == 0)
        .collect();
    let best = most(if whole.is_empty() { pool } else { whole });
    let overall = most(measured);
    let note = match (best, overall) {
        (Some(b), Some(o)) if o.variant != b.variant && saving(&o) > saving(&b) => {
            let why = if o.library.is_empty() && !b.library.is_empty() {
                format!(
                    "means moving the family from {} to dogpile.cache",
                    b.library
                )
            } else if let Some(first) = o.cannot_encode.first() {
                first.clone()
            } else {
                format!(
                    "{} sampled records cannot be encoded that way",
                    o.unencodable
                )
            };
            Some(format!(
                "{} would save {} ({:.1}%) but {why}",
                o.variant,
                human(o.savings_bytes.unwrap_or(0.0)),
                o.savings_percent.unwrap_or(0.0)
            ))
        }
        _ => None,
    };
    (best, note)
}

pub fn recommend(r: &WhatifReport) -> String {
    let (best, note) = choose(r);
    let Some(best) = best else {
        return "recommendation: none: no variant was measured".into();
    };
    let percent = best.savings_percent.unwrap_or(0.0);
    let ci = best
        .savings_percent_ci95
        .filter(|c| c.is_finite())
        .unwrap_or(0.0);
    let saving = format!(
        "{} saves {} ({percent:.1}% ±{ci:.1})",
        best.variant,
        human(best.savings_bytes.unwrap_or(0.0))
    );
    let note = note.map_or(String::new(), |n| format!("; {n}"));
    if percent - ci < WORTH_PERCENT {
        return format!(
            "recommendation: nothing worth changing for {}: the best, {saving}, does not \
             clear {WORTH_PERCENT:.0}% of today with its 95% interval{note}",
            r.sample.pattern
        );
    }
    let mut out = format!(
        "recommendation for {}: {saving}; read path: {}; to get there: {}",
        r.sample.pattern,
        read_path(best),
        how(best, r)
    );
    if best.unencodable > 0 {
        out.push_str(&format!(
            "; {} of the sampled records cannot be encoded this way and stay as they are",
            best.unencodable
        ));
    }
    for why in &best.cannot_encode {
        out.push_str(&format!("; {why}"));
    }
    out.push_str(&note);
    if r.warnings.iter().any(|w| {
        w.contains(&format!("{})", best.variant)) || w.contains(&format!("{},", best.variant))
    }) {
        out.push_str("; see the warning for this variant");
    }
    out
}

/// What reading the variant back costs, where that was measured (whatif writes only).
pub fn read_path(p: &Projection) -> String {
    let decompress = if p.library.is_empty() || p.envelope == "none" {
        ""
    } else {
        ", and every read decompresses"
    };
    format!(
        "not measured (whatif writes only; bench --read on a scenario with this sample as \
         its dataset measures it{decompress})"
    )
}

/// The setting that writes `p`: the dogpile region's, or the family's own library's.
pub fn how(p: &Projection, r: &WhatifReport) -> String {
    if p.library.is_empty() {
        dogpile_how(p, r)
    } else {
        super::library_settings::how(p)
    }
}

/// The dogpile.cache + dogpile_backend_redis_advanced configuration that writes `p`.
fn dogpile_how(p: &Projection, r: &WhatifReport) -> String {
    let codec = p.codec.as_str();
    let serializer = match (p.envelope.as_str(), codec) {
        ("dogpile", _) => "dogpile's own serializer (the backend's default)".to_string(),
        ("raw", c) => {
            format!("wrap=[a payload-only {c} proxy (the plugin's Serializer_Raw pattern)]")
        }
        (env, c) => format!("wrap=[a {c} proxy storing [payload, metadata] ({env})]"),
    };
    let backend = match (p.layout.as_str(), p.envelope.as_str()) {
        ("hash", _) => format!(
            "backend \"dogpile_backend_redis_advanced.hstore\" with tuple keys (bucket, field) \
             ({})",
            r.sample.bucket_rule
        ),
        (_, "dogpile") => "backend \"dogpile_backend_redis_advanced\"".to_string(),
        _ => "backend \"dogpile_backend_redis_advanced.already_serialized\"".to_string(),
    };
    let ttl = match p.redis_ttl {
        Some(t) => format!("arguments redis_expiration_time={t}"),
        None => "no redis_expiration_time (dogpile's expiration_time alone decides; Redis \
                 never expires the keys)"
            .to_string(),
    };
    format!("a dogpile region with {backend}, {serializer}, {ttl}")
}
