//! Where a command's calls go, and as whom. The target is resolved in a fixed,
//! documented order (docs/plan-format.md, "Targets"): the command line (`--target`,
//! `--endpoint-url`, `--profile`); then the environment (`AWS_ENDPOINT_URL`,
//! `AWS_PROFILE`, exported `AWS_ACCESS_KEY_ID`); then the embedded sandbox in this
//! process, as its first account's operator. What came from the environment is said
//! in `up`'s first line. `down` reconnects to what the run's journal recorded unless
//! the command line names another target, and says when the environment names
//! something else. A plan that names several accounts gets one operator for each
//! ([`operators`]): the sandbox's accounts in order (as their admin, or as the sandbox
//! identity of `--profile` / `--account-profile NAME=PROFILE`), or a profile per
//! account on any other target.

use std::path::PathBuf;

use aws_config::SdkConfig;
use awslab_executor::{
    AccountInfo, AccountOperator, Secret, Target, TargetInfo, config_for_static,
};
use awslab_sandbox::{IN_PROCESS_ENDPOINT, Sandbox};
use indexmap::IndexMap;

use crate::cli::{TargetArgs, TargetKind};
use crate::exit::{Failure, Status};

/// A target and the operator's SDK config for it.
pub struct Connection {
    pub target: Target,
    pub operator: SdkConfig,
    /// The sandbox's state folder, when the target is the sandbox.
    pub sandbox: Option<PathBuf>,
    /// The sandbox itself, when the target is the sandbox (its other accounts'
    /// operators come from it).
    handle: Option<Sandbox>,
    /// The sandbox's own operator of its first account, which the sandbox names
    /// without a call: (access key id, account, ARN).
    known_operator: Option<(String, String, String)>,
    /// What the environment chose, in words (`endpoint from AWS_ENDPOINT_URL`), for
    /// `up`'s first line; empty when nothing came from it.
    pub from_env: Vec<String>,
    /// What the environment names that this command does not use because the run's
    /// journal says where it went (`AWS_ENDPOINT_URL=...`).
    pub ignored_env: Vec<String>,
}

impl Connection {
    /// What the journal records of the target.
    pub fn info(&self, account: &str) -> TargetInfo {
        TargetInfo {
            endpoint: self.target.endpoint_url().map(str::to_owned),
            region: self.target.region.clone(),
            account: Some(account.to_owned()),
            profile: self.target.profile.clone(),
            accounts: IndexMap::new(),
            sandbox: self.sandbox.clone(),
        }
    }

    /// The sandbox this command opened, when the target is the sandbox.
    pub fn sandbox_handle(&self) -> Option<&Sandbox> {
        self.handle.as_ref()
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

    /// ` (endpoint from AWS_ENDPOINT_URL, ...)` when the environment chose the target,
    /// else nothing.
    pub fn env_note(&self) -> String {
        if self.from_env.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.from_env.join(", "))
        }
    }
}

/// The variables of the environment that name a target, in words (for commands that
/// use a run's recorded target instead and say so).
pub fn env_words() -> Vec<String> {
    EnvTarget::read().words()
}

/// The environment's say in the target: each variable that names one, when set and
/// not empty.
#[derive(Debug, Default, Clone)]
struct EnvTarget {
    endpoint: Option<String>,
    profile: Option<String>,
    /// `AWS_ACCESS_KEY_ID` is exported (its value is never shown).
    keys: bool,
}

