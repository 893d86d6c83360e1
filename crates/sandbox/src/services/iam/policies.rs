//! Managed policies: customer managed ones with versions, and the bundled AWS managed
//! ones, as `GetPolicy` and `ListPolicies` show them.

use super::documents;
use super::{account, account_mut, check_name, check_path, encoded, page, with_marker};
use crate::auth::Caller;
use crate::ids;
use crate::services::IamError;
use crate::services::managed::{AWS_MANAGED, AwsManaged, find as find_aws};
use crate::services::{ApiError, Check, Input, Operation, Shape, Value, timestamp};
use crate::state::World;
use crate::state::world::{Account, ManagedPolicy, Pending};

pub(super) const OPERATIONS: &[Operation] = &[
    Operation {
        name: "CreatePolicy",
        mutates: true,
        checks: |input, _, caller| {
            Ok(vec![Check::new(
                "iam:CreatePolicy",
                policy_arn(
                    &caller.account,
                    &check_path(input)?,
                    input.required("PolicyName")?,
                ),
            )])
        },
        run: create_policy,
    },
    Operation {
        name: "GetPolicy",
        mutates: false,
        checks: |input, _, _| arn_check("iam:GetPolicy", input),
        run: get_policy,
    },
    Operation {
        name: "DeletePolicy",
        mutates: true,
        checks: |input, _, _| arn_check("iam:DeletePolicy", input),
        run: delete_policy,
    },
    Operation {
        name: "ListPolicies",
        mutates: false,
        checks: |_, _, _| Ok(vec![Check::new("iam:ListPolicies", "*")]),
        run: list_policies,
    },
    Operation {
        name: "CreatePolicyVersion",
        mutates: true,
        checks: |input, _, _| arn_check("iam:CreatePolicyVersion", input),
        run: create_policy_version,
    },
    Operation {
        name: "GetPolicyVersion",
        mutates: false,
        checks: |input, _, _| arn_check("iam:GetPolicyVersion", input),
        run: get_policy_version,
    },
    Operation {
        name: "DeletePolicyVersion",
        mutates: true,
        checks: |input, _, _| arn_check("iam:DeletePolicyVersion", input),
        run: delete_policy_version,
    },
    Operation {
        name: "ListPolicyVersions",
        mutates: false,
        checks: |input, _, _| arn_check("iam:ListPolicyVersions", input),
        run: list_policy_versions,
    },
    Operation {
        name: "ListPolicyTags",
        mutates: false,
        checks: |input, _, _| arn_check("iam:ListPolicyTags", input),
        run: list_policy_tags,
    },
    Operation {
        name: "ListEntitiesForPolicy",
        mutates: false,
        checks: |input, _, _| arn_check("iam:ListEntitiesForPolicy", input),
        run: list_entities_for_policy,
    },
];

fn policy_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:policy{path}{name}")
}

fn arn_check(action: &str, input: &Input) -> Result<Vec<Check>, ApiError> {
    Ok(vec![Check::new(action, input.required("PolicyArn")?)])
}

pub(super) fn no_such_policy(arn: &str) -> ApiError {
    ApiError::no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
}

fn attachments(account: &Account, arn: &str) -> usize {
    let users = account
        .users
        .values()
        .filter(|user| user.attached.iter().any(|a| a == arn))
        .count();
    let roles = account
        .roles
        .values()
        .filter(|role| role.attached.iter().any(|a| a == arn))
        .count();
    let groups = account
        .groups
        .values()
        .filter(|group| group.attached.iter().any(|a| a == arn))
        .count();
    users + roles + groups
}

/// How many users and roles in `account` have `arn` as their permissions boundary.
fn boundary_uses(account: &Account, arn: &str) -> usize {
    let users = account
        .users
        .values()
        .filter(|user| user.permissions_boundary.as_deref() == Some(arn))
        .count();
    let roles = account
        .roles
        .values()
        .filter(|role| role.permissions_boundary.as_deref() == Some(arn))
        .count();
    users + roles
}

/// A customer managed policy as `GetPolicy` shows it (`ListPolicies` leaves out the
/// description, as AWS does).
fn policy_shape(account: &Account, policy: &ManagedPolicy) -> Shape {
    Shape::new()
        .text("PolicyName", &policy.name)
        .text("PolicyId", &policy.id)
        .text("Arn", &policy.arn)
        .text("Path", &policy.path)
        .text("DefaultVersionId", &policy.default_version)
        .text("AttachmentCount", attachments(account, &policy.arn))
        .text(
            "PermissionsBoundaryUsageCount",
            boundary_uses(account, &policy.arn),
        )
        .text("IsAttachable", true)
        .maybe("Description", policy.description.as_ref())
        .text("CreateDate", timestamp(policy.created))
        .text("UpdateDate", timestamp(policy.updated))
}

