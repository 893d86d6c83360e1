//! `verify`: makes one API call (any operation of the call table, see
//! `awslab-apimodel`) as an identity through the generic dispatcher ([`crate::api`])
//! and checks the outcome against the expectation. A call that creates something
//! (`s3.PutObject`, `iam.CreateUser`, ...) journals it like a step's resource: the
//! intent before the call, the ids after, nothing when it was refused, so `down`
//! removes it.
//!
//! Settling: where nothing propagates (the sandbox without `--propagation-delay`) the
//! first answer is final. Elsewhere a credential error of a key still propagating and a
//! denial where success is expected are retried until the settle deadline; and an
//! expected error that is also a propagation symptom (`InvalidClientTokenId`, a
//! denial right after a grant) is accepted only once it has answered the same for
//! the settle window ([`settle_window`]).

use std::time::Duration;

use awslab_apimodel::{Call, Creates, Effect, Segment, answer_path, find_call};
use awslab_planner::kinds::Verify;
use awslab_planner::values::{DENIAL_CODES, Expect, glob_match};
use serde_json::Value;
use tokio::time::Instant;

use crate::classify::{ErrorClass, ErrorInfo};
use crate::context::StepCx;
use crate::error::StepError;
use crate::outputs::NoOutputs;
use crate::resources::{self, ResourceRef};

/// What a call answered: its value tree, or an error.
type Answer = Result<Value, ErrorInfo>;

/// The longest an expected propagation symptom must stay the same before it is
/// accepted (at most a quarter of the settle deadline).
pub const SETTLE_WINDOW: Duration = Duration::from_secs(5);

/// A verify's result for reports: what was expected and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub expected: String,
    pub got: String,
}

/// Answer members that hold secrets: blanked as soon as the answer is decoded.
const SECRET_MEMBERS: &[&str] = &[
    "SecretAccessKey",
    "SessionToken",
    "Password",
    "PrivateKey",
    "ServicePassword",
    "Base32StringSeed",
    "QRCodePNG",
    "WebIdentityToken",
    "SAMLAssertion",
];

/// Blanks every secret member of `value` (remembering it, so logs blank it too).
fn scrub(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if SECRET_MEMBERS.contains(&key.as_str()) {
                    if let Value::String(secret) = item {
                        crate::redaction::remember(secret);
                    }
                    *item = Value::String(crate::redaction::MASK.to_owned());
                } else {
                    scrub(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

/// The text an expectation matches for `value`: a scalar as is, a list of scalars
/// joined with commas, anything else as JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.iter().all(|i| !i.is_array() && !i.is_object()) => {
            items.iter().map(text_of).collect::<Vec<_>>().join(",")
        }
        other => other.to_string(),
    }
}

/// The value at `path` in `value` (`Each` gathers a list's items).
fn at_path(value: &Value, path: &[Segment]) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return value.clone();
    };
    match (first, value) {
        (Segment::Member(name), Value::Object(map)) => map
            .get(name)
            .map_or(Value::Null, |inner| at_path(inner, rest)),
        (Segment::Each, Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|item| at_path(item, rest))
                .filter(|v| !v.is_null())
                .collect(),
        ),
        (Segment::Index(i), Value::Array(items)) => items
            .get(*i)
            .map_or(Value::Null, |item| at_path(item, rest)),
        // A list not written in the answer is empty.
        (Segment::Each, Value::Null) => Value::Array(Vec::new()),
        _ => Value::Null,
    }
}

/// Renders every string of `value` (params may hold `${...}` references anywhere a
/// string goes).
fn render_value(cx: &StepCx<'_>, value: &Value) -> Result<Value, StepError> {
    Ok(match value {
        Value::String(text) => Value::String(cx.render(text)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_value(cx, item))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_value(cx, v)?)))
                .collect::<Result<_, StepError>>()?,
        ),
        other => other.clone(),
    })
}

fn code_matches(expected: &str, code: Option<&str>) -> bool {
    code.is_some_and(|c| c == expected || c.strip_suffix("Exception") == Some(expected))
}

