//! IAM step kinds: users and access keys, inline and managed policies for users and
//! roles, roles with their trust policy, and trust-policy updates.

use aws_sdk_iam::types::Tag;
use awslab_planner::StepId;
use awslab_planner::kinds::{
    IamPolicy, IamRole, IamTrustPolicy, IamUser, IamUserPolicy, IamUserPolicyAttachment,
};
use awslab_planner::values::Document;

use super::{create, describe, outputs};
use crate::classify::ErrorClass;
use crate::client::{iam_client, sts_client};
use crate::engine::{Engine, RUN_TAG, StepResult};
use crate::journal::ResourceRef;
use crate::scheduler::StepContext;
use crate::secrets::{Secret, StepCredentials};

/// The run's tag and the step's own tags, rendered.
fn tags(
    engine: &Engine,
    extra: &indexmap::IndexMap<String, awslab_planner::values::Text>,
) -> StepResult<Vec<Tag>> {
    let mut tags = vec![run_tag(engine)?];
    for (key, value) in extra {
        tags.push(
            Tag::builder()
                .key(key)
                .value(engine.render(&value.value)?)
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(tags)
}

fn run_tag(engine: &Engine) -> StepResult<Tag> {
    Tag::builder()
        .key(RUN_TAG)
        .value(engine.options.run_id.to_string())
        .build()
        .map_err(|e| e.to_string())
}

pub async fn user(
    engine: &Engine,
    id: &StepId,
    spec: &IamUser,
    context: &StepContext<StepId>,
) -> StepResult<()> {
    let iam = iam_client(engine.operator());
    let name = engine.render(&spec.name.value)?;
    let request = iam
        .create_user()
        .user_name(&name)
        .set_path(engine.render_opt(spec.path.as_ref())?)
        .set_tags(Some(tags(engine, &spec.tags)?));
    let resource = ResourceRef::IamUser { name: name.clone() };
    let answer = create(engine, id, &resource, request.send()).await?;
    let user = answer.user().ok_or("CreateUser answered without a user")?;
    let out = outputs([
        ("name", name.clone()),
        ("arn", user.arn().to_owned()),
        ("user_id", user.user_id().to_owned()),
    ]);
    engine.created(id, &resource, out.clone()).await?;
    engine.set_outputs(id, out);
    if spec.access_key {
        access_key(engine, id, &name, context).await?;
    }
    Ok(())
}

/// Creates an access key, stores it, and waits until STS accepts it.
pub async fn access_key(
    engine: &Engine,
    id: &StepId,
    user: &str,
    context: &StepContext<StepId>,
) -> StepResult<String> {
    let iam = iam_client(engine.operator());
    let user = engine.render(user)?;
    let pending = ResourceRef::IamAccessKey {
        user: user.clone(),
        access_key_id: String::new(),
    };
    let answer = create(
        engine,
        id,
        &pending,
        iam.create_access_key().user_name(&user).send(),
    )
    .await?;
    let key = answer
        .access_key()
        .ok_or("CreateAccessKey answered without a key")?;
    let key_id = key.access_key_id().to_owned();
    let credentials = StepCredentials {
        access_key_id: key_id.clone(),
        secret_access_key: Secret::new(key.secret_access_key()),
        session_token: None,
        expiration: None,
    };
    engine.store_credentials(id, credentials)?;
    let resource = ResourceRef::IamAccessKey {
        user: user.clone(),
        access_key_id: key_id.clone(),
    };
    let out = outputs([("access_key_id", key_id.clone()), ("user", user)]);
    engine.created(id, &resource, out.clone()).await?;
    engine.set_outputs(id, out);
    wait_for_credentials(engine, id, context).await?;
    Ok(key_id)
}

/// Waits until STS recognizes the step's new credentials (a new key answers
/// `InvalidClientTokenId` for a while on AWS).
pub async fn wait_for_credentials(
    engine: &Engine,
    id: &StepId,
    context: &StepContext<StepId>,
) -> StepResult<()> {
    let config = engine.identity(Some(id.as_str()))?;
    let sts = sts_client(&config);
    engine
        .settle(id, context, "waiting for the new credentials", || async {
            match sts.get_caller_identity().send().await {
                Ok(_) => Ok(Ok(())),
                Err(error) => {
                    let (info, message) = describe("GetCallerIdentity", &error);
                    match info.class() {
                        ErrorClass::Propagating | ErrorClass::Retryable => Ok(Err(format!(
                            "not accepted yet ({})",
                            info.code.unwrap_or_default()
                        ))),
                        _ => Err(message),
                    }
                }
            }
        })
        .await
}

pub async fn user_policy(engine: &Engine, id: &StepId, spec: &IamUserPolicy) -> StepResult<()> {
    let iam = iam_client(engine.operator());
    let user = engine.render(&spec.user.value)?;
    let name = engine.render(&spec.name.value)?;
    let document = engine.render_document(&spec.document)?;
    let resource = ResourceRef::IamUserPolicy {
        user: user.clone(),
        policy_name: name.clone(),
    };
    create(
        engine,
        id,
        &resource,
        iam.put_user_policy()
            .user_name(&user)
            .policy_name(&name)
            .policy_document(document)
            .send(),
    )
    .await?;
    let out = outputs([("user", user), ("name", name)]);
    engine.created(id, &resource, out.clone()).await?;
    engine.set_outputs(id, out);
    Ok(())
}

pub async fn user_policy_attachment(
    engine: &Engine,
    id: &StepId,
    spec: &IamUserPolicyAttachment,
) -> StepResult<()> {
    let iam = iam_client(engine.operator());
    let user = engine.render(&spec.user.value)?;
    let arn = engine.render(&spec.policy_arn.value)?;
    let resource = ResourceRef::IamUserPolicyAttachment {
        user: user.clone(),
        policy_arn: arn.clone(),
    };
    create(
        engine,
        id,
        &resource,
        iam.attach_user_policy()
            .user_name(&user)
            .policy_arn(&arn)
            .send(),
    )
    .await?;
    let out = outputs([("user", user), ("policy_arn", arn)]);
    engine.created(id, &resource, out.clone()).await?;
    engine.set_outputs(id, out);
    Ok(())
}

pub async fn role(engine: &Engine, id: &StepId, spec: &IamRole) -> StepResult<()> {
    let iam = iam_client(engine.operator());
    let name = engine.render(&spec.name.value)?;
    let trust = engine.render_document(&spec.trust_policy)?;
    let request = iam
        .create_role()
        .role_name(&name)
        .assume_role_policy_document(trust)
        .set_description(engine.render_opt(spec.description.as_ref())?)
        .set_path(engine.render_opt(spec.path.as_ref())?)
        .set_max_session_duration(
            spec.max_session_duration
                .as_ref()
                .map(|d| i32::try_from(d.value.seconds()).unwrap_or(i32::MAX)),
        )
        .set_tags(Some(tags(engine, &spec.tags)?));
    let resource = ResourceRef::IamRole { name: name.clone() };
    let answer = create(engine, id, &resource, request.send()).await?;
    let role = answer.role().ok_or("CreateRole answered without a role")?;
    let out = outputs([
        ("name", name.clone()),
        ("arn", role.arn().to_owned()),
        ("role_id", role.role_id().to_owned()),
    ]);
    engine.created(id, &resource, out.clone()).await?;
    engine.set_outputs(id, out);
    for (policy_name, document) in &spec.policies {
        role_policy(engine, id, &name, policy_name, document).await?;
    }
    for arn in &spec.managed_policies {
        role_policy_attachment(engine, id, &name, &arn.value).await?;
    }
    Ok(())
}

pub async fn role_policy(
    engine: &Engine,
    id: &StepId,
    role: &str,
    name: &str,
    document: &Document,
) -> StepResult<()> {
    let iam = iam_client(engine.operator());
    let role = engine.render(role)?;
    let name = engine.render(name)?;
    let document = engine.render_document(document)?;
    let resource = ResourceRef::IamRolePolicy {
        role: role.clone(),
        policy_name: name.clone(),
    };
    create(
        engine,
        id,
        &resource,
        iam.put_role_policy()
            .role_name(&role)
            .policy_name(&name)
            .policy_document(document)
            .send(),
    )
    .await?;
    engine
        .created(id, &resource, indexmap::IndexMap::new())
        .await?;
    engine.set_outputs(id, outputs([("role", role), ("name", name)]));
    Ok(())
}

pub async fn role_policy_attachment(
    engine: &Engine,
    id: &StepId,
    role: &str,
    arn: &str,
) -> StepResult<()> {
    let iam = iam_client(engine.operator());
    let role = engine.render(role)?;
    let arn = engine.render(arn)?;
    let resource = ResourceRef::IamRolePolicyAttachment {
        role: role.clone(),
        policy_arn: arn.clone(),
    };
    create(
        engine,
        id,
        &resource,
        iam.attach_role_policy()
            .role_name(&role)
            .policy_arn(&arn)
            .send(),
    )
    .await?;
    engine
        .created(id, &resource, indexmap::IndexMap::new())
        .await?;
    engine.set_outputs(id, outputs([("role", role), ("policy_arn", arn)]));
    Ok(())
}

pub async fn managed_policy(engine: &Engine, id: &StepId, spec: &IamPolicy) -> StepResult<()> {
    let iam = iam_client(engine.operator());
    let name = engine.render(&spec.name.value)?;
    let document = engine.render_document(&spec.document)?;
    let path = engine
        .render_opt(spec.path.as_ref())?
        .unwrap_or_else(|| "/".to_owned());
    let predicted = format!("arn:aws:iam::{}:policy{path}{name}", engine.options.account);
    let pending = ResourceRef::IamPolicy { arn: predicted };
    let request = iam
        .create_policy()
        .policy_name(&name)
        .policy_document(document)
        .set_description(engine.render_opt(spec.description.as_ref())?)
        .path(path)
        .tags(run_tag(engine)?);
    let answer = create(engine, id, &pending, request.send()).await?;
    let arn = answer
        .policy()
        .and_then(|p| p.arn())
        .ok_or("CreatePolicy answered without an ARN")?
        .to_owned();
    let out = outputs([("name", name), ("arn", arn.clone())]);
    engine
        .created(id, &ResourceRef::IamPolicy { arn }, out.clone())
        .await?;
    engine.set_outputs(id, out);
    Ok(())
}

pub async fn trust_policy(engine: &Engine, id: &StepId, spec: &IamTrustPolicy) -> StepResult<()> {
    let iam = iam_client(engine.operator());
    let role = engine.render(&spec.role.value)?;
    let document = engine.render_document(&spec.document)?;
    let current = iam
        .get_role()
        .role_name(&role)
        .send()
        .await
        .map_err(|e| describe(&format!("cannot read role `{role}`"), &e).1)?;
    let previous = current
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .map(decode_policy)
        .unwrap_or_default();
    let resource = ResourceRef::IamRoleTrustPolicy {
        role: role.clone(),
        previous_document: previous,
    };
    create(
        engine,
        id,
        &resource,
        iam.update_assume_role_policy()
            .role_name(&role)
            .policy_document(document)
            .send(),
    )
    .await?;
    let out = outputs([("role", role)]);
    engine.created(id, &resource, out.clone()).await?;
    engine.set_outputs(id, out);
    Ok(())
}

/// IAM returns policy documents URL-encoded.
pub fn decode_policy(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}
