//! `awslab policy simulate`: evaluates a request against policy files, offline, and
//! explains the decision (text, or one JSON object).

use std::path::PathBuf;

use awslab_policy::{
    Context, Decision, EvaluationInput, Explanation, NamedPolicy, PolicyDocument, PolicyKind,
    Principal, Request,
};
use serde_json::json;

use super::{Failed, load};
use crate::cli::OutputFormat;
use crate::cli::policy::SimulateArgs;
use crate::exit::Status;

/// Prints the decision; `Invalid` (2) for a malformed policy or a bad argument.
pub(super) fn simulate(args: &SimulateArgs) -> Status {
    match simulate_output(args) {
        Ok(text) => {
            print!("{text}");
            Status::Success
        }
        Err(Failed) => Status::Invalid,
    }
}

fn simulate_output(args: &SimulateArgs) -> Result<String, Failed> {
    let principal = principal_of(&args.principal).ok_or_else(|| {
        eprintln!(
            "error: `{}` is not a principal: use a user, root, role, assumed-role or federated-user ARN, \
             or a service principal such as `s3.amazonaws.com`",
            args.principal
        );
        Failed
    })?;
    let mut failed = false;
    let mut load_all =
        |paths: &[PathBuf], kind: Option<PolicyKind>| -> Vec<(String, PolicyDocument)> {
            paths
                .iter()
                .filter_map(|path| {
                    let loaded = load(path, kind).ok();
                    failed |= loaded.is_none();
                    loaded.map(|document| (path.display().to_string(), document))
                })
                .collect()
        };
    let identity = load_all(&args.policies, Some(PolicyKind::Identity));
    let resource = load_all(
        args.resource_policy.as_slice(),
        Some(resource_policy_kind(&args.resource)),
    );
    let session = load_all(&args.session_policies, Some(PolicyKind::Session));
    let boundary = load_all(args.boundary.as_slice(), Some(PolicyKind::Boundary));
    if failed {
        return Err(Failed);
    }
    let input = EvaluationInput {
        identity_policies: named(&identity),
        resource_policy: named(&resource).into_iter().next(),
        session_policies: (!session.is_empty()).then(|| named(&session)),
        boundary: named(&boundary).into_iter().next(),
    };
    let mut context = Context::new();
    for (key, value) in &args.context {
        context.insert(key, value.as_str());
    }
    let request = Request {
        principal,
        action: args.action.clone(),
        resource: args.resource.clone(),
        resource_account: args.resource_owner.clone(),
        context,
    };
    let decision = awslab_policy::evaluate(&input, &request);
    let explanation = awslab_policy::explain(&input, &request);
    Ok(match args.output {
        OutputFormat::Human => explanation.to_text(),
        OutputFormat::Json => render_json(&decision, &explanation, &request),
    })
}

/// A `--resource-policy` is the role's trust policy when the resource is an IAM role,
/// otherwise a resource-based policy: never an identity policy, so that a document
/// without `Principal` is reported instead of being silently ignored.
fn resource_policy_kind(resource: &str) -> PolicyKind {
    let role = resource.starts_with("arn:")
        && resource
            .split(':')
            .nth(2)
            .is_some_and(|service| service == "iam")
        && resource
            .splitn(6, ':')
            .nth(5)
            .is_some_and(|rest| rest.starts_with("role/"));
    if role {
        PolicyKind::Trust
    } else {
        PolicyKind::Resource
    }
}

fn named(documents: &[(String, PolicyDocument)]) -> Vec<NamedPolicy<'_>> {
    documents
        .iter()
        .map(|(name, document)| NamedPolicy::new(name, document))
        .collect()
}

/// The caller for `--principal`: a role ARN stands for a session of that role.
fn principal_of(text: &str) -> Option<Principal> {
    if let Some(principal) = Principal::from_arn(text) {
        return Some(principal);
    }
    if let Some((prefix, path)) = text.split_once(":role/") {
        let account = prefix.rsplit(':').next()?;
        let name = path.rsplit('/').next()?;
        let mut session = Principal::role_session(account, name, "simulated");
        session.source_arn = Some(text.to_owned());
        return Some(session);
    }
    let service = text.ends_with(".amazonaws.com") && !text.contains(['/', ':']);
    service.then(|| Principal::service(text))
}

