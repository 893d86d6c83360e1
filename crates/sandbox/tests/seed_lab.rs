//! The seed lab end to end through the Rust SDK, in-process: a user without
//! permissions is denied S3 with AWS's message, assumes a role that trusts it, and
//! lists the bucket through the role; deletions follow IAM's `DeleteConflict` rules.

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, from_sts, iam, s3, sts, user_with_key};

const BUCKET: &str = "sts-lab-bucket";

fn trust(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

#[tokio::test]
async fn seed_lab_runs_as_on_aws() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let admin = iam(&sandbox, &operator);
    let user = user_with_key(&sandbox, "sts-lab-user").await;
    let user_arn = format!("arn:aws:iam::{ACCOUNT}:user/sts-lab-user");

    let who = sts(&sandbox, &user)
        .get_caller_identity()
        .send()
        .await
        .expect("who am I");
    assert_eq!(who.arn(), Some(user_arn.as_str()));

    let denied = s3(&sandbox, &user, true)
        .list_buckets()
        .send()
        .await
        .expect_err("denied");
    assert_eq!(denied.code(), Some("AccessDenied"));
    assert_eq!(
        denied.message(),
        Some(format!("User: {user_arn} is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action").as_str())
    );

    let role = admin
        .create_role()
        .role_name("lab-role")
        // Trusting the account delegates to identity policies (a trust policy naming
        // the user itself would suffice on its own, as AWS documents).
        .assume_role_policy_document(trust(&format!("arn:aws:iam::{ACCOUNT}:root")))
        .send()
        .await
        .expect("create role");
    let role_arn = role.role().expect("role").arn().to_owned();
    admin
        .put_role_policy()
        .role_name("lab-role")
        .policy_name("s3")
        .policy_document(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::{BUCKET}","arn:aws:s3:::{BUCKET}/*"]}},{{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}}]}}"#))
        .send()
        .await
        .expect("role policy");

    let operator_s3 = s3(&sandbox, &operator, false);
    operator_s3
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("create bucket");
    operator_s3
        .put_object()
        .bucket(BUCKET)
        .key("notes/hello.txt")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .expect("put object");

    let denied = s3(&sandbox, &user, true)
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect_err("denied");
    assert_eq!(denied.code(), Some("AccessDenied"));
    assert!(
        denied
            .message()
            .is_some_and(|m| m.contains("s3:ListBucket on resource: arn:aws:s3:::sts-lab-bucket")),
        "{denied:?}"
    );

    let refused = sts(&sandbox, &user)
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("s3-sts-lab")
        .send()
        .await
        .expect_err("no sts permission yet");
    assert_eq!(refused.code(), Some("AccessDenied"));

    admin
        .put_user_policy()
        .user_name("sts-lab-user")
        .policy_name("StsAssumePolicy")
        .policy_document(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{role_arn}"}}]}}"#))
        .send()
        .await
        .expect("user policy");

    let assumed = sts(&sandbox, &user)
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("s3-sts-lab")
        .send()
        .await
        .expect("assume");
    let credentials = assumed.credentials().expect("credentials");
    assert!(credentials.access_key_id().starts_with("ASIA"));
    let role_keys = from_sts(credentials);

    let who = sts(&sandbox, &role_keys)
        .get_caller_identity()
        .send()
        .await
        .expect("who am I");
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/lab-role/s3-sts-lab").as_str())
    );
    assert_eq!(who.account(), Some(ACCOUNT));

    let listed = s3(&sandbox, &role_keys, true)
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect("role lists");
    let keys: Vec<&str> = listed
        .contents()
        .iter()
        .filter_map(|object| object.key())
        .collect();
    assert_eq!(keys, ["notes/hello.txt"]);
    let buckets = s3(&sandbox, &role_keys, false)
        .list_buckets()
        .send()
        .await
        .expect("role lists buckets");
    assert!(
        buckets
            .buckets()
            .iter()
            .any(|bucket| bucket.name() == Some(BUCKET))
    );
    let object = s3(&sandbox, &role_keys, false)
        .get_object()
        .bucket(BUCKET)
        .key("notes/hello.txt")
        .send()
        .await
        .expect("get");
    let body = object.body.collect().await.expect("body").into_bytes();
    assert_eq!(&body[..], b"hello");

    // Still denied as the user alone.
    let still = s3(&sandbox, &user, true)
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect_err("denied");
    assert_eq!(still.code(), Some("AccessDenied"));

    // Deletions follow AWS's order.
    let conflict = admin
        .delete_user()
        .user_name("sts-lab-user")
        .send()
        .await
        .expect_err("keys first");
    assert_eq!(conflict.code(), Some("DeleteConflict"));
    let conflict = admin
        .delete_role()
        .role_name("lab-role")
        .send()
        .await
        .expect_err("policies first");
    assert_eq!(conflict.code(), Some("DeleteConflict"));
    let not_empty = operator_s3
        .delete_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect_err("objects first");
    assert_eq!(not_empty.code(), Some("BucketNotEmpty"));

    operator_s3
        .delete_object()
        .bucket(BUCKET)
        .key("notes/hello.txt")
        .send()
        .await
        .expect("delete object");
    operator_s3
        .delete_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("delete bucket");
    admin
        .delete_role_policy()
        .role_name("lab-role")
        .policy_name("s3")
        .send()
        .await
        .expect("delete role policy");
    admin
        .delete_role()
        .role_name("lab-role")
        .send()
        .await
        .expect("delete role");
    admin
        .delete_user_policy()
        .user_name("sts-lab-user")
        .policy_name("StsAssumePolicy")
        .send()
        .await
        .expect("delete user policy");
    admin
        .delete_access_key()
        .user_name("sts-lab-user")
        .access_key_id(&user.id)
        .send()
        .await
        .expect("delete key");
    admin
        .delete_user()
        .user_name("sts-lab-user")
        .send()
        .await
        .expect("delete user");
    let gone = admin
        .get_user()
        .user_name("sts-lab-user")
        .send()
        .await
        .expect_err("gone");
    assert_eq!(gone.code(), Some("NoSuchEntity"));

    let status = sandbox.status().expect("status");
    assert!(status.buckets.is_empty());
    assert_eq!(status.accounts[0].users, ["awslab-operator"]);
}
