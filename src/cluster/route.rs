//! Slot routing: which node a key lives on, and a loader sink that sends each command to the
//! node owning its slot over that node's own [`PipeStream`].
//!
//! Slots come from the redis crate's cluster support (CRC16 of the key, or of its `{hash
//! tag}`), not from a CRC16 of our own. The crate hands out a `Slot` but not its number, so
//! a table from each of the 16,384 slots back to its number is built once.

use super::nodes::{Cluster, SLOTS};
use crate::backend::resp::Value;
use crate::backend::{ConnectOptions, PipeStream, StreamSummary};
use crate::dataset::Key;
use crate::loader::Sink;
use redis::cluster_routing::Slot;
use std::collections::{HashMap, VecDeque};
use std::sync::OnceLock;

/// The slot of `key`, hash tags respected (`{user1}:a` and `{user1}:b` share one).
pub fn slot_of(key: &[u8]) -> u16 {
    static NUMBERS: OnceLock<HashMap<Slot, u16>> = OnceLock::new();
    let numbers = NUMBERS.get_or_init(|| {
        (0..SLOTS)
            .map(|n| (Slot::new(n).expect("below SLOTS"), n))
            .collect()
    });
    numbers[&Slot::for_key(key)]
}

/// The Redis key a dataset key is stored under: the plain key, or the hash's bucket.
pub fn redis_key(key: &Key) -> &str {
    match key {
        Key::Plain(k) => k,
        Key::Hash { bucket, .. } => bucket,
    }
}

/// The loader's commands, routed: one stream per node, each command to the owner of its
/// key's slot. MSET, the one multi-key command the plan emits, is split per slot in the
/// order slots first appear, each part to its owner, as redis-py's cluster client does
/// (`mset_nonatomic`). A call's commands stay in call order on every node, and no two
/// calls are merged.
pub struct RoutedSink {
    streams: Vec<PipeStream>,
    owner: Vec<u8>,
    /// The node of each command sent with `query_start` whose reply is not taken yet.
    pending: VecDeque<usize>,
}

impl RoutedSink {
    pub fn connect(cluster: &Cluster) -> anyhow::Result<RoutedSink> {
        let streams = cluster
            .connect_options()
            .iter()
            .map(PipeStream::connect)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(RoutedSink {
            streams,
            owner: (0..SLOTS).map(|s| cluster.owner(s) as u8).collect(),
            pending: VecDeque::new(),
        })
    }

    fn node_of(&self, key: &[u8]) -> usize {
        self.owner[slot_of(key) as usize] as usize
    }

    /// The node a single-key command goes to (its first argument after the name).
    fn node_of_cmd(&self, cmd: &redis::Cmd) -> usize {
        match cmd.args_iter().nth(1) {
            Some(redis::Arg::Simple(key)) => self.node_of(key),
            _ => 0,
        }
    }

    /// Commands sent to each node, in node order.
    pub fn commands_per_node(&self) -> Vec<u64> {
        self.streams.iter().map(|s| s.commands_sent()).collect()
    }

    /// Waits for every node's replies; one summary, the first refusal named with its node.
    pub fn finish(&mut self) -> anyhow::Result<StreamSummary> {
        let mut all = StreamSummary::default();
        for (i, stream) in self.streams.iter_mut().enumerate() {
            let summary = stream.finish()?;
            if all.first_error.is_none()
                && let Some((n, err)) = summary.first_error
            {
                all.first_error = Some((all.replies + n, format!("{err} (on node {i})")));
            }
            all.replies += summary.replies;
            all.errors += summary.errors;
        }
        Ok(all)
    }
}

