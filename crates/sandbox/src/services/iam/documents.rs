//! The policy documents IAM's write operations take: which member holds one, the quota
//! it counts against (the one table in `awslab_policy::Quota`), and its checks in the
//! order IAM makes them: the API's length limit, the size quota (before any parse),
//! then the grammar. [`precheck`] runs them on a request before the world is locked,
//! so a slow or huge document never delays other clients; an operation then reads
//! that verdict ([`checked`]) and does under the lock only what needs the world: the
//! aggregate of an entity's inline policies ([`fits_inline`]) and the existence of a
//! trust policy's principals.

use std::collections::BTreeMap;

use awslab_policy::{DOCUMENT_MAX_LENGTH, PolicyDocument, PolicyKind, Quota};
use serde_json::Value as Json;

use crate::services::IamError;
use crate::services::{ApiError, Input};
use crate::state::World;

/// Where an operation's policy document is, and what it is checked as.
pub(crate) struct Rule {
    /// The input member holding the document.
    member: &'static str,
    quota: Quota,
    kind: PolicyKind,
    /// For inline policies: the entity's word (`user`) and name member (`UserName`).
    owner: Option<(&'static str, &'static str)>,
}

pub(crate) const USER_INLINE: Rule = Rule {
    member: "PolicyDocument",
    quota: Quota::UserInline,
    kind: PolicyKind::Identity,
    owner: Some(("user", "UserName")),
};
pub(crate) const GROUP_INLINE: Rule = Rule {
    member: "PolicyDocument",
    quota: Quota::GroupInline,
    kind: PolicyKind::Identity,
    owner: Some(("group", "GroupName")),
};
pub(crate) const ROLE_INLINE: Rule = Rule {
    member: "PolicyDocument",
    quota: Quota::RoleInline,
    kind: PolicyKind::Identity,
    owner: Some(("role", "RoleName")),
};
pub(crate) const MANAGED: Rule = Rule {
    member: "PolicyDocument",
    quota: Quota::Managed,
    kind: PolicyKind::Identity,
    owner: None,
};
pub(crate) const NEW_TRUST: Rule = Rule {
    member: "AssumeRolePolicyDocument",
    quota: Quota::Trust,
    kind: PolicyKind::Trust,
    owner: None,
};
pub(crate) const TRUST: Rule = Rule {
    member: "PolicyDocument",
    quota: Quota::Trust,
    kind: PolicyKind::Trust,
    owner: None,
};

/// The document rule of IAM operation `action`, if it takes a policy document.
fn rule(action: &str) -> Option<&'static Rule> {
    Some(match action {
        "PutUserPolicy" => &USER_INLINE,
        "PutGroupPolicy" => &GROUP_INLINE,
        "PutRolePolicy" => &ROLE_INLINE,
        "CreatePolicy" | "CreatePolicyVersion" => &MANAGED,
        "CreateRole" => &NEW_TRUST,
        "UpdateAssumeRolePolicy" => &TRUST,
        _ => return None,
    })
}

/// Checks the policy document of an IAM request before the world is locked, and
/// keeps the verdict in the input for the operation to report where IAM would (after
/// authentication and authorization, which need the world).
pub fn precheck(action: &str, input: Input) -> Input {
    match rule(action) {
        Some(rule) if input.get(rule.member).is_some() => {
            let verdict = validate(&input, rule);
            input.with_document_verdict(verdict)
        }
        _ => input,
    }
}

/// The document of `rule` in `input`, checked: the verdict [`precheck`] reached, or
/// (for a call made inside the sandbox, such as a `CloudFormation` stack's) the same checks now;
/// then, for a trust policy, whether the principals it names exist.
pub(crate) fn checked<'i>(
    world: &World,
    input: &'i Input,
    rule: &Rule,
) -> Result<&'i str, ApiError> {
    let text = input.required(rule.member)?;
    let principals = match input.document_verdict() {
        Some(verdict) => verdict.clone()?,
        None => validate(input, rule)?,
    };
    for name in principals {
        if !principal_exists(world, &name) {
            return Err(ApiError::malformed_policy(format!(
                "Invalid principal in policy: \"AWS\":\"{name}\""
            )));
        }
    }
    Ok(text)
}

