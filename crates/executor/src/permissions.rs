//! The calls the operator's credentials make for each step kind, as `service.Operation`
//! names of the call table in `awslab-apimodel` (which gives each its IAM action): what
//! a step's run calls (creation, the reads it does, waits) and what its resource's
//! teardown calls (the ownership check, AWS's prerequisites, the delete). Kept beside
//! the step modules (`steps/`) and resource types (`resources/`) that make the calls;
//! a test checks every name against the models. `awslab perms` turns these into the
//! operator's least-privilege policy. Calls a step makes as another identity (`as:`)
//! are that identity's, not the operator's; a `verify` as the operator needs its call.
//!
//! The calls `CloudFormation` makes on the caller's behalf for a stack's resources are
//! IAM actions, not calls of ours: [`cfn_resource_actions`] lists them per resource
//! type, from the handlers' `permissions` of AWS's resource type schemas (trimmed to
//! what creating and deleting needs).

/// The operator's calls for one step kind: `up` while the step runs, `down` when its
/// resource is torn down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindCalls {
    pub up: &'static [&'static str],
    pub down: &'static [&'static str],
}

const fn calls(up: &'static [&'static str], down: &'static [&'static str]) -> KindCalls {
    KindCalls { up, down }
}

/// A user's teardown: the ownership check, keys, policies, memberships and login
/// profile before the user (see `resources/iam_user.rs`).
const USER_DOWN: &[&str] = &[
    "iam.GetUser",
    "iam.ListUserTags",
    "iam.ListAccessKeys",
    "iam.DeleteAccessKey",
    "iam.ListUserPolicies",
    "iam.DeleteUserPolicy",
    "iam.ListAttachedUserPolicies",
    "iam.DetachUserPolicy",
    "iam.ListGroupsForUser",
    "iam.DeleteLoginProfile",
    "iam.DeleteUser",
];

/// A role's teardown (see `resources/iam_role.rs`).
const ROLE_DOWN: &[&str] = &[
    "iam.GetRole",
    "iam.ListRoleTags",
    "iam.ListRolePolicies",
    "iam.DeleteRolePolicy",
    "iam.ListAttachedRolePolicies",
    "iam.DetachRolePolicy",
    "iam.ListInstanceProfilesForRole",
    "iam.DeleteRole",
];

