//! Looks at the world to tell whether the learner did a step: the user exists (with an
//! access key if the step makes one), the stack is complete, the inline policy allows
//! what the plan's does (evaluated with crates/policy, not compared as text), the role
//! session is the role's, the profile has the sandbox's `endpoint_url`. What is found
//! is described by immutable id (user id, access key id, stack id), so the guide can
//! journal it as `up` journals what it creates, and `down` deletes it only if it is
//! still that. Says what is wrong in words when the step is not done.
//!
//! Kinds checked: `iam.user`, `iam.access_key`, `iam.user_policy`, `iam.role`,
//! `iam.trust_policy`, `iam.role_policy`, `iam.policy`, the role and user policy
//! attachments, `iam.group`, `iam.group_membership`, `iam.group_policy`, `s3.bucket`,
//! `s3.object`, `cfn.stack`, `sts.assume_role`, `sts.get_session_token`,
//! `sts.get_federation_token`, `iam.oidc_provider`, `iam.saml_provider`,
//! `iam.virtual_mfa_device`, `sts.assume_role_with_web_identity`,
//! `sts.assume_role_with_saml`, `aws.profile` (and `verify`, by the executor in
//! [`super::session`]): every kind.
//!
//! A step runs in its plan account (`account:`): [`WorldCx::operator`] and
//! [`WorldCx::account`] are that account's, so a multi-account lab is looked at where
//! each step made its resources.
//!
//! One module per family: [`iam`] (users, keys, user policies), [`role`] (roles, trust,
//! managed policies, attachments), [`group`], [`s3`], [`cfn`], [`sts`], [`profile`],
//! [`federation`] (OIDC and SAML providers), [`mfa`] (virtual MFA devices).

mod cfn;
mod federation;
mod group;
mod iam;
mod mfa;
mod profile;
mod role;
mod s3;
mod sts;

use aws_config::SdkConfig;
use awslab_executor::resources::ResourceRef;
use awslab_executor::{MfaSeed, Secret, StepCredentials, Target};
use awslab_planner::template::{Reference, render_str};
use awslab_planner::{SealedPlan, Step, StepKind};
use awslab_runbook::var_name;
use indexmap::IndexMap;

/// What `check` says of a step.
pub enum Verdict {
    /// Done: what was found, in words.
    Done(String),
    /// Not done: what is wrong, in words.
    NotDone(String),
}

/// What the learner made, to journal.
pub struct Adopted {
    pub resources: Vec<ResourceRef>,
    pub outputs: IndexMap<String, String>,
    /// Credentials the step produced (read from the variables the runbook's commands
    /// captured and the learner exported); kept in the run's secrets file (0600).
    pub credentials: Option<StepCredentials>,
    /// The seed of a virtual MFA device the learner made, where their `--outfile` put
    /// it; kept in the run's secrets file (0600), for awslab's later steps.
    pub mfa_seed: Option<MfaSeed>,
    /// What was found, in words.
    pub note: String,
}

/// What a check needs: the step, the operator, and the values known so far.
pub struct WorldCx<'a> {
    pub sealed: &'a SealedPlan,
    pub step: &'a Step,
    /// The operator of the account the step runs in.
    pub operator: &'a SdkConfig,
    pub target: &'a Target,
    /// The id of the account the step runs in.
    pub account: &'a str,
    /// The id of the plan's first account (`${account.id}`).
    pub first_account: &'a str,
    /// The id of each account the plan names (`${account.NAME.id}`).
    pub accounts: &'a IndexMap<String, String>,
    pub run_id: &'a str,
    pub outputs: &'a IndexMap<String, IndexMap<String, String>>,
    /// The endpoint the learner's aws CLI goes to (`sandbox serve`), if not real AWS.
    pub endpoint: Option<&'a str>,
    /// When the guide's run began (Unix seconds): only what was made since is adopted.
    pub started: Option<i64>,
    /// The sandbox folder the learner's lab runs on (in-process, or behind `serve`),
    /// whose own identity provider a `sandbox_metadata:` step registers.
    pub sandbox_dir: Option<&'a std::path::Path>,
}

/// Clocks may differ this much between this machine and the target.
const CLOCK_SLACK_SECONDS: i64 = 300;

