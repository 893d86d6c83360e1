//! STS through the Rust SDK in-process: session tokens, federation tokens, web
//! identity with tokens the sandbox mints, duration rules, role chaining.

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, from_sts, iam, s3, sts, user_with_key};

const S3_LIST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#;

#[tokio::test]
async fn session_token_credentials_act_as_the_user_but_not_on_iam() {
    let sandbox = Sandbox::in_memory();
    let user = user_with_key(&sandbox, "alice").await;
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    admin
        .put_user_policy()
        .user_name("alice")
        .policy_name("list")
        .policy_document(S3_LIST)
        .send()
        .await
        .expect("policy");

    let short = sts(&sandbox, &user)
        .get_session_token()
        .duration_seconds(600)
        .send()
        .await
        .expect_err("too short");
    assert_eq!(short.code(), Some("ValidationError"));
    let session = sts(&sandbox, &user)
        .get_session_token()
        .duration_seconds(900)
        .send()
        .await
        .expect("session token");
    let keys = from_sts(session.credentials().expect("credentials"));
    let who = sts(&sandbox, &keys)
        .get_caller_identity()
        .send()
        .await
        .expect("who");
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/alice").as_str())
    );
    s3(&sandbox, &keys, true)
        .list_buckets()
        .send()
        .await
        .expect("user's policy applies");
    let iam_call = iam(&sandbox, &keys)
        .list_users()
        .send()
        .await
        .expect_err("IAM needs MFA");
    assert_eq!(iam_call.code(), Some("InvalidClientTokenId"));
    let again = sts(&sandbox, &keys)
        .get_session_token()
        .send()
        .await
        .expect_err("not with session credentials");
    assert_eq!(again.code(), Some("AccessDenied"));
}

#[tokio::test]
async fn federation_token_permissions_are_the_intersection() {
    let sandbox = Sandbox::in_memory();
    let user = user_with_key(&sandbox, "bob").await;
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    admin
        .put_user_policy()
        .user_name("bob")
        .policy_name("fed")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetFederationToken","s3:ListAllMyBuckets"],"Resource":"*"}]}"#)
        .send()
        .await
        .expect("policy");

    let bare = sts(&sandbox, &user)
        .get_federation_token()
        .name("visitor")
        .send()
        .await
        .expect("federation token");
    assert_eq!(
        bare.federated_user()
            .map(aws_sdk_sts::types::FederatedUser::arn),
        Some(format!("arn:aws:sts::{ACCOUNT}:federated-user/visitor").as_str())
    );
    let bare_keys = from_sts(bare.credentials().expect("credentials"));
    let denied = s3(&sandbox, &bare_keys, true)
        .list_buckets()
        .send()
        .await
        .expect_err("no session policy, no permission");
    assert_eq!(denied.code(), Some("AccessDenied"));

    let scoped = sts(&sandbox, &user)
        .get_federation_token()
        .name("visitor")
        .policy(S3_LIST)
        .send()
        .await
        .expect("federation token");
    let keys = from_sts(scoped.credentials().expect("credentials"));
    s3(&sandbox, &keys, true)
        .list_buckets()
        .send()
        .await
        .expect("user policy and session policy both allow");
    let who = sts(&sandbox, &keys)
        .get_caller_identity()
        .send()
        .await
        .expect("who");
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT}:federated-user/visitor").as_str())
    );
}

