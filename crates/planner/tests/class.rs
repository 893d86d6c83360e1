//! A class (`--learners N` / `--roster FILE`): every step copied once per learner as
//! `STEP[NAME]`, names made the learner's, references to the learner's own copies, and
//! rosters read with located errors.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use awslab_planner::plan::{Class, MAX_LEARNERS};
use awslab_planner::roster::read_roster;
use awslab_planner::{LoadError, LoadOptions, StepKind, load_class};

fn plans_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans")
}

fn errors(result: Result<awslab_planner::SealedPlan, LoadError>) -> Vec<String> {
    match result {
        Ok(_) => panic!("expected errors"),
        Err(LoadError::Invalid { diagnostics, .. }) => diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.location, d.message))
            .collect(),
        Err(other) => vec![other.to_string()],
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Err(error) = std::fs::write(&path, text) {
        panic!("cannot write {}: {error}", path.display());
    }
    path
}

#[test]
fn copies_every_step_per_learner_with_its_own_names_and_references() {
    let class = Class::numbered(3).unwrap();
    let sealed = load_class(
        &plans_dir().join("sts-assume-role.yaml"),
        &LoadOptions::default(),
        &class,
    )
    .unwrap();
    let plan = &sealed.plan;
    assert_eq!(plan.steps.len(), 30);
    assert_eq!(plan.learners.len(), 3);
    let user = &plan.steps["user[learner-02]"];
    let StepKind::IamUser(spec) = &user.kind else {
        panic!()
    };
    assert_eq!(spec.name.value, "sts-lab-user-${run.id}-learner-02");
    let StepKind::CfnStack(stack) = &plan.steps["stack[learner-03]"].kind else {
        panic!()
    };
    assert_eq!(stack.name.value, "sts-lab-${run.id}-learner-03");
    let StepKind::StsAssumeRole(assumed) = &plan.steps["assumed[learner-01]"].kind else {
        panic!()
    };
    assert_eq!(assumed.identity.as_ref().unwrap().value, "user[learner-01]");
    assert_eq!(
        assumed.role_arn.value,
        "${stack[learner-01].outputs.RoleArn}"
    );
    let deps: Vec<&str> = sealed
        .dependencies(&awslab_planner::StepId::new("assumed[learner-01]"))
        .into_iter()
        .map(awslab_planner::StepId::as_str)
        .collect();
    assert!(deps.contains(&"may-assume[learner-01]"), "{deps:?}");
    assert!(deps.iter().all(|d| d.ends_with("[learner-01]")), "{deps:?}");
    assert_eq!(
        plan.learner_of("profile[learner-02]")
            .map(|l| l.name.as_str()),
        Some("learner-02")
    );
    // The profile keeps its name: it is written into the learner's own bundle.
    let StepKind::AwsProfile(profile) = &plan.steps["profile[learner-02]"].kind else {
        panic!()
    };
    assert_eq!(profile.name.value, "${vars.profile}");
}

const CLASS_PLAN: &str = r#"name: class
vars:
  user: "lab-${learner.name}"
steps:
  user:
    iam.user: { name: "${vars.user}", access_key: true }
  bucket:
    s3.bucket: { name: "class-bucket-${learner.id}-${learner.vars.group}" }
  group:
    iam.group: { name: students }
  team:
    for_each: [red, blue]
    iam.group: { name: "team-${each.key}" }
  whoami:
    verify: { as: user, call: sts.GetCallerIdentity, expect: { Arn: "${user.arn}" } }
    needs: [team]
"#;

#[test]
fn learner_names_ids_and_roster_variables_are_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write(dir.path(), "class.yaml", CLASS_PLAN);
    let roster = write(
        dir.path(),
        "roster.csv",
        "name,group\nalice,red\nbob,blue\n",
    );
    let class = read_roster(&roster).unwrap();
    let sealed = load_class(&plan, &LoadOptions::default(), &class).unwrap();
    let steps = &sealed.plan.steps;
    let name = |id: &str| match &steps[id].kind {
        StepKind::IamUser(s) => s.name.value.clone(),
        StepKind::S3Bucket(s) => s.name.value.clone(),
        StepKind::IamGroup(s) => s.name.value.clone(),
        other => panic!("{}", other.label()),
    };
    assert_eq!(name("user[alice]"), "lab-alice");
    assert_eq!(name("bucket[bob]"), "class-bucket-02-blue");
    // A name with no `${learner.*}` or `${run.id}` gets the learner's suffix.
    assert_eq!(name("group[alice]"), "students-alice");
    assert_eq!(name("team[red][bob]"), "team-red-bob");
    let whoami: Vec<String> = sealed
        .dependencies(&awslab_planner::StepId::new("whoami[bob]"))
        .into_iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(whoami, ["user[bob]", "team[red][bob]", "team[blue][bob]"]);
    // The learner's variable is written out in each copy, not kept in the plan.
    assert!(!sealed.plan.vars.contains_key("user"));
}

