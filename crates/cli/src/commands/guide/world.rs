//! Looks at the world to tell whether the learner did a step: the user exists (with an
//! access key if the step makes one), the stack is complete, the inline policy allows
//! what the plan's does (evaluated with crates/policy, not compared as text), the role
//! session is the role's, the profile has the sandbox's `endpoint_url`. What is found
//! is described by immutable id (user id, access key id, stack id), so the guide can
//! journal it as `up` journals what it creates, and `down` deletes it only if it is
//! still that. Says what is wrong in words when the step is not done.
//!
//! Kinds checked: `iam.user`, `cfn.stack`, `iam.user_policy`, `sts.assume_role`,
//! `aws.profile` (and `verify`, by the executor in [`super::session`]); any other kind
//! is [`Found::NoCheck`] (the learner may `skip` it).

use aws_config::SdkConfig;
use awslab_executor::resources::{self, ResourceRef};
use awslab_executor::{Secret, StepCredentials, Target};
use awslab_planner::template::{Reference, render_str};
use awslab_planner::{SealedPlan, Step, StepKind};
use awslab_runbook::var_name;
use indexmap::IndexMap;
use std::fmt::Write as _;

/// What `check` says of a step.
pub enum Verdict {
    /// Done: what was found, in words.
    Done(String),
    /// Not done: what is wrong, in words.
    NotDone(String),
}

/// What the world shows of a resource step.
pub enum Found {
    Done(Adopted),
    NotDone(String),
    /// No check for this kind yet.
    NoCheck,
}

/// What the learner made, to journal.
pub struct Adopted {
    pub resources: Vec<ResourceRef>,
    pub outputs: IndexMap<String, String>,
    /// Credentials the step produced (read from the variables the runbook's commands
    /// captured and the learner exported); kept in the run's secrets file (0600).
    pub credentials: Option<StepCredentials>,
    /// What was found, in words.
    pub note: String,
}

