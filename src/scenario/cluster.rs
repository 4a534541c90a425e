//! How many private cluster nodes a run may ask for (`[server] cluster`, `--cluster N`):
//! checked where the scenario is read, below the cluster that starts them.

/// The most nodes `--cluster` / `cluster = { nodes = N }` accepts: each node is a process
/// with a cluster bus, and the machines this runs on have a few cores.
pub const MAX_NODES: usize = 16;

/// Checks a node count (`--cluster N`, `cluster = { nodes = N }`): the message says what to
/// give instead.
pub fn check_nodes(n: i64) -> Result<usize, String> {
    match n {
        n if n < 1 => Err(format!(
            "{n} nodes: a cluster has at least 1 node (3 is the usual smallest production \
             cluster)"
        )),
        n if n as usize > MAX_NODES => Err(format!(
            "{n} nodes: at most {MAX_NODES} private nodes are started on one machine; give \
             1 to {MAX_NODES}"
        )),
        n => Ok(n as usize),
    }
}
