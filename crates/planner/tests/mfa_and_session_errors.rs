//! Broken `iam.virtual_mfa_device`, `mfa:`, session tags and source identities, each
//! with the located diagnostic it must produce (code, part of the message, exact
//! `line:column`, part of the help); and `mfa:` orders the session after its device.

use awslab_planner::{Diagnostic, LoadError, SourceFile, check_source};

fn errors(yaml: &str) -> Vec<Diagnostic> {
    match check_source(SourceFile::new("lab.yaml", yaml), &[]) {
        Ok(_) => Vec::new(),
        Err(LoadError::Invalid { diagnostics, .. }) => diagnostics,
        Err(other) => panic!("unexpected load error: {other}"),
    }
}

fn assert_error(yaml: &str, code: &str, at: (usize, usize), message: &str, help: &str) {
    let found = errors(yaml);
    assert!(
        found.iter().any(|d| d.code == code
            && d.line_column() == at
            && d.message.contains(message)
            && d.help.as_deref().unwrap_or_default().contains(help)),
        "expected [{code}] at {at:?} containing {message:?} (help {help:?}); found:\n{}",
        found
            .iter()
            .map(|d| format!(
                "  {} (help: {})",
                d.one_line(),
                d.help.as_deref().unwrap_or("-")
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

const USER_AND_DEVICE: &str = r#"name: lab
steps:
  user:
    iam.user: { name: "u-${run.id}", access_key: true }
  device:
    iam.virtual_mfa_device: { name: "u-${run.id}", user: "${user.name}" }
"#;

#[test]
fn mfa_must_name_an_mfa_device_step() {
    let yaml = format!(
        "{USER_AND_DEVICE}  session:\n    sts.get_session_token: {{ as: user, mfa: user }}\n"
    );
    assert_error(
        &yaml,
        "plan::not_an_mfa_device",
        (8, 45),
        "names step `user` (iam.user), not an MFA device",
        "iam.virtual_mfa_device",
    );
}

#[test]
fn mfa_naming_an_unknown_step_suggests_the_device() {
    let yaml = format!(
        "{USER_AND_DEVICE}  session:\n    sts.get_session_token: {{ as: user, mfa: devise }}\n"
    );
    assert_error(
        &yaml,
        "plan::unknown_reference",
        (8, 45),
        "`mfa` of step `session` names unknown step `devise`",
        "device",
    );
}

#[test]
fn mfa_orders_the_session_after_its_device() {
    let yaml = format!(
        "{USER_AND_DEVICE}  session:\n    sts.assume_role: {{ as: user, role_arn: \"arn:aws:iam::123456789012:role/r\", session_name: ss, mfa: device }}\n"
    );
    let sealed = check_source(SourceFile::new("lab.yaml", yaml.as_str()), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let order: Vec<&str> = sealed.order().map(awslab_planner::StepId::as_str).collect();
    let device = order
        .iter()
        .position(|s| *s == "device")
        .unwrap_or_else(|| panic!("{order:?}"));
    let session = order.iter().position(|s| *s == "session").unwrap();
    assert!(device < session, "{order:?}");
}

#[test]
fn a_bad_mfa_device_name_is_located() {
    let yaml = "name: lab\nsteps:\n  user:\n    iam.user: { name: u }\n  device:\n    iam.virtual_mfa_device: { name: \"my phone\", user: \"${user.name}\" }\n";
    assert_error(
        yaml,
        "plan::invalid_name",
        (6, 37),
        "virtual MFA device name `my phone` contains ` `",
        "letters, digits",
    );
}

const ROLE: &str = r#"name: lab
steps:
  role:
    iam.role:
      name: r
      trust_policy:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Principal: { AWS: "arn:aws:iam::${account.id}:root" }, Action: [sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity] }
"#;

#[test]
fn a_transitive_key_must_be_a_session_tag() {
    let yaml = format!(
        "{ROLE}  session:\n    sts.assume_role: {{ role_arn: \"${{role.arn}}\", session_name: ss, tags: {{ team: red }}, transitive_tag_keys: [project] }}\n"
    );
    assert_error(
        &yaml,
        "plan::session_tags",
        (11, 110),
        "transitive tag key `project` of step `session` is not one of its session `tags`",
        "`team`",
    );
}

#[test]
fn more_than_fifty_session_tags_are_refused_at_the_fifty_first() {
    let tags: Vec<String> = (1..=51).map(|i| format!("        k{i}: v")).collect();
    let yaml = format!(
        "{ROLE}  session:\n    sts.assume_role:\n      role_arn: ${{role.arn}}\n      session_name: s\n      tags:\n{}\n",
        tags.join("\n")
    );
    // The 51st tag's value: line 15 + 50.
    assert_error(
        &yaml,
        "plan::session_tags",
        (65, 14),
        "passes 51 session tags; AWS allows at most 50",
        "",
    );
}

#[test]
fn session_tag_keys_are_checked() {
    let yaml = format!(
        "{ROLE}  session:\n    sts.assume_role: {{ role_arn: \"${{role.arn}}\", session_name: ss, tags: {{ \"aws:team\": red, Team: a, team: b }} }}\n"
    );
    assert_error(
        &yaml,
        "plan::session_tags",
        (11, 87),
        "session tag key `aws:team` of step `session` starts with `aws:`",
        "",
    );
    assert_error(
        &yaml,
        "plan::session_tags",
        (11, 107),
        "session tag keys `Team` and `team` of step `session` differ only in case",
        "keep one",
    );
}

#[test]
fn a_bad_source_identity_is_located() {
    let yaml = format!(
        "{ROLE}  session:\n    sts.assume_role: {{ role_arn: \"${{role.arn}}\", session_name: ss, source_identity: \"a b\" }}\n"
    );
    assert_error(
        &yaml,
        "plan::invalid_name",
        (11, 84),
        "source identity `a b` of step `session` is not one AWS accepts",
        "2 to 64",
    );
}

#[test]
fn a_chained_session_longer_than_an_hour_is_refused() {
    let yaml = format!(
        "{ROLE}  first:\n    sts.assume_role: {{ role_arn: \"${{role.arn}}\", session_name: aa }}\n  second:\n    sts.assume_role: {{ as: first, role_arn: \"${{role.arn}}\", session_name: bb, duration: 2h }}\n"
    );
    assert_error(
        &yaml,
        "plan::duration",
        (13, 88),
        "(role chaining), which AWS limits to 1h",
        "",
    );
}

#[test]
fn tags_and_source_identity_need_the_trust_policy_to_allow_them() {
    let yaml = r#"name: lab
steps:
  role:
    iam.role:
      name: r
      trust_policy:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Principal: { AWS: "arn:aws:iam::${account.id}:root" }, Action: sts:AssumeRole }
  tagged:
    sts.assume_role: { role_arn: "${role.arn}", session_name: tagged, tags: { team: red } }
  traced:
    sts.assume_role: { role_arn: "${role.arn}", session_name: traced, source_identity: ana }
"#;
    assert_error(
        yaml,
        "plan::trust",
        (11, 5),
        "step `tagged` passes session `tags`, but the trust policy of role step `role` does not allow `sts:TagSession`",
        "add `sts:TagSession`",
    );
    assert_error(
        yaml,
        "plan::trust",
        (13, 5),
        "does not allow `sts:SetSourceIdentity`",
        "add `sts:SetSourceIdentity`",
    );
    let allowed = yaml.replace(
        "Action: sts:AssumeRole }",
        "Action: [sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity] }",
    );
    assert!(errors(&allowed).is_empty(), "{:?}", errors(&allowed));
}
