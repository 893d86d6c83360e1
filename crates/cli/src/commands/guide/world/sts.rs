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
