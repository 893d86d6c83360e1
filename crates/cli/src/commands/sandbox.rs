//! `awslab sandbox ...`: serve the embedded AWS on 127.0.0.1, print its operator's
//! credentials as shell exports (`env`, the one subcommand that prints secrets),
//! reset it, show what exists, explain a decision, mint web identity tokens.

use awslab_sandbox::Sandbox;

use crate::cli::sandbox::{
    ClockAction, ClockArgs, EnvArgs, ExplainArgs, SandboxCommand, SandboxStateArgs, ServeArgs,
    TokenArgs,
};
use crate::exit::{Failure, OrFail as _, Status, finish};

pub fn run(command: SandboxCommand) -> Status {
    finish(match command {
        SandboxCommand::Serve(args) => serve(&args),
        SandboxCommand::Env(args) => env(&args),
        SandboxCommand::Reset(args) => reset(&args),
        SandboxCommand::Status(args) => status(&args),
        SandboxCommand::Explain(args) => explain(&args),
        SandboxCommand::Token(args) => token(&args),
        SandboxCommand::Saml(args) => super::sandbox_saml::saml(&args),
        SandboxCommand::Clock(args) => clock(&args),
    })
}

pub(super) fn open(state: &SandboxStateArgs) -> Result<Sandbox, Failure> {
    Sandbox::open(&state.state_dir).map_err(|error| open_failure(&error, error.to_string()))
}

/// A sandbox that cannot be opened: `message`, with the error's own advice (a damaged
/// database names what a reset would lose) or else the general one.
pub fn open_failure(error: &awslab_sandbox::SandboxError, message: String) -> Failure {
    let hint = miette::Diagnostic::help(error).map_or_else(
        || "run `awslab sandbox reset` if the state is damaged".to_owned(),
        |help| help.to_string(),
    );
    Failure::new(Status::Invalid, message).hint(hint)
}

