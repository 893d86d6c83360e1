//! Policy documents in a plan: each one is checked for the kind of policy it is
//! (identity, trust, bucket or session policy), and every problem is reported at the
//! exact key or value in the plan file.

use serde_json::Value as Json;

use crate::diagnostics::Diagnostics;
use crate::kinds::StepKind;
use crate::plan::{Plan, Step};
use crate::values::Document;
use crate::yaml::{Node, Value};

/// What a document is used as; the rules differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Identity,
    Trust,
    Bucket,
    Session,
}

impl DocumentKind {
    fn noun(self) -> &'static str {
        match self {
            DocumentKind::Identity => "permissions policy",
            DocumentKind::Trust => "trust policy",
            DocumentKind::Bucket => "bucket policy",
            DocumentKind::Session => "session policy",
        }
    }
}

/// One problem: where in the document (keys and indexes), what, and a fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: Vec<String>,
    pub message: String,
    pub help: Option<String>,
    pub warning: bool,
}

/// The documents of a step, with what each is used as.
pub fn documents_of(step: &Step) -> Vec<(&Document, DocumentKind)> {
    use DocumentKind::{Bucket, Identity, Session, Trust};
    match &step.kind {
        StepKind::IamUserPolicy(p) => vec![(&p.document, Identity)],
        StepKind::IamRolePolicy(p) => vec![(&p.document, Identity)],
        StepKind::IamPolicy(p) => vec![(&p.document, Identity)],
        StepKind::IamTrustPolicy(p) => vec![(&p.document, Trust)],
        StepKind::IamRole(r) => std::iter::once((&r.trust_policy, Trust))
            .chain(r.policies.values().map(|d| (d, Identity)))
            .collect(),
        StepKind::S3Bucket(b) => b.policy.iter().map(|d| (d, Bucket)).collect(),
        StepKind::StsAssumeRole(a) => a.policy.iter().map(|d| (d, Session)).collect(),
        StepKind::StsGetFederationToken(f) => f.policy.iter().map(|d| (d, Session)).collect(),
        StepKind::StsAssumeRoleWithWebIdentity(w) => {
            w.policy.iter().map(|d| (d, Session)).collect()
        }
        _ => Vec::new(),
    }
}

/// Checks every document of every step.
pub fn check(diags: &mut Diagnostics, plan: &Plan) {
    for step in plan.steps.values() {
        for (document, kind) in documents_of(step) {
            let node = find_node(&step.body, document.0.span.offset);
            let json = match document.json() {
                Ok(json) => json,
                Err(message) => {
                    diags.error("plan::policy", document.0.span, message).emit();
                    continue;
                }
            };
            for problem in problems(&json, kind) {
                let at = node
                    .filter(|n| matches!(n.value, Value::Map(_) | Value::Seq(_)))
                    .and_then(|n| node_at(n, &problem.path))
                    .unwrap_or(document.0.span);
                let pointer = if problem.path.is_empty() {
                    String::new()
                } else {
                    format!(" at `{}`", problem.path.join("."))
                };
                let message = format!(
                    "{} of step `{}`{pointer}: {}",
                    kind.noun(),
                    step.id,
                    problem.message
                );
                let builder = if problem.warning {
                    diags.warning("plan::policy", at, message)
                } else {
                    diags.error("plan::policy", at, message)
                };
                builder.maybe_help(problem.help).emit();
            }
        }
    }
}

fn find_node(node: &Node, offset: usize) -> Option<&Node> {
    if node.span.offset == offset
        && matches!(node.value, Value::Map(_) | Value::Seq(_) | Value::Str(_))
    {
        return Some(node);
    }
    match &node.value {
        Value::Seq(items) => items.iter().find_map(|n| find_node(n, offset)),
        Value::Map(entries) => entries.iter().find_map(|(_, n)| find_node(n, offset)),
        _ => None,
    }
}

