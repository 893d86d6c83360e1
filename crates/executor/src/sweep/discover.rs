//! Listing what carries awslab's tags: every IAM user, role, local managed policy,
//! OIDC and SAML provider, virtual MFA device, S3 bucket and `CloudFormation` stack of
//! the account, with their tags read a few at a time. Bounded: at most [`MAX_FOUND`]
//! resources are kept, and a bucket is emptied of at most [`MAX_OBJECTS`] objects.
//!
//! A kind whose listing or tag read fails (a call the target lacks: moto 5.2 answers
//! `ListSAMLProviderTags` and `ListMFADeviceTags` with an HTML 500) is reported as
//! [`Unlisted`] and the other kinds are still listed: the caller says so and cannot
//! claim nothing is left. Stacks are the exception: what a stack made is known only
//! through it, so a sweep that cannot list stacks stops.

use aws_config::SdkConfig;
use aws_sdk_cloudformation::types::StackStatus;
use futures::stream::{self, StreamExt as _};

use serde::Serialize;

use super::Found;
use crate::classify::describe;
use crate::client::{cloudformation_client, iam_client, s3_client};
use crate::resources::{self, ResourceRef};
use crate::tags::{CREATED_TAG, EXPIRES_TAG, PLAN_TAG, RUN_TAG};

/// The most resources one sweep lists (beyond, it says so and stops listing).
pub const MAX_FOUND: usize = 100_000;
/// The most objects a sweep deletes from one bucket.
pub const MAX_OBJECTS: usize = 100_000;
/// How many tag reads run at once.
const CONCURRENCY: usize = 8;

type Tags = Vec<(String, String)>;

/// A resource by awslab's tags, or `None` when it carries no `awslab:run` or was made
/// by a stack (then it goes with the stack).
fn found(kind: &'static str, name: String, tags: &Tags, resource: ResourceRef) -> Option<Found> {
    let get = |key: &str| tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let run = get(RUN_TAG)?;
    if kind != "cfn_stack" && get("aws:cloudformation:stack-id").is_some() {
        return None;
    }
    let removes_first = match kind {
        "iam_user" => vec![
            "access keys",
            "inline policies",
            "attached policies",
            "group memberships",
            "login profile",
        ],
        "iam_role" => vec!["inline policies", "attached policies", "instance profiles"],
        "iam_policy" => vec!["attachments", "non-default versions"],
        "iam_virtual_mfa_device" => vec!["its user's use of it"],
        "s3_bucket" => vec!["objects"],
        "cfn_stack" => vec!["every resource of the stack"],
        _ => Vec::new(),
    };
    Some(Found {
        order: 0,
        kind,
        name,
        run,
        plan: get(PLAN_TAG),
        created_at: get(CREATED_TAG),
        expires_at: get(EXPIRES_TAG),
        removes_first,
        in_journal: false,
        resource,
    })
}

fn iam_pairs(tags: &[aws_sdk_iam::types::Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

/// A kind of resource a sweep could not list, and why (the failed call's error).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unlisted {
    /// `iam_user`, `iam_role`, `iam_policy`, `iam_oidc_provider`, `iam_saml_provider`,
    /// `iam_virtual_mfa_device` or `s3_bucket`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub error: String,
}

/// What [`discover`] found, and the kinds it could not list.
#[derive(Debug, Default)]
pub struct Discovery {
    pub found: Vec<Found>,
    pub unlisted: Vec<Unlisted>,
}

/// Everything in the account that carries `awslab:run`, unordered, and each kind that
/// could not be listed (a sweep that cannot list everything must not claim it did).
/// An error (stacks cannot be listed, too many resources) names the call that failed.
pub async fn discover(config: &SdkConfig) -> Result<Discovery, String> {
    let iam = iam_client(config);
    let s3 = s3_client(config);
    let cfn = cloudformation_client(config);
    let mut all = Vec::new();
    let mut unlisted = Vec::new();
    for (kind, listed) in [
        ("iam_user", users(&iam).await),
        ("iam_role", roles(&iam).await),
        ("iam_policy", policies(&iam).await),
        ("iam_oidc_provider", oidc_providers(&iam).await),
        ("iam_saml_provider", saml_providers(&iam).await),
        ("iam_virtual_mfa_device", devices(&iam).await),
        ("s3_bucket", buckets(&s3).await),
    ] {
        match listed {
            Ok(found) => all.extend(found),
            Err(error) => {
                tracing::warn!(kind, %error, "cannot list a kind of resource");
                unlisted.push(Unlisted { kind, error });
            }
        }
    }
    let stacks = stacks(&cfn).await?;
    // What a stack made goes with the stack, whole: IAM resources made by a stack
    // carry its tags but not `aws:cloudformation:stack-id`, so they are known by the
    // stack's physical resource ids.
    let mut made_by_stacks = std::collections::HashSet::new();
    for stack in &stacks {
        let answer = cfn
            .describe_stack_resources()
            .stack_name(&stack.name)
            .send()
            .await
            .map_err(|e| describe("DescribeStackResources", &e).1)?;
        made_by_stacks.extend(
            answer
                .stack_resources()
                .iter()
                .filter_map(|r| r.physical_resource_id().map(str::to_owned)),
        );
    }
    all.retain(|found: &Found| !made_by_stacks.contains(&found.name));
    all.extend(stacks);
    if all.len() > MAX_FOUND {
        return Err(format!(
            "more than {MAX_FOUND} tagged resources; sweep one run at a time (`--run`)"
        ));
    }
    Ok(Discovery {
        found: all,
        unlisted,
    })
}

async fn users(iam: &aws_sdk_iam::Client) -> Result<Vec<Found>, String> {
    let mut names = Vec::new();
    let mut pages = iam.list_users().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe("ListUsers", &e).1)?;
        names.extend(page.users().iter().map(|u| u.user_name().to_owned()));
        bounded(names.len())?;
    }
    let found = stream::iter(names)
        .map(|name| async move {
            match iam.list_user_tags().user_name(&name).send().await {
                Ok(answer) => Ok(found(
                    "iam_user",
                    name.clone(),
                    &iam_pairs(answer.tags()),
                    ResourceRef::IamUser(resources::IamUser {
                        name,
                        user_id: None,
                    }),
                )),
                Err(error) => gone_or(describe("ListUserTags", &error)),
            }
        })
        .buffered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    flatten(found)
}

