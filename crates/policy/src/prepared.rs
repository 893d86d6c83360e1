//! Identity-based policies compiled together ([`PreparedPolicies`]) for callers that
//! evaluate the same principal's policies many times (the sandbox, per principal, until
//! its policies change). One index over all the documents maps an exact action to the
//! statements that list it, so a request touches only those statements, and each
//! candidate carries its resource's literal text in one contiguous arena, so most
//! candidates are rejected without reading the statement at all. The decision is the
//! same as passing the policies in [`EvaluationInput::identity_policies`].

use std::collections::HashMap;

use crate::decision::{Decision, MatchedStatement, PolicyType};
use crate::document::{Effect, Statement};
use crate::evaluate::{EvaluationInput, NamedPolicy, View, applies};
use crate::pattern::Glob;
use crate::request::Request;
use crate::variables::{ArnMatcher, Matcher};

/// Identity-based policies prepared for repeated evaluation; see
/// [`evaluate_prepared`].
#[derive(Debug, Clone)]
pub struct PreparedPolicies<'a> {
    policies: Vec<NamedPolicy<'a>>,
    /// Exact lowercase action to the statements listing it (all-literal actions).
    exact: HashMap<Box<str>, Vec<Candidate>>,
    /// Statements with a wildcard or `NotAction`, checked for every request.
    general: Vec<Candidate>,
    /// The literal resource text candidates compare first.
    arena: String,
}

/// A statement that may apply, with what is needed to reject it cheaply.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    policy: u32,
    statement: u32,
    /// When the statement has a single `Resource` that is plain text or text followed
    /// by one `*`: its text in the arena, and whether it is a prefix.
    resource: Option<(u32, u32, bool)>,
    /// For a statement with wildcards whose actions all name one service literally
    /// (`ec2:Describe*`, `iam:*`): that service and its colon, in the arena.
    service: Option<(u32, u32)>,
}

impl<'a> PreparedPolicies<'a> {
    /// Compiles the index over `policies` (identity-based policies of one caller).
    pub fn new(policies: Vec<NamedPolicy<'a>>) -> Self {
        let mut prepared = Self {
            policies: Vec::new(),
            exact: HashMap::new(),
            general: Vec::new(),
            arena: String::new(),
        };
        for (policy_index, policy) in policies.iter().enumerate() {
            for (statement_index, statement) in policy.document.statements.iter().enumerate() {
                let (Ok(policy_number), Ok(statement_number)) =
                    (u32::try_from(policy_index), u32::try_from(statement_index))
                else {
                    continue;
                };
                let resource = prepared.resource_key(statement);
                let service = prepared.service_key(statement);
                let candidate = Candidate {
                    policy: policy_number,
                    statement: statement_number,
                    resource,
                    service,
                };
                let literals: Option<Vec<&str>> = (!statement.actions.negated)
                    .then(|| {
                        statement
                            .actions
                            .patterns
                            .iter()
                            .map(Glob::literal)
                            .collect()
                    })
                    .flatten();
                match literals {
                    Some(actions) => {
                        let mut actions = actions;
                        actions.sort_unstable();
                        actions.dedup();
                        for action in actions {
                            prepared
                                .exact
                                .entry(action.into())
                                .or_default()
                                .push(candidate);
                        }
                    }
                    None => prepared.general.push(candidate),
                }
            }
        }
        prepared.policies = policies;
        prepared
    }

    /// The policies, in the order given.
    pub fn policies(&self) -> &[NamedPolicy<'a>] {
        &self.policies
    }

    fn resource_key(&mut self, statement: &Statement) -> Option<(u32, u32, bool)> {
        let spec = statement.resources.as_ref()?;
        let [ArnMatcher::Whole(Matcher::Static(glob))] = spec.patterns.as_slice() else {
            return None;
        };
        if spec.negated {
            return None;
        }
        let (text, prefix) = match glob {
            Glob::Exact(text) => (text, false),
            Glob::Prefix(text) => (text, true),
            Glob::Any | Glob::Tokens(_) => return None,
        };
        let offset = u32::try_from(self.arena.len()).ok()?;
        let length = u32::try_from(text.len()).ok()?;
        self.arena.push_str(text);
        Some((offset, length, prefix))
    }

    fn service_key(&mut self, statement: &Statement) -> Option<(u32, u32)> {
        if statement.actions.negated {
            return None;
        }
        let mut services = statement.actions.patterns.iter().map(|pattern| {
            pattern
                .literal_prefix()
                .split_once(':')
                .map(|(service, _)| service)
        });
        let first = services.next()??;
        if !services.all(|service| service == Some(first)) {
            return None;
        }
        let offset = u32::try_from(self.arena.len()).ok()?;
        let length = u32::try_from(first.len() + 1).ok()?;
        self.arena.push_str(first);
        self.arena.push(':');
        Some((offset, length))
    }

    /// Whether the candidate's actions cannot cover `action` (`false` when unsure).
    #[inline]
    fn rejects_action(&self, candidate: &Candidate, action: &[u8]) -> bool {
        let Some((offset, length)) = candidate.service else {
            return false;
        };
        let (offset, length) = (offset as usize, length as usize);
        action.get(..length) != self.arena.as_bytes().get(offset..offset + length)
    }

