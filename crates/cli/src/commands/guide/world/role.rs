//! IAM roles (trust policy, max session duration, path), their inline policies and
//! attachments, customer managed policies (the default version), and attachments to
//! users. Trust and permission policies are compared by evaluating them with
//! crates/policy, not as text.

use awslab_executor::resources::{self, ResourceRef};
use awslab_planner::kinds::{
    IamPolicy, IamRole, IamRolePolicy, IamRolePolicyAttachment, IamTrustPolicy,
    IamUserPolicyAttachment,
};
use awslab_planner::values::Document;
use awslab_policy::Principal;
use indexmap::IndexMap;

use super::{
    Adopted, WorldCx, allows_what_the_lab_does, aws_code, percent_decoded, plain_allows, strings,
};

/// The role as IAM has it, or what is wrong.
async fn get_role(cx: &WorldCx<'_>, name: &str) -> Result<aws_sdk_iam::types::Role, String> {
    let iam = awslab_executor::iam_client(cx.operator);
    match iam.get_role().role_name(name).send().await {
        Ok(answer) => answer
            .role()
            .cloned()
            .ok_or_else(|| "GetRole answered without a role".to_owned()),
        Err(error) if aws_code(&error) == "NoSuchEntity" => {
            Err(format!("the role `{name}` does not exist yet"))
        }
        Err(error) => Err(format!(
            "cannot read the role `{name}`: {}",
            aws_code(&error)
        )),
    }
}

/// Checks that the role's trust policy allows every principal the lab's allows, for
/// the lab's actions: "the trust policy of the role `R` does not name `ali`".
fn trusts_what_the_lab_does(
    cx: &WorldCx<'_>,
    role: &aws_sdk_iam::types::Role,
    wanted: &Document,
) -> Result<(), String> {
    let name = role.role_name();
    let text = percent_decoded(role.assume_role_policy_document().unwrap_or_default());
    let document = awslab_policy::PolicyDocument::parse(&text).map_err(|_| {
        format!("the trust policy of the role `{name}` is not a policy document awslab can read")
    })?;
    let wanted = wanted.json()?;
    let wanted = awslab_planner::template::render_json(&wanted, &mut |r| cx.lookup(r))?;
    for (principal, action) in trusted_pairs(&wanted) {
        let last = principal.rsplit(['/', ':']).next().unwrap_or(&principal);
        let account = awslab_policy::account_of_arn(&principal).unwrap_or_default();
        let who = if principal.ends_with(":root") {
            format!("the account {account}")
        } else {
            format!("`{last}`")
        };
        let caller = if principal.ends_with(".amazonaws.com") {
            Principal::service(&principal)
        } else if let Some(found) = Principal::from_arn(&principal) {
            found
        } else if principal.contains(":role/") && principal.matches('/').count() == 1 {
            // A role is trusted for its sessions.
            Principal::role_session(account, last, "awslab-guide")
        } else {
            continue;
        };
        let request = awslab_policy::Request::new(caller, &action, role.arn());
        let input = awslab_policy::EvaluationInput {
            resource_policy: Some(awslab_policy::NamedPolicy::new("trust", &document)),
            ..Default::default()
        };
        if !awslab_policy::evaluate(&input, &request).is_allowed() {
            return Err(format!(
                "the trust policy of the role `{name}` does not name {who} (the lab's allows `{action}` for `{principal}`)"
            ));
        }
    }
    Ok(())
}

/// The (principal, action) pairs the Allow statements of a trust policy name without
/// wildcards or conditions.
fn trusted_pairs(document: &serde_json::Value) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for statement in plain_allows(document) {
        let Some(principal) = statement.get("Principal") else {
            continue;
        };
        let mut principals = strings(principal.get("AWS"));
        principals.extend(strings(principal.get("Service")));
        for action in strings(statement.get("Action")) {
            if action.contains(['*', '?']) {
                continue;
            }
            for who in principals.iter().filter(|p| !p.contains(['*', '?'])) {
                pairs.push((who.clone(), action.clone()));
            }
        }
    }
    pairs
}

async fn attached_to_role(cx: &WorldCx<'_>, role: &str, arn: &str) -> Result<(), String> {
    let iam = awslab_executor::iam_client(cx.operator);
    let answer = iam
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(|e| {
            format!(
                "cannot list the policies of the role `{role}`: {}",
                aws_code(&e)
            )
        })?;
    if answer
        .attached_policies()
        .iter()
        .any(|p| p.policy_arn() == Some(arn))
    {
        Ok(())
    } else {
        Err(format!(
            "the policy `{arn}` is not attached to the role `{role}` (aws iam attach-role-policy)"
        ))
    }
}

