//! Verdicts that depend on the run's order: a `verify` as an identity whose
//! permissions another step of the plan changes (a policy put on or attached to its
//! user or role, a group membership of its user, a policy of that group), where that
//! step is neither before nor after the verify in the graph. Such a claim passes or
//! fails by chance (an `expect: AccessDenied` passes when it happens to run before the
//! policy that allows it), so validate warns, located at the verify, with the `needs:`
//! that fixes it. The same holds for a verify assuming a role whose trust policy an
//! `iam.trust_policy` step replaces.

use serde_json::Value as Json;

use crate::diagnostics::Diagnostics;
use crate::graph::SealedPlan;
use crate::kinds::StepKind;
use crate::plan::{Step, StepId};
use crate::values::{Document, OPERATOR, glob_match};

use awslab_apimodel::find_call;

use super::statics::Statics;

/// The users and roles whose permissions an identity's calls are evaluated against.
#[derive(Default)]
struct Principals {
    users: Vec<String>,
    roles: Vec<String>,
}

/// The principals behind identity `identity` (a step id), as far as the plan tells
/// before the run: a user for an access key and for the sessions and federated users
/// it makes (their permissions are at most the user's), a role for an assumed role.
fn principals(
    statics: &Statics,
    sealed: &SealedPlan,
    identity: &str,
    out: &mut Principals,
    depth: u8,
) {
    if identity == OPERATOR || depth > 8 {
        return;
    }
    let Some(step) = sealed.step(&StepId::new(identity)) else {
        return;
    };
    match &step.kind {
        StepKind::IamUser(user) => out.users.extend(statics.render(&user.name.value)),
        StepKind::IamAccessKey(key) => out.users.extend(statics.render(&key.user.value)),
        StepKind::StsGetSessionToken(session) => {
            if let Some(caller) = &session.identity {
                principals(statics, sealed, &caller.value, out, depth + 1);
            }
        }
        StepKind::StsGetFederationToken(federation) => {
            if let Some(caller) = &federation.identity {
                principals(statics, sealed, &caller.value, out, depth + 1);
            }
        }
        StepKind::StsAssumeRole(assume) => {
            if let Some(StepKind::IamRole(role)) =
                statics.role_step(&assume.role_arn.value).map(|s| &s.kind)
            {
                out.roles.extend(statics.render(&role.name.value));
            }
        }
        _ => {}
    }
}

/// Whether a statement of `document` may name `action` (allow or deny it): its
/// `Action` matches, or it has `NotAction`, or the document is not known before the
/// run.
fn may_name(statics: &Statics, document: &Document, action: &str) -> bool {
    let Ok(json) = document.json().map(|j| statics.render_json(&j)) else {
        return true;
    };
    let statements: Vec<&Json> = match json.get("Statement") {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
        None => return true,
    };
    let action = action.to_ascii_lowercase();
    statements.iter().any(|statement| {
        if statement.get("NotAction").is_some() {
            return true;
        }
        let patterns: Vec<&Json> = match statement.get("Action") {
            Some(Json::Array(items)) => items.iter().collect(),
            Some(single) => vec![single],
            None => Vec::new(),
        };
        patterns.iter().any(|pattern| {
            pattern
                .as_str()
                .is_none_or(|p| glob_match(&p.to_ascii_lowercase(), &action))
        })
    })
}

/// Whether membership of group `group` may change what is allowed for `action`: the
/// plan does not make the group (its policies are unknown), or one of the group's
/// policies in the plan may name the action.
fn group_may_name(statics: &Statics, group: &str, action: &str) -> bool {
    let Some(group) = statics.render(group) else {
        return true;
    };
    let steps = || statics.plan().steps.values();
    let made = steps().any(|s| match &s.kind {
        StepKind::IamGroup(g) => statics.render(&g.name.value).as_deref() == Some(group.as_str()),
        _ => false,
    });
    !made
        || steps().any(|s| match &s.kind {
            StepKind::IamGroupPolicy(p) => {
                statics.render(&p.group.value).as_deref() == Some(group.as_str())
                    && may_name(statics, &p.document, action)
            }
            _ => false,
        })
}

/// What `step` changes of what `principals` may do for `action`, in words, if it
/// may change it.
fn touches(
    statics: &Statics,
    step: &Step,
    principals: &Principals,
    groups: &[String],
    action: &str,
) -> Option<String> {
    // Named as the plan writes it (`${user.name}`), not as a sample run renders it.
    let named = |names: &[String], text: &str| {
        statics
            .render(text)
            .filter(|name| names.iter().any(|n| n == name))
            .map(|_| text.to_owned())
    };
    match &step.kind {
        StepKind::IamUserPolicy(p) if may_name(statics, &p.document, action) => {
            named(&principals.users, &p.user.value).map(|u| format!("a policy of user `{u}`"))
        }
        StepKind::IamUserPolicyAttachment(p) => named(&principals.users, &p.user.value)
            .map(|u| format!("a managed policy attached to user `{u}`")),
        StepKind::IamGroupMembership(m) if group_may_name(statics, &m.group.value, action) => {
            named(&principals.users, &m.user.value)
                .map(|u| format!("the group membership of user `{u}`"))
        }
        StepKind::IamGroupPolicy(p) if may_name(statics, &p.document, action) => {
            named(groups, &p.group.value).map(|g| format!("a policy of group `{g}`"))
        }
        StepKind::IamRolePolicy(p) if may_name(statics, &p.document, action) => {
            named(&principals.roles, &p.role.value).map(|r| format!("a policy of role `{r}`"))
        }
        StepKind::IamRolePolicyAttachment(p) => named(&principals.roles, &p.role.value)
            .map(|r| format!("a managed policy attached to role `{r}`")),
        _ => None,
    }
}

