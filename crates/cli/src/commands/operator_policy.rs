//! `awslab perms PLAN`: the least-privilege IAM policy the operator needs to run `up`
//! and `down` of a plan, as a JSON policy document.
//!
//! How it is derived: for each step that runs as the operator, the calls its kind
//! makes ([`awslab_executor::permissions`]: creation, reads, waits and teardown) and
//! the calls it makes as its identity when that is the operator (an `sts.assume_role`,
//! an `s3.object`, a `verify`); each call's IAM action from the call table
//! ([`awslab_apimodel::find_call`]); each action's resource type and ARN template from
//! the Service Authorization Reference table ([`awslab_sandbox::authorization_of`]),
//! filled with the names the plan gives that step, as far as they are known before the
//! run (`${run.id}` becomes `*`, an output known only at run time the type's
//! wildcard). A `cfn.stack` adds the actions `CloudFormation` takes on the caller's
//! behalf for the template's resources ([`cfn_resources`]). One statement per step
//! and resource set, so removing any statement takes away what one step needs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use awslab_planner::checks::{SAMPLE_ACCOUNT, SAMPLE_RUN_ID, Statics, find_call};
use awslab_planner::{SealedPlan, Step, StepKind};
use serde_json::{Value, json};

use crate::cli::OperatorPolicyArgs;
use crate::exit::Status;

pub fn perms(args: &OperatorPolicyArgs) -> Status {
    let Some(sealed) = super::inspect::load_reporting(&args.plan, &args.vars) else {
        return Status::Invalid;
    };
    if let Some(account) = &args.account
        && !(account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()))
    {
        eprintln!("error: `--account {account}` is not a 12-digit AWS account id");
        return Status::Invalid;
    }
    let scope = Scope {
        account: args.account.clone().unwrap_or_else(|| "*".to_owned()),
        region: args.region.clone().unwrap_or_else(|| "*".to_owned()),
    };
    let derived = derive(&sealed, &scope);
    match &args.account {
        Some(account) => eprintln!("note: resources are scoped to account {account}"),
        None => eprintln!(
            "note: no `--account`: resources name any account (`*`); pass `--account ID` to scope them to one"
        ),
    }
    for note in &derived.notes {
        eprintln!("note: {note}");
    }
    match serde_json::to_string_pretty(&derived.document) {
        Ok(text) => {
            println!("{text}");
            Status::Success
        }
        Err(error) => {
            eprintln!("error: cannot write the policy: {error}");
            Status::StepFailed
        }
    }
}

/// Where the policy's ARNs point: an account id or `*`, a region or `*`.
#[derive(Debug, Clone)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

/// A derived policy and what it could not scope.
#[derive(Debug)]
pub struct Derived {
    pub document: Value,
    pub notes: Vec<String>,
}

/// The names a step gives each resource type, as ARNs (or ARN patterns).
#[derive(Default)]
struct Names {
    by_type: BTreeMap<&'static str, BTreeSet<String>>,
}

impl Names {
    fn add(&mut self, kind: &'static str, arn: String) {
        self.by_type.entry(kind).or_default().insert(arn);
    }
}

struct Deriver<'a> {
    sealed: &'a SealedPlan,
    statics: Statics<'a>,
    scope: &'a Scope,
    notes: Vec<String>,
}

