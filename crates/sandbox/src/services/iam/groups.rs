//! IAM groups: membership, inline group policies and attached managed policies (which
//! apply to every member), and the `DeleteConflict` rules around them.

use super::{documents, inline};

use super::{account, account_mut, check_name, check_path, page, with_marker};
use crate::auth::Caller;
use crate::ids;
use crate::services::{ApiError, Check, Input, Operation, Shape, Value, timestamp};
use crate::state::World;
use crate::state::world::Group;

pub(super) const OPERATIONS: &[Operation] = &[
    Operation {
        name: "CreateGroup",
        mutates: true,
        checks: |input, world, caller| group_check("iam:CreateGroup", input, world, caller),
        run: create_group,
    },
    Operation {
        name: "GetGroup",
        mutates: false,
        checks: |input, world, caller| group_check("iam:GetGroup", input, world, caller),
        run: get_group,
    },
    Operation {
        name: "ListGroups",
        mutates: false,
        checks: |input, _, caller| {
            Ok(vec![Check::new(
                "iam:ListGroups",
                super::listed("group", input, caller),
            )])
        },
        run: list_groups,
    },
    Operation {
        name: "DeleteGroup",
        mutates: true,
        checks: |input, world, caller| group_check("iam:DeleteGroup", input, world, caller),
        run: delete_group,
    },
    Operation {
        name: "AddUserToGroup",
        mutates: true,
        checks: |input, world, caller| group_check("iam:AddUserToGroup", input, world, caller),
        run: |input, world, caller| membership(input, world, caller, true),
    },
    Operation {
        name: "RemoveUserFromGroup",
        mutates: true,
        checks: |input, world, caller| group_check("iam:RemoveUserFromGroup", input, world, caller),
        run: |input, world, caller| membership(input, world, caller, false),
    },
    Operation {
        name: "ListGroupsForUser",
        mutates: false,
        checks: |input, world, caller| {
            super::users::user_check("iam:ListGroupsForUser", input, world, caller)
        },
        run: list_groups_for_user,
    },
    Operation {
        name: "PutGroupPolicy",
        mutates: true,
        checks: |input, world, caller| group_check("iam:PutGroupPolicy", input, world, caller),
        run: put_group_policy,
    },
    Operation {
        name: "GetGroupPolicy",
        mutates: false,
        checks: |input, world, caller| group_check("iam:GetGroupPolicy", input, world, caller),
        run: get_group_policy,
    },
    Operation {
        name: "DeleteGroupPolicy",
        mutates: true,
        checks: |input, world, caller| group_check("iam:DeleteGroupPolicy", input, world, caller),
        run: delete_group_policy,
    },
    Operation {
        name: "ListGroupPolicies",
        mutates: false,
        checks: |input, world, caller| group_check("iam:ListGroupPolicies", input, world, caller),
        run: list_group_policies,
    },
    Operation {
        name: "AttachGroupPolicy",
        mutates: true,
        checks: |input, world, caller| group_check("iam:AttachGroupPolicy", input, world, caller),
        run: |input, world, caller| attach(input, world, caller, true),
    },
    Operation {
        name: "DetachGroupPolicy",
        mutates: true,
        checks: |input, world, caller| group_check("iam:DetachGroupPolicy", input, world, caller),
        run: |input, world, caller| attach(input, world, caller, false),
    },
];

fn group_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:group{path}{name}")
}

fn group_check(
    action: &str,
    input: &Input,
    world: &World,
    caller: &Caller,
) -> Result<Vec<Check>, ApiError> {
    let name = input.required("GroupName")?;
    let path = account(world, caller)?
        .groups
        .get(&name.to_ascii_lowercase())
        .map_or_else(
            || input.get("Path").unwrap_or("/").to_owned(),
            |group| group.path.clone(),
        );
    Ok(vec![Check::new(
        action,
        group_arn(&caller.account, &path, name),
    )])
}

fn no_such_group(name: &str) -> ApiError {
    ApiError::no_such_entity(format!("The group with name {name} cannot be found."))
}

fn group_shape(group: &Group) -> Shape {
    Shape::new()
        .text("Path", &group.path)
        .text("GroupName", &group.name)
        .text("GroupId", &group.id)
        .text("Arn", &group.arn)
        .text("CreateDate", timestamp(group.created))
}

fn find<'w>(world: &'w World, input: &Input, caller: &Caller) -> Result<&'w Group, ApiError> {
    let raw = input.required("GroupName")?;
    account(world, caller)?
        .groups
        .get(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_group(raw))
}

fn find_mut<'w>(
    world: &'w mut World,
    input: &Input,
    caller: &Caller,
) -> Result<&'w mut Group, ApiError> {
    let raw = input.required("GroupName")?;
    account_mut(world, caller)?
        .groups
        .get_mut(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_group(raw))
}

