//! `verify`: makes one read-only API call as an identity and checks the outcome
//! against the expectation. A denial expected as `AccessDenied` counts only when it is
//! a genuine authorization denial: credential errors of a key that is still
//! propagating are retried, and so is a denial where success is expected (a policy
//! just put may not be in force yet), until the settle deadline.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use awslab_planner::kinds::Verify;
use awslab_planner::values::{Expect, glob_match};
use indexmap::IndexMap;

use awslab_planner::checks::{CallId, find_call};

use crate::classify::{ErrorClass, ErrorInfo};
use crate::client::{iam_client, s3_client, sts_client};
use crate::context::StepCx;
use crate::error::StepError;
use crate::outputs::NoOutputs;

/// What a call answered: its fields, or an error.
type Answer = Result<IndexMap<String, String>, ErrorInfo>;

/// A verify's result for reports: what was expected and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub expected: String,
    pub got: String,
}

fn fields<const N: usize>(pairs: [(&str, String); N]) -> IndexMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: &SdkError<E, HttpResponse>,
) -> ErrorInfo {
    ErrorInfo::from_sdk(e)
}

fn param(params: &IndexMap<String, String>, name: &str) -> String {
    params.get(name).cloned().unwrap_or_default()
}

/// Makes the call. One arm per [`CallId`]: the planner's table of calls and this
/// dispatch cannot drift apart.
#[expect(clippy::too_many_lines, reason = "one arm per supported call")]
async fn call(
    cx: &StepCx<'_>,
    id: CallId,
    spec: &Verify,
    params: &IndexMap<String, String>,
) -> Result<Answer, StepError> {
    let config = cx.config_of(spec.identity.as_ref())?;
    Ok(match id {
        CallId::StsGetCallerIdentity => {
            match sts_client(&config).get_caller_identity().send().await {
                Ok(a) => Ok(fields([
                    ("Account", a.account().unwrap_or_default().to_owned()),
                    ("Arn", a.arn().unwrap_or_default().to_owned()),
                    ("UserId", a.user_id().unwrap_or_default().to_owned()),
                ])),
                Err(e) => Err(error(&e)),
            }
        }
        CallId::StsAssumeRole => {
            let request = sts_client(&config)
                .assume_role()
                .role_arn(param(params, "RoleArn"))
                .role_session_name(param(params, "RoleSessionName"));
            let request = request
                .set_external_id(params.get("ExternalId").cloned())
                .set_duration_seconds(params.get("DurationSeconds").and_then(|d| d.parse().ok()));
            match request.send().await {
                // The credentials are dropped at once: a verify keeps nothing.
                Ok(a) => Ok(fields([
                    (
                        "Arn",
                        a.assumed_role_user()
                            .map(|u| u.arn().to_owned())
                            .unwrap_or_default(),
                    ),
                    (
                        "AssumedRoleId",
                        a.assumed_role_user()
                            .map(|u| u.assumed_role_id().to_owned())
                            .unwrap_or_default(),
                    ),
                ])),
                Err(e) => Err(error(&e)),
            }
        }
        CallId::S3ListBuckets => match s3_client(&config).list_buckets().send().await {
            Ok(a) => Ok(fields([(
                "Buckets",
                a.buckets()
                    .iter()
                    .filter_map(|b| b.name())
                    .collect::<Vec<_>>()
                    .join(","),
            )])),
            Err(e) => Err(error(&e)),
        },
        CallId::S3ListObjectsV2 => {
            let request = s3_client(&config)
                .list_objects_v2()
                .bucket(param(params, "Bucket"))
                .set_prefix(params.get("Prefix").cloned())
                .set_max_keys(params.get("MaxKeys").and_then(|m| m.parse().ok()));
            match request.send().await {
                Ok(a) => Ok(fields([
                    ("KeyCount", a.key_count().unwrap_or_default().to_string()),
                    (
                        "Keys",
                        a.contents()
                            .iter()
                            .filter_map(|o| o.key())
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                ])),
                Err(e) => Err(error(&e)),
            }
        }
        CallId::S3HeadBucket => match s3_client(&config)
            .head_bucket()
            .bucket(param(params, "Bucket"))
            .send()
            .await
        {
            Ok(_) => Ok(IndexMap::new()),
            Err(e) => Err(error(&e)),
        },
        CallId::S3GetObject => match s3_client(&config)
            .get_object()
            .bucket(param(params, "Bucket"))
            .key(param(params, "Key"))
            .send()
            .await
        {
            Ok(a) => {
                let content_type = a.content_type().unwrap_or_default().to_owned();
                let etag = a.e_tag().unwrap_or_default().to_owned();
                let body = a
                    .body
                    .collect()
                    .await
                    .map(|b| String::from_utf8_lossy(&b.into_bytes()).into_owned())
                    .unwrap_or_default();
                Ok(fields([
                    ("Body", body),
                    ("ContentType", content_type),
                    ("ETag", etag),
                ]))
            }
            Err(e) => Err(error(&e)),
        },
        CallId::IamGetUser => match iam_client(&config)
            .get_user()
            .set_user_name(params.get("UserName").cloned())
            .send()
            .await
        {
            Ok(a) => Ok(a
                .user()
                .map(|u| {
                    fields([
                        ("UserName", u.user_name().to_owned()),
                        ("Arn", u.arn().to_owned()),
                        ("UserId", u.user_id().to_owned()),
                    ])
                })
                .unwrap_or_default()),
            Err(e) => Err(error(&e)),
        },
        CallId::IamGetRole => match iam_client(&config)
            .get_role()
            .role_name(param(params, "RoleName"))
            .send()
            .await
        {
            Ok(a) => Ok(a
                .role()
                .map(|r| {
                    fields([
                        ("RoleName", r.role_name().to_owned()),
                        ("Arn", r.arn().to_owned()),
                        (
                            "MaxSessionDuration",
                            r.max_session_duration().unwrap_or_default().to_string(),
                        ),
                    ])
                })
                .unwrap_or_default()),
            Err(e) => Err(error(&e)),
        },
        CallId::IamListUsers => match iam_client(&config).list_users().send().await {
            Ok(a) => Ok(fields([(
                "UserNames",
                a.users()
                    .iter()
                    .map(aws_sdk_iam::types::User::user_name)
                    .collect::<Vec<_>>()
                    .join(","),
            )])),
            Err(e) => Err(error(&e)),
        },
        CallId::IamListRoles => match iam_client(&config).list_roles().send().await {
            Ok(a) => Ok(fields([(
                "RoleNames",
                a.roles()
                    .iter()
                    .map(aws_sdk_iam::types::Role::role_name)
                    .collect::<Vec<_>>()
                    .join(","),
            )])),
            Err(e) => Err(error(&e)),
        },
        CallId::IamGetGroup => match iam_client(&config)
            .get_group()
            .group_name(param(params, "GroupName"))
            .send()
            .await
        {
            Ok(a) => Ok(a
                .group()
                .map(|g| {
                    fields([
                        ("GroupName", g.group_name().to_owned()),
                        ("Arn", g.arn().to_owned()),
                        (
                            "UserNames",
                            a.users()
                                .iter()
                                .map(aws_sdk_iam::types::User::user_name)
                                .collect::<Vec<_>>()
                                .join(","),
                        ),
                    ])
                })
                .unwrap_or_default()),
            Err(e) => Err(error(&e)),
        },
    })
}

fn code_matches(expected: &str, code: Option<&str>) -> bool {
    code.is_some_and(|c| c == expected || c.strip_suffix("Exception") == Some(expected))
}

/// Judges one answer: `Ok(Ok(verdict))` passed, `Ok(Err(reason))` retry, `Err` failed.
fn judge(
    cx: &StepCx<'_>,
    expect: &Expect,
    answer: &Answer,
) -> Result<Result<Verdict, String>, StepError> {
    let got = |answer: &Answer| match answer {
        Ok(_) => "success".to_owned(),
        Err(info) => info.code.clone().unwrap_or_else(|| info.to_string()),
    };
    if let Err(info) = answer
        && matches!(
            info.class(),
            ErrorClass::Propagating | ErrorClass::Retryable
        )
        && cx.may_still_change(info.class())
    {
        return Ok(Err(format!(
            "answered {} (credentials not in force yet?)",
            got(answer)
        )));
    }
    match expect {
        Expect::Allow => match answer {
            Ok(_) => Ok(Ok(Verdict {
                expected: "success".into(),
                got: "success".into(),
            })),
            Err(info) if cx.may_still_change(info.class()) => Ok(Err(format!(
                "answered {} (a policy just put may not be in force yet)",
                got(answer)
            ))),
            Err(info) => Err(StepError::Unmet(format!("expected success, got {info}"))),
        },
        Expect::Error(code) => match answer {
            Err(info) if code_matches(code, info.code.as_deref()) => Ok(Ok(Verdict {
                expected: code.clone(),
                got: got(answer),
            })),
            Err(info) => Err(StepError::Unmet(format!("expected `{code}`, got {info}"))),
            Ok(_) => Err(StepError::Unmet(format!(
                "expected `{code}`, but the call succeeded"
            ))),
        },
        Expect::Fields(patterns) => match answer {
            Ok(values) => {
                for (field, pattern) in patterns {
                    let pattern = cx.render(pattern)?;
                    let value = values.get(field).map_or("", String::as_str);
                    if !glob_match(&pattern, value) {
                        return Err(StepError::Unmet(format!(
                            "expected `{field}` to match `{pattern}`, got `{value}`"
                        )));
                    }
                }
                let shown = patterns
                    .iter()
                    .map(|(f, _)| {
                        format!(
                            "{f}={}",
                            values.get(f).map_or("", String::as_str).escape_debug()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                Ok(Ok(Verdict {
                    expected: "fields match".into(),
                    got: shown,
                }))
            }
            Err(info) if cx.may_still_change(info.class()) => {
                Ok(Err(format!("answered {}", got(answer))))
            }
            Err(info) => Err(StepError::Unmet(format!(
                "expected success with matching fields, got {info}"
            ))),
        },
    }
}

pub async fn run(spec: &Verify, cx: &StepCx<'_>) -> Result<NoOutputs, StepError> {
    let id = find_call(&spec.call.value)
        .map(|c| c.id)
        .ok_or_else(|| StepError::Local(format!("`verify` cannot call `{}`", spec.call.value)))?;
    let mut params = IndexMap::new();
    for (name, value) in &spec.params {
        params.insert(name.clone(), cx.render(&value.value)?);
    }
    // A new key is awaited first, so that its propagation is never judged. Another
    // answer (credentials that expired, as a lab may expect) is for `judge` to judge.
    match cx.accepted_config_of(spec.identity.as_ref()).await {
        Ok(_) | Err(StepError::Aws { .. }) => {}
        Err(error) => return Err(error),
    }
    let verdict = cx
        .settle(&format!("verify `{}`", spec.call.value), || async {
            let answer = call(cx, id, spec, &params).await?;
            judge(cx, &spec.expect.value, &answer)
        })
        .await;
    match verdict {
        Ok(verdict) => {
            cx.note(|n| {
                n.verdict = Some(format!(
                    "expected {}, got {}",
                    verdict.expected, verdict.got
                ));
            });
            Ok(NoOutputs {})
        }
        Err(error) => {
            cx.note(|n| n.verdict = Some(error.to_string()));
            Err(error)
        }
    }
}
