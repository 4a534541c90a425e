//! The house's floors: no two top-level modules of `src/` reach each other, directly or
//! around a circle. Read from the sources: every `crate::MODULE` path outside comments and
//! unit-test modules is an arrow from the file's module to MODULE.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

fn arrows(dir: &Path, src: &Path, graph: &mut Graph) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            arrows(&path, src, graph);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (at, _) in line.match_indices("crate::") {
                let name: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    graph.entry(module.clone()).or_default().insert(name);
                }
            }
        }
    }
}

/// The modules `from` reaches by arrows.
fn reach(graph: &Graph, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(m) = todo.pop() {
        for next in graph.get(&m).into_iter().flatten() {
            if seen.insert(next.clone()) {
                todo.push(next.clone());
            }
        }
    }
    seen
}

#[test]
fn no_module_reaches_back_to_itself() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = Graph::new();
    arrows(&src, &src, &mut graph);
    assert!(graph.len() > 20, "too few modules read: {graph:?}");
    let mut circles = Vec::new();
    for module in graph.keys() {
        let back: Vec<_> = graph[module]
            .iter()
            .filter(|next| reach(&graph, next).contains(module))
            .collect();
        if !back.is_empty() {
            circles.push(format!("{module} -> {back:?} -> ... -> {module}"));
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

/// The check itself sees a circle when there is one.
#[test]
fn a_circle_is_seen() {
    let mut graph = Graph::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    assert!(!reach(&graph, "b").contains("a"));
    graph.entry("c".into()).or_default().insert("a".into());
    assert!(reach(&graph, "b").contains("a"));
}