/// The calls the operator makes for a step of the kind labelled `label`; `None` for a
/// label no kind has. A kind whose calls depend on its fields (an `iam.user` with
/// `access_key: true`, an `iam.role` with inline policies) lists them all; the extra
/// ones are added by [`optional_calls`].
pub fn kind_calls(label: &str) -> Option<KindCalls> {
    Some(match label {
        "iam.user" => calls(&["iam.CreateUser", "iam.TagUser"], USER_DOWN),
        "iam.access_key" => calls(&["iam.CreateAccessKey"], &["iam.DeleteAccessKey"]),
        "iam.user_policy" => calls(&["iam.PutUserPolicy"], &["iam.DeleteUserPolicy"]),
        "iam.user_policy_attachment" => calls(&["iam.AttachUserPolicy"], &["iam.DetachUserPolicy"]),
        "iam.group" => calls(
            &["iam.CreateGroup"],
            &[
                "iam.GetGroup",
                "iam.ListGroupPolicies",
                "iam.DeleteGroupPolicy",
                "iam.ListAttachedGroupPolicies",
                "iam.DetachGroupPolicy",
                "iam.RemoveUserFromGroup",
                "iam.DeleteGroup",
            ],
        ),
        "iam.group_policy" => calls(&["iam.PutGroupPolicy"], &["iam.DeleteGroupPolicy"]),
        "iam.group_membership" => calls(&["iam.AddUserToGroup"], &["iam.RemoveUserFromGroup"]),
        "iam.role" => calls(&["iam.CreateRole", "iam.TagRole"], ROLE_DOWN),
        "iam.role_policy" => calls(&["iam.PutRolePolicy"], &["iam.DeleteRolePolicy"]),
        "iam.role_policy_attachment" => calls(&["iam.AttachRolePolicy"], &["iam.DetachRolePolicy"]),
        "iam.policy" => calls(
            &["iam.CreatePolicy", "iam.TagPolicy"],
            &[
                "iam.GetPolicy",
                "iam.ListPolicyTags",
                "iam.ListEntitiesForPolicy",
                "iam.ListPolicyVersions",
                "iam.DeletePolicyVersion",
                "iam.DeletePolicy",
            ],
        ),
        "iam.trust_policy" => calls(
            &["iam.GetRole", "iam.UpdateAssumeRolePolicy"],
            &["iam.UpdateAssumeRolePolicy"],
        ),
        "iam.oidc_provider" => calls(
            &[
                "iam.CreateOpenIDConnectProvider",
                "iam.TagOpenIDConnectProvider",
                "iam.GetOpenIDConnectProvider",
            ],
            &[
                "iam.GetOpenIDConnectProvider",
                "iam.DeleteOpenIDConnectProvider",
            ],
        ),
        "iam.saml_provider" => calls(
            &[
                "iam.CreateSAMLProvider",
                "iam.TagSAMLProvider",
                "iam.GetSAMLProvider",
            ],
            &["iam.GetSAMLProvider", "iam.DeleteSAMLProvider"],
        ),
        "iam.virtual_mfa_device" => calls(
            &[
                "iam.CreateVirtualMFADevice",
                "iam.TagMFADevice",
                "iam.EnableMFADevice",
            ],
            &[
                "iam.ListMFADeviceTags",
                "iam.DeactivateMFADevice",
                "iam.DeleteVirtualMFADevice",
            ],
        ),
        "cfn.stack" => calls(
            &[
                "cloudformation.CreateStack",
                "cloudformation.DescribeStacks",
                "cloudformation.DescribeStackEvents",
            ],
            &[
                "cloudformation.DescribeStacks",
                "cloudformation.DeleteStack",
            ],
        ),
        "s3.bucket" => calls(
            &["s3.CreateBucket", "s3.PutBucketTagging"],
            &["s3.GetBucketTagging", "s3.DeleteBucket"],
        ),
        "s3.object" => calls(&[], &["s3.HeadObject", "s3.DeleteObject"]),
        // STS steps, profiles and verifies call as their identity (below).
        "sts.assume_role"
        | "sts.get_session_token"
        | "sts.get_federation_token"
        | "sts.assume_role_with_web_identity"
        | "sts.assume_role_with_saml"
        | "aws.profile"
        | "verify" => calls(&[], &[]),
        _ => return None,
    })
}

/// What a step's own fields add to its kind's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optional {
    /// An `iam.role`'s inline `policies:`.
    RoleInlinePolicies,
    /// An `iam.role`'s `managed_policies:`.
    RoleManagedPolicies,
    /// An `s3.bucket`'s `policy:`.
    BucketPolicy,
}

/// The calls an optional part of a step adds.
pub fn optional_calls(part: Optional) -> &'static [&'static str] {
    match part {
        Optional::RoleInlinePolicies => &["iam.PutRolePolicy"],
        Optional::RoleManagedPolicies => &["iam.AttachRolePolicy"],
        Optional::BucketPolicy => &["s3.PutBucketPolicy"],
    }
}

/// The calls a step of kind `label` makes as the identity its `as:` names (the operator
/// when it names none): `sts.assume_role` calls `sts.AssumeRole`, a `verify` its call
/// (given as `verify_call`), an `s3.object` `s3.PutObject`.
pub fn identity_calls(label: &str) -> &'static [&'static str] {
    match label {
        "sts.assume_role" => &["sts.AssumeRole"],
        "sts.get_session_token" => &["sts.GetSessionToken"],
        "sts.get_federation_token" => &["sts.GetFederationToken"],
        "s3.object" => &["s3.PutObject"],
        _ => &[],
    }
}

/// The operator's teardown calls for what a `verify` creates (whoever made the call:
/// `down` removes it as the operator).
pub fn verify_teardown_calls(creates: awslab_apimodel::Creates) -> &'static [&'static str] {
    use awslab_apimodel::Creates;
    match creates {
        Creates::S3Object => &["s3.HeadObject", "s3.DeleteObject"],
        Creates::IamUser => USER_DOWN,
        Creates::IamRole => ROLE_DOWN,
        Creates::IamPolicy => &[
            "iam.GetPolicy",
            "iam.ListPolicyTags",
            "iam.ListEntitiesForPolicy",
            "iam.ListPolicyVersions",
            "iam.DeletePolicyVersion",
            "iam.DeletePolicy",
        ],
        Creates::IamAccessKey => &["iam.DeleteAccessKey"],
        Creates::IamUserPolicy => &["iam.DeleteUserPolicy"],
    }
}