/// An AWS managed policy as `GetPolicy` (with its description) or `ListPolicies`
/// (without) shows it; the counts are the caller's account's.
fn aws_shape(account: &Account, policy: &AwsManaged, described: bool) -> Shape {
    let arn = policy.arn();
    let shape = Shape::new()
        .text("PolicyName", policy.name)
        .text("PolicyId", policy.id)
        .text("Arn", &arn)
        .text("Path", policy.path)
        .text("DefaultVersionId", policy.version)
        .text("AttachmentCount", attachments(account, &arn))
        .text(
            "PermissionsBoundaryUsageCount",
            boundary_uses(account, &arn),
        )
        .text("IsAttachable", true);
    let shape = if described {
        shape.text("Description", policy.description)
    } else {
        shape
    };
    shape
        .text("CreateDate", policy.created)
        .text("UpdateDate", policy.updated)
}

/// A customer managed policy as `ListPolicies` shows it (no description).
fn listed_shape(account: &Account, policy: &ManagedPolicy) -> Shape {
    let mut shape = policy_shape(account, policy);
    shape.fields.retain(|(name, _)| *name != "Description");
    shape
}

fn create_policy(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let name = check_name(input, "PolicyName", 128)?;
    let path = check_path(input)?;
    let document = documents::checked(world, input, &documents::MANAGED)?;
    let now = world.now();
    let account = account_mut(world, caller)?;
    let arn = policy_arn(&account.id, &path, &name);
    if account.policies.contains_key(&arn) {
        return Err(ApiError::already_exists(format!(
            "A policy called {name} already exists. Duplicate names are not allowed."
        )));
    }
    let policy = ManagedPolicy {
        name,
        path,
        id: ids::unique_id("ANPA"),
        arn: arn.clone(),
        created: now,
        updated: now,
        description: input.get("Description").map(str::to_owned),
        default_version: "v1".to_owned(),
        versions: [("v1".to_owned(), document.to_owned())]
            .into_iter()
            .collect(),
        next_version: 2,
        tags: input.pairs("Tags", "Key", "Value"),
        default_pending: None,
    };
    let shape = Shape::new().child("Policy", policy_shape(account, &policy));
    account.policies.insert(arn, policy);
    Ok(shape)
}

fn get_policy(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let arn = input.required("PolicyArn")?;
    let account = account(world, caller)?;
    if let Some(policy) = account.policies.get(arn) {
        return Ok(Shape::new().child("Policy", policy_shape(account, policy)));
    }
    let policy = find_aws(arn).ok_or_else(|| no_such_policy(arn))?;
    Ok(Shape::new().child("Policy", aws_shape(account, policy, true)))
}

fn delete_policy(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let arn = input.required("PolicyArn")?;
    let account = account_mut(world, caller)?;
    let policy = account
        .policies
        .get(arn)
        .ok_or_else(|| no_such_policy(arn))?;
    // As on AWS, a policy in use as a permissions boundary is attached too: it cannot
    // go while a user or role is capped by it.
    if attachments(account, arn) > 0 || boundary_uses(account, arn) > 0 {
        return Err(ApiError::delete_conflict(
            "Cannot delete a policy attached to entities.",
        ));
    }
    if policy.versions.len() > 1 {
        return Err(ApiError::delete_conflict(
            "Cannot delete a policy with multiple versions. Delete all non-default versions first.",
        ));
    }
    account.policies.remove(arn);
    Ok(Shape::new())
}

fn list_policies(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let scope = input.get("Scope").unwrap_or("All");
    let only_attached = input.get("OnlyAttached") == Some("true");
    let account = account(world, caller)?;
    let mut items = Vec::new();
    if scope != "Local" {
        for policy in AWS_MANAGED {
            if !only_attached || attachments(account, &policy.arn()) > 0 {
                items.push(Value::Struct(aws_shape(account, policy, false)));
            }
        }
    }
    if scope != "AWS" {
        for policy in account.policies.values() {
            if !only_attached || attachments(account, &policy.arn) > 0 {
                items.push(Value::Struct(listed_shape(account, policy)));
            }
        }
    }
    let (items, next) = page(input, items)?;
    Ok(with_marker(Shape::new().list("Policies", items), next))
}

fn version_shape(version: &str, document: &str, default: bool, created: &str) -> Shape {
    Shape::new()
        .text("Document", encoded(document))
        .text("VersionId", version)
        .text("IsDefaultVersion", default)
        .text("CreateDate", created)
}

