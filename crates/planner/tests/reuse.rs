//! Reuse (issue 17 §5): `--var-file` files, `for_each` instances with stable ids, and
//! their mistakes, each located in the file that holds it (`file:line:column`).

use std::path::{Path, PathBuf};

use awslab_planner::{
    Diagnostic, LoadError, LoadOptions, SealedPlan, SourceFile, check_source, load_with,
};

fn located(result: Result<SealedPlan, LoadError>) -> Vec<String> {
    match result {
        Ok(sealed) => panic!("the plan loads, with {} steps", sealed.plan.steps.len()),
        Err(LoadError::Invalid { diagnostics, .. }) => {
            diagnostics.iter().map(Diagnostic::one_line).collect()
        }
        Err(other) => panic!("{other}"),
    }
}

fn check(yaml: &str) -> Result<SealedPlan, LoadError> {
    check_source(SourceFile::new("lab.yaml", yaml), &[])
}

fn assert_one(lines: &[String], code: &str, at: &str, part: &str) {
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("[{code}]: {at}: ")) && l.contains(part)),
        "no `{code}` at {at} with `{part}` in {lines:#?}"
    );
}

const TEAMS: &str = "name: teams
vars:
  teams: [red, blue]
steps:
  user:
    for_each: \"${vars.teams}\"
    iam.user: { name: \"lab-${each.key}-${run.id}\", access_key: true }
  who:
    for_each: \"${vars.teams}\"
    verify: { as: \"user[${each.key}]\", call: sts.GetCallerIdentity, expect: allow }
  last:
    needs: [who]
    verify: { call: sts.GetCallerIdentity, expect: { Arn: \"${user[red].arn}\" } }
";

#[test]
fn for_each_makes_one_step_per_item_with_stable_ids() {
    let sealed = check(TEAMS).unwrap_or_else(|e| panic!("{e:?}"));
    let ids: Vec<&str> = sealed
        .plan
        .steps
        .keys()
        .map(awslab_planner::StepId::as_str)
        .collect();
    assert_eq!(
        ids,
        ["user[red]", "user[blue]", "who[red]", "who[blue]", "last"]
    );
    let who = awslab_planner::StepId::new("who[blue]");
    let deps: Vec<&str> = sealed
        .dependencies(&who)
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(deps, ["user[blue]"]);
    let last = awslab_planner::StepId::new("last");
    let deps: Vec<&str> = sealed
        .dependencies(&last)
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(deps, ["user[red]", "who[red]", "who[blue]"]);
    assert_eq!(
        sealed.plan.instances["user"],
        [
            awslab_planner::StepId::new("user[red]"),
            awslab_planner::StepId::new("user[blue]")
        ]
    );
}

#[test]
fn for_each_over_a_map_of_maps_reads_fields() {
    let yaml = "name: teams
steps:
  group:
    for_each: { red: { path: /red/ }, blue: { path: /blue/ } }
    iam.group: { name: \"g-${each.key}\", path: \"${each.value.path}\" }
";
    let sealed = check(yaml).unwrap_or_else(|e| panic!("{e:?}"));
    let step = sealed.step(&awslab_planner::StepId::new("group[blue]"));
    let Some(awslab_planner::StepKind::IamGroup(group)) = step.map(|s| &s.kind) else {
        panic!("no group[blue]");
    };
    assert_eq!(group.name.value, "g-blue");
}

#[test]
fn for_each_mistakes_are_located() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "name: x\nvars: { teams: [red, red] }\nsteps:\n  u:\n    for_each: \"${vars.teams}\"\n    iam.group: { name: \"g-${each.key}\" }\n",
            "plan::duplicate_key",
            "lab.yaml:2:22",
            "`red` is given twice",
        ),
        (
            "name: x\nvars: { teams: [] }\nsteps:\n  u:\n    for_each: \"${vars.teams}\"\n    iam.group: { name: \"g-${each.key}\" }\n",
            "plan::invalid_value",
            "lab.yaml:5:15",
            "has no items",
        ),
        (
            "name: x\nsteps:\n  u:\n    for_each: [\"a b\"]\n    iam.group: { name: \"g-${each.key}\" }\n",
            "plan::invalid_value",
            "lab.yaml:4:16",
            "cannot name an instance",
        ),
        (
            "name: x\nsteps:\n  u:\n    for_each: [a]\n    iam.group: { name: \"g\" }\n  v:\n    iam.group: { name: \"${u[b].name}\" }\n",
            "plan::unknown_reference",
            "lab.yaml:7:25",
            "step `u` has no instance `u[b]`",
        ),
        (
            "name: x\nsteps:\n  u:\n    for_each: [a]\n    iam.group: { name: \"g\" }\n  v:\n    iam.group: { name: \"${u.name}\" }\n",
            "plan::unknown_reference",
            "lab.yaml:7:25",
            "is several steps",
        ),
        (
            "name: x\nsteps:\n  v:\n    iam.group: { name: \"${each.key}\" }\n",
            "plan::bad_reference",
            "lab.yaml:4:25",
            "only in a step with `for_each`",
        ),
        (
            "name: x\nsteps:\n  u:\n    for_each: [a]\n    iam.group: { name: \"${each.value.path}\" }\n",
            "plan::bad_reference",
            "lab.yaml:5:25",
            "one value, with no fields",
        ),
        (
            "name: x\nvars: { one: a }\nsteps:\n  u:\n    for_each: \"${vars.one}\"\n    iam.group: { name: g }\n",
            "plan::unknown_var",
            "lab.yaml:5:15",
            "which is one value",
        ),
        (
            "name: x\nsteps:\n  u:\n    for_each: [a]\n    iam.group: { name: g }\n  u:\n    iam.group: { name: h }\n",
            "plan::duplicate_step",
            "lab.yaml:6:3",
            "defined twice",
        ),
    ];
    for (yaml, code, at, part) in cases {
        assert_one(&located(check(yaml)), code, at, part);
    }
}

#[test]
fn for_each_over_too_many_items_is_refused_without_expanding() {
    let items: Vec<String> = (0..600).map(|i| format!("t{i}")).collect();
    let yaml = format!(
        "name: x\nsteps:\n  u:\n    for_each: [{}]\n    iam.group: {{ name: \"g-${{each.key}}\" }}\n",
        items.join(", ")
    );
    assert_one(
        &located(check(&yaml)),
        "plan::budget",
        "lab.yaml:4:5",
        "makes 600 instances",
    );
    // A million items cross the YAML budget before any value is built.
    let million = format!(
        "name: x\nsteps:\n  u:\n    for_each: [{}]\n    iam.group: {{ name: g }}\n",
        "a, ".repeat(1_000_000)
    );
    let lines = located(check(&million));
    assert!(
        lines.iter().any(|l| l.contains("plan::budget")),
        "{lines:#?}"
    );
}

fn lab_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The plan without its last step, which names `user[red]`.
    let plan = TEAMS.split("  last:").next().unwrap_or_default();
    std::fs::write(dir.path().join("lab.yaml"), plan).unwrap_or_else(|e| panic!("{e}"));
    dir
}

fn with_files(
    dir: &Path,
    files: &[(&str, &str)],
    vars: &[(&str, &str)],
) -> Result<SealedPlan, LoadError> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        paths.push(path);
    }
    let options = LoadOptions {
        var_files: paths,
        overrides: vars
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        ..LoadOptions::default()
    };
    load_with(&dir.join("lab.yaml"), &options)
}

