//! IAM called from inside the sandbox (a `CloudFormation` stack acting for its caller),
//! through typed functions: each builds the operation's input from Rust values, so a
//! `CloudFormation` type never spells an action name or a query member. The action
//! names live here only, and a test proves each is an operation IAM serves.

use crate::model::{Field, Input};

/// A principal entity that holds policies: a user, a role or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    User,
    Role,
    Group,
}

impl Entity {
    /// The query member naming it (`UserName`).
    fn member(self) -> &'static str {
        match self {
            Self::User => "UserName",
            Self::Role => "RoleName",
            Self::Group => "GroupName",
        }
    }

    fn pick(self, user: &'static str, role: &'static str, group: &'static str) -> &'static str {
        match self {
            Self::User => user,
            Self::Role => role,
            Self::Group => group,
        }
    }
}

/// An entity that takes tags and a permissions boundary: a user or a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounded {
    User,
    Role,
}

impl Entity {
    /// The entity as one taking tags and a boundary (not a group).
    pub fn bounded(self) -> Option<Bounded> {
        match self {
            Self::User => Some(Bounded::User),
            Self::Role => Some(Bounded::Role),
            Self::Group => None,
        }
    }
}

impl Bounded {
    fn member(self) -> &'static str {
        match self {
            Self::User => "UserName",
            Self::Role => "RoleName",
        }
    }

    fn pick(self, user: &'static str, role: &'static str) -> &'static str {
        match self {
            Self::User => user,
            Self::Role => role,
        }
    }
}

/// One IAM operation and its input, ready to be authorized and run.
#[derive(Debug, Clone)]
pub struct Call {
    pub(crate) action: &'static str,
    pub(crate) input: Input,
}

/// Builds the input of one call, member by member: text, lists and structures, as
/// the wire's codecs decode them (no protocol's encoding).
struct Members(Input);

impl Members {
    fn new() -> Self {
        Self(Input::default())
    }

    fn set(self, name: &str, value: impl Into<String>) -> Self {
        Self(self.0.text(name, value))
    }

    fn maybe(self, name: &str, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.set(name, value),
            None => self,
        }
    }

    fn list(self, name: &str, items: &[String]) -> Self {
        let items = (1..).zip(items.iter().map(|item| Field::Text(item.clone())));
        Self(self.0.field(name, Field::List(items.collect())))
    }

    fn tags(self, tags: &[(String, String)]) -> Self {
        let items = (1..).zip(tags.iter().map(|(key, value)| {
            Field::Struct(Input::default().text("Key", key).text("Value", value))
        }));
        Self(self.0.field("Tags", Field::List(items.collect())))
    }

    fn call(self, action: &'static str) -> Call {
        Call {
            action,
            input: self.0,
        }
    }
}

/// What a new user, role or group is made with.
#[derive(Debug, Clone, Default)]
pub struct NewEntity<'a> {
    pub name: &'a str,
    pub path: Option<&'a str>,
    /// Users and roles only.
    pub boundary: Option<&'a str>,
    /// Users and roles only.
    pub tags: &'a [(String, String)],
    /// Roles only.
    pub trust: Option<&'a str>,
    pub description: Option<&'a str>,
    pub max_session_duration: Option<&'a str>,
}

pub fn create(entity: Entity, new: &NewEntity<'_>) -> Call {
    let members = Members::new()
        .set(entity.member(), new.name)
        .maybe("Path", new.path);
    let members = if entity == Entity::Group {
        members
    } else {
        members
            .maybe("PermissionsBoundary", new.boundary)
            .tags(new.tags)
    };
    let members = if entity == Entity::Role {
        members
            .maybe("AssumeRolePolicyDocument", new.trust)
            .maybe("Description", new.description)
            .maybe("MaxSessionDuration", new.max_session_duration)
    } else {
        members
    };
    members.call(entity.pick("CreateUser", "CreateRole", "CreateGroup"))
}

pub fn delete(entity: Entity, name: &str) -> Call {
    Members::new().set(entity.member(), name).call(entity.pick(
        "DeleteUser",
        "DeleteRole",
        "DeleteGroup",
    ))
}

pub fn put_inline_policy(entity: Entity, name: &str, policy: &str, document: &str) -> Call {
    Members::new()
        .set(entity.member(), name)
        .set("PolicyName", policy)
        .set("PolicyDocument", document)
        .call(entity.pick("PutUserPolicy", "PutRolePolicy", "PutGroupPolicy"))
}

pub fn delete_inline_policy(entity: Entity, name: &str, policy: &str) -> Call {
    Members::new()
        .set(entity.member(), name)
        .set("PolicyName", policy)
        .call(entity.pick("DeleteUserPolicy", "DeleteRolePolicy", "DeleteGroupPolicy"))
}

pub fn attach_policy(entity: Entity, name: &str, arn: &str) -> Call {
    Members::new()
        .set(entity.member(), name)
        .set("PolicyArn", arn)
        .call(entity.pick("AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy"))
}

pub fn detach_policy(entity: Entity, name: &str, arn: &str) -> Call {
    Members::new()
        .set(entity.member(), name)
        .set("PolicyArn", arn)
        .call(entity.pick("DetachUserPolicy", "DetachRolePolicy", "DetachGroupPolicy"))
}

/// A user's or role's permissions boundary: set (`Some`) or removed.
pub fn boundary(entity: Bounded, name: &str, boundary: Option<&str>) -> Call {
    let members = Members::new().set(entity.member(), name);
    match boundary {
        Some(arn) => members
            .set("PermissionsBoundary", arn)
            .call(entity.pick("PutUserPermissionsBoundary", "PutRolePermissionsBoundary")),
        None => members.call(entity.pick(
            "DeleteUserPermissionsBoundary",
            "DeleteRolePermissionsBoundary",
        )),
    }
}

