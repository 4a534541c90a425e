//! A private N-node Redis Cluster: N private servers (the ordinary [`RedisServer`] guard,
//! so every node dies with redisadv) with `cluster-enabled yes` and their nodes.conf inside
//! their own private directory, the 16,384 slots split evenly in ranges, joined with CLUSTER
//! MEET, and ready once every node says `cluster_state:ok` and knows every node.

use crate::backend::ConnectOptions;
pub use crate::scenario::cluster::{MAX_NODES, check_nodes};
use crate::server::{Access, RedisServer, ServerOptions};
use anyhow::Context;
use std::time::{Duration, Instant};

/// Slots of a Redis Cluster.
pub const SLOTS: u16 = 16_384;

/// How long the nodes may take to agree on the slots after CLUSTER MEET.
const READY_LIMIT: Duration = Duration::from_secs(60);

/// The cluster's nodes, each a private server owning one contiguous range of slots.
pub struct Cluster {
    pub nodes: Vec<Node>,
    /// The owning node's index per slot.
    owner: Vec<u8>,
}

pub struct Node {
    pub server: RedisServer,
    /// First and last slot this node owns.
    pub slots: (u16, u16),
}

/// The slot range node `i` of `n` owns, as `redis-cli --cluster create` splits them.
pub fn slot_range(i: usize, n: usize) -> (u16, u16) {
    let per = SLOTS as usize as f64 / n as f64;
    let first = (i as f64 * per).round() as u16;
    let last = (((i + 1) as f64 * per).round() as u16).saturating_sub(1);
    (first, last)
}

impl Cluster {
    /// Starts `n` nodes from `options` (binary, config file, overrides) plus the cluster
    /// settings, assigns the slots, joins them and waits until the cluster is ok.
    pub fn start(options: &ServerOptions, n: usize) -> anyhow::Result<Cluster> {
        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            let server =
                start_node(options).with_context(|| format!("starting cluster node {i}"))?;
            nodes.push(Node {
                server,
                slots: slot_range(i, n),
            });
        }
        let mut owner = vec![0u8; SLOTS as usize];
        for (i, node) in nodes.iter().enumerate() {
            let mut conn = node
                .server
                .connect()
                .context("connecting to a cluster node")?;
            // Distinct config epochs, as redis-cli --cluster create sets them, so the nodes
            // need no epoch-collision rounds before they agree.
            redis::cmd("CLUSTER")
                .arg("SET-CONFIG-EPOCH")
                .arg(i + 1)
                .query::<()>(&mut conn)
                .context("CLUSTER SET-CONFIG-EPOCH")?;
            redis::cmd("CLUSTER")
                .arg("ADDSLOTSRANGE")
                .arg(node.slots.0)
                .arg(node.slots.1)
                .query::<()>(&mut conn)
                .context("CLUSTER ADDSLOTSRANGE")?;
            owner[node.slots.0 as usize..=node.slots.1 as usize].fill(i as u8);
        }
        let mut first = nodes[0].server.connect().context("connecting to node 0")?;
        for node in &nodes[1..] {
            redis::cmd("CLUSTER")
                .arg("MEET")
                .arg("127.0.0.1")
                .arg(node.server.port())
                .arg(bus_port(&node.server)?)
                .query::<()>(&mut first)
                .context("CLUSTER MEET")?;
        }
        let cluster = Cluster { nodes, owner };
        cluster.wait_ok()?;
        Ok(cluster)
    }

    /// Waits until every node says `cluster_state:ok`, knows all nodes and sees all slots
    /// assigned; an error naming the node that did not after [`READY_LIMIT`].
    fn wait_ok(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_LIMIT;
        let n = self.nodes.len().to_string();
        for (i, node) in self.nodes.iter().enumerate() {
            let mut conn = node.server.connect()?;
            loop {
                let text: String = redis::cmd("CLUSTER").arg("INFO").query(&mut conn)?;
                let info = crate::probe::parse_info(&text);
                let field = |name: &str| info.get(name).map(String::as_str).unwrap_or("");
                if field("cluster_state") == "ok"
                    && field("cluster_known_nodes") == n
                    && field("cluster_slots_ok") == SLOTS.to_string()
                {
                    break;
                }
                if Instant::now() > deadline {
                    anyhow::bail!(
                        "cluster node {i} (port {}) did not reach cluster_state:ok with {n} \
                         nodes within {READY_LIMIT:?}; it says state {}, {} known nodes, {} \
                         slots ok",
                        node.server.port(),
                        field("cluster_state"),
                        field("cluster_known_nodes"),
                        field("cluster_slots_ok")
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    /// The index of the node that owns `slot`.
    pub fn owner(&self, slot: u16) -> usize {
        self.owner[slot as usize] as usize
    }

    pub fn connect_options(&self) -> Vec<ConnectOptions> {
        self.nodes
            .iter()
            .map(|n| n.server.connect_options())
            .collect()
    }

    /// Whether every node's process still runs; else the last log lines of those that died.
    pub fn dead_logs(&self) -> Option<String> {
        let dead: Vec<String> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.server.is_running())
            .map(|(i, n)| format!("node {i}:\n{}", n.server.last_log_lines(10).join("\n")))
            .collect();
        (!dead.is_empty()).then(|| dead.join("\n"))
    }
}

/// One node: the cluster settings go after the scenario's overrides, so they win. The
/// cluster bus gets its own free port (port + 10000 may be taken or past 65535); a start
/// that lost that port to someone else is tried again with another.
fn start_node(options: &ServerOptions) -> anyhow::Result<RedisServer> {
    let mut last = None;
    for _ in 0..5 {
        let bus = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .context("finding a free port for the cluster bus")?
            .port();
        let mut node = options.clone();
        // The nodes talk to each other over TCP: behind a password, never open.
        if node.access == Access::Socket {
            node.access = Access::Password;
        }
        node.overrides.extend(
            [
                ("cluster-enabled", "yes".to_string()),
                // Relative: inside the node's private directory (its --dir).
                ("cluster-config-file", "nodes.conf".to_string()),
                ("cluster-port", bus.to_string()),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        match RedisServer::start(&node) {
            Ok(server) => return Ok(server),
            Err(e)
                if ["Address already in use", "no free port"]
                    .iter()
                    .any(|m| format!("{e:#}").contains(m)) =>
            {
                last = Some(e)
            }
            Err(e) => return Err(e),
        }
    }
    Err(last
        .expect("five attempts")
        .context("no free cluster bus port after five attempts"))
}

/// The node's cluster bus port, as it runs.
fn bus_port(server: &RedisServer) -> anyhow::Result<u16> {
    let mut conn = server.connect()?;
    let (_, value): (String, String) = redis::cmd("CONFIG")
        .arg("GET")
        .arg("cluster-port")
        .query(&mut conn)
        .context("CONFIG GET cluster-port")?;
    value
        .parse()
        .with_context(|| format!("cluster-port {value:?} is not a port"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_ranges_cover_every_slot_once() {
        for n in 1..=MAX_NODES {
            let mut next = 0u32;
            for i in 0..n {
                let (first, last) = slot_range(i, n);
                assert_eq!(first as u32, next, "{n} nodes, node {i}");
                assert!(last >= first);
                next = last as u32 + 1;
            }
            assert_eq!(next, SLOTS as u32, "{n} nodes");
        }
    }

    #[test]
    fn node_counts_are_checked() {
        assert!(check_nodes(0).is_err());
        assert!(check_nodes(-3).is_err());
        assert!(check_nodes(MAX_NODES as i64 + 1).is_err());
        assert_eq!(check_nodes(3), Ok(3));
    }
}
