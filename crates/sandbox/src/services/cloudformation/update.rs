//! Updating a resource in place when its identity stays (same name, path and type):
//! a role's trust policy, description, session duration, inline and managed
//! policies; a user's or group's policies and groups; an inline policy's document
//! and targets; a managed policy's document (a new default version) and attachments;
//! a bucket policy; a bucket's tags; an access key's status; a group's members; a
//! user's or role's permissions boundary; a SAML provider's metadata.
//! Anything else is a replacement (deleted, then made again), as [`replaces`] says.

use std::collections::BTreeSet;

use serde_json::Value;

use super::intrinsics::Made;
use super::resources::{Actor, strings, text};
use crate::services::s3::S3Operation;
use crate::services::{ApiError, Check};
use crate::state::World;

/// The properties whose change makes `CloudFormation` replace a resource.
fn identity(kind: &str) -> &'static [&'static str] {
    match kind {
        "AWS::IAM::User" => &["UserName", "Path"],
        "AWS::IAM::Role" => &["RoleName", "Path"],
        "AWS::IAM::SAMLProvider" => &["Name"],
        "AWS::IAM::Group" => &["GroupName", "Path"],
        "AWS::IAM::ManagedPolicy" => &["ManagedPolicyName", "Path", "Description"],
        "AWS::IAM::AccessKey" => &["UserName", "Serial"],
        "AWS::IAM::UserToGroupAddition" => &["GroupName"],
        "AWS::S3::Bucket" => &["BucketName"],
        "AWS::S3::BucketPolicy" => &["Bucket"],
        "AWS::IAM::Policy" => &[],
        _ => &["*"],
    }
}

/// Whether changing `old` to `new` replaces the resource.
pub fn replaces(kind: &str, old: &Value, new: &Value) -> bool {
    identity(kind)
        .iter()
        .any(|name| *name == "*" || old.get(*name) != new.get(*name))
}

