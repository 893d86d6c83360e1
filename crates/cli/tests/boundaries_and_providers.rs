//! The labs of permissions boundaries and identity providers, end to end: on the
//! sandbox, `plans/permissions-boundary.yaml` passes its verifies (a read inside the
//! boundary allowed, an IAM call outside it denied) and `plans/web-identity.yaml` makes
//! its own OIDC provider, assumes a role with a token from the sandbox's issuer and
//! checks the session's ARN; `down` leaves nothing, and no token reaches an output, a
//! log at `RUST_LOG=trace` or a file of the run. On each target (moto and the sandbox),
//! `iam.oidc_provider` and `iam.saml_provider` are made and torn down by ARN, and a role
//! with a `permissions_boundary` goes before the policy that caps it.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use support::{Lab, Target, plans, text};

fn up_ok(lab: &Lab, plan: &std::path::Path, run: &str, summary: &str) -> String {
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", run]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    assert!(out.contains(summary), "{out}");
    out
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
async fn permissions_boundary_lab_reads_inside_and_is_denied_outside_on_the_sandbox() {
    let lab = Lab::on(Target::Sandbox, "permissions_boundary_lab")
        .await
        .unwrap();
    let out = up_ok(
        &lab,
        &plans().join("permissions-boundary.yaml"),
        "pb1",
        "10 of 10 steps succeeded; 5 of 5 verifications passed.",
    );
    assert!(
        out.contains("expected AccessDenied, got AccessDenied"),
        "{out}"
    );
    let down = down_clean(&lab, "pb1");
    // The user goes before the policy that is its boundary (AWS refuses the other order).
    let user = down.find("deleted  iam user dana-pb1").unwrap();
    let policy = down.find("deleted  iam policy").unwrap();
    assert!(user < policy, "{down}");
}

#[tokio::test(flavor = "multi_thread")]
async fn web_identity_lab_makes_its_provider_and_keeps_the_token_out_of_every_output() {
    let mut lab = Lab::on(Target::Sandbox, "web_identity_lab").await.unwrap();
    lab.rust_log = Some("trace");
    let out = up_ok(
        &lab,
        &plans().join("web-identity.yaml"),
        "web1",
        "4 of 4 steps succeeded; 1 of 1 verifications passed.",
    );
    assert!(
        out.contains(":assumed-role/WebIdentityLab-web1/student-session"),
        "{out}"
    );
    assert!(
        lab.inventory()
            .iter()
            .any(|item| item.contains("OIDC providers") && item.contains("oidc.awslab.localhost")),
        "{:?}",
        lab.inventory()
    );
    let status = lab.awslab(&["status", "web1"]);
    let journal = std::fs::read_dir(lab.state_dir.join("runs").join("web1"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() != "secrets.json")
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect::<String>();
    let down = down_clean(&lab, "web1");
    // A web identity token is a JWT: its header always encodes as `eyJ`.
    for (what, seen) in [
        ("up", out.as_str()),
        ("status", &text(&status)),
        ("the run's files", &journal),
        ("down", &down),
    ] {
        assert!(!seen.contains("eyJ"), "a token reached {what}:\n{seen}");
    }
}

const PROVIDERS: &str = r#"
name: providers
description: An OIDC and a SAML identity provider, and a role capped by a boundary.
steps:
  oidc:
    iam.oidc_provider:
      url: https://token.example.com/${run.id}
      client_id_list: [sts.amazonaws.com]
      thumbprints: [6938fd4d98bab03faadb97b34396831e3780aea1]
      tags: { lab: providers }
  saml:
    iam.saml_provider: { name: "corp-${run.id}", metadata_file: files/idp-metadata.xml }
  cap:
    iam.policy:
      name: cap-${run.id}
      document: { Version: "2012-10-17", Statement: [ { Effect: Allow, Action: "s3:Get*", Resource: "*" } ] }
  role:
    iam.role:
      name: federated-${run.id}
      permissions_boundary: ${cap.arn}
      trust_policy:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Principal: { Federated: "${oidc.arn}" }, Action: sts:AssumeRoleWithWebIdentity }
          - { Effect: Allow, Principal: { Federated: "${saml.arn}" }, Action: sts:AssumeRoleWithSAML }
"#;

/// The providers the target's IAM lists, as ARNs.
fn providers(lab: &Lab) -> Vec<String> {
    let mut found = Vec::new();
    for (args, list, field) in [
        (
            ["iam", "list-open-id-connect-providers"],
            "OpenIDConnectProviderList",
            "Arn",
        ),
        (["iam", "list-saml-providers"], "SAMLProviderList", "Arn"),
    ] {
        let mut all: Vec<&str> = Vec::new();
        if let Some(endpoint) = lab.endpoint_url() {
            all.extend(["--endpoint-url", endpoint]);
        } else {
            // The sandbox lists through `sandbox status`.
            return lab
                .inventory()
                .into_iter()
                .filter(|item| item.contains("providers"))
                .collect();
        }
        all.extend(args);
        all.extend(["--output", "json"]);
        let Some(output) = lab.aws(&all) else {
            return Vec::new();
        };
        assert!(output.status.success(), "{}", text(&output));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        found.extend(
            json[list]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p[field].as_str().map(str::to_owned)),
        );
    }
    found
}