#[tokio::test]
async fn web_identity_tokens_minted_by_the_sandbox_assume_a_role() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let provider = admin
        .create_open_id_connect_provider()
        .url(Sandbox::issuer_url())
        .client_id_list("lab")
        .send()
        .await
        .expect("provider");
    let provider_arn = provider
        .open_id_connect_provider_arn()
        .expect("arn")
        .to_owned();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider_arn}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"oidc.awslab.localhost:sub":"student","oidc.awslab.localhost:aud":"lab"}}}}}}]}}"#
    );
    let role = admin
        .create_role()
        .role_name("web")
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("role");
    let role_arn = role.role().expect("role").arn().to_owned();
    let anonymous = Keys {
        id: "unused".into(),
        secret: "unused".into(),
        token: None,
    };

    let token = sandbox.mint_token("student", "lab", 600).expect("token");
    let assumed = sts(&sandbox, &anonymous)
        .assume_role_with_web_identity()
        .role_arn(&role_arn)
        .role_session_name("web-session")
        .web_identity_token(token)
        .send()
        .await
        .expect("assume with web identity");
    assert_eq!(assumed.subject_from_web_identity_token(), Some("student"));
    let keys = from_sts(assumed.credentials().expect("credentials"));
    let who = sts(&sandbox, &keys)
        .get_caller_identity()
        .send()
        .await
        .expect("who");
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/web/web-session").as_str())
    );

    let other = sandbox.mint_token("intruder", "lab", 600).expect("token");
    let denied = sts(&sandbox, &anonymous)
        .assume_role_with_web_identity()
        .role_arn(&role_arn)
        .role_session_name("x1")
        .web_identity_token(other)
        .send()
        .await
        .expect_err("sub condition");
    assert_eq!(denied.code(), Some("AccessDenied"));
    let forged = sts(&sandbox, &anonymous)
        .assume_role_with_web_identity()
        .role_arn(&role_arn)
        .role_session_name("x1")
        .web_identity_token("a.b.c")
        .send()
        .await
        .expect_err("forged");
    assert_eq!(forged.code(), Some("InvalidIdentityToken"));
}

#[tokio::test]
async fn assume_role_enforces_durations_session_names_and_chaining() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let admin = iam(&sandbox, &operator);
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let role = admin
        .create_role()
        .role_name("long")
        .max_session_duration(7200)
        .assume_role_policy_document(&trust)
        .send()
        .await
        .expect("role");
    let arn = role.role().expect("role").arn().to_owned();
    admin.put_role_policy().role_name("long").policy_name("chain").policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#).send().await.expect("policy");
    let client = sts(&sandbox, &operator);

    let cases: [(i32, &str, Option<&str>); 4] = [
        (800, "ok-name", Some("ValidationError")),
        (7300, "ok-name", Some("ValidationError")),
        (3600, "x", Some("ValidationError")),
        (7200, "ok-name", None),
    ];
    for (seconds, name, expected) in cases {
        let answer = client
            .assume_role()
            .role_arn(&arn)
            .role_session_name(name)
            .duration_seconds(seconds)
            .send()
            .await;
        assert_eq!(
            answer.as_ref().err().and_then(|error| error.code()),
            expected,
            "{seconds} {name}"
        );
    }
    let first = client
        .assume_role()
        .role_arn(&arn)
        .role_session_name("first")
        .send()
        .await
        .expect("assume");
    let chained = sts(
        &sandbox,
        &from_sts(first.credentials().expect("credentials")),
    );
    let too_long = chained
        .assume_role()
        .role_arn(&arn)
        .role_session_name("second")
        .duration_seconds(7200)
        .send()
        .await
        .expect_err("chaining caps at 1 h");
    assert!(
        too_long
            .message()
            .is_some_and(|message| message.contains("role chaining")),
        "{too_long:?}"
    );
    chained
        .assume_role()
        .role_arn(&arn)
        .role_session_name("second")
        .send()
        .await
        .expect("chained within 1 h");

    let missing = client
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/absent"))
        .role_session_name("s1")
        .send()
        .await
        .expect_err("no such role");
    assert_eq!(missing.code(), Some("AccessDenied"));
    let nowhere = client
        .assume_role()
        .role_arn("arn:aws:iam::999999999999:role/any")
        .role_session_name("s1")
        .send()
        .await
        .expect_err("no such account");
    assert_eq!(nowhere.code(), Some("AccessDenied"));
}
