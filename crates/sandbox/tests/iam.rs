//! IAM through the Rust SDK in-process: a table of (operation, input) to AWS's error
//! code, groups whose policies apply to their members, managed policies with versions,
//! the bundled AWS managed policies, and pagination.

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use aws_sdk_iam::types::PolicyScopeType;
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, iam, s3, user_with_key};

const LIST_BUCKETS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#;

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one table of cases")]
async fn errors_are_raised_where_aws_raises_them() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    admin
        .create_user()
        .user_name("taken")
        .send()
        .await
        .expect("user");
    let codes = [
        (
            admin
                .create_user()
                .user_name("taken")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
            "EntityAlreadyExists",
        ),
        (
            admin
                .create_user()
                .user_name("TAKEN")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
            "EntityAlreadyExists",
        ),
        (
            admin
                .create_user()
                .user_name("bad name!")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
            "ValidationError",
        ),
        (
            admin
                .get_user()
                .user_name("absent")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
            "NoSuchEntity",
        ),
        (
            admin
                .put_user_policy()
                .user_name("taken")
                .policy_name("p")
                .policy_document("{not json")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
            "MalformedPolicyDocument",
        ),
        (
            admin
                .create_role()
                .role_name("r")
                .assume_role_policy_document(LIST_BUCKETS)
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
            "MalformedPolicyDocument",
        ),
        (
            admin
                .delete_role()
                .role_name("absent")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
            "NoSuchEntity",
        ),
    ];
    for (index, (got, expected)) in codes.into_iter().enumerate() {
        assert_eq!(got.as_deref(), Some(expected), "case {index}");
    }
    admin
        .create_access_key()
        .user_name("taken")
        .send()
        .await
        .expect("first key");
    admin
        .create_access_key()
        .user_name("taken")
        .send()
        .await
        .expect("second key");
    let third = admin
        .create_access_key()
        .user_name("taken")
        .send()
        .await
        .expect_err("two at most");
    assert_eq!(third.code(), Some("LimitExceeded"));
}

