//! The resources a run can create, one module per type: its journal form (the
//! [`ResourceRef`] variant it is stored as), its label, how to tell that it is ours and
//! how to delete it. Teardown dispatches through the exhaustive matches here, so a new
//! type that forgets one of them does not compile.
//!
//! Ownership is decided by what cannot be faked by a name: the immutable id AWS gave
//! the resource when this run created it (user id, role id, group id, policy id, stack
//! id, access key id, object `ETag`), or, for a creation that was never confirmed, this
//! run's tag. Sub-resources (an inline policy, an attachment, a membership) follow the
//! parent this run created: a user recreated out of band under the same name is not
//! ours, and neither are its policies.

mod aws_profile;
mod cfn_stack;
mod iam_access_key;
mod iam_group;
mod iam_group_membership;
mod iam_group_policy;
mod iam_oidc_provider;
mod iam_policy;
mod iam_role;
mod iam_role_policy;
mod iam_role_policy_attachment;
mod iam_saml_provider;
mod iam_trust_policy;
mod iam_user;
mod iam_user_policy;
mod iam_user_policy_attachment;
mod iam_virtual_mfa_device;
mod s3_bucket;
mod s3_object;

use std::fmt;
use std::future::Future;
use std::time::Duration;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::{Deserialize, Serialize};

pub use aws_profile::AwsProfile;
pub use cfn_stack::CfnStack;
pub use iam_access_key::IamAccessKey;
pub use iam_group::IamGroup;
pub use iam_group_membership::IamGroupMembership;
pub use iam_group_policy::IamGroupPolicy;
pub use iam_oidc_provider::IamOidcProvider;
pub use iam_policy::IamPolicy;
pub use iam_role::IamRole;
pub use iam_role_policy::IamRolePolicy;
pub use iam_role_policy_attachment::IamRolePolicyAttachment;
pub use iam_saml_provider::{IamSamlProvider, saml_instance};
pub use iam_trust_policy::IamRoleTrustPolicy;
pub use iam_user::IamUser;
pub use iam_user_policy::IamUserPolicy;
pub use iam_user_policy_attachment::IamUserPolicyAttachment;
pub use iam_virtual_mfa_device::IamVirtualMfaDevice;
pub use s3_bucket::S3Bucket;
pub use s3_object::S3Object;

use crate::classify::{ErrorClass, ErrorInfo, describe};

/// The tag key every resource awslab creates carries; its value is the run id.
pub const RUN_TAG: &str = "awslab:run";

/// A resource a run created (or may have created), as the journal stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResourceRef {
    IamUser(IamUser),
    IamAccessKey(IamAccessKey),
    IamUserPolicy(IamUserPolicy),
    IamUserPolicyAttachment(IamUserPolicyAttachment),
    IamGroup(IamGroup),
    IamGroupPolicy(IamGroupPolicy),
    IamGroupMembership(IamGroupMembership),
    IamRole(IamRole),
    IamRolePolicy(IamRolePolicy),
    IamRolePolicyAttachment(IamRolePolicyAttachment),
    IamPolicy(IamPolicy),
    IamRoleTrustPolicy(IamRoleTrustPolicy),
    IamOidcProvider(IamOidcProvider),
    IamSamlProvider(IamSamlProvider),
    CfnStack(CfnStack),
    S3Bucket(S3Bucket),
    S3Object(S3Object),
    AwsProfile(AwsProfile),
    IamVirtualMfaDevice(IamVirtualMfaDevice),
}