async fn inline_of_role(
    cx: &WorldCx<'_>,
    role: &str,
    name: &str,
    wanted: &Document,
) -> Result<(), String> {
    let iam = awslab_executor::iam_client(cx.operator);
    let answer = match iam
        .get_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
    {
        Ok(answer) => answer,
        Err(error) if aws_code(&error) == "NoSuchEntity" => {
            return Err(format!("the role `{role}` has no inline policy `{name}`"));
        }
        Err(error) => {
            return Err(format!(
                "cannot read the policy `{name}` of the role `{role}`: {}",
                aws_code(&error)
            ));
        }
    };
    let session = Principal::role_session(cx.account, role, "awslab-guide");
    allows_what_the_lab_does(
        cx,
        &format!("the policy `{name}` of the role `{role}`"),
        answer.policy_document(),
        wanted,
        &session,
    )
}

pub(super) async fn role(cx: &WorldCx<'_>, spec: &IamRole) -> Result<Adopted, String> {
    let name = cx.render(&spec.name.value)?;
    let role = get_role(cx, &name).await?;
    cx.made_during_run(
        &format!("the role `{name}`"),
        Some(role.create_date().secs()),
    )?;
    trusts_what_the_lab_does(cx, &role, &spec.trust_policy)?;
    if let Some(duration) = &spec.max_session_duration {
        let wanted = i64::try_from(duration.value.seconds()).unwrap_or(i64::MAX);
        let given = i64::from(role.max_session_duration().unwrap_or(3600));
        if given != wanted {
            return Err(format!(
                "the role `{name}` allows sessions of {given} seconds, the lab's {wanted} (--max-session-duration {wanted})"
            ));
        }
    }
    if let Some(path) = &spec.path {
        let wanted = cx.render(&path.value)?;
        if role.path() != wanted {
            return Err(format!(
                "the role `{name}` has the path `{}`, the lab's is `{wanted}`",
                role.path()
            ));
        }
    }
    let mut resources = vec![ResourceRef::IamRole(resources::IamRole {
        name: name.clone(),
        role_id: Some(role.role_id().to_owned()),
    })];
    for (policy_name, document) in &spec.policies {
        let policy_name = cx.render(policy_name)?;
        inline_of_role(cx, &name, &policy_name, document).await?;
        resources.push(ResourceRef::IamRolePolicy(resources::IamRolePolicy {
            role: name.clone(),
            policy_name,
        }));
    }
    for arn in &spec.managed_policies {
        let arn = cx.render(&arn.value)?;
        attached_to_role(cx, &name, &arn).await?;
        resources.push(ResourceRef::IamRolePolicyAttachment(
            resources::IamRolePolicyAttachment {
                role: name.clone(),
                policy_arn: arn,
            },
        ));
    }
    Ok(Adopted {
        resources,
        outputs: IndexMap::from([
            ("name".to_owned(), name.clone()),
            ("arn".to_owned(), role.arn().to_owned()),
            ("role_id".to_owned(), role.role_id().to_owned()),
        ]),
        credentials: None,
        mfa_seed: None,
        note: format!(
            "the role `{name}` exists ({}) and trusts whom the lab's does",
            role.role_id()
        ),
    })
}

/// A trust policy set by hand is not journaled: the role it belongs to is (deleting
/// the role removes it), and the policy it replaced is not known.
pub(super) async fn trust_policy(
    cx: &WorldCx<'_>,
    spec: &IamTrustPolicy,
) -> Result<Adopted, String> {
    let name = cx.render(&spec.role.value)?;
    let role = get_role(cx, &name).await?;
    trusts_what_the_lab_does(cx, &role, &spec.document)?;
    Ok(Adopted {
        resources: Vec::new(),
        outputs: IndexMap::from([("role".to_owned(), name.clone())]),
        credentials: None,
        mfa_seed: None,
        note: format!("the trust policy of the role `{name}` trusts whom the lab's does"),
    })
}

pub(super) async fn role_policy(cx: &WorldCx<'_>, spec: &IamRolePolicy) -> Result<Adopted, String> {
    let role = cx.render(&spec.role.value)?;
    let name = cx.render(&spec.name.value)?;
    inline_of_role(cx, &role, &name, &spec.document).await?;
    Ok(Adopted {
        resources: vec![ResourceRef::IamRolePolicy(resources::IamRolePolicy {
            role: role.clone(),
            policy_name: name.clone(),
        })],
        outputs: IndexMap::from([
            ("role".to_owned(), role.clone()),
            ("name".to_owned(), name.clone()),
        ]),
        credentials: None,
        mfa_seed: None,
        note: format!("the policy `{name}` of the role `{role}` allows what the lab's does"),
    })
}

