//! Trust: when a step assumes a role that the plan creates, the trust policy in force
//! at that moment (the role's own, or the latest `iam.trust_policy` update the step
//! waits for) must admit the caller. Decided statically where possible; a warning
//! where conditions or unknown values leave it open.

use serde_json::Value as Json;

use crate::diagnostics::Diagnostics;
use crate::graph::SealedPlan;
use crate::kinds::StepKind;
use crate::plan::{Step, StepId};
use crate::values::{Document, OPERATOR};

use super::statics::{Statics, sample_account};

use awslab_policy::Admission;

/// Condition keys the evaluator derives from the principal itself.
const PRINCIPAL_KEYS: &[&str] = &[
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principaltype",
    "aws:username",
    "aws:userid",
];

/// Whether `document` (a trust policy, as JSON) admits `principal` for
/// `sts:AssumeRole`, by AWS's evaluation logic (crates/policy), with request context
/// known before the run (`sts:ExternalId`, `sts:RoleSessionName`, and MFA when the
/// step sends a code with `mfa:`). When every condition key of the policy is known, the
/// policy is evaluated for a yes or no; otherwise conditions leave it unknown. A
/// document that does not parse is reported elsewhere and counts as unknown here.
pub fn admits_with(document: &Json, principal: &str, context: &[(&str, String)]) -> Admission {
    let Ok(policy) =
        awslab_policy::PolicyDocument::from_value_as(document, awslab_policy::PolicyKind::Trust)
    else {
        return Admission::Unknown;
    };
    let keys = condition_keys(document);
    let known = |key: &String| {
        PRINCIPAL_KEYS.contains(&key.as_str())
            || context.iter().any(|(k, _)| k.eq_ignore_ascii_case(key))
    };
    if keys.is_empty() || !keys.iter().all(known) {
        return awslab_policy::admits_principal(&policy, principal);
    }
    let Some(caller) = awslab_policy::Principal::from_arn(principal) else {
        return Admission::Unknown;
    };
    let mut values = awslab_policy::Context::new();
    for (key, value) in context {
        values.insert(key, value.as_str());
    }
    if awslab_policy::trust_allows(&policy, &caller, "sts:AssumeRole", &values).is_allowed() {
        Admission::Yes
    } else {
        Admission::No
    }
}

/// Every condition key of a policy document, lowercased.
fn condition_keys(document: &Json) -> Vec<String> {
    let statements: Vec<&Json> = match document.get("Statement") {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
        None => Vec::new(),
    };
    statements
        .iter()
        .filter_map(|s| s.get("Condition").and_then(Json::as_object))
        .flat_map(|operators| operators.values().filter_map(Json::as_object))
        .flat_map(|keys| keys.keys().map(|k| k.to_ascii_lowercase()))
        .collect()
}

/// The trust policy in force when `step` runs, and which step set it.
fn effective<'a>(
    sealed: &'a SealedPlan,
    statics: &Statics,
    step: &Step,
    role: &'a Step,
) -> Option<(&'a Document, &'a StepId, Vec<&'a StepId>)> {
    let StepKind::IamRole(r) = &role.kind else {
        return None;
    };
    let role_name = statics.render(&r.name.value);
    let mut current = (&r.trust_policy, &role.id);
    let mut unordered = Vec::new();
    for id in sealed.order() {
        let Some(update) = sealed.step(id) else {
            continue;
        };
        let StepKind::IamTrustPolicy(t) = &update.kind else {
            continue;
        };
        if role_name.is_none()
            || statics.render(&t.role.value) != role_name
            || sealed.plan.account_index(update) != sealed.plan.account_index(role)
        {
            continue;
        }
        if sealed.depends_on(&step.id, id) {
            current = (&t.document, id);
        } else if !sealed.depends_on(id, &step.id) {
            unordered.push(id);
        }
    }
    Some((current.0, current.1, unordered))
}

