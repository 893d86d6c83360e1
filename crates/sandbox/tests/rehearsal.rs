//! Rehearsing a real account, in-process through the Rust SDK: under a propagation
//! delay, new keys, grants and trust policies take effect only once the sandbox's
//! clock has passed the delay (moved with `advance_clock`, never slept on), removals
//! at once; under a throttle, `Throttling` and `SlowDown` answers that the SDK retries.

#![expect(clippy::unwrap_used, reason = "a test fails on a broken sandbox")]

mod common;

use std::time::Duration;

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use aws_smithy_types::retry::RetryConfig;
use awslab_sandbox::{IN_PROCESS_ENDPOINT, Options, Sandbox};
use common::{ACCOUNT, Keys, from_sts, iam, s3, sts, user_with_key};

const S3_LIST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#;

fn delayed(seconds: u64) -> Sandbox {
    Sandbox::in_memory().with_options(Options {
        propagation_delay: Duration::from_secs(seconds),
        throttle: None,
    })
}

fn trust(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

fn assume_policy(role: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::{ACCOUNT}:role/{role}"}}]}}"#
    )
}

async fn code_of_list_buckets(sandbox: &Sandbox, keys: &Keys) -> Option<String> {
    s3(sandbox, keys, true)
        .list_buckets()
        .send()
        .await
        .err()
        .and_then(|error| error.code().map(str::to_owned))
}

#[tokio::test]
async fn a_new_key_is_refused_until_the_delay_passes() {
    let sandbox = delayed(5);
    let user = user_with_key(&sandbox, "alice").await;
    let refused = sts(&sandbox, &user)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("InvalidClientTokenId"));
    assert_eq!(
        code_of_list_buckets(&sandbox, &user).await.as_deref(),
        Some("InvalidAccessKeyId")
    );
    sandbox.advance_clock(4).unwrap();
    assert!(
        sts(&sandbox, &user)
            .get_caller_identity()
            .send()
            .await
            .is_err(),
        "still propagating after 4 of 5 seconds"
    );
    sandbox.advance_clock(1).unwrap();
    let who = sts(&sandbox, &user)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/alice").as_str())
    );
    // No user policy: a genuine denial now, not a credential error.
    assert_eq!(
        code_of_list_buckets(&sandbox, &user).await.as_deref(),
        Some("AccessDenied")
    );
}

#[tokio::test]
async fn a_process_without_a_delay_sees_the_changes_another_made_with_one() {
    let world = Sandbox::in_memory();
    let delayed = world.clone().with_options(Options {
        propagation_delay: Duration::from_secs(5),
        throttle: None,
    });
    let user = user_with_key(&delayed, "alice").await;
    // The effective time is in the world: the plain sandbox refuses the key too.
    let refused = sts(&world, &user)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("InvalidClientTokenId"));
    world.advance_clock(5).unwrap();
    sts(&world, &user)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_new_grant_is_denied_until_the_delay_passes_and_removals_are_at_once() {
    let sandbox = delayed(5);
    let user = user_with_key(&sandbox, "alice").await;
    sandbox.advance_clock(5).unwrap();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    admin
        .put_user_policy()
        .user_name("alice")
        .policy_name("list")
        .policy_document(S3_LIST)
        .send()
        .await
        .unwrap();
    // IAM's own API shows the policy at once; authorization does not use it yet.
    let got = admin
        .get_user_policy()
        .user_name("alice")
        .policy_name("list")
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy_name(), "list");
    assert_eq!(
        code_of_list_buckets(&sandbox, &user).await.as_deref(),
        Some("AccessDenied")
    );
    sandbox.advance_clock(5).unwrap();
    assert_eq!(code_of_list_buckets(&sandbox, &user).await, None);

    admin
        .delete_user_policy()
        .user_name("alice")
        .policy_name("list")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code_of_list_buckets(&sandbox, &user).await.as_deref(),
        Some("AccessDenied"),
        "a removal takes effect at once"
    );
}

