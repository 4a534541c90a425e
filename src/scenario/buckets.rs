//! A variant's own hash bucketing (`bucket_size = N`, or `bucket` and `field` templates), so
//! layouts and bucket sizes compare within one scenario file.

use super::{DatasetSpec, RawVariant};
use crate::dataset::{Family, Layout, Template};
use toml::Spanned;

/// How a variant buckets every family's records.
#[derive(Debug, Clone)]
pub enum Buckets {
    /// `N` records per bucket: bucket `FAMILY:{i / N}`, field `{i % N}`.
    Size(u64),
    /// Templates where `{family}` stands for the family's name.
    Templates { bucket: String, field: String },
}

impl Buckets {
    fn templates(&self, family: &str) -> Result<(Template, Template), String> {
        let (bucket, field) = match self {
            Buckets::Size(n) => (format!("{family}:{{i / {n}}}"), format!("{{i % {n}}}")),
            Buckets::Templates { bucket, field } => (
                bucket.replace("{family}", family),
                field.replace("{family}", family),
            ),
        };
        Ok((Template::parse(&bucket)?, Template::parse(&field)?))
    }

    /// Gives every family these buckets (checked when the scenario was parsed).
    pub fn apply(&self, families: &mut [Family]) {
        for f in families {
            let (bucket, field) = self.templates(&f.name).expect("checked when parsed");
            f.bucket = bucket;
            f.field = field;
        }
    }
}

/// The variant's own dataset when it sets `bucket_size` or `bucket` and `field`; errors
/// name the line.
pub(super) fn of_variant(
    v: &RawVariant,
    name: &str,
    dataset: &DatasetSpec,
    fail: &dyn Fn(std::ops::Range<usize>, String) -> anyhow::Error,
) -> anyhow::Result<Option<DatasetSpec>> {
    let first = [v.bucket_size.as_ref().map(Spanned::span)]
        .into_iter()
        .chain([v.bucket.as_ref(), v.field.as_ref()].map(|t| t.map(Spanned::span)))
        .flatten()
        .next();
    let Some(span) = first else { return Ok(None) };
    let what = format!("variant {name:?}");
    if v.layout != Layout::Hash {
        return Err(fail(
            span,
            format!(
                "{what}: bucket_size, bucket and field apply to layout = \"hash\" only; remove \
                 them or set layout = \"hash\""
            ),
        ));
    }
    let buckets = match (&v.bucket_size, &v.bucket, &v.field) {
        (Some(n), None, None) => {
            let size = *n.get_ref();
            if !(1..=1_000_000_000).contains(&size) {
                return Err(fail(
                    n.span(),
                    format!("{what}: bucket_size must be 1 to 1000000000 records, got {size}"),
                ));
            }
            Buckets::Size(size as u64)
        }
        (None, Some(b), Some(f)) => Buckets::Templates {
            bucket: b.get_ref().clone(),
            field: f.get_ref().clone(),
        },
        (Some(_), _, _) => {
            return Err(fail(
                span,
                format!(
                    "{what}: bucket_size sets both the bucket and the field; remove it or \
                     bucket and field"
                ),
            ));
        }
        _ => {
            return Err(fail(
                span,
                format!(
                    "{what}: bucket and field go together (or use bucket_size = N for N records \
                     per bucket)"
                ),
            ));
        }
    };
    if let Buckets::Templates { bucket, field } = &buckets {
        let (b, f) = (
            v.bucket.as_ref().expect("set"),
            v.field.as_ref().expect("set"),
        );
        let bad = |t: &Spanned<String>, key: &str, m: String| {
            fail(t.span(), format!("{what}: {key}: {m}"))
        };
        let tb =
            Template::parse(&bucket.replace("{family}", "f")).map_err(|m| bad(b, "bucket", m))?;
        let tf =
            Template::parse(&field.replace("{family}", "f")).map_err(|m| bad(f, "field", m))?;
        if !super::validate::distinguishes(&[&tb, &tf]) {
            return Err(bad(
                f,
                "field",
                format!(
                    "bucket = {bucket:?} with field = {field:?} writes many records onto one hash \
                     field; give each record its own with {{i}} (or {{i / N}} with {{i % N}})"
                ),
            ));
        }
    }
    Ok(Some(DatasetSpec {
        buckets: Some(buckets),
        ..dataset.clone()
    }))
}
