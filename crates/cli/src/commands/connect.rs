//! Where a command's calls go, and as whom: the embedded sandbox in this process, as
//! its first account's operator (the default), a real account (`--target aws` or
//! `--profile`: the default credential chain or that profile), or an endpoint URL
//! (moto, `LocalStack`). `down` reconnects to what the run's journal recorded unless
//! the command line names another target.

use std::path::PathBuf;

use aws_config::SdkConfig;
use awslab_executor::{Secret, Target, TargetInfo, config_for_static};
use awslab_sandbox::{IN_PROCESS_ENDPOINT, Sandbox};

use crate::cli::{TargetArgs, TargetKind};
use crate::exit::{Failure, Status};

/// A target and the operator's SDK config for it.
pub struct Connection {
    pub target: Target,
    pub operator: SdkConfig,
    /// The sandbox's state folder, when the target is the sandbox.
    pub sandbox: Option<PathBuf>,
}

impl Connection {
    /// What the journal records of the target.
    pub fn info(&self, account: &str) -> TargetInfo {
        TargetInfo {
            endpoint: self.target.endpoint_url().map(str::to_owned),
            region: self.target.region.clone(),
            account: Some(account.to_owned()),
            sandbox: self.sandbox.clone(),
        }
    }

    /// How the target is named to people.
    pub fn describe(&self) -> String {
        match (&self.sandbox, self.target.endpoint_url()) {
            (Some(dir), _) => format!(
                "the sandbox in `{}` (in this process; `awslab sandbox serve` shows it to the aws CLI)",
                dir.display()
            ),
            (None, Some(url)) => url.to_owned(),
            (None, None) => "AWS".to_owned(),
        }
    }
}

fn region(args: &TargetArgs, recorded: Option<&TargetInfo>) -> String {
    let env_region = std::env::var("AWS_REGION")
        .ok()
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.is_empty());
    args.region
        .clone()
        .or_else(|| recorded.map(|t| t.region.clone()))
        .or(env_region)
        .unwrap_or_else(|| "us-east-1".to_owned())
}

/// Connects as the command line says, or else as `recorded` (a run's journal) says.
pub async fn connect(
    args: &TargetArgs,
    recorded: Option<&TargetInfo>,
) -> Result<Connection, Failure> {
    let region = region(args, recorded);
    let named = args.target.is_some() || args.endpoint_url.is_some() || args.profile.is_some();
    let sandbox_dir = match args.target {
        Some(TargetKind::Sandbox) => Some(args.sandbox_dir.clone()),
        Some(TargetKind::Aws) => None,
        None if named => None,
        // Nothing named: where the run went, or else the sandbox, the default target.
        None => recorded.map_or_else(|| Some(args.sandbox_dir.clone()), |r| r.sandbox.clone()),
    };
    if let Some(dir) = sandbox_dir {
        return sandbox(dir, region, args);
    }
    let rehearsed = args.rehearse.named();
    if !rehearsed.is_empty() {
        return Err(Failure::new(
            Status::Invalid,
            format!(
                "`{}` rehearses AWS on the sandbox only, and this target is not the sandbox",
                rehearsed.join("` and `")
            ),
        )
        .hint("drop the flag, or run on the sandbox (`--target sandbox`, or no `--target`, `--endpoint-url` or `--profile`)"));
    }
    let endpoint = match &args.endpoint_url {
        Some(url) => Some(url.clone()),
        None if named => None,
        None => recorded.and_then(|t| t.endpoint.clone()),
    };
    let target = match endpoint {
        Some(url) => Target::endpoint(url, region, args.profile.clone()),
        None => Target::aws(region, args.profile.clone()),
    };
    let operator = awslab_executor::credentials::operator(&target, None).await?;
    Ok(Connection {
        target,
        operator,
        sandbox: None,
    })
}

fn sandbox(dir: PathBuf, region: String, args: &TargetArgs) -> Result<Connection, Failure> {
    let port = args.sandbox_port;
    let fail = |error: awslab_sandbox::SandboxError| {
        let message = format!("cannot open the sandbox in `{}`: {error}", dir.display());
        super::sandbox::open_failure(&error, message)
    };
    let mut sandbox = Sandbox::open(&dir).map_err(fail)?;
    // Without a propagation delay every change is in force at once, so the first
    // answer to a call is final: a wrong expectation fails at once.
    let mut in_force_at_once = true;
    if let Some(options) = args.rehearse.options() {
        in_force_at_once = options.propagation_delay.is_zero();
        sandbox = sandbox.with_options(options);
    }
    let account = sandbox
        .accounts()
        .map_err(fail)?
        .into_iter()
        .next()
        .ok_or_else(|| Failure::new(Status::Invalid, "the sandbox has no account"))?;
    let operator = sandbox.operator(&account).map_err(fail)?;
    let mut target = Target::in_process(
        IN_PROCESS_ENDPOINT,
        sandbox.http_client(),
        region,
        Some(format!("http://127.0.0.1:{port}")),
    );
    if in_force_at_once {
        target = target.with_changes_in_force_at_once();
    }
    // The sandbox's own OIDC issuer mints the tokens of a web identity `sandbox_token:`.
    let issuer = sandbox.clone();
    target = target.with_token_issuer(awslab_executor::TokenIssuer::new(
        move |subject, audience, seconds| {
            issuer
                .mint_token(subject, audience, seconds)
                .map_err(|e| e.to_string())
        },
    ));
    let config = config_for_static(
        &target,
        &operator.access_key_id,
        &Secret::new(operator.secret_access_key),
        None,
    );
    Ok(Connection {
        target,
        operator: config,
        sandbox: Some(dir),
    })
}
