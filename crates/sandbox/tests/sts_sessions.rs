//! STS session tags (`sts:TagSession`, `aws:RequestTag/*`, `aws:PrincipalTag/*`,
//! transitive tags), source identity (`sts:SetSourceIdentity`, `aws:SourceIdentity`)
//! and MFA (`aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge`, what
//! `GetSessionToken` credentials may call) through the Rust SDK in-process.

#![expect(clippy::too_many_lines, reason = "each test is a story told in order")]
#![allow(
    clippy::unwrap_used,
    clippy::type_complexity,
    reason = "helpers fail loudly; case tables"
)]

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use aws_sdk_sts::types::Tag;
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, from_sts, iam, s3, sts, user_with_key};

fn trust(actions: &str, condition: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":{actions}{condition}}}]}}"#
    )
}

fn allow(actions: &str, condition: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{actions},"Resource":"*"{condition}}}]}}"#
    )
}

async fn role(admin: &aws_sdk_iam::Client, name: &str, trust: &str, policy: &str) -> String {
    let created = admin
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .max_session_duration(7200)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("team")
                .value("blue")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    admin
        .put_role_policy()
        .role_name(name)
        .policy_name("inline")
        .policy_document(policy)
        .send()
        .await
        .unwrap();
    created.role().unwrap().arn().to_owned()
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

#[tokio::test]
async fn session_tags_need_tag_session_and_become_principal_tags() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let admin = iam(&sandbox, &operator);
    let list_if_red = allow(
        r#"["s3:ListAllMyBuckets","sts:AssumeRole","sts:TagSession"]"#,
        r#","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}"#,
    );
    let plain = role(
        &admin,
        "plain",
        &trust(r#""sts:AssumeRole""#, ""),
        &list_if_red,
    )
    .await;
    let tagging = role(
        &admin,
        "tagging",
        &trust(
            r#"["sts:AssumeRole","sts:TagSession"]"#,
            r#","Condition":{"StringEqualsIfExists":{"aws:RequestTag/project":"lab"}}"#,
        ),
        &list_if_red,
    )
    .await;
    let chained = role(
        &admin,
        "chained",
        &trust(r#"["sts:AssumeRole","sts:TagSession"]"#, ""),
        &allow(
            r#""s3:ListAllMyBuckets""#,
            r#","Condition":{"StringEquals":{"aws:PrincipalTag/project":"lab"}}"#,
        ),
    )
    .await;
    let client = sts(&sandbox, &operator);

    // (role, tags, transitive keys) -> error code, or success.
    let cases: [(&str, Vec<Tag>, Vec<&str>, Option<&str>); 6] = [
        (&plain, vec![], vec![], None),
        (
            &plain,
            vec![tag("team", "red")],
            vec![],
            Some("AccessDenied"),
        ),
        (
            &tagging,
            vec![tag("project", "other")],
            vec![],
            Some("AccessDenied"),
        ),
        (
            &tagging,
            vec![tag("project", "lab")],
            vec!["team"],
            Some("InvalidParameterValue"),
        ),
        (
            &tagging,
            vec![tag("team", "a"), tag("TEAM", "b")],
            vec![],
            Some("InvalidParameterValue"),
        ),
        (
            &tagging,
            vec![tag("project", "lab"), tag("team", "red")],
            vec!["project"],
            None,
        ),
    ];
    for (arn, tags, transitive, expected) in cases {
        let answer = client
            .assume_role()
            .role_arn(arn)
            .role_session_name("tagged")
            .set_tags(Some(tags.clone()))
            .set_transitive_tag_keys(Some(transitive.iter().map(|k| (*k).to_owned()).collect()))
            .send()
            .await;
        assert_eq!(
            answer.as_ref().err().and_then(|error| error.code()),
            expected,
            "{arn} {tags:?}: {answer:?}"
        );
        if let Err(error) = &answer
            && arn == plain
        {
            assert!(
                error
                    .message()
                    .is_some_and(|m| m.contains("sts:TagSession")),
                "{error:?}"
            );
        }
    }

    // The session's tags override the role's `team=blue`.
    let red = client
        .assume_role()
        .role_arn(&tagging)
        .role_session_name("red")
        .tags(tag("project", "lab"))
        .tags(tag("team", "red"))
        .transitive_tag_keys("project")
        .send()
        .await
        .unwrap();
    let red_keys = from_sts(red.credentials().unwrap());
    s3(&sandbox, &red_keys, true)
        .list_buckets()
        .send()
        .await
        .expect("aws:PrincipalTag/team is the session tag");
    let blue = client
        .assume_role()
        .role_arn(&tagging)
        .role_session_name("blue")
        .send()
        .await
        .unwrap();
    let denied = s3(&sandbox, &from_sts(blue.credentials().unwrap()), true)
        .list_buckets()
        .send()
        .await
        .expect_err("aws:PrincipalTag/team is the role's tag, blue");
    assert_eq!(denied.code(), Some("AccessDenied"));

    // A transitive tag passes on when the session assumes the next role.
    let red_sts = sts(&sandbox, &red_keys);
    let next = red_sts
        .assume_role()
        .role_arn(&chained)
        .role_session_name("next")
        .send()
        .await
        .expect("chained");
    s3(&sandbox, &from_sts(next.credentials().unwrap()), true)
        .list_buckets()
        .send()
        .await
        .expect("project=lab came along");
    let reset = red_sts
        .assume_role()
        .role_arn(&chained)
        .role_session_name("next")
        .tags(tag("project", "other"))
        .send()
        .await
        .expect_err("a transitive tag cannot be set again");
    assert_eq!(reset.code(), Some("InvalidParameterValue"));
}

#[tokio::test]
async fn source_identity_needs_set_source_identity_and_stays_with_the_chain() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let admin = iam(&sandbox, &operator);
    let policy = allow(
        r#"["s3:ListAllMyBuckets","sts:AssumeRole","sts:SetSourceIdentity"]"#,
        r#","Condition":{"StringEqualsIfExists":{"aws:SourceIdentity":"alice"}}"#,
    );
    let silent = role(&admin, "silent", &trust(r#""sts:AssumeRole""#, ""), &policy).await;
    let sourcing = role(
        &admin,
        "sourcing",
        &trust(r#"["sts:AssumeRole","sts:SetSourceIdentity"]"#, ""),
        &policy,
    )
    .await;
    let client = sts(&sandbox, &operator);

    let cases: [(&str, &str, Option<&str>); 5] = [
        (&silent, "alice", Some("AccessDenied")),
        (&sourcing, "a", Some("ValidationError")),
        (&sourcing, "aws:alice", Some("ValidationError")),
        (&sourcing, "has space", Some("ValidationError")),
        (&sourcing, "alice", None),
    ];
    for (arn, source, expected) in cases {
        let answer = client
            .assume_role()
            .role_arn(arn)
            .role_session_name("s1")
            .source_identity(source)
            .send()
            .await;
        assert_eq!(
            answer.as_ref().err().and_then(|error| error.code()),
            expected,
            "{arn} {source}"
        );
    }
    let denied = client
        .assume_role()
        .role_arn(&silent)
        .role_session_name("s1")
        .source_identity("alice")
        .send()
        .await
        .expect_err("no sts:SetSourceIdentity");
    assert!(
        denied
            .message()
            .is_some_and(|m| m.contains("sts:SetSourceIdentity")),
        "{denied:?}"
    );

    let first = client
        .assume_role()
        .role_arn(&sourcing)
        .role_session_name("first")
        .source_identity("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(first.source_identity(), Some("alice"));
    let keys = from_sts(first.credentials().unwrap());
    s3(&sandbox, &keys, true)
        .list_buckets()
        .send()
        .await
        .expect("aws:SourceIdentity is alice");
    let chain = sts(&sandbox, &keys);
    let second = chain
        .assume_role()
        .role_arn(&sourcing)
        .role_session_name("second")
        .send()
        .await
        .expect("the chain keeps the source identity");
    assert_eq!(second.source_identity(), Some("alice"));
    let changed = chain
        .assume_role()
        .role_arn(&sourcing)
        .role_session_name("second")
        .source_identity("bob")
        .send()
        .await
        .expect_err("cannot change it");
    assert_eq!(changed.code(), Some("ValidationError"));
    let untrusted = chain
        .assume_role()
        .role_arn(&silent)
        .role_session_name("third")
        .send()
        .await
        .expect_err("the next trust policy must allow sts:SetSourceIdentity too");
    assert_eq!(untrusted.code(), Some("AccessDenied"));
}

#[tokio::test]
async fn mfa_opens_iam_to_session_tokens_and_satisfies_mfa_conditions() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let admin = iam(&sandbox, &operator);
    let user = user_with_key(&sandbox, "mfa-user").await;
    admin
        .put_user_policy()
        .user_name("mfa-user")
        .policy_name("p")
        .policy_document(allow(
            r#"["iam:ListUsers","sts:AssumeRole","sts:GetFederationToken","s3:ListAllMyBuckets"]"#,
            "",
        ))
        .send()
        .await
        .unwrap();
    let (serial, seed) = common::enabled_mfa_device(&admin, "mfa-user").await;
    let mfa_only = role(
        &admin,
        "mfa-only",
        &trust(
            r#""sts:AssumeRole""#,
            r#","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
        ),
        &allow(
            r#""iam:ListUsers""#,
            r#","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#,
        ),
    )
    .await;
    let user_sts = sts(&sandbox, &user);

    // Session tokens without MFA: no IAM, and of STS only AssumeRole and GetCallerIdentity.
    let plain = user_sts.get_session_token().send().await.unwrap();
    let plain_keys = from_sts(plain.credentials().unwrap());
    let refused = iam(&sandbox, &plain_keys)
        .list_users()
        .send()
        .await
        .expect_err("IAM needs MFA");
    assert_eq!(refused.code(), Some("InvalidClientTokenId"));
    let federation = sts(&sandbox, &plain_keys)
        .get_federation_token()
        .name("visitor")
        .send()
        .await
        .expect_err("GetSessionToken credentials call only AssumeRole and GetCallerIdentity");
    assert_eq!(federation.code(), Some("AccessDenied"));
    s3(&sandbox, &plain_keys, true)
        .list_buckets()
        .send()
        .await
        .expect("other services act as the user");
    let no_mfa_assume = sts(&sandbox, &plain_keys)
        .assume_role()
        .role_arn(&mfa_only)
        .role_session_name("s1")
        .send()
        .await
        .expect_err("aws:MultiFactorAuthPresent is false");
    assert_eq!(no_mfa_assume.code(), Some("AccessDenied"));

    // (serial, code) -> error code or success.
    let current = common::mfa_code(&seed, 0);
    let wrong = common::wrong_mfa_code(&seed);
    let unknown = format!("arn:aws:iam::{ACCOUNT}:mfa/nobody");
    let cases: [(&str, &str, Option<&str>); 5] = [
        ("short", "123456", Some("ValidationError")),
        (&serial, "12345", Some("AccessDenied")),
        (&serial, &wrong, Some("AccessDenied")),
        (&unknown, &current, Some("AccessDenied")),
        (&serial, &current, None),
    ];
    for (given_serial, code, expected) in cases {
        let answer = user_sts
            .get_session_token()
            .serial_number(given_serial)
            .token_code(code)
            .send()
            .await;
        assert_eq!(
            answer.as_ref().err().and_then(|error| error.code()),
            expected,
            "{given_serial} {code}"
        );
    }
    let with_mfa = user_sts
        .get_session_token()
        .serial_number(&serial)
        .token_code(common::mfa_code(&seed, 0))
        .send()
        .await
        .unwrap();
    let mfa_keys = from_sts(with_mfa.credentials().unwrap());
    iam(&sandbox, &mfa_keys)
        .list_users()
        .send()
        .await
        .expect("IAM with MFA");
    sts(&sandbox, &mfa_keys)
        .assume_role()
        .role_arn(&mfa_only)
        .role_session_name("s2")
        .send()
        .await
        .expect("MFA session credentials satisfy aws:MultiFactorAuthPresent");

    // MFA given to AssumeRole itself, by long-term keys.
    let denied = user_sts
        .assume_role()
        .role_arn(&mfa_only)
        .role_session_name("s3")
        .send()
        .await
        .expect_err("no MFA");
    assert_eq!(denied.code(), Some("AccessDenied"));
    let assumed = user_sts
        .assume_role()
        .role_arn(&mfa_only)
        .role_session_name("s3")
        .serial_number(&serial)
        .token_code(common::mfa_code(&seed, 0))
        .duration_seconds(7200)
        .send()
        .await
        .expect("MFA given with the request");
    let role_keys = from_sts(assumed.credentials().unwrap());
    iam(&sandbox, &role_keys)
        .list_users()
        .send()
        .await
        .expect("aws:MultiFactorAuthAge is under an hour");
    sandbox.advance_clock(3700).unwrap();
    let aged = iam(&sandbox, &role_keys)
        .list_users()
        .send()
        .await
        .expect_err("aws:MultiFactorAuthAge is over an hour");
    assert_eq!(aged.code(), Some("AccessDenied"));
}
