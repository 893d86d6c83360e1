//! Against moto with authorization enforced: the operator config from client.rs works,
//! a fresh user's S3 call is classified as a genuine denial, and a wrong secret as a
//! credential that has not propagated. Skips (loudly) when moto is not installed.

use awslab_executor::classify::{ErrorClass, ErrorInfo};
use awslab_executor::client::{
    Target, config_for_static, iam_client, operator_config_from, s3_client, sts_client,
};
use awslab_executor::profile_files::ProfilePaths;
use awslab_executor::secrets::Secret;
use awslab_testkit::MotoServer;

fn target(moto: &MotoServer) -> Target {
    Target::endpoint(
        moto.endpoint_url(),
        MotoServer::REGION,
        Some("default".into()),
    )
}

#[tokio::test]
async fn fresh_user_is_denied_s3_while_operator_is_allowed() {
    let Some(moto) =
        MotoServer::start("moto_smoke::fresh_user_is_denied_s3_while_operator_is_allowed").await
    else {
        return;
    };
    let files = moto.operator_files().unwrap();
    let paths = ProfilePaths {
        credentials: files.credentials.clone(),
        config: files.config.clone(),
    };
    let target = target(&moto);
    let operator = operator_config_from(&target, Some(&paths)).await;

    let identity = sts_client(&operator)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(identity.arn(), Some("arn:aws:iam::123456789012:user/admin"));

    let iam = iam_client(&operator);
    iam.create_user()
        .user_name("smoke-user")
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("smoke-user")
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();

    let s3 = s3_client(&operator);
    s3.create_bucket()
        .bucket("smoke-bucket")
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("smoke-bucket")
        .key("hello.txt")
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap();

    let user = config_for_static(
        &target,
        key.access_key_id(),
        &Secret::new(key.secret_access_key()),
        None,
    );
    let error = s3_client(&user).list_buckets().send().await.unwrap_err();
    let info = ErrorInfo::from_sdk(&error);
    assert_eq!(info.class(), ErrorClass::Denied, "{info}");
    assert_eq!(info.status, Some(403));

    let duplicate = iam
        .create_user()
        .user_name("smoke-user")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        ErrorInfo::from_sdk(&duplicate).class(),
        ErrorClass::AlreadyExists
    );
    let missing = iam.get_user().user_name("nobody").send().await.unwrap_err();
    assert_eq!(ErrorInfo::from_sdk(&missing).class(), ErrorClass::NotFound);
}

#[tokio::test]
async fn wrong_secret_is_classified_as_propagating_not_denied() {
    let Some(moto) =
        MotoServer::start("moto_smoke::wrong_secret_is_classified_as_propagating_not_denied").await
    else {
        return;
    };
    let target = target(&moto);
    let wrong = config_for_static(
        &target,
        &moto.admin().access_key_id,
        &Secret::new("not-the-secret"),
        None,
    );
    let error = sts_client(&wrong)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    let info = ErrorInfo::from_sdk(&error);
    assert_eq!(info.class(), ErrorClass::Propagating, "{info} {error:?}");
}
