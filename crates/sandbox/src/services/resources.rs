//! The resource AWS authorizes each IAM, STS and S3 action on, from the Service
//! Authorization Reference (SAR): one row per action the sandbox authorizes, with the
//! SAR's resource type and ARN template (`arn:${Partition}:iam::${Account}:user/${UserNameWithPath}`),
//! or `*` where the SAR lists no resource type. Each row cites its SAR entry
//! ([`Authorization::citation`]). The operations build their checks themselves; the
//! table tests (`resources_tests`) fill each template in and compare, so a check on
//! the wrong resource, or an action missing here, fails a test.
//!
//! A few actions have no resource type in the SAR, yet AWS names a resource when it
//! denies them, and a policy scoped to that resource grants them: `iam:ListUsers`,
//! `ListRoles` and `ListGroups` are authorized on the path prefix they list
//! (`User: ... is not authorized to perform: iam:ListRoles on resource:
//! arn:aws:iam::123456789012:role/`), so `"Resource": "*"` and
//! `"Resource": "arn:aws:iam::123456789012:role/*"` both grant them, as on AWS. Those
//! rows say so ([`Authorization::note`]). `iam:ListPolicies` is denied "on resource:
//! policy path /", which is no ARN: only `*` grants it.

/// Where the SAR pages are.
const SAR: &str = "https://docs.aws.amazon.com/service-authorization/latest/reference/";

/// One action and the resource it is authorized on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorization {
    /// `service:Action`.
    pub action: &'static str,
    /// The SAR's resource type (`user`, `bucket`), `None` where it lists none.
    pub resource_type: Option<&'static str>,
    /// The ARN template, with the SAR's variables, or `*`.
    pub resource: &'static str,
    /// Why the resource differs from the SAR's, if it does.
    pub note: &'static str,
}

impl Authorization {
    /// The SAR entry for the action (its page and anchor).
    pub fn citation(&self) -> String {
        let (service, action) = self.action.split_once(':').unwrap_or(("", self.action));
        let page = match service {
            "iam" => "awsidentityandaccessmanagementiam",
            "sts" => "awssecuritytokenservice",
            _ => "amazons3",
        };
        format!("{SAR}list_{page}.html#{page}-{action}")
    }

    /// The template with each `${Variable}` replaced from `values`.
    pub fn fill(&self, values: &[(&str, &str)]) -> String {
        values
            .iter()
            .fold(self.resource.to_owned(), |text, (name, value)| {
                text.replace(&format!("${{{name}}}"), value)
            })
    }
}

/// The row of `action` (`iam:GetUser`).
pub fn find(action: &str) -> Option<&'static Authorization> {
    TABLE.iter().find(|row| row.action == action)
}

const fn sar(
    action: &'static str,
    resource_type: &'static str,
    resource: &'static str,
) -> Authorization {
    Authorization {
        action,
        resource_type: Some(resource_type),
        resource,
        note: "",
    }
}

/// An action with no resource type in the SAR: authorized on `*`.
const fn any(action: &'static str) -> Authorization {
    Authorization {
        action,
        resource_type: None,
        resource: "*",
        note: "",
    }
}

/// An action with no resource type in the SAR, on the resource AWS names for it.
const fn named(action: &'static str, resource: &'static str, note: &'static str) -> Authorization {
    Authorization {
        action,
        resource_type: None,
        resource,
        note,
    }
}

const USER: &str = "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}";
const ROLE: &str = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
const GROUP: &str = "arn:${Partition}:iam::${Account}:group/${GroupNameWithPath}";
const POLICY: &str = "arn:${Partition}:iam::${Account}:policy/${PolicyNameWithPath}";
const MFA: &str = "arn:${Partition}:iam::${Account}:mfa/${MfaTokenIdWithPath}";
const OIDC_PROVIDER: &str = "arn:${Partition}:iam::${Account}:oidc-provider/${OidcProviderName}";
const SAML_PROVIDER: &str = "arn:${Partition}:iam::${Account}:saml-provider/${SamlProviderName}";
const INSTANCE_PROFILE: &str =
    "arn:${Partition}:iam::${Account}:instance-profile/${InstanceProfileNameWithPath}";
const FEDERATED_USER: &str = "arn:${Partition}:sts::${Account}:federated-user/${FederatedUserName}";
const BUCKET: &str = "arn:${Partition}:s3:::${BucketName}";
const OBJECT: &str = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";

