//! The test kit's own modules form no cycle: `operator_files` (the operator's keys
//! and the AWS CLI files that hold them) below `moto`, which writes them for its server.

use std::path::Path;

use awslab_testkit::{first_cycle, module_graph};

#[test]
fn testkit_modules_form_no_cycle() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")).unwrap();
    assert!(
        graph.contains_key("moto") && graph.contains_key("operator_files"),
        "{graph:?}"
    );
    assert!(
        !graph["operator_files"].contains("moto"),
        "operator_files must not import moto: {graph:?}"
    );
    if let Some(cycle) = first_cycle(&graph) {
        panic!("module cycle: {}", cycle.join(" -> "));
    }
}
