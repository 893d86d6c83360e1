//! Explanations a learner can act on, built on demand (never on the hot path of
//! [`crate::evaluate`]): for every policy evaluated, its type and what it contributed;
//! for every statement, whether its action, resource, principal and each condition
//! matched, with the first element that failed named. AWS's `MatchedStatements` from
//! `iam simulate-custom-policy` lists only the statements that applied; this lists
//! them all. [`Explanation`] is serializable (serde), so a caller can store it (the
//! sandbox, per request id) and print it later with [`Explanation::to_text`].

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::decision::{Decision, PolicyType, Reason, Verdict};
use crate::document::{Effect, PolicyKind, Statement};
use crate::evaluate::{EvaluationInput, Lowercase, NamedPolicy, View, evaluate};
use crate::principal::PrincipalMatch;
use crate::request::{OwnerSource, Request};

/// The full explanation of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// The same verdict [`crate::evaluate`] gives.
    pub decision: Verdict,
    pub reason: Reason,
    /// The reason as a clause (`because no identity-based policy allows ...`).
    pub reason_text: String,
    /// The service rule that decided, described, when one did.
    pub service_rule: Option<String>,
    pub access_denied_message: Option<String>,
    pub request: RequestSummary,
    /// Every policy evaluated, in evaluation order.
    pub policies: Vec<PolicyExplanation>,
}

/// The request as evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestSummary {
    pub principal: String,
    /// `aws:PrincipalType` of the caller (`User`, `AssumedRole`, ...).
    pub principal_type: String,
    pub action: String,
    pub resource: String,
    /// The account that owns the resource, `None` for the caller's own account.
    pub resource_owner: Option<String>,
    pub resource_owner_source: OwnerSource,
    pub same_account: bool,
}

/// What one policy contributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PolicyOutcome {
    /// A `Deny` statement applies.
    Deny,
    /// An `Allow` statement applies and no `Deny` does.
    Allow,
    /// No statement applies.
    NoMatch,
}

/// One policy and its statements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyExplanation {
    /// The label the caller gave the policy (a file name, a policy ARN...).
    pub name: String,
    /// `identity`, `resource`, `trust`, `session` or `boundary`.
    pub policy_type: PolicyKind,
    pub outcome: PolicyOutcome,
    pub statements: Vec<StatementExplanation>,
}

/// One statement, element by element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementExplanation {
    /// The statement's index in the document, from 0.
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    /// Whether the statement applies to the request (every element matched).
    pub applies: bool,
    /// The first element that did not match (`Action`, `Resource`, `Principal`,
    /// `Condition`), `None` when the statement applies.
    pub failed: Option<String>,
    pub action: ElementCheck,
    /// `None` for trust policies, which have no `Resource`.
    pub resource: Option<ElementCheck>,
    /// `None` for identity-based, session and boundary policies.
    pub principal: Option<ElementCheck>,
    pub conditions: Vec<ConditionCheck>,
}

/// Whether one element matched, and why, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElementCheck {
    /// `Action`, `NotAction`, `Resource`, `NotResource`, `Principal`, `NotPrincipal`.
    pub element: String,
    pub matched: bool,
    pub detail: String,
}

/// One operator and key of a `Condition` element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionCheck {
    pub operator: String,
    pub key: String,
    /// The values the policy lists.
    pub values: Vec<String>,
    /// The request's values for the key, `None` when the key is absent.
    pub request_values: Option<Vec<String>>,
    pub matched: bool,
}

/// Evaluates `request` against `input` and explains every policy and statement. The
/// decision is the one [`crate::evaluate`] gives for the same inputs.
pub fn explain(input: &EvaluationInput<'_>, request: &Request) -> Explanation {
    explain_decided(input, request, &evaluate(input, request))
}