impl WorldCx<'_> {
    fn lookup(&self, reference: &Reference) -> Option<String> {
        match reference {
            Reference::Var(name) => {
                let value = self.sealed.plan.vars.get(name)?;
                render_str(&value.value, |r| self.lookup(r)).ok()
            }
            Reference::RunId => Some(self.run_id.to_owned()),
            Reference::RunRegion => Some(self.target.region.clone()),
            Reference::AccountId => Some(self.first_account.to_owned()),
            Reference::AccountIdOf(name) => self.accounts.get(name).cloned(),
            Reference::Step { step, path } => self.outputs.get(step)?.get(&path.join(".")).cloned(),
        }
    }

    /// Refuses to adopt what was made before the run began (someone else's, or an
    /// earlier lab's): awslab never deletes what it did not make or see made.
    fn made_during_run(&self, what: &str, created: Option<i64>) -> Result<(), String> {
        match (self.started, created) {
            (Some(started), Some(created)) if created < started - CLOCK_SLACK_SECONDS => {
                Err(format!(
                    "{what} was made before this guide run began, so awslab does not adopt it (it may not be yours): delete it, or start another run with a new --run-id"
                ))
            }
            _ => Ok(()),
        }
    }

    /// A plan value with what is known now.
    pub fn render(&self, text: &str) -> Result<String, String> {
        render_str(text, |r| self.lookup(r))
    }

    /// A step's credentials from the environment, where the runbook's commands
    /// captured them (`USER_ACCESS_KEY_ID`, ...) and the learner exported them.
    fn exported_credentials(&self, with_token: bool) -> Result<StepCredentials, String> {
        let step = self.step.id.as_str();
        let names = [
            var_name(&[step, "access_key_id"]),
            var_name(&[step, "secret_access_key"]),
            var_name(&[step, "session_token"]),
        ];
        let read = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let wanted = if with_token { 3 } else { 2 };
        let missing: Vec<&str> = names[..wanted]
            .iter()
            .filter(|n| read(n).is_none())
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "awslab cannot act as `{step}`: export {} (the variables the commands set) and check again",
                missing.join(" ")
            ));
        }
        Ok(StepCredentials {
            access_key_id: read(&names[0]).unwrap_or_default(),
            secret_access_key: Secret::new(read(&names[1]).unwrap_or_default()),
            session_token: if with_token {
                read(&names[2]).map(Secret::new)
            } else {
                None
            },
            expiration: None,
        })
    }

    /// The ARN the credentials are (`sts:GetCallerIdentity`).
    async fn caller_arn(&self, credentials: &StepCredentials) -> Result<String, String> {
        self.caller(credentials).await.map(|(arn, _)| arn)
    }

    /// The ARN and the user id the credentials are (`sts:GetCallerIdentity`).
    async fn caller(&self, credentials: &StepCredentials) -> Result<(String, String), String> {
        let config = awslab_executor::config_for_static(
            self.target,
            &credentials.access_key_id,
            &credentials.secret_access_key,
            credentials.session_token.as_ref(),
        );
        let sts = awslab_executor::sts_client(&config);
        match sts.get_caller_identity().send().await {
            Ok(answer) => Ok((
                answer.arn().unwrap_or_default().to_owned(),
                answer.user_id().unwrap_or_default().to_owned(),
            )),
            Err(error) => Err(format!(
                "the exported credentials of `{}` are not accepted ({})",
                self.step.id,
                error
                    .as_service_error()
                    .and_then(aws_sdk_sts::error::ProvideErrorMetadata::code)
                    .unwrap_or("no answer")
            )),
        }
    }
}