/// Calls `$method` on whichever resource type `$self` holds.
macro_rules! each {
    ($self:expr, $r:ident => $body:expr) => {
        match $self {
            ResourceRef::IamUser($r) => $body,
            ResourceRef::IamAccessKey($r) => $body,
            ResourceRef::IamUserPolicy($r) => $body,
            ResourceRef::IamUserPolicyAttachment($r) => $body,
            ResourceRef::IamGroup($r) => $body,
            ResourceRef::IamGroupPolicy($r) => $body,
            ResourceRef::IamGroupMembership($r) => $body,
            ResourceRef::IamRole($r) => $body,
            ResourceRef::IamRolePolicy($r) => $body,
            ResourceRef::IamRolePolicyAttachment($r) => $body,
            ResourceRef::IamPolicy($r) => $body,
            ResourceRef::IamRoleTrustPolicy($r) => $body,
            ResourceRef::IamOidcProvider($r) => $body,
            ResourceRef::IamSamlProvider($r) => $body,
            ResourceRef::CfnStack($r) => $body,
            ResourceRef::S3Bucket($r) => $body,
            ResourceRef::S3Object($r) => $body,
            ResourceRef::AwsProfile($r) => $body,
            ResourceRef::IamVirtualMfaDevice($r) => $body,
        }
    };
}

impl ResourceRef {
    /// Stable label for logs, reports and receipts, such as `iam user sts-lab-user`.
    pub fn label(&self) -> String {
        each!(self, r => r.label())
    }

    /// Whether `self` (from a result or a delete record) is the resource an intent
    /// announced: equal, except for what AWS assigns during creation (ids, `ETag`s) and
    /// the byte-level details of a profile.
    pub fn fulfils(&self, intent: &Self) -> bool {
        match (self, intent) {
            // Types with something AWS assigns during creation.
            (Self::IamUser(a), Self::IamUser(b)) => a.fulfils(b),
            (Self::IamAccessKey(a), Self::IamAccessKey(b)) => a.fulfils(b),
            (Self::IamGroup(a), Self::IamGroup(b)) => a.fulfils(b),
            (Self::IamRole(a), Self::IamRole(b)) => a.fulfils(b),
            (Self::IamPolicy(a), Self::IamPolicy(b)) => a.fulfils(b),
            (Self::IamOidcProvider(a), Self::IamOidcProvider(b)) => a.fulfils(b),
            (Self::IamSamlProvider(a), Self::IamSamlProvider(b)) => a.fulfils(b),
            (Self::CfnStack(a), Self::CfnStack(b)) => a.fulfils(b),
            (Self::S3Object(a), Self::S3Object(b)) => a.fulfils(b),
            (Self::AwsProfile(a), Self::AwsProfile(b)) => a.fulfils(b),
            // Types known whole before creation.
            (Self::IamUserPolicy(a), Self::IamUserPolicy(b)) => a == b,
            (Self::IamUserPolicyAttachment(a), Self::IamUserPolicyAttachment(b)) => a == b,
            (Self::IamGroupPolicy(a), Self::IamGroupPolicy(b)) => a == b,
            (Self::IamGroupMembership(a), Self::IamGroupMembership(b)) => a == b,
            (Self::IamRolePolicy(a), Self::IamRolePolicy(b)) => a == b,
            (Self::IamRolePolicyAttachment(a), Self::IamRolePolicyAttachment(b)) => a == b,
            (Self::IamRoleTrustPolicy(a), Self::IamRoleTrustPolicy(b)) => a == b,
            (Self::S3Bucket(a), Self::S3Bucket(b)) => a == b,
            (Self::IamVirtualMfaDevice(a), Self::IamVirtualMfaDevice(b)) => a == b,
            // Different types never fulfil each other; every type is listed above, so
            // a new one is a compile error in `each!` and a missing pair here only
            // makes resume and replay stricter.
            (
                Self::IamUser(_)
                | Self::IamAccessKey(_)
                | Self::IamUserPolicy(_)
                | Self::IamUserPolicyAttachment(_)
                | Self::IamGroup(_)
                | Self::IamGroupPolicy(_)
                | Self::IamGroupMembership(_)
                | Self::IamRole(_)
                | Self::IamRolePolicy(_)
                | Self::IamRolePolicyAttachment(_)
                | Self::IamPolicy(_)
                | Self::IamRoleTrustPolicy(_)
                | Self::IamOidcProvider(_)
                | Self::IamSamlProvider(_)
                | Self::CfnStack(_)
                | Self::S3Bucket(_)
                | Self::S3Object(_)
                | Self::AwsProfile(_)
                | Self::IamVirtualMfaDevice(_),
                _,
            ) => false,
        }
    }

