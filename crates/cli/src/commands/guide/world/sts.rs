//! STS sessions: the exported credentials act as the expected principal (a role's
//! session, of the role the lab names, for `AssumeRole`, web identity and SAML).

use indexmap::IndexMap;

use super::{Adopted, WorldCx};

pub(super) async fn assume_role(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::StsAssumeRole,
) -> Result<Adopted, String> {
    let role_arn = cx.render(&spec.role_arn.value)?;
    let session = cx.render(&spec.session_name.value)?;
    role_session(cx, &role_arn, Some(&session), &[]).await
}

/// `sts.assume_role_with_web_identity`: the exported credentials are a session of the
/// role; with a token the sandbox mints, of the token's subject.
pub(super) async fn web_identity(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::StsAssumeRoleWithWebIdentity,
) -> Result<Adopted, String> {
    let role_arn = cx.render(&spec.role_arn.value)?;
    let session = cx.render(&spec.session_name.value)?;
    let subject = match &spec.sandbox_token {
        Some(minted) => Some(cx.render(&minted.subject.value)?),
        None => None,
    };
    role_session(cx, &role_arn, Some(&session), &[("subject", subject)]).await
}

/// `sts.assume_role_with_saml`: the exported credentials are a session of the role;
/// with a response the sandbox signs, named for its session name (or subject).
pub(super) async fn saml(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::StsAssumeRoleWithSaml,
) -> Result<Adopted, String> {
    let role_arn = cx.render(&spec.role_arn.value)?;
    let (session, subject) = match &spec.sandbox_assertion {
        Some(minted) => {
            let subject = cx.render(&minted.subject.value)?;
            let session = match &minted.session_name {
                Some(name) => cx.render(&name.value)?,
                None => subject.clone(),
            };
            (Some(session), Some(subject))
        }
        // The response names the session; awslab cannot know it beforehand.
        None => (None, None),
    };
    role_session(cx, &role_arn, session.as_deref(), &[("subject", subject)]).await
}

/// The exported credentials of the step are a session of `role_arn` (named `session`,
/// when known). `extra` are outputs the runbook captured into the step's variables
/// (`STEP_SUBJECT`); a value given is the one the lab expects.
async fn role_session(
    cx: &WorldCx<'_>,
    role_arn: &str,
    session: Option<&str>,
    extra: &[(&str, Option<String>)],
) -> Result<Adopted, String> {
    let credentials = cx.exported_credentials(true)?;
    let (arn, user_id) = cx.caller(&credentials).await?;
    let role_name = role_arn.rsplit('/').next().unwrap_or_default();
    let session_matches = session.is_none_or(|s| arn.ends_with(&format!("/{s}")));
    let role_matches = arn.contains(":assumed-role/")
        && arn
            .trim_end_matches(|c| c != '/')
            .ends_with(&format!("/{role_name}/"));
    if !role_matches || !session_matches {
        let wanted = session.map_or_else(
            || format!("a session of the role `{role_name}`"),
            |s| format!("a session `{s}` of the role `{role_name}`"),
        );
        return Err(format!(
            "the exported credentials act as `{arn}`, not as {wanted}"
        ));
    }
    let mut outputs = IndexMap::from([
        ("arn".to_owned(), arn.clone()),
        ("assumed_role_id".to_owned(), user_id),
        (
            "access_key_id".to_owned(),
            credentials.access_key_id.clone(),
        ),
    ]);
    for (field, wanted) in extra {
        let captured = std::env::var(awslab_runbook::var_name(&[cx.step.id.as_str(), field]))
            .ok()
            .filter(|v| !v.is_empty());
        match (captured, wanted) {
            (Some(got), Some(wanted)) if &got != wanted => {
                return Err(format!(
                    "the session's {field} is `{got}`, the lab's is `{wanted}`"
                ));
            }
            (Some(value), _) => {
                outputs.insert((*field).to_owned(), value);
            }
            (None, Some(value)) => {
                outputs.insert((*field).to_owned(), value.clone());
            }
            (None, None) => {}
        }
    }
    let session = arn.rsplit('/').next().unwrap_or_default().to_owned();
    Ok(Adopted {
        resources: Vec::new(),
        outputs,
        credentials: Some(credentials),
        mfa_seed: None,
        note: format!("the credentials are the session `{session}` of `{role_name}`"),
    })
}

/// The ARN of the identity a step acts as (`as:`), from its step's outputs; `None`
/// for the operator or an identity not recorded yet.
fn identity_arn(
    cx: &WorldCx<'_>,
    identity: Option<&awslab_planner::values::IdentityName>,
) -> Option<String> {
    let name = identity.map(|i| i.value.as_str())?;
    cx.outputs.get(name)?.get("arn").cloned()
}

pub(super) async fn session_token(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::StsGetSessionToken,
) -> Result<Adopted, String> {
    let credentials = cx.exported_credentials(true)?;
    let arn = cx.caller_arn(&credentials).await?;
    if let Some(wanted) = identity_arn(cx, spec.identity.as_ref()) {
        if arn != wanted {
            return Err(format!(
                "the exported session credentials act as `{arn}`, not as `{wanted}`"
            ));
        }
    } else if !arn.contains(":user/") && !arn.ends_with(":root") {
        return Err(format!(
            "the exported session credentials act as `{arn}`, not as an IAM user"
        ));
    }
    Ok(Adopted {
        resources: Vec::new(),
        outputs: IndexMap::from([(
            "access_key_id".to_owned(),
            credentials.access_key_id.clone(),
        )]),
        credentials: Some(credentials),
        mfa_seed: None,
        note: format!("the session credentials act as `{arn}`"),
    })
}

pub(super) async fn federation_token(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::StsGetFederationToken,
) -> Result<Adopted, String> {
    let name = cx.render(&spec.name.value)?;
    let credentials = cx.exported_credentials(true)?;
    let arn = cx.caller_arn(&credentials).await?;
    if !arn.ends_with(&format!(":federated-user/{name}")) {
        return Err(format!(
            "the exported credentials act as `{arn}`, not as the federated user `{name}`"
        ));
    }
    Ok(Adopted {
        resources: Vec::new(),
        outputs: IndexMap::from([
            ("arn".to_owned(), arn.clone()),
            (
                "federated_user_id".to_owned(),
                format!("{}:{name}", cx.account),
            ),
            (
                "access_key_id".to_owned(),
                credentials.access_key_id.clone(),
            ),
        ]),
        credentials: Some(credentials),
        mfa_seed: None,
        note: format!("the credentials are the federated user `{name}`"),
    })
}
