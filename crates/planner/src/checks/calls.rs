//! The API calls a `verify` step may make, their parameters and the answer fields an
//! expectation may match, and the checks of each `verify` against them.

use crate::diagnostics::{Diagnostics, did_you_mean};
use crate::kinds::StepKind;
use crate::plan::Plan;
use crate::values::Expect;

/// Every call `verify` can make. The executor dispatches on this enum with an
/// exhaustive match, so a call added to [`CALLS`] without an executor arm does not
/// compile (and a test checks that every variant is in [`CALLS`] once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallId {
    StsGetCallerIdentity,
    StsAssumeRole,
    S3ListBuckets,
    S3ListObjectsV2,
    S3HeadBucket,
    S3GetObject,
    IamGetUser,
    IamGetRole,
    IamGetGroup,
    IamListUsers,
    IamListRoles,
}

impl CallId {
    /// Every call, in [`CALLS`] order.
    pub const ALL: &'static [CallId] = &[
        CallId::StsGetCallerIdentity,
        CallId::StsAssumeRole,
        CallId::S3ListBuckets,
        CallId::S3ListObjectsV2,
        CallId::S3HeadBucket,
        CallId::S3GetObject,
        CallId::IamGetUser,
        CallId::IamGetRole,
        CallId::IamGetGroup,
        CallId::IamListUsers,
        CallId::IamListRoles,
    ];
}

/// One call `verify` can make.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub id: CallId,
    /// `service.Operation`
    pub name: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
    /// Fields of the answer an expectation may match.
    pub fields: &'static [&'static str],
    /// The IAM action AWS authorizes for the call.
    pub action: &'static str,
}

/// Every call `verify` supports. None of them creates anything.
pub const CALLS: &[Call] = &[
    Call {
        id: CallId::StsGetCallerIdentity,
        name: "sts.GetCallerIdentity",
        required: &[],
        optional: &[],
        fields: &["Account", "Arn", "UserId"],
        action: "sts:GetCallerIdentity",
    },
    Call {
        id: CallId::StsAssumeRole,
        name: "sts.AssumeRole",
        required: &["RoleArn", "RoleSessionName"],
        optional: &["DurationSeconds", "ExternalId"],
        fields: &["Arn", "AssumedRoleId"],
        action: "sts:AssumeRole",
    },
    Call {
        id: CallId::S3ListBuckets,
        name: "s3.ListBuckets",
        required: &[],
        optional: &[],
        fields: &["Buckets"],
        action: "s3:ListAllMyBuckets",
    },
    Call {
        id: CallId::S3ListObjectsV2,
        name: "s3.ListObjectsV2",
        required: &["Bucket"],
        optional: &["Prefix", "MaxKeys"],
        fields: &["KeyCount", "Keys"],
        action: "s3:ListBucket",
    },
    Call {
        id: CallId::S3HeadBucket,
        name: "s3.HeadBucket",
        required: &["Bucket"],
        optional: &[],
        fields: &[],
        action: "s3:ListBucket",
    },
    Call {
        id: CallId::S3GetObject,
        name: "s3.GetObject",
        required: &["Bucket", "Key"],
        optional: &[],
        fields: &["Body", "ContentType", "ETag"],
        action: "s3:GetObject",
    },
    Call {
        id: CallId::IamGetUser,
        name: "iam.GetUser",
        required: &[],
        optional: &["UserName"],
        fields: &["UserName", "Arn", "UserId"],
        action: "iam:GetUser",
    },
    Call {
        id: CallId::IamGetRole,
        name: "iam.GetRole",
        required: &["RoleName"],
        optional: &[],
        fields: &["RoleName", "Arn", "MaxSessionDuration"],
        action: "iam:GetRole",
    },
    Call {
        id: CallId::IamGetGroup,
        name: "iam.GetGroup",
        required: &["GroupName"],
        optional: &[],
        fields: &["GroupName", "Arn", "UserNames"],
        action: "iam:GetGroup",
    },
    Call {
        id: CallId::IamListUsers,
        name: "iam.ListUsers",
        required: &[],
        optional: &[],
        fields: &["UserNames"],
        action: "iam:ListUsers",
    },
    Call {
        id: CallId::IamListRoles,
        name: "iam.ListRoles",
        required: &[],
        optional: &[],
        fields: &["RoleNames"],
        action: "iam:ListRoles",
    },
];

