//! Structural checks and compilation of a policy document from a `serde_json::Value`,
//! following what IAM reports as `MalformedPolicyDocument` (`reference_policies_grammar.html`
//! and the element pages): every problem is collected, with its JSON-pointer path.
//! Also the entry points, `PolicyDocument::parse` and its kin, which give the errors
//! spans into the JSON text.

use std::collections::HashSet;

use serde_json::Value;

use crate::condition::parse_conditions;
use crate::document::{
    ActionIndex, ActionSpec, Effect, PolicyDocument, PolicyKind, ResourceSpec, Statement, Version,
};
use crate::error::PolicyError;
use crate::locate;
use crate::pattern::Glob;
use crate::principal::{PrincipalSpec, strings};
use crate::variables::ArnMatcher;

const DOCUMENT_FIELDS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_FIELDS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

pub(crate) fn document(
    value: &Value,
    kind: PolicyKind,
) -> Result<PolicyDocument, Vec<PolicyError>> {
    let mut errors = Vec::new();
    let Value::Object(map) = value else {
        return Err(vec![PolicyError::WrongType {
            expected: "a JSON object",
            path: String::new(),
            span: None,
        }]);
    };
    for field in map
        .keys()
        .filter(|field| !DOCUMENT_FIELDS.contains(&field.as_str()))
    {
        errors.push(PolicyError::UnknownField {
            field: field.clone(),
            help: "a policy document has `Version`, `Id` and `Statement`",
            path: format!("/{field}"),
            span: None,
        });
    }
    let version = match map.get("Version") {
        None => Version::V2008_10_17,
        Some(Value::String(text)) if text == "2012-10-17" => Version::V2012_10_17,
        Some(Value::String(text)) if text == "2008-10-17" => Version::V2008_10_17,
        Some(other) => {
            let value = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned);
            errors.push(PolicyError::InvalidVersion {
                value,
                path: "/Version".to_owned(),
                span: None,
            });
            Version::V2012_10_17
        }
    };
    let id = match map.get("Id") {
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => {
            errors.push(PolicyError::WrongType {
                expected: "a string",
                path: "/Id".to_owned(),
                span: None,
            });
            None
        }
        None => None,
    };
    let raw_statements: Vec<(String, &Value)> = match map.get("Statement") {
        None => {
            errors.push(PolicyError::MissingField {
                field: "Statement",
                message: "missing required field `Statement`",
                path: String::new(),
                span: None,
            });
            Vec::new()
        }
        Some(Value::Array(items)) if items.is_empty() => {
            errors.push(PolicyError::MissingField {
                field: "Statement",
                message: "a policy needs at least one statement",
                path: "/Statement".to_owned(),
                span: None,
            });
            Vec::new()
        }
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| (format!("/Statement/{index}"), item))
            .collect(),
        Some(single) => vec![("/Statement".to_owned(), single)],
    };
    let variables = version == Version::V2012_10_17;
    let mut sids = HashSet::new();
    let mut statements = Vec::with_capacity(raw_statements.len());
    for (path, raw) in raw_statements {
        if let Some(statement) = statement(raw, &path, kind, variables, &mut sids, &mut errors) {
            statements.push(statement);
        }
    }
    if errors.is_empty() {
        let index = ActionIndex::build(&statements);
        Ok(PolicyDocument {
            kind,
            version,
            id,
            statements,
            index,
        })
    } else {
        Err(errors)
    }
}

