//! Trust: when a step assumes a role that the plan creates, the trust policy in force
//! at that moment (the role's own, or the latest `iam.trust_policy` update the step
//! waits for) must admit the caller. Decided statically where possible; a warning
//! where conditions or unknown values leave it open.

use serde_json::Value as Json;

use crate::diagnostics::Diagnostics;
use crate::graph::SealedPlan;
use crate::kinds::StepKind;
use crate::plan::{Step, StepId};
use crate::values::{Document, OPERATOR, glob_match};

use super::statics::{SAMPLE_ACCOUNT, Statics};

/// Whether a trust policy admits a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Yes,
    No,
    Unknown,
}

fn as_list(value: Option<&Json>) -> Vec<&str> {
    match value {
        Some(Json::String(s)) => vec![s.as_str()],
        Some(Json::Array(items)) => items.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    }
}

fn principal_matches(entry: &str, principal: &str) -> bool {
    if entry == "*" {
        return true;
    }
    let account = principal.split(':').nth(4).unwrap_or_default();
    if entry == account || entry == format!("arn:aws:iam::{account}:root") {
        return true;
    }
    glob_match(entry, principal)
}

/// Whether `document` (a trust policy) admits `principal` calling `action`.
pub fn admits(document: &Json, principal: &str, action: &str) -> Admission {
    let statements: Vec<&Json> = match document.get("Statement") {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(single @ Json::Object(_)) => vec![single],
        _ => return Admission::Unknown,
    };
    let mut allowed = Admission::No;
    for statement in statements {
        let actions = as_list(statement.get("Action"));
        if !actions
            .iter()
            .any(|a| glob_match(&a.to_ascii_lowercase(), &action.to_ascii_lowercase()))
        {
            if statement.get("NotAction").is_some() {
                allowed = Admission::Unknown;
            }
            continue;
        }
        let Some(principals) = statement.get("Principal") else {
            allowed = Admission::Unknown;
            continue;
        };
        let matched = match principals {
            Json::String(s) => s == "*",
            Json::Object(map) => as_list(map.get("AWS"))
                .iter()
                .any(|e| principal_matches(e, principal)),
            _ => false,
        };
        if !matched {
            continue;
        }
        let conditional = statement.get("Condition").is_some();
        match statement.get("Effect").and_then(Json::as_str) {
            Some("Deny") if !conditional => return Admission::No,
            Some("Deny") => allowed = Admission::Unknown,
            Some("Allow") if !conditional && allowed != Admission::Unknown => {
                allowed = Admission::Yes;
            }
            Some("Allow") if allowed == Admission::No => {
                allowed = Admission::Unknown;
            }
            _ => {}
        }
    }
    allowed
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
        if role_name.is_none() || statics.render(&t.role.value) != role_name {
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
            let account_root = format!("arn:aws:iam::{SAMPLE_ACCOUNT}:root");
            if admits(&json, &account_root, "sts:AssumeRole") == Admission::Yes {
                continue;
            }
            diags
                .warning("plan::trust", step.kind_span, format!("cannot tell before the run whether the trust policy of role step `{}` admits the operator", role.id))
                .help("if it names only specific users, assume the role as one of them with `as:`")
                .emit();
            continue;
        };
        let shown = principal.replace(SAMPLE_ACCOUNT, "ACCOUNT");
        match admits(&json, &principal, "sts:AssumeRole") {
            Admission::Yes => {}
            Admission::No => diags
                .error("plan::trust", step.kind_span, format!("the trust policy of role step `{}` (set by step `{source}`) does not let `{identity}` ({shown}) assume the role", role.id))
                .related(document.0.span, "this trust policy")
                .help(format!("add a statement allowing `sts:AssumeRole` with `Principal: {{ AWS: \"{}\" }}`, or assume the role as another identity", principal.replace(SAMPLE_ACCOUNT, "${account.id}")))
                .emit(),
            Admission::Unknown => diags
                .warning("plan::trust", step.kind_span, format!("cannot tell before the run whether the trust policy of role step `{}` lets `{identity}` assume the role (it has conditions)", role.id))
                .related(document.0.span, "this trust policy")
                .emit(),
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
        let named = json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"}});
        assert_eq!(admits(&named, USER, "sts:AssumeRole"), Admission::Yes);
        let root = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]});
        assert_eq!(admits(&root, USER, "sts:AssumeRole"), Admission::Yes);
    }

    #[test]
    fn refuses_other_user_and_explicit_deny() {
        let other = json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/bob"}, "Action": "sts:AssumeRole"}});
        assert_eq!(admits(&other, USER, "sts:AssumeRole"), Admission::No);
        let deny = json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "sts:*"},
            {"Effect": "Deny", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"}]});
        assert_eq!(admits(&deny, USER, "sts:AssumeRole"), Admission::No);
    }

    #[test]
    fn conditions_leave_it_open() {
        let cond = json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}});
        assert_eq!(admits(&cond, USER, "sts:AssumeRole"), Admission::Unknown);
    }
}