fn create_policy_version(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let arn = input.required("PolicyArn")?;
    let document = documents::checked(world, input, &documents::MANAGED)?;
    let now = world.now();
    let (now_ms, effective_at_ms) = super::inline::times(world);
    let policy = account_mut(world, caller)?
        .policies
        .get_mut(arn)
        .ok_or_else(|| no_such_policy(arn))?;
    if policy.versions.len() >= 5 {
        return Err(ApiError::of(
            IamError::LimitExceeded,
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.".to_string(),
        ));
    }
    let version = format!("v{}", policy.next_version);
    policy.next_version += 1;
    policy.versions.insert(version.clone(), document.to_owned());
    let default = input.get("SetAsDefault") == Some("true");
    if default {
        // Under a propagation delay, the previous default stays in force until then.
        policy.default_pending = Pending::after(
            policy
                .versions
                .get(&policy.default_version)
                .map(String::as_str),
            policy.default_pending.as_ref(),
            now_ms,
            effective_at_ms,
        );
        policy.default_version.clone_from(&version);
    }
    policy.updated = now;
    Ok(Shape::new().child(
        "PolicyVersion",
        version_shape(&version, document, default, &timestamp(now)),
    ))
}

fn get_policy_version(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let arn = input.required("PolicyArn")?;
    let version = input.required("VersionId")?;
    let missing = || {
        ApiError::no_such_entity(format!(
            "Policy {arn} version {version} does not exist or is not attachable."
        ))
    };
    if let Some(policy) = find_aws(arn) {
        if policy.version != version {
            return Err(missing());
        }
        return Ok(Shape::new().child(
            "PolicyVersion",
            version_shape(version, policy.document, true, policy.updated),
        ));
    }
    let policy = account(world, caller)?
        .policies
        .get(arn)
        .ok_or_else(|| no_such_policy(arn))?;
    let document = policy.versions.get(version).ok_or_else(missing)?;
    Ok(Shape::new().child(
        "PolicyVersion",
        version_shape(
            version,
            document,
            policy.default_version == version,
            &timestamp(policy.updated),
        ),
    ))
}

fn delete_policy_version(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let arn = input.required("PolicyArn")?;
    let version = input.required("VersionId")?;
    let policy = account_mut(world, caller)?
        .policies
        .get_mut(arn)
        .ok_or_else(|| no_such_policy(arn))?;
    if policy.default_version == version {
        return Err(ApiError::delete_conflict(
            "Cannot delete the default version of a policy.",
        ));
    }
    policy.versions.remove(version).ok_or_else(|| {
        ApiError::no_such_entity(format!(
            "Policy {arn} version {version} does not exist or is not attachable."
        ))
    })?;
    Ok(Shape::new())
}

fn list_policy_versions(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let arn = input.required("PolicyArn")?;
    if let Some(policy) = find_aws(arn) {
        let version = Shape::new()
            .text("VersionId", policy.version)
            .text("IsDefaultVersion", true)
            .text("CreateDate", policy.updated);
        return Ok(Shape::new()
            .list("Versions", vec![Value::Struct(version)])
            .text("IsTruncated", false));
    }
    let policy = account(world, caller)?
        .policies
        .get(arn)
        .ok_or_else(|| no_such_policy(arn))?;
    let versions = policy
        .versions
        .keys()
        .map(|version| {
            Value::Struct(
                Shape::new()
                    .text("VersionId", version)
                    .text("IsDefaultVersion", *version == policy.default_version)
                    .text("CreateDate", timestamp(policy.created)),
            )
        })
        .collect();
    Ok(Shape::new()
        .list("Versions", versions)
        .text("IsTruncated", false))
}

fn list_policy_tags(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let arn = input.required("PolicyArn")?;
    if find_aws(arn).is_some() {
        // AWS managed policies carry no tags.
        return Ok(Shape::new()
            .list("Tags", Vec::new())
            .text("IsTruncated", false));
    }
    let policy = account(world, caller)?
        .policies
        .get(arn)
        .ok_or_else(|| no_such_policy(arn))?;
    Ok(Shape::new()
        .list("Tags", crate::services::tag_list(&policy.tags))
        .text("IsTruncated", false))
}

fn list_entities_for_policy(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let arn = input.required("PolicyArn")?;
    let account = account(world, caller)?;
    if !account.policies.contains_key(arn) && find_aws(arn).is_none() {
        return Err(no_such_policy(arn));
    }
    let named = |kind: &'static str, name: &str, id: &str| {
        Value::Struct(Shape::new().text(kind, name).text(
            if kind == "UserName" {
                "UserId"
            } else if kind == "RoleName" {
                "RoleId"
            } else {
                "GroupId"
            },
            id,
        ))
    };
    let users = account
        .users
        .values()
        .filter(|user| user.attached.iter().any(|a| a == arn))
        .map(|user| named("UserName", &user.name, &user.id))
        .collect();
    let roles = account
        .roles
        .values()
        .filter(|role| role.attached.iter().any(|a| a == arn))
        .map(|role| named("RoleName", &role.name, &role.id))
        .collect();
    let groups = account
        .groups
        .values()
        .filter(|group| group.attached.iter().any(|a| a == arn))
        .map(|group| named("GroupName", &group.name, &group.id))
        .collect();
    Ok(Shape::new()
        .list("PolicyGroups", groups)
        .list("PolicyUsers", users)
        .list("PolicyRoles", roles)
        .text("IsTruncated", false))
}
