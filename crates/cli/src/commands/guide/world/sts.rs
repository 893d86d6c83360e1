//! STS sessions: the exported credentials act as the expected principal.

use indexmap::IndexMap;

use super::{Adopted, WorldCx};

pub(super) async fn assume_role(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::StsAssumeRole,
) -> Result<Adopted, String> {
    let role_arn = cx.render(&spec.role_arn.value)?;
    let session = cx.render(&spec.session_name.value)?;
    let credentials = cx.exported_credentials(true)?;
    let arn = cx.caller_arn(&credentials).await?;
    let role_name = role_arn.rsplit('/').next().unwrap_or_default();
    if !arn.contains(":assumed-role/") || !arn.ends_with(&format!("/{role_name}/{session}")) {
        return Err(format!(
            "the exported credentials act as `{arn}`, not as a session `{session}` of the role `{role_name}`"
        ));
    }
    Ok(Adopted {
        resources: Vec::new(),
        outputs: IndexMap::from([
            ("arn".to_owned(), arn.clone()),
            (
                "access_key_id".to_owned(),
                credentials.access_key_id.clone(),
            ),
        ]),
        credentials: Some(credentials),
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
        note: format!("the credentials are the federated user `{name}`"),
    })
}
