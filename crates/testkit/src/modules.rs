//! A crate's module graph read from its sources, for tests that keep layers apart:
//! [`module_graph`] gives, for each top-level module of `src/`, the other top-level
//! modules its files name as `crate::MODULE`, and [`first_cycle`] finds a cycle in it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module to the top-level modules it imports.
pub type ModuleGraph = BTreeMap<String, BTreeSet<String>>;

/// The files under `dir` with the top-level module each belongs to.
fn sources(dir: &Path, top: Option<&str>, out: &mut Vec<(String, String)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.is_dir() {
            sources(&path, Some(top.unwrap_or(&name)), out)?;
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let module = top.map_or(name, str::to_owned);
            out.push((module, std::fs::read_to_string(&path)?));
        }
    }
    Ok(())
}

/// The module graph of the crate whose sources are in `src` (`lib.rs` and `main.rs`
/// are the root, not modules). Only `crate::NAME` paths count, as the house style
/// writes imports across modules.
///
/// # Errors
/// When a file under `src` cannot be read.
pub fn module_graph(src: &Path) -> std::io::Result<ModuleGraph> {
    let mut files = Vec::new();
    sources(src, None, &mut files)?;
    let root = |module: &str| module == "lib" || module == "main";
    let modules: BTreeSet<String> = files
        .iter()
        .map(|(module, _)| module.clone())
        .filter(|module| !root(module))
        .collect();
    let mut graph = ModuleGraph::new();
    for (module, text) in files.iter().filter(|(module, _)| !root(module)) {
        let edges = graph.entry(module.clone()).or_default();
        for (index, _) in text.match_indices("crate::") {
            let name: String = text[index + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&name) && name != *module {
                edges.insert(name);
            }
        }
    }
    Ok(graph)
}

/// A cycle of `graph` (`a -> b -> a`), if it has one.
pub fn first_cycle(graph: &ModuleGraph) -> Option<Vec<String>> {
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// Depth-first search for a back edge: the cycle through `node`, if any.
fn visit(
    node: &str,
    graph: &ModuleGraph,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(start) = path.iter().position(|seen| seen == node) {
        let mut cycle = path[start..].to_vec();
        cycle.push(node.to_owned());
        return Some(cycle);
    }
    if done.contains(node) {
        return None;
    }
    path.push(node.to_owned());
    for next in graph.get(node).into_iter().flatten() {
        if let Some(cycle) = visit(next, graph, path, done) {
            return Some(cycle);
        }
    }
    path.pop();
    done.insert(node.to_owned());
    None
}

#[cfg(test)]
mod tests {
    use super::{ModuleGraph, first_cycle};

    fn graph(edges: &[(&str, &str)]) -> ModuleGraph {
        let mut graph = ModuleGraph::new();
        for (from, to) in edges {
            graph
                .entry((*from).to_owned())
                .or_default()
                .insert((*to).to_owned());
            graph.entry((*to).to_owned()).or_default();
        }
        graph
    }

    #[test]
    fn finds_a_cycle_and_only_a_cycle() {
        assert_eq!(
            first_cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])),
            None
        );
        assert_eq!(
            first_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])),
            Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
        );
    }
}
