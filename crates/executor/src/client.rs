//! SDK configuration for a [`Target`]: the operator's config (default credential chain
//! or a named profile), configs for identities that steps made (static keys), and the
//! IAM, STS, S3 and `CloudFormation` clients built from either. Every config uses the
//! target's HTTP client (one rustls-ring client for a network target, the in-process
//! client of an embedded AWS) and a behaviour version pinned here, so an SDK upgrade
//! cannot silently change retries or defaults.
//!
//! Endpoints are explicit. With `endpoint_url` set, every service goes there (S3 with
//! path-style addressing, and checksums only when an operation requires one, because
//! emulators do not all decode `aws-chunked` uploads). Without it the target is real
//! AWS, and endpoints configured elsewhere (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_<SERVICE>`, `endpoint_url` in a profile) are deliberately ignored
//! (with a warning): a leftover variable must not send a run meant for an account to an
//! emulator, or the other way round. The cli resolves an exported `AWS_ENDPOINT_URL`
//! into an explicit endpoint target before it builds one, and says so.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::checksum_config::RequestChecksumCalculation;

use crate::profile_files::ProfilePaths;
use crate::secrets::Secret;

/// How requests reach the target.
#[derive(Clone)]
pub enum Connection {
    /// Real AWS over the network.
    Aws,
    /// A custom endpoint over the network (moto, `LocalStack`, `awslab sandbox serve`).
    Endpoint(String),
    /// An AWS in this process: requests go to `client` and never touch a socket;
    /// `endpoint` is only the URL the SDK addresses.
    InProcess {
        endpoint: String,
        client: SharedHttpClient,
        /// The endpoint profiles written for this target carry (a `serve` URL that
        /// exposes the same world to the `aws` CLI), if any.
        profile_endpoint: Option<String>,
    },
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Aws => f.write_str("Aws"),
            Self::Endpoint(url) => f.debug_tuple("Endpoint").field(url).finish(),
            Self::InProcess { endpoint, .. } => f
                .debug_struct("InProcess")
                .field("endpoint", endpoint)
                .finish_non_exhaustive(),
        }
    }
}

/// Mints web identity tokens from the target's own OIDC issuer, for a web identity
/// step's `sandbox_token:`: the embedded sandbox gives one (the cli builds it from the
/// sandbox, which the executor never depends on); other targets have none.
#[derive(Clone)]
pub struct TokenIssuer(std::sync::Arc<Mint>);

/// `mint(subject, audience, lifetime_seconds)`: a token, or why there is none.
type Mint = dyn Fn(&str, &str, i64) -> Result<String, String> + Send + Sync;

impl TokenIssuer {
    /// An issuer that mints with `mint(subject, audience, lifetime_seconds)`.
    pub fn new(
        mint: impl Fn(&str, &str, i64) -> Result<String, String> + Send + Sync + 'static,
    ) -> Self {
        Self(std::sync::Arc::new(mint))
    }

    /// A token for `subject` and `audience`, valid for `lifetime_seconds`.
    pub fn mint(
        &self,
        subject: &str,
        audience: &str,
        lifetime_seconds: i64,
    ) -> Result<String, String> {
        (self.0)(subject, audience, lifetime_seconds)
    }
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenIssuer")
    }
}

/// The target's own SAML identity provider (the sandbox's), for `sandbox_metadata:` of
/// an `iam.saml_provider` and `sandbox_assertion:` of `sts.assume_role_with_saml`: the
/// cli builds it from the sandbox, which the executor never depends on.
#[derive(Clone)]
pub struct SamlIssuer {
    metadata: std::sync::Arc<dyn Fn() -> Result<String, String> + Send + Sync>,
    mint: std::sync::Arc<SamlMint>,
}

/// `mint(&SamlAssertionRequest)`: a base64 SAML response, or why there is none.
type SamlMint = dyn Fn(&SamlAssertionRequest) -> Result<String, String> + Send + Sync;

/// What a SAML response minted for a step asserts.
#[derive(Debug, Clone, Default)]
pub struct SamlAssertionRequest {
    pub subject: String,
    pub session_name: Option<String>,
    pub role_arn: String,
    pub provider_arn: String,
    pub lifetime_seconds: i64,
}

impl SamlIssuer {
    /// An identity provider with its metadata document and its minting.
    pub fn new(
        metadata: impl Fn() -> Result<String, String> + Send + Sync + 'static,
        mint: impl Fn(&SamlAssertionRequest) -> Result<String, String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            metadata: std::sync::Arc::new(metadata),
            mint: std::sync::Arc::new(mint),
        }
    }

    /// The identity provider's metadata document.
    pub fn metadata(&self) -> Result<String, String> {
        (self.metadata)()
    }

    /// A signed SAML response (base64).
    pub fn mint(&self, request: &SamlAssertionRequest) -> Result<String, String> {
        (self.mint)(request)
    }
}

impl std::fmt::Debug for SamlIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SamlIssuer")
    }
}

