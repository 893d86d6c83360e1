//! The compiled policy document: kinds of policy, effects, versions and statements.
//! The entry points that parse JSON text or a `serde_json::Value` into it, and the
//! checks, live in `parse.rs`.

use serde_json::Value;

use crate::condition::Condition;
use crate::pattern::Glob;
use crate::principal::PrincipalSpec;
use crate::variables::ArnMatcher;

/// Where a policy is attached, which decides the elements it must and must not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PolicyKind {
    /// Attached to a user, group or role: no `Principal`, `Resource` required.
    Identity,
    /// Attached to a resource such as a bucket: `Principal` and `Resource` required.
    Resource,
    /// A role's trust policy: `Principal` required, no `Resource`.
    Trust,
    /// Passed to `AssumeRole*`/`GetFederationToken`: like an identity policy.
    Session,
    /// A permissions boundary: like an identity policy.
    Boundary,
}

impl PolicyKind {
    /// A stable lowercase label (`identity`, `resource`, `trust`, `session`, `boundary`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Resource => "resource",
            Self::Trust => "trust",
            Self::Session => "session",
            Self::Boundary => "boundary",
        }
    }

    /// Parses a label as [`PolicyKind::label`] writes it.
    pub fn from_label(label: &str) -> Option<Self> {
        [
            Self::Identity,
            Self::Resource,
            Self::Trust,
            Self::Session,
            Self::Boundary,
        ]
        .into_iter()
        .find(|kind| kind.label() == label)
    }

    /// Guesses the kind of an unlabelled document: statements with a principal whose
    /// actions are all role-assumption actions (`sts:AssumeRole*`, `sts:TagSession`,
    /// `sts:SetSourceIdentity`, `sts:SetContext`), or that have no resource, are a
    /// trust policy (so a `Resource` in it is reported, as IAM does, rather than the
    /// document silently becoming a resource policy); other statements with a principal
    /// a resource policy; anything else an identity policy. Callers that know the kind
    /// should use [`PolicyDocument::parse_as`].
    pub fn infer(document: &Value) -> Self {
        let statements: Vec<&Value> = match document.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(single) => vec![single],
            None => Vec::new(),
        };
        let has = |field: &str| {
            statements
                .iter()
                .any(|statement| statement.get(field).is_some())
        };
        if !has("Principal") && !has("NotPrincipal") {
            Self::Identity
        } else if !has("Resource") && !has("NotResource") || assumes_roles_only(&statements) {
            Self::Trust
        } else {
            Self::Resource
        }
    }
}

/// Whether every action listed in `statements` is a role-assumption action (and
/// there is at least one).
fn assumes_roles_only(statements: &[&Value]) -> bool {
    let mut actions = statements
        .iter()
        .filter_map(|statement| statement.get("Action"))
        .flat_map(|value| match value {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        })
        .peekable();
    actions.peek().is_some()
        && actions.all(|action| {
            action.as_str().is_some_and(|text| {
                let lower = text.to_ascii_lowercase();
                lower.starts_with("sts:assumerole")
                    || ["sts:tagsession", "sts:setsourceidentity", "sts:setcontext"]
                        .contains(&lower.as_str())
            })
        })
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn label(self) -> &'static str {
        match self {
            Self::Allow => "Allow",
            Self::Deny => "Deny",
        }
    }
}

/// The policy language version. Without `Version`, IAM uses `2008-10-17`, in which
/// `${...}` is plain text rather than a policy variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    V2012_10_17,
    V2008_10_17,
}

/// `Action`/`NotAction`, lowercased for case-insensitive matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionSpec {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<Glob>,
    /// The entries as written, for explanations.
    pub(crate) written: Box<[String]>,
}

/// `Resource`/`NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceSpec {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<ArnMatcher>,
    /// The entries as written, for explanations.
    pub(crate) written: Box<[String]>,
}

/// One compiled statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) actions: ActionSpec,
    pub(crate) resources: Option<ResourceSpec>,
    /// Boxed: most statements have none, and evaluation reads statements in bulk.
    pub(crate) principals: Option<Box<PrincipalSpec>>,
    pub(crate) conditions: Vec<Condition>,
}

impl Statement {
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// Whether the statement has a `Condition` element.
    pub fn has_conditions(&self) -> bool {
        !self.conditions.is_empty()
    }

    /// Whether `Action`/`NotAction` covers `action` (case-insensitive).
    pub fn covers_action(&self, action: &str) -> bool {
        let listed = self
            .actions
            .patterns
            .iter()
            .any(|pattern| pattern.matches(action, true));
        listed != self.actions.negated
    }

    /// [`Statement::covers_action`] for an action already in lowercase.
    pub(crate) fn covers_lowercase_action(&self, action: &str) -> bool {
        let listed = self
            .actions
            .patterns
            .iter()
            .any(|pattern| pattern.matches(action, false));
        listed != self.actions.negated
    }
}

/// A parsed and compiled policy document, ready to evaluate many times.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    pub(crate) kind: PolicyKind,
    pub(crate) version: Version,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<Statement>,
    pub(crate) index: ActionIndex,
}

/// Statements by the service their actions name, so that evaluation skips
/// statements about other services without matching their patterns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ActionIndex {
    by_service: Vec<(String, Vec<usize>)>,
    /// Statements that may match any service (`*`, `NotAction`, `s3*:...`).
    general: Vec<usize>,
}

impl ActionIndex {
    pub(crate) fn build(statements: &[Statement]) -> Self {
        let mut index = Self::default();
        for (position, statement) in statements.iter().enumerate() {
            let services: Option<Vec<&str>> = if statement.actions.negated {
                None
            } else {
                statement
                    .actions
                    .patterns
                    .iter()
                    .map(|pattern| {
                        pattern
                            .literal_prefix()
                            .split_once(':')
                            .map(|(service, _)| service)
                    })
                    .collect()
            };
            let Some(mut services) = services else {
                index.general.push(position);
                continue;
            };
            services.dedup();
            for service in services {
                match index
                    .by_service
                    .iter_mut()
                    .find(|(name, _)| name == service)
                {
                    Some((_, list)) if list.last() != Some(&position) => list.push(position),
                    Some(_) => {}
                    None => index.by_service.push((service.to_owned(), vec![position])),
                }
            }
        }
        index
    }

    /// Indexes of the statements that may cover an action of `service` (lowercase,
    /// the part of the action before `:`), in document order.
    pub(crate) fn candidates<'s>(&'s self, service: &str) -> impl Iterator<Item = usize> + 's {
        let specific: &[usize] = self
            .by_service
            .iter()
            .find(|(name, _)| crate::pattern::bytes_equal(name.as_bytes(), service.as_bytes()))
            .map_or(&[], |(_, list)| list.as_slice());
        let (mut left, mut right) = (specific.iter().peekable(), self.general.iter().peekable());
        std::iter::from_fn(move || match (left.peek(), right.peek()) {
            (Some(a), Some(b)) if a < b => left.next().copied(),
            (Some(_) | None, Some(_)) => right.next().copied(),
            (Some(_), None) => left.next().copied(),
            (None, None) => None,
        })
    }
}

impl PolicyDocument {
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    pub fn version(&self) -> Version {
        self.version
    }

    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
}
