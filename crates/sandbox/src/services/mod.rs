//! The services the sandbox emulates, as typed operations on the [`World`]: each
//! operation declares the IAM action, resource ARN and condition keys it needs
//! ([`Check`]) next to what it does, and never sees HTTP. The wire layer decodes
//! inputs into an [`Input`] and encodes the [`Shape`] an operation returns.

pub mod cloudformation;
pub mod iam;
pub mod managed;
pub mod other;
pub mod s3;
pub mod sts;
pub mod sts_saml;

use awslab_policy::ContextValue;
use indexmap::IndexMap;

use crate::auth::Caller;
use crate::state::World;

/// An AWS error as the service would return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    pub status: u16,
    /// Extra elements S3 puts in its error body (`BucketName`, `Key`...).
    pub extra: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            status,
            extra: Vec::new(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationError", message)
    }

    pub fn no_such_entity(message: impl Into<String>) -> Self {
        Self::new(404, "NoSuchEntity", message)
    }

    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(409, "EntityAlreadyExists", message)
    }

    pub fn delete_conflict(message: impl Into<String>) -> Self {
        Self::new(409, "DeleteConflict", message)
    }

    pub fn malformed_policy(message: impl Into<String>) -> Self {
        Self::new(400, "MalformedPolicyDocument", message)
    }

    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(403, "AccessDenied", message)
    }

    #[must_use]
    pub fn with(mut self, name: &'static str, value: &str) -> Self {
        self.extra.push((name, value.to_owned()));
        self
    }
}

/// One authorization an operation needs before it runs.
#[derive(Debug, Clone, Default)]
pub struct Check {
    /// `service:Action`.
    pub action: String,
    /// The resource ARN, or `*`.
    pub resource: String,
    /// The account owning the resource, when not the caller's.
    pub resource_account: Option<String>,
    /// The resource-based policy that applies.
    pub resource_policy: ResourcePolicy,
    /// Operation-specific condition keys (`s3:prefix`, `sts:ExternalId`...).
    pub context: Vec<(String, ContextValue)>,
    /// The principal to authorize instead of the signer (a web identity presenting
    /// its token to `AssumeRoleWithWebIdentity`).
    pub acting_as: Option<awslab_policy::Principal>,
}

impl Check {
    pub fn new(action: &str, resource: impl Into<String>) -> Self {
        Self {
            action: action.to_owned(),
            resource: resource.into(),
            ..Self::default()
        }
    }

    #[must_use]
    pub fn key(mut self, key: &str, value: impl Into<ContextValue>) -> Self {
        self.context.push((key.to_owned(), value.into()));
        self
    }
}

/// Which resource-based policy a check is evaluated with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ResourcePolicy {
    #[default]
    None,
    /// The bucket's policy.
    Bucket(String),
    /// A role's trust policy (account, lowercased role name).
    Trust { account: String, role: String },
}

/// The decoded input of a query-protocol operation: member paths to values
/// (`UserName`, `Tags.member.1.Key`).
#[derive(Debug, Clone, Default)]
pub struct Input {
    values: IndexMap<String, String>,
    /// The verdict on the input's policy document, reached before the world was
    /// locked (see `iam::precheck`): the AWS principals it names, or IAM's error.
    document: Option<Result<Vec<String>, ApiError>>,
}

impl Input {
    pub fn new(values: IndexMap<String, String>) -> Self {
        Self {
            values,
            document: None,
        }
    }

    /// The input with its policy document's verdict, reached outside the lock.
    #[must_use]
    pub fn with_document_verdict(mut self, verdict: Result<Vec<String>, ApiError>) -> Self {
        self.document = Some(verdict);
        self
    }

    /// The verdict on the policy document, if it was reached before the lock.
    pub fn document_verdict(&self) -> Option<&Result<Vec<String>, ApiError>> {
        self.document.as_ref()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A required member, or AWS's validation message for a null one.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| {
            let mut member = name.to_owned();
            if let Some(first) = member.get_mut(..1) {
                first.make_ascii_lowercase();
            }
            ApiError::validation(format!(
                "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
            ))
        })
    }

    /// An optional integer member.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|text| {
                text.parse().map_err(|_| {
                    ApiError::validation(format!("Value '{text}' for `{name}` is not an integer"))
                })
            })
            .transpose()
    }

    /// The members of list `name` (`name.member.1`, `name.member.2`...).
    pub fn list(&self, name: &str) -> Vec<&str> {
        (1..=1000)
            .map_while(|index| self.get(&format!("{name}.member.{index}")))
            .collect()
    }

    /// Key/value pairs of list `name` (`Tags.member.N.Key` / `.Value`).
    pub fn pairs(&self, name: &str, key: &str, value: &str) -> Vec<(String, String)> {
        (1..=1000)
            .map_while(|index| {
                let found = self.get(&format!("{name}.member.{index}.{key}"))?;
                let paired = self
                    .get(&format!("{name}.member.{index}.{value}"))
                    .unwrap_or_default();
                Some((found.to_owned(), paired.to_owned()))
            })
            .collect()
    }
}

/// A structured answer, encoded by the wire layer (query XML lists are `member`s).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Struct(Shape),
    List(Vec<Value>),
}

/// The fields of a structure, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    pub fields: Vec<(&'static str, Value)>,
}

impl Shape {
    pub fn new() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn text(mut self, name: &'static str, value: impl std::fmt::Display) -> Self {
        self.fields.push((name, Value::Text(value.to_string())));
        self
    }

    #[must_use]
    pub fn maybe(self, name: &'static str, value: Option<impl std::fmt::Display>) -> Self {
        match value {
            Some(value) => self.text(name, value),
            None => self,
        }
    }

    #[must_use]
    pub fn child(mut self, name: &'static str, shape: Shape) -> Self {
        self.fields.push((name, Value::Struct(shape)));
        self
    }

    #[must_use]
    pub fn list(mut self, name: &'static str, items: Vec<Value>) -> Self {
        self.fields.push((name, Value::List(items)));
        self
    }
}

/// What a query-protocol operation is: its checks and its effect.
pub struct Operation {
    pub name: &'static str,
    /// Whether a success changes the world (and must be committed).
    pub mutates: bool,
    /// The authorizations needed, in order; all must allow.
    pub checks: fn(&Input, &World, &Caller) -> Result<Vec<Check>, ApiError>,
    /// Runs the operation; validates before it mutates.
    pub run: fn(&Input, &mut World, &Caller) -> Result<Shape, ApiError>,
}

/// An ISO 8601 timestamp as AWS writes them (`2026-11-30T23:14:05Z`).
pub fn timestamp(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|at| {
            at.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// Tags as AWS lists them.
pub fn tag_list(tags: &[(String, String)]) -> Vec<Value> {
    tags.iter()
        .map(|(key, value)| Value::Struct(Shape::new().text("Key", key).text("Value", value)))
        .collect()
}
