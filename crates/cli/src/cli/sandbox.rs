//! `awslab sandbox ...`: the subcommands' arguments and help text (the commands are in
//! `commands/sandbox.rs` and `commands/sandbox_saml.rs`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// The default port of `serve` and `env` (the one `LocalStack` uses, which tools expect).
pub const DEFAULT_PORT: u16 = 4566;

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the sandbox on 127.0.0.1 for the aws CLI and SDKs; stops on Ctrl-C.
    #[command(
        after_help = "Examples:\n  awslab sandbox serve &\n  eval \"$(awslab sandbox env)\"\n  aws sts get-caller-identity\n\n  awslab sandbox serve --propagation-delay 5s --throttle 20/s   # rehearse a real account\n\nLimits: a request head must arrive within --header-timeout (30 s; also how long an idle\nkept-alive connection stays open), its body within --body-timeout (60 s) and under 64 MiB\n(larger is `EntityTooLarge`: upload in parts); at most --max-connections (1000) are served\nat once, and one more is answered 503 and closed."
    )]
    Serve(ServeArgs),
    /// Print the operator's credentials and the endpoint as shell exports.
    #[command(
        after_help = "Examples:\n  eval \"$(awslab sandbox env --account 2)\"\n  awslab sandbox env --profile sandbox     # a profile with endpoint_url, files 0600\n  aws sts get-caller-identity --profile sandbox   # with `awslab sandbox serve` running"
    )]
    Env(EnvArgs),
    /// Forget everything: a new world with new operator keys.
    Reset(SandboxStateArgs),
    /// Show what exists: accounts, users, roles, policies, stacks, buckets.
    Status(SandboxStateArgs),
    /// Print the full policy evaluation behind a request the sandbox decided.
    #[command(
        after_help = "Examples:\n  awslab sandbox explain          # the most recent denial\n  awslab sandbox explain 2e2b128d-4274-3c1d-ad42-29879621d1d6"
    )]
    Explain(ExplainArgs),
    /// Mint a web identity token from the sandbox's OIDC issuer.
    #[command(
        after_help = "Example:\n  awslab sandbox token --sub student --aud lab > token.jwt\n\nThe issuer is https://oidc.awslab.localhost; register it with\n  aws iam create-open-id-connect-provider --url https://oidc.awslab.localhost --client-id-list lab"
    )]
    Token(TokenArgs),
    /// Mint a signed SAML response from the sandbox's SAML identity provider, or print its metadata.
    #[command(after_help = SAML_AFTER_HELP)]
    Saml(SamlArgs),
    /// Show the sandbox's clock, or move it forward (`advance 1h`) so temporary credentials expire without waiting.
    #[command(
        after_help = "Examples:\n  awslab sandbox clock advance 1h   # temporary credentials of 1 h expire\n  awslab sandbox clock              # the sandbox's time"
    )]
    Clock(ClockArgs),
}

#[derive(Debug, Args)]
pub struct ClockArgs {
    #[command(subcommand)]
    pub action: Option<ClockAction>,
    /// The same as `clock advance DURATION` (kept for older scripts).
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION", hide = true)]
    pub advance: Option<std::time::Duration>,
    #[command(flatten)]
    pub state: SandboxStateArgs,
}

#[derive(Debug, Subcommand)]
pub enum ClockAction {
    /// Move the clock forward by DURATION (`30m`, `1h`, `2d`); it never goes back
    Advance {
        /// How far: `30m`, `1h`, `2d`
        #[arg(value_parser = humantime::parse_duration, value_name = "DURATION")]
        duration: std::time::Duration,
    },
}

