//! A plan's own `tags:` (issue 19 §1): accepted and kept in order; refused, at the
//! value's line and column, when a key is reserved, a value names a step's output or a
//! secret variable in the plan's tags, or there are too many.

use std::fmt::Write as _;
use std::path::Path;

use awslab_planner::{LoadError, SourceFile, check_source};

fn errors(text: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans/tags-test.yaml");
    match check_source(SourceFile::new(path, text), &[]) {
        Ok(_) => Vec::new(),
        Err(LoadError::Invalid { diagnostics, .. }) => diagnostics
            .iter()
            .map(awslab_planner::Diagnostic::one_line)
            .collect(),
        Err(other) => vec![other.to_string()],
    }
}

const STEPS: &str = "steps:\n  user: { iam.user: { name: \"u-${run.id}\" } }\n";

#[test]
fn plan_tags_are_read_in_order_with_variables() {
    let text = format!(
        "name: lab\nvars:\n  course: iam-101\ntags:\n  course: \"${{vars.course}}\"\n  owner: team\n  ticket: \"LAB-${{run.id}}\"\n{STEPS}"
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans/tags-test.yaml");
    let sealed =
        check_source(SourceFile::new(path, text.as_str()), &[]).unwrap_or_else(|e| panic!("{e:?}"));
    let keys: Vec<&str> = sealed.plan.tags.keys().map(String::as_str).collect();
    assert_eq!(keys, ["course", "owner", "ticket"]);
}

#[test]
fn errors_for_each_bad_plan_tag_at_its_value() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "tags:\n  awslab:run: mine\n",
            "plan::invalid_tag",
            "tags-test.yaml:3:15",
        ),
        (
            "tags:\n  AWS:x: y\n",
            "plan::invalid_tag",
            "tags-test.yaml:3:10",
        ),
        (
            "tags:\n  who: \"${user.arn}\"\n",
            "plan::invalid_tag",
            "tags-test.yaml:3:8",
        ),
        (
            "tags:\n  bad: \"a#b\"\n",
            "plan::invalid_tag",
            "tags-test.yaml:3:8",
        ),
        (
            "tags: [a, b]\n",
            "plan::invalid_value",
            "tags-test.yaml:2:7",
        ),
        (
            "tags:\n  list: [a]\n",
            "plan::invalid_value",
            "tags-test.yaml:3:9",
        ),
    ];
    for (tags, code, at) in cases {
        let found = errors(&format!("name: lab\n{tags}{STEPS}"));
        assert!(
            found.iter().any(|e| e.contains(code) && e.contains(at)),
            "{tags:?}: expected {code} at {at}, got {found:?}"
        );
    }
}

#[test]
fn errors_for_a_secret_variable_in_any_tag() {
    let plan_tag = errors(&format!(
        "name: lab\nvars:\n  pin: {{ value: abc, secret: true }}\ntags:\n  code: \"x-${{vars.pin}}\"\n{STEPS}"
    ));
    assert!(
        plan_tag
            .iter()
            .any(|e| e.contains("plan::secret_in_tag") && e.contains("tags-test.yaml:5:9")),
        "{plan_tag:?}"
    );
    let step_tag = errors(
        "name: lab\nvars:\n  pin: { value: abc, secret: true }\nsteps:\n  user: { iam.user: { name: u, tags: { code: \"${vars.pin}\" } } }\n",
    );
    assert!(
        step_tag.iter().any(|e| e.contains("plan::secret_in_tag")
            && e.contains("step `user`'s tag `code`")
            && e.contains("tags-test.yaml:5:46")),
        "{step_tag:?}"
    );
    let override_secret = {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans/tags-test.yaml");
        let text =
            format!("name: lab\nvars:\n  pin: abc\ntags:\n  code: \"${{vars.pin}}\"\n{STEPS}");
        let options = awslab_planner::LoadOptions {
            secret_overrides: vec![("pin".to_owned(), "s3cr3t".to_owned())],
            ..Default::default()
        };
        match awslab_planner::check_source_with(SourceFile::new(path, text.as_str()), &options) {
            Err(LoadError::Invalid { diagnostics, .. }) => diagnostics
                .iter()
                .map(awslab_planner::Diagnostic::one_line)
                .collect::<Vec<_>>(),
            other => vec![format!("{:?}", other.map(|_| ()))],
        }
    };
    assert!(
        override_secret
            .iter()
            .any(|e| e.contains("plan::secret_in_tag")),
        "{override_secret:?}"
    );
}

#[test]
fn errors_for_too_many_tags() {
    let mut tags = String::from("tags:\n");
    for n in 0..47 {
        let _ = writeln!(tags, "  t{n}: v");
    }
    let found = errors(&format!("name: lab\n{tags}{STEPS}"));
    assert!(
        found
            .iter()
            .any(|e| e.contains("plan::invalid_tag") && e.contains("the plan has 47 tags")),
        "{found:?}"
    );
    let mut step_tags = String::from("{ ");
    for n in 0..40 {
        let _ = write!(step_tags, "s{n}: v, ");
    }
    step_tags.push('}');
    let found = errors(&format!(
        "name: lab\ntags: {{ a: b, c: d, e: f, g: h, i: j, k: l, m: n }}\nsteps:\n  user: {{ iam.user: {{ name: u, tags: {step_tags} }} }}\n"
    ));
    assert!(
        found
            .iter()
            .any(|e| e.contains("plan::invalid_tag") && e.contains("would carry 51 tags")),
        "{found:?}"
    );
}
