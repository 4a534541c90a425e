//! The cluster part of a report, in Markdown (also shown under the terminal table): per node
//! bytes, keys and share with the skew, the per-slot baseline per engine, the top slots.

use super::figures::ClusterFigures;
use crate::report::{Report, VariantReport, human_bytes, thousands};
use std::fmt::Write;

/// Variants measured on a cluster, with their figures.
fn clustered(report: &Report) -> Vec<(&VariantReport, &ClusterFigures)> {
    report
        .variants
        .iter()
        .filter_map(|v| Some((v, v.result.as_ref()?.cluster.as_ref()?)))
        .collect()
}

/// The section; empty when no variant ran on a cluster.
pub fn section(report: &Report) -> String {
    let rows = clustered(report);
    let Some((_, first)) = rows.first() else {
        return String::new();
    };
    let mut out = String::new();
    let _ = write_section(report, &rows, first.nodes.len(), &mut out);
    out
}

fn write_section(
    report: &Report,
    rows: &[(&VariantReport, &ClusterFigures)],
    nodes: usize,
    out: &mut String,
) -> std::fmt::Result {
    writeln!(out)?;
    writeln!(
        out,
        "## Cluster: {nodes} node{}",
        if nodes == 1 { "" } else { "s" }
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Dataset bytes, keys and share of each node (slots split evenly); skew is the largest \
         node over the mean: the cluster is full when its largest node is."
    )?;
    writeln!(out)?;
    write!(out, "| test | skew |")?;
    for (i, node) in rows[0].1.nodes.iter().enumerate() {
        write!(
            out,
            " node {i} (slots {}-{}) |",
            node.first_slot, node.last_slot
        )?;
    }
    writeln!(out)?;
    writeln!(out, "|---|---:|{}", "---:|".repeat(nodes))?;
    for (v, c) in rows {
        write!(out, "| {} | {:.2} |", v.label(), c.skew)?;
        for node in &c.nodes {
            write!(
                out,
                " {} ({} keys, {:.1}%) |",
                human_bytes(node.dataset_bytes),
                thousands(node.keys),
                node.share * 100.0
            )?;
        }
        writeln!(out)?;
    }
    // One baseline per engine: it does not depend on the variant.
    let mut baselines: Vec<(String, &super::figures::SlotBaseline)> = Vec::new();
    for (v, c) in rows {
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
        writeln!(out)?;
        writeln!(
            out,
            "Fixed cost of a slot that holds a key: 16,384 keys one per slot against the same \
             keys in one slot, each over the empty cluster."
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "| engine | one key per slot | all in one slot | per non-empty slot | all 16,384 slots |"
        )?;
        writeln!(out, "|---|---:|---:|---:|---:|")?;
        for (engine, b) in &baselines {
            writeln!(
                out,
                "| {engine} | {} | {} | {:.0} B | {} |",
                human_bytes(b.every_slot_bytes),
                human_bytes(b.one_slot_bytes),
                b.per_slot_bytes,
                human_bytes((b.per_slot_bytes.max(0.0) * 16_384.0) as u64)
            )?;
        }
    }
    let with_slots: Vec<_> = rows
        .iter()
        .filter(|(_, c)| !c.top_slots.is_empty())
        .collect();
    if !with_slots.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Top slots by memory (CLUSTER SLOT-STATS memory-bytes; engines that count it):"
        )?;
        writeln!(out)?;
        for (v, c) in with_slots {
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
            writeln!(out, "- {}: {}", v.label(), slots.join("; "))?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "On a cluster, the explanations (the why tables) are not computed; the figures are \
         the nodes' sums."
    )?;
    Ok(())
}
