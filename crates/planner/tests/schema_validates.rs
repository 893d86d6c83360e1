//! `docs/plan.schema.json` accepts exactly what awslab accepts: every plan in `plans/`
//! (fragments included) and `examples/`, and every `# plan` example of
//! `docs/plan-format.md`, validates against it with a JSON Schema validator; plans
//! awslab refuses for their shape are refused by the schema too. Every plan in
//! `plans/` names the schema on its first line, for editors.

use std::path::{Path, PathBuf};

use awslab_planner::{SourceFile, check_source};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const SCHEMA_LINE: &str = "# yaml-language-server: $schema=../docs/plan.schema.json";

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(workspace().join("docs/plan.schema.json"))
        .unwrap_or_else(|e| panic!("cannot read docs/plan.schema.json: {e}"));
    let schema: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("the schema is not JSON: {e}"));
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("the schema is invalid: {e}"))
}

fn as_json(yaml: &str) -> serde_json::Value {
    serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("not YAML: {e}"))
}

fn schema_errors(validator: &jsonschema::Validator, yaml: &str) -> Vec<String> {
    let instance = as_json(yaml);
    validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() && path.file_name().is_some_and(|n| n == "fragments") {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

fn plan_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    yaml_files(&workspace().join("plans"), &mut files);
    yaml_files(&workspace().join("examples"), &mut files);
    files.sort();
    files
}

fn doc_plans() -> Vec<(usize, String)> {
    let page = std::fs::read_to_string(workspace().join("docs/plan-format.md"))
        .unwrap_or_else(|e| panic!("cannot read docs/plan-format.md: {e}"));
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in page.lines().enumerate() {
        match &mut current {
            None if line.trim_start().starts_with("```yaml") => {
                current = Some((i + 1, String::new()));
            }
            Some(_) if line.trim_start().starts_with("```") => blocks.extend(current.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    blocks.retain(|(_, b)| b.lines().next().is_some_and(|l| l.trim() == "# plan"));
    blocks
}

#[test]
fn every_plan_and_example_validates_against_the_schema() {
    let validator = validator();
    let mut failures = Vec::new();
    let files = plan_files();
    assert!(files.len() >= 5, "found only {files:?}");
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let errors = schema_errors(&validator, &text);
        if !errors.is_empty() {
            failures.push(format!("{}: {}", file.display(), errors.join("; ")));
        }
    }
    let blocks = doc_plans();
    assert!(blocks.len() > 10, "found only {} doc plans", blocks.len());
    for (line, block) in &blocks {
        let errors = schema_errors(&validator, block);
        if !errors.is_empty() {
            failures.push(format!(
                "docs/plan-format.md block at line {line}: {}",
                errors.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn numbers_and_booleans_are_text_where_awslab_reads_them_as_text() {
    let validator = validator();
    let plan = "name: numbers\nsteps:\n  count:\n    verify:\n      call: sts.GetCallerIdentity\n      params: { DurationSeconds: 14400, Enabled: true }\n      expect: { KeyCount: 0 }\n";
    assert_eq!(schema_errors(&validator, plan), Vec::<String>::new());
}

/// Plans awslab refuses for their shape; the schema refuses each too.
const REFUSED: &[(&str, &str)] = &[
    (
        "unknown top key",
        "name: x\nstep:\n  a: { verify: { call: sts.GetCallerIdentity, expect: allow } }\n",
    ),
    ("no steps", "name: x\n"),
    (
        "unknown kind",
        "name: x\nsteps:\n  a: { iam.usr: { name: u } }\n",
    ),
    (
        "unknown field",
        "name: x\nsteps:\n  a: { iam.user: { name: u, acces_key: true } }\n",
    ),
    (
        "two kinds",
        "name: x\nsteps:\n  a: { iam.user: { name: u }, iam.group: { name: g } }\n",
    ),
    (
        "reserved name",
        "name: x\nsteps:\n  vars: { iam.user: { name: u } }\n",
    ),
    (
        "expect a number",
        "name: x\nsteps:\n  a: { verify: { call: sts.GetCallerIdentity, expect: 3 } }\n",
    ),
    (
        "list variable value",
        "name: x\nvars: { a: { value: [1] } }\nsteps:\n  a: { iam.user: { name: u } }\n",
    ),
];

#[test]
fn plans_awslab_refuses_for_their_shape_the_schema_refuses() {
    let validator = validator();
    for (what, plan) in REFUSED {
        let path = workspace().join("plans/refused.yaml");
        assert!(
            check_source(SourceFile::new(path, *plan), &[]).is_err(),
            "awslab accepts the plan with {what}"
        );
        assert!(
            !schema_errors(&validator, plan).is_empty(),
            "the schema accepts the plan with {what}"
        );
    }
}

#[test]
fn every_plan_in_plans_names_the_schema_on_its_first_line() {
    let mut files = Vec::new();
    yaml_files(&workspace().join("plans"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let first = text.lines().next().unwrap_or_default();
        let expected = if file.parent().is_some_and(|p| p.ends_with("fragments")) {
            SCHEMA_LINE.replace("../docs", "../../docs")
        } else {
            SCHEMA_LINE.to_owned()
        };
        assert_eq!(first, expected, "{}", file.display());
    }
}
