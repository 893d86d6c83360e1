//! The evaluation table: every case in `cases/evaluation.json` comes from an AWS
//! documentation page (its `doc` field) and states the decision AWS documents.

use awslab_policy::{
    ContextValue, EvaluationInput, NamedPolicy, PolicyDocument, PolicyKind, Principal, Request,
    Verdict, evaluate,
};
use serde_json::Value;

const CASES: &str = include_str!("cases/evaluation.json");
const BOB: &str = "arn:aws:iam::111122223333:user/bob";

fn document(value: &Value, kind: PolicyKind) -> PolicyDocument {
    let wrapped = match value {
        Value::Object(map) if map.contains_key("Statement") => value.clone(),
        other => serde_json::json!({ "Version": "2012-10-17", "Statement": other }),
    };
    PolicyDocument::from_value_as(&wrapped, kind)
        .unwrap_or_else(|errors| panic!("{wrapped}: {errors:?}"))
}

fn principal(case: &Value) -> Principal {
    let text = case["principal"].as_str().unwrap_or(BOB);
    let mut principal = if text == "anonymous" {
        Principal::anonymous()
    } else if let Some(service) = text.strip_prefix("service:") {
        Principal::service(service)
    } else if let Some(provider) = text.strip_prefix("web:") {
        Principal::web_identity(provider)
    } else {
        Principal::from_arn(text).unwrap_or_else(|| panic!("bad principal {text}"))
    };
    if let Some(Value::Object(tags)) = case.get("tags") {
        for (key, value) in tags {
            principal = principal.with_tag(key, value.as_str().unwrap_or_default());
        }
    }
    if let Some(source) = case["source"].as_str() {
        principal.source_arn = Some(source.to_owned());
    }
    principal
}

fn request(case: &Value) -> Request {
    let mut request = Request::new(
        principal(case),
        case["action"].as_str().unwrap_or("s3:GetObject"),
        case["resource"]
            .as_str()
            .unwrap_or("arn:aws:s3:::amzn-s3-demo-bucket/key"),
    );
    request.resource_account = case["resource_account"].as_str().map(str::to_owned);
    if let Some(Value::Object(context)) = case.get("context") {
        for (key, value) in context {
            match value {
                Value::Array(items) => request.context.set(
                    key,
                    items
                        .iter()
                        .map(|item| ContextValue::from(item.as_str().unwrap_or_default()))
                        .collect(),
                ),
                other => request
                    .context
                    .insert(key, other.as_str().unwrap_or_default()),
            }
        }
    }
    request
}

/// Runs one case; `Err` describes a mismatch.
fn run(case: &Value) -> Result<(), String> {
    let identity: Vec<PolicyDocument> = case["identity"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| document(item, PolicyKind::Identity))
                .collect()
        })
        .unwrap_or_default();
    let resource = match (case.get("resource_policy"), case.get("trust")) {
        (Some(policy), _) => Some(document(policy, PolicyKind::Resource)),
        (None, Some(policy)) => Some(document(policy, PolicyKind::Trust)),
        (None, None) => None,
    };
    let session: Option<Vec<PolicyDocument>> =
        case.get("session").and_then(Value::as_array).map(|items| {
            items
                .iter()
                .map(|item| document(item, PolicyKind::Session))
                .collect()
        });
    let boundary = case
        .get("boundary")
        .map(|policy| document(policy, PolicyKind::Boundary));
    let input = EvaluationInput {
        identity_policies: identity
            .iter()
            .map(|policy| NamedPolicy::new("identity", policy))
            .collect(),
        resource_policy: resource
            .as_ref()
            .map(|policy| NamedPolicy::new("resource", policy)),
        session_policies: session.as_ref().map(|policies| {
            policies
                .iter()
                .map(|policy| NamedPolicy::new("session", policy))
                .collect()
        }),
        boundary: boundary
            .as_ref()
            .map(|policy| NamedPolicy::new("boundary", policy)),
    };
    let request = request(case);
    let decision = evaluate(&input, &request);
    let expected = case["expect"].as_str().unwrap_or_default();
    if decision.verdict.label() != expected {
        return Err(format!(
            "expected {expected}, got {} ({:?})",
            decision.verdict.label(),
            decision.reason
        ));
    }
    if let Some(reason) = case["reason"].as_str() {
        let clause = decision.reason_clause(&request.action);
        if !clause.contains(reason) {
            return Err(format!("reason `{clause}` does not contain `{reason}`"));
        }
    }
    if decision.verdict != Verdict::Allowed && decision.access_denied_message(&request).is_none() {
        return Err("a denied request has no AccessDenied message".to_owned());
    }
    Ok(())
}

fn cases() -> Vec<Value> {
    serde_json::from_str::<Vec<Value>>(CASES)
        .unwrap_or_else(|error| panic!("cases/evaluation.json: {error}"))
}

#[test]
fn every_case_gives_the_documented_decision() {
    let failures: Vec<String> = cases()
        .iter()
        .filter_map(|case| {
            run(case)
                .err()
                .map(|error| format!("{}: {error} [{}]", case["name"], case["doc"]))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn table_has_at_least_150_cases_each_citing_aws_documentation() {
    let cases = cases();
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    for case in &cases {
        let doc = case["doc"].as_str().unwrap_or_default();
        assert!(
            doc.starts_with("https://docs.aws.amazon.com/"),
            "{} cites no AWS page",
            case["name"]
        );
        assert!(matches!(
            case["expect"].as_str(),
            Some("allowed" | "explicitDeny" | "implicitDeny")
        ));
    }
}

#[test]
fn case_names_are_unique() {
    let cases = cases();
    let mut names: Vec<&str> = cases
        .iter()
        .filter_map(|case| case["name"].as_str())
        .collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicate case names");
}

#[test]
fn table_covers_every_condition_operator() {
    let text = CASES;
    for operator in [
        "\"StringEquals\"",
        "\"StringNotEquals\"",
        "\"StringEqualsIgnoreCase\"",
        "\"StringNotEqualsIgnoreCase\"",
        "\"StringLike\"",
        "\"StringNotLike\"",
        "\"NumericEquals\"",
        "\"NumericNotEquals\"",
        "\"NumericLessThan\"",
        "\"NumericLessThanEquals\"",
        "\"NumericGreaterThan\"",
        "\"NumericGreaterThanEquals\"",
        "\"DateEquals\"",
        "\"DateNotEquals\"",
        "\"DateLessThan\"",
        "\"DateLessThanEquals\"",
        "\"DateGreaterThan\"",
        "\"DateGreaterThanEquals\"",
        "\"Bool\"",
        "\"BinaryEquals\"",
        "\"IpAddress\"",
        "\"NotIpAddress\"",
        "\"ArnEquals\"",
        "\"ArnLike\"",
        "\"ArnNotEquals\"",
        "\"ArnNotLike\"",
        "\"Null\"",
        "IfExists\"",
        "\"ForAnyValue:",
        "\"ForAllValues:",
    ] {
        assert!(text.contains(operator), "no case uses {operator}");
    }
}
