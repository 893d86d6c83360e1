//! Properties of the evaluator that hold for every input: an explicit deny that
//! matches always wins, adding an `Allow` (with `Principal` or `NotPrincipal`) never
//! takes an allowed request away, the on-demand explanation agrees with the decision
//! (same verdict, same applying statements) and survives a serde round trip, prepared
//! policies decide exactly like plain evaluation, and
//! neither parsing, evaluation nor explanation panics on arbitrary documents.

use awslab_policy::{
    EvaluationInput, Explanation, NamedPolicy, PolicyDocument, PolicyKind, PreparedPolicies,
    Principal, Request, Verdict, evaluate, evaluate_prepared, explain,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:ListBucket",
    "iam:CreateUser",
    "sts:AssumeRole",
];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "iam:*",
    "S3:getobject",
    "s3:?etObject",
    "sts:Assume*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/key",
    "arn:aws:s3:::b",
    "arn:aws:iam::111122223333:user/x",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::other/*",
    "arn:aws:iam::111122223333:user/*",
];
const PRINCIPALS: &[&str] = &[
    "arn:aws:iam::111122223333:user/bob",
    "arn:aws:sts::111122223333:assumed-role/R/s",
    "arn:aws:iam::444455556666:user/carol",
    "arn:aws:iam::111122223333:root",
];

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!({"Bool": {"aws:SecureTransport": "true"}}))),
        Just(Some(json!({"StringLike": {"aws:username": "b*"}}))),
        Just(Some(
            json!({"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}})
        )),
        Just(Some(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))),
        Just(Some(
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}})
        )),
        Just(Some(json!({"Null": {"aws:TokenIssueTime": "true"}}))),
    ]
}

fn statement(effect: &'static str, principal: bool) -> impl Strategy<Value = Value> {
    (
        prop::sample::subsequence(ACTION_PATTERNS, 1..3),
        prop::sample::subsequence(RESOURCE_PATTERNS, 1..3),
        any::<bool>(),
        any::<bool>(),
        condition(),
        prop::sample::select(PRINCIPALS),
        any::<bool>(),
    )
        .prop_map(
            move |(actions, resources, not_action, not_resource, condition, who, not_principal)| {
                let mut statement = json!({ "Effect": effect });
                statement[if not_action { "NotAction" } else { "Action" }] = json!(actions);
                statement[if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                }] = json!(resources);
                if let Some(condition) = condition {
                    statement["Condition"] = condition;
                }
                if principal {
                    let element = if not_principal {
                        "NotPrincipal"
                    } else {
                        "Principal"
                    };
                    statement[element] = json!({ "AWS": who });
                }
                statement
            },
        )
}

fn policy(principal: bool) -> impl Strategy<Value = Value> {
    let either = prop_oneof![statement("Allow", principal), statement("Deny", principal)];
    prop::collection::vec(either, 1..4)
        .prop_map(|statements| json!({"Version": "2012-10-17", "Statement": statements}))
}

#[derive(Debug, Clone)]
struct Scenario {
    identity: Vec<Value>,
    resource: Option<Value>,
    boundary: Option<Value>,
    session: Option<Vec<Value>>,
    request: Request,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::collection::vec(policy(false), 0..4),
        prop::option::of(policy(true)),
        prop::option::of(policy(false)),
        prop::option::of(prop::collection::vec(policy(false), 0..2)),
        prop::sample::select(PRINCIPALS),
        prop::sample::select(ACTIONS),
        prop::sample::select(RESOURCES),
        prop::option::of(Just("111122223333")),
        any::<bool>(),
    )
        .prop_map(
            |(identity, resource, boundary, session, who, action, target, owner, secure)| {
                let principal = Principal::from_arn(who).unwrap_or_else(Principal::anonymous);
                let mut request = Request::new(principal, action, target)
                    .with_context("aws:SecureTransport", secure);
                request.resource_account = owner.map(str::to_owned);
                Scenario {
                    identity,
                    resource,
                    boundary,
                    session,
                    request,
                }
            },
        )
}

struct Compiled {
    identity: Vec<PolicyDocument>,
    resource: Option<PolicyDocument>,
    boundary: Option<PolicyDocument>,
    session: Option<Vec<PolicyDocument>>,
}

fn parse(value: &Value, kind: PolicyKind) -> PolicyDocument {
    PolicyDocument::from_value_as(value, kind)
        .unwrap_or_else(|errors| panic!("{value}: {errors:?}"))
}

fn compile(scenario: &Scenario) -> Compiled {
    Compiled {
        identity: scenario
            .identity
            .iter()
            .map(|value| parse(value, PolicyKind::Identity))
            .collect(),
        resource: scenario
            .resource
            .as_ref()
            .map(|value| parse(value, PolicyKind::Resource)),
        boundary: scenario
            .boundary
            .as_ref()
            .map(|value| parse(value, PolicyKind::Boundary)),
        session: scenario.session.as_ref().map(|values| {
            values
                .iter()
                .map(|value| parse(value, PolicyKind::Session))
                .collect()
        }),
    }
}

fn decide(compiled: &Compiled, request: &Request) -> Verdict {
    evaluate(&input_of(compiled), request).verdict
}

fn input_of(compiled: &Compiled) -> EvaluationInput<'_> {
    EvaluationInput {
        identity_policies: compiled
            .identity
            .iter()
            .map(|policy| NamedPolicy::new("identity", policy))
            .collect(),
        resource_policy: compiled
            .resource
            .as_ref()
            .map(|policy| NamedPolicy::new("resource", policy)),
        session_policies: compiled.session.as_ref().map(|policies| {
            policies
                .iter()
                .map(|policy| NamedPolicy::new("session", policy))
                .collect()
        }),
        boundary: compiled
            .boundary
            .as_ref()
            .map(|policy| NamedPolicy::new("boundary", policy)),
    }
}

fn matching_deny(request: &Request, principal: bool) -> Value {
    let mut statement = json!({"Effect": "Deny", "Action": request.action, "Resource": "*"});
    if principal {
        statement["Principal"] = json!("*");
    }
    statement
}

fn push_statement(policy: &mut Value, statement: Value) {
    if let Some(statements) = policy["Statement"].as_array_mut() {
        statements.push(statement);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn explicit_deny_matching_the_request_always_wins(mut scenario in scenario(), slot in 0usize..4) {
        let deny_identity = matching_deny(&scenario.request, false);
        match slot {
            0 => scenario.identity.push(json!({"Version": "2012-10-17", "Statement": [deny_identity]})),
            1 => {
                let deny = matching_deny(&scenario.request, true);
                match &mut scenario.resource {
                    Some(policy) => push_statement(policy, deny),
                    None => scenario.resource = Some(json!({"Version": "2012-10-17", "Statement": [deny]})),
                }
            }
            2 => match &mut scenario.boundary {
                Some(policy) => push_statement(policy, deny_identity),
                None => scenario.boundary = Some(json!({"Version": "2012-10-17", "Statement": [deny_identity]})),
            },
            _ => scenario.session.get_or_insert_with(Vec::new).push(json!({"Version": "2012-10-17", "Statement": [deny_identity]})),
        }
        prop_assert_eq!(decide(&compile(&scenario), &scenario.request), Verdict::ExplicitDeny);
    }

    #[test]
    fn adding_an_allow_never_turns_allowed_into_denied(
        scenario in scenario(),
        extra in statement("Allow", false),
        extra_resource in statement("Allow", true),
        target in 0usize..2,
    ) {
        let before = decide(&compile(&scenario), &scenario.request);
        let mut grown = scenario.clone();
        if target == 0 {
            grown.identity.push(json!({"Version": "2012-10-17", "Statement": [extra]}));
        } else if let Some(policy) = &mut grown.resource {
            push_statement(policy, extra_resource);
        } else {
            grown.resource = Some(json!({"Version": "2012-10-17", "Statement": [extra_resource]}));
        }
        let after = decide(&compile(&grown), &grown.request);
        if before == Verdict::Allowed {
            prop_assert_eq!(after, Verdict::Allowed);
        }
    }

    #[test]
    fn the_explanation_agrees_with_the_decision(scenario in scenario()) {
        let compiled = compile(&scenario);
        let input = input_of(&compiled);
        let decision = evaluate(&input, &scenario.request);
        let explanation = explain(&input, &scenario.request);
        prop_assert_eq!(explanation.decision, decision.verdict);
        prop_assert_eq!(explanation.reason, decision.reason);
        let mut from_decision: Vec<(String, usize)> = decision
            .matched
            .iter()
            .map(|matched| (matched.policy.clone(), matched.statement))
            .collect();
        let mut from_explanation: Vec<(String, usize)> = explanation
            .policies
            .iter()
            .flat_map(|policy| {
                policy
                    .statements
                    .iter()
                    .filter(|statement| statement.applies)
                    .map(|statement| (policy.name.clone(), statement.index))
            })
            .collect();
        from_decision.sort();
        from_explanation.sort();
        prop_assert_eq!(from_decision, from_explanation);
        let json = serde_json::to_string(&explanation).unwrap_or_default();
        let back: Explanation = serde_json::from_str(&json).unwrap_or_else(|error| panic!("{error}: {json}"));
        prop_assert_eq!(&back, &explanation);
        // Explaining a decision already made (the sandbox's way) explains the same.
        let decided = awslab_policy::explain_decided(&input, &scenario.request, &decision);
        prop_assert_eq!(&decided, &explanation);
        let mut appended = String::from("before\n");
        decided.write_policies_text(&mut appended);
        prop_assert_eq!(appended, format!("before\n{}", explanation.policies_text()));
    }

    #[test]
    fn prepared_policies_decide_like_plain_evaluation(scenario in scenario()) {
        let compiled = compile(&scenario);
        let input = input_of(&compiled);
        let prepared = PreparedPolicies::new(input.identity_policies.clone());
        let rest = EvaluationInput { identity_policies: Vec::new(), ..input.clone() };
        prop_assert_eq!(
            evaluate_prepared(&prepared, &rest, &scenario.request),
            evaluate(&input, &scenario.request)
        );
    }

    #[test]
    fn never_panics_on_arbitrary_documents(document in arbitrary_json(), who in prop::sample::select(PRINCIPALS)) {
        let request = Request::new(Principal::from_arn(who).unwrap_or_else(Principal::anonymous), "s3:GetObject", "arn:aws:s3:::b/k")
            .with_context("aws:SourceIp", "10.1.2.3")
            .with_context("aws:CurrentTime", "2024-01-01T00:00:00Z");
        for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust, PolicyKind::Session, PolicyKind::Boundary] {
            if let Ok(parsed) = PolicyDocument::from_value_as(&document, kind) {
                let input = EvaluationInput { identity_policies: vec![NamedPolicy::new("p", &parsed)], resource_policy: Some(NamedPolicy::new("r", &parsed)), ..EvaluationInput::default() };
                let _ = evaluate(&input, &request);
                let _ = explain(&input, &request).to_text();
                let _ = awslab_policy::admits_principal(&parsed, who);
            }
        }
        let _ = PolicyDocument::parse(&document.to_string());
    }

    #[test]
    fn never_panics_on_arbitrary_text(text in ".{0,200}") {
        let _ = PolicyDocument::parse(&text);
    }
}

/// JSON built from the policy vocabulary, so that many documents are nearly valid.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let words = prop::sample::select(vec![
        "Version",
        "2012-10-17",
        "2008-10-17",
        "Statement",
        "Effect",
        "Allow",
        "Deny",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
        "AWS",
        "Service",
        "Federated",
        "*",
        "s3:*",
        "s3:Get*",
        "arn:aws:s3:::b/*",
        "arn:aws:s3:::b/${aws:username}/*",
        "${",
        "${*}",
        "111122223333",
        "arn:aws:iam::111122223333:root",
        "StringLike",
        "ForAllValues:StringEquals",
        "NumericLessThanIfExists",
        "DateGreaterThan",
        "IpAddress",
        "Null",
        "BinaryEquals",
        "ArnLike",
        "aws:SourceIp",
        "aws:CurrentTime",
        "10.0.0.0/8",
        "2020-01-01",
        "true",
        "x",
        "",
    ]);
    let leaf = prop_oneof![
        words.clone().prop_map(|word| json!(word)),
        any::<i64>().prop_map(|number| json!(number)),
        any::<bool>().prop_map(|flag| json!(flag)),
        Just(Value::Null),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((words.clone(), inner), 0..6).prop_map(|entries| Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key.to_owned(), value))
                    .collect()
            )),
        ]
    })
}