async fn roles(iam: &aws_sdk_iam::Client) -> Result<Vec<Found>, String> {
    let mut names = Vec::new();
    let mut pages = iam.list_roles().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe("ListRoles", &e).1)?;
        names.extend(page.roles().iter().map(|r| r.role_name().to_owned()));
        bounded(names.len())?;
    }
    let found = stream::iter(names)
        .map(|name| async move {
            match iam.list_role_tags().role_name(&name).send().await {
                Ok(answer) => Ok(found(
                    "iam_role",
                    name.clone(),
                    &iam_pairs(answer.tags()),
                    ResourceRef::IamRole(resources::IamRole {
                        name,
                        role_id: None,
                    }),
                )),
                Err(error) => gone_or(describe("ListRoleTags", &error)),
            }
        })
        .buffered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    flatten(found)
}

async fn policies(iam: &aws_sdk_iam::Client) -> Result<Vec<Found>, String> {
    let mut arns = Vec::new();
    let mut pages = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe("ListPolicies", &e).1)?;
        arns.extend(
            page.policies()
                .iter()
                .filter_map(|p| p.arn().map(str::to_owned)),
        );
        bounded(arns.len())?;
    }
    let found = stream::iter(arns)
        .map(|arn| async move {
            match iam.list_policy_tags().policy_arn(&arn).send().await {
                Ok(answer) => Ok(found(
                    "iam_policy",
                    arn.clone(),
                    &iam_pairs(answer.tags()),
                    ResourceRef::IamPolicy(resources::IamPolicy {
                        arn,
                        policy_id: None,
                    }),
                )),
                Err(error) => gone_or(describe("ListPolicyTags", &error)),
            }
        })
        .buffered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    flatten(found)
}

async fn oidc_providers(iam: &aws_sdk_iam::Client) -> Result<Vec<Found>, String> {
    let mut all = Vec::new();
    let oidc = iam
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(|e| describe("ListOpenIDConnectProviders", &e).1)?;
    for arn in oidc
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn())
    {
        match iam
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await
        {
            Ok(answer) => all.push(Ok(found(
                "iam_oidc_provider",
                arn.to_owned(),
                &iam_pairs(answer.tags()),
                ResourceRef::IamOidcProvider(resources::IamOidcProvider {
                    arn: arn.to_owned(),
                    created: None,
                }),
            ))),
            Err(error) => all.push(gone_or(describe("GetOpenIDConnectProvider", &error))),
        }
    }
    flatten(all)
}

async fn saml_providers(iam: &aws_sdk_iam::Client) -> Result<Vec<Found>, String> {
    let mut all = Vec::new();
    let saml = iam
        .list_saml_providers()
        .send()
        .await
        .map_err(|e| describe("ListSAMLProviders", &e).1)?;
    for arn in saml.saml_provider_list().iter().filter_map(|p| p.arn()) {
        match iam
            .list_saml_provider_tags()
            .saml_provider_arn(arn)
            .send()
            .await
        {
            Ok(answer) => all.push(Ok(found(
                "iam_saml_provider",
                arn.to_owned(),
                &iam_pairs(answer.tags()),
                ResourceRef::IamSamlProvider(resources::IamSamlProvider {
                    arn: arn.to_owned(),
                    instance: None,
                }),
            ))),
            Err(error) => all.push(gone_or(describe("ListSAMLProviderTags", &error))),
        }
    }
    flatten(all)
}