/// Whether `expect` names the error `info` answered.
fn expected_error(expect: &Expect, info: &ErrorInfo) -> bool {
    let code = info.code.as_deref();
    match expect {
        Expect::Error(expected) => code_matches(expected, code),
        Expect::AnyOf(codes) => codes.iter().any(|c| code_matches(c, code)),
        Expect::Deny => code.is_some_and(|c| DENIAL_CODES.contains(&c)),
        Expect::Allow | Expect::Fields(_) => false,
    }
}

fn expected_text(expect: &Expect) -> String {
    match expect {
        Expect::Allow => "success".into(),
        Expect::Error(code) => code.clone(),
        Expect::AnyOf(codes) => codes.join(" or "),
        Expect::Deny => "a denial".into(),
        Expect::Fields(_) => "success with matching fields".into(),
    }
}

/// How long an expected propagation symptom must stay the same on this run.
fn settle_window(cx: &StepCx<'_>) -> Duration {
    SETTLE_WINDOW.min(cx.settle_timeout() / 4)
}

/// Judges one answer: `Ok(Ok(verdict))` passed, `Ok(Err(reason))` retry, `Err` failed.
/// `stable_since` is when the expected symptom was first seen in the current streak.
fn judge(
    cx: &StepCx<'_>,
    call: &Call,
    expect: &Expect,
    answer: &Answer,
    stable_since: &mut Option<Instant>,
) -> Result<Result<Verdict, String>, StepError> {
    let got = |answer: &Answer| match answer {
        Ok(_) => "success".to_owned(),
        Err(info) => info.code.clone().unwrap_or_else(|| info.to_string()),
    };
    if let Err(info) = answer
        && expected_error(expect, info)
    {
        // An expected error that may still change (a key or grant not yet in force)
        // is accepted once it has stayed the same for the settle window.
        if matches!(info.class(), ErrorClass::Propagating | ErrorClass::Denied)
            && cx.may_still_change(info.class())
        {
            let since = *stable_since.get_or_insert_with(Instant::now);
            let window = settle_window(cx);
            if since.elapsed() < window {
                return Ok(Err(format!(
                    "answered {} as expected; accepted once it stays so for {window:?}",
                    got(answer)
                )));
            }
        }
        return Ok(Ok(Verdict {
            expected: expected_text(expect),
            got: got(answer),
        }));
    }
    *stable_since = None;
    if let Err(info) = answer
        && matches!(
            info.class(),
            ErrorClass::Propagating | ErrorClass::Retryable | ErrorClass::Denied
        )
        && cx.may_still_change(info.class())
    {
        let why = if info.class() == ErrorClass::Denied {
            "a policy just put may not be in force yet"
        } else {
            "credentials not in force yet?"
        };
        return Ok(Err(format!("answered {} ({why})", got(answer))));
    }
    match (expect, answer) {
        (Expect::Allow, Ok(_)) => Ok(Ok(Verdict {
            expected: "success".into(),
            got: "success".into(),
        })),
        (Expect::Fields(patterns), Ok(values)) => {
            let mut shown = Vec::new();
            for (field, pattern) in patterns {
                let pattern = cx.render(pattern)?;
                let path = answer_path(call, field).map_err(|_| {
                    StepError::Local(format!("`{}` answers no `{field}`", call.name()))
                })?;
                let value = text_of(&at_path(values, &path));
                if !glob_match(&pattern, &value) {
                    return Err(StepError::Unmet(format!(
                        "expected `{field}` to match `{pattern}`, got `{}`",
                        value.escape_debug()
                    )));
                }
                shown.push(format!("{field}={}", value.escape_debug()));
            }
            Ok(Ok(Verdict {
                expected: "fields match".into(),
                got: shown.join(", "),
            }))
        }
        (_, Err(info)) => Err(StepError::Unmet(format!(
            "expected {}, got {info}",
            expected_text(expect)
        ))),
        (_, Ok(_)) => Err(StepError::Unmet(format!(
            "expected {}, but the call succeeded",
            expected_text(expect)
        ))),
    }
}

/// The string param `name`, or an error naming it.
fn param<'v>(params: &'v Value, name: &str, call: &Call) -> Result<&'v str, StepError> {
    params
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| StepError::Local(format!("`{}` needs parameter `{name}`", call.name())))
}

