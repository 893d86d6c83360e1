//! `SimulatePrincipalPolicy` and `SimulateCustomPolicy`: crates/policy evaluates each
//! action on each resource against a principal's policies in force (its own, its
//! groups', a role's; its permissions boundary) or against the policies given, with
//! the request's `ContextEntries`, and answers AWS's `EvaluationResults`
//! (`EvalDecision` `allowed` / `explicitDeny` / `implicitDeny`, `MatchedStatements`,
//! the boundary's part), paged by `MaxItems` and `Marker`. Shapes and errors follow
//! botocore's IAM model.

use std::sync::Arc;

use awslab_policy::{
    Context, ContextValue, EvaluationInput, NamedPolicy, PolicyDocument, PolicyKind, PolicyType,
    Principal, Request, Verdict,
};

use super::{ApiError, Input, Operation, Value, page, with_marker};
use crate::auth::Caller;
use crate::auth::authorize::principal_policies;
use crate::model::{Check, IamError, Shape};
use crate::state::World;

/// The most action and resource pairs one request evaluates (AWS pages the answer;
/// the sandbox also bounds the work).
const MAX_PAIRS: usize = 1000;

pub(super) const OPERATIONS: &[Operation] = &[
    Operation {
        name: "SimulatePrincipalPolicy",
        mutates: false,
        checks: |input, _, _| {
            Ok(vec![Check::new(
                "iam:SimulatePrincipalPolicy",
                input.required("PolicySourceArn")?.to_owned(),
            )])
        },
        run: simulate_principal,
    },
    Operation {
        name: "SimulateCustomPolicy",
        mutates: false,
        checks: |_, _, _| Ok(vec![Check::new("iam:SimulateCustomPolicy", "*")]),
        run: simulate_custom,
    },
];

type Named = Vec<(String, Arc<PolicyDocument>)>;

fn parse_list(input: &Input, member: &str, kind: PolicyKind) -> Result<Named, ApiError> {
    input
        .list(member)
        .into_iter()
        .enumerate()
        .map(|(index, text)| {
            PolicyDocument::parse_as(text, kind)
                .map(|document| (format!("{member}.{}", index + 1), Arc::new(document)))
                .map_err(|errors| {
                    let first = errors.first().map(ToString::to_string).unwrap_or_default();
                    ApiError::of(
                        IamError::MalformedPolicyDocument,
                        format!("{member}.{}: {first}", index + 1),
                    )
                })
        })
        .collect()
}

fn simulate_principal(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let source = input.required("PolicySourceArn")?;
    let found = principal_policies(world, source)
        .filter(|_| source.split(':').nth(4) == Some(caller.account.as_str()))
        .ok_or_else(|| {
            ApiError::no_such_entity(format!("The principal {source} cannot be found."))
        })?;
    let mut identity = found.identity;
    identity.extend(parse_list(input, "PolicyInputList", PolicyKind::Identity)?);
    let mut boundary = parse_list(
        input,
        "PermissionsBoundaryPolicyInputList",
        PolicyKind::Boundary,
    )?;
    if boundary.is_empty()
        && let Some(document) = found.boundary
    {
        boundary.push(("permissions boundary".to_owned(), document));
    }
    let principal = match input.get("CallerArn") {
        Some(caller) => Principal::from_arn(caller),
        None => Principal::from_arn(source).or_else(|| role_principal(source)),
    }
    .unwrap_or_else(Principal::anonymous);
    simulate(input, &principal, &identity, boundary.first())
}

/// A role's ARN (with its path) simulated as the caller: a session of that role, as
/// a role acts only through its sessions.
fn role_principal(arn: &str) -> Option<Principal> {
    let (account, rest) = arn.strip_prefix("arn:aws:iam::")?.split_once(':')?;
    let name = rest.strip_prefix("role/")?.rsplit('/').next()?;
    let mut principal = Principal::role_session(account, name, name);
    principal.source_arn = Some(arn.to_owned());
    Some(principal)
}

fn simulate_custom(input: &Input, _: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let identity = parse_list(input, "PolicyInputList", PolicyKind::Identity)?;
    if identity.is_empty() {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null",
        ));
    }
    let boundary = parse_list(
        input,
        "PermissionsBoundaryPolicyInputList",
        PolicyKind::Boundary,
    )?;
    let principal = input
        .get("CallerArn")
        .and_then(Principal::from_arn)
        .unwrap_or_else(|| caller.principal.clone());
    simulate(input, &principal, &identity, boundary.first())
}