#[test]
fn learner_references_without_a_class_say_what_to_pass() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write(dir.path(), "class.yaml", CLASS_PLAN);
    let found = errors(awslab_planner::load(&plan, &[]));
    assert!(
        found.iter().any(|e| e.contains("class.yaml:3:")
            && e.contains("`${learner.*}`")
            && e.contains("only when the plan runs for a class")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|e| e.contains("class.yaml:8:")),
        "{found:?}"
    );
}

#[test]
fn a_learner_without_a_roster_variable_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write(dir.path(), "class.yaml", CLASS_PLAN);
    let found = errors(load_class(
        &plan,
        &LoadOptions::default(),
        &Class::numbered(2).unwrap(),
    ));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("class.yaml:8:"), "{found:?}");
    assert!(
        found[0].contains("learner `learner-01` has no variables"),
        "{found:?}"
    );
}

#[test]
fn a_suffixed_name_over_the_aws_limit_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let long = "u".repeat(60);
    let plan = write(
        dir.path(),
        "long.yaml",
        &format!("name: long\nsteps:\n  user:\n    iam.user: {{ name: {long} }}\n"),
    );
    assert!(awslab_planner::load(&plan, &[]).is_ok());
    let found = errors(load_class(
        &plan,
        &LoadOptions::default(),
        &Class::numbered(2).unwrap(),
    ));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("long.yaml:4:"), "{found:?}");
    assert!(found[0].contains("64"), "{found:?}");
}

#[test]
fn rosters_with_bad_names_rows_or_columns_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "dup.csv",
            "name\nalice\nbob\nalice\n",
            "dup.csv:4:1: learner `alice` is named twice",
        ),
        (
            "bad.csv",
            "name\nAlice Smith\n",
            "bad.csv:2:1: learner name `Alice Smith` must be lowercase",
        ),
        (
            "row.csv",
            "name,group\nalice,red\nbob\n",
            "row.csv:3:1: this row has 1 fields; the header row has 2",
        ),
        (
            "head.csv",
            "login,group\nalice,red\n",
            "head.csv:1:1: the roster's header row has no `name` column",
        ),
        (
            "col.csv",
            "name,1st\nalice,red\n",
            "col.csv:1:6: `1st` cannot name a learner variable",
        ),
        (
            "dup.yaml",
            "- alice\n- { name: alice, group: red }\n",
            "dup.yaml:2:11: learner `alice` is named twice",
        ),
        (
            "map.yaml",
            "alice: red\n",
            "map.yaml:1:1: a roster is a list of learners, not a map",
        ),
        (
            "none.yaml",
            "- { group: red }\n",
            "none.yaml:1:3: this learner has no `name`",
        ),
        (
            "empty.csv",
            "name\n",
            "empty.csv:1:1: the roster names no learner",
        ),
    ];
    for (file, text, expected) in cases {
        let path = write(dir.path(), file, text);
        let found = match read_roster(&path) {
            Ok(class) => panic!("{file}: read {class:?}"),
            Err(LoadError::Invalid { diagnostics, .. }) => diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.location, d.message))
                .collect::<Vec<_>>(),
            Err(other) => vec![other.to_string()],
        };
        assert!(
            found
                .iter()
                .any(|e| e.ends_with(expected) || e.contains(expected)),
            "{file}: {found:?}"
        );
    }
    let message = |error: LoadError| match error {
        LoadError::Invalid { diagnostics, .. } => diagnostics[0].message.clone(),
        other @ LoadError::Read { .. } => other.to_string(),
    };
    let missing = message(read_roster(&dir.path().join("nobody.csv")).unwrap_err());
    assert!(
        missing.contains("cannot read roster") && missing.contains("no such file"),
        "{missing}"
    );
    let txt = message(read_roster(&write(dir.path(), "names.txt", "alice\n")).unwrap_err());
    assert!(txt.contains("`.csv`"), "{txt}");
}