impl Deriver<'_> {
    /// `text` as known before the run, with the sample run id and account as `*` (or
    /// the scope's account); `None` when it depends on a run-time output.
    fn render(&self, text: &str) -> Option<String> {
        let value = self.statics.render(text)?;
        Some(
            value
                .replace(SAMPLE_RUN_ID, "*")
                .replace(SAMPLE_ACCOUNT, &self.scope.account),
        )
    }

    fn iam_arn(&self, kind: &str, path: Option<&str>, name: Option<String>) -> String {
        let path = path
            .and_then(|p| self.render(p))
            .unwrap_or_else(|| "/".to_owned());
        let name = name.unwrap_or_else(|| "*".to_owned());
        let path = if path.ends_with('/') {
            path
        } else {
            format!("{path}/")
        };
        format!("arn:aws:iam::{}:{kind}{path}{name}", self.scope.account)
    }

    /// A name or ARN the plan gives as `text`: an ARN is kept, a name made one.
    fn arn_or_name(&self, kind: &str, text: &str) -> String {
        match self.render(text) {
            Some(value) if value.starts_with("arn:") => value,
            Some(value) => self.iam_arn(kind, None, Some(value)),
            None => self.iam_arn(kind, None, None),
        }
    }

    #[expect(clippy::too_many_lines, reason = "one arm per step kind")]
    fn names(&self, step: &Step) -> Names {
        let mut names = Names::default();
        let name = |text: &str| self.render(text);
        match &step.kind {
            StepKind::IamUser(u) => names.add(
                "user",
                self.iam_arn(
                    "user",
                    u.path.as_ref().map(|p| p.value.as_str()),
                    name(&u.name),
                ),
            ),
            StepKind::IamAccessKey(k) => names.add("user", self.arn_or_name("user", &k.user)),
            StepKind::IamUserPolicy(p) => names.add("user", self.arn_or_name("user", &p.user)),
            StepKind::IamUserPolicyAttachment(p) => {
                names.add("user", self.arn_or_name("user", &p.user));
            }
            StepKind::IamGroup(g) => names.add(
                "group",
                self.iam_arn(
                    "group",
                    g.path.as_ref().map(|p| p.value.as_str()),
                    name(&g.name),
                ),
            ),
            StepKind::IamGroupPolicy(p) => names.add("group", self.arn_or_name("group", &p.group)),
            StepKind::IamGroupMembership(m) => {
                names.add("group", self.arn_or_name("group", &m.group));
                names.add("user", self.arn_or_name("user", &m.user));
            }
            StepKind::IamRole(r) => names.add(
                "role",
                self.iam_arn(
                    "role",
                    r.path.as_ref().map(|p| p.value.as_str()),
                    name(&r.name),
                ),
            ),
            StepKind::IamRolePolicy(p) => names.add("role", self.arn_or_name("role", &p.role)),
            StepKind::IamRolePolicyAttachment(p) => {
                names.add("role", self.arn_or_name("role", &p.role));
            }
            StepKind::IamTrustPolicy(p) => names.add("role", self.arn_or_name("role", &p.role)),
            StepKind::IamPolicy(p) => names.add(
                "policy",
                self.iam_arn(
                    "policy",
                    p.path.as_ref().map(|p| p.value.as_str()),
                    name(&p.name),
                ),
            ),
            StepKind::IamOidcProvider(p) => {
                let host = name(&p.url).map(|url| {
                    url.trim_start_matches("https://")
                        .trim_end_matches('/')
                        .to_owned()
                });
                names.add(
                    "oidc-provider",
                    format!(
                        "arn:aws:iam::{}:oidc-provider/{}",
                        self.scope.account,
                        host.unwrap_or_else(|| "*".to_owned())
                    ),
                );
            }
            StepKind::IamSamlProvider(p) => names.add(
                "saml-provider",
                format!(
                    "arn:aws:iam::{}:saml-provider/{}",
                    self.scope.account,
                    name(&p.name).unwrap_or_else(|| "*".to_owned())
                ),
            ),
            StepKind::IamVirtualMfaDevice(d) => {
                names.add(
                    "mfa",
                    self.iam_arn(
                        "mfa",
                        d.path.as_ref().map(|p| p.value.as_str()),
                        name(&d.name),
                    ),
                );
                names.add("user", self.arn_or_name("user", &d.user));
            }
            StepKind::S3Bucket(b) => names.add("bucket", bucket_arn(name(&b.name))),
            StepKind::S3Object(o) => {
                let bucket = name(&o.bucket);
                names.add("bucket", bucket_arn(bucket.clone()));
                names.add(
                    "object",
                    format!(
                        "arn:aws:s3:::{}/{}",
                        bucket.unwrap_or_else(|| "*".to_owned()),
                        name(&o.key).unwrap_or_else(|| "*".to_owned())
                    ),
                );
            }
            StepKind::CfnStack(s) => names.add(
                "stack",
                format!(
                    "arn:aws:cloudformation:{}:{}:stack/{}/*",
                    self.scope.region,
                    self.scope.account,
                    name(&s.name).unwrap_or_else(|| "*".to_owned())
                ),
            ),
            StepKind::StsAssumeRole(a) => names.add("role", self.arn_or_name("role", &a.role_arn)),
            StepKind::StsGetFederationToken(f) => names.add(
                "federated-user",
                format!(
                    "arn:aws:sts::{}:federated-user/{}",
                    self.scope.account,
                    name(&f.name).unwrap_or_else(|| "*".to_owned())
                ),
            ),
            StepKind::Verify(v) => self.verify_names(v, &mut names),
            _ => {}
        }
        names
    }

    /// The resources a verify's parameters name.
    fn verify_names(&self, verify: &awslab_planner::kinds::Verify, names: &mut Names) {
        let param = |key: &str| {
            verify
                .params
                .get(key)
                .and_then(|v| v.value.as_str())
                .and_then(|text| self.render(text))
        };
        if let Some(bucket) = param("Bucket") {
            names.add(
                "object",
                format!(
                    "arn:aws:s3:::{bucket}/{}",
                    param("Key").unwrap_or_else(|| "*".to_owned())
                ),
            );
            names.add("bucket", bucket_arn(Some(bucket)));
        }
        for (key, kind) in [
            ("UserName", "user"),
            ("RoleName", "role"),
            ("GroupName", "group"),
        ] {
            if let Some(value) = param(key) {
                names.add(kind, self.iam_arn(kind, None, Some(value)));
            }
        }
        for (key, kind) in [("PolicyArn", "policy"), ("RoleArn", "role")] {
            if let Some(value) = param(key) {
                names.add(kind, value);
            }
        }
    }

    /// The ARNs `action` is authorized on for a step that gives `names`.
    fn resources(&self, action: &str, names: &Names) -> BTreeSet<String> {
        if action.starts_with("cloudformation:") {
            return names.by_type.get("stack").cloned().unwrap_or_else(|| {
                BTreeSet::from([format!(
                    "arn:aws:cloudformation:{}:{}:stack/*",
                    self.scope.region, self.scope.account
                )])
            });
        }
        let Some(row) = awslab_sandbox::authorization_of(action) else {
            return BTreeSet::from(["*".to_owned()]);
        };
        let fill = |name_value: &str| {
            row.fill(&[
                ("Partition", "aws"),
                ("Account", &self.scope.account),
                ("PathPrefix", "/"),
                ("UserNameWithPath", name_value),
                ("RoleNameWithPath", name_value),
                ("GroupNameWithPath", name_value),
                ("PolicyNameWithPath", name_value),
                ("MfaTokenIdWithPath", name_value),
                ("OidcProviderName", name_value),
                ("SamlProviderName", name_value),
                ("InstanceProfileNameWithPath", name_value),
                ("FederatedUserName", name_value),
                ("BucketName", name_value),
                ("ObjectName", name_value),
            ])
        };
        match row.resource_type {
            None => BTreeSet::from([fill("*")]),
            Some(kind) => names
                .by_type
                .get(kind)
                .cloned()
                .unwrap_or_else(|| BTreeSet::from([fill("*")])),
        }
    }
}