    /// Whether a failed create call certainly created nothing (so the intent can be
    /// closed); otherwise the intent stays open and teardown looks for the resource.
    pub fn created_nothing(&self, error: &ErrorInfo) -> bool {
        match self {
            // A stack can exist although `CreateStack` answered an error (an emulator
            // passing a resource's failure through): only errors about the request
            // itself are certain.
            Self::CfnStack(_) => CfnStack::created_nothing(error),
            // One call makes one thing: a service's error answer means it made nothing.
            Self::IamUser(_)
            | Self::IamAccessKey(_)
            | Self::IamUserPolicy(_)
            | Self::IamUserPolicyAttachment(_)
            | Self::IamGroup(_)
            | Self::IamGroupPolicy(_)
            | Self::IamGroupMembership(_)
            | Self::IamRole(_)
            | Self::IamRolePolicy(_)
            | Self::IamRolePolicyAttachment(_)
            | Self::IamPolicy(_)
            | Self::IamRoleTrustPolicy(_)
            | Self::IamOidcProvider(_)
            | Self::IamSamlProvider(_)
            | Self::S3Bucket(_)
            | Self::S3Object(_)
            | Self::AwsProfile(_)
            | Self::IamVirtualMfaDevice(_) => error.source == crate::classify::ErrorSource::Service,
        }
    }

    /// Whether this resource exists and is this run's.
    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        each!(self, r => Box::pin(r.ownership(cx)).await)
    }

    /// Deletes the resource (its ownership already checked).
    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        each!(self, r => Box::pin(r.delete(cx)).await)
    }
}

impl fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Whether a journaled resource is there and is this run's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ownership {
    Ours,
    /// It does not exist (any more, or it was never created).
    Gone,
    /// Something is there that this run did not create; the reason says how we know.
    NotOurs(String),
    /// Whose it is could not be checked (an error answered); it is left, and it is
    /// never taken for foreign.
    Unknown(String),
}

/// What deleting did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Removal {
    Deleted,
    /// It was gone already; nothing was deleted.
    AlreadyGone,
    /// Nothing to delete by design (it goes with its parent, or was never written).
    NothingToUndo(String),
    /// Found changed by someone else on the way; left in place.
    NotOurs(String),
}

/// What teardown gives every resource: clients with the operator's credentials, the
/// run, and what the run's journal says it created (to find a sub-resource's parent).
pub struct TeardownCx<'a> {
    pub iam: aws_sdk_iam::Client,
    pub s3: aws_sdk_s3::Client,
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub run_id: &'a str,
    pub stack_deadline: Duration,
    /// Every resource the journal says exists or may exist.
    pub created: &'a [ResourceRef],
}

impl TeardownCx<'_> {
    /// The user named `name` if this run created it.
    fn created_user(&self, name: &str) -> Option<&IamUser> {
        self.created.iter().find_map(|r| match r {
            ResourceRef::IamUser(user) if user.name == name => Some(user),
            _ => None,
        })
    }

    fn created_role(&self, name: &str) -> Option<&IamRole> {
        self.created.iter().find_map(|r| match r {
            ResourceRef::IamRole(role) if role.name == name => Some(role),
            _ => None,
        })
    }

    fn created_group(&self, name: &str) -> Option<&IamGroup> {
        self.created.iter().find_map(|r| match r {
            ResourceRef::IamGroup(group) if group.name == name => Some(group),
            _ => None,
        })
    }

    fn created_bucket(&self, name: &str) -> Option<&S3Bucket> {
        self.created.iter().find_map(|r| match r {
            ResourceRef::S3Bucket(bucket) if bucket.name == name => Some(bucket),
            _ => None,
        })
    }

    /// Whether `(key, value)` tags include this run's tag.
    fn tagged<'t>(&self, mut tags: impl Iterator<Item = (&'t str, &'t str)>) -> bool {
        tags.any(|(key, value)| key == RUN_TAG && value == self.run_id)
    }
}