/// MSET's (key, value) pairs grouped by slot, slots in first-appearance order, each part a
/// whole MSET command's arguments.
fn split_mset<'a>(args: &[&'a [u8]]) -> Vec<(u16, Vec<&'a [u8]>)> {
    let mut parts: Vec<(u16, Vec<&'a [u8]>)> = Vec::new();
    let mut at: HashMap<u16, usize> = HashMap::new();
    for pair in args[1..].chunks(2) {
        let slot = slot_of(pair[0]);
        let i = *at.entry(slot).or_insert_with(|| {
            parts.push((slot, vec![b"MSET".as_slice()]));
            parts.len() - 1
        });
        parts[i].1.push(pair[0]);
        parts[i].1.push(pair.get(1).copied().unwrap_or_default());
    }
    parts
}

impl Sink for RoutedSink {
    fn send(&mut self, args: &[&[u8]]) -> std::io::Result<()> {
        if args
            .first()
            .is_some_and(|name| name.eq_ignore_ascii_case(b"MSET"))
        {
            for (slot, part) in split_mset(args) {
                let node = self.owner[slot as usize] as usize;
                self.streams[node].send_args(&part)?;
            }
            return Ok(());
        }
        let node = args.get(1).map_or(0, |key| self.node_of(key));
        self.streams[node].send_args(args)
    }

    fn query_start(&mut self, cmds: &[redis::Cmd]) -> anyhow::Result<()> {
        let mut per_node: Vec<Vec<redis::Cmd>> = vec![Vec::new(); self.streams.len()];
        for cmd in cmds {
            let node = self.node_of_cmd(cmd);
            per_node[node].push(cmd.clone());
            self.pending.push_back(node);
        }
        for (stream, cmds) in self.streams.iter_mut().zip(per_node) {
            if !cmds.is_empty() {
                stream.query_start(&cmds)?;
            }
        }
        Ok(())
    }

    fn query_finish(&mut self, n: usize) -> anyhow::Result<Vec<Value>> {
        anyhow::ensure!(
            n <= self.pending.len(),
            "more replies asked for than commands sent"
        );
        let mut out = Vec::with_capacity(n);
        for node in self.pending.drain(..n).collect::<Vec<_>>() {
            out.extend(self.streams[node].query_finish(1)?);
        }
        Ok(out)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.streams.iter_mut().try_for_each(|s| s.flush())
    }

    fn commands_sent(&self) -> u64 {
        self.streams.iter().map(|s| s.commands_sent()).sum()
    }
}

/// Plain connections to every node, for reading figures and records back.
pub fn connect_all(options: &[ConnectOptions]) -> anyhow::Result<Vec<redis::Connection>> {
    options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            o.connect()
                .map_err(|e| anyhow::anyhow!("connecting to cluster node {i}: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slots Redis documents (CLUSTER KEYSLOT): hash tags decide, `{}` does not.
    #[test]
    fn slots_are_redis_slots() {
        assert_eq!(slot_of(b"foo"), 12182);
        assert_eq!(slot_of(b"somekey"), 11058);
        assert_eq!(
            slot_of(b"{user1000}.following"),
            slot_of(b"{user1000}.followers")
        );
        assert_eq!(slot_of(b"foo{}{bar}"), slot_of(b"foo{}{bar}"));
        assert_ne!(slot_of(b"foo{}{bar}"), slot_of(b"bar"));
        assert_eq!(slot_of(b"foo{{bar}}zap"), slot_of(b"{bar"));
    }

    #[test]
    fn mset_is_split_per_slot_in_first_appearance_order() {
        let keys = ["{a}1", "{b}1", "{a}2", "{c}1", "{b}2"];
        let values: Vec<String> = keys.iter().map(|k| format!("v{k}")).collect();
        let mut args: Vec<&[u8]> = vec![b"MSET"];
        for (k, v) in keys.iter().zip(&values) {
            args.extend([k.as_bytes(), v.as_bytes()]);
        }
        let parts = split_mset(&args);
        let slots: Vec<u16> = parts.iter().map(|(s, _)| *s).collect();
        assert_eq!(slots, vec![slot_of(b"a"), slot_of(b"b"), slot_of(b"c")]);
        let packed = String::from_utf8(parts[0].1.concat()).unwrap();
        assert!(packed.contains("{a}1") && packed.contains("{a}2") && !packed.contains("{b}"));
    }
}