/// The span of the key or item at `path` inside `node` (the key when the last step is
/// a key, so "unknown key" points at the key).
fn node_at(node: &Node, path: &[String]) -> Option<crate::source::Span> {
    let (first, rest) = path.split_first()?;
    match &node.value {
        Value::Map(entries) => {
            let (key, value) = entries.iter().find(|(k, _)| &k.name == first)?;
            if rest.is_empty() {
                Some(key.span)
            } else {
                node_at(value, rest).or(Some(value.span))
            }
        }
        Value::Seq(items) => {
            let item = items.get(first.parse::<usize>().ok()?)?;
            if rest.is_empty() {
                Some(item.span)
            } else {
                node_at(item, rest).or(Some(item.span))
            }
        }
        _ => None,
    }
}

const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn problem(path: &[&str], message: impl Into<String>, help: Option<&str>) -> Problem {
    Problem {
        path: path.iter().map(|s| (*s).to_owned()).collect(),
        message: message.into(),
        help: help.map(str::to_owned),
        warning: false,
    }
}

/// The structural problems of a policy document used as `kind`.
pub fn problems(json: &Json, kind: DocumentKind) -> Vec<Problem> {
    let mut out = Vec::new();
    let Json::Object(root) = json else {
        out.push(problem(
            &[],
            "a policy document is a map with `Version` and `Statement`",
            None,
        ));
        return out;
    };
    for key in root.keys() {
        if !["Version", "Id", "Statement"].contains(&key.as_str()) {
            let help = crate::diagnostics::did_you_mean(key, ["Version", "Id", "Statement"]);
            out.push(Problem {
                help,
                ..problem(&[key], format!("unknown key `{key}`"), None)
            });
        }
    }
    match root.get("Version") {
        None => out.push(Problem {
            warning: true,
            ..problem(
                &[],
                "no `Version`; AWS then reads it as 2008-10-17, where policy variables do not work",
                Some("add `Version: \"2012-10-17\"`"),
            )
        }),
        Some(Json::String(v)) if v == "2012-10-17" || v == "2008-10-17" => {}
        Some(_) => out.push(problem(
            &["Version"],
            "`Version` must be \"2012-10-17\" (or the old \"2008-10-17\")",
            Some("write `Version: \"2012-10-17\"` in quotes, so YAML does not read it as a date"),
        )),
    }
    let statements: Vec<(String, &Json)> = match root.get("Statement") {
        None => {
            out.push(problem(
                &[],
                "no `Statement`",
                Some("add `Statement:` with at least one statement"),
            ));
            return out;
        }
        Some(Json::Array(items)) if items.is_empty() => {
            out.push(problem(&["Statement"], "`Statement` is empty", None));
            return out;
        }
        Some(Json::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, s)| (i.to_string(), s))
            .collect(),
        Some(single @ Json::Object(_)) => vec![(String::new(), single)],
        Some(_) => {
            out.push(problem(
                &["Statement"],
                "`Statement` must be a statement or a list of statements",
                None,
            ));
            return out;
        }
    };
    for (index, statement) in statements {
        let base: Vec<&str> = if index.is_empty() {
            vec!["Statement"]
        } else {
            vec!["Statement", index.as_str()]
        };
        statement_problems(statement, kind, &base, &mut out);
    }
    out
}