/// Checks every `sts.assume_role` whose role the plan creates.
pub fn check(diags: &mut Diagnostics, sealed: &SealedPlan) {
    let statics = Statics::new(&sealed.plan);
    for id in sealed.order() {
        let Some(step) = sealed.step(id) else {
            continue;
        };
        let StepKind::StsAssumeRole(assume) = &step.kind else {
            continue;
        };
        let Some(role) = statics.role_step(&assume.role_arn.value) else {
            continue;
        };
        let Some((document, source, unordered)) = effective(sealed, &statics, step, role) else {
            continue;
        };
        for update in unordered {
            diags
                .warning("plan::trust_order", step.kind_span, format!("trust policy update `{update}` may run before or after step `{}`", step.id))
                .help(format!("add `needs: [{update}]` to step `{}` (or the reverse) so the trust policy in force is known", step.id))
                .emit();
        }
        let Ok(json) = document.json().map(|j| statics.render_json(&j)) else {
            continue;
        };
        let mut context = Vec::new();
        if let Some(id) = assume
            .external_id
            .as_ref()
            .and_then(|e| statics.render(&e.value))
        {
            context.push(("sts:ExternalId", id));
        }
        if let Some(name) = statics.render(&assume.session_name.value) {
            context.push(("sts:RoleSessionName", name));
        }
        if assume.mfa.is_some() {
            // awslab sends the device's code with the request: MFA is present, now.
            context.push(("aws:MultiFactorAuthPresent", "true".to_owned()));
            context.push(("aws:MultiFactorAuthAge", "0".to_owned()));
        }
        let identity = assume
            .identity
            .as_ref()
            .map_or(OPERATOR, |i| i.value.as_str());
        let principal = if identity == OPERATOR {
            None
        } else {
            statics.principal(Some(identity))
        };
        let Some(principal) = principal else {
            if identity != OPERATOR {
                continue;
            }
            // The operator's ARN is known only at run time; a policy admitting the
            // whole account admits the operator (if IAM allows it too).
            let account_root = format!(
                "arn:aws:iam::{}:root",
                sample_account(sealed.plan.account_index(step))
            );
            if admits_with(&json, &account_root, &context) == Admission::Yes {
                check_session_permissions(
                    diags,
                    step,
                    role,
                    assume,
                    document,
                    &json,
                    &account_root,
                );
                continue;
            }
            diags
                .warning("plan::trust", step.kind_span, format!("cannot tell before the run whether the trust policy of role step `{}` admits the operator", role.id))
                .help("if it names only specific users, assume the role as one of them with `as:`")
                .emit();
            continue;
        };
        let caller_step = sealed.plan.steps.get(&StepId::new(identity));
        let sample = caller_step.map_or_else(|| sample_account(0), |c| statics.account_of(c));
        let shown = principal.replace(&sample, "ACCOUNT");
        let written = caller_step.map_or_else(
            || "${account.id}".to_owned(),
            |c| Statics::for_display(&sealed.plan).account_of(c),
        );
        match admits_with(&json, &principal, &context) {
            Admission::Yes => {
                check_session_permissions(diags, step, role, assume, document, &json, &principal);
            }
            Admission::No => diags
                .error("plan::trust", step.kind_span, format!("the trust policy of role step `{}` (set by step `{source}`) does not let `{identity}` ({shown}) assume the role", role.id))
                .related(document.0.span, "this trust policy")
                .help(format!("add a statement allowing `sts:AssumeRole` with `Principal: {{ AWS: \"{}\" }}`, or assume the role as another identity", principal.replace(&sample, &written)))
                .emit(),
            Admission::Unknown => diags
                .warning("plan::trust", step.kind_span, format!("cannot tell before the run whether the trust policy of role step `{}` lets `{identity}` assume the role (it has conditions)", role.id))
                .related(document.0.span, "this trust policy")
                .emit(),
        }
    }
}

/// Session tags need `sts:TagSession` and a source identity `sts:SetSourceIdentity`
/// from the same trust policy: a policy without conditions that admits the caller for
/// `sts:AssumeRole` but not for those is an error (AWS denies the whole call); with
/// conditions it is left to the run.
fn check_session_permissions(
    diags: &mut Diagnostics,
    step: &Step,
    role: &Step,
    assume: &crate::kinds::StsAssumeRole,
    document: &Document,
    json: &Json,
    principal: &str,
) {
    if !condition_keys(json).is_empty() {
        return;
    }
    let Ok(policy) =
        awslab_policy::PolicyDocument::from_value_as(json, awslab_policy::PolicyKind::Trust)
    else {
        return;
    };
    let Some(caller) = awslab_policy::Principal::from_arn(principal) else {
        return;
    };
    let needs = [
        (
            "sts:TagSession",
            !assume.tags.is_empty(),
            "passes session `tags`",
        ),
        (
            "sts:SetSourceIdentity",
            assume.source_identity.is_some(),
            "sets a `source_identity`",
        ),
    ];
    for (action, given, what) in needs {
        if given
            && !awslab_policy::trust_allows(
                &policy,
                &caller,
                action,
                &awslab_policy::Context::new(),
            )
            .is_allowed()
        {
            diags
                .error(
                    "plan::trust",
                    step.kind_span,
                    format!(
                        "step `{}` {what}, but the trust policy of role step `{}` does not allow `{action}`, so AWS denies the whole `AssumeRole`",
                        step.id, role.id
                    ),
                )
                .related(document.0.span, "this trust policy")
                .help(format!("add `{action}` to the `Action` of the statement that allows `sts:AssumeRole`"))
                .emit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const USER: &str = "arn:aws:iam::123456789012:user/ali";

    #[test]
    fn admits_named_user_and_account_root() {
        let named = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"}});
        assert_eq!(admits_with(&named, USER, &[]), Admission::Yes);
        let root = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]});
        assert_eq!(admits_with(&root, USER, &[]), Admission::Yes);
    }

    #[test]
    fn refuses_other_user_and_explicit_deny() {
        let other = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/bob"}, "Action": "sts:AssumeRole"}});
        assert_eq!(admits_with(&other, USER, &[]), Admission::No);
        let deny = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "sts:*"},
            {"Effect": "Deny", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"}]});
        assert_eq!(admits_with(&deny, USER, &[]), Admission::No);
    }

    #[test]
    fn external_id_known_before_the_run_decides() {
        let policy = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "right"}}}});
        assert_eq!(
            admits_with(&policy, USER, &[("sts:ExternalId", "right".to_owned())]),
            Admission::Yes
        );
        assert_eq!(
            admits_with(&policy, USER, &[("sts:ExternalId", "wrong".to_owned())]),
            Admission::No
        );
        assert_eq!(admits_with(&policy, USER, &[]), Admission::Unknown);
    }

    #[test]
    fn conditions_leave_it_open() {
        let cond = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}});
        assert_eq!(admits_with(&cond, USER, &[]), Admission::Unknown);
    }
}
