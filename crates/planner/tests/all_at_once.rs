//! `validate` reports every error of a plan at once: a step with a misspelt key or a
//! wrong value is reported and still seen by the checks of the whole plan (here the
//! trust check, which used to speak only once the other errors were fixed), without
//! the defaults that stand in for the faulty values raising errors of their own.

use awslab_planner::{LoadError, SourceFile, check_source};

fn errors(yaml: &str) -> Vec<(String, String)> {
    match check_source(SourceFile::new("lab.yaml", yaml.to_owned()), &[]) {
        Ok(_) => panic!("the plan should be invalid"),
        Err(LoadError::Invalid { diagnostics, .. }) => diagnostics
            .into_iter()
            .filter(|d| d.severity == awslab_planner::Severity::Error)
            .map(|d| (d.code.to_owned(), d.message))
            .collect(),
        Err(other) => panic!("{other:?}"),
    }
}

/// `user` has `access_key` (given as `ACCESS_KEY`), the role `max_session_duration`
/// (as `MAX`), and a trust policy that names another user: assuming it as `user`
/// is refused by the trust check.
fn plan(access_key: &str, max: &str) -> String {
    format!(
        "\
name: lab
steps:
  user:
    iam.user: {{ name: ali, {access_key} }}
  role:
    iam.role:
      name: lab-role
      {max}
      trust_policy:
        Version: \"2012-10-17\"
        Statement:
          - {{ Effect: Allow, Principal: {{ AWS: \"arn:aws:iam::444455556666:user/someone\" }}, Action: sts:AssumeRole }}
  assume:
    sts.assume_role: {{ as: user, role_arn: \"${{role.arn}}\", session_name: lab, duration: 2h }}
"
    )
}

fn codes(found: &[(String, String)]) -> Vec<&str> {
    found.iter().map(|(code, _)| code.as_str()).collect()
}

#[test]
fn the_trust_error_comes_with_a_misspelt_key() {
    let found = errors(&plan("access_key: true", "max_session: 4h"));
    assert_eq!(
        codes(&found),
        ["plan::unknown_key", "plan::trust", "plan::duration"],
        "{found:#?}"
    );
}

#[test]
fn the_trust_error_comes_with_wrong_values_and_their_defaults_raise_nothing() {
    // Without its faulty values the user would have no access key (so no identity)
    // and the role the default 1 h maximum (so 2 h too long): neither is reported.
    let found = errors(&plan(
        "access_key: yes please",
        "max_session_duration: forever",
    ));
    assert_eq!(
        codes(&found),
        ["plan::invalid_value", "plan::invalid_value", "plan::trust"],
        "{found:#?}"
    );
    assert!(found[2].1.contains("does not let `user`"), "{found:#?}");
}

#[test]
fn a_step_missing_a_required_key_is_still_left_out() {
    // Without its trust policy the role cannot be judged; its references are not
    // reported as unknown either.
    let yaml = plan("access_key: true", "").replace("trust_policy:", "trust_polcy:");
    let found = errors(&yaml);
    assert_eq!(codes(&found), ["plan::unknown_key"], "{found:#?}");
}
