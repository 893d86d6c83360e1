//! Each IAM action is authorized on the resource AWS authorizes it on (the Service
//! Authorization Reference, `crates/sandbox/src/services/resources.rs`): a policy
//! scoped the way AWS's documentation scopes it is allowed exactly where AWS allows it,
//! through the SDK. One test per check the table tests found on the wrong resource.

#![expect(clippy::expect_used, reason = "the lab's setup fails the test loudly")]

mod common;

use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, iam, user_with_key};

/// A sandbox with user `tester` (whose one inline policy each case replaces), user
/// `alice`, role `app` and group `devs` under path `/eng/`, and managed policy `pol`.
async fn lab() -> (Sandbox, aws_sdk_iam::Client, aws_sdk_iam::Client) {
    let sandbox = Sandbox::in_memory();
    let keys = user_with_key(&sandbox, "tester").await;
    let operator = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    operator
        .create_user()
        .user_name("alice")
        .path("/eng/")
        .send()
        .await
        .expect("alice");
    operator
        .create_role()
        .role_name("app")
        .path("/eng/")
        .assume_role_policy_document(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        ))
        .send()
        .await
        .expect("app");
    operator
        .create_group()
        .group_name("devs")
        .path("/eng/")
        .send()
        .await
        .expect("devs");
    operator
        .create_policy()
        .policy_name("pol")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("pol");
    let tester = iam(&sandbox, &keys);
    (sandbox, operator, tester)
}

/// Gives `tester` exactly `action` on `resource`.
async fn allow(operator: &aws_sdk_iam::Client, action: &str, resource: &str) {
    operator
        .put_user_policy()
        .user_name("tester")
        .policy_name("case")
        .policy_document(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}"#
        ))
        .send()
        .await
        .expect("policy");
}

fn policy_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/pol")
}

/// `Ok`, or the error's code and message.
fn outcome<T, E: aws_sdk_iam::error::ProvideErrorMetadata>(
    result: Result<T, E>,
) -> Result<(), (String, String)> {
    result.map(|_| ()).map_err(|error| {
        (
            error.code().unwrap_or_default().to_owned(),
            error.message().unwrap_or_default().to_owned(),
        )
    })
}

/// `iam:ListUsers`, `ListRoles` and `ListGroups` (no resource type in the SAR) are
/// authorized on the path prefix they list, as AWS names it in its denials: `*` and
/// `...:role/*` grant a whole listing, `...:role/eng/*` only the listing under `/eng/`,
/// and another kind's ARN none.
#[tokio::test]
async fn list_operations_are_authorized_on_the_path_prefix_they_list() {
    let (_sandbox, operator, tester) = lab().await;
    for (kind, action) in [
        ("user", "iam:ListUsers"),
        ("role", "iam:ListRoles"),
        ("group", "iam:ListGroups"),
    ] {
        let list = |prefix: Option<&str>| {
            let tester = tester.clone();
            let prefix = prefix.map(str::to_owned);
            async move {
                match kind {
                    "user" => outcome(tester.list_users().set_path_prefix(prefix).send().await),
                    "role" => outcome(tester.list_roles().set_path_prefix(prefix).send().await),
                    _ => outcome(tester.list_groups().set_path_prefix(prefix).send().await),
                }
            }
        };
        for (resource, everything, under_eng) in [
            ("*".to_owned(), true, true),
            (format!("arn:aws:iam::{ACCOUNT}:{kind}/*"), true, true),
            (format!("arn:aws:iam::{ACCOUNT}:{kind}/eng/*"), false, true),
            (format!("arn:aws:iam::{ACCOUNT}:policy/*"), false, false),
        ] {
            allow(&operator, action, &resource).await;
            let whole = list(None).await;
            let eng = list(Some("/eng/")).await;
            assert_eq!(
                whole.is_ok(),
                everything,
                "{action} on {resource}: {whole:?}"
            );
            assert_eq!(
                eng.is_ok(),
                under_eng,
                "{action} /eng/ on {resource}: {eng:?}"
            );
            if let Err((code, message)) = whole {
                assert_eq!(code, "AccessDenied");
                assert_eq!(
                    message,
                    format!(
                        "User: arn:aws:iam::{ACCOUNT}:user/tester is not authorized to perform: {action} on resource: arn:aws:iam::{ACCOUNT}:{kind}/ because no identity-based policy allows the {action} action"
                    )
                );
            }
        }
    }
}

/// The listings with no path: OIDC providers on `oidc-provider/*`, virtual MFA devices
/// on `mfa/`; a policy scoped to each kind grants them, another kind's does not.
#[tokio::test]
async fn provider_and_device_listings_are_granted_by_their_kind() {
    let (_sandbox, operator, tester) = lab().await;
    for (resource, allowed) in [
        (format!("arn:aws:iam::{ACCOUNT}:oidc-provider/*"), true),
        ("*".to_owned(), true),
        (format!("arn:aws:iam::{ACCOUNT}:mfa/*"), false),
    ] {
        allow(&operator, "iam:ListOpenIDConnectProviders", &resource).await;
        let answer = outcome(tester.list_open_id_connect_providers().send().await);
        assert_eq!(answer.is_ok(), allowed, "on {resource}: {answer:?}");
    }
    for (resource, allowed) in [
        (format!("arn:aws:iam::{ACCOUNT}:mfa/*"), true),
        ("*".to_owned(), true),
        (format!("arn:aws:iam::{ACCOUNT}:user/*"), false),
    ] {
        allow(&operator, "iam:ListVirtualMFADevices", &resource).await;
        let answer = outcome(tester.list_virtual_mfa_devices().send().await);
        assert_eq!(answer.is_ok(), allowed, "on {resource}: {answer:?}");
    }
}

