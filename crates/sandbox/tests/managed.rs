//! The bundled AWS managed policies, listed as AWS lists them (`ListPolicies --scope
//! AWS`, `GetPolicy`, `GetPolicyVersion`, `ListPolicyVersions`), and what
//! `ReadOnlyAccess`'s real document lets a user do in IAM, S3 and STS.

#![expect(clippy::too_many_lines, reason = "each test is a story told in order")]

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use aws_sdk_iam::types::PolicyScopeType;
use aws_sdk_s3::primitives::ByteStream;
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, iam, s3, sts, user_with_key};

const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

#[tokio::test]
async fn aws_managed_policies_are_listed_as_aws_lists_them() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let listed = admin
        .list_policies()
        .scope(PolicyScopeType::Aws)
        .send()
        .await
        .unwrap();
    let rows: Vec<(&str, &str, &str, bool)> = listed
        .policies()
        .iter()
        .map(|policy| {
            (
                policy.policy_name().unwrap_or_default(),
                policy.default_version_id().unwrap_or_default(),
                policy.path().unwrap_or_default(),
                policy.is_attachable(),
            )
        })
        .collect();
    // The default version ids AWS publishes (see services/managed.rs for the sources).
    assert_eq!(
        rows,
        vec![
            ("AdministratorAccess", "v1", "/", true),
            ("PowerUserAccess", "v12", "/", true),
            ("ReadOnlyAccess", "v188", "/", true),
            ("IAMFullAccess", "v2", "/", true),
            ("IAMReadOnlyAccess", "v4", "/", true),
            ("AmazonS3FullAccess", "v2", "/", true),
            ("AmazonS3ReadOnlyAccess", "v3", "/", true),
        ]
    );
    assert!(
        listed.policies().iter().all(|p| p.description().is_none()),
        "ListPolicies leaves descriptions out, as AWS does"
    );
    let administrator = &listed.policies()[0];
    assert_eq!(
        administrator.attachment_count(),
        Some(1),
        "the operator has AdministratorAccess"
    );
    assert_eq!(administrator.policy_id(), Some("ANPAIWMBCKSKIEE64ZLYK"));
    assert_eq!(
        administrator
            .create_date()
            .map(aws_sdk_iam::primitives::DateTime::secs),
        Some(1_423_247_986),
        "2015-02-06T18:39:46Z"
    );
    let local = admin
        .list_policies()
        .scope(PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert!(local.policies().is_empty());

    let got = admin
        .get_policy()
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap();
    let policy = got.policy().unwrap();
    assert_eq!(
        policy.description(),
        Some("Provides read-only access to AWS services and resources.")
    );
    assert_eq!(policy.attachment_count(), Some(0));
    assert_eq!(policy.permissions_boundary_usage_count(), Some(0));

    let version = admin
        .get_policy_version()
        .policy_arn(READ_ONLY)
        .version_id("v188")
        .send()
        .await
        .unwrap();
    let version = version.policy_version().unwrap();
    assert!(version.is_default_version());
    let document = percent_encoding::percent_decode_str(version.document().unwrap())
        .decode_utf8()
        .unwrap()
        .into_owned();
    let parsed: serde_json::Value = serde_json::from_str(&document).unwrap();
    assert_eq!(parsed["Statement"][0]["Sid"], "ReadOnlyActionsGroup1");
    assert!(document.contains("\"iam:List*\"") && document.contains("\"s3:Get*\""));
    let old = admin
        .get_policy_version()
        .policy_arn(READ_ONLY)
        .version_id("v1")
        .send()
        .await
        .expect_err("only the default version is bundled");
    assert_eq!(old.code(), Some("NoSuchEntity"));
    let versions = admin
        .list_policy_versions()
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(ids, vec!["v188"]);
    let tags = admin
        .list_policy_tags()
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap();
    assert!(tags.tags().is_empty());

    // Counts are the caller's account's: attachments and permissions boundaries.
    user_with_key(&sandbox, "reader").await;
    admin
        .attach_user_policy()
        .user_name("reader")
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap();
    admin
        .put_user_permissions_boundary()
        .user_name("reader")
        .permissions_boundary(READ_ONLY)
        .send()
        .await
        .unwrap();
    let counted = admin
        .get_policy()
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap();
    let counted = counted.policy().unwrap();
    assert_eq!(
        (
            counted.attachment_count(),
            counted.permissions_boundary_usage_count()
        ),
        (Some(1), Some(1))
    );
    let attached = admin
        .list_policies()
        .scope(PolicyScopeType::Aws)
        .only_attached(true)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = attached
        .policies()
        .iter()
        .filter_map(|p| p.policy_name())
        .collect();
    assert_eq!(names, vec!["AdministratorAccess", "ReadOnlyAccess"]);
    let changed = admin
        .create_policy_version()
        .policy_arn(READ_ONLY)
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        .send()
        .await
        .expect_err("AWS managed policies cannot be changed");
    assert_eq!(changed.code(), Some("AccessDenied"));
}