async fn identity_providers_are_made_and_torn_down_by_arn(lab: Lab) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("files")).unwrap();
    std::fs::copy(
        plans().join("files/idp-metadata.xml"),
        dir.path().join("files/idp-metadata.xml"),
    )
    .unwrap();
    let plan = dir.path().join("providers.yaml");
    std::fs::write(&plan, PROVIDERS).unwrap();
    let out = up_ok(&lab, &plan, "idp1", "4 of 4 steps succeeded");
    let made = providers(&lab);
    assert_eq!(made.len(), 2, "{made:?}\n{out}");
    assert!(
        made.iter()
            .any(|p| p.contains("oidc-provider/token.example.com/idp1")),
        "{made:?}"
    );
    assert!(
        made.iter().any(|p| p.contains("saml-provider/corp-idp1")),
        "{made:?}"
    );
    let down = down_clean(&lab, "idp1");
    assert!(
        down.contains("deleted  iam oidc provider arn:aws:iam::"),
        "{down}"
    );
    assert!(
        down.contains("deleted  iam saml provider arn:aws:iam::"),
        "{down}"
    );
    assert_eq!(providers(&lab), Vec::<String>::new(), "{down}");
    let role = down.find("deleted  iam role federated-idp1").unwrap();
    let policy = down.find("deleted  iam policy").unwrap();
    assert!(
        role < policy,
        "the boundary's policy goes after its role:\n{down}"
    );
}
on_each_target!(identity_providers_are_made_and_torn_down_by_arn);

#[tokio::test(flavor = "multi_thread")]
async fn down_keeps_providers_recreated_out_of_band_under_the_same_arn() {
    let Some(lab) = Lab::start("down_keeps_providers_recreated_out_of_band").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("files")).unwrap();
    std::fs::copy(
        plans().join("files/idp-metadata.xml"),
        dir.path().join("files/idp-metadata.xml"),
    )
    .unwrap();
    let plan = dir.path().join("providers.yaml");
    std::fs::write(&plan, PROVIDERS).unwrap();
    up_ok(&lab, &plan, "own2", "4 of 4 steps succeeded");
    let endpoint = lab.moto().endpoint_url();
    let aws = |args: &[&str]| {
        let out = lab.aws(&[&["--endpoint-url", endpoint, "--output", "json"], args].concat())?;
        assert!(out.status.success(), "aws {args:?}: {}", text(&out));
        Some(())
    };
    let made = providers(&lab);
    let oidc = made.iter().find(|p| p.contains(":oidc-provider/")).unwrap();
    let saml = made.iter().find(|p| p.contains(":saml-provider/")).unwrap();
    // Out of band: both providers go, and someone else's take their ARNs.
    let metadata = format!(
        "file://{}",
        plans().join("files/idp-metadata.xml").display()
    );
    let Some(()) = aws(&[
        "iam",
        "delete-open-id-connect-provider",
        "--open-id-connect-provider-arn",
        oidc,
    ]) else {
        return;
    };
    aws(&["iam", "delete-saml-provider", "--saml-provider-arn", saml]);
    aws(&[
        "iam",
        "create-open-id-connect-provider",
        "--url",
        "https://token.example.com/own2",
        "--client-id-list",
        "theirs",
    ]);
    aws(&[
        "iam",
        "create-saml-provider",
        "--name",
        "corp-own2",
        "--saml-metadata-document",
        &metadata,
    ]);
    let down = lab.awslab(&["down", "own2"]);
    let out = text(&down);
    assert_eq!(down.status.code(), Some(3), "{out}");
    assert!(
        out.contains("iam oidc provider") && out.contains("iam saml provider"),
        "{out}"
    );
    assert_eq!(out.matches("replaced out of band").count(), 2, "{out}");
    assert_eq!(
        providers(&lab).len(),
        2,
        "someone else's providers were deleted:\n{out}"
    );
}
