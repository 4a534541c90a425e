//! The baseline of whatif's savings: the sampled values exactly as they are stored today,
//! written to a private server of the grid's configuration and measured by the protocol
//! every variant is measured by (settled used_memory after minus before). Comparing a
//! variant with inspect's MEMORY USAGE sum instead would mix two methods: MEMORY USAGE
//! leaves out the key table's slots and allocator rounding that used_memory counts.

use crate::dataset::sample::Sample;
use crate::loader::{EncodedCall, LoadOutcome, Sink};
use crate::protocol::Writes;
use crate::scenario::Scenario;

/// A TTL at least this long (ms) so that nothing expires while it is measured; a TTL's
/// memory does not depend on its length.
const MIN_TTL_MS: i64 = 3_600_000;

/// Bytes the sample's stored values add to an empty server, settled.
pub fn measure(sample: &Sample, grid: &Scenario) -> anyhow::Result<u64> {
    measure_with(sample, grid, "as stored today", &|i| {
        sample.records[i].stored.as_slice()
    })
}

/// Bytes the sample's records add to an empty server, settled, each written under its own
/// key and TTL with `values[i]` as its value (a library setting's re-encoding).
pub fn measure_values(sample: &Sample, values: &[Vec<u8>], grid: &Scenario) -> anyhow::Result<u64> {
    anyhow::ensure!(
        values.len() == sample.records.len(),
        "{} values for {} sampled records",
        values.len(),
        sample.records.len()
    );
    measure_with(sample, grid, "a library setting", &|i| values[i].as_slice())
}

/// Bytes the sample's records add under their keys and TTLs, record `i` with `value(i)`,
/// measured by the one protocol on a private server of the grid's engine and config.
fn measure_with<'a>(
    sample: &'a Sample,
    grid: &Scenario,
    name: &'a str,
    value: &'a dyn Fn(usize) -> &'a [u8],
) -> anyhow::Result<u64> {
    let session = crate::protocol::private::open_plain(
        grid.server
            .binary
            .clone()
            .unwrap_or_else(crate::server::default_binary),
        grid.server.config_file.clone(),
        grid.server.overrides.clone(),
    )?;
    crate::protocol::figure(
        session,
        &Stored {
            sample,
            name,
            value,
        },
    )
}

/// The sampled records as SETs, one per record, with their TTLs.
struct Stored<'a> {
    sample: &'a Sample,
    name: &'a str,
    value: &'a dyn Fn(usize) -> &'a [u8],
}

impl Writes for Stored<'_> {
    fn name(&self) -> &str {
        self.name
    }

    fn write(
        &self,
        sink: &mut dyn Sink,
        _encoded: &mut dyn FnMut(&EncodedCall),
    ) -> anyhow::Result<LoadOutcome> {
        for (i, r) in self.sample.records.iter().enumerate() {
            let mut args: Vec<&[u8]> = vec![b"SET".as_slice(), r.key.as_bytes(), (self.value)(i)];
            let ttl = r.ttl_ms.map(|ms| ms.max(MIN_TTL_MS).to_string());
            if let Some(ms) = &ttl {
                args.extend([b"PX".as_slice(), ms.as_bytes()]);
            }
            sink.send(&args)?;
        }
        sink.flush()?;
        let n = self.sample.records.len() as u64;
        Ok(LoadOutcome {
            records: n,
            calls: n,
            commands: n,
        })
    }
}
