#![expect(
    clippy::unwrap_used,
    reason = "a test that reads the sources fails loudly"
)]

//! The executor's modules form no cycle: no module imports, directly or through
//! others, a module that imports it (`docs/architecture.md` draws the layers). Read
//! from the sources: every `crate::MODULE` a top-level module's files name.

use std::path::Path;

use awslab_testkit::{ModuleGraph, first_cycle, module_graph};

fn graph() -> ModuleGraph {
    module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")).unwrap()
}

#[test]
fn executor_modules_form_no_cycle() {
    let graph = graph();
    assert!(
        graph.contains_key("engine") && graph.contains_key("steps"),
        "{graph:?}"
    );
    if let Some(cycle) = first_cycle(&graph) {
        panic!("module cycle: {}", cycle.join(" -> "));
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