/// Where the sandbox's world lives.
#[derive(Debug, Args, Clone)]
pub struct SandboxStateArgs {
    /// The sandbox's state folder (shared by every awslab process that uses it).
    // `--state-dir` is the old spelling, kept hidden: in `up`/`down` it means the runs.
    #[arg(
        long = "sandbox-dir",
        alias = "state-dir",
        env = "AWSLAB_SANDBOX_DIR",
        default_value = ".awslab/sandbox",
        value_name = "DIR",
        global = true
    )]
    pub state_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// How long a client may take to send a request's head; a connection waiting that
    /// long for a request (new, or kept alive after an answer) is closed.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub header_timeout: std::time::Duration,
    /// How long a client may take to send a request's whole body; past it the request is
    /// answered `RequestTimeout` and the connection closed.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub body_timeout: std::time::Duration,
    /// How many connections are served at once; one more is answered 503 (`SlowDown`
    /// for S3, `ServiceUnavailable` for IAM and STS) and closed. Keep it below `ulimit -n`.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..), value_name = "COUNT")]
    pub max_connections: u32,
    #[command(flatten)]
    pub state: SandboxStateArgs,
    #[command(flatten)]
    pub rehearse: super::RehearseArgs,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The account: its number in `status` (1, 2, 3) or its 12-digit id.
    #[arg(long, default_value = "1")]
    pub account: String,
    /// The port `serve` listens on.
    #[arg(long, env = "AWSLAB_SANDBOX_PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Write the operator's keys as AWS CLI profile NAME (with the sandbox's
    /// `endpoint_url` and region, files 0600) instead of printing exports.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// With --profile: replace profile NAME even if awslab did not write it (it is
    /// refused otherwise); every other profile stays byte for byte.
    #[arg(long, requires = "profile")]
    pub replace: bool,
    #[command(flatten)]
    pub state: SandboxStateArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The request id (the `x-amzn-requestid` header; `aws --debug` shows it).
    /// Without it, the most recent denial is explained.
    pub request_id: Option<String>,
    #[command(flatten)]
    pub state: SandboxStateArgs,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The subject (`sub` claim).
    #[arg(long)]
    pub sub: String,
    /// The audience (`aud` claim): a client id of the OIDC provider.
    #[arg(long)]
    pub aud: String,
    /// How long the token is valid.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub duration: std::time::Duration,
    #[command(flatten)]
    pub state: SandboxStateArgs,
}

/// `awslab sandbox saml --help`, after the options.
pub const SAML_AFTER_HELP: &str = "Examples:\n  awslab sandbox saml --metadata > idp.xml\n  aws iam create-saml-provider --name SandboxIdP --saml-metadata-document file://idp.xml\n  awslab sandbox saml --subject student \\\n      --role arn:aws:iam::111122223333:role/SamlLab \\\n      --provider arn:aws:iam::111122223333:saml-provider/SandboxIdP > response.b64\n  aws sts assume-role-with-saml --role-arn arn:aws:iam::111122223333:role/SamlLab \\\n      --principal-arn arn:aws:iam::111122223333:saml-provider/SandboxIdP \\\n      --saml-assertion file://response.b64\n\nThe identity provider is https://saml.awslab.localhost; its responses are for the\naudience https://signin.aws.amazon.com/saml, valid --seconds (300) on the sandbox clock.";

#[derive(Debug, Args)]
pub struct SamlArgs {
    /// Print the identity provider's metadata document instead of a response.
    #[arg(long, conflicts_with_all = ["subject", "role", "provider", "session_name", "audience"])]
    pub metadata: bool,
    /// The subject (`NameID`, persistent): who signed in.
    #[arg(long, required_unless_present = "metadata", value_name = "NAME")]
    pub subject: Option<String>,
    /// The role the response's `Role` attribute offers.
    #[arg(long, required_unless_present = "metadata", value_name = "ROLE_ARN")]
    pub role: Option<String>,
    /// The IAM SAML provider the role is paired with in the `Role` attribute.
    #[arg(
        long,
        required_unless_present = "metadata",
        value_name = "PROVIDER_ARN"
    )]
    pub provider: Option<String>,
    /// The `RoleSessionName` attribute (the session's name); the subject by default.
    #[arg(long, value_name = "NAME")]
    pub session_name: Option<String>,
    /// The audience; AWS accepts only `https://signin.aws.amazon.com/saml` (the default).
    #[arg(long, value_name = "URI")]
    pub audience: Option<String>,
    /// How long the response is valid, in seconds (60..=3600).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(i64).range(60..=3600))]
    pub seconds: i64,
    #[command(flatten)]
    pub state: SandboxStateArgs,
}