/// The call named `name`, if `verify` supports it.
pub fn find_call(name: &str) -> Option<&'static Call> {
    CALLS.iter().find(|c| c.name == name)
}

/// Checks every `verify` step's call, parameters and expectation.
pub fn check(diags: &mut Diagnostics, plan: &Plan) {
    for step in plan.steps.values() {
        if let StepKind::Verify(verify) = &step.kind {
            check_verify(diags, step, verify);
        }
    }
}

fn check_verify(diags: &mut Diagnostics, step: &crate::plan::Step, verify: &crate::kinds::Verify) {
    {
        let Some(call) = find_call(&verify.call.value) else {
            let help = did_you_mean(&verify.call.value, CALLS.iter().map(|c| c.name))
                .unwrap_or_else(|| {
                    format!(
                        "`verify` can call {}",
                        CALLS
                            .iter()
                            .map(|c| format!("`{}`", c.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
            diags
                .error(
                    "plan::unknown_call",
                    verify.call.span,
                    format!(
                        "`verify` step `{}` cannot call `{}`",
                        step.id, verify.call.value
                    ),
                )
                .help(help)
                .emit();
            return;
        };
        for required in call.required {
            if !verify.params.contains_key(*required) {
                diags
                    .error(
                        "plan::call_params",
                        verify.call.span,
                        format!(
                            "`{}` needs parameter `{required}` (step `{}`)",
                            call.name, step.id
                        ),
                    )
                    .help(format!("add `params: {{ {required}: ... }}`"))
                    .emit();
            }
        }
        for (name, value) in &verify.params {
            if !call.required.contains(&name.as_str()) && !call.optional.contains(&name.as_str()) {
                let known = call.required.iter().chain(call.optional).copied();
                let help = did_you_mean(name, known).unwrap_or_else(|| {
                    let all: Vec<String> = call
                        .required
                        .iter()
                        .chain(call.optional)
                        .map(|p| format!("`{p}`"))
                        .collect();
                    if all.is_empty() {
                        format!("`{}` takes no parameters", call.name)
                    } else {
                        format!("`{}` takes {}", call.name, all.join(", "))
                    }
                });
                let at = diags
                    .file()
                    .find_from(step.body.span.offset, name)
                    .unwrap_or(value.span);
                diags
                    .error(
                        "plan::call_params",
                        at,
                        format!(
                            "`{}` has no parameter `{name}` (step `{}`)",
                            call.name, step.id
                        ),
                    )
                    .help(help)
                    .emit();
            }
        }
        check_expect(diags, step, verify, call);
    }
}

fn check_expect(
    diags: &mut Diagnostics,
    step: &crate::plan::Step,
    verify: &crate::kinds::Verify,
    call: &Call,
) {
    if let Expect::Fields(fields) = &verify.expect.value {
        for (field, _) in fields {
            if !call.fields.contains(&field.as_str()) {
                let help = did_you_mean(field, call.fields.iter().copied()).unwrap_or_else(|| {
                    format!(
                        "`{}` answers {}",
                        call.name,
                        call.fields
                            .iter()
                            .map(|f| format!("`{f}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
                let at = diags
                    .file()
                    .find_from(verify.expect.span.offset, field)
                    .unwrap_or(verify.expect.span);
                diags
                    .error(
                        "plan::expect",
                        at,
                        format!(
                            "`{}` has no answer field `{field}` to match (step `{}`)",
                            call.name, step.id
                        ),
                    )
                    .help(help)
                    .emit();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CALLS, CallId};

    #[test]
    fn every_call_id_is_in_the_table_once() {
        assert_eq!(CallId::ALL.len(), CALLS.len());
        for id in CallId::ALL {
            assert_eq!(CALLS.iter().filter(|c| c.id == *id).count(), 1, "{id:?}");
        }
    }
}