fn statement(
    value: &Value,
    path: &str,
    kind: PolicyKind,
    variables: bool,
    sids: &mut HashSet<String>,
    errors: &mut Vec<PolicyError>,
) -> Option<Statement> {
    let Value::Object(map) = value else {
        errors.push(PolicyError::WrongType {
            expected: "a statement object",
            path: path.to_owned(),
            span: None,
        });
        return None;
    };
    let before = errors.len();
    for field in map
        .keys()
        .filter(|field| !STATEMENT_FIELDS.contains(&field.as_str()))
    {
        errors.push(PolicyError::UnknownField {
            field: field.clone(),
            help: "a statement has `Sid`, `Effect`, `Action` or `NotAction`, `Resource` or `NotResource`, \
                   `Principal` or `NotPrincipal`, and `Condition`",
            path: format!("{path}/{field}"),
            span: None,
        });
    }
    let sid = sid(map.get("Sid"), path, kind, sids, errors);
    let effect = match map.get("Effect") {
        Some(Value::String(text)) if text == "Allow" => Some(Effect::Allow),
        Some(Value::String(text)) if text == "Deny" => Some(Effect::Deny),
        Some(other) => {
            let value = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned);
            errors.push(PolicyError::UnknownEffect {
                value,
                path: format!("{path}/Effect"),
                span: None,
            });
            None
        }
        None => {
            errors.push(missing("Effect", "missing required field `Effect`", path));
            None
        }
    };
    let actions =
        pair(map, "Action", "NotAction", path, errors).map(|(negated, raw, field_path)| {
            ActionSpec {
                negated,
                patterns: actions(raw, &field_path, errors),
                written: written(raw),
            }
        });
    if actions.is_none()
        && !errors[before..]
            .iter()
            .any(|error| matches!(error, PolicyError::ConflictingFields { .. }))
    {
        errors.push(missing(
            "Action",
            "policy statement must contain actions",
            path,
        ));
    }
    let resources = resources(map, path, kind, variables, errors);
    let principals = principals(map, path, kind, errors);
    let conditions = map
        .get("Condition")
        .map(|raw| parse_conditions(raw, &format!("{path}/Condition"), variables, errors))
        .unwrap_or_default();
    if errors.len() > before {
        return None;
    }
    Some(Statement {
        sid,
        effect: effect?,
        actions: actions?,
        resources,
        principals,
        conditions,
    })
}

/// The strings of a string-or-list element as written.
fn written(value: &Value) -> Box<[String]> {
    match value {
        Value::String(text) => Box::new([text.clone()]),
        Value::Array(items) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        _ => Box::new([]),
    }
}

fn missing(field: &'static str, message: &'static str, path: &str) -> PolicyError {
    PolicyError::MissingField {
        field,
        message,
        path: path.to_owned(),
        span: None,
    }
}

/// The one present field of a positive/negated pair, as (negated, value, path).
fn pair<'v>(
    map: &'v serde_json::Map<String, Value>,
    positive: &'static str,
    negative: &'static str,
    path: &str,
    errors: &mut Vec<PolicyError>,
) -> Option<(bool, &'v Value, String)> {
    match (map.get(positive), map.get(negative)) {
        (Some(_), Some(_)) => {
            errors.push(PolicyError::ConflictingFields {
                first: positive,
                second: negative,
                path: format!("{path}/{negative}"),
                span: None,
            });
            None
        }
        (Some(value), None) => Some((false, value, format!("{path}/{positive}"))),
        (None, Some(value)) => Some((true, value, format!("{path}/{negative}"))),
        (None, None) => None,
    }
}

fn sid(
    value: Option<&Value>,
    path: &str,
    kind: PolicyKind,
    sids: &mut HashSet<String>,
    errors: &mut Vec<PolicyError>,
) -> Option<String> {
    let sid_path = format!("{path}/Sid");
    let Value::String(text) = value? else {
        errors.push(PolicyError::WrongType {
            expected: "a string",
            path: sid_path,
            span: None,
        });
        return None;
    };
    {
        {
            let iam_hosted = kind != PolicyKind::Resource;
            if iam_hosted
                && !text
                    .chars()
                    .all(|character| character.is_ascii_alphanumeric())
            {
                errors.push(PolicyError::InvalidSid {
                    sid: text.clone(),
                    path: sid_path.clone(),
                    span: None,
                });
            }
            if !text.is_empty() && !sids.insert(text.clone()) {
                errors.push(PolicyError::DuplicateSid {
                    sid: text.clone(),
                    path: sid_path,
                    span: None,
                });
            }
            Some(text.clone())
        }
    }
}