/// [`explain`] of the decision [`crate::evaluate`] already gave for the same inputs,
/// without evaluating again (a caller that acts on the decision and keeps its
/// explanation, as the sandbox does for every request).
pub fn explain_decided(
    input: &EvaluationInput<'_>,
    request: &Request,
    decision: &Decision,
) -> Explanation {
    let action = Lowercase::new(&request.action);
    let mut view = View::new(
        &request.principal,
        action.as_str(),
        &request.resource,
        &request.context,
    );
    view.has_boundary = input.boundary.is_some();
    let mut policies = Vec::new();
    if !matches!(decision.reason, Reason::ServiceRule(_)) {
        for policy in &input.identity_policies {
            policies.push(explain_policy(
                policy,
                PolicyType::Identity,
                PolicyKind::Identity,
                &view,
                &request.action,
            ));
        }
        if let Some(policy) = &input.resource_policy {
            let kind = if policy.document.kind == PolicyKind::Trust {
                PolicyKind::Trust
            } else {
                PolicyKind::Resource
            };
            policies.push(explain_policy(
                policy,
                PolicyType::Resource,
                kind,
                &view,
                &request.action,
            ));
        }
        if let Some(policy) = &input.boundary {
            policies.push(explain_policy(
                policy,
                PolicyType::Boundary,
                PolicyKind::Boundary,
                &view,
                &request.action,
            ));
        }
        for policy in input.session_policies.iter().flatten() {
            policies.push(explain_policy(
                policy,
                PolicyType::Session,
                PolicyKind::Session,
                &view,
                &request.action,
            ));
        }
    }
    let owner = request.resource_owner();
    Explanation {
        decision: decision.verdict,
        reason: decision.reason,
        reason_text: decision.reason_clause(&request.action),
        service_rule: match decision.reason {
            Reason::ServiceRule(rule) => Some(rule.describe().to_owned()),
            _ => None,
        },
        access_denied_message: decision.access_denied_message(request),
        request: RequestSummary {
            principal: request.principal.arn.clone(),
            principal_type: request.principal.kind.aws_type().to_owned(),
            action: request.action.clone(),
            resource: request.resource.clone(),
            resource_owner: owner.map(str::to_owned),
            resource_owner_source: request.resource_owner_source(),
            same_account: owner.is_none_or(|account| account == request.principal.account),
        },
        policies,
    }
}

fn explain_policy(
    policy: &NamedPolicy<'_>,
    policy_type: PolicyType,
    kind: PolicyKind,
    view: &View<'_>,
    action: &str,
) -> PolicyExplanation {
    let statements: Vec<StatementExplanation> = policy
        .document
        .statements
        .iter()
        .enumerate()
        .map(|(index, statement)| explain_statement(index, statement, policy_type, view, action))
        .collect();
    let applying = |effect| {
        statements
            .iter()
            .any(|statement| statement.applies && statement.effect == effect)
    };
    let outcome = if applying(Effect::Deny) {
        PolicyOutcome::Deny
    } else if applying(Effect::Allow) {
        PolicyOutcome::Allow
    } else {
        PolicyOutcome::NoMatch
    };
    PolicyExplanation {
        name: policy.name.to_owned(),
        policy_type: kind,
        outcome,
        statements,
    }
}

fn explain_statement(
    index: usize,
    statement: &Statement,
    policy_type: PolicyType,
    view: &View<'_>,
    action: &str,
) -> StatementExplanation {
    let action = action_check(statement, view, action);
    let resource = resource_check(statement, view);
    let principal = (policy_type == PolicyType::Resource).then(|| principal_check(statement, view));
    let conditions: Vec<ConditionCheck> = statement
        .conditions
        .iter()
        .map(|condition| {
            let request_values = view.keys.values(&condition.key).map(|values| {
                values
                    .iter()
                    .map(|value| value.as_text().into_owned())
                    .collect()
            });
            ConditionCheck {
                operator: condition.written.operator.clone(),
                key: condition.written.key.clone(),
                values: condition.written.values.clone(),
                request_values,
                matched: condition.evaluate(&view.keys),
            }
        })
        .collect();
    let failed = if !action.matched {
        Some(action.element.clone())
    } else if let Some(check) = resource.as_ref().filter(|check| !check.matched) {
        Some(check.element.clone())
    } else if let Some(check) = principal.as_ref().filter(|check| !check.matched) {
        Some(check.element.clone())
    } else {
        conditions
            .iter()
            .find(|check| !check.matched)
            .map(|check| format!("Condition `{}` on `{}`", check.operator, check.key))
    };
    StatementExplanation {
        index,
        sid: statement.sid.clone(),
        effect: statement.effect,
        applies: failed.is_none(),
        failed,
        action,
        resource,
        principal,
        conditions,
    }
}

