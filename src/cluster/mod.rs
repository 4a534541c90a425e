//! Redis Cluster: the same scenarios on a private N-node cluster (`[server] cluster = {
//! nodes = N }`, `bench --cluster N`). A cluster is one more dimension of a run: each job
//! starts its nodes instead of one server, the loader writes into a sink that routes every
//! command to its slot's node, and the report adds per-node figures, the skew, the engine's
//! fixed per-slot cost and the top slots by memory.

pub mod discover;
pub mod figures;
mod measure;
pub mod nodes;
pub mod route;

pub use figures::ClusterFigures;
pub use measure::run_job;
pub use nodes::{Cluster, MAX_NODES, check_nodes};

/// How reports name a private target: `private`, or `private cluster of N nodes`.
pub fn target_name(nodes: Option<usize>) -> String {
    match nodes {
        None => "private".into(),
        Some(1) => "private cluster of 1 node".into(),
        Some(n) => format!("private cluster of {n} nodes"),
    }
}