/// Where a run sends its calls, and the HTTP client that carries them.
#[derive(Clone, Debug)]
pub struct Target {
    pub connection: Connection,
    pub region: String,
    /// The operator's profile; `None` is the default credential chain.
    pub profile: Option<String>,
    http: SharedHttpClient,
    /// Whether a change may take a while to be in force (IAM on AWS): `false` for an
    /// AWS in this process that applies every change at once, where the first answer
    /// to a call is final.
    propagates: bool,
    /// The target's own OIDC issuer, if it has one (the sandbox).
    tokens: Option<TokenIssuer>,
    /// The target's own SAML identity provider, if it has one (the sandbox).
    saml: Option<SamlIssuer>,
}

impl Target {
    /// Real AWS.
    pub fn aws(region: impl Into<String>, profile: Option<String>) -> Self {
        Self::over_network(Connection::Aws, region.into(), profile)
    }

    /// A custom endpoint over the network.
    pub fn endpoint(
        url: impl Into<String>,
        region: impl Into<String>,
        profile: Option<String>,
    ) -> Self {
        Self::over_network(Connection::Endpoint(url.into()), region.into(), profile)
    }

    /// An AWS in this process, answering through `client` with no socket.
    pub fn in_process(
        endpoint: impl Into<String>,
        client: SharedHttpClient,
        region: impl Into<String>,
        profile_endpoint: Option<String>,
    ) -> Self {
        Self {
            connection: Connection::InProcess {
                endpoint: endpoint.into(),
                client: client.clone(),
                profile_endpoint,
            },
            region: region.into(),
            profile: None,
            http: client,
            propagates: true,
            tokens: None,
            saml: None,
        }
    }

    fn over_network(connection: Connection, region: String, profile: Option<String>) -> Self {
        Self {
            connection,
            region,
            profile,
            http: network_client(),
            propagates: true,
            tokens: None,
            saml: None,
        }
    }

    /// This target with every change in force at once (the sandbox without a
    /// propagation delay): waits on IAM's eventual consistency take the first answer as
    /// final, so a wrong expectation fails at once instead of at the settle deadline.
    #[must_use]
    pub fn with_changes_in_force_at_once(mut self) -> Self {
        self.propagates = false;
        self
    }

    /// This target with its own OIDC issuer (the sandbox's), which mints the tokens of
    /// `sandbox_token:`.
    #[must_use]
    pub fn with_token_issuer(mut self, issuer: TokenIssuer) -> Self {
        self.tokens = Some(issuer);
        self
    }

    /// The target's own OIDC issuer, if it has one.
    pub fn token_issuer(&self) -> Option<&TokenIssuer> {
        self.tokens.as_ref()
    }

    /// This target with its own SAML identity provider (the sandbox's).
    #[must_use]
    pub fn with_saml_issuer(mut self, issuer: SamlIssuer) -> Self {
        self.saml = Some(issuer);
        self
    }

    /// The target's own SAML identity provider, if it has one.
    pub fn saml_issuer(&self) -> Option<&SamlIssuer> {
        self.saml.as_ref()
    }

    /// Whether a change may take a while to be in force (see
    /// [`Target::with_changes_in_force_at_once`]).
    pub fn propagates(&self) -> bool {
        self.propagates
    }

    /// The endpoint every service is sent to; `None` is real AWS.
    pub fn endpoint_url(&self) -> Option<&str> {
        match &self.connection {
            Connection::Aws => None,
            Connection::Endpoint(url) | Connection::InProcess { endpoint: url, .. } => Some(url),
        }
    }

    /// The endpoint a profile written for this target carries.
    pub fn profile_endpoint(&self) -> Option<&str> {
        match &self.connection {
            Connection::Aws => None,
            Connection::Endpoint(url) => Some(url),
            Connection::InProcess {
                profile_endpoint, ..
            } => profile_endpoint.as_deref(),
        }
    }

    pub fn is_aws(&self) -> bool {
        matches!(self.connection, Connection::Aws)
    }

    /// The HTTP client of this target: the network client, or the in-process one.
    pub fn http_client(&self) -> SharedHttpClient {
        self.http.clone()
    }
}

/// The behaviour version every config uses.
pub fn behavior_version() -> BehaviorVersion {
    BehaviorVersion::v2026_01_12()
}

/// The network HTTP client: hyper with rustls on ring. Reference-counted: the configs
/// a run builds for each identity and each verify attempt share one TLS setup and one
/// connection pool through their [`Target`].
fn network_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// The operator's config: the named profile or the default credential chain.
pub async fn operator_config(target: &Target) -> SdkConfig {
    operator_config_from(target, None).await
}

/// Like [`operator_config`], reading profiles from `files` instead of the files the
/// environment names (tests use it to stay away from the real `~/.aws`).
pub async fn operator_config_from(target: &Target, files: Option<&ProfilePaths>) -> SdkConfig {
    let mut loader = aws_config::defaults(behavior_version())
        .http_client(target.http_client())
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
    if let Some(endpoint) = target.endpoint_url() {
        loader = loader
            .endpoint_url(endpoint)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired);
    }
    let config = loader.load().await;
    if target.is_aws() {
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
        .http_client(target.http_client())
        .region(Region::new(target.region.clone()))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        );
    if let Some(endpoint) = target.endpoint_url() {
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
        builder.push_interceptor(
            aws_smithy_runtime_api::client::interceptors::SharedInterceptor::new(
                crate::request_ids::RecordRequestIds,
            ),
        );
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
        match endpoint_url {
            Some(url) => Target::endpoint(url, "eu-west-1", None),
            None => Target::aws("eu-west-1", None),
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