#[test]
fn var_files_set_lists_later_files_win_and_var_wins_over_files() {
    let dir = lab_dir();
    let sealed = with_files(dir.path(), &[("a.yaml", "teams: [green]\n")], &[])
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(sealed.plan.steps.contains_key("user[green]"));
    assert!(!sealed.plan.steps.contains_key("user[red]"));
    let sealed = with_files(
        dir.path(),
        &[
            ("a.yaml", "teams: [green]\n"),
            ("b.yaml", "teams: [gold, grey]\n"),
        ],
        &[],
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(sealed.plan.steps.contains_key("user[grey]"));
    assert!(!sealed.plan.steps.contains_key("user[green]"));

    let yaml = "name: x\nvars: { group: a, token: t }\nsteps:\n  g: { iam.group: { name: \"${vars.group}\" } }\n";
    std::fs::write(dir.path().join("lab.yaml"), yaml).unwrap_or_else(|e| panic!("{e}"));
    let sealed = with_files(
        dir.path(),
        &[("a.yaml", "group: from-file\n")],
        &[("group", "from-var")],
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(sealed.plan.vars["group"].value, "from-var");
    let sealed = with_files(
        dir.path(),
        &[("a.yaml", "token: { value: hidden, secret: true }\n")],
        &[],
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(sealed.plan.vars["token"].value, "hidden");
    assert!(sealed.plan.secrets.contains("token"));
}

#[test]
fn var_file_mistakes_are_located_in_that_file_and_never_show_its_lines() {
    let dir = lab_dir();
    let file = dir.path().join("v.yaml");
    let at = |line: usize, column: usize| format!("{}:{line}:{column}", file.display());
    let cases: &[(&str, &str, (usize, usize), &str)] = &[
        (
            "teams: [red]\nteam: [blue]\n",
            "plan::unknown_var",
            (2, 1),
            "`team` names no variable",
        ),
        (
            "teams: s3cret-value\n",
            "plan::var_file",
            (1, 8),
            "is a list or map in the plan",
        ),
        (
            "teams: [red, \"a b\"]\n",
            "plan::invalid_value",
            (1, 14),
            "cannot name an instance",
        ),
        ("teams: [red\n", "plan::syntax", (1, 8), "not valid YAML"),
        (
            "- red\n",
            "plan::var_file",
            (1, 1),
            "a variable file is a map",
        ),
        (
            "teams: [red]\nteams: [blue]\n",
            "plan::duplicate_var",
            (2, 1),
            "given twice",
        ),
    ];
    for (text, code, (line, column), part) in cases {
        let result = with_files(dir.path(), &[("v.yaml", text)], &[]);
        let Err(LoadError::Invalid { diagnostics, .. }) = result else {
            panic!("{text:?} was accepted");
        };
        let lines: Vec<String> = diagnostics.iter().map(Diagnostic::one_line).collect();
        assert_one(&lines, code, &at(*line, *column), part);
        for d in &diagnostics {
            let shown = format!("{d} {:?} {:?}", d.help, d.label);
            assert!(
                !shown.contains("s3cret"),
                "a var file's value is shown: {shown}"
            );
            assert!(
                miette::Diagnostic::source_code(d).is_none() || !d.location.contains("v.yaml"),
                "a var file's lines would be drawn: {}",
                d.one_line()
            );
        }
    }
}

#[test]
fn a_var_file_over_the_plan_budget_is_refused() {
    let dir = lab_dir();
    let big = format!("teams: [red]\n#{}\n", "x".repeat(1024 * 1024));
    let lines = located(with_files(dir.path(), &[("v.yaml", &big)], &[]));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("plan::budget") && l.contains("variable file")),
        "{lines:#?}"
    );
    let missing = load_with(
        &dir.path().join("lab.yaml"),
        &LoadOptions {
            var_files: vec![dir.path().join("absent.yaml")],
            ..LoadOptions::default()
        },
    );
    assert!(matches!(missing, Err(LoadError::Read { .. })));
}

/// A lab folder with `lab.yaml` and files beside it.
fn lab_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

fn load_lab(dir: &Path) -> Result<SealedPlan, LoadError> {
    load_with(&dir.join("lab.yaml"), &LoadOptions::default())
}

const FRAGMENT: &str = "name: team
vars: { team: red }
outputs: { group: \"${group.arn}\" }
steps:
  group:
    iam.group: { name: \"g-${vars.team}-${run.id}\" }
  member-user:
    iam.user: { name: \"u-${vars.team}-${run.id}\" }
  member:
    iam.group_membership: { group: \"${group.name}\", user: \"${member-user.name}\" }
";

#[test]
fn include_namespaces_steps_and_reads_outputs() {
    let dir = lab_with(&[
        ("fragments/team.yaml", FRAGMENT),
        (
            "lab.yaml",
            "name: lab
include:
  blue: { file: fragments/team.yaml, vars: { team: blue } }
  red: { file: fragments/team.yaml }
steps:
  check:
    verify: { call: iam.GetGroup, params: { GroupName: \"${blue/group.name}\" }, expect: { Arn: \"${blue.group}\" } }
    needs: [red]
",
        ),
    ]);
    let sealed = load_lab(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    let ids: Vec<&str> = sealed
        .plan
        .steps
        .keys()
        .map(awslab_planner::StepId::as_str)
        .collect();
    assert_eq!(
        ids,
        [
            "check",
            "blue/group",
            "blue/member-user",
            "blue/member",
            "red/group",
            "red/member-user",
            "red/member"
        ]
    );
    let member = awslab_planner::StepId::new("blue/member");
    let deps: Vec<&str> = sealed
        .dependencies(&member)
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(deps, ["blue/group", "blue/member-user"]);
    let check = awslab_planner::StepId::new("check");
    let deps: Vec<&str> = sealed
        .dependencies(&check)
        .into_iter()
        .map(awslab_planner::StepId::as_str)
        .collect();
    assert_eq!(
        deps,
        ["blue/group", "red/group", "red/member-user", "red/member"]
    );
    let Some(awslab_planner::StepKind::IamGroup(group)) = sealed
        .step(&awslab_planner::StepId::new("blue/group"))
        .map(|s| &s.kind)
    else {
        panic!("no blue/group");
    };
    assert_eq!(group.name.value, "g-blue-${run.id}");
}

/// Files of a lab, and the diagnostic's code, location and a part of its message.
type IncludeCase = (
    Vec<(&'static str, String)>,
    &'static str,
    &'static str,
    &'static str,
);

#[test]
fn include_mistakes_are_located_in_the_file_that_holds_them() {
    let main = |include: &str| {
        format!("name: lab\ninclude:\n  {include}\nsteps:\n  g: {{ iam.group: {{ name: g }} }}\n")
    };
    let cases: Vec<IncludeCase> = vec![
        (
            vec![
                ("lab.yaml", main("blue: { file: fragments/team.yaml }")),
                ("fragments/team.yaml", FRAGMENT.replace("iam.user:", "iam.usr:")),
            ],
            "plan::unknown_kind",
            "fragments/team.yaml:8:5",
            "unknown step kind `iam.usr`",
        ),
        (
            vec![
                ("lab.yaml", main("blue: { file: fragments/team.yaml, vars: { teem: x } }")),
                ("fragments/team.yaml", FRAGMENT.to_owned()),
            ],
            "plan::unknown_var",
            "lab.yaml:3:46",
            "does not declare",
        ),
        (
            vec![
                ("lab.yaml", main("blue: { file: fragments/absent.yaml }")),
            ],
            "plan::file",
            "lab.yaml:3:17",
            "cannot be read",
        ),
        (
            vec![
                ("lab.yaml", main("blue: { file: ../outside.yaml }")),
                ("../outside.yaml", FRAGMENT.to_owned()),
            ],
            "plan::file_outside",
            "lab.yaml:3:17",
            "outside the plan's folder",
        ),
        (
            vec![
                ("lab.yaml", main("blue: { file: a.yaml }")),
                ("a.yaml", "name: a\ninclude: { b: { file: b.yaml } }\nsteps:\n  g: { iam.group: { name: a } }\n".to_owned()),
                ("b.yaml", "name: b\ninclude: { a: { file: a.yaml } }\nsteps:\n  g: { iam.group: { name: b } }\n".to_owned()),
            ],
            "plan::include_cycle",
            "b.yaml:2:23",
            "`a.yaml` includes `b.yaml` includes `a.yaml`",
        ),
        (
            vec![
                ("lab.yaml", main("blue: { file: fragments/team.yaml }")),
                ("fragments/team.yaml", FRAGMENT.replace("outputs: { group: \"${group.arn}\" }", "outputs: { group: \"${grup.arn}\" }")),
            ],
            "plan::unknown_reference",
            "fragments/team.yaml:3:20",
            "output `group` refers to unknown step `grup`",
        ),
        (
            vec![
                ("lab.yaml", main("g: { file: fragments/team.yaml }")),
                ("fragments/team.yaml", FRAGMENT.to_owned()),
            ],
            "plan::duplicate_step",
            "lab.yaml:5:3",
            "names both a step and an include",
        ),
        (
            vec![
                ("lab.yaml", main("blue: { file: fragments/team.yaml }")),
                ("fragments/team.yaml", FRAGMENT.replace("vars: { team: red }", "vars: { team: red, token: { value: t, secret: true } }")),
            ],
            "plan::invalid_value",
            "lab.yaml:3:3",
            "declares secret variable `token`",
        ),
    ];
    for (files, code, at, part) in cases {
        let outer = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = outer.path().join("lab");
        for (name, text) in &files {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap_or(&root))
                .unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        }
        let lines: Vec<String> = located(load_lab(&root))
            .into_iter()
            .map(|l| l.replace(&format!("{}/", root.display()), ""))
            .collect();
        assert_one(&lines, code, at, part);
    }
}

#[test]
fn includes_nest_at_most_four_deep() {
    let mut files: Vec<(String, String)> = vec![(
        "lab.yaml".to_owned(),
        "name: lab\ninclude: { f1: { file: f1.yaml } }\nsteps:\n  g: { iam.group: { name: g } }\n"
            .to_owned(),
    )];
    for depth in 1..=6 {
        files.push((
            format!("f{depth}.yaml"),
            format!(
                "name: f{depth}\ninclude: {{ f{next}: {{ file: f{next}.yaml }} }}\nsteps:\n  g: {{ iam.group: {{ name: g{depth} }} }}\n",
                next = depth + 1
            ),
        ));
    }
    files.push((
        "f7.yaml".to_owned(),
        "name: f7\nsteps:\n  g: { iam.group: { name: g7 } }\n".to_owned(),
    ));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = lab_with(&refs);
    let lines = located(load_lab(dir.path()));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("plan::budget") && l.contains("more than 4 deep")),
        "{lines:#?}"
    );
}

#[test]
fn including_one_fragment_thousands_of_times_is_refused() {
    let includes = (0..1_000).fold(String::new(), |mut out, i| {
        out.push_str("  i");
        out.push_str(&i.to_string());
        out.push_str(": { file: f.yaml }\n");
        out
    });
    let dir = lab_with(&[
        (
            "f.yaml",
            "name: f\nsteps:\n  g: { iam.group: { name: g } }\n",
        ),
        (
            "lab.yaml",
            &format!(
                "name: lab\ninclude:\n{includes}steps:\n  g: {{ iam.group: {{ name: g }} }}\n"
            ),
        ),
    ]);
    let lines = located(load_lab(dir.path()));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("plan::budget") && l.contains("more than 200 times")),
        "{lines:#?}"
    );
}

#[test]
fn an_include_input_may_name_another_includes_output() {
    let dir = lab_with(&[
        ("fragments/team.yaml", FRAGMENT),
        (
            "fragments/check.yaml",
            "name: check
vars: { arn: \"arn:aws:iam::123456789012:group/g\" }
steps:
  is-group:
    verify: { call: sts.GetCallerIdentity, expect: { Arn: \"${vars.arn}\" } }
",
        ),
        (
            "lab.yaml",
            "name: lab
include:
  blue: { file: fragments/team.yaml, vars: { team: blue } }
  check: { file: fragments/check.yaml, vars: { arn: \"${blue.group}\" } }
steps:
  g: { iam.group: { name: g } }
",
        ),
    ]);
    let sealed = load_lab(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    let check = awslab_planner::StepId::new("check/is-group");
    let deps: Vec<&str> = sealed
        .dependencies(&check)
        .into_iter()
        .map(awslab_planner::StepId::as_str)
        .collect();
    assert_eq!(deps, ["blue/group"]);
}

#[test]
fn a_for_each_that_would_copy_megabytes_is_refused_before_copying() {
    let big = "x".repeat(60_000);
    let items: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
    let yaml = format!(
        "name: x\nsteps:\n  u:\n    for_each: [{}]\n    iam.group: {{ name: \"g-${{each.key}}\", path: \"/{big}/\" }}\n",
        items.join(", ")
    );
    let lines = located(check(&yaml));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("plan::budget") && l.contains("would copy")),
        "{lines:#?}"
    );
}
