//! Several accounts in one plan: the top-level `accounts:` map (each account's name and
//! settings) and the account each step runs in. A step names its account with
//! `account: NAME`; without it a step that acts as an identity (`as:`) runs where that
//! identity lives, and any other step in the plan's first account. A plan without
//! `accounts:` has one account, the operator's.

use indexmap::IndexMap;

use super::{Plan, Step, StepId, scalar_text};
use crate::diagnostics::{Diagnostics, did_you_mean};
use crate::kinds::StepKind;
use crate::source::Span;
use crate::template::{Part, Reference, Template};
use crate::values::OPERATOR;
use crate::yaml::{Node, Sp};

/// At most this many accounts in one plan (the sandbox hosts three; a real target
/// needs a profile for each).
pub const MAX_ACCOUNTS: usize = 10;

const ACCOUNT_KEYS: &[&str] = &["profile", "description"];

/// One account of a plan.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: Sp<String>,
    /// The AWS CLI profile of this account's operator on a real target (or an
    /// endpoint); `--account-profile NAME=PROFILE` overrides it.
    pub profile: Option<Sp<String>>,
    pub description: Option<String>,
}

fn valid_account_name(name: &str) -> bool {
    name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Reads `accounts:` into `accounts`, reporting every mistake.
pub(super) fn read_accounts(
    diags: &mut Diagnostics,
    node: &Node,
    accounts: &mut IndexMap<String, Account>,
) {
    let Some(entries) = node.as_map() else {
        diags
            .error(
                "plan::invalid_value",
                node.span,
                "`accounts` must be a map of account names to settings, as in `accounts: { a: {}, b: {} }`",
            )
            .emit();
        return;
    };
    if entries.is_empty() {
        diags
            .error("plan::invalid_value", node.span, "`accounts` names no account")
            .help("name at least one account, as in `accounts: { a: {}, b: {} }`, or drop `accounts:` to run in the operator's account")
            .emit();
        return;
    }
    if entries.len() > MAX_ACCOUNTS {
        diags
            .error(
                "plan::budget",
                node.span,
                format!(
                    "the plan names {} accounts; a plan may have at most {MAX_ACCOUNTS}",
                    entries.len()
                ),
            )
            .emit();
        return;
    }
    for (key, value) in entries {
        if let Some(first) = accounts.get(&key.name) {
            diags
                .error(
                    "plan::duplicate_key",
                    key.span,
                    format!("account `{}` is named twice", key.name),
                )
                .related(first.name.span, "first named here")
                .help("keep one of them")
                .emit();
            continue;
        }
        if !valid_account_name(&key.name) || key.name == OPERATOR {
            diags
                .error(
                    "plan::invalid_value",
                    key.span,
                    format!("`{}` is not a valid account name", key.name),
                )
                .help("an account name starts with a letter and has at most 32 letters, digits, `-` and `_` (and is not `operator`)")
                .emit();
            continue;
        }
        let mut account = Account {
            name: Sp::new(key.name.clone(), key.span),
            profile: None,
            description: None,
        };
        read_settings(diags, &key.name, value, &mut account);
        accounts.insert(key.name.clone(), account);
    }
}

fn read_settings(diags: &mut Diagnostics, name: &str, node: &Node, account: &mut Account) {
    if matches!(node.value, crate::yaml::Value::Null) {
        return;
    }
    let Some(entries) = node.as_map() else {
        diags
            .error(
                "plan::invalid_value",
                node.span,
                format!("the settings of account `{name}` must be a map, such as `{{}}` or `{{ profile: lab-b }}`"),
            )
            .emit();
        return;
    };
    for (key, value) in entries {
        match key.name.as_str() {
            "profile" => match value.as_str() {
                Some(text) if !text.trim().is_empty() && !text.contains("${") => {
                    account.profile = Some(Sp::new(text.to_owned(), value.span));
                }
                _ => diags
                    .error(
                        "plan::invalid_value",
                        value.span,
                        format!("the `profile` of account `{name}` must be an AWS CLI profile name"),
                    )
                    .help("write the profile's name as it appears in `~/.aws/config`, or pass `--account-profile NAME=PROFILE`")
                    .emit(),
            },
            "description" => account.description = scalar_text(value),
            other => diags
                .error(
                    "plan::unknown_key",
                    key.span,
                    format!("unknown key `{other}` in account `{name}`"),
                )
                .label("not an account setting")
                .maybe_help(did_you_mean(other, ACCOUNT_KEYS.iter().copied()).or_else(|| {
                    Some("an account takes `profile` and `description`".to_owned())
                }))
                .emit(),
        }
    }
}

impl Plan {
    /// The names of the plan's accounts, in order; empty when it names none (it then
    /// has one account, the operator's).
    pub fn account_names(&self) -> impl Iterator<Item = &str> {
        self.accounts.keys().map(String::as_str)
    }

    /// The position of the account a step runs in: `account:`, else the account of
    /// the identity it acts as, else the first (0). Steps that cannot be placed (an
    /// unknown account, reported by [`check_accounts`]) are in the first.
    pub fn account_index(&self, step: &Step) -> usize {
        self.account_index_within(step, self.steps.len())
    }

    /// The position of the account whose principal the credentials of identity step
    /// `identity` are: a role session lives in its role's account (a role the plan
    /// makes, `${ROLE.arn}`, or a stack's output), whoever assumed it; any other
    /// identity in the account its step runs in.
    pub fn identity_account_index(&self, identity: &Step) -> usize {
        self.identity_index_within(identity, self.steps.len())
    }

    // Identities chain (`as:` a session assumed `as:` a user); each hop spends one of
    // `hops` (the plan's size), so a cycle (reported elsewhere) cannot loop.
    fn account_index_within(&self, step: &Step, hops: usize) -> usize {
        if let Some(name) = &step.account {
            return self.accounts.get_index_of(&name.value).unwrap_or(0);
        }
        let caller = step
            .kind
            .caller()
            .map(|identity| identity.value.as_str())
            .filter(|identity| *identity != OPERATOR)
            .and_then(|identity| self.steps.get(&StepId::new(identity)));
        match caller {
            Some(caller) if hops > 0 => self.identity_index_within(caller, hops - 1),
            _ => 0,
        }
    }

    fn identity_index_within(&self, identity: &Step, hops: usize) -> usize {
        let role_arn = match &identity.kind {
            StepKind::StsAssumeRole(assume) => Some(&assume.role_arn.value),
            StepKind::StsAssumeRoleWithWebIdentity(assume) => Some(&assume.role_arn.value),
            StepKind::StsAssumeRoleWithSaml(assume) => Some(&assume.role_arn.value),
            _ => None,
        };
        let role_step = role_arn.and_then(|arn| self.step_referenced(arn));
        match role_step {
            Some(role) if hops > 0 => self.account_index_within(role, hops - 1),
            _ => self.account_index_within(identity, hops),
        }
    }

    /// The step a value that is one reference (`${role.arn}`, `${stack.outputs.X}`)
    /// refers to.
    fn step_referenced(&self, text: &str) -> Option<&Step> {
        let template = Template::parse(text).ok()?;
        let [
            Part::Ref {
                reference: Reference::Step { step, .. },
                ..
            },
        ] = template.parts.as_slice()
        else {
            return None;
        };
        self.steps.get(&StepId::new(step.clone()))
    }

    /// The name of the account a step runs in, when the plan names accounts.
    pub fn account_of(&self, step: &Step) -> Option<&str> {
        self.accounts
            .get_index(self.account_index(step))
            .map(|(name, _)| name.as_str())
    }
}

/// Checks every `account:`: it names an account under `accounts:`, and agrees with
/// the account of the identity the step acts as (credentials work only where they
/// were issued).
pub fn check_accounts(diags: &mut Diagnostics, plan: &Plan) {
    for step in plan.steps.values() {
        let Some(name) = &step.account else {
            continue;
        };
        if plan.accounts.is_empty() {
            diags
                .error(
                    "plan::unknown_account",
                    name.span,
                    format!("step `{}` runs in account `{}`, but the plan names no accounts", step.id, name.value),
                )
                .help(format!("add `accounts: {{ {}: {{}} }}` at the top of the plan (its first account is the default), or drop `account:`", name.value))
                .emit();
            continue;
        }
        if !plan.accounts.contains_key(&name.value) {
            unknown_account(
                diags,
                plan,
                &name.value,
                name.span,
                &format!(
                    "step `{}` runs in unknown account `{}`",
                    step.id, name.value
                ),
            );
            continue;
        }
        let Some(identity) = step
            .kind
            .caller()
            .filter(|identity| identity.value != OPERATOR)
        else {
            continue;
        };
        let Some(caller) = plan.steps.get(&StepId::new(identity.value.clone())) else {
            continue;
        };
        let theirs = plan.identity_account_index(caller);
        let ours = plan.account_index(step);
        if theirs != ours {
            let their_name = plan
                .accounts
                .get_index(theirs)
                .map_or("", |(name, _)| name.as_str());
            diags
                .error(
                    "plan::account_mismatch",
                    name.span,
                    format!(
                        "step `{}` says `account: {}` but acts as `{}`, an identity of account `{their_name}`",
                        step.id, name.value, identity.value
                    ),
                )
                .related(identity.span, "the identity")
                .help(format!("credentials act in the account that issued them: drop `account:` (the step then runs in `{their_name}`), or act as an identity of `{}`", name.value))
                .emit();
        }
    }
}

/// The users, roles and groups a step changes, as written (`user: ${partner.name}`).
fn parents(kind: &StepKind) -> Vec<&Sp<String>> {
    match kind {
        StepKind::IamAccessKey(k) => vec![&k.user],
        StepKind::IamUserPolicy(p) => vec![&p.user],
        StepKind::IamUserPolicyAttachment(p) => vec![&p.user],
        StepKind::IamRolePolicy(p) => vec![&p.role],
        StepKind::IamRolePolicyAttachment(p) => vec![&p.role],
        StepKind::IamTrustPolicy(t) => vec![&t.role],
        StepKind::IamGroupPolicy(p) => vec![&p.group],
        StepKind::IamGroupMembership(m) => vec![&m.group, &m.user],
        _ => Vec::new(),
    }
}

/// Checks that a step changing a user, role or group the plan makes (`user:
/// ${partner.name}`) runs in that resource's account: IAM names are per account, so
/// elsewhere the call would find no such entity, or another account's namesake.
pub fn check_parent_accounts(diags: &mut Diagnostics, plan: &Plan) {
    if plan.accounts.len() < 2 {
        return;
    }
    for step in plan.steps.values() {
        let ours = plan.account_index(step);
        for field in parents(&step.kind) {
            let Some(parent) = plan.step_referenced(&field.value) else {
                continue;
            };
            if !matches!(
                parent.kind,
                StepKind::IamUser(_) | StepKind::IamRole(_) | StepKind::IamGroup(_)
            ) {
                continue;
            }
            let theirs = plan.account_index(parent);
            if theirs == ours {
                continue;
            }
            let name = |index: usize| {
                plan.accounts
                    .get_index(index)
                    .map_or("", |(name, _)| name.as_str())
            };
            diags
                .error(
                    "plan::account_mismatch",
                    field.span,
                    format!(
                        "step `{}` runs in account `{}` but changes `{}`, which is in account `{}`",
                        step.id,
                        name(ours),
                        parent.id,
                        name(theirs)
                    ),
                )
                .help(format!(
                    "add `account: {}` to step `{}`: IAM names are per account",
                    name(theirs),
                    step.id
                ))
                .emit();
        }
    }
}

/// Reports an account name that is not under `accounts:`, suggesting the closest.
pub fn unknown_account(
    diags: &mut Diagnostics,
    plan: &Plan,
    name: &str,
    span: Span,
    message: &str,
) {
    let help = did_you_mean(name, plan.account_names()).or_else(|| {
        Some(if plan.accounts.is_empty() {
            format!(
                "name the plan's accounts at its top, as in `accounts: {{ a: {{}}, {name}: {{}} }}`"
            )
        } else {
            format!(
                "the plan's accounts are {}",
                plan.account_names()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    });
    diags
        .error("plan::unknown_account", span, message.to_owned())
        .label("no such account")
        .maybe_help(help)
        .emit();
}
