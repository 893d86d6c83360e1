//! Rules AWS applies beside the policies, which no policy document shows:
//! `sts:GetCallerIdentity` always succeeds for valid credentials (even under an explicit
//! deny), AWS managed policies cannot be changed by any caller, roles under the
//! `/aws-service-role/` and `/aws-reserved/` paths cannot be changed by callers, and
//! `alias/aws/...` KMS aliases are reserved for AWS. Evaluation (the `evaluate` module) applies them
//! before any policy; [`service_rule`] answers on its own.

use serde::{Deserialize, Serialize};

use crate::arn::arn_parts;
use crate::request::Request;

/// A rule of the service that decides a request whatever the policies say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ServiceRule {
    /// `sts:GetCallerIdentity` needs no permission and cannot be denied
    /// (`https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html`).
    CallerIdentity,
    /// An AWS managed policy (`arn:aws:iam::aws:policy/...`) cannot be changed,
    /// versioned, tagged or deleted
    /// (`https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html`).
    AwsManagedPolicy,
    /// A service-linked role (path `/aws-service-role/`) is changed only by its service
    /// (`https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html`).
    ServiceLinkedRole,
    /// A role under `/aws-reserved/` belongs to IAM Identity Center
    /// (`https://docs.aws.amazon.com/singlesignon/latest/userguide/using-service-linked-roles.html`).
    ReservedRole,
    /// A KMS alias under `alias/aws/` is reserved for AWS managed keys
    /// (`https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html`).
    ReservedKmsAlias,
}

impl ServiceRule {
    /// Whether the rule allows (only [`ServiceRule::CallerIdentity`]) or denies.
    pub fn allows(self) -> bool {
        self == Self::CallerIdentity
    }

    /// A stable label (`caller-identity`, `aws-managed-policy`, ...).
    pub fn label(self) -> &'static str {
        match self {
            Self::CallerIdentity => "caller-identity",
            Self::AwsManagedPolicy => "aws-managed-policy",
            Self::ServiceLinkedRole => "service-linked-role",
            Self::ReservedRole => "reserved-role",
            Self::ReservedKmsAlias => "reserved-kms-alias",
        }
    }

    /// The rule as a sentence a learner can act on.
    pub fn describe(self) -> &'static str {
        match self {
            Self::CallerIdentity => {
                "sts:GetCallerIdentity needs no permission: AWS answers it for any valid credentials, even under an explicit deny"
            }
            Self::AwsManagedPolicy => {
                "AWS managed policies (arn:aws:iam::aws:policy/...) are owned by AWS: no caller can change, version, tag or delete them"
            }
            Self::ServiceLinkedRole => {
                "roles under /aws-service-role/ are service-linked roles: only their service can change them (callers may only read them, edit their description or ask for their deletion)"
            }
            Self::ReservedRole => {
                "roles under /aws-reserved/ are managed by IAM Identity Center: callers cannot change them"
            }
            Self::ReservedKmsAlias => {
                "KMS aliases that begin with alias/aws/ are reserved for AWS managed keys: callers cannot create, change or delete them"
            }
        }
    }
}

/// The service rule that decides `request`, if any. Cheap: a few prefix checks,
/// and nothing at all for actions of services other than STS, IAM and KMS.
pub fn service_rule(request: &Request) -> Option<ServiceRule> {
    rule_for(&request.action, &request.resource)
}

/// [`service_rule`] for an action (any letter case) and a resource ARN.
pub(crate) fn rule_for(action: &str, resource: &str) -> Option<ServiceRule> {
    let (service, name) = action.split_once(':')?;
    if service.eq_ignore_ascii_case("sts") {
        return name
            .eq_ignore_ascii_case("GetCallerIdentity")
            .then_some(ServiceRule::CallerIdentity);
    }
    let is_iam = service.eq_ignore_ascii_case("iam");
    let is_kms = service.eq_ignore_ascii_case("kms");
    if !is_iam && !is_kms {
        return None;
    }
    let parts = arn_parts(resource)?;
    if is_iam && parts.service == "iam" {
        if parts.account == "aws" && parts.resource.starts_with("policy/") {
            return (!reads(name)).then_some(ServiceRule::AwsManagedPolicy);
        }
        let path = parts.resource.strip_prefix("role/")?;
        if path.starts_with("aws-service-role/") {
            let allowed = reads(name)
                || [
                    "PassRole",
                    "DeleteServiceLinkedRole",
                    "UpdateRoleDescription",
                ]
                .iter()
                .any(|allowed| name.eq_ignore_ascii_case(allowed));
            return (!allowed).then_some(ServiceRule::ServiceLinkedRole);
        }
        if path.starts_with("aws-reserved/") {
            let allowed = reads(name) || name.eq_ignore_ascii_case("PassRole");
            return (!allowed).then_some(ServiceRule::ReservedRole);
        }
        return None;
    }
    if is_kms && parts.service == "kms" && parts.resource.starts_with("alias/aws/") {
        let changes = ["CreateAlias", "UpdateAlias", "DeleteAlias"]
            .iter()
            .any(|change| name.eq_ignore_ascii_case(change));
        return changes.then_some(ServiceRule::ReservedKmsAlias);
    }
    None
}

/// IAM actions that only read (`Get*`, `List*`, `Simulate*`, `Generate*`).
fn reads(name: &str) -> bool {
    ["Get", "List", "Simulate", "Generate"]
        .iter()
        .any(|prefix| {
            name.get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_rule_and_leaves_other_requests_alone() {
        let cases = [
            (
                "sts:GetCallerIdentity",
                "*",
                Some(ServiceRule::CallerIdentity),
            ),
            (
                "STS:getcalleridentity",
                "*",
                Some(ServiceRule::CallerIdentity),
            ),
            ("sts:AssumeRole", "arn:aws:iam::111122223333:role/r", None),
            (
                "iam:CreatePolicyVersion",
                "arn:aws:iam::aws:policy/AdministratorAccess",
                Some(ServiceRule::AwsManagedPolicy),
            ),
            (
                "iam:GetPolicy",
                "arn:aws:iam::aws:policy/AdministratorAccess",
                None,
            ),
            (
                "iam:DeleteRole",
                "arn:aws:iam::111122223333:role/aws-service-role/ec2.amazonaws.com/AWSServiceRoleForEC2",
                Some(ServiceRule::ServiceLinkedRole),
            ),
            (
                "iam:DeleteServiceLinkedRole",
                "arn:aws:iam::111122223333:role/aws-service-role/ec2.amazonaws.com/AWSServiceRoleForEC2",
                None,
            ),
            (
                "iam:PutRolePolicy",
                "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin",
                Some(ServiceRule::ReservedRole),
            ),
            (
                "kms:CreateAlias",
                "arn:aws:kms:us-east-1:111122223333:alias/aws/s3",
                Some(ServiceRule::ReservedKmsAlias),
            ),
            (
                "kms:CreateAlias",
                "arn:aws:kms:us-east-1:111122223333:alias/mine",
                None,
            ),
            ("iam:DeleteRole", "arn:aws:iam::111122223333:role/lab", None),
            ("s3:GetObject", "arn:aws:s3:::aws-service-role/x", None),
        ];
        for (action, resource, expected) in cases {
            assert_eq!(
                rule_for(action, resource),
                expected,
                "{action} on {resource}"
            );
        }
    }
}