/// Warns for each verify calling `sts.AssumeRole` on a role of the plan whose trust
/// policy an `iam.trust_policy` step replaces, where that step is neither before nor
/// after the verify: which trust policy decides is left to chance.
fn check_trust(diags: &mut Diagnostics, sealed: &SealedPlan, statics: &Statics, peers: &Peers<'_>) {
    for id in sealed.order() {
        let Some(step) = sealed.step(id) else {
            continue;
        };
        let StepKind::Verify(verify) = &step.kind else {
            continue;
        };
        if !verify.call.value.eq_ignore_ascii_case("sts.AssumeRole") {
            continue;
        }
        let Some(role) = verify
            .params
            .get("RoleArn")
            .and_then(|arn| arn.value.as_str())
            .and_then(|arn| statics.role_step(arn))
            .and_then(|role| match &role.kind {
                StepKind::IamRole(role) => statics.render(&role.name.value),
                _ => None,
            })
        else {
            continue;
        };
        for &other in peers.of(sealed, id) {
            if other == id || sealed.depends_on(id, other) || sealed.depends_on(other, id) {
                continue;
            }
            let Some(StepKind::IamTrustPolicy(trust)) = sealed.step(other).map(|s| &s.kind) else {
                continue;
            };
            if statics.render(&trust.role.value).as_deref() != Some(role.as_str()) {
                continue;
            }
            diags
                .warning(
                    "plan::verify_order",
                    step.kind_span,
                    format!(
                        "the verdict of `{id}` depends on step `{other}` (the trust policy of role `{role}`), which may run before or after it"
                    ),
                )
                .help(format!(
                    "add `needs: [{other}]` to step `{id}` to check the updated trust policy, or `needs: [{id}]` to step `{other}` to check the one before"
                ))
                .emit();
        }
    }
}

/// The steps that may decide a step's verdict, in run order: all of them, or in a class
/// the learner's own (a learner's steps name only its own resources, so another
/// learner's steps never decide its verdicts).
struct Peers<'a> {
    all: Vec<&'a StepId>,
    by_learner: std::collections::HashMap<&'a str, Vec<&'a StepId>>,
}

impl<'a> Peers<'a> {
    fn new(sealed: &'a SealedPlan) -> Self {
        let all: Vec<&StepId> = sealed.order().collect();
        let mut by_learner: std::collections::HashMap<&str, Vec<&StepId>> =
            std::collections::HashMap::new();
        if !sealed.plan.learners.is_empty() {
            for id in &all {
                if let Some(learner) = sealed.plan.learner_of(id.as_str()) {
                    by_learner
                        .entry(learner.name.as_str())
                        .or_default()
                        .push(id);
                }
            }
        }
        Self { all, by_learner }
    }

    fn of(&self, sealed: &SealedPlan, id: &StepId) -> &[&'a StepId] {
        sealed
            .plan
            .learner_of(id.as_str())
            .and_then(|learner| self.by_learner.get(learner.name.as_str()))
            .map_or(&self.all, |peers| peers)
    }
}

/// Warns for each verify whose verdict depends on a step it is not ordered with.
pub fn check(diags: &mut Diagnostics, sealed: &SealedPlan) {
    let statics = Statics::new(&sealed.plan);
    let peers = Peers::new(sealed);
    check_trust(diags, sealed, &statics, &peers);
    for id in sealed.order() {
        let Some(step) = sealed.step(id) else {
            continue;
        };
        let StepKind::Verify(verify) = &step.kind else {
            continue;
        };
        let Some(identity) = &verify.identity else {
            continue;
        };
        // `sts:GetCallerIdentity` needs no permission: no policy changes its verdict.
        let Some(action) = find_call(&verify.call.value)
            .map(|call| call.action())
            .filter(|action| action != "sts:GetCallerIdentity")
        else {
            continue;
        };
        let mut found = Principals::default();
        principals(&statics, sealed, &identity.value, &mut found, 0);
        if found.users.is_empty() && found.roles.is_empty() {
            continue;
        }
        // The groups its users are put in by the plan.
        let groups: Vec<String> = peers
            .of(sealed, id)
            .iter()
            .filter_map(|&other| match sealed.step(other).map(|s| &s.kind) {
                Some(StepKind::IamGroupMembership(m))
                    if statics
                        .render(&m.user.value)
                        .is_some_and(|user| found.users.contains(&user)) =>
                {
                    statics.render(&m.group.value)
                }
                _ => None,
            })
            .collect();
        for &other in peers.of(sealed, id) {
            if other == id || sealed.depends_on(id, other) || sealed.depends_on(other, id) {
                continue;
            }
            let Some(changer) = sealed.step(other) else {
                continue;
            };
            let Some(how) = touches(&statics, changer, &found, &groups, &action) else {
                continue;
            };
            diags
                .warning(
                    "plan::verify_order",
                    step.kind_span,
                    format!(
                        "the verdict of `{id}` depends on step `{other}` ({how}), which may run before or after it"
                    ),
                )
                .help(format!(
                    "add `needs: [{other}]` to step `{id}` to check the permissions with it in force, or `needs: [{id}]` to step `{other}` to check them before"
                ))
                .emit();
        }
    }
}
