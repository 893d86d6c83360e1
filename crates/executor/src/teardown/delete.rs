//! Deleting one resource of a run, with what AWS requires gone first: access keys,
//! inline and attached policies and login profile before a user; policies and
//! instance profiles before a role; attachments and old versions before a managed
//! policy. "Not found" counts as done.

use std::time::Duration;

use aws_config::SdkConfig;

use crate::classify::ErrorClass;
use crate::client::{cloudformation_client, iam_client, s3_client};
use crate::journal::{LiveResource, ResourceRef};
use crate::profile_files::remove_profile;
use crate::steps::{delete_stack, describe, unless_not_found};

#[expect(clippy::too_many_lines, reason = "one arm per kind of resource")]
pub(super) async fn delete(
    operator: &SdkConfig,
    live: &LiveResource,
    created_roles: &[String],
    stack_deadline: Duration,
) -> Result<(), String> {
    let iam = iam_client(operator);
    match &live.resource {
        ResourceRef::IamAccessKey {
            user,
            access_key_id,
        } => {
            if access_key_id.is_empty() {
                // Creation unconfirmed: the key id is unknown; the user's deletion
                // removes its keys.
                return Ok(());
            }
            unless_not_found(
                "DeleteAccessKey",
                iam.delete_access_key()
                    .user_name(user)
                    .access_key_id(access_key_id)
                    .send()
                    .await,
            )
        }
        ResourceRef::IamUserPolicy { user, policy_name } => unless_not_found(
            "DeleteUserPolicy",
            iam.delete_user_policy()
                .user_name(user)
                .policy_name(policy_name)
                .send()
                .await,
        ),
        ResourceRef::IamUserPolicyAttachment { user, policy_arn } => unless_not_found(
            "DetachUserPolicy",
            iam.detach_user_policy()
                .user_name(user)
                .policy_arn(policy_arn)
                .send()
                .await,
        ),
        ResourceRef::IamRolePolicy { role, policy_name } => unless_not_found(
            "DeleteRolePolicy",
            iam.delete_role_policy()
                .role_name(role)
                .policy_name(policy_name)
                .send()
                .await,
        ),
        ResourceRef::IamRolePolicyAttachment { role, policy_arn } => unless_not_found(
            "DetachRolePolicy",
            iam.detach_role_policy()
                .role_name(role)
                .policy_arn(policy_arn)
                .send()
                .await,
        ),
        ResourceRef::IamUser { name } => delete_user(&iam, name).await,
        ResourceRef::IamRole { name } => delete_role(&iam, name).await,
        ResourceRef::IamPolicy { arn } => delete_policy(&iam, arn).await,
        ResourceRef::IamRoleTrustPolicy {
            role,
            previous_document,
        } => {
            if created_roles.contains(role) || previous_document.is_empty() {
                return Ok(());
            }
            unless_not_found(
                "UpdateAssumeRolePolicy",
                iam.update_assume_role_policy()
                    .role_name(role)
                    .policy_document(previous_document)
                    .send()
                    .await,
            )
        }
        ResourceRef::CfnStack { name, stack_id } => {
            delete_stack(
                &cloudformation_client(operator),
                name,
                stack_id.as_deref(),
                stack_deadline,
            )
            .await
        }
        ResourceRef::S3Object { bucket, key } => unless_not_found(
            "DeleteObject",
            s3_client(operator)
                .delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await,
        ),
        ResourceRef::S3Bucket { name } => match s3_client(operator)
            .delete_bucket()
            .bucket(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => {
                let (info, message) = describe("DeleteBucket", &error);
                match info.class() {
                    ErrorClass::NotFound => Ok(()),
                    _ if info.code.as_deref() == Some("BucketNotEmpty") => Err(format!(
                        "{message} (objects the run did not put are never deleted: empty the bucket, then run `awslab down` again)"
                    )),
                    _ => Err(message),
                }
            }
        },
        ResourceRef::AwsProfile { receipt } => remove_profile(receipt).map_err(|e| e.to_string()),
    }
}