pub(super) async fn managed_policy(cx: &WorldCx<'_>, spec: &IamPolicy) -> Result<Adopted, String> {
    let name = cx.render(&spec.name.value)?;
    let path = match &spec.path {
        Some(path) => cx.render(&path.value)?,
        None => "/".to_owned(),
    };
    let arn = format!("arn:aws:iam::{}:policy{path}{name}", cx.account);
    let iam = awslab_executor::iam_client(cx.operator);
    let policy = match iam.get_policy().policy_arn(&arn).send().await {
        Ok(answer) => answer
            .policy()
            .cloned()
            .ok_or("GetPolicy answered without a policy")?,
        Err(error) if aws_code(&error) == "NoSuchEntity" => {
            return Err(format!("the managed policy `{arn}` does not exist yet"));
        }
        Err(error) => {
            return Err(format!(
                "cannot read the policy `{arn}`: {}",
                aws_code(&error)
            ));
        }
    };
    cx.made_during_run(
        &format!("the policy `{name}`"),
        policy
            .create_date()
            .map(aws_sdk_iam::primitives::DateTime::secs),
    )?;
    let version = policy.default_version_id().unwrap_or("v1");
    let document = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id(version)
        .send()
        .await
        .map_err(|e| {
            format!(
                "cannot read the policy `{arn}` ({version}): {}",
                aws_code(&e)
            )
        })?
        .policy_version()
        .and_then(|v| v.document().map(str::to_owned))
        .unwrap_or_default();
    allows_what_the_lab_does(
        cx,
        &format!("the default version ({version}) of the policy `{name}`"),
        &document,
        &spec.document,
        &Principal::user(cx.account, "awslab-guide"),
    )?;
    let policy_id = policy.policy_id().map(str::to_owned);
    Ok(Adopted {
        resources: vec![ResourceRef::IamPolicy(resources::IamPolicy {
            arn: arn.clone(),
            policy_id: policy_id.clone(),
        })],
        outputs: IndexMap::from([
            ("name".to_owned(), name.clone()),
            ("arn".to_owned(), arn.clone()),
        ]),
        credentials: None,
        mfa_seed: None,
        note: format!(
            "the policy `{name}` exists ({}) and allows what the lab's does",
            policy_id.unwrap_or_default()
        ),
    })
}

pub(super) async fn role_attachment(
    cx: &WorldCx<'_>,
    spec: &IamRolePolicyAttachment,
) -> Result<Adopted, String> {
    let role = cx.render(&spec.role.value)?;
    let arn = cx.render(&spec.policy_arn.value)?;
    attached_to_role(cx, &role, &arn).await?;
    Ok(Adopted {
        resources: vec![ResourceRef::IamRolePolicyAttachment(
            resources::IamRolePolicyAttachment {
                role: role.clone(),
                policy_arn: arn.clone(),
            },
        )],
        outputs: IndexMap::from([
            ("role".to_owned(), role.clone()),
            ("policy_arn".to_owned(), arn.clone()),
        ]),
        credentials: None,
        mfa_seed: None,
        note: format!("the policy `{arn}` is attached to the role `{role}`"),
    })
}

pub(super) async fn user_attachment(
    cx: &WorldCx<'_>,
    spec: &IamUserPolicyAttachment,
) -> Result<Adopted, String> {
    let user = cx.render(&spec.user.value)?;
    let arn = cx.render(&spec.policy_arn.value)?;
    let iam = awslab_executor::iam_client(cx.operator);
    let answer = iam
        .list_attached_user_policies()
        .user_name(&user)
        .send()
        .await
        .map_err(|e| {
            format!(
                "cannot list the policies of the user `{user}`: {}",
                aws_code(&e)
            )
        })?;
    if !answer
        .attached_policies()
        .iter()
        .any(|p| p.policy_arn() == Some(arn.as_str()))
    {
        return Err(format!(
            "the policy `{arn}` is not attached to the user `{user}` (aws iam attach-user-policy)"
        ));
    }
    Ok(Adopted {
        resources: vec![ResourceRef::IamUserPolicyAttachment(
            resources::IamUserPolicyAttachment {
                user: user.clone(),
                policy_arn: arn.clone(),
            },
        )],
        outputs: IndexMap::from([
            ("user".to_owned(), user.clone()),
            ("policy_arn".to_owned(), arn.clone()),
        ]),
        credentials: None,
        mfa_seed: None,
        note: format!("the policy `{arn}` is attached to the user `{user}`"),
    })
}

#[cfg(test)]
mod tests {
    use super::trusted_pairs;

    #[test]
    fn trusted_pairs_name_each_principal_and_action_without_wildcards() {
        let document = serde_json::json!({
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:user/ali", "*"]},
                 "Action": ["sts:AssumeRole", "sts:*"]},
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                 "Action": "sts:AssumeRole"},
                {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::1:user/bob"},
                 "Action": "sts:AssumeRole"},
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:user/eve"},
                 "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
            ]
        });
        assert_eq!(
            trusted_pairs(&document),
            vec![
                (
                    "arn:aws:iam::1:user/ali".to_owned(),
                    "sts:AssumeRole".to_owned()
                ),
                ("ec2.amazonaws.com".to_owned(), "sts:AssumeRole".to_owned()),
            ]
        );
    }
}
