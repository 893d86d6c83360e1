//! Every lab plan in `plans/` and `examples/` loads cleanly, and the seed labs keep the run and
//! teardown order their runbooks need.

use std::path::{Path, PathBuf};

use awslab_planner::{LoadError, SealedPlan, SourceFile, StepId, check_source, load};

fn plans_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans")
}

fn plan_files() -> Vec<PathBuf> {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files: Vec<PathBuf> = [plans_dir(), examples]
        .iter()
        .flat_map(|dir| {
            std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    files.sort();
    files
}

fn load_plan(name: &str) -> SealedPlan {
    let path = plans_dir().join(name);
    match load(&path, &[]) {
        Ok(sealed) => sealed,
        Err(err) => panic!("{name} does not load: {err:?}"),
    }
}

fn level_of(sealed: &SealedPlan, id: &str) -> usize {
    let position = sealed
        .levels()
        .iter()
        .position(|level| level.iter().any(|s| s.as_str() == id));
    position.unwrap_or_else(|| panic!("step `{id}` is not in the run order"))
}

#[test]
fn every_plan_loads_without_errors_or_warnings() {
    let files = plan_files();
    assert!(
        files.len() >= 4,
        "expected the seed plans in {}, found {files:?}",
        plans_dir().display()
    );
    let mut problems = Vec::new();
    for file in &files {
        match load(file, &[]) {
            Ok(sealed) if sealed.warnings.is_empty() => {}
            Ok(sealed) => problems.push(format!(
                "{}: warnings:\n  {}",
                file.display(),
                sealed
                    .warnings
                    .iter()
                    .map(awslab_planner::Diagnostic::one_line)
                    .collect::<Vec<_>>()
                    .join("\n  ")
            )),
            Err(LoadError::Invalid { diagnostics, .. }) => problems.push(format!(
                "{}: errors:\n  {}",
                file.display(),
                diagnostics
                    .iter()
                    .map(awslab_planner::Diagnostic::one_line)
                    .collect::<Vec<_>>()
                    .join("\n  ")
            )),
            Err(other) => problems.push(format!("{}: {other}", file.display())),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn every_step_of_every_plan_is_in_the_run_order_once() {
    for file in plan_files() {
        let Ok(sealed) = load(&file, &[]) else {
            continue;
        };
        let mut ordered: Vec<&str> = sealed.order().map(StepId::as_str).collect();
        ordered.sort_unstable();
        let mut declared: Vec<&str> = sealed.plan.steps.keys().map(StepId::as_str).collect();
        declared.sort_unstable();
        assert_eq!(ordered, declared, "{}", file.display());
    }
}

#[test]
fn seed_lab_runs_user_then_stack_then_policy_then_assume_then_verifies() {
    let sealed = load_plan("sts-assume-role.yaml");
    let chain = ["user", "stack", "may-assume", "assumed"];
    for pair in chain.windows(2) {
        assert!(
            level_of(&sealed, pair[0]) < level_of(&sealed, pair[1]),
            "`{}` must run before `{}`; levels: {:?}",
            pair[0],
            pair[1],
            sealed.levels()
        );
    }
    let assumed = level_of(&sealed, "assumed");
    for verify in ["whoami-assumed", "role-lists-bucket", "profile"] {
        assert!(
            level_of(&sealed, verify) > assumed,
            "`{verify}` uses `assumed` and must run after it"
        );
    }
}

#[test]
fn seed_lab_teardown_is_the_reverse_of_its_mutating_steps() {
    let sealed = load_plan("sts-assume-role.yaml");
    let mutating = |id: &&StepId| sealed.step(id).is_some_and(|s| s.kind.mutates());
    let mut run: Vec<&str> = sealed
        .order()
        .filter(mutating)
        .map(StepId::as_str)
        .collect();
    assert_eq!(run, ["user", "stack", "may-assume", "profile"]);
    let teardown_levels = sealed.teardown_levels();
    let teardown: Vec<&str> = teardown_levels
        .iter()
        .flatten()
        .filter(mutating)
        .map(StepId::as_str)
        .collect();
    run.reverse();
    assert_eq!(teardown, run);
    let mut reversed: Vec<Vec<StepId>> = sealed.levels().to_vec();
    reversed.reverse();
    assert_eq!(
        teardown_levels, reversed,
        "teardown levels are the run levels reversed"
    );
}

#[test]
fn seed_004_without_max_session_duration_fails_at_the_duration_line() {
    let path = plans_dir().join("assume-role-iam.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let removed = "      max_session_duration: 4h\n";
    assert!(
        text.contains(removed),
        "the seed 004 plan no longer sets `max_session_duration: 4h`"
    );
    let broken = text.replace(removed, "");
    let duration_line = broken
        .lines()
        .position(|l| l.trim() == "duration: 4h")
        .map(|i| i + 1);
    let column = broken
        .lines()
        .find(|l| l.trim() == "duration: 4h")
        .and_then(|l| l.find("4h"))
        .map(|c| c + 1);
    let found = match check_source(SourceFile::new(path, broken.clone()), &[]) {
        Ok(_) => panic!("the plan loaded without `max_session_duration`"),
        Err(LoadError::Invalid { diagnostics, .. }) => diagnostics,
        Err(other) => panic!("{other}"),
    };
    let durations: Vec<_> = found
        .iter()
        .filter(|d| d.code == "plan::duration")
        .map(|d| {
            (
                Some(d.line_column().0),
                Some(d.line_column().1),
                d.message.clone(),
            )
        })
        .collect();
    assert_eq!(durations.len(), 1, "{durations:?}");
    assert_eq!((durations[0].0, durations[0].1), (duration_line, column));
    assert!(durations[0].2.contains("at most 1h"), "{}", durations[0].2);
    assert_eq!(
        found.len(),
        1,
        "only the duration is wrong: {:?}",
        found
            .iter()
            .map(awslab_planner::Diagnostic::one_line)
            .collect::<Vec<_>>()
    );
}
