//! The one-line "why" of a variant against the baseline: pure functions of the two
//! variants' measured parts.

use super::VariantReport;
use crate::explain::Explanation;

/// What the "why" reads from one variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Parts {
    pub layout: String,
    pub records: u64,
    pub dataset_bytes: u64,
    pub redis_keys: u64,
    pub key_table: i64,
    pub expires_entries: u64,
    pub expires_bytes: u64,
    pub value_mean: f64,
    pub key_mean: f64,
    pub fields_mean: Option<f64>,
    /// The encoding most checked keys have.
    pub main_encoding: Option<String>,
    /// How many checked keys have each encoding, when more than one: `10 hashtable, ...`.
    pub mixed: Option<String>,
    /// Why buckets are hashtables, when the plan says: `values up to 407 B > ...`.
    pub hashtable_cause: Option<String>,
    /// Per-field TTLs (`field-ttl`): kept inside each bucket, not in the expires table.
    pub field_ttl: bool,
}

impl Parts {
    pub fn of(v: &VariantReport) -> Option<Parts> {
        let m = v.result.as_ref()?;
        let e: &Explanation = m.explain.as_ref()?;
        let field_ttl = v.layout == "hash" && v.hash_ttl == "field-ttl" && v.redis_ttl.is_some();
        Some(Parts {
            layout: v.layout.clone(),
            records: m.records,
            dataset_bytes: m.dataset_bytes,
            redis_keys: e.written.redis_keys,
            key_table: e.breakdown.first().map_or(0, |p| p.bytes),
            expires_entries: e.ttl.expires_entries,
            expires_bytes: e.ttl.bytes(),
            value_mean: e.written.value_bytes.mean,
            key_mean: e.written.key_bytes.mean,
            fields_mean: e.written.hash.as_ref().map(|h| h.fields_mean),
            main_encoding: e
                .encodings
                .measured
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(name, _)| name.clone()),
            mixed: (e.encodings.measured.len() > 1)
                .then(|| crate::explain::encoding::describe(&e.encodings.measured)),
            hashtable_cause: hashtable_cause(e, field_ttl),
            field_ttl,
        })
    }

    fn per_record(&self, bytes: f64) -> f64 {
        if self.records == 0 {
            0.0
        } else {
            bytes / self.records as f64
        }
    }
}

/// The limit the plan crosses, for variants whose buckets became hashtables.
fn hashtable_cause(e: &Explanation, field_ttl: bool) -> Option<String> {
    let h = e.written.hash.as_ref()?;
    e.encodings.measured.get("hashtable")?;
    let l = &e.limits;
    let longest = e.written.value_bytes.max.max(h.field_bytes_max);
    if longest > l.hash_max_listpack_value {
        Some(format!(
            "values up to {longest} B > hash-max-listpack-value {}",
            l.hash_max_listpack_value
        ))
    } else if h.fields_max > l.hash_max_listpack_entries {
        Some(format!(
            "up to {} fields > hash-max-listpack-entries {}",
            h.fields_max, l.hash_max_listpack_entries
        ))
    } else if field_ttl {
        // Valkey 9 keeps every hash with a field TTL as a hashtable.
        Some("field TTLs made them hashtables".into())
    } else {
        None
    }
}

fn signed(x: f64) -> String {
    format!("{}{:.0}", if x >= 0.0 { "+" } else { "-" }, x.abs())
}

fn shorter_longer(diff: f64, what: &str) -> Option<String> {
    (diff.abs() >= 0.5).then(|| {
        format!(
            "{what} {:.0} B {}",
            diff.abs(),
            if diff < 0.0 { "shorter" } else { "longer" }
        )
    })
}

/// `-26%: no expires entries (-46 B/record), values 12 B shorter, ...`; `baseline` for the
/// baseline itself.
pub fn why(base: &Parts, mine: &Parts) -> String {
    if base.dataset_bytes == 0 {
        return "baseline stores nothing".into();
    }
    let change = (mine.dataset_bytes as f64 / base.dataset_bytes as f64 - 1.0) * 100.0;
    let mut reasons = Vec::new();
    let expires =
        mine.per_record(mine.expires_bytes as f64) - base.per_record(base.expires_bytes as f64);
    match (base.expires_entries, mine.expires_entries) {
        // The expires table's share is all a TTL costs elsewhere; field TTLs cost inside the
        // buckets (listpackex, or a hashtable), which the encoding part below names.
        _ if mine.field_ttl => reasons.push(format!(
            "TTLs per field inside the buckets, {} expires entries ({} B/record)",
            mine.expires_entries,
            signed(expires)
        )),
        (b, 0) if b > 0 => {
            reasons.push(format!("no expires entries ({} B/record)", signed(expires)))
        }
        (0, m) if m > 0 => reasons.push(format!(
            "{m} expires entries ({} B/record)",
            signed(expires)
        )),
        _ if expires.abs() >= 0.5 => reasons.push(format!(
            "expires {} B/record ({} entries instead of {})",
            signed(expires),
            mine.expires_entries,
            base.expires_entries
        )),
        _ => {}
    }
    let table = mine.per_record(mine.key_table as f64) - base.per_record(base.key_table as f64);
    if table.abs() >= 0.5 {
        reasons.push(format!(
            "key table {} B/record ({} keys instead of {})",
            signed(table),
            mine.redis_keys,
            base.redis_keys
        ));
    }
    reasons.extend(shorter_longer(mine.value_mean - base.value_mean, "values"));
    reasons.extend(shorter_longer(mine.key_mean - base.key_mean, "keys"));
    let encoding = mine.main_encoding.as_deref().unwrap_or("?");
    match (mine.fields_mean, base.layout == mine.layout) {
        (Some(fields), _) => {
            let cause = mine
                .hashtable_cause
                .as_ref()
                .map(|c| format!(": {c}"))
                .unwrap_or_default();
            reasons.push(match &mine.mixed {
                Some(mix) => format!("{fields:.0} fields per bucket ({mix}{cause})"),
                None if cause.is_empty() => format!("{fields:.0} fields per {encoding} bucket"),
                None => format!("{fields:.0} fields per {encoding} bucket ({})", &cause[2..]),
            })
        }
        (None, false) => reasons.push(format!("one {encoding} key per record")),
        (None, true) if mine.main_encoding != base.main_encoding => {
            reasons.push(format!(
                "{encoding} values instead of {}",
                base.main_encoding.as_deref().unwrap_or("?")
            ));
        }
        (None, true) => {}
    }
    let head = format!(
        "{}{:.0}%",
        if change >= 0.0 { "+" } else { "-" },
        change.abs()
    );
    if reasons.is_empty() {
        head
    } else {
        format!("{head}: {}", reasons.join(", "))
    }
}

