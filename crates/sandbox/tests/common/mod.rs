//! Shared test support: SDK clients for the in-process sandbox, built from explicit
//! credentials (no profile files, no environment).

#![expect(
    clippy::expect_used,
    reason = "test support fails the test on a broken sandbox"
)]
#![allow(dead_code, reason = "each test binary uses part of the support")]

use aws_credential_types::Credentials;
use aws_sdk_iam::config::{BehaviorVersion, Region};
use awslab_sandbox::{IN_PROCESS_ENDPOINT, Sandbox};

/// Credentials: key id, secret, optional session token.
#[derive(Clone, Debug)]
pub struct Keys {
    pub id: String,
    pub secret: String,
    pub token: Option<String>,
}

impl Keys {
    pub fn operator(sandbox: &Sandbox, account: &str) -> Self {
        let operator = sandbox.operator(account).expect("operator");
        Self {
            id: operator.access_key_id,
            secret: operator.secret_access_key,
            token: None,
        }
    }

    fn credentials(&self) -> Credentials {
        Credentials::new(&self.id, &self.secret, self.token.clone(), None, "test")
    }
}

pub fn iam(sandbox: &Sandbox, keys: &Keys) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(keys.credentials())
        .endpoint_url(IN_PROCESS_ENDPOINT)
        .http_client(sandbox.http_client())
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

pub fn sts(sandbox: &Sandbox, keys: &Keys) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(keys.credentials())
        .endpoint_url(IN_PROCESS_ENDPOINT)
        .http_client(sandbox.http_client())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

/// An S3 client; `path_style: false` exercises virtual-hosted addressing.
pub fn s3(sandbox: &Sandbox, keys: &Keys, path_style: bool) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(keys.credentials())
        .endpoint_url(IN_PROCESS_ENDPOINT)
        .force_path_style(path_style)
        .http_client(sandbox.http_client())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Keys from STS credentials.
pub fn from_sts(credentials: &aws_sdk_sts::types::Credentials) -> Keys {
    Keys {
        id: credentials.access_key_id().to_owned(),
        secret: credentials.secret_access_key().to_owned(),
        token: Some(credentials.session_token().to_owned()),
    }
}

pub const ACCOUNT: &str = "111122223333";
pub const OTHER_ACCOUNT: &str = "444455556666";

/// Creates user `name` with an access key as the operator; returns its keys.
pub async fn user_with_key(sandbox: &Sandbox, name: &str) -> Keys {
    let operator = iam(sandbox, &Keys::operator(sandbox, ACCOUNT));
    operator
        .create_user()
        .user_name(name)
        .send()
        .await
        .expect("create user");
    let key = operator
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .expect("create key");
    let key = key.access_key().expect("key");
    Keys {
        id: key.access_key_id().to_owned(),
        secret: key.secret_access_key().to_owned(),
        token: None,
    }
}