/// What a check needs: the step, the operator, and the values known so far.
pub struct WorldCx<'a> {
    pub sealed: &'a SealedPlan,
    pub step: &'a Step,
    pub operator: &'a SdkConfig,
    pub target: &'a Target,
    pub account: &'a str,
    pub run_id: &'a str,
    pub outputs: &'a IndexMap<String, IndexMap<String, String>>,
    /// The endpoint the learner's aws CLI goes to (`sandbox serve`), if not real AWS.
    pub endpoint: Option<&'a str>,
    /// When the guide's run began (Unix seconds): only what was made since is adopted.
    pub started: Option<i64>,
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
            Reference::AccountId | Reference::AccountIdOf(_) => Some(self.account.to_owned()),
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
        let config = awslab_executor::config_for_static(
            self.target,
            &credentials.access_key_id,
            &credentials.secret_access_key,
            credentials.session_token.as_ref(),
        );
        let sts = awslab_executor::sts_client(&config);
        match sts.get_caller_identity().send().await {
            Ok(answer) => Ok(answer.arn().unwrap_or_default().to_owned()),
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

/// Looks at the world for `cx.step`.
pub async fn check(cx: &WorldCx<'_>) -> Found {
    let result = match &cx.step.kind {
        StepKind::IamUser(user) => iam_user(cx, user).await,
        StepKind::CfnStack(stack) => cfn_stack(cx, stack).await,
        StepKind::IamUserPolicy(policy) => user_policy(cx, policy).await,
        StepKind::StsAssumeRole(assume) => assume_role(cx, assume).await,
        StepKind::AwsProfile(profile) => aws_profile(cx, profile),
        _ => return Found::NoCheck,
    };
    match result {
        Ok(adopted) => Found::Done(adopted),
        Err(reason) => Found::NotDone(reason),
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

async fn iam_user(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::IamUser,
) -> Result<Adopted, String> {
    let name = cx.render(&spec.name.value)?;
    let iam = awslab_executor::iam_client(cx.operator);
    let user = match iam.get_user().user_name(&name).send().await {
        Ok(answer) => answer
            .user()
            .cloned()
            .ok_or("GetUser answered without a user")?,
        Err(error) if aws_code(&error) == "NoSuchEntity" => {
            return Err(format!("the user `{name}` does not exist yet"));
        }
        Err(error) => {
            return Err(format!(
                "cannot read the user `{name}`: {}",
                aws_code(&error)
            ));
        }
    };
    cx.made_during_run(
        &format!("the user `{name}`"),
        Some(user.create_date().secs()),
    )?;
    let mut resources = vec![ResourceRef::IamUser(resources::IamUser {
        name: name.clone(),
        user_id: Some(user.user_id().to_owned()),
    })];
    let mut outputs = IndexMap::from([
        ("name".to_owned(), name.clone()),
        ("arn".to_owned(), user.arn().to_owned()),
        ("user_id".to_owned(), user.user_id().to_owned()),
    ]);
    let mut credentials = None;
    let mut note = format!("the user `{name}` exists ({})", user.user_id());
    if spec.access_key {
        let keys = iam
            .list_access_keys()
            .user_name(&name)
            .send()
            .await
            .map_err(|e| format!("cannot list the access keys of `{name}`: {}", aws_code(&e)))?;
        let ids: Vec<String> = keys
            .access_key_metadata()
            .iter()
            .filter_map(|k| k.access_key_id().map(str::to_owned))
            .collect();
        if ids.is_empty() {
            return Err(format!("the user `{name}` exists but has no access key"));
        }
        let exported = cx.exported_credentials(false)?;
        if !ids.contains(&exported.access_key_id) {
            return Err(format!(
                "the exported access key is not one of the user `{name}`'s keys"
            ));
        }
        let arn = cx.caller_arn(&exported).await?;
        if arn != user.arn() {
            return Err(format!(
                "the exported access key acts as `{arn}`, not as the user `{name}`"
            ));
        }
        resources.push(ResourceRef::IamAccessKey(resources::IamAccessKey {
            user: name.clone(),
            access_key_id: exported.access_key_id.clone(),
        }));
        outputs.insert("access_key_id".to_owned(), exported.access_key_id.clone());
        let _ = write!(note, " with the access key {}", exported.access_key_id);
        credentials = Some(exported);
    }
    Ok(Adopted {
        resources,
        outputs,
        credentials,
        note,
    })
}

async fn cfn_stack(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::CfnStack,
) -> Result<Adopted, String> {
    use aws_sdk_cloudformation::types::StackStatus;
    let name = cx.render(&spec.name.value)?;
    let cloudformation = awslab_executor::cloudformation_client(cx.operator);
    let answer = match cloudformation
        .describe_stacks()
        .stack_name(&name)
        .send()
        .await
    {
        Ok(answer) => answer,
        Err(error) => {
            let text = error
                .as_service_error()
                .and_then(aws_sdk_cloudformation::error::ProvideErrorMetadata::message)
                .unwrap_or_default()
                .to_owned();
            if text.contains("does not exist") {
                return Err(format!("the stack `{name}` does not exist yet"));
            }
            return Err(format!("cannot read the stack `{name}`: {error}"));
        }
    };
    let Some(stack) = answer.stacks().first() else {
        return Err(format!("the stack `{name}` does not exist yet"));
    };
    let status = stack.stack_status().cloned();
    if status != Some(StackStatus::CreateComplete) {
        let words = status.as_ref().map_or("unknown", StackStatus::as_str);
        return Err(format!(
            "the stack `{name}` is {words}, not CREATE_COMPLETE{}",
            stack
                .stack_status_reason()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
    }
    cx.made_during_run(
        &format!("the stack `{name}`"),
        stack
            .creation_time()
            .map(aws_sdk_cloudformation::primitives::DateTime::secs),
    )?;
    let id = stack.stack_id().unwrap_or_default().to_owned();
    let mut outputs = IndexMap::from([
        ("name".to_owned(), name.clone()),
        ("id".to_owned(), id.clone()),
    ]);
    for output in stack.outputs() {
        if let (Some(key), Some(value)) = (output.output_key(), output.output_value()) {
            outputs.insert(format!("outputs.{key}"), value.to_owned());
        }
    }
    for (parameter, value) in &spec.parameters {
        let wanted = cx.render(&value.value)?;
        let given = stack
            .parameters()
            .iter()
            .find(|p| p.parameter_key() == Some(parameter.as_str()))
            .and_then(|p| p.parameter_value());
        if given != Some(wanted.as_str()) {
            return Err(format!(
                "the stack `{name}` has parameter `{parameter}` = `{}`, the lab's is `{wanted}`",
                given.unwrap_or("(not set)")
            ));
        }
    }
    Ok(Adopted {
        resources: vec![ResourceRef::CfnStack(resources::CfnStack {
            name: name.clone(),
            stack_id: Some(id),
        })],
        outputs,
        credentials: None,
        note: format!("the stack `{name}` is CREATE_COMPLETE"),
    })
}

async fn user_policy(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::IamUserPolicy,
) -> Result<Adopted, String> {
    let user = cx.render(&spec.user.value)?;
    let name = cx.render(&spec.name.value)?;
    let iam = awslab_executor::iam_client(cx.operator);
    let answer = match iam
        .get_user_policy()
        .user_name(&user)
        .policy_name(&name)
        .send()
        .await
    {
        Ok(answer) => answer,
        Err(error) if aws_code(&error) == "NoSuchEntity" => {
            return Err(format!("the user `{user}` has no inline policy `{name}`"));
        }
        Err(error) => {
            return Err(format!(
                "cannot read the policy `{name}` of `{user}`: {}",
                aws_code(&error)
            ));
        }
    };
    let text = percent_decoded(answer.policy_document());
    let document = awslab_policy::PolicyDocument::parse(&text).map_err(|_| {
        format!("the policy `{name}` of `{user}` is not a policy document awslab can read")
    })?;
    let wanted = spec.document.json()?;
    let wanted = awslab_planner::template::render_json(&wanted, &mut |r| cx.lookup(r))?;
    for (action, resource) in allowed_pairs(&wanted) {
        let request = awslab_policy::Request::new(
            awslab_policy::Principal::user(cx.account, &user),
            &action,
            &resource,
        );
        let input = awslab_policy::EvaluationInput {
            identity_policies: vec![awslab_policy::NamedPolicy::new(&name, &document)],
            ..Default::default()
        };
        if !awslab_policy::evaluate(&input, &request).is_allowed() {
            return Err(format!(
                "the policy `{name}` of `{user}` does not allow `{action}` on `{resource}`"
            ));
        }
    }
    Ok(Adopted {
        resources: vec![ResourceRef::IamUserPolicy(resources::IamUserPolicy {
            user: user.clone(),
            policy_name: name.clone(),
        })],
        outputs: IndexMap::from([
            ("user".to_owned(), user.clone()),
            ("name".to_owned(), name.clone()),
        ]),
        credentials: None,
        note: format!("the policy `{name}` of `{user}` allows what the lab's does"),
    })
}

/// The (action, resource) pairs an identity policy's Allow statements name without
/// wildcards: what a learner's policy must allow too.
fn allowed_pairs(document: &serde_json::Value) -> Vec<(String, String)> {
    let list = |value: Option<&serde_json::Value>| -> Vec<String> {
        match value {
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let statements = match document.get("Statement") {
        Some(serde_json::Value::Array(items)) => items.clone(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    };
    let mut pairs = Vec::new();
    for statement in statements {
        if statement.get("Effect").and_then(|e| e.as_str()) != Some("Allow")
            || statement.get("Condition").is_some()
        {
            continue;
        }
        let resources = list(statement.get("Resource"));
        for action in list(statement.get("Action")) {
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

async fn assume_role(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::StsAssumeRole,
) -> Result<Adopted, String> {
    let role_arn = cx.render(&spec.role_arn.value)?;
    let session = cx.render(&spec.session_name.value)?;
    let credentials = cx.exported_credentials(true)?;
    let arn = cx.caller_arn(&credentials).await?;
    let role_name = role_arn.rsplit('/').next().unwrap_or_default();
    if !arn.contains(":assumed-role/") || !arn.ends_with(&format!("/{role_name}/{session}")) {
        return Err(format!(
            "the exported credentials act as `{arn}`, not as a session `{session}` of the role `{role_name}`"
        ));
    }
    Ok(Adopted {
        resources: Vec::new(),
        outputs: IndexMap::from([
            ("arn".to_owned(), arn.clone()),
            (
                "access_key_id".to_owned(),
                credentials.access_key_id.clone(),
            ),
        ]),
        credentials: Some(credentials),
        note: format!("the credentials are the session `{session}` of `{role_name}`"),
    })
}

fn aws_profile(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::AwsProfile,
) -> Result<Adopted, String> {
    let name = cx.render(&spec.name.value)?;
    let paths = awslab_executor::ProfilePaths::from_env().map_err(|e| e.to_string())?;
    let config = std::fs::read_to_string(&paths.config).unwrap_or_default();
    let credentials = std::fs::read_to_string(&paths.credentials).unwrap_or_default();
    let config_section = section(&config, &format!("profile {name}")).or_else(|| {
        (name == "default")
            .then(|| section(&config, "default"))
            .flatten()
    });
    let credentials_section = section(&credentials, &name);
    let key = |s: &Option<Vec<(String, String)>>, k: &str| {
        s.as_ref().and_then(|pairs| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        })
    };
    if config_section.is_none() && credentials_section.is_none() {
        return Err(format!("there is no AWS CLI profile `{name}` yet"));
    }
    let has_key = key(&credentials_section, "aws_access_key_id")
        .or_else(|| key(&config_section, "aws_access_key_id"))
        .is_some();
    if !has_key {
        return Err(format!("the profile `{name}` has no aws_access_key_id"));
    }
    if let Some(url) = cx.endpoint
        && key(&config_section, "endpoint_url").is_none()
    {
        return Err(format!(
            "the profile `{name}` has no endpoint_url, so the aws CLI would send its keys to real AWS; add `endpoint_url = {url}` (aws configure set endpoint_url URL --profile {name})"
        ));
    }
    // Adopted as `up` records a profile it writes: the sections, their keys, and the
    // values that are not secret (while they are there, the section is the run's).
    let mut files = Vec::new();
    for (path, header, pairs) in [
        (
            &paths.config,
            config_header(&config, &name),
            &config_section,
        ),
        (&paths.credentials, Some(name.clone()), &credentials_section),
    ] {
        let (Some(header), Some(pairs)) = (header, pairs) else {
            continue;
        };
        files.push(awslab_executor::FileReceipt {
            path: path.clone(),
            section: header,
            keys: pairs.iter().map(|(k, _)| k.clone()).collect(),
            values: pairs
                .iter()
                .filter(|(k, _)| {
                    matches!(k.as_str(), "aws_access_key_id" | "region" | "endpoint_url")
                })
                .cloned()
                .collect(),
            separator: String::new(),
            created_file: false,
            temp: None,
        });
    }
    Ok(Adopted {
        resources: vec![ResourceRef::AwsProfile(resources::AwsProfile {
            receipt: awslab_executor::ProfileReceipt {
                profile: name.clone(),
                files,
            },
        })],
        outputs: IndexMap::from([("name".to_owned(), name.clone())]),
        credentials: None,
        note: format!("the profile `{name}` is there"),
    })
}

/// The header of profile `name` in the config file (`profile NAME`, or `default`).
fn config_header(config: &str, name: &str) -> Option<String> {
    let header = format!("profile {name}");
    if section(config, &header).is_some() {
        Some(header)
    } else if name == "default" && section(config, "default").is_some() {
        Some("default".to_owned())
    } else {
        None
    }
}

/// The `key = value` lines of `[header]` in an AWS CLI file.
fn section(text: &str, header: &str) -> Option<Vec<(String, String)>> {
    let mut found = None;
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == header;
            if inside {
                found.get_or_insert_with(Vec::new);
            }
            continue;
        }
        if inside
            && let Some((key, value)) = line.split_once('=')
            && let Some(pairs) = found.as_mut()
        {
            pairs.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    found
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