fn action_check(statement: &Statement, view: &View<'_>, action: &str) -> ElementCheck {
    let spec = &statement.actions;
    let listed = spec
        .patterns
        .iter()
        .position(|pattern| pattern.matches(view.action_lowercase, false));
    let written = |position: usize| spec.written.get(position).map_or("?", String::as_str);
    let (element, detail) = match (spec.negated, listed) {
        (false, Some(position)) => (
            "Action",
            format!("`{action}` matches `{}`", written(position)),
        ),
        (false, None) => (
            "Action",
            format!("`{action}` is not among {}", list(&spec.written)),
        ),
        (true, Some(position)) => (
            "NotAction",
            format!("`{action}` is excluded by `{}`", written(position)),
        ),
        (true, None) => (
            "NotAction",
            format!(
                "`{action}` is not among the excluded {}",
                list(&spec.written)
            ),
        ),
    };
    ElementCheck {
        element: element.to_owned(),
        matched: statement.covers_lowercase_action(view.action_lowercase),
        detail,
    }
}

fn resource_check(statement: &Statement, view: &View<'_>) -> Option<ElementCheck> {
    let spec = statement.resources.as_ref()?;
    let listed = spec
        .patterns
        .iter()
        .position(|pattern| pattern.matches(view.resource, &view.keys).unwrap_or(false));
    let resource = view.resource;
    let written = |position: usize| spec.written.get(position).map_or("?", String::as_str);
    let (element, detail) = match (spec.negated, listed) {
        (false, Some(position)) => (
            "Resource",
            format!("`{resource}` matches `{}`", written(position)),
        ),
        (false, None) => (
            "Resource",
            format!("`{resource}` is not among {}", list(&spec.written)),
        ),
        (true, Some(position)) => (
            "NotResource",
            format!("`{resource}` is excluded by `{}`", written(position)),
        ),
        (true, None) => (
            "NotResource",
            format!(
                "`{resource}` is not among the excluded {}",
                list(&spec.written)
            ),
        ),
    };
    Some(ElementCheck {
        element: element.to_owned(),
        matched: listed.is_some() != spec.negated,
        detail,
    })
}

fn principal_check(statement: &Statement, view: &View<'_>) -> ElementCheck {
    let Some(spec) = &statement.principals else {
        return ElementCheck {
            element: "Principal".to_owned(),
            matched: false,
            detail: "the statement names no principal".to_owned(),
        };
    };
    if !spec.negated {
        return ElementCheck {
            element: "Principal".to_owned(),
            matched: spec.match_principal(view.principal).is_some(),
            detail: spec.describe(view.principal),
        };
    }
    let (matched, detail) = match statement.effect {
        Effect::Deny if view.has_boundary => (
            true,
            "`Deny` with `NotPrincipal` denies every principal that has a permissions boundary"
                .to_owned(),
        ),
        Effect::Deny => (!spec.excludes(view.principal), spec.describe(view.principal)),
        Effect::Allow => match spec.allow_except(view.principal) {
            Some(PrincipalMatch::Account) => (
                true,
                "`NotPrincipal` lists the caller but not its account: only the account is granted, which delegates to identity-based policies".to_owned(),
            ),
            Some(_) => (
                true,
                "`Allow` with `NotPrincipal` grants everyone not listed, and the caller is not listed".to_owned(),
            ),
            None => (
                false,
                "`Allow` with `NotPrincipal` grants everyone except the caller".to_owned(),
            ),
        },
    };
    ElementCheck {
        element: "NotPrincipal".to_owned(),
        matched,
        detail,
    }
}

fn list(entries: &[String]) -> String {
    let quoted: Vec<String> = entries.iter().map(|entry| format!("`{entry}`")).collect();
    format!("[{}]", quoted.join(", "))
}

