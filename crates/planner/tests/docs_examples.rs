//! The examples in `docs/plan-format.md` are valid: every YAML code block whose first
//! line is `# plan` loads with no error and no warning (as if it were a file in
//! `plans/`, so `templates/...` resolves), every other YAML code block is valid YAML,
//! and every step kind has its own section with an example that uses it.

use std::path::{Path, PathBuf};

use awslab_planner::{LoadError, SourceFile, StepKind, check_source};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The YAML code blocks of the page: (line of the opening fence, text).
fn yaml_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
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
    assert!(current.is_none(), "a ```yaml block is not closed");
    blocks
}

fn page() -> String {
    let path = workspace().join("docs/plan-format.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn is_plan(block: &str) -> bool {
    block.lines().next().is_some_and(|l| l.trim() == "# plan")
}

#[test]
fn every_full_plan_example_loads_without_errors_or_warnings() {
    let blocks = yaml_blocks(&page());
    let mut failures = Vec::new();
    let mut plans = 0;
    for (line, block) in blocks.iter().filter(|(_, b)| is_plan(b)) {
        plans += 1;
        let path = workspace().join("plans/docs-example.yaml");
        match check_source(SourceFile::new(path, block.as_str()), &[]) {
            Ok(sealed) if sealed.warnings.is_empty() => {}
            Ok(sealed) => failures.push(format!(
                "block at line {line} warns: {:?}",
                sealed
                    .warnings
                    .iter()
                    .map(awslab_planner::Diagnostic::one_line)
                    .collect::<Vec<_>>()
            )),
            Err(LoadError::Invalid { diagnostics, .. }) => {
                failures.push(format!(
                    "block at line {line} fails: {:?}",
                    diagnostics
                        .iter()
                        .map(awslab_planner::Diagnostic::one_line)
                        .collect::<Vec<_>>()
                ));
            }
            Err(other) => failures.push(format!("block at line {line}: {other}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        plans > StepKind::LABELS.len(),
        "expected a full plan per step kind and more, found {plans}"
    );
}

#[test]
fn every_other_yaml_example_is_valid_yaml() {
    for (line, block) in yaml_blocks(&page()).iter().filter(|(_, b)| !is_plan(b)) {
        if let Err(err) = awslab_planner::yaml::parse(block) {
            panic!(
                "the ```yaml block at line {line} is not valid YAML: {}",
                err.message
            );
        }
    }
}

#[test]
fn every_step_kind_has_a_section_with_an_example_of_it() {
    let page = page();
    let blocks = yaml_blocks(&page);
    for label in StepKind::LABELS {
        let heading = format!("### `{label}`");
        let Some(start) = page.find(&heading) else {
            panic!("no section `{heading}`")
        };
        let section_line = page[..start].lines().count() + 1;
        let next_section = page[start + heading.len()..]
            .find("\n#")
            .map_or(usize::MAX, |i| {
                section_line + page[start..start + heading.len() + i].lines().count()
            });
        let example = blocks
            .iter()
            .find(|(line, block)| *line > section_line && *line < next_section && is_plan(block));
        let Some((line, block)) = example else {
            panic!("section `{heading}` has no `# plan` example")
        };
        let uses_kind = check_source(
            SourceFile::new(workspace().join("plans/docs-example.yaml"), block.as_str()),
            &[],
        )
        .is_ok_and(|sealed| sealed.plan.steps.values().any(|s| s.kind.label() == *label));
        assert!(
            uses_kind,
            "the example at line {line} does not load or has no `{label}` step"
        );
    }
}