fn serve(args: &ServeArgs) -> Result<Status, Failure> {
    let mut sandbox = open(&args.state)?;
    // Load the world now, so a database that cannot be read stops `serve` here rather
    // than failing every request.
    sandbox
        .accounts()
        .map_err(|error| open_failure(&error, error.to_string()))?;
    if let Some(options) = args.rehearse.options() {
        sandbox = sandbox.with_options(options);
    }
    let runtime = super::up::runtime()?;
    runtime.block_on(async {
        let listener = awslab_sandbox::bind(args.port)
            .await
            .or_fail(Status::Invalid)?;
        let address = listener.local_addr().or_fail(Status::Invalid)?;
        println!("awslab sandbox listening on http://{address}");
        println!("state: {}", args.state.state_dir.display());
        println!(
            "credentials: eval \"$(awslab sandbox env --port {} --sandbox-dir {})\"",
            address.port(),
            args.state.state_dir.display()
        );
        if let Some(options) = args.rehearse.options() {
            println!("{}", rehearsing(options));
        }
        println!("stop with Ctrl-C");
        let limits = awslab_sandbox::ServeLimits {
            header_timeout: args.header_timeout,
            body_timeout: args.body_timeout,
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        };
        sandbox
            .serve_with(listener, limits, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
        Ok(Status::Success)
    })
}

/// What `serve` rehearses, for its banner.
pub fn rehearsing(options: awslab_sandbox::Options) -> String {
    let mut parts = Vec::new();
    if !options.propagation_delay.is_zero() {
        parts.push(format!(
            "changes take effect {} after they are made",
            humantime::format_duration(options.propagation_delay)
        ));
    }
    if let Some(rate) = options.throttle {
        parts.push(format!("at most {rate} per account and service"));
    }
    format!("rehearsing AWS: {}", parts.join("; "))
}

fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

fn env(args: &EnvArgs) -> Result<Status, Failure> {
    let sandbox = open(&args.state)?;
    let accounts = sandbox.accounts().or_fail(Status::Invalid)?;
    let account = match args.account.parse::<usize>() {
        Ok(index) if (1..=accounts.len()).contains(&index) => accounts[index - 1].clone(),
        _ if accounts.contains(&args.account) => args.account.clone(),
        _ => {
            return Err(Failure::new(
                Status::Invalid,
                format!("the sandbox has no account `{}`", args.account),
            )
            .hint(format!("accounts: 1 = {}", accounts.join(", 2 = "))));
        }
    };
    let operator = sandbox.operator(&account).or_fail(Status::Invalid)?;
    if let Some(name) = &args.profile {
        return super::sandbox_profile::write(args, name, &operator);
    }
    println!(
        "export AWS_ACCESS_KEY_ID={}",
        shell_quote(&operator.access_key_id)
    );
    println!(
        "export AWS_SECRET_ACCESS_KEY={}",
        shell_quote(&operator.secret_access_key)
    );
    println!("unset AWS_SESSION_TOKEN");
    println!("unset AWS_PROFILE");
    println!(
        "export AWS_ENDPOINT_URL={}",
        shell_quote(&format!("http://127.0.0.1:{}", args.port))
    );
    println!("export AWS_REGION='us-east-1'");
    println!("export AWS_DEFAULT_REGION='us-east-1'");
    println!("# operator {} of account {account}", operator.arn);
    Ok(Status::Success)
}

fn reset(args: &SandboxStateArgs) -> Result<Status, Failure> {
    // Not `open`: a reset must also work on state this awslab cannot read.
    Sandbox::open_reset(&args.state_dir).or_fail(Status::Invalid)?;
    println!(
        "sandbox reset: new accounts and operator keys in {}",
        args.state_dir.display()
    );
    Ok(Status::Success)
}

fn status(args: &SandboxStateArgs) -> Result<Status, Failure> {
    let status = open(args)?.status().or_fail(Status::Invalid)?;
    println!("emulated services:");
    for service in &status.services {
        println!(
            "  {} ({}, API version {}): {} operations; CloudFormation types: {}",
            service.name,
            service.protocol,
            service.api_version,
            service.operations,
            list(&service.resource_types)
        );
    }
    println!(
        "other services answered through the generic catalog: {}",
        status.generic_services
    );
    for (index, account) in status.accounts.iter().enumerate() {
        println!("account {} `{}`", index + 1, account.id);
        println!("  users: {}", list(&account.users));
        println!("  roles: {}", list(&account.roles));
        println!("  customer managed policies: {}", list(&account.policies));
        println!("  OIDC providers: {}", list(&account.oidc_providers));
        println!("  SAML providers: {}", list(&account.saml_providers));
        println!("  MFA devices: {}", list(&account.mfa_devices));
        println!("  stacks: {}", list(&account.stacks));
    }
    println!("buckets: {}", list(&status.buckets));
    println!("temporary credentials issued: {}", status.sessions);
    Ok(Status::Success)
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn explain(args: &ExplainArgs) -> Result<Status, Failure> {
    let sandbox = open(&args.state)?;
    let found = match &args.request_id {
        Some(request_id) => sandbox.explain(request_id),
        None => sandbox.explain_latest_denial(),
    }
    .or_fail(Status::Invalid)?;
    match (found, &args.request_id) {
        (Some(explanation), _) => {
            print!("{explanation}");
            Ok(Status::Success)
        }
        (None, Some(request_id)) => Err(Failure::new(
            Status::Invalid,
            format!("the sandbox kept no decision for request `{request_id}`"),
        )
        .hint("request ids are in the `x-amzn-requestid` header (`aws --debug`); only the latest 10,000 decisions are kept")),
        (None, None) => Err(Failure::new(Status::Invalid, "the sandbox has denied nothing yet")),
    }
}

fn token(args: &TokenArgs) -> Result<Status, Failure> {
    let seconds = i64::try_from(args.duration.as_secs())
        .unwrap_or(i64::MAX)
        .clamp(60, 43_200);
    let token = open(&args.state)?
        .mint_token(&args.sub, &args.aud, seconds)
        .or_fail(Status::Invalid)?;
    println!("{token}");
    Ok(Status::Success)
}

fn clock(args: &ClockArgs) -> Result<Status, Failure> {
    let advance = match &args.action {
        Some(ClockAction::Advance { duration }) => Some(*duration),
        None => args.advance,
    };
    let sandbox = open(&args.state)?;
    if let Some(advance) = advance {
        let seconds = i64::try_from(advance.as_secs()).unwrap_or(i64::MAX);
        sandbox.advance_clock(seconds).or_fail(Status::Invalid)?;
        println!(
            "sandbox clock moved forward by {}",
            humantime::format_duration(advance)
        );
    }
    let (now, ahead) = sandbox.clock().or_fail(Status::Invalid)?;
    let shown = time::OffsetDateTime::from_unix_timestamp(now)
        .ok()
        .and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| now.to_string());
    let ahead = std::time::Duration::from_secs(ahead.unsigned_abs());
    println!(
        "sandbox time {shown}, {} ahead of this machine's clock",
        humantime::format_duration(ahead)
    );
    Ok(Status::Success)
}
