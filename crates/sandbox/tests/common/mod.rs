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

pub fn cloudformation(sandbox: &Sandbox, keys: &Keys) -> aws_sdk_cloudformation::Client {
    let config = aws_sdk_cloudformation::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(keys.credentials())
        .endpoint_url(IN_PROCESS_ENDPOINT)
        .http_client(sandbox.http_client())
        .build();
    aws_sdk_cloudformation::Client::from_conf(config)
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

/// The sandbox served on a free loopback port (what `awslab sandbox serve` runs), for
/// tests that drive it with the real `aws` CLI; [`Served::stop`] ends it.
pub struct Served {
    pub port: u16,
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<()>,
}

impl Served {
    pub async fn start(sandbox: &std::sync::Arc<Sandbox>) -> Served {
        let listener = awslab_sandbox::bind(0).await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let sandbox = std::sync::Arc::clone(sandbox);
        let handle = tokio::spawn(async move {
            sandbox
                .serve(listener, async {
                    let _ = stopped.await;
                })
                .await;
        });
        Served { port, stop, handle }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.handle.await.expect("the server stops");
    }
}

/// The real `aws` CLI as `keys`, against a served sandbox, with its own (empty)
/// config and credentials files: never the person's `~/.aws`.
pub struct AwsCli {
    pub port: u16,
    pub keys: Keys,
    pub dir: tempfile::TempDir,
}

impl AwsCli {
    pub fn new(served: &Served, keys: Keys) -> AwsCli {
        AwsCli {
            port: served.port,
            keys,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// `aws ARGS`, ready to run.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new("aws");
        command
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_CONFIG_FILE", self.dir.path().join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("credentials"),
            )
            .env("AWS_ACCESS_KEY_ID", &self.keys.id)
            .env("AWS_SECRET_ACCESS_KEY", &self.keys.secret)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("PYTHONIOENCODING", "utf-8:surrogateescape")
            .env(
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", self.port),
            )
            .args(args);
        command
    }
}

/// The code of a virtual MFA device's seed for the current 30-second step plus
/// `steps` (RFC 6238, as an authenticator app shows it).
pub fn mfa_code(seed: &str, steps: i64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() + steps * 30;
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(seed).expect("a base32 seed"))
        .build()
        .expect("a TOTP");
    totp.generate(u64::try_from(now).expect("after 1970"))
        .to_string()
}

/// A six-digit code that is none of the device's codes from one step ago to one ahead.
pub fn wrong_mfa_code(seed: &str) -> String {
    let near: Vec<String> = (-2..=2).map(|steps| mfa_code(seed, steps)).collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|code| !near.contains(code))
        .expect("a code far from the current ones")
}

/// Creates a virtual MFA device named after `user` and enables it for the user with
/// two consecutive codes; returns its serial number and base32 seed.
pub async fn enabled_mfa_device(admin: &aws_sdk_iam::Client, user: &str) -> (String, String) {
    let created = admin
        .create_virtual_mfa_device()
        .virtual_mfa_device_name(user)
        .send()
        .await
        .expect("CreateVirtualMFADevice");
    let device = created.virtual_mfa_device().expect("a device");
    let serial = device.serial_number().to_owned();
    let seed = String::from_utf8(
        device
            .base32_string_seed()
            .expect("a seed")
            .as_ref()
            .to_vec(),
    )
    .expect("a base32 text");
    admin
        .enable_mfa_device()
        .user_name(user)
        .serial_number(&serial)
        .authentication_code1(mfa_code(&seed, -1))
        .authentication_code2(mfa_code(&seed, 0))
        .send()
        .await
        .expect("EnableMFADevice");
    (serial, seed)
}