fn create_group(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let name = check_name(input, "GroupName", 128)?;
    let path = check_path(input)?;
    let now = world.now();
    let account = account_mut(world, caller)?;
    if account.groups.contains_key(&name.to_ascii_lowercase()) {
        return Err(ApiError::already_exists(format!(
            "Group with name {name} already exists."
        )));
    }
    let group = Group {
        arn: group_arn(&account.id, &path, &name),
        name: name.clone(),
        path,
        id: ids::unique_id("AGPA"),
        created: now,
        ..Group::default()
    };
    let shape = Shape::new().child("Group", group_shape(&group));
    account.groups.insert(name.to_ascii_lowercase(), group);
    Ok(shape)
}

fn get_group(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let group = find(world, input, caller)?;
    let account = account(world, caller)?;
    let users = group
        .members
        .iter()
        .filter_map(|member| account.users.get(member))
        .map(|user| Value::Struct(super::users::user_shape(user)))
        .collect();
    Ok(Shape::new()
        .child("Group", group_shape(group))
        .list("Users", users)
        .text("IsTruncated", false))
}

fn list_groups(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let prefix = input.get("PathPrefix").unwrap_or("/");
    let groups = account(world, caller)?
        .groups
        .values()
        .filter(|group| group.path.starts_with(prefix))
        .map(|group| Value::Struct(group_shape(group)))
        .collect();
    let (groups, next) = page(input, groups)?;
    Ok(with_marker(Shape::new().list("Groups", groups), next))
}

fn delete_group(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let group = find(world, input, caller)?;
    if !group.members.is_empty() {
        return Err(ApiError::delete_conflict(
            "Cannot delete entity, must remove users from group first.",
        ));
    }
    if !group.inline_policies.is_empty() {
        return Err(ApiError::delete_conflict(
            "Cannot delete entity, must delete policies first.",
        ));
    }
    if !group.attached.is_empty() {
        return Err(ApiError::delete_conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    let key = group.name.to_ascii_lowercase();
    account_mut(world, caller)?.groups.remove(&key);
    Ok(Shape::new())
}

fn membership(
    input: &Input,
    world: &mut World,
    caller: &Caller,
    add: bool,
) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let user = raw.to_ascii_lowercase();
    if !account(world, caller)?.users.contains_key(&user) {
        return Err(ApiError::no_such_entity(format!(
            "The user with name {raw} cannot be found."
        )));
    }
    let times = inline::times(world);
    let group = find_mut(world, input, caller)?;
    if add {
        if !group.members.contains(&user) {
            inline::attach(&mut group.pending_members, &user, times);
            group.members.push(user);
        }
    } else if group.members.contains(&user) {
        group.members.retain(|member| *member != user);
        group.pending_members.remove(&user);
    } else {
        return Err(ApiError::no_such_entity(format!(
            "The user with name {raw} cannot be found in the group."
        )));
    }
    Ok(Shape::new())
}

fn list_groups_for_user(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let user = raw.to_ascii_lowercase();
    let account = account(world, caller)?;
    if !account.users.contains_key(&user) {
        return Err(ApiError::no_such_entity(format!(
            "The user with name {raw} cannot be found."
        )));
    }
    let groups = account
        .groups
        .values()
        .filter(|group| group.members.contains(&user))
        .map(|group| Value::Struct(group_shape(group)))
        .collect();
    let (groups, next) = page(input, groups)?;
    Ok(with_marker(Shape::new().list("Groups", groups), next))
}

fn put_group_policy(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let checked = inline::checked(input, world, &documents::GROUP_INLINE)?;
    let times = inline::times(world);
    let group = find_mut(world, input, caller)?;
    documents::fits_inline(
        &documents::GROUP_INLINE,
        &group.inline_policies,
        &checked,
        &group.name,
    )?;
    inline::put(
        &mut group.inline_policies,
        &mut group.pending_inline,
        checked,
        times,
    );
    Ok(Shape::new())
}

fn get_group_policy(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let group = find(world, input, caller)?;
    inline::get(
        input,
        "group",
        "GroupName",
        &group.name,
        &group.inline_policies,
    )
}

fn delete_group_policy(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let group = find_mut(world, input, caller)?;
    inline::delete(
        input,
        "group",
        &mut group.inline_policies,
        &mut group.pending_inline,
    )
}

fn list_group_policies(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    inline::list(input, &find(world, input, caller)?.inline_policies)
}

fn attach(
    input: &Input,
    world: &mut World,
    caller: &Caller,
    attach: bool,
) -> Result<Shape, ApiError> {
    let arn = input.required("PolicyArn")?.to_owned();
    let known = account(world, caller)?.policies.contains_key(&arn)
        || crate::services::managed::find(&arn).is_some();
    let times = inline::times(world);
    let group = find_mut(world, input, caller)?;
    if attach {
        if !known {
            return Err(ApiError::no_such_entity(format!(
                "Policy {arn} does not exist or is not attachable."
            )));
        }
        if !group.attached.contains(&arn) {
            inline::attach(&mut group.pending_attached, &arn, times);
            group.attached.push(arn);
        }
    } else if group.attached.contains(&arn) {
        group.attached.retain(|existing| *existing != arn);
        group.pending_attached.remove(&arn);
    } else {
        return Err(ApiError::no_such_entity(format!(
            "Policy {arn} was not found."
        )));
    }
    Ok(Shape::new())
}