fn bucket_arn(name: Option<String>) -> String {
    format!("arn:aws:s3:::{}", name.unwrap_or_else(|| "*".to_owned()))
}

/// Whether a step's `as:` is the operator.
fn as_operator(identity: Option<&awslab_planner::values::IdentityName>) -> bool {
    identity.is_none_or(|i| i.value == awslab_planner::values::OPERATOR)
}

/// The operator's calls for `step` (kind, optional parts and identity calls), as IAM
/// actions.
fn step_actions(step: &Step) -> BTreeSet<String> {
    use awslab_executor::permissions::{Optional, identity_calls, kind_calls, optional_calls};
    let label = step.kind.label();
    let mut calls: Vec<&str> = Vec::new();
    if let Some(kind) = kind_calls(label) {
        calls.extend(kind.up);
        calls.extend(kind.down);
    }
    match &step.kind {
        StepKind::IamUser(u) if u.access_key => {
            if let Some(keys) = kind_calls("iam.access_key") {
                calls.extend(keys.up);
                calls.extend(keys.down);
            }
        }
        StepKind::IamRole(r) => {
            if !r.policies.is_empty() {
                calls.extend(optional_calls(Optional::RoleInlinePolicies));
            }
            if !r.managed_policies.is_empty() {
                calls.extend(optional_calls(Optional::RoleManagedPolicies));
            }
        }
        StepKind::S3Bucket(b) if b.policy.is_some() => {
            calls.extend(optional_calls(Optional::BucketPolicy));
        }
        _ => {}
    }
    let identity = match &step.kind {
        StepKind::StsAssumeRole(a) => Some(a.identity.as_ref()),
        StepKind::StsGetSessionToken(a) => Some(a.identity.as_ref()),
        StepKind::StsGetFederationToken(a) => Some(a.identity.as_ref()),
        StepKind::S3Object(o) => Some(o.identity.as_ref()),
        _ => None,
    };
    if identity.is_some_and(as_operator) {
        calls.extend(identity_calls(label));
    }
    let mut actions: BTreeSet<String> = calls
        .iter()
        .filter_map(|call| find_call(call))
        .map(|call| call.action())
        .collect();
    // Session tags and a source identity are authorized as actions of their own.
    if let StepKind::StsAssumeRole(a) = &step.kind
        && as_operator(a.identity.as_ref())
    {
        if !a.tags.is_empty() || !a.transitive_tag_keys.is_empty() {
            actions.insert("sts:TagSession".to_owned());
        }
        if a.source_identity.is_some() {
            actions.insert("sts:SetSourceIdentity".to_owned());
        }
    }
    if let StepKind::Verify(v) = &step.kind
        && let Some(call) = find_call(&v.call.value)
    {
        if as_operator(v.identity.as_ref()) {
            actions.insert(call.action());
        }
        if let awslab_apimodel::Effect::Creates(creates) = call.effect() {
            let down = awslab_executor::permissions::verify_teardown_calls(creates);
            actions.extend(down.iter().filter_map(|c| find_call(c)).map(|c| c.action()));
        }
    }
    actions
}