#[tokio::test]
async fn an_attached_policy_and_a_new_default_version_wait_for_the_delay() {
    let sandbox = delayed(3);
    let user = user_with_key(&sandbox, "alice").await;
    sandbox.advance_clock(3).unwrap();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let nothing = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::none/*"}]}"#;
    let policy = admin
        .create_policy()
        .policy_name("lister")
        .policy_document(nothing)
        .send()
        .await
        .unwrap();
    let arn = policy.policy().unwrap().arn().unwrap().to_owned();
    admin
        .attach_user_policy()
        .user_name("alice")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    sandbox.advance_clock(3).unwrap();
    assert_eq!(
        code_of_list_buckets(&sandbox, &user).await.as_deref(),
        Some("AccessDenied"),
        "v1 grants no ListAllMyBuckets"
    );
    admin
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(S3_LIST)
        .set_as_default(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code_of_list_buckets(&sandbox, &user).await.as_deref(),
        Some("AccessDenied"),
        "v1 stays in force while v2 propagates"
    );
    sandbox.advance_clock(3).unwrap();
    assert_eq!(code_of_list_buckets(&sandbox, &user).await, None);

    // A fresh attachment of a granting policy also waits.
    admin
        .detach_user_policy()
        .user_name("alice")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code_of_list_buckets(&sandbox, &user).await.as_deref(),
        Some("AccessDenied")
    );
    admin
        .attach_user_policy()
        .user_name("alice")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code_of_list_buckets(&sandbox, &user).await.as_deref(),
        Some("AccessDenied")
    );
    sandbox.advance_clock(3).unwrap();
    assert_eq!(code_of_list_buckets(&sandbox, &user).await, None);
}

#[tokio::test]
async fn a_new_role_and_an_updated_trust_policy_wait_for_the_delay() {
    let sandbox = delayed(5);
    let alice = user_with_key(&sandbox, "alice").await;
    let bob = user_with_key(&sandbox, "bob").await;
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    for user in ["alice", "bob"] {
        admin
            .put_user_policy()
            .user_name(user)
            .policy_name("assume")
            .policy_document(assume_policy("lab"))
            .send()
            .await
            .unwrap();
    }
    sandbox.advance_clock(5).unwrap();
    admin
        .create_role()
        .role_name("lab")
        .assume_role_policy_document(trust(&format!("arn:aws:iam::{ACCOUNT}:user/alice")))
        .send()
        .await
        .unwrap();
    let assume = |keys: &Keys| {
        sts(&sandbox, keys)
            .assume_role()
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/lab"))
            .role_session_name("lab-session")
            .send()
    };
    let early = assume(&alice).await.unwrap_err();
    assert_eq!(
        early.code(),
        Some("AccessDenied"),
        "a new role is not in effect yet"
    );
    sandbox.advance_clock(5).unwrap();
    let session = assume(&alice).await.unwrap();
    // Session credentials work at once (STS issues them already in effect).
    let keys = from_sts(session.credentials().unwrap());
    sts(&sandbox, &keys)
        .get_caller_identity()
        .send()
        .await
        .unwrap();

    admin
        .update_assume_role_policy()
        .role_name("lab")
        .policy_document(trust(&format!("arn:aws:iam::{ACCOUNT}:user/bob")))
        .send()
        .await
        .unwrap();
    // The previous trust policy is still the one in force.
    assume(&alice).await.unwrap();
    assert_eq!(assume(&bob).await.unwrap_err().code(), Some("AccessDenied"));
    sandbox.advance_clock(5).unwrap();
    assume(&bob).await.unwrap();
    assert_eq!(
        assume(&alice).await.unwrap_err().code(),
        Some("AccessDenied")
    );
}

#[tokio::test]
async fn a_group_membership_waits_for_the_delay() {
    let sandbox = delayed(2);
    let user = user_with_key(&sandbox, "alice").await;
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    admin
        .create_group()
        .group_name("readers")
        .send()
        .await
        .unwrap();
    admin
        .put_group_policy()
        .group_name("readers")
        .policy_name("list")
        .policy_document(S3_LIST)
        .send()
        .await
        .unwrap();
    sandbox.advance_clock(2).unwrap();
    admin
        .add_user_to_group()
        .group_name("readers")
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code_of_list_buckets(&sandbox, &user).await.as_deref(),
        Some("AccessDenied")
    );
    sandbox.advance_clock(2).unwrap();
    assert_eq!(code_of_list_buckets(&sandbox, &user).await, None);
    admin
        .remove_user_from_group()
        .group_name("readers")
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code_of_list_buckets(&sandbox, &user).await.as_deref(),
        Some("AccessDenied")
    );
}

fn throttled(rate: &str) -> Sandbox {
    Sandbox::in_memory().with_options(Options {
        propagation_delay: Duration::ZERO,
        throttle: Some(rate.parse().unwrap()),
    })
}

/// A raw signed request's answer, for the HTTP shape: SDK clients without retries.
fn no_retries(sandbox: &Sandbox) -> (aws_sdk_iam::Client, aws_sdk_s3::Client) {
    let keys = Keys::operator(sandbox, ACCOUNT);
    let credentials =
        aws_credential_types::Credentials::new(&keys.id, &keys.secret, None, None, "test");
    let region = aws_sdk_iam::config::Region::new("us-east-1");
    let iam = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(region.clone())
        .credentials_provider(credentials.clone())
        .endpoint_url(IN_PROCESS_ENDPOINT)
        .http_client(sandbox.http_client())
        .retry_config(RetryConfig::disabled())
        .build();
    let s3 = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .endpoint_url(IN_PROCESS_ENDPOINT)
        .force_path_style(true)
        .http_client(sandbox.http_client())
        .retry_config(RetryConfig::disabled())
        .build();
    (
        aws_sdk_iam::Client::from_conf(iam),
        aws_sdk_s3::Client::from_conf(s3),
    )
}

#[tokio::test]
async fn over_the_rate_iam_answers_throttling_and_s3_slow_down() {
    // 1 request a second: a burst of three gets at least one refusal per service.
    let sandbox = throttled("1/s");
    let (iam, s3) = no_retries(&sandbox);
    let mut refusal = None;
    for _ in 0..3 {
        if let Err(error) = iam.list_users().send().await {
            refusal = Some(error);
            break;
        }
    }
    let refusal = refusal.expect("a burst over the rate is refused");
    assert_eq!(refusal.code(), Some("Throttling"));
    assert_eq!(refusal.message(), Some("Rate exceeded"));
    assert_eq!(
        refusal.raw_response().map(|r| r.status().as_u16()),
        Some(400)
    );

    let mut refusal = None;
    for _ in 0..3 {
        if let Err(error) = s3.list_buckets().send().await {
            refusal = Some(error);
            break;
        }
    }
    let refusal = refusal.expect("a burst over the rate is refused");
    assert_eq!(refusal.code(), Some("SlowDown"));
    assert_eq!(
        refusal.raw_response().map(|r| r.status().as_u16()),
        Some(503)
    );
}

#[tokio::test]
async fn the_sdk_retries_throttling_until_the_bucket_refills() {
    let sandbox = throttled("2/s");
    let keys = Keys::operator(&sandbox, ACCOUNT);
    let credentials =
        aws_credential_types::Credentials::new(&keys.id, &keys.secret, None, None, "test");
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(IN_PROCESS_ENDPOINT)
        .http_client(sandbox.http_client())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(20)
                .with_initial_backoff(Duration::from_millis(50)),
        )
        .build();
    let client = aws_sdk_iam::Client::from_conf(config);
    // Eight calls at two a second: the SDK classifies `Throttling` as retryable and
    // every call succeeds in the end.
    for _ in 0..8 {
        client.list_users().send().await.unwrap();
    }
    // And the same burst without retries is refused.
    let (iam, _) = no_retries(&sandbox);
    let mut refused = false;
    for _ in 0..3 {
        refused |= iam.list_users().send().await.is_err();
    }
    assert!(refused);
}
