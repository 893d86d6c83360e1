//! IAM users and their inline policies.

use awslab_executor::resources::{self, ResourceRef};
use indexmap::IndexMap;
use std::fmt::Write as _;

use super::{Adopted, WorldCx, allowed_pairs, aws_code, percent_decoded};

pub(super) async fn iam_user(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::IamUser,
) -> Result<Adopted, String> {
    let name = cx.render(&spec.name.value)?;
    let iam = awslab_executor::iam_client(cx.operator);
    let user = match iam.get_user().user_name(&name).send().await {
        Ok(answer) => answer
            .user()
            .cloned()
            .ok_or("GetUser answered without a user")?,
        Err(error) if aws_code(&error) == "NoSuchEntity" => {
            return Err(format!("the user `{name}` does not exist yet"));
        }
        Err(error) => {
            return Err(format!(
                "cannot read the user `{name}`: {}",
                aws_code(&error)
            ));
        }
    };
    cx.made_during_run(
        &format!("the user `{name}`"),
        Some(user.create_date().secs()),
    )?;
    let mut resources = vec![ResourceRef::IamUser(resources::IamUser {
        name: name.clone(),
        user_id: Some(user.user_id().to_owned()),
    })];
    let mut outputs = IndexMap::from([
        ("name".to_owned(), name.clone()),
        ("arn".to_owned(), user.arn().to_owned()),
        ("user_id".to_owned(), user.user_id().to_owned()),
    ]);
    let mut credentials = None;
    let mut note = format!("the user `{name}` exists ({})", user.user_id());
    if spec.access_key {
        let keys = iam
            .list_access_keys()
            .user_name(&name)
            .send()
            .await
            .map_err(|e| format!("cannot list the access keys of `{name}`: {}", aws_code(&e)))?;
        let ids: Vec<String> = keys
            .access_key_metadata()
            .iter()
            .filter_map(|k| k.access_key_id().map(str::to_owned))
            .collect();
        if ids.is_empty() {
            return Err(format!("the user `{name}` exists but has no access key"));
        }
        let exported = cx.exported_credentials(false)?;
        if !ids.contains(&exported.access_key_id) {
            return Err(format!(
                "the exported access key is not one of the user `{name}`'s keys"
            ));
        }
        let arn = cx.caller_arn(&exported).await?;
        if arn != user.arn() {
            return Err(format!(
                "the exported access key acts as `{arn}`, not as the user `{name}`"
            ));
        }
        resources.push(ResourceRef::IamAccessKey(resources::IamAccessKey {
            user: name.clone(),
            access_key_id: exported.access_key_id.clone(),
        }));
        outputs.insert("access_key_id".to_owned(), exported.access_key_id.clone());
        let _ = write!(note, " with the access key {}", exported.access_key_id);
        credentials = Some(exported);
    }
    Ok(Adopted {
        resources,
        outputs,
        credentials,
        mfa_seed: None,
        note,
    })
}

pub(super) async fn user_policy(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::IamUserPolicy,
) -> Result<Adopted, String> {
    let user = cx.render(&spec.user.value)?;
    let name = cx.render(&spec.name.value)?;
    let iam = awslab_executor::iam_client(cx.operator);
    let answer = match iam
        .get_user_policy()
        .user_name(&user)
        .policy_name(&name)
        .send()
        .await
    {
        Ok(answer) => answer,
        Err(error) if aws_code(&error) == "NoSuchEntity" => {
            return Err(format!("the user `{user}` has no inline policy `{name}`"));
        }
        Err(error) => {
            return Err(format!(
                "cannot read the policy `{name}` of `{user}`: {}",
                aws_code(&error)
            ));
        }
    };
    let text = percent_decoded(answer.policy_document());
    let document = awslab_policy::PolicyDocument::parse(&text).map_err(|_| {
        format!("the policy `{name}` of `{user}` is not a policy document awslab can read")
    })?;
    let wanted = spec.document.json()?;
    let wanted = awslab_planner::template::render_json(&wanted, &mut |r| cx.lookup(r))?;
    for (action, resource) in allowed_pairs(&wanted) {
        // The identity policy alone is asked: a resource of another account (a
        // cross-account lab's role) is taken as the caller's, whose own policy is
        // what this step puts.
        let request = awslab_policy::Request::new(
            awslab_policy::Principal::user(cx.account, &user),
            &action,
            &resource,
        )
        .with_resource_account(cx.account);
        let input = awslab_policy::EvaluationInput {
            identity_policies: vec![awslab_policy::NamedPolicy::new(&name, &document)],
            ..Default::default()
        };
        if !awslab_policy::evaluate(&input, &request).is_allowed() {
            return Err(format!(
                "the policy `{name}` of `{user}` does not allow `{action}` on `{resource}`"
            ));
        }
    }
    Ok(Adopted {
        resources: vec![ResourceRef::IamUserPolicy(resources::IamUserPolicy {
            user: user.clone(),
            policy_name: name.clone(),
        })],
        outputs: IndexMap::from([
            ("user".to_owned(), user.clone()),
            ("name".to_owned(), name.clone()),
        ]),
        credentials: None,
        mfa_seed: None,
        note: format!("the policy `{name}` of `{user}` allows what the lab's does"),
    })
}

pub(super) async fn access_key(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::IamAccessKey,
) -> Result<Adopted, String> {
    let user = cx.render(&spec.user.value)?;
    let iam = awslab_executor::iam_client(cx.operator);
    let keys = match iam.list_access_keys().user_name(&user).send().await {
        Ok(keys) => keys,
        Err(error) if aws_code(&error) == "NoSuchEntity" => {
            return Err(format!("the user `{user}` does not exist yet"));
        }
        Err(error) => {
            return Err(format!(
                "cannot list the access keys of `{user}`: {}",
                aws_code(&error)
            ));
        }
    };
    let ids: Vec<&str> = keys
        .access_key_metadata()
        .iter()
        .filter_map(|k| k.access_key_id())
        .collect();
    if ids.is_empty() {
        return Err(format!("the user `{user}` has no access key yet"));
    }
    let exported = cx.exported_credentials(false)?;
    if !ids.contains(&exported.access_key_id.as_str()) {
        return Err(format!(
            "the exported access key is not one of the user `{user}`'s keys"
        ));
    }
    let arn = cx.caller_arn(&exported).await?;
    if !arn.ends_with(&format!(":user/{user}")) && !arn.ends_with(&format!("/{user}")) {
        return Err(format!(
            "the exported access key acts as `{arn}`, not as the user `{user}`"
        ));
    }
    let id = exported.access_key_id.clone();
    Ok(Adopted {
        resources: vec![ResourceRef::IamAccessKey(resources::IamAccessKey {
            user: user.clone(),
            access_key_id: id.clone(),
        })],
        outputs: IndexMap::from([
            ("user".to_owned(), user.clone()),
            ("access_key_id".to_owned(), id.clone()),
        ]),
        credentials: Some(exported),
        mfa_seed: None,
        note: format!("the user `{user}` has the access key {id}"),
    })
}