fn statement_problems(statement: &Json, kind: DocumentKind, base: &[&str], out: &mut Vec<Problem>) {
    let at = |key: &'static str| base.iter().copied().chain([key]).collect::<Vec<&str>>();
    let Json::Object(fields) = statement else {
        out.push(problem(base, "a statement must be a map", None));
        return;
    };
    for key in fields.keys() {
        if !STATEMENT_KEYS.contains(&key.as_str()) {
            let help = crate::diagnostics::did_you_mean(key, STATEMENT_KEYS.iter().copied());
            let path: Vec<&str> = base.iter().copied().chain([key.as_str()]).collect();
            out.push(Problem {
                help,
                ..problem(&path, format!("unknown statement key `{key}`"), None)
            });
        }
    }
    match fields.get("Effect") {
        Some(Json::String(e)) if e == "Allow" || e == "Deny" => {}
        Some(_) => out.push(problem(
            &at("Effect"),
            "`Effect` must be `Allow` or `Deny`",
            None,
        )),
        None => out.push(problem(
            base,
            "statement has no `Effect`",
            Some("add `Effect: Allow` or `Effect: Deny`"),
        )),
    }
    let one_of = |a: &str, b: &str| {
        usize::from(fields.contains_key(a)) + usize::from(fields.contains_key(b))
    };
    match one_of("Action", "NotAction") {
        0 => out.push(problem(
            base,
            "statement has no `Action`",
            Some("add `Action:`, e.g. `sts:AssumeRole`"),
        )),
        2 => out.push(problem(
            &at("NotAction"),
            "a statement has `Action` or `NotAction`, not both",
            None,
        )),
        _ => {}
    }
    for key in ["Action", "NotAction"] {
        for (i, action) in strings(fields.get(key)) {
            let valid = action == "*"
                || action.split_once(':').is_some_and(|(s, a)| {
                    !s.is_empty()
                        && !a.is_empty()
                        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !valid {
                let path: Vec<&str> = if i.is_empty() {
                    at(key)
                } else {
                    at(key).into_iter().chain([i.as_str()]).collect()
                };
                out.push(problem(
                    &path,
                    format!(
                        "`{action}` is not an action; write `service:Action`, e.g. `s3:ListBucket`"
                    ),
                    None,
                ));
            }
        }
    }
    let resources = one_of("Resource", "NotResource");
    let principals = one_of("Principal", "NotPrincipal");
    match kind {
        DocumentKind::Trust => {
            if principals == 0 {
                out.push(problem(base, "a trust policy statement needs `Principal`", Some("name who may assume the role, e.g. `Principal: { AWS: arn:aws:iam::ACCOUNT:user/NAME }`")));
            }
            if resources > 0 {
                out.push(problem(
                    &at(if fields.contains_key("Resource") {
                        "Resource"
                    } else {
                        "NotResource"
                    }),
                    "a trust policy has no `Resource`: the role itself is the resource",
                    Some("remove `Resource`"),
                ));
            }
        }
        DocumentKind::Bucket => {
            if principals == 0 {
                out.push(problem(
                    base,
                    "a bucket policy statement needs `Principal`",
                    None,
                ));
            }
            if resources == 0 {
                out.push(problem(
                    base,
                    "statement has no `Resource`",
                    Some("add the bucket's ARN, e.g. `arn:aws:s3:::BUCKET/*`"),
                ));
            }
        }
        DocumentKind::Identity | DocumentKind::Session => {
            if principals > 0 {
                out.push(problem(
                    &at(if fields.contains_key("Principal") {
                        "Principal"
                    } else {
                        "NotPrincipal"
                    }),
                    format!(
                        "a {} has no `Principal`: it applies to whoever it is attached to",
                        kind.noun()
                    ),
                    Some("remove `Principal`"),
                ));
            }
            if resources == 0 {
                out.push(problem(
                    base,
                    "statement has no `Resource`",
                    Some("add `Resource:`, e.g. an ARN or `*`"),
                ));
            }
        }
    }
    if resources == 2 {
        out.push(problem(
            &at("NotResource"),
            "a statement has `Resource` or `NotResource`, not both",
            None,
        ));
    }
    if let Some(condition) = fields.get("Condition")
        && !condition.is_object()
    {
        out.push(problem(
            &at("Condition"),
            "`Condition` must be a map of operators to keys and values",
            None,
        ));
    }
}

/// The strings of a string-or-list value, with their list index ("" for a single string).
fn strings(value: Option<&Json>) -> Vec<(String, String)> {
    match value {
        Some(Json::String(s)) => vec![(String::new(), s.clone())],
        Some(Json::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_str().map(|s| (i.to_string(), s.to_owned())))
            .collect(),
        _ => Vec::new(),
    }
}