/// Whether putting `document` as inline policy `policy` keeps the entity's inline
/// policies within their aggregate quota (the policy it replaces not counted).
pub(crate) fn fits_inline(
    rule: &Rule,
    policies: &BTreeMap<String, String>,
    (policy, document): &(String, String),
    owner: &str,
) -> Result<(), ApiError> {
    let others: usize = policies
        .iter()
        .filter(|(name, _)| *name != policy)
        .map(|(_, text)| rule.quota.size_of_text(text))
        .sum();
    if others + rule.quota.size_of_text(document) > rule.quota.limit() {
        return Err(too_large(rule, owner));
    }
    Ok(())
}

/// The length limit, the size quota, then the grammar; for a trust policy, the AWS
/// principals it names (checked against the world later).
fn validate(input: &Input, rule: &Rule) -> Result<Vec<String>, ApiError> {
    let text = input.required(rule.member)?;
    if text.len() > DOCUMENT_MAX_LENGTH && text.chars().count() > DOCUMENT_MAX_LENGTH {
        let mut member = rule.member.to_owned();
        if let Some(first) = member.get_mut(..1) {
            first.make_ascii_lowercase();
        }
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: \
             Member must have length less than or equal to {DOCUMENT_MAX_LENGTH}"
        )));
    }
    if rule.quota.size_of_text(text) > rule.quota.limit() {
        let owner = rule
            .owner
            .and_then(|(_, member)| input.get(member))
            .unwrap_or_default();
        return Err(too_large(rule, owner));
    }
    if let Err(errors) = PolicyDocument::parse_as(text, rule.kind) {
        let first = errors.first().map_or_else(
            || "Syntax errors in policy.".to_owned(),
            ToString::to_string,
        );
        return Err(ApiError::malformed_policy(first));
    }
    Ok(if rule.kind == PolicyKind::Trust {
        aws_principals(text)
    } else {
        Vec::new()
    })
}

/// IAM's `LimitExceeded` for a document over its quota, worded as IAM words it.
fn too_large(rule: &Rule, owner: &str) -> ApiError {
    let limit = rule.quota.limit();
    let message = match (rule.quota, rule.owner) {
        (Quota::Trust, _) => format!("Cannot exceed quota for ACLSizePerRole: {limit}"),
        (_, Some((word, _))) => {
            format!("Maximum policy size of {limit} bytes exceeded for {word} {owner}")
        }
        (_, None) => format!("Cannot exceed quota for PolicySize: {limit}"),
    };
    ApiError::of(IamError::LimitExceeded, message)
}

/// The `AWS` principals a trust policy names (a valid document, already parsed once).
fn aws_principals(text: &str) -> Vec<String> {
    let Ok(document) = serde_json::from_str::<Json>(text) else {
        return Vec::new();
    };
    let statements = match document.get("Statement") {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
        None => Vec::new(),
    };
    let mut names = Vec::new();
    for statement in statements {
        match statement
            .get("Principal")
            .and_then(|principal| principal.get("AWS"))
        {
            Some(Json::String(name)) => names.push(name.clone()),
            Some(Json::Array(items)) => names.extend(
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned)),
            ),
            _ => {}
        }
    }
    names
}

/// AWS refuses a trust policy naming an IAM principal that does not exist.
fn principal_exists(world: &World, name: &str) -> bool {
    if name == "*" {
        return true;
    }
    if name.len() == 12 && name.bytes().all(|byte| byte.is_ascii_digit()) {
        return world.account(name).is_some();
    }
    let parts: Vec<&str> = name.splitn(6, ':').collect();
    let [_, _, service, _, account_id, resource] = parts.as_slice() else {
        return false;
    };
    let Some(account) = world.account(account_id) else {
        return false;
    };
    let last = |prefix: &str| {
        resource
            .strip_prefix(prefix)
            .and_then(|path| path.rsplit('/').next())
            .map(str::to_ascii_lowercase)
    };
    match *service {
        "iam" if *resource == "root" => true,
        "iam" => {
            if let Some(user) = last("user/") {
                account.users.contains_key(&user)
            } else if let Some(role) = last("role/") {
                account.roles.contains_key(&role)
            } else {
                false
            }
        }
        "sts" => resource.starts_with("assumed-role/") || resource.starts_with("federated-user/"),
        _ => false,
    }
}
