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
    let session = crate::protocol::private::open_plain(
        grid.server
            .binary
            .clone()
            .unwrap_or_else(crate::server::default_binary),
        grid.server.config_file.clone(),
        grid.server.overrides.clone(),
    )?;
    crate::protocol::figure(session, &Stored(sample))
}

/// The sampled values as stored today: one SET per record, with its TTL.
struct Stored<'a>(&'a Sample);

impl Writes for Stored<'_> {
    fn name(&self) -> &str {
        "as stored today"
    }

    fn write(
        &self,
        sink: &mut dyn Sink,
        _encoded: &mut dyn FnMut(&EncodedCall),
    ) -> anyhow::Result<LoadOutcome> {
        for r in &self.0.records {
            let mut args: Vec<&[u8]> =
                vec![b"SET".as_slice(), r.key.as_bytes(), r.stored.as_slice()];
            let ttl = r.ttl_ms.map(|ms| ms.max(MIN_TTL_MS).to_string());
            if let Some(ms) = &ttl {
                args.extend([b"PX".as_slice(), ms.as_bytes()]);
            }
            sink.send(&args)?;
        }
        sink.flush()?;
        let n = self.0.records.len() as u64;
        Ok(LoadOutcome {
            records: n,
            calls: n,
            commands: n,
        })
    }
}