impl Explanation {
    /// The explanation as text for people: the decision, the request, then every
    /// policy and statement with what matched and what did not. Words carry the
    /// meaning (`applies`, `does not apply`), not colour.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let request = &self.request;
        let _ = writeln!(out, "Decision: {}", self.decision.label());
        let _ = writeln!(
            out,
            "Request: `{}` on `{}` by `{}` ({})",
            request.action, request.resource, request.principal, request.principal_type
        );
        let owner = match (&request.resource_owner, request.resource_owner_source) {
            (Some(account), source) => format!("`{account}` ({})", source.label()),
            (None, _) => "the caller's account (the resource ARN names none)".to_owned(),
        };
        let _ = writeln!(
            out,
            "Resource owner: {owner}, {}",
            if request.same_account {
                "same account as the caller"
            } else {
                "another account than the caller's: both sides must allow"
            }
        );
        let action = &request.action;
        let _ = writeln!(
            out,
            "Reason: {}",
            self.reason_text
                .replace(&format!(" {action} "), &format!(" `{action}` "))
        );
        if let Some(rule) = &self.service_rule {
            let _ = writeln!(out, "Service rule: {rule}; policies were not consulted");
        }
        if self.policies.is_empty() && self.service_rule.is_none() {
            let _ = writeln!(out, "Policies: none");
        }
        let matched: Vec<String> = self
            .policies
            .iter()
            .flat_map(|policy| {
                policy
                    .statements
                    .iter()
                    .filter(|statement| statement.applies)
                    .map(move |statement| {
                        let sid = statement
                            .sid
                            .as_deref()
                            .map_or_else(String::new, |sid| format!(" (`{sid}`)"));
                        format!(
                            "{} in `{}`, statement {}{sid}",
                            statement.effect.label(),
                            policy.name,
                            statement.index
                        )
                    })
            })
            .collect();
        if self.service_rule.is_none() {
            if matched.is_empty() {
                let _ = writeln!(out, "Matched statements: none");
            } else {
                let _ = writeln!(out, "Matched statements: {}", matched.join("; "));
            }
        }
        out.push_str(&self.policies_text());
        if let Some(message) = &self.access_denied_message {
            let _ = writeln!(out, "AccessDenied message: {message}");
        }
        out
    }

    /// Keys the request lacks that a statement needs: the conditions that failed only
    /// because their key is absent, in statements whose action, resource and principal
    /// matched (so the key is what stands between the request and that `Allow`).
    /// `...IfExists` operators and `Null` match an absent key, so they never appear.
    pub fn missing_keys(&self) -> Vec<MissingKey> {
        let mut missing: Vec<MissingKey> = Vec::new();
        for policy in &self.policies {
            for statement in &policy.statements {
                let elements_match = statement.effect == Effect::Allow
                    && statement.action.matched
                    && statement
                        .resource
                        .as_ref()
                        .is_none_or(|check| check.matched)
                    && statement
                        .principal
                        .as_ref()
                        .is_none_or(|check| check.matched);
                if !elements_match {
                    continue;
                }
                for condition in &statement.conditions {
                    if condition.matched || condition.request_values.is_some() {
                        continue;
                    }
                    if missing
                        .iter()
                        .any(|known| known.key.eq_ignore_ascii_case(&condition.key))
                    {
                        continue;
                    }
                    missing.push(MissingKey {
                        key: condition.key.clone(),
                        policy: policy.name.clone(),
                        statement: statement.index,
                    });
                }
            }
        }
        missing
    }

    /// Every policy and statement, element by element, then the keys the request
    /// lacks: the part of [`Explanation::to_text`] after the decision and request.
    pub fn policies_text(&self) -> String {
        let mut out = String::new();
        self.write_policies_text(&mut out);
        out
    }

    /// [`Explanation::policies_text`], appended to `out`.
    pub fn write_policies_text(&self, out: &mut String) {
        for policy in &self.policies {
            let outcome = match policy.outcome {
                PolicyOutcome::Deny => "denies",
                PolicyOutcome::Allow => "allows",
                PolicyOutcome::NoMatch => "no statement applies",
            };
            let _ = writeln!(
                out,
                "Policy `{}` ({} policy): {outcome}",
                policy.name,
                policy.policy_type.label()
            );
            for statement in &policy.statements {
                write_statement(out, statement);
            }
        }
        for missing in self.missing_keys() {
            let _ = writeln!(
                out,
                "Missing: no `{}` in the request; statement {} of `{}` would allow it",
                missing.key, missing.statement, missing.policy
            );
        }
    }
}