#[test]
fn class_sizes_are_bounded() {
    assert!(Class::numbered(0).is_err());
    assert!(Class::numbered(MAX_LEARNERS + 1).is_err());
    let class = Class::numbered(300).unwrap();
    assert_eq!(class.learners[6].name, "learner-007");
    assert_eq!(class.learners[6].id, "007");
    // 300 learners of the seed lab: 3,000 steps, checked and sealed.
    let sealed = load_class(
        &plans_dir().join("sts-assume-role.yaml"),
        &LoadOptions::default(),
        &class,
    )
    .unwrap();
    assert_eq!(sealed.plan.steps.len(), 3_000);
    let too_many = Class::numbered(MAX_LEARNERS).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut text = "name: big\nsteps:\n".to_owned();
    for i in 0..60 {
        let _ = writeln!(
            text,
            "  v{i}:\n    verify: {{ call: sts.GetCallerIdentity, expect: allow }}"
        );
    }
    let plan = write(dir.path(), "big.yaml", &text);
    let found = errors(load_class(&plan, &LoadOptions::default(), &too_many));
    assert!(
        found[0].contains("big.yaml:3:") && found[0].contains("a class may have at most"),
        "{found:?}"
    );
}

#[test]
fn a_plan_with_a_step_named_learner_keeps_it_in_a_class() {
    let sealed = load_class(
        &plans_dir().join("tagged-lab.yaml"),
        &LoadOptions::default(),
        &Class::numbered(2).unwrap(),
    )
    .unwrap();
    let deps: Vec<String> = sealed
        .dependencies(&awslab_planner::StepId::new("stack[learner-02]"))
        .into_iter()
        .map(ToString::to_string)
        .collect();
    assert!(deps.contains(&"learner[learner-02]".to_owned()), "{deps:?}");
}

/// The YAML code blocks of `docs/plan-format.md` whose first line is `# class plan`.
fn doc_class_plans() -> Vec<(usize, String)> {
    let page =
        std::fs::read_to_string(plans_dir().join("../docs/plan-format.md")).unwrap_or_default();
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
    blocks.retain(|(_, b)| b.lines().next().is_some_and(|l| l.trim() == "# class plan"));
    blocks
}

#[test]
fn every_class_plan_example_of_the_docs_loads_for_a_class() {
    let blocks = doc_class_plans();
    assert!(
        !blocks.is_empty(),
        "no `# class plan` example in docs/plan-format.md"
    );
    let dir = tempfile::tempdir().unwrap();
    for (line, block) in blocks {
        let plan = write(dir.path(), "example.yaml", &block);
        let sealed = load_class(&plan, &LoadOptions::default(), &Class::numbered(2).unwrap())
            .unwrap_or_else(|e| panic!("block at line {line}: {e:?}"));
        assert!(
            sealed.warnings.is_empty(),
            "block at line {line}: {:?}",
            sealed.warnings
        );
        // Alone, it says what to pass.
        let alone = errors(awslab_planner::load(&plan, &[]));
        assert!(
            alone
                .iter()
                .any(|e| e.contains("only when the plan runs for a class")),
            "{alone:?}"
        );
        if line > 0 && block.contains("per-learner-bucket") {
            let name = |id: &str| match &sealed.plan.steps[id].kind {
                StepKind::IamUser(s) => s.name.value.clone(),
                StepKind::S3Bucket(s) => s.name.value.clone(),
                StepKind::IamGroup(s) => s.name.value.clone(),
                other => panic!("{}", other.label()),
            };
            assert_eq!(name("user[learner-01]"), "student-01-${run.id}");
            assert_eq!(name("bucket[learner-02]"), "lab-${run.id}-learner-02");
            assert_eq!(name("group[learner-02]"), "students-learner-02");
            assert_eq!(sealed.plan.steps.len(), 8);
        }
    }
}

#[test]
fn roster_values_and_what_they_grow_into_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(2_000);
    let roster = write(
        dir.path(),
        "long.csv",
        &format!("name,note\nalice,{long}\n"),
    );
    let found = match read_roster(&roster) {
        Err(LoadError::Invalid { diagnostics, .. }) => diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.location, d.message))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert!(
        found[0].contains("long.csv:2:1: the value of `note` has 2000 bytes"),
        "{found:?}"
    );
    // 1,000 bytes used 100 times in one value: past the 64 KiB a value may have.
    let value = "x".repeat(1_000);
    let roster = write(dir.path(), "ok.csv", &format!("name,v\nalice,{value}\n"));
    let class = read_roster(&roster).unwrap();
    let many = "${learner.vars.v}".repeat(100);
    let plan = write(
        dir.path(),
        "grow.yaml",
        &format!(
            "name: grow\nsteps:\n  check:\n    verify: {{ call: sts.GetCallerIdentity, expect: {{ Arn: \"{many}\" }} }}\n"
        ),
    );
    let found = errors(load_class(&plan, &LoadOptions::default(), &class));
    assert!(
        found.iter().any(|e| e.contains("grow.yaml:4:")
            && e.contains("grows past 65536 bytes with learner `alice`'s values")),
        "{found:?}"
    );
}