/// The "why" of `v` in its report: `None` when either side has no explanation.
pub fn line(report: &super::Report, v: &VariantReport) -> Option<String> {
    if v.name == report.baseline {
        return v.result.as_ref().map(|_| "baseline".to_string());
    }
    // Within its engine: across engines the server's own structures differ.
    let base = Parts::of(report.baseline_on(v.engine.as_deref())?)?;
    Some(why(&base, &Parts::of(v)?))
}

/// Fills in every variant's "why" against the baseline (reports store it).
pub fn fill_why(report: &mut super::Report) {
    let lines: Vec<Option<String>> = report.variants.iter().map(|v| line(report, v)).collect();
    for (v, line) in report.variants.iter_mut().zip(lines) {
        if let Some(e) = v.result.as_mut().and_then(|m| m.explain.as_mut()) {
            e.why = line;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(dataset: u64, expires: u64, value_mean: f64) -> Parts {
        Parts {
            layout: "keys".into(),
            records: 1000,
            dataset_bytes: dataset,
            redis_keys: 1000,
            key_table: 56_000,
            expires_entries: if expires > 0 { 1000 } else { 0 },
            expires_bytes: expires,
            value_mean,
            key_mean: 8.0,
            fields_mean: None,
            main_encoding: Some("embstr".into()),
            mixed: None,
            hashtable_cause: None,
            field_ttl: false,
        }
    }

    #[test]
    fn dropping_the_ttl_is_named_with_its_bytes() {
        let base = keys(200_000, 46_000, 40.0);
        let mine = keys(148_000, 0, 28.0);
        assert_eq!(
            why(&base, &mine),
            "-26%: no expires entries (-46 B/record), values 12 B shorter"
        );
    }

    #[test]
    fn buckets_name_their_fields_and_encoding() {
        let base = keys(200_000, 46_000, 40.0);
        let mut mine = keys(22_000, 0, 40.0);
        mine.layout = "hash".into();
        mine.redis_keys = 10;
        mine.key_table = 560;
        mine.fields_mean = Some(100.0);
        mine.main_encoding = Some("listpack".into());
        assert_eq!(
            why(&base, &mine),
            "-89%: no expires entries (-46 B/record), key table -55 B/record (10 keys \
             instead of 1000), 100 fields per listpack bucket"
        );
        mine.main_encoding = Some("hashtable".into());
        mine.hashtable_cause = Some("values up to 310 B > hash-max-listpack-value 64".into());
        assert!(why(&base, &mine).ends_with(
            "100 fields per hashtable bucket (values up to 310 B > hash-max-listpack-value 64)"
        ));
    }

    #[test]
    fn field_ttls_are_not_called_a_dropped_ttl() {
        let mut base = keys(6_206_000, 32_000, 48.0);
        base.layout = "hash".into();
        base.records = 100_000;
        base.redis_keys = 1000;
        base.fields_mean = Some(100.0);
        base.main_encoding = Some("listpack".into());
        let mut mine = base.clone();
        mine.dataset_bytes = 10_394_000;
        mine.expires_entries = 0;
        mine.expires_bytes = 112;
        mine.field_ttl = true;
        mine.main_encoding = Some("hashtable".into());
        mine.hashtable_cause = Some("field TTLs made them hashtables".into());
        assert_eq!(
            why(&base, &mine),
            "+67%: TTLs per field inside the buckets, 0 expires entries (-0 B/record), 100 \
             fields per hashtable bucket (field TTLs made them hashtables)"
        );
    }

    #[test]
    fn same_parts_say_only_the_change() {
        let base = keys(200_000, 46_000, 40.0);
        assert_eq!(why(&base, &base.clone()), "+0%");
        let mut raw = keys(260_000, 46_000, 100.0);
        raw.main_encoding = Some("raw".into());
        assert_eq!(
            why(&base, &raw),
            "+30%: values 60 B longer, raw values instead of embstr"
        );
    }
}
