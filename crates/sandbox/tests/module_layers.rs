#![expect(
    clippy::unwrap_used,
    reason = "a test that reads the sources fails loudly"
)]

//! The sandbox's layers import downward only: each top-level module may name, through
//! `crate::`, only modules of a lower layer in [`LAYERS`] (never one above it, never
//! one beside it). `docs/architecture.md` draws the same table. Read from the sources:
//! every `crate::MODULE` (and each name of a `crate::{...}` group) that a top-level
//! module's files mention, tests and comments included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, lowest first: a module imports only modules of a lower layer.
const LAYERS: &[(&str, u8)] = &[
    // Types every layer names: errors, inputs, shapes, checks, callers, entities.
    ("model", 0),
    // The world behind a `Store`; identifiers shaped like AWS's.
    ("state", 1),
    ("ids", 1),
    // Protocols: routing, codecs, error bodies. Stateless.
    ("wire", 2),
    ("error", 2),
    // Sending a streamed answer chunk by chunk.
    ("streaming", 2),
    // SigV4, principals, the one authorization decision per check.
    ("auth", 3),
    ("rehearsal", 3),
    // Typed operations on the world, and the registry of services.
    ("services", 4),
    // The API the cli and the executor use, and what answers a request.
    ("sandbox", 5),
    ("dispatch", 6),
    ("client", 6),
    // The sandbox's SAML identity provider, as the cli calls it (`sandbox saml`).
    ("sandbox_saml", 6),
    // Whether a key id is one the sandbox issued (the cli's profile warning).
    ("sandbox_keys", 6),
    ("serve", 7),
];

/// The source files of each top-level module, by module name.
fn sources(dir: &Path, out: &mut Vec<(String, String, String)>, top: Option<&str>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            sources(&path, out, Some(top.unwrap_or(&name)));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let module = top.map_or(name, str::to_owned);
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((module, path.display().to_string(), text));
        }
    }
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The first name of each item of a `{...}` group (`{auth::Caller, ids, state::{..}}`).
fn group_names(group: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut start = true;
    for (index, character) in group.char_indices() {
        match character {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => start = true,
            c if start && (c.is_alphanumeric() || c == '_') => {
                names.push(identifier(&group[index..]));
                start = false;
            }
            _ => {}
        }
    }
    names
}

/// Every top-level module a text names through `crate::`.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for (index, _) in text.match_indices("crate::") {
        let rest = text[index + "crate::".len()..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            named.extend(group_names(group));
        } else {
            named.insert(identifier(rest));
        }
    }
    named
}

/// Edges `module -> module it names`, with the file that names it.
fn graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
        None,
    );
    let modules: BTreeSet<String> = files.iter().map(|(m, _, _)| m.clone()).collect();
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (module, path, text) in &files {
        if module == "lib" {
            continue;
        }
        let edges = graph.entry(module.clone()).or_default();
        for name in named_modules(text) {
            if modules.contains(&name) && &name != module && name != "lib" {
                edges.entry(name).or_insert_with(|| path.clone());
            }
        }
    }
    graph
}

fn layer(module: &str) -> Option<u8> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, layer)| *layer)
}

#[test]
fn every_module_has_a_layer() {
    let graph = graph();
    let unplaced: Vec<&String> = graph.keys().filter(|m| layer(m).is_none()).collect();
    assert!(
        unplaced.is_empty(),
        "modules without a layer: {unplaced:?}; add each to LAYERS in tests/module_layers.rs and to the table in docs/architecture.md"
    );
    for (name, _) in LAYERS {
        assert!(
            graph.contains_key(*name),
            "LAYERS names `{name}`, which is gone"
        );
    }
}

#[test]
fn imports_run_downward_only() {
    let graph = graph();
    let mut wrong = Vec::new();
    for (module, edges) in &graph {
        let Some(own) = layer(module) else { continue };
        for (named, path) in edges {
            let Some(other) = layer(named) else { continue };
            if other >= own {
                let way = if other == own { "sideways" } else { "up" };
                wrong.push(format!(
                    "{path}: `{module}` (layer {own}) imports `{named}` (layer {other}), {way}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_model_and_the_state_import_nothing_above_them() {
    let graph = graph();
    assert!(graph["model"].is_empty(), "{:?}", graph["model"]);
    for above in ["wire", "auth", "services", "dispatch"] {
        assert!(!graph["state"].contains_key(above), "{:?}", graph["state"]);
    }
}

#[test]
fn grouped_imports_are_read() {
    let named = named_modules("use crate::{auth::Caller, services::{self, Input}, state};");
    assert_eq!(
        named,
        ["auth", "services", "state"]
            .into_iter()
            .map(str::to_owned)
            .collect()
    );
    assert!(named_modules("let x = crate::wire::decode(y);").contains("wire"));
}
