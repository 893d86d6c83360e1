//! SDK configuration for a [`Target`]: the operator's config (default credential chain
//! or a named profile), configs for identities that steps made (static keys), and the
//! IAM, STS, S3 and `CloudFormation` clients built from either. Every config uses one
//! rustls-ring HTTP client and a behaviour version pinned here, so an SDK upgrade
//! cannot silently change retries or defaults.
//!
//! Endpoints are explicit. With `endpoint_url` set, every service goes there (S3 with
//! path-style addressing, and checksums only when an operation requires one, because
//! emulators do not all decode `aws-chunked` uploads). Without it the target is real
//! AWS, and endpoints configured elsewhere (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_<SERVICE>`, `endpoint_url` in a profile) are deliberately ignored
//! (with a warning): a leftover variable must not send a run meant for an account to an
//! emulator, or the other way round.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::checksum_config::RequestChecksumCalculation;

use crate::profile_files::ProfilePaths;
use crate::secrets::Secret;

/// Where a run sends its calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// A custom endpoint (moto, the sandbox); `None` is real AWS.
    pub endpoint_url: Option<String>,
    pub region: String,
    /// The operator's profile; `None` is the default credential chain.
    pub profile: Option<String>,
}

/// The behaviour version every config uses.
pub fn behavior_version() -> BehaviorVersion {
    BehaviorVersion::v2026_01_12()
}

/// The HTTP client every config uses: hyper with rustls on ring. Built once per
/// process and shared (it is reference-counted), so the configs a run builds for each
/// identity and each verify attempt reuse one TLS setup and one connection pool.
pub fn http_client() -> SharedHttpClient {
    static CLIENT: std::sync::OnceLock<SharedHttpClient> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https()
        })
        .clone()
}

/// The operator's config: the named profile or the default credential chain.
pub async fn operator_config(target: &Target) -> SdkConfig {
    operator_config_from(target, None).await
}

/// Like [`operator_config`], reading profiles from `files` instead of the files the
/// environment names (tests use it to stay away from the real `~/.aws`).
pub async fn operator_config_from(target: &Target, files: Option<&ProfilePaths>) -> SdkConfig {
    let mut loader = aws_config::defaults(behavior_version())
        .http_client(http_client())
        .region(Region::new(target.region.clone()));
    if let Some(files) = files {
        loader = loader.profile_files(
            EnvConfigFiles::builder()
                .with_file(EnvConfigFileKind::Config, &files.config)
                .with_file(EnvConfigFileKind::Credentials, &files.credentials)
                .build(),
        );
    }
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = &target.endpoint_url {
        loader = loader
            .endpoint_url(endpoint)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired);
    }
    let config = loader.load().await;
    if target.endpoint_url.is_none() {
        if let Some(configured) = config.endpoint_url() {
            tracing::warn!(
                endpoint = configured,
                "ignoring configured endpoint URL: the target is AWS"
            );
        }
        let mut builder = config.to_builder();
        builder.set_endpoint_url(None);
        return builder.build();
    }
    config
}

/// A config for credentials a step produced (an access key, a role session).
pub fn config_for_static(
    target: &Target,
    access_key_id: &str,
    secret_access_key: &Secret,
    session_token: Option<&Secret>,
) -> SdkConfig {
    let credentials = Credentials::new(
        access_key_id,
        secret_access_key.expose(),
        session_token.map(|token| token.expose().to_owned()),
        None,
        "awslab-step",
    );
    let mut builder = SdkConfig::builder()
        .behavior_version(behavior_version())
        .http_client(http_client())
        .region(Region::new(target.region.clone()))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        );
    if let Some(endpoint) = &target.endpoint_url {
        builder = builder
            .endpoint_url(endpoint)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired);
    }
    builder.build()
}

/// Service configs take the endpoint of the [`SdkConfig`] only, never a
/// service-specific one from the environment.
macro_rules! service_config {
    ($service:ident, $config:expr) => {{
        let mut builder = $service::config::Builder::from($config);
        builder.set_endpoint_url($config.endpoint_url().map(str::to_owned));
        builder
    }};
}

/// A query-protocol service config; with a custom endpoint it writes form spaces as
/// `+` (see [`crate::emulator_compat`]).
macro_rules! query_config {
    ($service:ident, $config:expr) => {{
        let mut builder = service_config!($service, $config);
        if $config.endpoint_url().is_some() {
            builder.push_interceptor(
                aws_smithy_runtime_api::client::interceptors::SharedInterceptor::new(
                    crate::emulator_compat::FormSpacesAsPlus,
                ),
            );
        }
        builder
    }};
}

pub fn iam_client(config: &SdkConfig) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::from_conf(query_config!(aws_sdk_iam, config).build())
}

pub fn sts_client(config: &SdkConfig) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::from_conf(query_config!(aws_sdk_sts, config).build())
}

/// S3 with path-style addressing when a custom endpoint is set (a loopback endpoint
/// has no bucket subdomains).
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let builder =
        service_config!(aws_sdk_s3, config).force_path_style(config.endpoint_url().is_some());
    aws_sdk_s3::Client::from_conf(builder.build())
}

pub fn cloudformation_client(config: &SdkConfig) -> aws_sdk_cloudformation::Client {
    aws_sdk_cloudformation::Client::from_conf(query_config!(aws_sdk_cloudformation, config).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(endpoint_url: Option<&str>) -> Target {
        Target {
            endpoint_url: endpoint_url.map(str::to_owned),
            region: "eu-west-1".into(),
            profile: None,
        }
    }

    #[test]
    fn static_config_carries_endpoint_region_and_session_token() {
        let config = config_for_static(
            &target(Some("http://127.0.0.1:5000")),
            "ASIAEXAMPLE",
            &Secret::new("secret"),
            Some(&Secret::new("token")),
        );
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:5000"));
        assert_eq!(config.region().unwrap().as_ref(), "eu-west-1");
        assert_eq!(
            config.request_checksum_calculation(),
            Some(RequestChecksumCalculation::WhenRequired)
        );
    }

    #[test]
    fn static_config_for_aws_has_no_endpoint() {
        let config = config_for_static(&target(None), "AKIAEXAMPLE", &Secret::new("secret"), None);
        assert_eq!(config.endpoint_url(), None);
    }
}