fn render_json(decision: &Decision, explanation: &Explanation, request: &Request) -> String {
    let matched: Vec<serde_json::Value> = decision
        .matched
        .iter()
        .map(|matched| {
            json!({
                "policy": matched.policy,
                "policyType": matched.policy_type.label(),
                "statement": matched.statement,
                "sid": matched.sid,
                "effect": matched.effect.label(),
            })
        })
        .collect();
    let value = json!({
        "decision": decision.verdict.label(),
        "matched": matched,
        "reason": decision.reason_clause(&request.action),
        "serviceRule": explanation.service_rule,
        "accessDeniedMessage": decision.access_denied_message(request),
        "request": {
            "principal": request.principal.arn,
            "action": request.action,
            "resource": request.resource,
            "resourceOwner": request.resource_owner(),
            "resourceOwnerSource": request.resource_owner_source().label(),
        },
        "explanation": explanation,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&value).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|error| panic!("{error}"));
        path
    }

    fn args(
        policies: Vec<PathBuf>,
        action: &str,
        resource: &str,
        output: OutputFormat,
    ) -> SimulateArgs {
        SimulateArgs {
            policies,
            resource_policy: None,
            session_policies: Vec::new(),
            boundary: None,
            action: action.to_owned(),
            resource: resource.to_owned(),
            principal: "arn:aws:iam::123456789012:user/bob".to_owned(),
            resource_owner: None,
            context: Vec::new(),
            output,
        }
    }

    const LIST: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::lab"}]}"#;

    #[test]
    fn simulate_prints_json_with_decision_and_matched_statements() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let policy = write(dir.path(), "user.json", LIST);
        let text = simulate_output(&args(
            vec![policy.clone()],
            "s3:ListBucket",
            "arn:aws:s3:::lab",
            OutputFormat::Json,
        ))
        .unwrap_or_else(|_| panic!("simulate failed"));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(value["decision"], "allowed");
        assert_eq!(value["matched"][0]["policy"], policy.display().to_string());
        assert_eq!(value["matched"][0]["statement"], 0);
        assert_eq!(value["matched"][0]["sid"], "List");
        assert_eq!(value["matched"][0]["effect"], "Allow");
    }

    #[test]
    fn simulate_explains_an_implicit_deny_with_the_access_denied_message() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let policy = write(dir.path(), "user.json", LIST);
        let text = simulate_output(&args(
            vec![policy],
            "s3:GetObject",
            "arn:aws:s3:::lab/k",
            OutputFormat::Human,
        ))
        .unwrap_or_else(|_| panic!("simulate failed"));
        assert!(text.starts_with("Decision: implicitDeny\n"), "{text}");
        assert!(
            text.contains(
                "Reason: because no identity-based policy allows the `s3:GetObject` action"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "AccessDenied message: User: arn:aws:iam::123456789012:user/bob is not authorized"
            ),
            "{text}"
        );
    }

    #[test]
    fn simulate_treats_a_repeated_context_key_as_multi_valued() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let policy = write(
            dir.path(),
            "tags.json",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
                "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}}]}"#,
        );
        let mut simulate = args(vec![policy], "ec2:CreateTags", "*", OutputFormat::Json);
        simulate.context = vec![
            ("aws:TagKeys".into(), "env".into()),
            ("aws:TagKeys".into(), "owner".into()),
        ];
        let text = simulate_output(&simulate).unwrap_or_else(|_| panic!("simulate failed"));
        assert!(text.contains("\"decision\": \"implicitDeny\""), "{text}");
    }

    #[test]
    fn principal_accepts_roles_and_services() {
        let role =
            principal_of("arn:aws:iam::123456789012:role/lab").map(|principal| principal.kind);
        assert_eq!(role, Some(awslab_policy::PrincipalKind::AssumedRole));
        let service = principal_of("ec2.amazonaws.com").map(|principal| principal.kind);
        assert_eq!(service, Some(awslab_policy::PrincipalKind::Service));
        assert!(principal_of("bob").is_none());
    }
}
