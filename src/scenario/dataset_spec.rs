//! Building a scenario's dataset spec into records, and its stable fingerprint.

use super::{DatasetKind, DatasetSpec, validate};
use crate::dataset::{Dataset, Family};
use anyhow::{Context, bail};

/// A sample dataset's records and the ones written (whatif leaves out, per serializer, the
/// payloads it cannot encode, and counts them).
#[derive(Debug, Clone)]
pub struct SampleData {
    pub sample: std::sync::Arc<crate::dataset::sample::Sample>,
    pub keep: std::sync::Arc<Vec<bool>>,
}

impl DatasetSpec {
    /// A sample dataset built in code (whatif), at scale 1.
    pub fn from_sample(data: SampleData) -> DatasetSpec {
        DatasetSpec {
            kind: DatasetKind::Sample,
            scale: 1.0,
            seed: 0,
            families: Vec::new(),
            count_at: Vec::new(),
            file_scale: 1.0,
            scale_at: None,
            buckets: None,
            sample: Some(data),
        }
    }

    /// What a report says of this spec, known before any server starts (so a `--baseline`
    /// for another dataset is refused before the run).
    pub fn info(&self) -> anyhow::Result<crate::report::DatasetInfo> {
        let dataset = self.build()?;
        Ok(crate::report::DatasetInfo {
            kind: match self.kind {
                DatasetKind::Demo => "demo",
                DatasetKind::Custom => "custom",
                DatasetKind::Sample => "sample",
            }
            .into(),
            scale: self.scale,
            seed: self.seed,
            records: dataset.record_count(),
            fingerprint: Some(self.fingerprint()?),
        })
    }

    /// The records, at this spec's scale. A family that would get no records, or a dataset
    /// far larger than this machine's memory, is an error naming the line.
    pub fn build(&self) -> anyhow::Result<Dataset> {
        let mut dataset = self.build_families()?;
        if let Some(b) = &self.buckets {
            b.apply(&mut dataset.families);
        }
        Ok(dataset)
    }

    fn build_families(&self) -> anyhow::Result<Dataset> {
        let scale_from = if self.scale == self.file_scale {
            match &self.scale_at {
                Some(at) => format!("{at}: [dataset] scale = {}", self.scale),
                None => format!("the default scale {}", self.scale),
            }
        } else {
            format!("--scale {}", self.scale)
        };
        match self.kind {
            DatasetKind::Demo => {
                let dataset = Dataset::demo(self.scale);
                if dataset.families.iter().any(|f| f.count == 0) {
                    bail!(
                        "{scale_from} gives the demo's dict and str families no records (each has 10,000 x scale, rounded); use a scale of at least 0.00005"
                    );
                }
                Ok(dataset)
            }
            DatasetKind::Sample => {
                let data = self
                    .sample
                    .as_ref()
                    .context("a sample dataset holds its records")?;
                if self.scale != 1.0 {
                    bail!(
                        "{scale_from}: a sample dataset is measured as sampled; leave out the scale"
                    );
                }
                Ok(crate::dataset::sample::Sample::dataset(
                    &data.sample,
                    &|i| data.keep[i],
                ))
            }
            DatasetKind::Custom => {
                let mut families = Vec::new();
                let mut bytes = 0.0;
                for (f, at) in self.families.iter().zip(&self.count_at) {
                    let count = ((f.count as f64) * self.scale).round();
                    if count < 1.0 {
                        bail!(
                            "{at}: [[dataset.family]] {:?}: count = {} at {scale_from} gives no records; raise the count or the scale",
                            f.name,
                            f.count
                        );
                    }
                    let each = validate::estimated_record_bytes(&f.key, &f.value);
                    bytes += count * each;
                    if let Some(memory) = validate::machine_memory()
                        && bytes > memory as f64
                    {
                        bail!(
                            "{at}: [[dataset.family]] {:?}: count = {} at {scale_from} is {count:.0} records, about {bytes:.3e} bytes in Redis (about {each:.0} bytes a record), more than this machine's memory ({memory} bytes); lower the count or the scale",
                            f.name,
                            f.count
                        );
                    }
                    families.push(Family {
                        count: count as u64,
                        ..f.clone()
                    });
                }
                Ok(Dataset::custom(families, self.seed))
            }
        }
    }

    /// A stable identity of what this spec writes (kind, seed, scale, and every family's
    /// count, batching, templates, value generator and seed), so `compare` can tell two
    /// different custom datasets apart even when their record counts agree: FNV-1a over the
    /// canonical text of [`super::fingerprint`], the same 16 hex digits on every run,
    /// platform and build.
    pub fn fingerprint(&self) -> anyhow::Result<String> {
        let kind = match self.kind {
            DatasetKind::Demo => "demo",
            DatasetKind::Custom => "custom",
            DatasetKind::Sample => "sample",
        };
        let families = self.build()?.families;
        Ok(super::fingerprint::fnv_hex(&super::fingerprint::text(
            kind, self.seed, self.scale, &families,
        )))
    }
}
