//! IAM groups, their members and inline policies.

use awslab_executor::resources::{self, ResourceRef};
use awslab_planner::kinds::{IamGroup, IamGroupMembership, IamGroupPolicy};
use awslab_policy::Principal;
use indexmap::IndexMap;

use super::{Adopted, WorldCx, allows_what_the_lab_does, aws_code};

async fn get_group(
    cx: &WorldCx<'_>,
    name: &str,
) -> Result<aws_sdk_iam::operation::get_group::GetGroupOutput, String> {
    let iam = awslab_executor::iam_client(cx.operator);
    match iam.get_group().group_name(name).send().await {
        Ok(answer) => Ok(answer),
        Err(error) if aws_code(&error) == "NoSuchEntity" => {
            Err(format!("the group `{name}` does not exist yet"))
        }
        Err(error) => Err(format!(
            "cannot read the group `{name}`: {}",
            aws_code(&error)
        )),
    }
}

pub(super) async fn group(cx: &WorldCx<'_>, spec: &IamGroup) -> Result<Adopted, String> {
    let name = cx.render(&spec.name.value)?;
    let answer = get_group(cx, &name).await?;
    let group = answer
        .group()
        .ok_or_else(|| "GetGroup answered without a group".to_owned())?;
    cx.made_during_run(
        &format!("the group `{name}`"),
        Some(group.create_date().secs()),
    )?;
    if let Some(path) = &spec.path {
        let wanted = cx.render(&path.value)?;
        if group.path() != wanted {
            return Err(format!(
                "the group `{name}` has the path `{}`, the lab's is `{wanted}`",
                group.path()
            ));
        }
    }
    Ok(Adopted {
        resources: vec![ResourceRef::IamGroup(resources::IamGroup {
            name: name.clone(),
            group_id: Some(group.group_id().to_owned()),
        })],
        outputs: IndexMap::from([
            ("name".to_owned(), name.clone()),
            ("arn".to_owned(), group.arn().to_owned()),
            ("group_id".to_owned(), group.group_id().to_owned()),
        ]),
        credentials: None,
        mfa_seed: None,
        note: format!("the group `{name}` exists ({})", group.group_id()),
    })
}

pub(super) async fn membership(
    cx: &WorldCx<'_>,
    spec: &IamGroupMembership,
) -> Result<Adopted, String> {
    let group = cx.render(&spec.group.value)?;
    let user = cx.render(&spec.user.value)?;
    let answer = get_group(cx, &group).await?;
    if !answer.users().iter().any(|u| u.user_name() == user) {
        return Err(format!(
            "the user `{user}` is not in the group `{group}` (aws iam add-user-to-group)"
        ));
    }
    Ok(Adopted {
        resources: vec![ResourceRef::IamGroupMembership(
            resources::IamGroupMembership {
                group: group.clone(),
                user: user.clone(),
            },
        )],
        outputs: IndexMap::from([
            ("group".to_owned(), group.clone()),
            ("user".to_owned(), user.clone()),
        ]),
        credentials: None,
        mfa_seed: None,
        note: format!("the user `{user}` is in the group `{group}`"),
    })
}

pub(super) async fn group_policy(
    cx: &WorldCx<'_>,
    spec: &IamGroupPolicy,
) -> Result<Adopted, String> {
    let group = cx.render(&spec.group.value)?;
    let name = cx.render(&spec.name.value)?;
    let iam = awslab_executor::iam_client(cx.operator);
    let answer = match iam
        .get_group_policy()
        .group_name(&group)
        .policy_name(&name)
        .send()
        .await
    {
        Ok(answer) => answer,
        Err(error) if aws_code(&error) == "NoSuchEntity" => {
            return Err(format!("the group `{group}` has no inline policy `{name}`"));
        }
        Err(error) => {
            return Err(format!(
                "cannot read the policy `{name}` of the group `{group}`: {}",
                aws_code(&error)
            ));
        }
    };
    allows_what_the_lab_does(
        cx,
        &format!("the policy `{name}` of the group `{group}`"),
        answer.policy_document(),
        &spec.document,
        &Principal::user(cx.account, "awslab-guide"),
    )?;
    Ok(Adopted {
        resources: vec![ResourceRef::IamGroupPolicy(resources::IamGroupPolicy {
            group: group.clone(),
            policy_name: name.clone(),
        })],
        outputs: IndexMap::from([
            ("group".to_owned(), group.clone()),
            ("name".to_owned(), name.clone()),
        ]),
        credentials: None,
        mfa_seed: None,
        note: format!("the policy `{name}` of the group `{group}` allows what the lab's does"),
    })
}