/// Deletes a user of this run and what AWS requires gone first.
async fn delete_user(iam: &aws_sdk_iam::Client, name: &str) -> Result<(), String> {
    if let Ok(keys) = iam.list_access_keys().user_name(name).send().await {
        for key in keys.access_key_metadata() {
            if let Some(id) = key.access_key_id() {
                unless_not_found(
                    "DeleteAccessKey",
                    iam.delete_access_key()
                        .user_name(name)
                        .access_key_id(id)
                        .send()
                        .await,
                )?;
            }
        }
    }
    if let Ok(policies) = iam.list_user_policies().user_name(name).send().await {
        for policy in policies.policy_names() {
            unless_not_found(
                "DeleteUserPolicy",
                iam.delete_user_policy()
                    .user_name(name)
                    .policy_name(policy)
                    .send()
                    .await,
            )?;
        }
    }
    if let Ok(attached) = iam
        .list_attached_user_policies()
        .user_name(name)
        .send()
        .await
    {
        for policy in attached.attached_policies() {
            if let Some(arn) = policy.policy_arn() {
                unless_not_found(
                    "DetachUserPolicy",
                    iam.detach_user_policy()
                        .user_name(name)
                        .policy_arn(arn)
                        .send()
                        .await,
                )?;
            }
        }
    }
    let _ = iam.delete_login_profile().user_name(name).send().await;
    unless_not_found("DeleteUser", iam.delete_user().user_name(name).send().await)
}

/// Deletes a role of this run and what AWS requires gone first.
async fn delete_role(iam: &aws_sdk_iam::Client, name: &str) -> Result<(), String> {
    if let Ok(policies) = iam.list_role_policies().role_name(name).send().await {
        for policy in policies.policy_names() {
            unless_not_found(
                "DeleteRolePolicy",
                iam.delete_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send()
                    .await,
            )?;
        }
    }
    if let Ok(attached) = iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
    {
        for policy in attached.attached_policies() {
            if let Some(arn) = policy.policy_arn() {
                unless_not_found(
                    "DetachRolePolicy",
                    iam.detach_role_policy()
                        .role_name(name)
                        .policy_arn(arn)
                        .send()
                        .await,
                )?;
            }
        }
    }
    if let Ok(profiles) = iam
        .list_instance_profiles_for_role()
        .role_name(name)
        .send()
        .await
    {
        for profile in profiles.instance_profiles() {
            unless_not_found(
                "RemoveRoleFromInstanceProfile",
                iam.remove_role_from_instance_profile()
                    .role_name(name)
                    .instance_profile_name(profile.instance_profile_name())
                    .send()
                    .await,
            )?;
        }
    }
    unless_not_found("DeleteRole", iam.delete_role().role_name(name).send().await)
}

/// Deletes a managed policy of this run: detached everywhere, old versions first.
async fn delete_policy(iam: &aws_sdk_iam::Client, arn: &str) -> Result<(), String> {
    if let Ok(entities) = iam.list_entities_for_policy().policy_arn(arn).send().await {
        for user in entities.policy_users() {
            if let Some(name) = user.user_name() {
                unless_not_found(
                    "DetachUserPolicy",
                    iam.detach_user_policy()
                        .user_name(name)
                        .policy_arn(arn)
                        .send()
                        .await,
                )?;
            }
        }
        for role in entities.policy_roles() {
            if let Some(name) = role.role_name() {
                unless_not_found(
                    "DetachRolePolicy",
                    iam.detach_role_policy()
                        .role_name(name)
                        .policy_arn(arn)
                        .send()
                        .await,
                )?;
            }
        }
    }
    if let Ok(versions) = iam.list_policy_versions().policy_arn(arn).send().await {
        for version in versions.versions() {
            if !version.is_default_version()
                && let Some(id) = version.version_id()
            {
                unless_not_found(
                    "DeletePolicyVersion",
                    iam.delete_policy_version()
                        .policy_arn(arn)
                        .version_id(id)
                        .send()
                        .await,
                )?;
            }
        }
    }
    unless_not_found(
        "DeletePolicy",
        iam.delete_policy().policy_arn(arn).send().await,
    )
}
