//! `iam:SimulatePrincipalPolicy` and `iam:SimulateCustomPolicy` through the Rust SDK
//! in-process and the real `aws` CLI against a served sandbox: allowed, explicit deny,
//! implicit deny, a permissions boundary that caps a grant, context entries, and the
//! simulation itself authorized like any call.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, PolicyEvaluationDecisionType};
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, AwsCli, Keys, Served, iam, user_with_key};

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Sid":"List","Effect":"Allow","Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::lab","arn:aws:s3:::lab/*"]},
 {"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"},
 {"Sid":"FromOffice","Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#;
const BOUNDARY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:PutObject"],"Resource":"*"}]}"#;

/// User `alice` with [`POLICY`] inline and [`BOUNDARY`] as her permissions boundary.
async fn world() -> (Sandbox, aws_sdk_iam::Client) {
    let sandbox = Sandbox::in_memory();
    user_with_key(&sandbox, "alice").await;
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    admin
        .put_user_policy()
        .user_name("alice")
        .policy_name("lab")
        .policy_document(POLICY)
        .send()
        .await
        .expect("policy");
    let boundary = admin
        .create_policy()
        .policy_name("cap")
        .policy_document(BOUNDARY)
        .send()
        .await
        .expect("boundary");
    admin
        .put_user_permissions_boundary()
        .user_name("alice")
        .permissions_boundary(boundary.policy().and_then(|p| p.arn()).expect("arn"))
        .send()
        .await
        .expect("set boundary");
    (sandbox, admin)
}

fn decision(
    answer: &aws_sdk_iam::operation::simulate_principal_policy::SimulatePrincipalPolicyOutput,
    action: &str,
) -> PolicyEvaluationDecisionType {
    answer
        .evaluation_results()
        .iter()
        .find(|r| r.eval_action_name() == action)
        .map(|r| r.eval_decision().clone())
        .expect("a result for the action")
}

#[tokio::test]
async fn simulates_a_users_policies_and_boundary() {
    let (_sandbox, admin) = world().await;
    let answer = admin
        .simulate_principal_policy()
        .policy_source_arn(format!("arn:aws:iam::{ACCOUNT}:user/alice"))
        .set_action_names(Some(
            [
                "s3:ListBucket",
                "s3:GetObject",
                "s3:DeleteBucket",
                "s3:PutObject",
                "iam:CreateUser",
            ]
            .map(str::to_owned)
            .to_vec(),
        ))
        .resource_arns("arn:aws:s3:::lab")
        .send()
        .await
        .expect("simulate");
    assert_eq!(
        decision(&answer, "s3:ListBucket"),
        PolicyEvaluationDecisionType::Allowed
    );
    // Allowed by her policy, but not by her boundary.
    assert_eq!(
        decision(&answer, "s3:GetObject"),
        PolicyEvaluationDecisionType::ImplicitDeny
    );
    assert_eq!(
        decision(&answer, "s3:DeleteBucket"),
        PolicyEvaluationDecisionType::ExplicitDeny
    );
    // Its condition needs a source address the request does not give.
    assert_eq!(
        decision(&answer, "s3:PutObject"),
        PolicyEvaluationDecisionType::ImplicitDeny
    );
    assert_eq!(
        decision(&answer, "iam:CreateUser"),
        PolicyEvaluationDecisionType::ImplicitDeny
    );
    let list = answer
        .evaluation_results()
        .iter()
        .find(|r| r.eval_action_name() == "s3:ListBucket")
        .expect("list");
    assert_eq!(list.matched_statements().len(), 1, "{list:?}");
    assert_eq!(
        list.matched_statements()[0]
            .source_policy_type()
            .map(aws_sdk_iam::types::PolicySourceType::as_str),
        Some("user")
    );
    let detail = answer
        .evaluation_results()
        .iter()
        .find(|r| r.eval_action_name() == "s3:GetObject")
        .and_then(|r| r.permissions_boundary_decision_detail())
        .expect("boundary detail");
    assert!(!detail.allowed_by_permissions_boundary());

    // With the address the condition asks for, the put is allowed.
    let answer = admin
        .simulate_principal_policy()
        .policy_source_arn(format!("arn:aws:iam::{ACCOUNT}:user/alice"))
        .action_names("s3:PutObject")
        .context_entries(
            ContextEntry::builder()
                .context_key_name("aws:SourceIp")
                .context_key_values("203.0.113.7")
                .context_key_type(ContextKeyTypeEnum::Ip)
                .build(),
        )
        .send()
        .await
        .expect("simulate with context");
    assert_eq!(
        decision(&answer, "s3:PutObject"),
        PolicyEvaluationDecisionType::Allowed
    );

    let missing = admin
        .simulate_principal_policy()
        .policy_source_arn(format!("arn:aws:iam::{ACCOUNT}:user/nobody"))
        .action_names("s3:ListBucket")
        .send()
        .await
        .expect_err("no such user");
    assert_eq!(missing.code(), Some("NoSuchEntity"));
}

/// A role (here at a path) is simulated as its sessions act: its policies grant what
/// they allow, and a role is not an anonymous caller.
#[tokio::test]
async fn simulates_a_role_under_a_path_with_its_policies() {
    let (_sandbox, admin) = world().await;
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let role = admin
        .create_role()
        .role_name("deployer")
        .path("/ci/")
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("role");
    let arn = role.role().map(|r| r.arn().to_owned()).expect("arn");
    assert_eq!(arn, format!("arn:aws:iam::{ACCOUNT}:role/ci/deployer"));
    admin
        .put_role_policy()
        .role_name("deployer")
        .policy_name("lab")
        .policy_document(POLICY)
        .send()
        .await
        .expect("policy");
    let answer = admin
        .simulate_principal_policy()
        .policy_source_arn(&arn)
        .action_names("s3:ListBucket")
        .action_names("s3:DeleteBucket")
        .action_names("iam:CreateUser")
        .resource_arns("arn:aws:s3:::lab")
        .send()
        .await
        .expect("simulate the role");
    assert_eq!(
        decision(&answer, "s3:ListBucket"),
        PolicyEvaluationDecisionType::Allowed
    );
    assert_eq!(
        decision(&answer, "s3:DeleteBucket"),
        PolicyEvaluationDecisionType::ExplicitDeny
    );
    assert_eq!(
        decision(&answer, "iam:CreateUser"),
        PolicyEvaluationDecisionType::ImplicitDeny
    );
}

#[tokio::test]
async fn simulates_custom_policies_and_is_itself_authorized() {
    let (sandbox, admin) = world().await;
    let answer = admin
        .simulate_custom_policy()
        .policy_input_list(POLICY)
        .permissions_boundary_policy_input_list(BOUNDARY)
        .action_names("s3:ListBucket")
        .action_names("s3:GetObject")
        .action_names("s3:DeleteBucket")
        .resource_arns("arn:aws:s3:::lab")
        .send()
        .await
        .expect("simulate custom");
    let verdicts: Vec<(String, String)> = answer
        .evaluation_results()
        .iter()
        .map(|r| {
            (
                r.eval_action_name().to_owned(),
                r.eval_decision().as_str().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("s3:ListBucket".to_owned(), "allowed".to_owned()),
            ("s3:GetObject".to_owned(), "implicitDeny".to_owned()),
            ("s3:DeleteBucket".to_owned(), "explicitDeny".to_owned()),
        ]
    );
    let malformed = admin
        .simulate_custom_policy()
        .policy_input_list("{not json")
        .action_names("s3:ListBucket")
        .send()
        .await
        .expect_err("malformed");
    assert_eq!(malformed.code(), Some("MalformedPolicyDocument"));

    // Alice may not simulate: the call is authorized like any other.
    let keys = user_with_key(&sandbox, "bob").await;
    let denied = iam(&sandbox, &keys)
        .simulate_principal_policy()
        .policy_source_arn(format!("arn:aws:iam::{ACCOUNT}:user/alice"))
        .action_names("s3:ListBucket")
        .send()
        .await
        .expect_err("bob has no permission");
    assert_eq!(denied.code(), Some("AccessDenied"));
}

#[tokio::test]
async fn the_aws_cli_simulates_against_the_served_sandbox() {
    if !awslab_testkit::aws_cli_installed("simulate-principal-policy through the aws CLI") {
        return;
    }
    let (sandbox, _admin) = world().await;
    let sandbox = std::sync::Arc::new(sandbox);
    let served = Served::start(&sandbox).await;
    let cli = AwsCli::new(&served, Keys::operator(&sandbox, ACCOUNT));
    let output = cli
        .command(&[
            "iam",
            "simulate-principal-policy",
            "--policy-source-arn",
            &format!("arn:aws:iam::{ACCOUNT}:user/alice"),
            "--action-names",
            "s3:ListBucket",
            "s3:DeleteBucket",
            "s3:GetObject",
            "--resource-arns",
            "arn:aws:s3:::lab",
            "--output",
            "json",
        ])
        .output()
        .await
        .expect("run aws");
    served.stop().await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let decisions: Vec<&str> = json["EvaluationResults"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["EvalDecision"].as_str().expect("decision"))
        .collect();
    assert_eq!(decisions, ["allowed", "explicitDeny", "implicitDeny"]);
}
