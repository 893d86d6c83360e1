//! `permissions_boundary:` on users and roles, `iam.oidc_provider`, `iam.saml_provider`
//! and a web identity `sandbox_token`: each broken plan gives its diagnostic at its
//! exact `line:column`, and the working forms load with the edges they imply.

use awslab_planner::{Diagnostic, LoadError, SourceFile, check_source};

fn errors(yaml: &str) -> Vec<Diagnostic> {
    match check_source(SourceFile::new("lab.yaml", yaml), &[]) {
        Err(LoadError::Invalid { diagnostics, .. }) => diagnostics,
        Ok(_) => panic!("the plan loaded, but it has mistakes:\n{yaml}"),
        Err(other) => panic!("unexpected load error: {other}"),
    }
}

fn has(found: &[Diagnostic], code: &str, at: (usize, usize), message: &str, help: &str) {
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

const POLICY: &str = "{ Version: \"2012-10-17\", Statement: { Effect: Allow, Action: \"s3:Get*\", Resource: \"*\" } }";

#[test]
fn boundary_must_be_a_managed_policy_arn() {
    let yaml = format!(
        "\
name: lab
steps:
  other:
    iam.user: {{ name: other }}
  cap:
    iam.policy: {{ name: cap, document: {POLICY} }}
  alice:
    iam.user: {{ name: alice, permissions_boundary: \"${{other.arn}}\" }}
  bob:
    iam.user: {{ name: bob, permissions_boundary: \"arn:aws:iam::123456789012:role/r\" }}
  carol:
    iam.role:
      name: carol
      trust_policy: {{ Version: \"2012-10-17\", Statement: {{ Effect: Allow, Principal: {{ Service: ec2.amazonaws.com }}, Action: sts:AssumeRole }} }}
      permissions_boundary: \"${{cap.name}}\"
"
    );
    let found = errors(&yaml);
    has(
        &found,
        "plan::invalid_arn",
        (8, 52),
        "`permissions_boundary` refers to `${other.arn}`, which is not the ARN of a managed policy",
        "`${POLICY-STEP.arn}`",
    );
    has(
        &found,
        "plan::invalid_arn",
        (10, 50),
        "is not a policy ARN: the resource part must start with `policy/`",
        "arn:aws:iam::aws:policy/",
    );
    has(
        &found,
        "plan::invalid_arn",
        (15, 29),
        "refers to `${cap.name}`",
        "iam.policy",
    );
}

#[test]
fn boundary_from_a_policy_step_adds_the_edge_and_loads() {
    let yaml = format!(
        "\
name: lab
steps:
  cap:
    iam.policy: {{ name: cap, document: {POLICY} }}
  alice:
    iam.user: {{ name: alice, permissions_boundary: \"${{cap.arn}}\" }}
  bob:
    iam.user: {{ name: bob, permissions_boundary: arn:aws:iam::aws:policy/ReadOnlyAccess }}
"
    );
    let sealed = check_source(SourceFile::new("lab.yaml", yaml.as_str()), &[])
        .unwrap_or_else(|e| panic!("{e:?}"));
    let alice = awslab_planner::StepId::new("alice");
    let cap = awslab_planner::StepId::new("cap");
    assert!(
        sealed.depends_on(&alice, &cap),
        "`alice` must wait for its boundary"
    );
}

#[test]
fn oidc_provider_fields_are_checked() {
    let found = errors(
        "\
name: lab
steps:
  idp:
    iam.oidc_provider:
      url: http://example.com
      client_id_list: []
      thumbprints: [abc]
",
    );
    has(
        &found,
        "plan::invalid_value",
        (5, 12),
        "must start with `https://`",
        "oidc.awslab.localhost",
    );
    has(
        &found,
        "plan::invalid_value",
        (4, 5),
        "lists 0 audiences",
        "sts.amazonaws.com",
    );
    has(
        &found,
        "plan::invalid_value",
        (7, 21),
        "thumbprint `abc` is not 40 hex digits",
        "SHA-1",
    );
}

#[test]
fn saml_provider_needs_metadata_one_way_and_a_valid_name() {
    let found = errors(
        "\
name: lab
steps:
  none:
    iam.saml_provider: { name: corp }
  short:
    iam.saml_provider: { name: \"bad name\", metadata: \"<EntityDescriptor/>\" }
",
    );
    has(
        &found,
        "plan::missing_key",
        (4, 5),
        "exactly one of `metadata` and `metadata_file`",
        "metadata_file:",
    );
    has(
        &found,
        "plan::invalid_value",
        (6, 54),
        "it has 19 characters; IAM takes 1,000 to 10,000,000",
        "EntityDescriptor",
    );
    has(
        &found,
        "plan::invalid_name",
        (6, 32),
        "SAML provider name `bad name` contains ` `",
        "`._-`",
    );
}

#[test]
fn saml_metadata_file_must_exist() {
    let found = errors(
        "\
name: lab
steps:
  idp:
    iam.saml_provider: { name: corp, metadata_file: missing.xml }
",
    );
    has(
        &found,
        "plan::file",
        (4, 53),
        "`metadata_file` of step `idp` names `missing.xml`",
        "",
    );
}

#[test]
fn web_identity_takes_one_token_source() {
    let found = errors(
        "\
name: lab
steps:
  web:
    sts.assume_role_with_web_identity:
      role_arn: arn:aws:iam::123456789012:role/r
      session_name: web
      token: abc
      sandbox_token: { subject: student, audience: lab }
",
    );
    has(
        &found,
        "plan::missing_key",
        (4, 5),
        "exactly one of `token`, `token_file` and `sandbox_token`",
        "sandbox_token:",
    );
}
