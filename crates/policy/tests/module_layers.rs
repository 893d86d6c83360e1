//! The policy crate's modules form no cycle: `arn`, `pattern`, `error` and the other
//! leaves below `document` and `request`; `parse` above `document` (it builds
//! documents); `evaluate` above `decision`; `explain` above `evaluate`. Read from the
//! sources: every `crate::MODULE` a top-level module's files name.

use std::path::Path;

use awslab_testkit::{first_cycle, module_graph};

#[test]
fn policy_modules_form_no_cycle() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")).unwrap();
    assert!(
        graph.contains_key("document") && graph.contains_key("explain"),
        "{graph:?}"
    );
    if let Some(cycle) = first_cycle(&graph) {
        panic!("module cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn documents_are_below_their_parser_and_principals_below_requests() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")).unwrap();
    let imports = |module: &str, other: &str| graph[module].contains(other);
    assert!(imports("parse", "document"), "{graph:?}");
    assert!(!imports("document", "parse"), "{graph:?}");
    assert!(!imports("request", "principal"), "{graph:?}");
    assert!(!imports("decision", "explain"), "{graph:?}");
}