#[tokio::test]
async fn group_policies_apply_to_members_and_block_deletion() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let user = user_with_key(&sandbox, "member").await;
    admin
        .create_group()
        .group_name("readers")
        .send()
        .await
        .expect("group");
    admin
        .attach_group_policy()
        .group_name("readers")
        .policy_arn("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        .send()
        .await
        .expect("attach");
    let denied = s3(&sandbox, &user, true)
        .list_buckets()
        .send()
        .await
        .expect_err("not a member yet");
    assert_eq!(denied.code(), Some("AccessDenied"));
    admin
        .add_user_to_group()
        .group_name("readers")
        .user_name("member")
        .send()
        .await
        .expect("join");
    s3(&sandbox, &user, true)
        .list_buckets()
        .send()
        .await
        .expect("allowed through the group");

    let groups = admin
        .list_groups_for_user()
        .user_name("member")
        .send()
        .await
        .expect("groups");
    assert_eq!(groups.groups().len(), 1);
    let conflict = admin
        .delete_group()
        .group_name("readers")
        .send()
        .await
        .expect_err("members first");
    assert_eq!(conflict.code(), Some("DeleteConflict"));
    let attached = admin
        .delete_policy()
        .policy_arn("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        .send()
        .await
        .expect_err("AWS managed policies cannot be changed");
    assert_eq!(attached.code(), Some("AccessDenied"));
    admin
        .remove_user_from_group()
        .group_name("readers")
        .user_name("member")
        .send()
        .await
        .expect("leave");
    admin
        .detach_group_policy()
        .group_name("readers")
        .policy_arn("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        .send()
        .await
        .expect("detach");
    admin
        .delete_group()
        .group_name("readers")
        .send()
        .await
        .expect("delete group");
}

#[tokio::test]
async fn managed_policies_have_versions_and_aws_ones_are_listed() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let created = admin
        .create_policy()
        .policy_name("lab")
        .policy_document(LIST_BUCKETS)
        .send()
        .await
        .expect("policy");
    let arn = created
        .policy()
        .and_then(|policy| policy.arn())
        .expect("arn")
        .to_owned();
    admin
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(LIST_BUCKETS)
        .set_as_default(true)
        .send()
        .await
        .expect("v2");
    let policy = admin
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .expect("get");
    assert_eq!(
        policy
            .policy()
            .and_then(|policy| policy.default_version_id()),
        Some("v2")
    );
    let conflict = admin
        .delete_policy()
        .policy_arn(&arn)
        .send()
        .await
        .expect_err("versions first");
    assert_eq!(conflict.code(), Some("DeleteConflict"));
    admin
        .delete_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .expect("delete v1");
    admin
        .create_user()
        .user_name("holder")
        .send()
        .await
        .expect("user");
    admin
        .attach_user_policy()
        .user_name("holder")
        .policy_arn(&arn)
        .send()
        .await
        .expect("attach");
    let attached = admin
        .delete_policy()
        .policy_arn(&arn)
        .send()
        .await
        .expect_err("attached");
    assert_eq!(attached.code(), Some("DeleteConflict"));
    let user_conflict = admin
        .delete_user()
        .user_name("holder")
        .send()
        .await
        .expect_err("detach first");
    assert_eq!(user_conflict.code(), Some("DeleteConflict"));

    let aws = admin
        .list_policies()
        .scope(PolicyScopeType::Aws)
        .send()
        .await
        .expect("aws policies");
    let names: Vec<&str> = aws
        .policies()
        .iter()
        .filter_map(|policy| policy.policy_name())
        .collect();
    for expected in [
        "AdministratorAccess",
        "PowerUserAccess",
        "IAMReadOnlyAccess",
        "IAMFullAccess",
        "AmazonS3ReadOnlyAccess",
        "AmazonS3FullAccess",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
}

#[tokio::test]
async fn list_users_paginates_with_markers() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    for index in 0..5 {
        admin
            .create_user()
            .user_name(format!("u{index}"))
            .send()
            .await
            .expect("user");
    }
    let mut names = Vec::new();
    let mut marker = None;
    loop {
        let page = admin
            .list_users()
            .max_items(2)
            .set_marker(marker)
            .send()
            .await
            .expect("page");
        names.extend(page.users().iter().map(|user| user.user_name().to_owned()));
        if !page.is_truncated() {
            break;
        }
        marker = page.marker().map(str::to_owned);
    }
    assert_eq!(names, ["awslab-operator", "u0", "u1", "u2", "u3", "u4"]);
}

#[tokio::test]
async fn boundaries_limit_permissions_and_login_profiles_block_deletion() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let user = user_with_key(&sandbox, "bounded").await;
    admin
        .put_user_policy()
        .user_name("bounded")
        .policy_name("everything")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        .send()
        .await
        .expect("policy");
    iam(&sandbox, &user)
        .list_users()
        .send()
        .await
        .expect("allowed before the boundary");
    admin
        .put_user_permissions_boundary()
        .user_name("bounded")
        .permissions_boundary("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        .send()
        .await
        .expect("boundary");
    let denied = iam(&sandbox, &user)
        .list_users()
        .send()
        .await
        .expect_err("outside the boundary");
    assert!(
        denied
            .message()
            .is_some_and(|m| m.contains("permissions boundary")),
        "{denied:?}"
    );
    s3(&sandbox, &user, true)
        .list_buckets()
        .send()
        .await
        .expect("inside the boundary");

    admin
        .create_login_profile()
        .user_name("bounded")
        .password("Correct-Horse-9")
        .send()
        .await
        .expect("login profile");
    let again = admin
        .create_login_profile()
        .user_name("bounded")
        .password("Correct-Horse-9")
        .send()
        .await
        .expect_err("one only");
    assert_eq!(again.code(), Some("EntityAlreadyExists"));
    admin
        .delete_user_policy()
        .user_name("bounded")
        .policy_name("everything")
        .send()
        .await
        .expect("delete policy");
    admin
        .delete_access_key()
        .user_name("bounded")
        .access_key_id(&user.id)
        .send()
        .await
        .expect("delete key");
    let conflict = admin
        .delete_user()
        .user_name("bounded")
        .send()
        .await
        .expect_err("login profile first");
    assert_eq!(
        conflict.message(),
        Some("Cannot delete entity, must delete login profile first.")
    );
    admin
        .delete_login_profile()
        .user_name("bounded")
        .send()
        .await
        .expect("delete login profile");
    admin
        .delete_user()
        .user_name("bounded")
        .send()
        .await
        .expect("delete user");
}

#[tokio::test]
async fn teardown_lookups_answer_as_aws_does() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    admin
        .create_role()
        .role_name("tagged")
        .assume_role_policy_document(trust)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("awslab:run")
                .value("r1")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("role");
    admin
        .attach_role_policy()
        .role_name("tagged")
        .policy_arn("arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        .send()
        .await
        .expect("attach");
    let tags = admin
        .list_role_tags()
        .role_name("tagged")
        .send()
        .await
        .expect("tags");
    assert_eq!(
        tags.tags().first().map(aws_sdk_iam::types::Tag::value),
        Some("r1")
    );
    let profiles = admin
        .list_instance_profiles_for_role()
        .role_name("tagged")
        .send()
        .await
        .expect("profiles");
    assert!(profiles.instance_profiles().is_empty());
    let entities = admin
        .list_entities_for_policy()
        .policy_arn("arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        .send()
        .await
        .expect("entities");
    let roles: Vec<&str> = entities
        .policy_roles()
        .iter()
        .filter_map(|role| role.role_name())
        .collect();
    assert_eq!(roles, ["tagged"]);
}
