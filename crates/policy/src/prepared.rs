//! Identity-based policies compiled together ([`PreparedPolicies`]) for callers that
//! evaluate the same principal's policies many times (the sandbox, per principal, until
//! its policies change). One index over all the documents maps an exact action to the
//! statements that list it, so a request touches only those statements, and each
//! candidate carries its resource's literal text in one contiguous arena, so most
//! candidates are rejected without reading the statement at all. The decision is the
//! same as passing the policies in [`EvaluationInput::identity_policies`].

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::decision::{Decision, MatchedStatement, PolicyType};
use crate::document::{Effect, Statement};
use crate::evaluate::{EvaluationInput, NamedPolicy, View, applies};
use crate::pattern::{Glob, bytes_equal};
use crate::request::Request;
use crate::variables::{ArnMatcher, Matcher};

/// Identity-based policies prepared for repeated evaluation; see
/// [`evaluate_prepared`].
#[derive(Debug, Clone)]
pub struct PreparedPolicies<'a> {
    policies: Vec<NamedPolicy<'a>>,
    /// Exact lowercase action to the statements listing it (all-literal actions).
    exact: HashMap<Box<str>, Vec<Candidate>, Fnv>,
    /// Statements with a wildcard whose actions all name one service literally
    /// (`ec2:Describe*`, `iam:*`), by that service.
    by_service: HashMap<Box<str>, Vec<Candidate>, Fnv>,
    /// Statements that may cover any service (`*`, `NotAction`, `s3*:...`), checked for
    /// every request.
    general: Vec<Candidate>,
    /// The literal resource text candidates compare first.
    arena: String,
}

/// FNV-1a: the keys are short action and service names the caller's own policies
/// chose, so a fast hash matters more here than resistance to chosen collisions.
type Fnv = BuildHasherDefault<FnvHasher>;

#[derive(Debug, Clone, Copy)]
struct FnvHasher(u64);

impl Default for FnvHasher {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A statement that may apply, with what is needed to reject it cheaply.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    policy: u32,
    statement: u32,
    /// When the statement has a single `Resource` that is plain text or text followed
    /// by one `*`: its text in the arena, and whether it is a prefix.
    resource: Option<ResourceText>,
}

/// A statement's single literal resource: its place in the arena, whether it ends in
/// `*`, and its last (up to) eight bytes, compared before anything else.
#[derive(Debug, Clone, Copy)]
struct ResourceText {
    offset: u32,
    length: u32,
    prefix: bool,
    tail: u64,
}

/// The last `min(8, length)` bytes of `text[..length]` as a number (`None` if short).
#[inline]
fn tail_of(text: &[u8], length: usize) -> Option<u64> {
    let start = length.saturating_sub(8);
    let mut word = [0u8; 8];
    let piece = text.get(start..length)?;
    word.get_mut(..piece.len())?.copy_from_slice(piece);
    Some(u64::from_ne_bytes(word))
}

/// The one service all of a statement's actions name literally, if any.
fn service_of(statement: &Statement) -> Option<&str> {
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
    services
        .all(|service| service == Some(first))
        .then_some(first)
}

impl<'a> PreparedPolicies<'a> {
    /// Compiles the index over `policies` (identity-based policies of one caller).
    pub fn new(policies: Vec<NamedPolicy<'a>>) -> Self {
        let mut prepared = Self {
            policies: Vec::new(),
            exact: HashMap::default(),
            by_service: HashMap::default(),
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
                let candidate = Candidate {
                    policy: policy_number,
                    statement: statement_number,
                    resource,
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
                    None => match service_of(statement) {
                        Some(service) => prepared
                            .by_service
                            .entry(service.into())
                            .or_default()
                            .push(candidate),
                        None => prepared.general.push(candidate),
                    },
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

    fn resource_key(&mut self, statement: &Statement) -> Option<ResourceText> {
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
        let tail = tail_of(text.as_bytes(), text.len())?;
        self.arena.push_str(text);
        Some(ResourceText {
            offset,
            length,
            prefix,
            tail,
        })
    }

    /// Whether the candidate's resource cannot match `resource` (`false` when unsure).
    #[inline]
    fn rejects(&self, candidate: &Candidate, resource: &[u8]) -> bool {
        let Some(key) = candidate.resource else {
            return false;
        };
        let (offset, length) = (key.offset as usize, key.length as usize);
        if resource.len() < length || (!key.prefix && resource.len() != length) {
            return true;
        }
        if tail_of(resource, length) != Some(key.tail) {
            return true;
        }
        let Some(text) = self.arena.as_bytes().get(offset..offset + length) else {
            return false;
        };
        !bytes_equal(text, &resource[..length])
    }

    /// Scans the prepared statements, in policy then statement order, pushing the ones
    /// that apply into `matched`; returns (allow, deny).
    fn scan(&self, view: &View<'_>, matched: &mut Vec<MatchedStatement>) -> (bool, bool) {
        let lists: [&[Candidate]; 3] = [
            self.exact
                .get(view.action_lowercase)
                .map_or(&[], Vec::as_slice),
            self.by_service.get(view.service).map_or(&[], Vec::as_slice),
            &self.general,
        ];
        let resource = view.resource.as_bytes();
        let (mut allow, mut deny) = (false, false);
        let mut found = |candidate: &Candidate| {
            if let Some(effect) = self.check(candidate, resource, view, matched) {
                match effect {
                    Effect::Allow => allow = true,
                    Effect::Deny => deny = true,
                }
            }
        };
        if let [only, [], []] = lists {
            // The usual case: only statements listing the action exactly.
            for candidate in only {
                found(candidate);
            }
            return (allow, deny);
        }
        let mut next = [0usize; 3];
        loop {
            // The three lists are each in (policy, statement) order: take the least head.
            let mut pick: Option<(usize, &Candidate)> = None;
            for (list, candidates) in lists.iter().enumerate() {
                if let Some(candidate) = candidates.get(next[list])
                    && pick.is_none_or(|(_, best)| {
                        (candidate.policy, candidate.statement) < (best.policy, best.statement)
                    })
                {
                    pick = Some((list, candidate));
                }
            }
            let Some((list, candidate)) = pick else {
                break;
            };
            next[list] += 1;
            found(candidate);
        }
        (allow, deny)
    }
}

impl PreparedPolicies<'_> {
    /// Checks one candidate fully; pushes it into `matched` and returns its effect
    /// when it applies.
    #[inline]
    fn check(
        &self,
        candidate: &Candidate,
        resource: &[u8],
        view: &View<'_>,
        matched: &mut Vec<MatchedStatement>,
    ) -> Option<Effect> {
        if self.rejects(candidate, resource) {
            return None;
        }
        let policy = self.policies.get(candidate.policy as usize)?;
        let statement = policy
            .document
            .statements
            .get(candidate.statement as usize)?;
        applies(statement, PolicyType::Identity, view)?;
        matched.push(MatchedStatement {
            policy: policy.name.to_owned(),
            policy_type: PolicyType::Identity,
            statement: candidate.statement as usize,
            sid: statement.sid.clone(),
            effect: statement.effect,
            principal_match: None,
        });
        Some(statement.effect)
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