/// A condition key the request lacks, and the first statement that needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingKey {
    /// The key as the policy writes it (`sts:ExternalId`).
    pub key: String,
    /// The policy's label.
    pub policy: String,
    pub statement: usize,
}

fn write_statement(out: &mut String, statement: &StatementExplanation) {
    let sid = statement
        .sid
        .as_deref()
        .map_or_else(String::new, |sid| format!(" `{sid}`"));
    let verdict = match &statement.failed {
        None => "applies".to_owned(),
        Some(element) => format!("does not apply ({element} does not match)"),
    };
    let _ = writeln!(
        out,
        "  statement {}{sid} ({}): {verdict}",
        statement.index,
        statement.effect.label()
    );
    let mark = |matched: bool| if matched { "matches" } else { "does not match" };
    let mut element = |check: &ElementCheck| {
        let _ = writeln!(
            out,
            "    {} {}: {}",
            check.element,
            mark(check.matched),
            check.detail
        );
    };
    element(&statement.action);
    if let Some(check) = &statement.resource {
        element(check);
    }
    if let Some(check) = &statement.principal {
        element(check);
    }
    for condition in &statement.conditions {
        let request = condition.request_values.as_ref().map_or_else(
            || "the request has no such key".to_owned(),
            |values| format!("the request has {}", list(values)),
        );
        let _ = writeln!(
            out,
            "    Condition {}: `{}` `{}` {}; {request}",
            mark(condition.matched),
            condition.operator,
            condition.key,
            list(&condition.values)
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::{EvaluationInput, NamedPolicy, PolicyDocument, PolicyKind, Principal, Request};

    fn missing(trust: &str, context: &[(&str, &str)]) -> Vec<String> {
        let document = PolicyDocument::parse_as(trust, PolicyKind::Trust).unwrap_or_else(|e| {
            panic!("{e:?}");
        });
        let principal = Principal::from_arn("arn:aws:iam::111122223333:user/u")
            .unwrap_or_else(|| panic!("principal"));
        let mut request = Request::new(
            principal,
            "sts:AssumeRole",
            "arn:aws:iam::111122223333:role/r",
        );
        for (key, value) in context {
            request = request.with_context(key, *value);
        }
        let input = EvaluationInput {
            resource_policy: Some(NamedPolicy::new("trust", &document)),
            ..EvaluationInput::default()
        };
        let explanation = super::explain(&input, &request);
        let keys: Vec<String> = explanation
            .missing_keys()
            .into_iter()
            .map(|missing| missing.key)
            .collect();
        // The text says it too, once a key.
        for key in &keys {
            let line = format!("Missing: no `{key}` in the request");
            assert_eq!(explanation.to_text().matches(&line).count(), 1, "{key}");
        }
        keys
    }

    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/u"},"Action":"sts:AssumeRole",
         "Condition":{"StringEquals":{"sts:ExternalId":"id"},"Bool":{"aws:MultiFactorAuthPresent":"true"},
                      "StringEqualsIfExists":{"aws:SourceIdentity":"x"}}},
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/other"},"Action":"sts:AssumeRole",
         "Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}},
        {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole",
         "Condition":{"StringEquals":{"aws:RequestTag/x":"y"}}}]}"#;

    #[test]
    fn missing_keys_are_those_an_allow_for_this_caller_needs() {
        // `...IfExists` matches an absent key; a statement for another principal and
        // a `Deny` are not what stands between the request and an allow.
        assert_eq!(
            missing(TRUST, &[]),
            ["sts:ExternalId", "aws:MultiFactorAuthPresent"]
        );
        // A key the request has, with the wrong value, is not missing.
        assert_eq!(
            missing(TRUST, &[("sts:ExternalId", "wrong")]),
            ["aws:MultiFactorAuthPresent"]
        );
        assert!(
            missing(
                TRUST,
                &[
                    ("sts:ExternalId", "id"),
                    ("aws:MultiFactorAuthPresent", "true")
                ]
            )
            .is_empty()
        );
    }
}
