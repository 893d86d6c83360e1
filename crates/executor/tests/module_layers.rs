#![expect(
    clippy::unwrap_used,
    reason = "a test that reads the sources fails loudly"
)]

//! The executor's modules form no cycle: no module imports, directly or through
//! others, a module that imports it (`docs/architecture.md` draws the layers). Read
//! from the sources: every `crate::MODULE` a top-level module's files name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<(String, String)>, top: Option<&str>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            sources(&path, out, Some(top.unwrap_or(&name)));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let module = top.map_or(name, str::to_owned);
            out.push((module, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
        None,
    );
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &files {
        if module == "lib" {
            continue;
        }
        let edges = graph.entry(module.clone()).or_default();
        for (index, _) in text.match_indices("crate::") {
            let rest = &text[index + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&name) && &name != module && name != "lib" {
                edges.insert(name);
            }
        }
    }
    graph
}

/// Depth-first search for a back edge: the cycle through `node`, if any.
fn visit(
    node: &str,
    graph: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(start) = path.iter().position(|n| n == node) {
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

#[test]
fn executor_modules_form_no_cycle() {
    let graph = graph();
    assert!(
        graph.contains_key("engine") && graph.contains_key("steps"),
        "{graph:?}"
    );
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("module cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn steps_never_see_the_engine() {
    let graph = graph();
    assert!(!graph["steps"].contains("engine"), "{:?}", graph["steps"]);
    assert!(
        !graph["resources"].contains("journal"),
        "{:?}",
        graph["resources"]
    );
}