async fn devices(iam: &aws_sdk_iam::Client) -> Result<Vec<Found>, String> {
    let mut devices = Vec::new();
    let mut pages = iam.list_virtual_mfa_devices().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe("ListVirtualMFADevices", &e).1)?;
        devices.extend(page.virtual_mfa_devices().iter().map(|d| {
            (
                d.serial_number().to_owned(),
                d.user()
                    .map(|u| u.user_name().to_owned())
                    .unwrap_or_default(),
            )
        }));
        bounded(devices.len())?;
    }
    let mut all = Vec::new();
    for (serial, user) in devices {
        match iam
            .list_mfa_device_tags()
            .serial_number(&serial)
            .send()
            .await
        {
            Ok(answer) => all.push(Ok(found(
                "iam_virtual_mfa_device",
                serial.clone(),
                &iam_pairs(answer.tags()),
                ResourceRef::IamVirtualMfaDevice(resources::IamVirtualMfaDevice {
                    serial_number: serial,
                    user,
                }),
            ))),
            Err(error) => all.push(gone_or(describe("ListMFADeviceTags", &error))),
        }
    }
    flatten(all)
}

async fn buckets(s3: &aws_sdk_s3::Client) -> Result<Vec<Found>, String> {
    let answer = s3
        .list_buckets()
        .send()
        .await
        .map_err(|e| describe("ListBuckets", &e).1)?;
    let names: Vec<String> = answer
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect();
    let found = stream::iter(names)
        .map(|name| async move {
            match s3.get_bucket_tagging().bucket(&name).send().await {
                Ok(answer) => {
                    let tags = answer
                        .tag_set()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().to_owned()))
                        .collect();
                    Ok(found(
                        "s3_bucket",
                        name.clone(),
                        &tags,
                        ResourceRef::S3Bucket(resources::S3Bucket { name }),
                    ))
                }
                Err(error) => {
                    let (info, message) = describe("GetBucketTagging", &error);
                    if info.code.as_deref() == Some("NoSuchTagSet") {
                        Ok(None)
                    } else {
                        gone_or((info, message))
                    }
                }
            }
        })
        .buffered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    flatten(found)
}

async fn stacks(cfn: &aws_sdk_cloudformation::Client) -> Result<Vec<Found>, String> {
    let mut all = Vec::new();
    let mut pages = cfn.describe_stacks().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe("DescribeStacks", &e).1)?;
        for stack in page.stacks() {
            if stack.stack_status() == Some(&StackStatus::DeleteComplete) {
                continue;
            }
            let tags = stack
                .tags()
                .iter()
                .map(|t| {
                    (
                        t.key().unwrap_or_default().to_owned(),
                        t.value().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            let name = stack.stack_name().unwrap_or_default().to_owned();
            all.extend(found(
                "cfn_stack",
                name.clone(),
                &tags,
                ResourceRef::CfnStack(resources::CfnStack {
                    name,
                    stack_id: None,
                }),
            ));
        }
        bounded(all.len())?;
    }
    Ok(all)
}

/// A tag read that failed: the resource went away meanwhile (skipped), or an error.
fn gone_or((info, message): (crate::classify::ErrorInfo, String)) -> Result<Option<Found>, String> {
    if info.class() == crate::classify::ErrorClass::NotFound {
        Ok(None)
    } else {
        Err(message)
    }
}

fn flatten(results: Vec<Result<Option<Found>, String>>) -> Result<Vec<Found>, String> {
    let mut all = Vec::new();
    for result in results {
        all.extend(result?);
    }
    Ok(all)
}

fn bounded(count: usize) -> Result<(), String> {
    if count > MAX_FOUND {
        Err(format!(
            "the account lists more than {MAX_FOUND} of one type; sweep cannot review them all"
        ))
    } else {
        Ok(())
    }
}

/// Deletes every object of a bucket (the run's, by its tag), page by page.
pub async fn empty_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), String> {
    let mut deleted = 0usize;
    loop {
        let page = match s3.list_objects_v2().bucket(bucket).send().await {
            Ok(page) => page,
            Err(error) => {
                let (info, message) = describe("ListObjectsV2", &error);
                if info.class() == crate::classify::ErrorClass::NotFound {
                    return Ok(());
                }
                return Err(message);
            }
        };
        let keys: Vec<String> = page
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect();
        if keys.is_empty() {
            return Ok(());
        }
        for key in keys {
            if deleted >= MAX_OBJECTS {
                return Err(format!(
                    "bucket `{bucket}` holds more than {MAX_OBJECTS} objects; empty it by hand"
                ));
            }
            s3.delete_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .map_err(|e| describe("DeleteObject", &e).1)?;
            deleted += 1;
        }
    }
}
