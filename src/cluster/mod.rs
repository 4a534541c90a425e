//! Redis Cluster: the same scenarios on a private N-node cluster (`[server] cluster = {
//! nodes = N }`, `bench --cluster N`). A cluster is one more dimension of a run: each job
//! starts its nodes instead of one server, the loader writes into a sink that routes every
//! command to its slot's node, and the report adds per-node figures, the skew, the engine's
//! fixed per-slot cost and the top slots by memory.

pub mod figures;
pub mod nodes;
pub mod route;
mod target;

pub use figures::ClusterFigures;
pub use nodes::{Cluster, MAX_NODES, check_nodes};
pub use target::ClusterTarget;