/// A statement id from a step id and a suffix: letters and digits only.
fn sid(step: &str, suffix: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in step.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    format!("{out}{suffix}")
}

/// The policy for `sealed`'s first account's operator.
pub fn derive(sealed: &SealedPlan, scope: &Scope) -> Derived {
    let mut deriver = Deriver {
        sealed,
        statics: Statics::new(&sealed.plan),
        scope,
        notes: Vec::new(),
    };
    let mut statements: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    for id in sealed.levels().iter().flatten() {
        let Some(step) = sealed.plan.steps.get(id) else {
            continue;
        };
        if sealed.plan.account_index(step) != 0 {
            deriver.notes.push(format!(
                "step `{id}` runs in account `{}`: its operator there needs its own policy",
                sealed.plan.account_of(step).unwrap_or("?")
            ));
            continue;
        }
        let names = deriver.names(step);
        // Group the step's actions by the resources they are on.
        let mut by_resources: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
        for action in step_actions(step) {
            let resources: Vec<String> = deriver.resources(&action, &names).into_iter().collect();
            by_resources.entry(resources).or_default().push(action);
        }
        if let StepKind::CfnStack(stack) = &step.kind {
            for (resources, actions) in cfn_resources(&mut deriver, stack) {
                by_resources.entry(resources).or_default().extend(actions);
            }
        }
        for (resources, mut actions) in by_resources {
            actions.sort();
            actions.dedup();
            // Statement ids are unique in a policy.
            let base = sid(id.as_str(), "");
            let mut name = base.clone();
            let mut index = 1;
            while statements.iter().any(|(other, _, _)| *other == name) {
                name = format!("{base}{index}");
                index += 1;
            }
            statements.push((name, actions, resources));
        }
    }
    let document = json!({
        "Version": "2012-10-17",
        "Statement": statements.iter().map(|(sid, actions, resources)| json!({
            "Sid": sid,
            "Effect": "Allow",
            "Action": actions,
            "Resource": resources,
        })).collect::<Vec<_>>(),
    });
    Derived {
        document,
        notes: deriver.notes,
    }
}

