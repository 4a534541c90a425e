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
    let backend = Backend::connect(connect, config.clone()).context("verify: connecting")?;
    verify_routed(&mut [backend], &|_| 0, dataset, layout, config)
}

/// [`verify`] over several servers (a cluster's nodes): `route` names the backend each key
/// is read from.
pub fn verify_routed(
    backends: &mut [Backend],
    route: &dyn Fn(&crate::dataset::Key) -> usize,
    dataset: &Dataset,
    layout: Layout,
    config: &BackendConfig,
) -> anyhow::Result<Verified> {
    let mut result = Verified {
        records: 0,
        mismatches: 0,
        examples: Vec::new(),
    };
    let mut keys = Vec::new();
    // (payload, record number in write order: the clock's position when it was written)
    let mut expected: Vec<(crate::codec::Value, u64)> = Vec::new();
    let mut check = |backends: &mut [Backend],
                     keys: &mut Vec<_>,
                     expected: &mut Vec<_>|
     -> anyhow::Result<()> {
        let got = get_routed(backends, route, keys)?;
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
            check(backends, &mut keys, &mut expected)?;
        }
    }
    check(backends, &mut keys, &mut expected)?;
    Ok(result)
}

/// Each key read from its own backend, the values back in the keys' order.
fn get_routed(
    backends: &mut [Backend],
    route: &dyn Fn(&crate::dataset::Key) -> usize,
    keys: &[crate::dataset::Key],
) -> anyhow::Result<Vec<Option<crate::backend::CachedValue>>> {
    if backends.len() == 1 {
        return backends[0].get_multi(keys).context("verify: reading back");
    }
    let mut per_backend: Vec<Vec<usize>> = vec![Vec::new(); backends.len()];
    for (i, key) in keys.iter().enumerate() {
        per_backend[route(key)].push(i);
    }
    let mut out: Vec<_> = keys.iter().map(|_| None).collect();
    for (backend, at) in backends.iter_mut().zip(per_backend) {
        let some: Vec<_> = at.iter().map(|&i| keys[i].clone()).collect();
        let got = backend.get_multi(&some).context("verify: reading back")?;
        for (i, value) in at.into_iter().zip(got) {
            out[i] = value;
        }
    }
    Ok(out)
}
