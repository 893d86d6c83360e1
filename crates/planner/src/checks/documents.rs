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
        StepKind::IamGroupPolicy(p) => vec![(&p.document, Identity)],
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
        StepKind::StsAssumeRoleWithSaml(s) => s.policy.iter().map(|d| (d, Session)).collect(),
        StepKind::IamUser(_)
        | StepKind::IamVirtualMfaDevice(_)
        | StepKind::IamAccessKey(_)
        | StepKind::IamUserPolicyAttachment(_)
        | StepKind::IamGroup(_)
        | StepKind::IamGroupMembership(_)
        | StepKind::IamRolePolicyAttachment(_)
        | StepKind::CfnStack(_)
        | StepKind::S3Object(_)
        | StepKind::StsGetSessionToken(_)
        | StepKind::AwsProfile(_)
        | StepKind::IamOidcProvider(_)
        | StepKind::IamSamlProvider(_)
        | StepKind::Verify(_) => Vec::new(),
    }
}

/// Checks every document of every step.
pub fn check(diags: &mut Diagnostics, plan: &Plan, statics: &super::Statics) {
    for step in plan.steps.values() {
        for (document, kind) in documents_of(step) {
            let node = find_node(&step.body, document.0.span.offset);
            let json = match document.json() {
                Ok(json) => statics.render_json_placeholders(&json),
                Err(message) => {
                    diags.error("plan::policy", document.0.span, message).emit();
                    continue;
                }
            };
            if let serde_json::Value::String(text) = &document.0.value {
                json_duplicates(diags, step, kind, document, text);
            }
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

/// A key given twice in a policy written as a JSON string (in YAML, the plan's own
/// duplicate-key check sees it): `serde_json` would keep the last one silently.
fn json_duplicates(
    diags: &mut Diagnostics,
    step: &Step,
    kind: DocumentKind,
    document: &Document,
    text: &str,
) {
    for error in awslab_policy::duplicate_keys(text) {
        let awslab_policy::PolicyError::DuplicateKey { key, .. } = &error else {
            continue;
        };
        // Point at the repeat inside the string when it can be found in the file.
        let quoted = format!("\"{key}\"");
        let first = diags.file().find_from(document.0.span.offset, &quoted);
        let at = first
            .and_then(|f| diags.file().find_from(f.offset + f.len, &quoted))
            .filter(|s| s.offset < document.0.span.offset + document.0.span.len)
            .unwrap_or(document.0.span);
        diags
            .error(
                "plan::duplicate_key",
                at,
                format!(
                    "{} of step `{}` at `{}`: `{key}` is given twice in one object",
                    kind.noun(),
                    step.id,
                    error.path().trim_start_matches('/').replace('/', ".")
                ),
            )
            .help("keep one of them: the last one would silently win (an `Effect: Deny` could become `Allow`)")
            .emit();
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

/// The problems of a policy document used as `kind`: AWS's rules, as `awslab policy
/// check` applies them (crates/policy), plus a warning for a missing `Version`.
/// References to values known only at run time are replaced by placeholders that
/// any field accepts, so they are not mistaken for malformed values.
pub fn problems(json: &Json, kind: DocumentKind) -> Vec<Problem> {
    let mut out = Vec::new();
    if json.is_object() && json.get("Version").is_none() {
        out.push(Problem {
            path: Vec::new(),
            message:
                "no `Version`; AWS then reads it as 2008-10-17, where policy variables do not work"
                    .to_owned(),
            help: Some("add `Version: \"2012-10-17\"`".to_owned()),
            warning: true,
        });
    }
    let policy_kind = match kind {
        DocumentKind::Identity => awslab_policy::PolicyKind::Identity,
        DocumentKind::Trust => awslab_policy::PolicyKind::Trust,
        DocumentKind::Bucket => awslab_policy::PolicyKind::Resource,
        DocumentKind::Session => awslab_policy::PolicyKind::Session,
    };
    if let Err(errors) = awslab_policy::PolicyDocument::from_value_as(json, policy_kind) {
        for error in errors {
            let path = error
                .path()
                .split('/')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            let help = miette::Diagnostic::help(&error).map(|h| h.to_string());
            out.push(Problem {
                path,
                message: error.to_string(),
                help,
                warning: false,
            });
        }
    }
    out
}
