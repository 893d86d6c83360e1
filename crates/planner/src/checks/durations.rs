//! STS session durations and callers: each API's bounds, the role's maximum session
//! duration when the plan creates the role, the one-hour cap on role chaining, and
//! the APIs that only accept an IAM user's long-term credentials.

use crate::diagnostics::Diagnostics;
use crate::kinds::{Credentials, StepKind};
use crate::plan::{Plan, Step, StepId};
use crate::values::{Duration, IdentityName, Text};
use crate::yaml::Sp;

use super::statics::Statics;

const ASSUME_MIN: u64 = 900;
const ASSUME_MAX: u64 = 43_200;
const TOKEN_MAX: u64 = 129_600;
const CHAIN_MAX: u64 = 3_600;
const ROLE_DEFAULT_MAX: u64 = 3_600;

fn bounds(
    diags: &mut Diagnostics,
    step: &Step,
    api: &str,
    duration: &Sp<Duration>,
    min: u64,
    max: u64,
) -> bool {
    let seconds = duration.value.seconds();
    if (min..=max).contains(&seconds) {
        return true;
    }
    diags
        .error(
            "plan::duration",
            duration.span,
            format!(
                "{api} accepts {} to {}, but step `{}` asks for {}",
                Duration(min),
                Duration(max),
                step.id,
                duration.value
            ),
        )
        .help(format!(
            "use a duration between {} and {}",
            Duration(min),
            Duration(max)
        ))
        .emit();
    false
}

fn caller_credentials(
    plan: &Plan,
    identity: Option<&IdentityName>,
) -> Option<(Credentials, String)> {
    let name = identity?;
    let step = plan.steps.get(&StepId::new(name.value.clone()))?;
    step.kind
        .credentials()
        .map(|c| (c, format!("`{}` ({})", step.id, step.kind.label())))
}

fn role_limit(
    diags: &mut Diagnostics,
    step: &Step,
    statics: &Statics,
    role_arn: &Text,
    duration: &Sp<Duration>,
) {
    let Some(role) = statics.role_step(&role_arn.value) else {
        return;
    };
    let StepKind::IamRole(r) = &role.kind else {
        return;
    };
    // A role read without a faulty `max_session_duration` has no known maximum.
    if role.partial && r.max_session_duration.is_none() {
        return;
    }
    let max = r
        .max_session_duration
        .as_ref()
        .map_or(ROLE_DEFAULT_MAX, |m| m.value.seconds());
    if duration.value.seconds() > max {
        let how = if r.max_session_duration.is_some() {
            "its `max_session_duration`"
        } else {
            "the default maximum, as the role sets no `max_session_duration`"
        };
        diags
            .error("plan::duration", duration.span, format!("step `{}` asks for {} but role step `{}` allows sessions of at most {} ({how})", step.id, duration.value, role.id, Duration(max)))
            .related(r.max_session_duration.as_ref().map_or(role.kind_span, |m| m.span), "the role's maximum")
            .help(format!("set `max_session_duration: {}` on step `{}`, or ask for at most {}", duration.value, role.id, Duration(max)))
            .emit();
    }
}

/// Checks durations and callers of every STS step and every role's maximum.
/// A federated role session's duration (web identity, SAML): STS's bounds, then the
/// role's maximum.
fn federated(diags: &mut Diagnostics, step: &Step, statics: &Statics) {
    let (call, duration, role_arn) = match &step.kind {
        StepKind::StsAssumeRoleWithWebIdentity(w) => (
            "AssumeRoleWithWebIdentity",
            w.duration.as_ref(),
            &w.role_arn,
        ),
        StepKind::StsAssumeRoleWithSaml(s) => {
            ("AssumeRoleWithSAML", s.duration.as_ref(), &s.role_arn)
        }
        _ => return,
    };
    let Some(duration) = duration else {
        return;
    };
    if bounds(diags, step, call, duration, ASSUME_MIN, ASSUME_MAX) {
        role_limit(diags, step, statics, role_arn, duration);
    }
}

pub fn check(diags: &mut Diagnostics, plan: &Plan, statics: &Statics) {
    for step in plan.steps.values() {
        match &step.kind {
            StepKind::IamRole(r) => {
                if let Some(max) = &r.max_session_duration {
                    bounds(
                        diags,
                        step,
                        "a role's maximum session duration",
                        max,
                        3_600,
                        ASSUME_MAX,
                    );
                }
            }
            StepKind::StsAssumeRole(a) => {
                let caller = caller_credentials(plan, a.identity.as_ref());
                if let (Some((Credentials::Federated, who)), Some(identity)) =
                    (&caller, &a.identity)
                {
                    diags
                        .error("plan::caller", identity.span, format!("step `{}` calls AssumeRole as {who}, but federated users may call no STS API but GetCallerIdentity", step.id))
                        .help("assume the role as the IAM user or the operator instead")
                        .emit();
                }
                let Some(duration) = &a.duration else {
                    continue;
                };
                if !bounds(diags, step, "AssumeRole", duration, ASSUME_MIN, ASSUME_MAX) {
                    continue;
                }
                if let Some((c, who)) = &caller
                    && c.is_temporary()
                    && duration.value.seconds() > CHAIN_MAX
                {
                    diags
                        .error("plan::duration", duration.span, format!("step `{}` assumes a role with temporary credentials of {who} (role chaining), which AWS limits to 1h, but asks for {}", step.id, duration.value))
                        .help("ask for at most 1h, or assume the role with long-term credentials")
                        .emit();
                    continue;
                }
                role_limit(diags, step, statics, &a.role_arn, duration);
            }
            StepKind::StsAssumeRoleWithWebIdentity(_) | StepKind::StsAssumeRoleWithSaml(_) => {
                federated(diags, step, statics);
            }
            StepKind::StsGetSessionToken(s) => {
                long_term_only(diags, plan, step, "GetSessionToken", s.identity.as_ref());
                if let Some(duration) = &s.duration {
                    bounds(
                        diags,
                        step,
                        "GetSessionToken",
                        duration,
                        ASSUME_MIN,
                        TOKEN_MAX,
                    );
                }
            }
            StepKind::StsGetFederationToken(f) => {
                long_term_only(diags, plan, step, "GetFederationToken", f.identity.as_ref());
                if let Some(duration) = &f.duration {
                    bounds(
                        diags,
                        step,
                        "GetFederationToken",
                        duration,
                        ASSUME_MIN,
                        TOKEN_MAX,
                    );
                }
                if f.policy.is_none() && f.policy_arns.is_empty() {
                    diags
                        .warning("plan::no_session_policy", step.kind_span, format!("step `{}` gets a federation token without a session policy, so its credentials have no permissions", step.id))
                        .help("add `policy:` (what the federated user may do, within the caller's own permissions)")
                        .emit();
                }
            }
            _ => {}
        }
    }
}

fn long_term_only(
    diags: &mut Diagnostics,
    plan: &Plan,
    step: &Step,
    api: &str,
    identity: Option<&IdentityName>,
) {
    if let (Some((c, who)), Some(identity)) = (caller_credentials(plan, identity), identity)
        && c.is_temporary()
    {
        diags
            .error("plan::caller", identity.span, format!("{api} needs an IAM user's long-term credentials, but step `{}` calls it as {who}, whose credentials are temporary", step.id))
            .help("call it as an `iam.user` with `access_key: true`, an `iam.access_key` step, or the operator")
            .emit();
    }
}
