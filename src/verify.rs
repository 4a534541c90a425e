//! `bench --verify`: reads every record back through the backend and compares it with what
//! was written.

use crate::backend::{Backend, BackendConfig, ConnectOptions};
use crate::dataset::{Dataset, Layout};
use crate::report::Verified;
use anyhow::Context;

/// How many mismatching keys a report lists.
const EXAMPLES: usize = 5;

pub fn verify(
    connect: &ConnectOptions,
    dataset: &Dataset,
    layout: Layout,
    config: &BackendConfig,
) -> anyhow::Result<Verified> {
    let mut backend = Backend::connect(connect, config.clone()).context("verify: connecting")?;
    let mut result = Verified {
        records: 0,
        mismatches: 0,
        examples: Vec::new(),
    };
    let mut keys = Vec::new();
    // (payload, record number in write order: the clock's position when it was written)
    let mut expected: Vec<(crate::codec::Value, u64)> = Vec::new();
    let mut check =
        |backend: &mut Backend, keys: &mut Vec<_>, expected: &mut Vec<_>| -> anyhow::Result<()> {
            let got = backend.get_multi(keys).context("verify: reading back")?;
            for ((key, (want, n)), got) in keys.iter().zip(expected.iter()).zip(got) {
                result.records += 1;
                let problem = match got {
                    None => Some("missing".to_string()),
                    Some(v) if !crate::codec::same_value(&v.payload, want) => Some(format!(
                        "payload {} instead of {}",
                        crate::codec::pyliteral::repr(&v.payload),
                        crate::codec::pyliteral::repr(want)
                    )),
                    Some(v) => config.check_metadata(&v.metadata, *n).err(),
                };
                if let Some(p) = problem {
                    result.mismatches += 1;
                    if result.examples.len() < EXAMPLES {
                        result.examples.push(format!("{key}: {p}"));
                    }
                }
            }
            keys.clear();
            expected.clear();
            Ok(())
        };
    let mut n = 0u64;
    for call in dataset.calls(layout) {
        for (key, value) in call {
            keys.push(key);
            expected.push((value, n));
            n += 1;
        }
        if keys.len() >= 10_000 {
            check(&mut backend, &mut keys, &mut expected)?;
        }
    }
    check(&mut backend, &mut keys, &mut expected)?;
    Ok(result)
}
