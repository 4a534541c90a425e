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
