//! The planner's modules form no cycle (`docs/architecture.md`): reading a plan
//! (`plan`) never imports the entry points that read plans (`load`) nor the checks run
//! after it; `include:` reaches them through the `Loader` that `load` gives.

use std::path::Path;

use awslab_testkit::{first_cycle, module_graph};

#[test]
fn planner_modules_form_no_cycle() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")).unwrap();
    assert!(
        graph.contains_key("plan") && graph.contains_key("load") && graph.contains_key("checks"),
        "{graph:?}"
    );
    for low in ["plan", "template", "source"] {
        assert!(
            !graph[low].contains("load"),
            "{low} imports load: {:?}",
            graph[low]
        );
        assert!(
            !graph[low].contains("checks"),
            "{low} imports checks: {:?}",
            graph[low]
        );
    }
    if let Some(cycle) = first_cycle(&graph) {
        panic!("module cycle: {}", cycle.join(" -> "));
    }
}
