#![expect(clippy::expect_used, reason = "tests fail loudly on a broken sandbox")]

//! What the registry of services decides, through the SDK: a registered service answers
//! an operation it lacks with AWS's `InvalidAction` naming its version (never an empty
//! success), `DecodeAuthorizationMessage` is authorized then refuses every message (the
//! sandbox encodes none), a stack's service role is trusted only when auth says its
//! trust policy allows `cloudformation.amazonaws.com`, and `status` lists the registry.

mod common;

use aws_sdk_cloudformation::error::ProvideErrorMetadata as _;
use aws_sdk_cloudformation::types::Capability;
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, cloudformation, iam, sts, user_with_key};

const TEMPLATE: &str = "Resources:\n  Group:\n    Type: AWS::IAM::Group\n";

#[tokio::test]
async fn a_registered_service_never_answers_an_operation_it_lacks_with_success() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    // A read CloudFormation has but the sandbox does not answer: before the registry it
    // fell to the "other service" answer, an empty success.
    let error = cloudformation(&sandbox, &operator)
        .describe_stack_set()
        .stack_set_name("none")
        .send()
        .await
        .expect_err("not answered");
    assert_eq!(error.code(), Some("InvalidAction"));
    assert_eq!(
        error.message(),
        Some("Could not find operation DescribeStackSet for version 2010-05-15")
    );
}

#[tokio::test]
async fn decode_authorization_message_is_authorized_then_refuses_every_message() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let error = sts(&sandbox, &operator)
        .decode_authorization_message()
        .encoded_message("not-an-encoded-message")
        .send()
        .await
        .expect_err("the sandbox encodes no messages");
    assert_eq!(error.code(), Some("InvalidAuthorizationMessageException"));
    assert!(error.as_service_error().is_some_and(
        aws_sdk_sts::operation::decode_authorization_message::DecodeAuthorizationMessageError::is_invalid_authorization_message_exception
    ));

    let nobody = user_with_key(&sandbox, "nobody").await;
    let denied = sts(&sandbox, &nobody)
        .decode_authorization_message()
        .encoded_message("not-an-encoded-message")
        .send()
        .await
        .expect_err("no permission");
    assert_eq!(denied.code(), Some("AccessDenied"));
    assert!(
        denied
            .message()
            .unwrap()
            .contains("sts:DecodeAuthorizationMessage"),
        "{denied:?}"
    );
}

/// A role `name` with `trust` as its trust policy and `AdministratorAccess`.
async fn role(admin: &aws_sdk_iam::Client, name: &str, trust: &str) -> String {
    admin
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("role");
    admin
        .attach_role_policy()
        .role_name(name)
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .expect("attach");
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

#[tokio::test]
async fn a_stack_role_is_trusted_only_when_auth_allows_cloudformation_to_assume_it() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let admin = iam(&sandbox, &operator);
    let trusted = role(
        &admin,
        "trusted",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudformation.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    )
    .await;
    // Names the service, but to deny it: a text search would have trusted it.
    let denying = role(
        &admin,
        "denying",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"Service":"cloudformation.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    )
    .await;
    let other_service = role(
        &admin,
        "ec2-only",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    )
    .await;
    let client = cloudformation(&sandbox, &operator);
    let create = |stack: &'static str, role: String| {
        client
            .create_stack()
            .stack_name(stack)
            .template_body(TEMPLATE)
            .capabilities(Capability::CapabilityIam)
            .role_arn(role)
            .send()
    };
    create("trusted", trusted).await.expect("trusted role");
    for (stack, role) in [("denying", denying), ("ec2-only", other_service)] {
        let error = create(stack, role.clone()).await.expect_err(stack);
        assert_eq!(error.code(), Some("ValidationError"), "{stack}");
        assert_eq!(
            error.message(),
            Some(format!("Role {role} is invalid or cannot be assumed").as_str())
        );
    }
}

#[test]
fn status_lists_the_registered_services() {
    let sandbox = Sandbox::in_memory();
    let status = sandbox.status().unwrap();
    let names: Vec<(&str, &str, &str)> = status
        .services
        .iter()
        .map(|service| {
            (
                service.name.as_str(),
                service.protocol.as_str(),
                service.api_version.as_str(),
            )
        })
        .collect();
    for emulated in [
        ("iam", "query", "2010-05-08"),
        ("sts", "query", "2011-06-15"),
        ("s3", "rest-xml", "2006-03-01"),
        ("cloudformation", "query", "2010-05-15"),
    ] {
        assert!(names.contains(&emulated), "{emulated:?} not in {names:?}");
    }
    assert!(
        status
            .services
            .iter()
            .any(|service| service.name == "sts" && service.operations >= 7),
        "{:?}",
        status.services
    );
}

/// A service folder whose operations the registry does not list is never reached: the
/// compiler flags it once its `mod` line is there (dead code); this flags it before.
#[test]
fn every_service_with_operations_is_in_the_registry() {
    let services = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services");
    let registry = std::fs::read_to_string(services.join("registry.rs")).expect("registry");
    let mut unlisted = Vec::new();
    for entry in std::fs::read_dir(&services).expect("services") {
        let path = entry.expect("entry").path();
        let (name, file) = if path.is_dir() {
            (path.file_name(), path.join("mod.rs"))
        } else {
            (path.file_stem(), path.clone())
        };
        let name = name.expect("name").to_string_lossy().into_owned();
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        if text.contains("const OPERATIONS:") && !registry.contains(&format!("{name}::OPERATIONS"))
        {
            unlisted.push(name);
        }
    }
    assert!(
        unlisted.is_empty(),
        "services with operations but no line in services/registry.rs: {unlisted:?}"
    );
}