/// Tags a user or role.
pub fn tag(entity: Bounded, name: &str, tags: &[(String, String)]) -> Call {
    Members::new()
        .set(entity.member(), name)
        .tags(tags)
        .call(entity.pick("TagUser", "TagRole"))
}

pub fn add_user_to_group(user: &str, group: &str) -> Call {
    Members::new()
        .set("UserName", user)
        .set("GroupName", group)
        .call("AddUserToGroup")
}

pub fn remove_user_from_group(user: &str, group: &str) -> Call {
    Members::new()
        .set("UserName", user)
        .set("GroupName", group)
        .call("RemoveUserFromGroup")
}

pub fn update_trust(role: &str, document: &str) -> Call {
    Members::new()
        .set("RoleName", role)
        .set("PolicyDocument", document)
        .call("UpdateAssumeRolePolicy")
}

pub fn update_role(role: &str, description: Option<&str>, max_session_duration: &str) -> Call {
    Members::new()
        .set("RoleName", role)
        .maybe("Description", description)
        .set("MaxSessionDuration", max_session_duration)
        .call("UpdateRole")
}

pub fn create_policy(
    name: &str,
    path: Option<&str>,
    description: Option<&str>,
    document: &str,
) -> Call {
    Members::new()
        .set("PolicyName", name)
        .set("PolicyDocument", document)
        .maybe("Path", path)
        .maybe("Description", description)
        .call("CreatePolicy")
}

pub fn delete_policy(arn: &str) -> Call {
    Members::new().set("PolicyArn", arn).call("DeletePolicy")
}

/// A new default version of a managed policy.
pub fn create_policy_version(arn: &str, document: &str) -> Call {
    Members::new()
        .set("PolicyArn", arn)
        .set("PolicyDocument", document)
        .set("SetAsDefault", "true")
        .call("CreatePolicyVersion")
}

pub fn delete_policy_version(arn: &str, version: &str) -> Call {
    Members::new()
        .set("PolicyArn", arn)
        .set("VersionId", version)
        .call("DeletePolicyVersion")
}

pub fn create_access_key(user: &str) -> Call {
    Members::new().set("UserName", user).call("CreateAccessKey")
}

/// `Active` or `Inactive`.
pub fn update_access_key(user: &str, key: &str, status: &str) -> Call {
    Members::new()
        .set("UserName", user)
        .set("AccessKeyId", key)
        .set("Status", status)
        .call("UpdateAccessKey")
}

pub fn delete_access_key(user: &str, key: &str) -> Call {
    Members::new()
        .set("UserName", user)
        .set("AccessKeyId", key)
        .call("DeleteAccessKey")
}

pub fn create_oidc_provider(
    url: &str,
    client_ids: &[String],
    thumbprints: &[String],
    tags: &[(String, String)],
) -> Call {
    Members::new()
        .set("Url", url)
        .list("ClientIDList", client_ids)
        .list("ThumbprintList", thumbprints)
        .tags(tags)
        .call("CreateOpenIDConnectProvider")
}

pub fn delete_oidc_provider(arn: &str) -> Call {
    Members::new()
        .set("OpenIDConnectProviderArn", arn)
        .call("DeleteOpenIDConnectProvider")
}

pub fn create_saml_provider(name: &str, metadata: &str, tags: &[(String, String)]) -> Call {
    Members::new()
        .set("Name", name)
        .set("SAMLMetadataDocument", metadata)
        .tags(tags)
        .call("CreateSAMLProvider")
}

pub fn update_saml_provider(arn: &str, metadata: &str) -> Call {
    Members::new()
        .set("SAMLProviderArn", arn)
        .set("SAMLMetadataDocument", metadata)
        .call("UpdateSAMLProvider")
}

pub fn delete_saml_provider(arn: &str) -> Call {
    Members::new()
        .set("SAMLProviderArn", arn)
        .call("DeleteSAMLProvider")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every call a `CloudFormation` type can make names an operation IAM serves.
    #[test]
    fn every_call_is_an_operation_iam_serves() {
        let tags = [("k".to_owned(), "v".to_owned())];
        let new = NewEntity {
            name: "n",
            ..NewEntity::default()
        };
        let mut calls = vec![
            add_user_to_group("u", "g"),
            remove_user_from_group("u", "g"),
            update_trust("r", "{}"),
            update_role("r", None, "3600"),
            create_policy("p", None, None, "{}"),
            delete_policy("arn"),
            create_policy_version("arn", "{}"),
            delete_policy_version("arn", "v1"),
            create_access_key("u"),
            update_access_key("u", "k", "Inactive"),
            delete_access_key("u", "k"),
            create_oidc_provider("https://x", &[], &[], &tags),
            delete_oidc_provider("arn"),
            create_saml_provider("s", "<x/>", &tags),
            update_saml_provider("arn", "<x/>"),
            delete_saml_provider("arn"),
        ];
        for entity in [Entity::User, Entity::Role, Entity::Group] {
            calls.extend([
                create(entity, &new),
                delete(entity, "n"),
                put_inline_policy(entity, "n", "p", "{}"),
                delete_inline_policy(entity, "n", "p"),
                attach_policy(entity, "n", "arn"),
                detach_policy(entity, "n", "arn"),
            ]);
            if let Some(bounded) = entity.bounded() {
                calls.extend([
                    boundary(bounded, "n", Some("arn")),
                    boundary(bounded, "n", None),
                    tag(bounded, "n", &tags),
                ]);
            }
        }
        for call in calls {
            assert!(
                super::super::operation(call.action).is_some(),
                "{} is not an IAM operation the sandbox serves",
                call.action
            );
        }
    }
}