fn answer_str(answer: &Value, path: &[&str]) -> Option<String> {
    let mut value = answer;
    for member in path {
        value = value.get(member)?;
    }
    value.as_str().map(str::to_owned)
}

/// The resource a creating call is about to make, as its intent is journaled.
fn intent(
    cx: &StepCx<'_>,
    call: &Call,
    creates: Creates,
    params: &Value,
) -> Result<ResourceRef, StepError> {
    Ok(match creates {
        Creates::S3Object => ResourceRef::S3Object(resources::S3Object {
            bucket: param(params, "Bucket", call)?.to_owned(),
            key: param(params, "Key", call)?.to_owned(),
            etag: None,
        }),
        Creates::IamUser => ResourceRef::IamUser(resources::IamUser {
            name: param(params, "UserName", call)?.to_owned(),
            user_id: None,
        }),
        Creates::IamRole => ResourceRef::IamRole(resources::IamRole {
            name: param(params, "RoleName", call)?.to_owned(),
            role_id: None,
        }),
        Creates::IamPolicy => {
            let path = params.get("Path").and_then(Value::as_str).unwrap_or("/");
            ResourceRef::IamPolicy(resources::IamPolicy {
                arn: format!(
                    "arn:aws:iam::{}:policy{path}{}",
                    cx.account(),
                    param(params, "PolicyName", call)?
                ),
                policy_id: None,
            })
        }
        Creates::IamAccessKey => ResourceRef::IamAccessKey(resources::IamAccessKey {
            user: param(params, "UserName", call)?.to_owned(),
            access_key_id: String::new(),
        }),
        Creates::IamUserPolicy => ResourceRef::IamUserPolicy(resources::IamUserPolicy {
            user: param(params, "UserName", call)?.to_owned(),
            policy_name: param(params, "PolicyName", call)?.to_owned(),
        }),
    })
}

/// The intent completed with the ids the answer gives.
fn created(intent: &ResourceRef, answer: &Value) -> ResourceRef {
    let mut resource = intent.clone();
    match &mut resource {
        ResourceRef::S3Object(object) => object.etag = answer_str(answer, &["ETag"]),
        ResourceRef::IamUser(user) => user.user_id = answer_str(answer, &["User", "UserId"]),
        ResourceRef::IamRole(role) => role.role_id = answer_str(answer, &["Role", "RoleId"]),
        ResourceRef::IamPolicy(policy) => {
            policy.policy_id = answer_str(answer, &["Policy", "PolicyId"]);
            if let Some(arn) = answer_str(answer, &["Policy", "Arn"]) {
                policy.arn = arn;
            }
        }
        ResourceRef::IamAccessKey(key) => {
            key.access_key_id =
                answer_str(answer, &["AccessKey", "AccessKeyId"]).unwrap_or_default();
        }
        _ => {}
    }
    resource
}

/// Adds the run's tag to what an IAM create call makes, so that even a create whose
/// answer was lost is known as this run's.
fn with_run_tag(cx: &StepCx<'_>, creates: Creates, params: &mut Value) {
    if !matches!(
        creates,
        Creates::IamUser | Creates::IamRole | Creates::IamPolicy
    ) {
        return;
    }
    let Ok(ours) = cx.run_tags() else {
        return;
    };
    let Some(map) = params.as_object_mut() else {
        return;
    };
    let tags = map
        .entry("Tags")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(tags) = tags {
        for (key, value) in ours {
            if !tags
                .iter()
                .any(|t| t.get("Key").and_then(Value::as_str) == Some(key.as_str()))
            {
                tags.push(serde_json::json!({ "Key": key, "Value": value }));
            }
        }
    }
}