#[tokio::test]
async fn read_only_access_reads_iam_s3_and_sts_but_creates_nothing() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let admin = iam(&sandbox, &operator);
    s3(&sandbox, &operator, true)
        .create_bucket()
        .bucket("readable")
        .send()
        .await
        .unwrap();
    s3(&sandbox, &operator, true)
        .put_object()
        .bucket("readable")
        .key("note.txt")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    let keys = user_with_key(&sandbox, "reader").await;
    admin
        .attach_user_policy()
        .user_name("reader")
        .policy_arn(READ_ONLY)
        .send()
        .await
        .unwrap();
    let (reader_iam, reader_s3, reader_sts) = (
        iam(&sandbox, &keys),
        s3(&sandbox, &keys, true),
        sts(&sandbox, &keys),
    );

    // (operation, answer): `None` is success, `Some(code)` the error AWS gives.
    let table: Vec<(&str, Option<String>)> = vec![
        (
            "iam:ListUsers",
            reader_iam
                .list_users()
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "iam:GetUser",
            reader_iam
                .get_user()
                .user_name("reader")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "iam:ListRoles",
            reader_iam
                .list_roles()
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "iam:GetPolicy",
            reader_iam
                .get_policy()
                .policy_arn(READ_ONLY)
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "iam:CreateUser",
            reader_iam
                .create_user()
                .user_name("intruder")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "iam:CreateAccessKey",
            reader_iam
                .create_access_key()
                .user_name("reader")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "s3:ListAllMyBuckets",
            reader_s3
                .list_buckets()
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "s3:ListBucket",
            reader_s3
                .list_objects_v2()
                .bucket("readable")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "s3:GetObject",
            reader_s3
                .get_object()
                .bucket("readable")
                .key("note.txt")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "s3:GetBucketLocation",
            reader_s3
                .get_bucket_location()
                .bucket("readable")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "s3:PutObject",
            reader_s3
                .put_object()
                .bucket("readable")
                .key("new")
                .body(ByteStream::from_static(b"x"))
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "s3:CreateBucket",
            reader_s3
                .create_bucket()
                .bucket("not-mine")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "s3:DeleteObject",
            reader_s3
                .delete_object()
                .bucket("readable")
                .key("note.txt")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "sts:GetCallerIdentity",
            reader_sts
                .get_caller_identity()
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "sts:GetSessionToken",
            reader_sts
                .get_session_token()
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "sts:GetAccessKeyInfo",
            reader_sts
                .get_access_key_info()
                .access_key_id(&keys.id)
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
        (
            "sts:AssumeRole",
            reader_sts
                .assume_role()
                .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/anything"))
                .role_session_name("s1")
                .send()
                .await
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
        ),
    ];
    let expected: Vec<(&str, Option<String>)> = vec![
        ("iam:ListUsers", None),
        ("iam:GetUser", None),
        ("iam:ListRoles", None),
        ("iam:GetPolicy", None),
        ("iam:CreateUser", Some("AccessDenied".to_owned())),
        ("iam:CreateAccessKey", Some("AccessDenied".to_owned())),
        ("s3:ListAllMyBuckets", None),
        ("s3:ListBucket", None),
        ("s3:GetObject", None),
        ("s3:GetBucketLocation", None),
        ("s3:PutObject", Some("AccessDenied".to_owned())),
        ("s3:CreateBucket", Some("AccessDenied".to_owned())),
        ("s3:DeleteObject", Some("AccessDenied".to_owned())),
        ("sts:GetCallerIdentity", None),
        ("sts:GetSessionToken", None),
        ("sts:GetAccessKeyInfo", None),
        ("sts:AssumeRole", Some("AccessDenied".to_owned())),
    ];
    assert_eq!(table, expected);
}