fn item_path(value: &Value, path: &str, index: usize) -> String {
    if matches!(value, Value::Array(_)) {
        format!("{path}/{index}")
    } else {
        path.to_owned()
    }
}

fn actions(value: &Value, path: &str, errors: &mut Vec<PolicyError>) -> Vec<Glob> {
    let entries = strings(value, path, errors);
    if entries.is_empty() && matches!(value, Value::Array(_)) {
        errors.push(missing(
            "Action",
            "policy statement must contain actions",
            path,
        ));
    }
    let mut patterns = Vec::with_capacity(entries.len());
    for (index, action) in entries {
        // `<service>:<action>`: action names are letters and digits (with `*` and `?`
        // wildcards), so whitespace anywhere (`"s3:      "`, `"s3: GetObject"`) is
        // rejected like an empty name (reference_policies_grammar.html).
        let valid = action == "*"
            || action.split_once(':').is_some_and(|(vendor, name)| {
                !vendor.is_empty()
                    && !name.is_empty()
                    && vendor
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !name.contains(':')
                    && !name.chars().any(char::is_whitespace)
            });
        if valid {
            patterns.push(Glob::wildcard(&action.to_ascii_lowercase()));
        } else {
            errors.push(PolicyError::InvalidAction {
                value: action.to_owned(),
                path: item_path(value, path, index),
                span: None,
            });
        }
    }
    patterns
}

fn resources_of(
    value: &Value,
    path: &str,
    variables: bool,
    errors: &mut Vec<PolicyError>,
) -> Vec<ArnMatcher> {
    let entries = strings(value, path, errors);
    if entries.is_empty() && matches!(value, Value::Array(_)) {
        errors.push(missing(
            "Resource",
            "policy statement must contain resources",
            path,
        ));
    }
    let mut patterns = Vec::with_capacity(entries.len());
    for (index, resource) in entries {
        let parts = resource.split(':').count();
        let valid = resource == "*"
            || (resource.starts_with("arn:") && (parts >= 6 || resource.contains('*')));
        if valid {
            patterns.push(ArnMatcher::new(resource, variables));
        } else {
            errors.push(PolicyError::InvalidResource {
                value: resource.to_owned(),
                path: item_path(value, path, index),
                span: None,
            });
        }
    }
    patterns
}

fn resources(
    map: &serde_json::Map<String, Value>,
    path: &str,
    kind: PolicyKind,
    variables: bool,
    errors: &mut Vec<PolicyError>,
) -> Option<ResourceSpec> {
    match (kind, pair(map, "Resource", "NotResource", path, errors)) {
        (PolicyKind::Trust, Some((negated, _, field_path))) => {
            errors.push(PolicyError::ProhibitedField {
                field: if negated { "NotResource" } else { "Resource" },
                message: "has prohibited field `Resource` (a trust policy has no `Resource`: the resource is the role itself)",
                kind: "trust",
                path: field_path,
                span: None,
            });
            None
        }
        (PolicyKind::Trust, None) => None,
        (_, None) => {
            if !map.contains_key("Resource") || !map.contains_key("NotResource") {
                errors.push(missing(
                    "Resource",
                    "policy statement must contain resources",
                    path,
                ));
            }
            None
        }
        (_, Some((negated, raw, field_path))) => Some(ResourceSpec {
            negated,
            patterns: resources_of(raw, &field_path, variables, errors),
            written: written(raw),
        }),
    }
}

