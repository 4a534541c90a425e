//! What inspect's report holds of an RDB file, and how a file is walked: the types live
//! here, below both inspect and the streaming reader (`rdb_stream`), which fills them in
//! and implements [`FileWalk`].

use super::scan::Observation;
use super::{InspectOptions, InspectReport};
use serde::{Deserialize, Serialize};

/// Reads a file and builds inspect's report from it (`rdb_stream` streams an RDB file),
/// so that inspect need not know how a file is read.
pub trait FileWalk: Send {
    /// Reads the file (each key measured also handed to `observe`) and builds the report.
    fn walk(
        &self,
        target: String,
        options: &InspectOptions,
        observe: &mut dyn FnMut(&Observation),
    ) -> anyhow::Result<InspectReport>;
}

/// What only a file can tell: the file, how far it was read, every database, the largest keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RdbSection {
    pub file_bytes: u64,
    pub bytes_read: u64,
    pub rdb_version: String,
    /// The engine of the private server that measured the restored keys.
    pub engine: String,
    /// Ctrl-C stopped the stream: the figures cover what was read.
    pub interrupted: bool,
    /// Keys whose TTL had passed (a server loading the file drops them too).
    pub expired_skipped: u64,
    /// Keys restored per pattern; `None`: every key (`--all`).
    pub keys_restored_per_pattern: Option<u64>,
    pub private_server_peak_rss: u64,
    pub databases: Vec<DbFigures>,
    /// By serialized size, largest first.
    pub largest_keys: Vec<BigKey>,
}

/// Per database: keys, keys with a TTL, and serialized bytes (every database of the file).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DbFigures {
    pub db: u64,
    pub keys: u64,
    pub expires: u64,
    pub serialized_bytes: u64,
}

/// A key of the largest ones, by serialized size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BigKey {
    pub key: String,
    pub db: u64,
    #[serde(rename = "type")]
    pub kind: String,
    pub serialized_bytes: u64,
    pub ttl_seconds: Option<f64>,
}