/// The request's `ContextEntries` as condition keys.
fn context(input: &Input) -> Context {
    let mut context = Context::new();
    for entry in input.structs("ContextEntries") {
        let Some(key) = entry.get("ContextKeyName") else {
            continue;
        };
        let values: Vec<ContextValue> = entry
            .list("ContextKeyValues")
            .into_iter()
            .map(|value| ContextValue::from(value.to_owned()))
            .collect();
        context.set(key, values);
    }
    context
}

/// AWS's `SourcePolicyType` of a statement from the policy named `name`.
fn source_type(policy_type: PolicyType, name: &str) -> &'static str {
    match policy_type {
        PolicyType::Resource => "resource",
        _ if name.starts_with("arn:aws:iam::aws:") => "aws-managed",
        _ if name.contains(":user/") && name.contains(" inline policy ") => "user",
        _ if name.contains(":role/") && name.contains(" inline policy ") => "role",
        _ if name.contains(":group/") && name.contains(" inline policy ") => "group",
        _ => "user-managed",
    }
}

fn simulate(
    input: &Input,
    principal: &Principal,
    identity: &Named,
    boundary: Option<&(String, Arc<PolicyDocument>)>,
) -> Result<Shape, ApiError> {
    let actions = input.list("ActionNames");
    if actions.is_empty() {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null",
        ));
    }
    let mut resources = input.list("ResourceArns");
    if resources.is_empty() {
        resources.push("*");
    }
    if actions.len().saturating_mul(resources.len()) > MAX_PAIRS {
        return Err(ApiError::of(
            IamError::LimitExceeded,
            format!("At most {MAX_PAIRS} action and resource pairs can be simulated at once"),
        ));
    }
    let resource_policy = match input.get("ResourcePolicy") {
        Some(text) => Some(Arc::new(
            PolicyDocument::parse_as(text, PolicyKind::Resource).map_err(|_| {
                ApiError::of(
                    IamError::MalformedPolicyDocument,
                    "ResourcePolicy is malformed",
                )
            })?,
        )),
        None => None,
    };
    let context = context(input);
    let evaluation = EvaluationInput {
        identity_policies: identity
            .iter()
            .map(|(name, document)| NamedPolicy::new(name, document))
            .collect(),
        resource_policy: resource_policy
            .as_ref()
            .map(|document| NamedPolicy::new("ResourcePolicy", document)),
        session_policies: None,
        boundary: boundary.map(|(name, document)| NamedPolicy::new(name, document)),
    };
    let mut results = Vec::new();
    for action in &actions {
        for resource in &resources {
            let mut request = Request::new(principal.clone(), action, resource);
            request.context = context.clone();
            if let Some(owner) = input.get("ResourceOwner") {
                request.resource_account = owner.split(':').nth(4).map(str::to_owned);
            }
            let decision = awslab_policy::evaluate(&evaluation, &request);
            let matched: Vec<Value> = decision
                .matched
                .iter()
                .filter(|statement| statement.policy_type != PolicyType::Boundary)
                .map(|statement| {
                    Value::Struct(Shape::new().text("SourcePolicyId", &statement.policy).text(
                        "SourcePolicyType",
                        source_type(statement.policy_type, &statement.policy),
                    ))
                })
                .collect();
            let mut shape = Shape::new()
                .text("EvalActionName", action)
                .text("EvalResourceName", resource)
                .text("EvalDecision", decision.verdict.label())
                .list("MatchedStatements", matched)
                .list("MissingContextValues", Vec::new());
            if boundary.is_some() {
                let blocked = decision.verdict == Verdict::ImplicitDeny
                    && matches!(
                        decision.reason,
                        awslab_policy::Reason::NoAllow(PolicyType::Boundary)
                    );
                shape = shape.child(
                    "PermissionsBoundaryDecisionDetail",
                    Shape::new().text("AllowedByPermissionsBoundary", !blocked),
                );
            }
            results.push(Value::Struct(shape));
        }
    }
    let (results, next) = page(input, results)?;
    Ok(with_marker(
        Shape::new().list("EvaluationResults", results),
        next,
    ))
}