/// The actions `CloudFormation` takes on the caller's behalf for the resources of a
/// stack's template, grouped by the resources they are on: each resource's name
/// property where the template or the plan's parameters give it, else the name
/// `CloudFormation` generates (`STACK-LOGICAL-SUFFIX`, so `STACK-*`).
#[expect(
    clippy::too_many_lines,
    reason = "one pass over the template: names, then actions"
)]
fn cfn_resources(
    deriver: &mut Deriver<'_>,
    stack: &awslab_planner::kinds::CfnStack,
) -> Vec<(Vec<String>, Vec<String>)> {
    let Some(relative) = deriver.render(&stack.template.value) else {
        deriver.notes.push(
            "a stack's template is known only at run time: its resources are not in the policy"
                .to_owned(),
        );
        return Vec::new();
    };
    let path = deriver.sealed.base_dir().join(&relative);
    let Some(template) = read_template(&path) else {
        deriver.notes.push(format!(
            "cannot read the template `{}`: its resources are not in the policy",
            path.display()
        ));
        return Vec::new();
    };
    let stack_name = deriver
        .render(&stack.name.value)
        .unwrap_or_else(|| "*".to_owned());
    // CloudFormation keeps part of the stack's name in a generated name.
    let generated: String = stack_name
        .split('*')
        .next()
        .unwrap_or_default()
        .chars()
        .take(20)
        .collect();
    let generated = format!("{generated}*");
    let parameter = |name: &str| {
        stack
            .parameters
            .get(name)
            .and_then(|value| deriver.render(&value.value))
    };
    let resources = template
        .get("Resources")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Each resource's name, as the template or the plan gives it.
    let name_of = |properties: &Value, property: &str| -> String {
        match properties.get(property) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Object(map)) => map
                .get("Ref")
                .and_then(Value::as_str)
                .and_then(&parameter)
                .unwrap_or_else(|| generated.clone()),
            _ => generated.clone(),
        }
    };
    let account = deriver.scope.account.clone();
    let arn_of = |resource_type: &str, properties: &Value| -> Option<(&'static str, String)> {
        Some(match resource_type {
            "AWS::IAM::Role" => (
                "role",
                format!(
                    "arn:aws:iam::{account}:role/{}",
                    name_of(properties, "RoleName")
                ),
            ),
            "AWS::IAM::User" => (
                "user",
                format!(
                    "arn:aws:iam::{account}:user/{}",
                    name_of(properties, "UserName")
                ),
            ),
            "AWS::IAM::Group" => (
                "group",
                format!(
                    "arn:aws:iam::{account}:group/{}",
                    name_of(properties, "GroupName")
                ),
            ),
            "AWS::IAM::ManagedPolicy" => (
                "policy",
                format!(
                    "arn:aws:iam::{account}:policy/{}",
                    name_of(properties, "ManagedPolicyName")
                ),
            ),
            "AWS::IAM::InstanceProfile" => (
                "instance-profile",
                format!(
                    "arn:aws:iam::{account}:instance-profile/{}",
                    name_of(properties, "InstanceProfileName")
                ),
            ),
            "AWS::S3::Bucket" => (
                "bucket",
                format!(
                    "arn:aws:s3:::{}",
                    name_of(properties, "BucketName").to_ascii_lowercase()
                ),
            ),
            _ => return None,
        })
    };
    // The template's own entities, by logical id (what `!Ref` in a policy's `Roles` names).
    let mut logical: BTreeMap<String, (&'static str, String)> = BTreeMap::new();
    for (id, resource) in &resources {
        let resource_type = resource
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let properties = resource.get("Properties").cloned().unwrap_or(Value::Null);
        if let Some(found) = arn_of(resource_type, &properties) {
            logical.insert(id.clone(), found);
        }
    }
    let mut out: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    let mut notes = Vec::new();
    for (id, resource) in &resources {
        let resource_type = resource
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let properties = resource.get("Properties").cloned().unwrap_or(Value::Null);
        let Some((create, delete)) =
            awslab_executor::permissions::cfn_resource_actions(resource_type)
        else {
            notes.push(format!(
                "the template's `{id}` is a `{resource_type}`, whose permissions awslab does not know: add them by hand"
            ));
            continue;
        };
        let mut names = Names::default();
        if let Some((kind, arn)) = logical.get(id) {
            names.add(kind, arn.clone());
        }
        // Inline policies, memberships and bucket policies act on what they name.
        for (property, kind) in [("Roles", "role"), ("Users", "user"), ("Groups", "group")] {
            for entry in properties
                .get(property)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let arn = match entry {
                    Value::Object(map) => map.get("Ref").and_then(Value::as_str).and_then(|r| {
                        logical.get(r).map(|(_, arn)| arn.clone()).or_else(|| {
                            parameter(r).map(|n| format!("arn:aws:iam::{account}:{kind}/{n}"))
                        })
                    }),
                    Value::String(text) => Some(format!("arn:aws:iam::{account}:{kind}/{text}")),
                    _ => None,
                };
                names.add(
                    kind,
                    arn.unwrap_or_else(|| format!("arn:aws:iam::{account}:{kind}/*")),
                );
            }
        }
        for action in create.iter().chain(delete) {
            let kind = awslab_sandbox::authorization_of(action).and_then(|row| row.resource_type);
            // An inline policy's action on a kind the policy does not name is not needed.
            if resource_type == "AWS::IAM::Policy"
                && kind.is_some_and(|kind| !names.by_type.contains_key(kind))
            {
                continue;
            }
            let resources: Vec<String> = deriver.resources(action, &names).into_iter().collect();
            out.entry(resources)
                .or_default()
                .insert((*action).to_owned());
        }
    }
    deriver.notes.extend(notes);
    out.into_iter()
        .map(|(resources, actions)| (resources, actions.into_iter().collect()))
        .collect()
}

/// A template as JSON: JSON text, or YAML with `CloudFormation`'s short forms (`!Ref X`
/// read as `{"Ref": "X"}`, other tags as their value).
fn read_template(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(&text).ok();
    }
    // `!Ref Name` is the one short form whose value names something we scope to.
    let rewritten: String = text
        .lines()
        .map(|line| match line.split_once("!Ref ") {
            Some((before, name)) => format!("{before}{{ Ref: {} }}", name.trim()),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    serde_saphyr::from_str::<Value>(&rewritten).ok()
}
