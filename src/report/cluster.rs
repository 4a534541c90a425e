//! The cluster part of a report, in the terminal and Markdown: per node bytes, keys and
//! share with the skew, the per-slot baseline per engine, the top slots.

use crate::document::{self, Block, Cell, Document, Table};
use crate::report::{Report, VariantReport, human_bytes, thousands};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterFigures {
    /// Per node, in slot order.
    pub nodes: Vec<NodeFigures>,
    /// The largest node's dataset bytes over the mean: 1.0 is an even spread; a cluster is
    /// full when its largest node is, so this is how much sooner that happens.
    pub skew: f64,
    /// The engine's fixed cost of a slot that holds a key; absent when it was not measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_baseline: Option<SlotBaseline>,
    /// The slots holding the most memory (CLUSTER SLOT-STATS memory-bytes), where the
    /// engine counts it; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_slots: Vec<SlotFigure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFigures {
    pub first_slot: u16,
    pub last_slot: u16,
    pub empty_used_memory: u64,
    pub used_memory: u64,
    /// Settled used_memory minus the empty node's.
    pub dataset_bytes: u64,
    pub keys: u64,
    /// This node's part of the cluster's dataset bytes (0..1).
    pub share: f64,
    /// Commands the loader sent to this node.
    pub commands: u64,
}

/// 16,384 keys spread one per slot against the same keys in one slot, from an empty cluster:
/// the difference is what the engine keeps per slot that holds a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotBaseline {
    /// Bytes over the empty cluster with one key in every slot.
    pub every_slot_bytes: u64,
    /// Bytes over the empty cluster with the same number of keys in one slot.
    pub one_slot_bytes: u64,
    /// (every_slot_bytes - one_slot_bytes) / 16,383.
    pub per_slot_bytes: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotFigure {
    pub slot: u16,
    pub node: usize,
    pub memory_bytes: u64,
    pub keys: u64,
}

/// Variants measured on a cluster, with their figures.
fn clustered(report: &Report) -> Vec<(&VariantReport, &ClusterFigures)> {
    report
        .variants
        .iter()
        .filter_map(|v| Some((v, v.result.as_ref()?.cluster.as_ref()?)))
        .collect()
}

/// The section; empty when no variant ran on a cluster.
pub fn blocks(report: &Report) -> Document {
    let mut doc = Document::new();
    let rows = clustered(report);
    let Some((_, first)) = rows.first() else {
        return doc;
    };
    let nodes = first.nodes.len();
    let only = document::TEXT;
    let para = |doc: &mut Document, text: &str| {
        doc.push_for(only, Block::Paragraph(text.to_string()));
    };
    doc.push_for(
        only,
        Block::Heading {
            level: 2,
            text: format!("Cluster: {nodes} node{}", if nodes == 1 { "" } else { "s" }),
        },
    );
    para(
        &mut doc,
        "Dataset bytes, keys and share of each node (slots split evenly); skew is the largest \
         node over the mean: the cluster is full when its largest node is.",
    );
    let mut names = vec!["test".to_string(), "skew".to_string()];
    for (i, node) in first.nodes.iter().enumerate() {
        names.push(format!(
            "node {i} (slots {}-{})",
            node.first_slot, node.last_slot
        ));
    }
    let mut table = Table::with_columns(names);
    for c in table.columns.iter_mut().skip(1) {
        c.right = true;
    }
    for (v, c) in &rows {
        let mut cells = vec![
            Cell::text(v.label()),
            Cell::number(format!("{:.2}", c.skew)),
        ];
        for node in &c.nodes {
            cells.push(Cell::number(format!(
                "{} ({} keys, {:.1}%)",
                human_bytes(node.dataset_bytes),
                thousands(node.keys),
                node.share * 100.0
            )));
        }
        table.row(cells);
    }
    doc.push_for(only, Block::Table(table));
    // One baseline per engine: it does not depend on the variant.
    let mut baselines: Vec<(String, &SlotBaseline)> = Vec::new();
    for (v, c) in &rows {
        let engine = v
            .engine
            .clone()
            .unwrap_or_else(|| report.redis.version.clone());
        if let Some(b) = &c.slot_baseline
            && !baselines.iter().any(|(e, _)| *e == engine)
        {
            baselines.push((engine, b));
        }
    }
    if !baselines.is_empty() {
        para(
            &mut doc,
            "Fixed cost of a slot that holds a key: 16,384 keys one per slot against the same \
             keys in one slot, each over the empty cluster.",
        );
        let mut table = Table::new(
            &[
                "engine",
                "one key per slot",
                "all in one slot",
                "per non-empty slot",
                "all 16,384 slots",
            ],
            &[false, true, true, true, true],
        );
        for (engine, b) in &baselines {
            table.row(vec![
                Cell::text(engine),
                Cell::number(human_bytes(b.every_slot_bytes)),
                Cell::number(human_bytes(b.one_slot_bytes)),
                Cell::number(format!("{:.0} B", b.per_slot_bytes)),
                Cell::number(human_bytes((b.per_slot_bytes.max(0.0) * 16_384.0) as u64)),
            ]);
        }
        doc.push_for(only, Block::Table(table));
    }
    let with_slots: Vec<_> = rows
        .iter()
        .filter(|(_, c)| !c.top_slots.is_empty())
        .collect();
    if !with_slots.is_empty() {
        para(
            &mut doc,
            "Top slots by memory (CLUSTER SLOT-STATS memory-bytes; engines that count it):",
        );
        let items = with_slots
            .iter()
            .map(|(v, c)| {
                let slots: Vec<String> = c
                    .top_slots
                    .iter()
                    .map(|s| {
                        format!(
                            "{} (node {}, {} key{}) {}",
                            s.slot,
                            s.node,
                            thousands(s.keys),
                            if s.keys == 1 { "" } else { "s" },
                            human_bytes(s.memory_bytes)
                        )
                    })
                    .collect();
                format!("{}: {}", v.label(), slots.join("; "))
            })
            .collect();
        doc.push_for(only, Block::List { items, warn: false });
    }
    para(
        &mut doc,
        "On a cluster, the explanations (the why tables) are not computed; the figures are \
         the nodes' sums.",
    );
    doc
}
