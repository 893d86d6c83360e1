//! [`MotoServer`]: moto on 127.0.0.1 with authorization enforced. It is launched by a
//! small Python program (`moto_launcher.py`) that binds an OS-chosen port, reports it,
//! and exits by itself when its parent dies or after 20 minutes. The first three
//! requests skip authentication (`INITIAL_NO_AUTH_ACTION_COUNT=3`); they create the
//! `admin` user, give it `*` on `*` and create its access key, the operator's keys.
//! Dropping the server kills and reaps the process.

use std::io::{self, BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_smithy_http_client::tls;

use crate::operator_files::{AdminKeys, OperatorFiles};

const LAUNCHER: &str = include_str!("moto_launcher.py");
const READY_TIMEOUT: Duration = Duration::from_mins(1);
const ADMIN_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// A running moto server; killed on drop.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    endpoint_url: String,
    admin: AdminKeys,
}

impl MotoServer {
    pub const REGION: &'static str = "us-east-1";
    pub const ACCOUNT_ID: &'static str = "123456789012";

    /// Starts moto and sets up the admin operator. Returns `None` (after a loud
    /// `SKIPPED` line on stderr) when moto is not installed, unless `CI=true`, where
    /// that is a failure. Panics if moto is installed but does not start.
    pub async fn start(test_name: &str) -> Option<Self> {
        Self::start_with(test_name, true).await
    }

    /// Starts moto with authorization off: every request is accepted, whatever its
    /// signature. For tests of behaviour moto's `SigV4` check gets wrong: moto 5.2
    /// answers `SignatureDoesNotMatch` to a correctly signed S3 `ListObjectsV2` whose
    /// `prefix` holds a `/` (boto3's and the Rust SDK's alike), so shared state on S3
    /// (`runs/` under a prefix) runs on this server.
    pub async fn start_without_auth(test_name: &str) -> Option<Self> {
        Self::start_with(test_name, false).await
    }

    async fn start_with(test_name: &str, auth: bool) -> Option<Self> {
        if !moto_installed() {
            let on_ci = std::env::var("CI").is_ok_and(|value| value == "true");
            assert!(
                !on_ci,
                "moto_server is not installed (pip install 'moto[server]'); CI=true, so {test_name} cannot be skipped"
            );
            report_skip(test_name);
            return None;
        }
        match Self::launch(auth).await {
            Ok(server) => Some(server),
            Err(error) => panic!("cannot start moto for {test_name}: {error}"),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint_url
    }

    pub fn admin(&self) -> &AdminKeys {
        &self.admin
    }

    /// A config and credentials file pair for the admin operator.
    pub fn operator_files(&self) -> io::Result<OperatorFiles> {
        OperatorFiles::write(&self.admin, Some(&self.endpoint_url))
    }

    async fn launch(auth: bool) -> io::Result<Self> {
        let mut command = Command::new("python3");
        if auth {
            command.env("INITIAL_NO_AUTH_ACTION_COUNT", "3");
        } else {
            command.env_remove("INITIAL_NO_AUTH_ACTION_COUNT");
        }
        let mut child = command
            .arg("-c")
            .arg(LAUNCHER)
            // AWS managed policies (AmazonS3ReadOnlyAccess, ...) exist, as on AWS.
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take();
        let mut server = Self {
            child,
            endpoint_url: String::new(),
            admin: AdminKeys::default(),
        };
        let stdout = stdout.ok_or_else(|| io::Error::other("moto launcher has no stdout"))?;
        let (lines, received) = mpsc::channel();
        // Drains stdout for the life of the process so moto never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = lines.send(line);
            }
        });
        let ready = tokio::task::spawn_blocking(move || received.recv_timeout(READY_TIMEOUT))
            .await
            .map_err(io::Error::other)?
            .map_err(|_| io::Error::other("moto did not report READY in time"))?;
        let port: u16 = ready
            .strip_prefix("READY ")
            .and_then(|port| port.trim().parse().ok())
            .ok_or_else(|| io::Error::other(format!("unexpected moto launcher output: {ready}")))?;
        server.endpoint_url = format!("http://127.0.0.1:{port}");
        server.admin = bootstrap_admin(&server.endpoint_url).await?;
        Ok(server)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

#[expect(
    clippy::print_stderr,
    reason = "the one message a skipped test must show"
)]
fn report_skip(test_name: &str) {
    eprintln!(
        "SKIPPED: moto_server is not installed (pip install 'moto[server]'); {test_name} did not run"
    );
}

/// Spends the three unauthenticated requests on the admin user, its policy and its key.
async fn bootstrap_admin(endpoint_url: &str) -> io::Result<AdminKeys> {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(MotoServer::REGION))
        .endpoint_url(endpoint_url)
        .credentials_provider(Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "bootstrap",
            None,
            None,
            "testkit",
        ))
        .retry_config(RetryConfig::disabled())
        .http_client(http_client)
        .build();
    let iam = aws_sdk_iam::Client::from_conf(config);
    iam.create_user()
        .user_name("admin")
        .send()
        .await
        .map_err(io::Error::other)?;
    iam.put_user_policy()
        .user_name("admin")
        .policy_name("admin")
        .policy_document(ADMIN_POLICY)
        .send()
        .await
        .map_err(io::Error::other)?;
    let created = iam
        .create_access_key()
        .user_name("admin")
        .send()
        .await
        .map_err(io::Error::other)?;
    let key = created
        .access_key()
        .ok_or_else(|| io::Error::other("CreateAccessKey returned no key"))?;
    Ok(AdminKeys {
        access_key_id: key.access_key_id().to_owned(),
        secret_access_key: key.secret_access_key().to_owned(),
    })
}