    /// Whether the candidate's resource cannot match `resource` (`false` when unsure).
    #[inline]
    fn rejects(&self, candidate: &Candidate, resource: &[u8]) -> bool {
        let Some((offset, length, prefix)) = candidate.resource else {
            return false;
        };
        let (offset, length) = (offset as usize, length as usize);
        if resource.len() < length || (!prefix && resource.len() != length) {
            return true;
        }
        let Some(text) = self.arena.as_bytes().get(offset..offset + length) else {
            return false;
        };
        // ARNs share their head (`arn:aws:s3:::`), so compare the tail first.
        let tail = length.saturating_sub(8);
        text[tail..] != resource[tail..length] || text[..tail] != resource[..tail]
    }

    /// Scans the prepared statements, in policy then statement order, pushing the ones
    /// that apply into `matched`; returns (allow, deny).
    fn scan(&self, view: &View<'_>, matched: &mut Vec<MatchedStatement>) -> (bool, bool) {
        let specific: &[Candidate] = self
            .exact
            .get(view.action_lowercase)
            .map_or(&[], Vec::as_slice);
        let general = &self.general;
        let resource = view.resource.as_bytes();
        let action = view.action_lowercase.as_bytes();
        let (mut allow, mut deny) = (false, false);
        let (mut left, mut right) = (0, 0);
        loop {
            let candidate = match (specific.get(left), general.get(right)) {
                (Some(a), Some(b)) if (a.policy, a.statement) < (b.policy, b.statement) => {
                    left += 1;
                    a
                }
                (_, Some(b)) => {
                    right += 1;
                    if self.rejects_action(b, action) {
                        continue;
                    }
                    b
                }
                (Some(a), None) => {
                    left += 1;
                    a
                }
                (None, None) => break,
            };
            if self.rejects(candidate, resource) {
                continue;
            }
            let Some(policy) = self.policies.get(candidate.policy as usize) else {
                continue;
            };
            let Some(statement) = policy.document.statements.get(candidate.statement as usize)
            else {
                continue;
            };
            if applies(statement, PolicyType::Identity, view).is_none() {
                continue;
            }
            match statement.effect {
                Effect::Allow => allow = true,
                Effect::Deny => deny = true,
            }
            matched.push(MatchedStatement {
                policy: policy.name.to_owned(),
                policy_type: PolicyType::Identity,
                statement: candidate.statement as usize,
                sid: statement.sid.clone(),
                effect: statement.effect,
                principal_match: None,
            });
        }
        (allow, deny)
    }
}

/// [`crate::evaluate`] with the caller's identity-based policies prepared: the
/// decision is the one `evaluate` gives with `identity`'s policies added to
/// `input.identity_policies` (which may stay empty). For the explanation, pass the
/// same policies to [`crate::explain`].
pub fn evaluate_prepared(
    identity: &PreparedPolicies<'_>,
    input: &EvaluationInput<'_>,
    request: &Request,
) -> Decision {
    crate::evaluate::evaluate_with(input, request, |view, matched| identity.scan(view, matched))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{PolicyDocument, PolicyKind};
    use crate::request::Principal;

    #[test]
    fn gives_the_same_decision_and_matches_as_plain_evaluation() {
        let texts = [
            r#"{"Version":"2012-10-17","Statement":[
                {"Sid":"Get","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/shared/*"},
                {"Sid":"Any","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"},
                {"Sid":"No","Effect":"Deny","NotAction":"s3:*","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Deny","Action":["s3:GetObject","s3:GetObject"],"Resource":"arn:aws:s3:::b/home/bob/secret"}]}"#,
        ];
        let documents: Vec<PolicyDocument> = texts
            .iter()
            .filter_map(|text| PolicyDocument::parse_as(text, PolicyKind::Identity).ok())
            .collect();
        assert_eq!(documents.len(), 2);
        let named: Vec<NamedPolicy<'_>> = documents
            .iter()
            .map(|document| NamedPolicy::new("p", document))
            .collect();
        let prepared = PreparedPolicies::new(named.clone());
        let plain = EvaluationInput {
            identity_policies: named,
            ..EvaluationInput::default()
        };
        let bob = Principal::user("111122223333", "bob");
        for (action, resource) in [
            ("s3:GetObject", "arn:aws:s3:::b/shared/x"),
            ("S3:GETOBJECT", "arn:aws:s3:::b/home/bob/notes"),
            ("s3:GetObject", "arn:aws:s3:::b/home/bob/secret"),
            ("s3:PutObject", "arn:aws:s3:::b/shared/x"),
            ("ec2:RunInstances", "*"),
        ] {
            let request = Request::new(bob.clone(), action, resource);
            let expected = crate::evaluate(&plain, &request);
            let found = evaluate_prepared(&prepared, &EvaluationInput::default(), &request);
            assert_eq!(found, expected, "{action} on {resource}");
        }
    }
}