// The list operations AWS authorizes on what they list (the SAR lists no resource
// type for them; AWS's denials name these).
const USERS_UNDER_PREFIX: &str = "arn:${Partition}:iam::${Account}:user${PathPrefix}";
const ROLES_UNDER_PREFIX: &str = "arn:${Partition}:iam::${Account}:role${PathPrefix}";
const GROUPS_UNDER_PREFIX: &str = "arn:${Partition}:iam::${Account}:group${PathPrefix}";
const MFA_DEVICES: &str = "arn:${Partition}:iam::${Account}:mfa/";
const OIDC_PROVIDERS: &str = "arn:${Partition}:iam::${Account}:oidc-provider/*";
const LISTED: &str = "no resource type in the SAR; AWS denies it on resource: <the ARN listed up to the path prefix>, so `*` and a policy scoped to the listed kind (`...:role/*`) grant it";
const ALL_BUCKETS: &str = "arn:${Partition}:s3:::*";
const EVERY_BUCKET: &str = "no resource type in the SAR; S3 authorizes it against every bucket, so `*` and `arn:aws:s3:::*` grant it (S3 user guide, user policy examples)";

/// Every action the sandbox authorizes for IAM, STS and S3.
pub const TABLE: &[Authorization] = &[
    // iam
    sar(
        "iam:AddRoleToInstanceProfile",
        "instance-profile",
        INSTANCE_PROFILE,
    ),
    sar("iam:AddUserToGroup", "group", GROUP),
    sar("iam:AttachGroupPolicy", "group", GROUP),
    sar("iam:AttachRolePolicy", "role", ROLE),
    sar("iam:AttachUserPolicy", "user", USER),
    sar("iam:CreateAccessKey", "user", USER),
    sar("iam:CreateGroup", "group", GROUP),
    sar(
        "iam:CreateInstanceProfile",
        "instance-profile",
        INSTANCE_PROFILE,
    ),
    sar("iam:CreateLoginProfile", "user", USER),
    sar(
        "iam:CreateOpenIDConnectProvider",
        "oidc-provider",
        OIDC_PROVIDER,
    ),
    sar("iam:CreatePolicy", "policy", POLICY),
    sar("iam:CreatePolicyVersion", "policy", POLICY),
    sar("iam:CreateRole", "role", ROLE),
    sar("iam:CreateSAMLProvider", "saml-provider", SAML_PROVIDER),
    sar("iam:CreateUser", "user", USER),
    sar("iam:CreateVirtualMFADevice", "mfa", MFA),
    sar("iam:DeactivateMFADevice", "user", USER),
    sar("iam:DeleteAccessKey", "user", USER),
    sar("iam:DeleteGroup", "group", GROUP),
    sar("iam:DeleteGroupPolicy", "group", GROUP),
    sar(
        "iam:DeleteInstanceProfile",
        "instance-profile",
        INSTANCE_PROFILE,
    ),
    sar("iam:DeleteLoginProfile", "user", USER),
    sar(
        "iam:DeleteOpenIDConnectProvider",
        "oidc-provider",
        OIDC_PROVIDER,
    ),
    sar("iam:DeletePolicy", "policy", POLICY),
    sar("iam:DeletePolicyVersion", "policy", POLICY),
    sar("iam:DeleteRole", "role", ROLE),
    sar("iam:DeleteRolePermissionsBoundary", "role", ROLE),
    sar("iam:DeleteRolePolicy", "role", ROLE),
    sar("iam:DeleteSAMLProvider", "saml-provider", SAML_PROVIDER),
    sar("iam:DeleteUser", "user", USER),
    sar("iam:DeleteUserPermissionsBoundary", "user", USER),
    sar("iam:DeleteUserPolicy", "user", USER),
    sar("iam:DeleteVirtualMFADevice", "mfa", MFA),
    sar("iam:DetachGroupPolicy", "group", GROUP),
    sar("iam:DetachRolePolicy", "role", ROLE),
    sar("iam:DetachUserPolicy", "user", USER),
    sar("iam:EnableMFADevice", "user", USER),
    sar("iam:GetGroup", "group", GROUP),
    sar("iam:GetGroupPolicy", "group", GROUP),
    sar("iam:GetLoginProfile", "user", USER),
    sar(
        "iam:GetOpenIDConnectProvider",
        "oidc-provider",
        OIDC_PROVIDER,
    ),
    sar("iam:GetPolicy", "policy", POLICY),
    sar("iam:GetPolicyVersion", "policy", POLICY),
    sar("iam:GetRole", "role", ROLE),
    sar("iam:GetRolePolicy", "role", ROLE),
    sar("iam:GetSAMLProvider", "saml-provider", SAML_PROVIDER),
    sar("iam:GetUser", "user", USER),
    sar("iam:GetUserPolicy", "user", USER),
    sar("iam:ListAccessKeys", "user", USER),
    sar("iam:ListAttachedRolePolicies", "role", ROLE),
    sar("iam:ListAttachedUserPolicies", "user", USER),
    sar("iam:ListEntitiesForPolicy", "policy", POLICY),
    sar("iam:ListGroupPolicies", "group", GROUP),
    named("iam:ListGroups", GROUPS_UNDER_PREFIX, LISTED),
    sar("iam:ListGroupsForUser", "user", USER),
    sar("iam:ListInstanceProfilesForRole", "role", ROLE),
    sar("iam:ListMFADevices", "user", USER),
    sar("iam:ListMFADeviceTags", "mfa", MFA),
    named("iam:ListOpenIDConnectProviders", OIDC_PROVIDERS, LISTED),
    any("iam:ListPolicies"),
    sar("iam:ListPolicyTags", "policy", POLICY),
    sar("iam:ListPolicyVersions", "policy", POLICY),
    sar("iam:ListRolePolicies", "role", ROLE),
    named("iam:ListRoles", ROLES_UNDER_PREFIX, LISTED),
    sar("iam:ListRoleTags", "role", ROLE),
    any("iam:ListSAMLProviders"),
    sar("iam:ListSAMLProviderTags", "saml-provider", SAML_PROVIDER),
    sar("iam:ListUserPolicies", "user", USER),
    named("iam:ListUsers", USERS_UNDER_PREFIX, LISTED),
    sar("iam:ListUserTags", "user", USER),
    named("iam:ListVirtualMFADevices", MFA_DEVICES, LISTED),
    sar("iam:PassRole", "role", ROLE),
    sar("iam:PutGroupPolicy", "group", GROUP),
    sar("iam:PutRolePermissionsBoundary", "role", ROLE),
    sar("iam:PutRolePolicy", "role", ROLE),
    sar("iam:PutUserPermissionsBoundary", "user", USER),
    sar("iam:PutUserPolicy", "user", USER),
    sar(
        "iam:RemoveRoleFromInstanceProfile",
        "instance-profile",
        INSTANCE_PROFILE,
    ),
    sar("iam:RemoveUserFromGroup", "group", GROUP),
    sar("iam:ResyncMFADevice", "user", USER),
    // `SimulatePrincipalPolicy` is on the user, role or group simulated (the SAR lists
    // all three); the sandbox's sample simulates a user.
    sar("iam:SimulatePrincipalPolicy", "user", USER),
    any("iam:SimulateCustomPolicy"),
    // Actions `awslab perms` grants that the sandbox does not check on their own.
    sar("iam:ListAttachedGroupPolicies", "group", GROUP),
    sar("iam:TagPolicy", "policy", POLICY),
    sar(
        "iam:TagOpenIDConnectProvider",
        "oidc-provider",
        OIDC_PROVIDER,
    ),
    sar("iam:TagMFADevice", "mfa", MFA),
    sar("iam:TagRole", "role", ROLE),
    sar("iam:TagSAMLProvider", "saml-provider", SAML_PROVIDER),
    sar("iam:TagUser", "user", USER),
    sar("iam:UntagSAMLProvider", "saml-provider", SAML_PROVIDER),
    sar("iam:UpdateAccessKey", "user", USER),
    sar("iam:UpdateAssumeRolePolicy", "role", ROLE),
    sar("iam:UpdateRole", "role", ROLE),
    sar("iam:UpdateSAMLProvider", "saml-provider", SAML_PROVIDER),
    // sts
    sar("sts:AssumeRole", "role", ROLE),
    sar("sts:AssumeRoleWithSAML", "role", ROLE),
    sar("sts:AssumeRoleWithWebIdentity", "role", ROLE),
    any("sts:DecodeAuthorizationMessage"),
    any("sts:GetAccessKeyInfo"),
    any("sts:GetCallerIdentity"),
    sar("sts:GetFederationToken", "federated-user", FEDERATED_USER),
    any("sts:GetSessionToken"),
    sar("sts:SetSourceIdentity", "role", ROLE),
    sar("sts:TagSession", "role", ROLE),
    // s3
    sar("s3:AbortMultipartUpload", "object", OBJECT),
    sar("s3:CreateBucket", "bucket", BUCKET),
    sar("s3:DeleteBucket", "bucket", BUCKET),
    sar("s3:DeleteBucketPolicy", "bucket", BUCKET),
    sar("s3:DeleteBucketWebsite", "bucket", BUCKET),
    sar("s3:DeleteObject", "object", OBJECT),
    sar("s3:DeleteObjectTagging", "object", OBJECT),
    sar("s3:GetAccelerateConfiguration", "bucket", BUCKET),
    sar("s3:GetAnalyticsConfiguration", "bucket", BUCKET),
    sar("s3:GetBucketAcl", "bucket", BUCKET),
    sar("s3:GetBucketCORS", "bucket", BUCKET),
    sar("s3:GetBucketLocation", "bucket", BUCKET),
    sar("s3:GetBucketLogging", "bucket", BUCKET),
    sar("s3:GetBucketNotification", "bucket", BUCKET),
    sar("s3:GetBucketObjectLockConfiguration", "bucket", BUCKET),
    sar("s3:GetBucketOwnershipControls", "bucket", BUCKET),
    sar("s3:GetBucketPolicy", "bucket", BUCKET),
    sar("s3:GetBucketPolicyStatus", "bucket", BUCKET),
    sar("s3:GetBucketPublicAccessBlock", "bucket", BUCKET),
    sar("s3:GetBucketRequestPayment", "bucket", BUCKET),
    sar("s3:GetBucketTagging", "bucket", BUCKET),
    sar("s3:GetBucketVersioning", "bucket", BUCKET),
    sar("s3:GetBucketWebsite", "bucket", BUCKET),
    sar("s3:GetEncryptionConfiguration", "bucket", BUCKET),
    sar("s3:GetIntelligentTieringConfiguration", "bucket", BUCKET),
    sar("s3:GetInventoryConfiguration", "bucket", BUCKET),
    sar("s3:GetLifecycleConfiguration", "bucket", BUCKET),
    sar("s3:GetMetricsConfiguration", "bucket", BUCKET),
    sar("s3:GetObject", "object", OBJECT),
    sar("s3:GetObjectAcl", "object", OBJECT),
    sar("s3:GetObjectAttributes", "object", OBJECT),
    sar("s3:GetObjectLegalHold", "object", OBJECT),
    sar("s3:GetObjectRetention", "object", OBJECT),
    sar("s3:GetObjectTagging", "object", OBJECT),
    sar("s3:GetObjectTorrent", "object", OBJECT),
    sar("s3:GetReplicationConfiguration", "bucket", BUCKET),
    named("s3:ListAllMyBuckets", ALL_BUCKETS, EVERY_BUCKET),
    sar("s3:ListBucket", "bucket", BUCKET),
    sar("s3:ListBucketMultipartUploads", "bucket", BUCKET),
    sar("s3:ListBucketVersions", "bucket", BUCKET),
    sar("s3:ListMultipartUploadParts", "object", OBJECT),
    sar("s3:PutAccelerateConfiguration", "bucket", BUCKET),
    sar("s3:PutAnalyticsConfiguration", "bucket", BUCKET),
    sar("s3:PutBucketAcl", "bucket", BUCKET),
    sar("s3:PutBucketCORS", "bucket", BUCKET),
    sar("s3:PutBucketLogging", "bucket", BUCKET),
    sar("s3:PutBucketNotification", "bucket", BUCKET),
    sar("s3:PutBucketObjectLockConfiguration", "bucket", BUCKET),
    sar("s3:PutBucketOwnershipControls", "bucket", BUCKET),
    sar("s3:PutBucketPolicy", "bucket", BUCKET),
    sar("s3:PutBucketPublicAccessBlock", "bucket", BUCKET),
    sar("s3:PutBucketRequestPayment", "bucket", BUCKET),
    sar("s3:PutBucketTagging", "bucket", BUCKET),
    sar("s3:PutBucketVersioning", "bucket", BUCKET),
    sar("s3:PutBucketWebsite", "bucket", BUCKET),
    sar("s3:PutEncryptionConfiguration", "bucket", BUCKET),
    sar("s3:PutIntelligentTieringConfiguration", "bucket", BUCKET),
    sar("s3:PutInventoryConfiguration", "bucket", BUCKET),
    sar("s3:PutLifecycleConfiguration", "bucket", BUCKET),
    sar("s3:PutMetricsConfiguration", "bucket", BUCKET),
    sar("s3:PutObject", "object", OBJECT),
    sar("s3:PutObjectAcl", "object", OBJECT),
    sar("s3:PutObjectLegalHold", "object", OBJECT),
    sar("s3:PutObjectRetention", "object", OBJECT),
    sar("s3:PutObjectTagging", "object", OBJECT),
    sar("s3:PutReplicationConfiguration", "bucket", BUCKET),
    sar("s3:RestoreObject", "object", OBJECT),
];