/// Looks at the world for `cx.step`: what the learner made, or what is wrong in words.
pub async fn check(cx: &WorldCx<'_>) -> Result<Adopted, String> {
    match &cx.step.kind {
        StepKind::IamUser(user) => iam::iam_user(cx, user).await,
        StepKind::CfnStack(stack) => cfn::cfn_stack(cx, stack).await,
        StepKind::IamUserPolicy(policy) => iam::user_policy(cx, policy).await,
        StepKind::StsAssumeRole(assume) => sts::assume_role(cx, assume).await,
        StepKind::AwsProfile(profile) => profile::aws_profile(cx, profile),
        StepKind::IamRole(role) => role::role(cx, role).await,
        StepKind::IamTrustPolicy(trust) => role::trust_policy(cx, trust).await,
        StepKind::IamRolePolicy(policy) => role::role_policy(cx, policy).await,
        StepKind::IamPolicy(policy) => role::managed_policy(cx, policy).await,
        StepKind::IamRolePolicyAttachment(a) => role::role_attachment(cx, a).await,
        StepKind::IamUserPolicyAttachment(a) => role::user_attachment(cx, a).await,
        StepKind::IamGroup(group) => group::group(cx, group).await,
        StepKind::IamGroupMembership(member) => group::membership(cx, member).await,
        StepKind::IamGroupPolicy(policy) => group::group_policy(cx, policy).await,
        StepKind::IamAccessKey(key) => iam::access_key(cx, key).await,
        StepKind::StsGetSessionToken(token) => sts::session_token(cx, token).await,
        StepKind::StsGetFederationToken(token) => sts::federation_token(cx, token).await,
        StepKind::S3Bucket(bucket) => s3::bucket(cx, bucket).await,
        StepKind::S3Object(object) => s3::object(cx, object).await,
        StepKind::IamOidcProvider(provider) => federation::oidc_provider(cx, provider).await,
        StepKind::IamSamlProvider(provider) => federation::saml_provider(cx, provider).await,
        StepKind::IamVirtualMfaDevice(device) => mfa::virtual_mfa_device(cx, device).await,
        StepKind::StsAssumeRoleWithWebIdentity(session) => sts::web_identity(cx, session).await,
        StepKind::StsAssumeRoleWithSaml(session) => sts::saml(cx, session).await,
        // A claim is checked by the executor's verify (`Session::check`).
        StepKind::Verify(_) => Err("a claim is checked by running it".to_owned()),
    }
}

fn aws_code<E>(error: &aws_sdk_iam::error::SdkError<E>) -> String
where
    E: aws_sdk_iam::error::ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(aws_sdk_iam::error::ProvideErrorMetadata::code)
        .map_or_else(|| error.to_string(), str::to_owned)
}

/// A policy field that is a string or a list of strings, as a list.
fn strings(value: Option<&serde_json::Value>) -> Vec<String> {
    match value {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The Allow statements of a policy document without conditions.
fn plain_allows(document: &serde_json::Value) -> Vec<serde_json::Value> {
    let statements = match document.get("Statement") {
        Some(serde_json::Value::Array(items)) => items.clone(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    };
    statements
        .into_iter()
        .filter(|s| {
            s.get("Effect").and_then(|e| e.as_str()) == Some("Allow")
                && s.get("Condition").is_none()
        })
        .collect()
}

/// The (action, resource) pairs an identity policy's Allow statements name without
/// wildcards: what a learner's policy must allow too.
fn allowed_pairs(document: &serde_json::Value) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for statement in plain_allows(document) {
        let resources = strings(statement.get("Resource"));
        for action in strings(statement.get("Action")) {
            if action.contains(['*', '?']) {
                continue;
            }
            for resource in resources.iter().filter(|r| !r.contains(['*', '?'])) {
                pairs.push((action.clone(), resource.clone()));
            }
        }
    }
    pairs
}

/// A policy document as IAM returns it (URL-encoded), decoded; a document that is not
/// encoded (it starts with `{`) as it is.
fn percent_decoded(text: &str) -> String {
    if text.trim_start().starts_with('{') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(value) = u8::from_str_radix(hex, 16)
        {
            out.push(value);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks that the policy `text` (as IAM returns it) allows, for `principal`, every
/// (action, resource) the lab's `wanted` document allows without wildcards, evaluated
/// with crates/policy. `what` names the policy in the message.
fn allows_what_the_lab_does(
    cx: &WorldCx<'_>,
    what: &str,
    text: &str,
    wanted: &awslab_planner::values::Document,
    principal: &awslab_policy::Principal,
) -> Result<(), String> {
    let text = percent_decoded(text);
    let document = awslab_policy::PolicyDocument::parse(&text)
        .map_err(|_| format!("{what} is not a policy document awslab can read"))?;
    let wanted = wanted.json()?;
    let wanted = awslab_planner::template::render_json(&wanted, &mut |r| cx.lookup(r))?;
    for (action, resource) in allowed_pairs(&wanted) {
        // The identity policy alone is asked (see `iam::user_policy`).
        let request = awslab_policy::Request::new(principal.clone(), &action, &resource)
            .with_resource_account(&principal.account);
        let input = awslab_policy::EvaluationInput {
            identity_policies: vec![awslab_policy::NamedPolicy::new("policy", &document)],
            ..Default::default()
        };
        if !awslab_policy::evaluate(&input, &request).is_allowed() {
            return Err(format!("{what} does not allow `{action}` on `{resource}`"));
        }
    }
    Ok(())
}