/// The IAM actions `CloudFormation` calls on the caller's behalf to create and delete a
/// resource of `resource_type` (when the stack has no service role): `(create,
/// delete)`, with the resource each is on given by the action's row of the Service
/// Authorization Reference. `None` for a type awslab's sandbox does not model.
pub fn cfn_resource_actions(
    resource_type: &str,
) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match resource_type {
        "AWS::IAM::Role" => (
            &[
                "iam:CreateRole",
                "iam:GetRole",
                "iam:TagRole",
                "iam:PutRolePolicy",
                "iam:AttachRolePolicy",
                "iam:PutRolePermissionsBoundary",
            ],
            &[
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:DeleteRolePermissionsBoundary",
                "iam:DeleteRole",
            ],
        ),
        "AWS::IAM::User" => (
            &[
                "iam:CreateUser",
                "iam:GetUser",
                "iam:TagUser",
                "iam:PutUserPolicy",
                "iam:AttachUserPolicy",
                "iam:AddUserToGroup",
            ],
            &[
                "iam:DeleteUserPolicy",
                "iam:DetachUserPolicy",
                "iam:RemoveUserFromGroup",
                "iam:DeleteUser",
            ],
        ),
        "AWS::IAM::Group" => (
            &[
                "iam:CreateGroup",
                "iam:GetGroup",
                "iam:PutGroupPolicy",
                "iam:AttachGroupPolicy",
            ],
            &[
                "iam:DeleteGroupPolicy",
                "iam:DetachGroupPolicy",
                "iam:DeleteGroup",
            ],
        ),
        // An inline policy is put on the users, roles and groups it names.
        "AWS::IAM::Policy" => (
            &[
                "iam:PutRolePolicy",
                "iam:PutUserPolicy",
                "iam:PutGroupPolicy",
            ],
            &[
                "iam:DeleteRolePolicy",
                "iam:DeleteUserPolicy",
                "iam:DeleteGroupPolicy",
            ],
        ),
        "AWS::IAM::ManagedPolicy" => (
            &["iam:CreatePolicy", "iam:GetPolicy"],
            &[
                "iam:ListPolicyVersions",
                "iam:DeletePolicyVersion",
                "iam:DeletePolicy",
            ],
        ),
        "AWS::IAM::AccessKey" => (&["iam:CreateAccessKey"], &["iam:DeleteAccessKey"]),
        "AWS::IAM::InstanceProfile" => (
            &["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"],
            &[
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
            ],
        ),
        "AWS::IAM::OIDCProvider" => (
            &["iam:CreateOpenIDConnectProvider"],
            &["iam:DeleteOpenIDConnectProvider"],
        ),
        "AWS::IAM::SAMLProvider" => (&["iam:CreateSAMLProvider"], &["iam:DeleteSAMLProvider"]),
        "AWS::IAM::UserToGroupAddition" => (&["iam:AddUserToGroup"], &["iam:RemoveUserFromGroup"]),
        "AWS::S3::Bucket" => (
            &["s3:CreateBucket", "s3:PutBucketTagging"],
            &["s3:DeleteBucket"],
        ),
        "AWS::S3::BucketPolicy" => (
            &["s3:PutBucketPolicy", "s3:GetBucketPolicy"],
            &["s3:DeleteBucketPolicy"],
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_calls_and_every_call_is_in_the_models() {
        for label in awslab_planner::StepKind::LABELS {
            let kind = kind_calls(label).unwrap_or_else(|| panic!("no calls for `{label}`"));
            let extra = identity_calls(label);
            for call in kind.up.iter().chain(kind.down).chain(extra) {
                assert!(
                    awslab_apimodel::find_call(call).is_some(),
                    "`{call}` of `{label}` is not a call of the models"
                );
            }
        }
        for part in [
            Optional::RoleInlinePolicies,
            Optional::RoleManagedPolicies,
            Optional::BucketPolicy,
        ] {
            for call in optional_calls(part) {
                assert!(awslab_apimodel::find_call(call).is_some(), "{call}");
            }
        }
    }
}
