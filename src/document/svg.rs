//! SVG: the report's main chart, drawn from its chart block by [`crate::chart`].

use super::OutputFormat;
use super::{Block, Chart, ChartKind, Document};

pub fn render(doc: &Document) -> anyhow::Result<String> {
    let charts: Vec<&Chart> = doc
        .blocks_for(OutputFormat::Svg)
        .filter_map(|b| match b {
            Block::Chart(c) => Some(c),
            _ => None,
        })
        .collect();
    match charts.iter().find(|c| c.main).or(charts.first()) {
        Some(chart) => draw(chart),
        None => anyhow::bail!("this report has no chart to write as SVG; use another format"),
    }
}

/// One chart as an SVG document.
pub fn draw(chart: &Chart) -> anyhow::Result<String> {
    match &chart.kind {
        ChartKind::Bars {
            title,
            axis,
            unit,
            items,
            baseline,
        } => crate::chart::bars(title, axis, unit, items, *baseline),
        ChartKind::Lines {
            title,
            x_label,
            y_label,
            series,
        } => crate::chart::lines(title, x_label, y_label, series),
        ChartKind::Scatter {
            title,
            x_label,
            y_label,
            points,
        } => crate::chart::scatter(title, x_label, y_label, points),
    }
}