fn named_policies(properties: &Value) -> Vec<(String, String)> {
    match properties.get("Policies") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                (
                    item.get("PolicyName").and_then(text).unwrap_or_default(),
                    item.get("PolicyDocument")
                        .and_then(text)
                        .unwrap_or_default(),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn set(values: Vec<String>) -> BTreeSet<String> {
    values.into_iter().collect()
}

impl Actor<'_, '_> {
    /// Updates a resource in place; `None` when it must be replaced instead.
    pub fn update(
        &mut self,
        world: &mut World,
        kind: &str,
        made: &Made,
        old: &Value,
        new: &Value,
    ) -> Option<Result<Made, ApiError>> {
        if replaces(kind, old, new) {
            return None;
        }
        Some(self.update_in_place(world, kind, made, old, new))
    }

    #[expect(clippy::too_many_lines, reason = "one arm per resource type")]
    fn update_in_place(
        &mut self,
        world: &mut World,
        kind: &str,
        made: &Made,
        old: &Value,
        new: &Value,
    ) -> Result<Made, ApiError> {
        let name = made.physical.clone();
        let changed = |property: &str| old.get(property) != new.get(property);
        let mut made = made.clone();
        match kind {
            "AWS::IAM::User" | "AWS::IAM::Role" | "AWS::IAM::Group" => {
                let (noun, member) = match kind {
                    "AWS::IAM::User" => ("User", "UserName"),
                    "AWS::IAM::Role" => ("Role", "RoleName"),
                    _ => ("Group", "GroupName"),
                };
                if noun == "Role" {
                    if changed("AssumeRolePolicyDocument") {
                        let document = new
                            .get("AssumeRolePolicyDocument")
                            .and_then(text)
                            .unwrap_or_default();
                        self.call(
                            world,
                            "UpdateAssumeRolePolicy",
                            &[(member, name.clone()), ("PolicyDocument", document)],
                        )?;
                    }
                    if changed("Description") || changed("MaxSessionDuration") {
                        let mut pairs = vec![(member, name.clone())];
                        if let Some(description) = new.get("Description").and_then(text) {
                            pairs.push(("Description", description));
                        }
                        pairs.push((
                            "MaxSessionDuration",
                            new.get("MaxSessionDuration")
                                .and_then(text)
                                .unwrap_or_else(|| "3600".to_owned()),
                        ));
                        self.call(world, "UpdateRole", &pairs)?;
                    }
                }
                // A boundary changes in place ("No interruption" in both types' reference).
                if noun != "Group" && changed("PermissionsBoundary") {
                    match new.get("PermissionsBoundary").and_then(text) {
                        Some(boundary) => self.call(
                            world,
                            &format!("Put{noun}PermissionsBoundary"),
                            &[(member, name.clone()), ("PermissionsBoundary", boundary)],
                        )?,
                        None => self.call(
                            world,
                            &format!("Delete{noun}PermissionsBoundary"),
                            &[(member, name.clone())],
                        )?,
                    }
                }
                if noun != "Group" && changed("Tags") {
                    let tags = self.tag_pairs(new.get("Tags"));
                    let mut pairs: Vec<(String, String)> = vec![(member.to_owned(), name.clone())];
                    for (index, (key, value)) in tags.iter().enumerate() {
                        pairs.push((format!("Tags.member.{}.Key", index + 1), key.clone()));
                        pairs.push((format!("Tags.member.{}.Value", index + 1), value.clone()));
                    }
                    self.call(world, &format!("Tag{noun}"), &pairs)?;
                }
                let before = named_policies(old);
                let after = named_policies(new);
                for (policy, document) in &after {
                    if !before.contains(&(policy.clone(), document.clone())) {
                        self.call(
                            world,
                            &format!("Put{noun}Policy"),
                            &[
                                (member, name.clone()),
                                ("PolicyName", policy.clone()),
                                ("PolicyDocument", document.clone()),
                            ],
                        )?;
                    }
                }
                for (policy, _) in &before {
                    if !after.iter().any(|(kept, _)| kept == policy) {
                        self.call(
                            world,
                            &format!("Delete{noun}Policy"),
                            &[(member, name.clone()), ("PolicyName", policy.clone())],
                        )?;
                    }
                }
                let (before, after) = (
                    set(strings(old.get("ManagedPolicyArns"))),
                    set(strings(new.get("ManagedPolicyArns"))),
                );
                for arn in after.difference(&before) {
                    self.call(
                        world,
                        &format!("Attach{noun}Policy"),
                        &[(member, name.clone()), ("PolicyArn", arn.clone())],
                    )?;
                }
                for arn in before.difference(&after) {
                    self.call(
                        world,
                        &format!("Detach{noun}Policy"),
                        &[(member, name.clone()), ("PolicyArn", arn.clone())],
                    )?;
                }
                if noun == "User" {
                    let (before, after) = (
                        set(strings(old.get("Groups"))),
                        set(strings(new.get("Groups"))),
                    );
                    for group in after.difference(&before) {
                        self.call(
                            world,
                            "AddUserToGroup",
                            &[("UserName", name.clone()), ("GroupName", group.clone())],
                        )?;
                    }
                    for group in before.difference(&after) {
                        self.call(
                            world,
                            "RemoveUserFromGroup",
                            &[("UserName", name.clone()), ("GroupName", group.clone())],
                        )?;
                    }
                }
            }
            "AWS::IAM::Policy" => {
                self.delete(world, kind, &made, old)?;
                let logical = made.physical.clone();
                let remade = self
                    .create(world, &logical, kind, new)
                    .map_err(|failed| failed.1)?;
                made.attributes = remade.attributes;
            }
            "AWS::IAM::ManagedPolicy" => {
                if changed("PolicyDocument") {
                    let versions: Vec<String> = world
                        .account(&self.caller.account)
                        .and_then(|account| account.policies.get(&name))
                        .map(|policy| {
                            policy
                                .versions
                                .keys()
                                .filter(|version| **version != policy.default_version)
                                .cloned()
                                .collect()
                        })
                        .unwrap_or_default();
                    if versions.len() >= 4
                        && let Some(oldest) = versions.first()
                    {
                        self.call(
                            world,
                            "DeletePolicyVersion",
                            &[("PolicyArn", name.clone()), ("VersionId", oldest.clone())],
                        )?;
                    }
                    let document = new.get("PolicyDocument").and_then(text).unwrap_or_default();
                    self.call(
                        world,
                        "CreatePolicyVersion",
                        &[
                            ("PolicyArn", name.clone()),
                            ("PolicyDocument", document),
                            ("SetAsDefault", "true".to_owned()),
                        ],
                    )?;
                    if let Some(policy) = world
                        .account(&self.caller.account)
                        .and_then(|account| account.policies.get(&name))
                    {
                        made.attributes.insert(
                            "DefaultVersionId".to_owned(),
                            policy.default_version.clone(),
                        );
                    }
                }
                for (noun, member, property) in [
                    ("User", "UserName", "Users"),
                    ("Role", "RoleName", "Roles"),
                    ("Group", "GroupName", "Groups"),
                ] {
                    let (before, after) = (
                        set(strings(old.get(property))),
                        set(strings(new.get(property))),
                    );
                    for target in after.difference(&before) {
                        self.call(
                            world,
                            &format!("Attach{noun}Policy"),
                            &[(member, target.clone()), ("PolicyArn", name.clone())],
                        )?;
                    }
                    for target in before.difference(&after) {
                        self.call(
                            world,
                            &format!("Detach{noun}Policy"),
                            &[(member, target.clone()), ("PolicyArn", name.clone())],
                        )?;
                    }
                }
            }
            "AWS::IAM::AccessKey" => {
                let status = new
                    .get("Status")
                    .and_then(text)
                    .unwrap_or_else(|| "Active".to_owned());
                let user = made.attributes.get("UserName").cloned().unwrap_or_default();
                self.call(
                    world,
                    "UpdateAccessKey",
                    &[
                        ("UserName", user),
                        ("AccessKeyId", name),
                        ("Status", status),
                    ],
                )?;
            }
            "AWS::IAM::UserToGroupAddition" => {
                let group = new.get("GroupName").and_then(text).unwrap_or_default();
                let (before, after) = (
                    set(strings(old.get("Users"))),
                    set(strings(new.get("Users"))),
                );
                for user in after.difference(&before) {
                    self.call(
                        world,
                        "AddUserToGroup",
                        &[("GroupName", group.clone()), ("UserName", user.clone())],
                    )?;
                }
                for user in before.difference(&after) {
                    self.call(
                        world,
                        "RemoveUserFromGroup",
                        &[("GroupName", group.clone()), ("UserName", user.clone())],
                    )?;
                }
            }
            "AWS::S3::BucketPolicy" => {
                let bucket = new.get("Bucket").and_then(text).unwrap_or_default();
                let policy = new.get("PolicyDocument").and_then(text).unwrap_or_default();
                self.call_s3(world, S3Operation::PutBucketPolicy { bucket, policy })?;
            }
            "AWS::S3::Bucket" => {
                (self.authorize)(
                    world,
                    self.caller,
                    &[Check::new(
                        "s3:PutBucketTagging",
                        format!("arn:aws:s3:::{name}"),
                    )],
                )?;
                let tags = self.tag_pairs(new.get("Tags"));
                if let Some(bucket) = world.buckets.get_mut(&name) {
                    bucket
                        .tags
                        .retain(|(key, _)| key.starts_with("aws:cloudformation:"));
                    bucket.tags.extend(tags);
                }
            }
            "AWS::IAM::SAMLProvider" if changed("SamlMetadataDocument") => {
                let document = new
                    .get("SamlMetadataDocument")
                    .and_then(text)
                    .unwrap_or_default();
                self.call(
                    world,
                    "UpdateSAMLProvider",
                    &[
                        ("SAMLProviderArn", name),
                        ("SAMLMetadataDocument", document),
                    ],
                )?;
            }
            _ => {}
        }
        Ok(made)
    }
}
