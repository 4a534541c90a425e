//! How reports speak of the engines a run used.

use super::EngineInfo;

/// The loud warning when engines' allocators differ (by name or by linkage): the same
/// version differs by 8-16 B per key between Debian's system jemalloc and a bundled one.
pub fn allocator_warning(engines: &[EngineInfo]) -> Option<String> {
    let kinds: Vec<String> = engines
        .iter()
        .map(|e| format!("{} {}", e.allocator, e.jemalloc))
        .collect();
    if kinds.windows(2).all(|w| w[0] == w[1]) {
        return None;
    }
    Some(format!(
        "WARNING: the engines' allocators differ ({}). Debian's system jemalloc rounds \
         allocations to 16 bytes, a bundled jemalloc to 8: that alone moves figures by 8-16 B \
         per key between two builds of one version, so part of a cross-engine difference is \
         the allocator, not the engine",
        engines
            .iter()
            .map(|e| format!("{}: {}{}", e.name, e.allocator, linkage(&e.jemalloc)))
            .collect::<Vec<_>>()
            .join("; ")
    ))
}

/// ` (system)`-style suffix for headers.
pub fn linkage(jemalloc: &str) -> String {
    if jemalloc.is_empty() {
        String::new()
    } else {
        format!(" ({jemalloc})")
    }
}

/// `engines list`: every engine redisadv can run, and where the cache is.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EngineList {
    pub engines: Vec<crate::engines::ListRow>,
    /// The engine cache directory.
    pub cache: String,
    /// The variable that moves it.
    pub cache_env: String,
}

impl crate::document::Reported for EngineList {
    fn document(&self) -> crate::document::Document {
        use crate::document::{self, Block, Cell, Document, Table};
        let mut doc = Document::new();
        doc.push_for(crate::document::PAGES, Block::Title("Engines".into()));
        let mut table = Table::new(&["engine", "server", "installed", "origin"], &[]);
        for row in &self.engines {
            table.row(
                [&row.name, &row.server, &row.status, &row.origin]
                    .map(Cell::text)
                    .to_vec(),
            );
        }
        doc.push(Block::Table(table));
        let cache = format!(
            "engine cache: {} (set {} to move it)",
            self.cache, self.cache_env
        );
        doc.push_for(
            document::TERMINAL,
            Block::Lines(vec![String::new(), cache.clone()]),
        );
        doc.push_for(crate::document::PAGES, Block::Paragraph(cache));
        doc
    }

    fn json(&self) -> anyhow::Result<String> {
        crate::document::json_of(self)
    }
}