fn principals(
    map: &serde_json::Map<String, Value>,
    path: &str,
    kind: PolicyKind,
    errors: &mut Vec<PolicyError>,
) -> Option<Box<PrincipalSpec>> {
    match (kind, pair(map, "Principal", "NotPrincipal", path, errors)) {
        (
            PolicyKind::Identity | PolicyKind::Session | PolicyKind::Boundary,
            Some((negated, _, field_path)),
        ) => {
            errors.push(PolicyError::ProhibitedField {
                field: if negated { "NotPrincipal" } else { "Principal" },
                message: "policy document should not specify a principal",
                kind: kind.label(),
                path: field_path,
                span: None,
            });
            None
        }
        (PolicyKind::Resource | PolicyKind::Trust, None) => {
            if !map.contains_key("Principal") || !map.contains_key("NotPrincipal") {
                errors.push(missing(
                    "Principal",
                    "missing required field `Principal`",
                    path,
                ));
            }
            None
        }
        (_, None) => None,
        (_, Some((negated, raw, field_path))) => Some(Box::new(PrincipalSpec::parse(
            raw,
            &field_path,
            negated,
            errors,
        ))),
    }
}

impl PolicyDocument {
    /// Parses JSON text, inferring the kind with [`PolicyKind::infer`]. Errors carry
    /// byte spans into `json`.
    pub fn parse(json: &str) -> Result<Self, Vec<PolicyError>> {
        let value = parse_json(json)?;
        let kind = PolicyKind::infer(&value);
        document(&value, kind).map_err(|errors| capped(with_spans(json, errors)))
    }

    /// Parses JSON text as a policy of `kind`. Errors carry byte spans into `json`.
    pub fn parse_as(json: &str, kind: PolicyKind) -> Result<Self, Vec<PolicyError>> {
        let value = parse_json(json)?;
        document(&value, kind).map_err(|errors| capped(with_spans(json, errors)))
    }

    /// Reads a document already parsed (for example from YAML), inferring its kind.
    pub fn from_value(value: &Value) -> Result<Self, Vec<PolicyError>> {
        Self::from_value_as(value, PolicyKind::infer(value))
    }

    /// Reads a document already parsed as a policy of `kind`. Errors carry paths
    /// such as `/Statement/0/Effect` but no spans.
    pub fn from_value_as(value: &Value, kind: PolicyKind) -> Result<Self, Vec<PolicyError>> {
        document(value, kind).map_err(capped)
    }
}

/// At most [`PolicyError::REPORTED`] problems, then one [`PolicyError::More`] saying
/// how many were left out, so that what is reported stays bounded whatever the input.
fn capped(mut errors: Vec<PolicyError>) -> Vec<PolicyError> {
    if errors.len() > PolicyError::REPORTED {
        let count = errors.len() - PolicyError::REPORTED;
        errors.truncate(PolicyError::REPORTED);
        errors.push(PolicyError::More { count });
    }
    errors
}

fn parse_json(json: &str) -> Result<Value, Vec<PolicyError>> {
    let value = parse_json_text(json)?;
    let repeated = crate::strict::duplicate_keys(json);
    if repeated.is_empty() {
        Ok(value)
    } else {
        Err(capped(repeated))
    }
}

fn parse_json_text(json: &str) -> Result<Value, Vec<PolicyError>> {
    serde_json::from_str(json).map_err(|error| {
        let offset = locate::offset_of(json, error.line(), error.column());
        let message = error.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        vec![PolicyError::Syntax {
            message,
            path: String::new(),
            span: Some(miette::SourceSpan::from(
                offset..offset.saturating_add(1).min(json.len()),
            )),
        }]
    })
}

fn with_spans(json: &str, mut errors: Vec<PolicyError>) -> Vec<PolicyError> {
    let mut spans = locate::spans_of(json, errors.iter().map(PolicyError::path));
    for error in &mut errors {
        if let Some(span) = spans.remove(error.path()).or_else(|| error.span()) {
            error.set_span(span);
        }
    }
    errors.sort_by_key(|error| error.span().map_or(usize::MAX, |span| span.offset()));
    errors
}