/// A sub-resource's ownership: its parent's, when this run created the parent; else
/// ours (the run made it on something it was given).
async fn through_parent<F, Fut>(parent: Option<F>) -> Ownership
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Ownership>,
{
    match parent {
        Some(check) => match check().await {
            Ownership::NotOurs(reason) => Ownership::NotOurs(reason),
            Ownership::Unknown(reason) => Ownership::Unknown(reason),
            // The parent is gone, so is what hung on it; the delete call finds out.
            Ownership::Ours | Ownership::Gone => Ownership::Ours,
        },
        None => Ownership::Ours,
    }
}

/// Compares the immutable id found with the one the journal holds.
fn same_id(what: &str, journaled: &str, found: &str) -> Ownership {
    if journaled == found {
        Ownership::Ours
    } else {
        Ownership::NotOurs(format!(
            "{what} exists with id `{found}`, not `{journaled}` that this run created (it was replaced out of band)"
        ))
    }
}

/// Ownership of an entity found by name: by the id the journal holds when it holds
/// one, else (a creation never confirmed, an old journal) by the run tag, which is
/// fetched only then.
async fn by_id_or_tag<Fut>(
    cx: &TeardownCx<'_>,
    label: &str,
    journaled: Option<&str>,
    found: &str,
    tags: impl FnOnce() -> Fut,
) -> Ownership
where
    Fut: Future<Output = Result<Vec<(String, String)>, Ownership>>,
{
    match journaled {
        Some(id) => same_id(label, id, found),
        None => match tags().await {
            Ok(tags) => by_tag(cx, &tags),
            Err(ownership) => ownership,
        },
    }
}

/// `(key, value)` pairs of IAM tags.
fn iam_tags(tags: &[aws_sdk_iam::types::Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

/// The ownership an error means: not found is gone; anything else cannot be checked,
/// so the resource is left.
fn unknown<E>(what: &str, error: &SdkError<E, HttpResponse>) -> Ownership
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let (info, message) = describe(what, error);
    if info.class() == ErrorClass::NotFound {
        Ownership::Gone
    } else {
        Ownership::Unknown(format!("cannot check whose it is: {message}"))
    }
}

/// Ownership by tag, for a creation that was never confirmed.
fn by_tag(cx: &TeardownCx<'_>, tags: &[(String, String)]) -> Ownership {
    if cx.tagged(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
        Ownership::Ours
    } else {
        Ownership::NotOurs("it exists but does not carry this run's tag".to_owned())
    }
}

/// A delete call: done, already gone ("not found"), or the error's message.
async fn delete_call<T, E>(
    what: &str,
    call: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Result<Removal, String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match call.await {
        Ok(_) => Ok(Removal::Deleted),
        Err(error) => {
            let (info, message) = describe(what, &error);
            if info.class() == ErrorClass::NotFound {
                Ok(Removal::AlreadyGone)
            } else {
                Err(message)
            }
        }
    }
}

/// Like [`delete_call`] for a prerequisite: only a failure matters.
async fn remove_first<T, E>(
    what: &str,
    call: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Result<(), String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    delete_call(what, call).await.map(|_| ())
}

/// An instant AWS answered, as the journal keeps it (`SECONDS.NANOS` since the epoch):
/// the identity of a resource that has no id.
pub fn instant(time: &aws_smithy_types::DateTime) -> String {
    format!("{}.{:09}", time.secs(), time.subsec_nanos())
}
