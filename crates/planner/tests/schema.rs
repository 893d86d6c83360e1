//! `docs/plan.schema.json` is the planner's JSON Schema as generated; editors read the
//! file, so it must not drift from the step kinds.

use std::path::Path;

use awslab_planner::StepKind;
use awslab_planner::schema::plan_schema;

const REGENERATE: &str = "run `cargo run -p awslab-cli -- schema > docs/plan.schema.json`";

#[test]
fn docs_schema_file_matches_the_generated_schema() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/plan.schema.json");
    let on_disk = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; {REGENERATE}", path.display()));
    let generated = plan_schema();
    if on_disk != generated {
        let line = on_disk
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || on_disk.lines().count().min(generated.lines().count()) + 1,
                |i| i + 1,
            );
        panic!(
            "docs/plan.schema.json is out of date (first difference at line {line}); {REGENERATE}"
        );
    }
}

#[test]
fn schema_describes_every_step_kind() {
    let schema: serde_json::Value = serde_json::from_str(&plan_schema())
        .unwrap_or_else(|e| panic!("the schema is not JSON: {e}"));
    let kinds = &schema["properties"]["steps"]["additionalProperties"]["oneOf"];
    let titles: Vec<&str> = kinds
        .as_array()
        .map(|k| k.iter().filter_map(|k| k["title"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(titles, StepKind::LABELS);
}
