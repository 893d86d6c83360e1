//! The SAML lab end to end on the sandbox: `plans/saml.yaml` registers the sandbox's
//! SAML identity provider, trusts it with a `saml:aud` condition, assumes the role
//! with a response the sandbox signed and checks the session's ARN; `down` leaves
//! nothing. Neither the SAML response nor the session's secrets reach an output, a log
//! at `RUST_LOG=trace`, the run's files (but its 0600 secrets file) or the AWS CLI
//! files after `down`. A trust condition on `saml:sub` that the response does not
//! meet fails the step with `AccessDenied`, and the run still tears down.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::os::unix::fs::PermissionsExt as _;

use support::{Lab, Target, plans, text};

/// The base64 of `<samlp:Response`: the start of every response the sandbox signs.
const RESPONSE_PREFIX: &str = "PHNhbWxwOlJlc3BvbnNl";

/// The secrets a run's store holds (secret keys and session tokens).
fn run_secrets(lab: &Lab, run: &str) -> Vec<String> {
    let path = lab.state_dir.join("runs").join(run).join("secrets.json");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let store: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut secrets = Vec::new();
    for credentials in store.as_object().unwrap().values() {
        for key in ["secret_access_key", "session_token"] {
            if let Some(value) = credentials[key].as_str() {
                secrets.push(value.to_owned());
            }
        }
    }
    secrets
}

/// The run's files but its secrets file, as text.
fn run_files(lab: &Lab, run: &str) -> String {
    std::fs::read_dir(lab.state_dir.join("runs").join(run))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() != "secrets.json")
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect()
}

fn down_clean(lab: &Lab, run: &str) -> String {
    let down = lab.awslab(&["down", run]);
    let out = text(&down);
    assert_eq!(down.status.code(), Some(0), "{out}");
    assert!(out.contains("Nothing is left."), "{out}");
    assert_eq!(
        lab.inventory(),
        Vec::<String>::new(),
        "left behind after down"
    );
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn saml_lab_assumes_the_role_and_keeps_the_response_out_of_every_output() {
    let mut lab = Lab::on(Target::Sandbox, "saml_lab").await.unwrap();
    lab.rust_log = Some("trace");
    let plan = plans().join("saml.yaml");
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "saml1"]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    assert!(
        out.contains("5 of 5 steps succeeded; 1 of 1 verifications passed."),
        "{out}"
    );
    assert!(out.contains(":assumed-role/SamlLab-saml1/student"), "{out}");
    assert!(
        lab.inventory()
            .iter()
            .any(|item| item.contains("SAML providers") && item.contains("SandboxIdP-saml1")),
        "{:?}",
        lab.inventory()
    );
    let secrets = run_secrets(&lab, "saml1");
    assert!(!secrets.is_empty());
    let credentials = std::fs::read_to_string(&lab.files.credentials).unwrap_or_default();
    assert!(credentials.contains("[saml-student]"), "{credentials}");
    let status = text(&lab.awslab(&["status", "saml1"]));
    let files = run_files(&lab, "saml1");
    let down = down_clean(&lab, "saml1");
    let after = std::fs::read_to_string(&lab.files.credentials).unwrap_or_default();
    assert!(!after.contains("[saml-student]"), "{after}");
    for (what, seen) in [
        ("up", out.as_str()),
        ("status", &status),
        ("the run's files", &files),
        ("down", &down),
        ("the AWS CLI files after down", &after),
    ] {
        assert!(
            !seen.contains(RESPONSE_PREFIX),
            "a SAML response reached {what}:\n{seen}"
        );
        for secret in &secrets {
            assert!(!seen.contains(secret.as_str()), "a secret reached {what}");
        }
    }
}

const WRONG_SUBJECT: &str = r#"
name: saml-wrong-subject
description: The role trusts only the teacher; the student's response is refused.
steps:
  idp:
    iam.saml_provider: { name: "SandboxIdP-${run.id}", sandbox_metadata: true }
  role:
    iam.role:
      name: TeacherOnly-${run.id}
      trust_policy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Federated: "${idp.arn}" }
            Action: sts:AssumeRoleWithSAML
            Condition:
              StringEquals:
                "saml:aud": https://signin.aws.amazon.com/saml
                "saml:sub": teacher
  student:
    sts.assume_role_with_saml:
      role_arn: ${role.arn}
      provider_arn: ${idp.arn}
      sandbox_assertion: { subject: student }
"#;

#[tokio::test(flavor = "multi_thread")]
async fn saml_trust_condition_on_the_subject_refuses_another_subject() {
    let lab = Lab::on(Target::Sandbox, "saml_wrong_subject")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("saml-wrong-subject.yaml");
    std::fs::write(&plan, WRONG_SUBJECT).unwrap();
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "saml2"]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(1), "{out}");
    assert!(out.contains("AccessDenied"), "{out}");
    assert!(out.contains("2 of 3 steps succeeded"), "{out}");
    down_clean(&lab, "saml2");
}

#[tokio::test(flavor = "multi_thread")]
async fn saml_steps_say_what_to_give_when_the_target_has_no_identity_provider() {
    let lab = Lab::on(Target::Sandbox, "saml_validate").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("saml-invalid.yaml");
    std::fs::write(
        &plan,
        "name: saml-invalid\nsteps:\n  idp:\n    iam.saml_provider: { name: idp }\n  student:\n    sts.assume_role_with_saml:\n      role_arn: arn:aws:iam::111122223333:role/r\n      provider_arn: ${idp.arn}\n",
    )
    .unwrap();
    let validate = lab.awslab(&["validate", plan.to_str().unwrap()]);
    let out = text(&validate);
    assert_eq!(validate.status.code(), Some(2), "{out}");
    assert!(
        out.contains("needs exactly one of `metadata` and `metadata_file`"),
        "{out}"
    );
    assert!(out.contains("needs exactly one of `assertion`"), "{out}");
    assert!(out.contains("saml-invalid.yaml:4:"), "{out}");
}