impl EnvTarget {
    fn read() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            endpoint: var("AWS_ENDPOINT_URL"),
            profile: var("AWS_PROFILE"),
            keys: var("AWS_ACCESS_KEY_ID").is_some(),
        }
    }

    fn names_target(&self) -> bool {
        self.endpoint.is_some() || self.profile.is_some() || self.keys
    }

    /// The variables, in words: `AWS_ENDPOINT_URL=http://...`, `AWS_PROFILE=lab`,
    /// `AWS_ACCESS_KEY_ID`.
    fn words(&self) -> Vec<String> {
        let mut words = Vec::new();
        if let Some(url) = &self.endpoint {
            words.push(format!("AWS_ENDPOINT_URL={url}"));
        }
        if let Some(profile) = &self.profile {
            words.push(format!("AWS_PROFILE={profile}"));
        }
        if self.keys {
            words.push("AWS_ACCESS_KEY_ID".to_owned());
        }
        words
    }

    /// Where credentials come from when the environment chose the target.
    fn credentials_word(&self) -> Option<String> {
        if self.keys {
            Some("credentials from AWS_ACCESS_KEY_ID".to_owned())
        } else {
            self.profile
                .as_ref()
                .map(|profile| format!("profile `{profile}` from AWS_PROFILE"))
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

/// Connects as the command line says; else, for a new run (`recorded` is `None`), as
/// the environment says, or else to the sandbox; for an existing run, as its journal
/// (`recorded`) says.
///
/// `first_profile` is the profile of the plan's first account (`--account-profile` or
/// the plan's `profile:`, see [`first_account_profile`]): off the sandbox it is the
/// operator's profile unless `--profile` names one.
pub async fn connect(
    args: &TargetArgs,
    recorded: Option<&TargetInfo>,
    first_profile: Option<String>,
) -> Result<Connection, Failure> {
    let region = region(args, recorded);
    let named = args.target.is_some() || args.endpoint_url.is_some() || args.profile.is_some();
    let env = EnvTarget::read();
    // A profile holding the sandbox's keys without `endpoint_url` sends them to AWS.
    if let Some(profile) = args.profile.as_ref().or(env.profile.as_ref()) {
        super::sandbox_profile::warn_unpointed(profile, &args.sandbox_dir);
    }
    // The environment decides only what the command line and the journal leave open.
    let env_decides = !named && recorded.is_none() && env.names_target();
    let ignored_env = match recorded {
        // The run's journal decides; say what the environment names that differs.
        Some(recorded) if !named => {
            if recorded.sandbox.is_some() {
                env.words()
            } else {
                env.endpoint
                    .iter()
                    .filter(|url| recorded.endpoint.as_ref() != Some(*url))
                    .map(|url| format!("AWS_ENDPOINT_URL={url}"))
                    .collect()
            }
        }
        _ => Vec::new(),
    };
    let sandbox_dir = match args.target {
        Some(TargetKind::Sandbox) => Some(args.sandbox_dir.clone()),
        Some(TargetKind::Aws) => None,
        None if named || env_decides => None,
        // Nothing named: where the run went, or else the sandbox, the default target.
        None => recorded.map_or_else(|| Some(args.sandbox_dir.clone()), |r| r.sandbox.clone()),
    };
    if let Some(dir) = sandbox_dir {
        let mut connection = sandbox(dir, region, args)?;
        connection.ignored_env = ignored_env;
        // `--target sandbox --profile NAME`: the operator is the sandbox identity whose
        // keys the profile holds (a least-privilege operator, see `awslab perms`).
        if let Some(profile) = &args.profile {
            let mut target = connection.target.clone();
            target.profile = Some(profile.clone());
            connection.operator = awslab_executor::credentials::operator(&target, None).await?;
            connection.known_operator = None;
        }
        return Ok(connection);
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
    let mut from_env = Vec::new();
    let endpoint = match &args.endpoint_url {
        Some(url) => Some(url.clone()),
        None if named => None,
        None if env_decides => env.endpoint.clone().inspect(|url| {
            from_env.push(format!("endpoint {url} from AWS_ENDPOINT_URL"));
        }),
        None => recorded.and_then(|t| t.endpoint.clone()),
    };
    let profile = match &args.profile {
        Some(profile) => Some(profile.clone()),
        None if first_profile.is_some() => first_profile,
        None if named => None,
        // The default credential chain reads `AWS_PROFILE` and exported keys itself.
        None if env_decides => {
            from_env.extend(env.credentials_word());
            None
        }
        None => recorded.and_then(|t| t.profile.clone()),
    };
    let target = match endpoint {
        Some(url) => Target::endpoint(url, region, profile),
        None => Target::aws(region, profile),
    };
    let operator = awslab_executor::credentials::operator(&target, None).await?;
    Ok(Connection {
        target,
        operator,
        sandbox: None,
        handle: None,
        known_operator: None,
        from_env,
        ignored_env,
    })
}

/// The account and ARN of `operator`: for the sandbox's own operator what the sandbox
/// says (in this process, so a `GetCallerIdentity` would only repeat it, and it comes
/// before the first step), else `sts:GetCallerIdentity`.
pub async fn whoami(
    connection: &Connection,
    operator: &SdkConfig,
) -> Result<(String, String), Failure> {
    use aws_credential_types::provider::ProvideCredentials as _;
    if let Some((key, account, arn)) = &connection.known_operator
        && let Some(provider) = operator.credentials_provider()
        && let Ok(credentials) = provider.provide_credentials().await
        && credentials.access_key_id() == key
    {
        return Ok((account.clone(), arn.clone()));
    }
    Ok(awslab_executor::credentials::whoami(operator, &connection.target).await?)
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
    target = target.with_saml_issuer(saml_issuer(&sandbox));
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
        handle: Some(sandbox),
        known_operator: Some((operator.access_key_id, operator.account, operator.arn)),
        from_env: Vec::new(),
        ignored_env: Vec::new(),
    })
}

/// The sandbox's own SAML identity provider: its metadata for an `iam.saml_provider`'s
/// `sandbox_metadata:`, its signed responses for `sts.assume_role_with_saml`'s
/// `sandbox_assertion:`.
fn saml_issuer(sandbox: &awslab_sandbox::Sandbox) -> awslab_executor::SamlIssuer {
    let metadata = sandbox.clone();
    let mint = sandbox.clone();
    awslab_executor::SamlIssuer::new(
        move || metadata.saml_metadata().map_err(|e| e.to_string()),
        move |request| {
            mint.mint_saml(&awslab_sandbox::SamlRequest {
                subject: request.subject.clone(),
                role_arn: request.role_arn.clone(),
                provider_arn: request.provider_arn.clone(),
                session_name: request.session_name.clone(),
                audience: None,
                lifetime_seconds: request.lifetime_seconds,
            })
            .map_err(|e| e.to_string())
        },
    )
}

/// What a plan's account needs to be reached: its name, the profile the plan gives
/// it, and where the plan names it (for errors).
pub struct PlanAccount {
    pub name: String,
    pub profile: Option<String>,
    pub located: String,
}

/// The operators of a plan's accounts (`accounts:`), by name, in the plan's order:
/// on the sandbox its accounts in order, each as its admin or as the sandbox identity
/// of `--profile` (the first) or `--account-profile NAME=PROFILE`;
/// on any other target each account's profile (`--account-profile NAME=PROFILE`, else
/// the plan's `profile:`; the first account may use the target's operator). Each is
/// asked who it is, and two accounts reached as one are refused: resources of the same
/// name would collide. `recorded` (a run's journal) gives ids and profiles for `down`.
pub async fn operators(
    connection: &Connection,
    args: &TargetArgs,
    accounts: &[PlanAccount],
    recorded: Option<&IndexMap<String, AccountInfo>>,
) -> Result<IndexMap<String, (AccountInfo, AccountOperator)>, Failure> {
    let mut out: IndexMap<String, (AccountInfo, AccountOperator)> = IndexMap::new();
    let given = account_profiles(args, accounts)?;
    for (index, account) in accounts.iter().enumerate() {
        let recorded_account = recorded.and_then(|r| r.get(&account.name));
        let (info, config) = if let Some(sandbox) = &connection.handle {
            // `--profile` (the first account) or `--account-profile NAME=PROFILE`: a
            // sandbox identity of that account (a least-privilege operator).
            let profile = given
                .get(&account.name)
                .cloned()
                .or_else(|| args.profile.clone().filter(|_| index == 0));
            let (info, config) =
                sandbox_account(connection, sandbox, accounts, index, recorded_account)?;
            match profile {
                Some(profile) => (
                    info.clone(),
                    sandbox_profile(connection, account, &info.id, &profile).await?,
                ),
                None => (info, config),
            }
        } else {
            let profile = given
                .get(&account.name)
                .cloned()
                .or_else(|| recorded_account.and_then(|r| r.profile.clone()))
                .or_else(|| account.profile.clone());
            profile_account(connection, account, index, profile).await?
        };
        if let Some((other, _)) = out.iter().find(|(_, (seen, _))| seen.id == info.id) {
            return Err(Failure::new(
                Status::Invalid,
                format!(
                    "{}: accounts `{other}` and `{}` are both account {}",
                    account.located, account.name, info.id
                ),
            )
            .hint(format!(
                "give `{}` the profile of another account (`--account-profile {}=PROFILE`)",
                account.name, account.name
            )));
        }
        let operator = AccountOperator {
            id: info.id.clone(),
            config,
        };
        out.insert(account.name.clone(), (info, operator));
    }
    Ok(out)
}

/// The profile of the plan's first account: `--account-profile FIRST=PROFILE`, else
/// the plan's `profile:` (errors in `--account-profile` are reported by [`operators`]).
pub fn first_account_profile(args: &TargetArgs, first: Option<&PlanAccount>) -> Option<String> {
    let first = first?;
    args.account_profile
        .iter()
        .filter_map(|given| given.split_once('='))
        .find(|(name, profile)| *name == first.name && !profile.is_empty())
        .map(|(_, profile)| profile.to_owned())
        .or_else(|| first.profile.clone())
}

/// The plan's account at `index` on the sandbox: the sandbox's account at that
/// position (or the one the run recorded), with its operator.
fn sandbox_account(
    connection: &Connection,
    sandbox: &Sandbox,
    accounts: &[PlanAccount],
    index: usize,
    recorded: Option<&AccountInfo>,
) -> Result<(AccountInfo, SdkConfig), Failure> {
    let ids = sandbox
        .accounts()
        .map_err(|e| Failure::new(Status::StepFailed, e))?;
    let id = match recorded {
        Some(recorded) => recorded.id.clone(),
        None => ids.get(index).cloned().ok_or_else(|| {
            Failure::new(
                Status::Invalid,
                format!(
                    "{}: the plan names {} accounts and the sandbox hosts {}",
                    accounts[index.min(accounts.len().saturating_sub(1))].located,
                    accounts.len(),
                    ids.len()
                ),
            )
            .hint(format!(
                "a plan may use at most {} accounts on the sandbox",
                ids.len()
            ))
        })?,
    };
    let operator = sandbox
        .operator(&id)
        .map_err(|e| Failure::new(Status::StepFailed, e))?;
    let config = config_for_static(
        &connection.target,
        &operator.access_key_id,
        &Secret::new(operator.secret_access_key),
        None,
    );
    Ok((AccountInfo { id, profile: None }, config))
}

/// The operator of a plan's account on the sandbox given as a profile: the sandbox
/// identity whose keys the profile holds, which must be an identity of that account.
async fn sandbox_profile(
    connection: &Connection,
    account: &PlanAccount,
    id: &str,
    profile: &str,
) -> Result<SdkConfig, Failure> {
    let mut target = connection.target.clone();
    target.profile = Some(profile.to_owned());
    let config = awslab_executor::credentials::operator(&target, None).await?;
    let (actual, _) = awslab_executor::credentials::whoami(&config, &connection.target).await?;
    if actual != id {
        return Err(Failure::new(
            Status::Invalid,
            format!(
                "{}: profile `{profile}` holds keys of sandbox account {actual}, and account `{}` is the sandbox's account {id}",
                account.located, account.name
            ),
        )
        .hint(format!(
            "give `{}` the profile of an identity of account {id}",
            account.name
        )));
    }
    Ok(config)
}

/// A plan's account off the sandbox: its profile's operator, or for the first account
/// without one the target's operator; any other account without one is an error.
async fn profile_account(
    connection: &Connection,
    account: &PlanAccount,
    index: usize,
    profile: Option<String>,
) -> Result<(AccountInfo, SdkConfig), Failure> {
    match profile {
        Some(profile) => {
            let mut target = connection.target.clone();
            target.profile = Some(profile.clone());
            let config = awslab_executor::credentials::operator(&target, None).await?;
            let (id, _) = awslab_executor::credentials::whoami(&config, &connection.target).await?;
            Ok((
                AccountInfo {
                    id,
                    profile: Some(profile),
                },
                config,
            ))
        }
        None if index == 0 => {
            let (id, _) =
                awslab_executor::credentials::whoami(&connection.operator, &connection.target)
                    .await?;
            let info = AccountInfo {
                id,
                profile: connection.target.profile.clone(),
            };
            Ok((info, connection.operator.clone()))
        }
        None => Err(Failure::new(
            Status::Invalid,
            format!(
                "{}: account `{}` has no operator on this target",
                account.located, account.name
            ),
        )
        .hint(format!(
            "give its AWS CLI profile: `--account-profile {}=PROFILE`, or `profile: PROFILE` under `accounts: {{ {}: ... }}` in the plan (on the sandbox every account has its operator)",
            account.name, account.name
        ))),
    }
}

/// `--account-profile NAME=PROFILE`, each naming an account of the plan.
fn account_profiles(
    args: &TargetArgs,
    accounts: &[PlanAccount],
) -> Result<IndexMap<String, String>, Failure> {
    let mut out = IndexMap::new();
    for given in &args.account_profile {
        let Some((name, profile)) = given
            .split_once('=')
            .filter(|(name, profile)| !name.is_empty() && !profile.is_empty())
        else {
            return Err(Failure::new(
                Status::Invalid,
                format!("`--account-profile {given}` is not `NAME=PROFILE`"),
            )
            .hint("name one of the plan's accounts and an AWS CLI profile, as in `--account-profile b=lab-b`"));
        };
        if !accounts.iter().any(|a| a.name == name) {
            let names: Vec<String> = accounts.iter().map(|a| format!("`{}`", a.name)).collect();
            return Err(Failure::new(
                Status::Invalid,
                format!("`--account-profile {given}` names account `{name}`, which the plan does not name"),
            )
            .hint(if names.is_empty() {
                "the plan names no accounts (`accounts:`); use `--profile` for its operator".to_owned()
            } else {
                format!("the plan's accounts are {}", names.join(", "))
            }));
        }
        out.insert(name.to_owned(), profile.to_owned());
    }
    Ok(out)
}