/// A new OIDC provider is authorized on its own ARN (its URL without the scheme), so
/// a policy may allow one issuer and not another.
#[tokio::test]
async fn a_new_oidc_provider_is_authorized_on_its_arn() {
    let (_sandbox, operator, tester) = lab().await;
    allow(
        &operator,
        "iam:CreateOpenIDConnectProvider",
        &format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.example.com"),
    )
    .await;
    let create = |url: &'static str| {
        let tester = tester.clone();
        async move {
            outcome(
                tester
                    .create_open_id_connect_provider()
                    .url(url)
                    .client_id_list("sts.amazonaws.com")
                    .send()
                    .await,
            )
        }
    };
    create("https://token.example.com")
        .await
        .expect("the allowed issuer");
    let (code, message) = create("https://other.example.com")
        .await
        .expect_err("another issuer");
    assert_eq!(code, "AccessDenied");
    assert!(
        message.contains(&format!(
            "on resource: arn:aws:iam::{ACCOUNT}:oidc-provider/other.example.com"
        )),
        "{message}"
    );
}

/// Actions on a user or role named by name are authorized on its ARN with its path:
/// a policy on `user/eng/*` (or `role/eng/*`) allows them for alice (or app) under
/// `/eng/`, and a policy on the ARN without the path does not.
#[tokio::test]
async fn actions_on_a_user_or_role_are_authorized_on_its_arn_with_its_path() {
    let (_sandbox, operator, tester) = lab().await;
    let user = |path: &str| format!("arn:aws:iam::{ACCOUNT}:user{path}alice");
    let role = |path: &str| format!("arn:aws:iam::{ACCOUNT}:role{path}app");
    for (resource, allowed) in [
        (user("/eng/"), true),
        (format!("arn:aws:iam::{ACCOUNT}:user/eng/*"), true),
        (user("/"), false),
    ] {
        allow(&operator, "iam:GetUser", &resource).await;
        let got = outcome(tester.get_user().user_name("alice").send().await);
        assert_eq!(got.is_ok(), allowed, "GetUser on {resource}: {got:?}");

        allow(&operator, "iam:AttachUserPolicy", &resource).await;
        let attached = outcome(
            tester
                .attach_user_policy()
                .user_name("alice")
                .policy_arn(policy_arn())
                .send()
                .await,
        );
        assert_eq!(
            attached.is_ok(),
            allowed,
            "AttachUserPolicy on {resource}: {attached:?}"
        );

        allow(&operator, "iam:ListAttachedUserPolicies", &resource).await;
        let listed = outcome(
            tester
                .list_attached_user_policies()
                .user_name("alice")
                .send()
                .await,
        );
        assert_eq!(
            listed.is_ok(),
            allowed,
            "ListAttachedUserPolicies on {resource}: {listed:?}"
        );

        allow(&operator, "iam:DetachUserPolicy", &resource).await;
        let detached = outcome(
            tester
                .detach_user_policy()
                .user_name("alice")
                .policy_arn(policy_arn())
                .send()
                .await,
        );
        assert_eq!(
            detached.is_ok(),
            allowed,
            "DetachUserPolicy on {resource}: {detached:?}"
        );

        allow(&operator, "iam:ListGroupsForUser", &resource).await;
        let groups = outcome(
            tester
                .list_groups_for_user()
                .user_name("alice")
                .send()
                .await,
        );
        assert_eq!(
            groups.is_ok(),
            allowed,
            "ListGroupsForUser on {resource}: {groups:?}"
        );
    }
    for (resource, allowed) in [
        (role("/eng/"), true),
        (format!("arn:aws:iam::{ACCOUNT}:role/eng/*"), true),
        (role("/"), false),
    ] {
        allow(&operator, "iam:AttachRolePolicy", &resource).await;
        let attached = outcome(
            tester
                .attach_role_policy()
                .role_name("app")
                .policy_arn(policy_arn())
                .send()
                .await,
        );
        assert_eq!(
            attached.is_ok(),
            allowed,
            "AttachRolePolicy on {resource}: {attached:?}"
        );

        allow(&operator, "iam:ListAttachedRolePolicies", &resource).await;
        let listed = outcome(
            tester
                .list_attached_role_policies()
                .role_name("app")
                .send()
                .await,
        );
        assert_eq!(
            listed.is_ok(),
            allowed,
            "ListAttachedRolePolicies on {resource}: {listed:?}"
        );

        allow(&operator, "iam:DetachRolePolicy", &resource).await;
        let detached = outcome(
            tester
                .detach_role_policy()
                .role_name("app")
                .policy_arn(policy_arn())
                .send()
                .await,
        );
        assert_eq!(
            detached.is_ok(),
            allowed,
            "DetachRolePolicy on {resource}: {detached:?}"
        );

        allow(&operator, "iam:PutRolePermissionsBoundary", &resource).await;
        let bounded = outcome(
            tester
                .put_role_permissions_boundary()
                .role_name("app")
                .permissions_boundary(policy_arn())
                .send()
                .await,
        );
        assert_eq!(
            bounded.is_ok(),
            allowed,
            "PutRolePermissionsBoundary on {resource}: {bounded:?}"
        );

        allow(&operator, "iam:DeleteRolePermissionsBoundary", &resource).await;
        let unbounded = outcome(
            tester
                .delete_role_permissions_boundary()
                .role_name("app")
                .send()
                .await,
        );
        // Allowed, it removes the boundary put above; denied, it is refused before
        // the role is looked at.
        assert_eq!(
            unbounded.is_ok(),
            allowed,
            "DeleteRolePermissionsBoundary on {resource}: {unbounded:?}"
        );
    }
}