/// One attempt: the call, journaled when it creates something.
async fn attempt(
    cx: &StepCx<'_>,
    call: &Call,
    spec: &Verify,
    params: &Value,
) -> Result<Answer, StepError> {
    let identity = cx.clients_of(spec.identity.as_ref())?;
    let creating = match call.effect() {
        Effect::Creates(creates) => Some(intent(cx, call, creates, params)?),
        Effect::Reads => None,
        Effect::Changes => {
            return Err(StepError::Local(format!(
                "`verify` cannot call `{}`: it changes what awslab cannot tear down",
                call.name()
            )));
        }
    };
    if let Some(resource) = &creating {
        cx.intent(resource).await?;
    }
    let mut answer = crate::api::call(cx.target(), identity.config(), call, params)
        .await
        .map_err(StepError::Local)?;
    if let Ok(value) = &mut answer {
        scrub(value);
    }
    if let Some(resource) = &creating {
        match &answer {
            Ok(value) => cx.created(&created(resource, value)).await?,
            Err(info) => {
                cx.create_failed(
                    resource,
                    info,
                    &format!("cannot create {}", resource.label()),
                )
                .await?;
            }
        }
    }
    Ok(answer)
}

pub async fn run(spec: &Verify, cx: &StepCx<'_>) -> Result<NoOutputs, StepError> {
    let call = find_call(&spec.call.value)
        .ok_or_else(|| StepError::Local(format!("`verify` cannot call `{}`", spec.call.value)))?;
    let mut params = serde_json::Map::new();
    for (name, value) in &spec.params {
        params.insert(name.clone(), render_value(cx, &value.value)?);
    }
    let mut params = Value::Object(params);
    if let Effect::Creates(creates) = call.effect() {
        with_run_tag(cx, creates, &mut params);
    }
    // A new key is awaited first, so that its propagation is never judged. Another
    // answer (credentials that expired, as a lab may expect) is for `judge` to judge.
    match cx.accepted_clients_of(spec.identity.as_ref()).await {
        Ok(_) | Err(StepError::Aws { .. }) => {}
        Err(error) => return Err(error),
    }
    let stable_since = std::sync::Mutex::new(None);
    let verdict = cx
        .settle(&format!("verify `{}`", spec.call.value), || async {
            let answer = attempt(cx, &call, spec, &params).await?;
            let mut since = *stable_since
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let verdict = judge(cx, &call, &spec.expect.value, &answer, &mut since);
            *stable_since
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = since;
            verdict
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scrubs_secrets_from_answers() {
        let mut answer = json!({ "Credentials": { "AccessKeyId": "ASIAX", "SecretAccessKey": "s3cr3t-value", "SessionToken": "tok-value" } });
        scrub(&mut answer);
        assert_eq!(answer["Credentials"]["SecretAccessKey"], "***");
        assert_eq!(answer["Credentials"]["SessionToken"], "***");
        assert_eq!(answer["Credentials"]["AccessKeyId"], "ASIAX");
        assert!(!crate::redaction::redact("x s3cr3t-value y").contains("s3cr3t"));
    }

    #[test]
    fn reads_paths_and_joins_lists() {
        let answer =
            json!({ "Users": [{ "UserName": "a" }, { "UserName": "b" }], "User": { "Arn": "x" } });
        let each = [
            Segment::Member("Users".into()),
            Segment::Each,
            Segment::Member("UserName".into()),
        ];
        assert_eq!(text_of(&at_path(&answer, &each)), "a,b");
        let one = [
            Segment::Member("Users".into()),
            Segment::Index(1),
            Segment::Member("UserName".into()),
        ];
        assert_eq!(text_of(&at_path(&answer, &one)), "b");
        assert_eq!(text_of(&at_path(&json!({}), &each)), "");
    }

    #[test]
    fn deny_takes_any_authorization_error() {
        let info = |code: &str| ErrorInfo::service(code, None, Some(403));
        assert!(expected_error(&Expect::Deny, &info("AccessDenied")));
        assert!(expected_error(
            &Expect::Deny,
            &info("AccessDeniedException")
        ));
        assert!(!expected_error(
            &Expect::Deny,
            &info("InvalidClientTokenId")
        ));
        let any = Expect::AnyOf(vec!["NoSuchKey".into(), "AccessDenied".into()]);
        assert!(expected_error(&any, &info("AccessDenied")));
        assert!(!expected_error(&any, &info("NoSuchBucket")));
    }
}
