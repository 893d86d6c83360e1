//! `iam.oidc_provider`: `CreateOpenIDConnectProvider`, tagged with the run. Its ARN is
//! known before the call (the account and the URL's host and path); after it, the
//! provider's creation date is journaled, which tells it from one made later under the
//! same URL.

use awslab_planner::kinds::IamOidcProvider;

use super::iam_tags;
use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { arn: String, url: String }
}

/// The host and path of an issuer URL, as IAM names the provider.
pub fn provider_host(url: &str) -> &str {
    url.strip_prefix("https://")
        .unwrap_or(url)
        .trim_end_matches('/')
}

pub async fn run(spec: &IamOidcProvider, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let iam = cx.operator_clients().iam();
    let url = cx.render(&spec.url.value)?;
    let host = provider_host(&url).to_owned();
    let pending = ResourceRef::IamOidcProvider(resources::IamOidcProvider {
        arn: format!("arn:aws:iam::{}:oidc-provider/{host}", cx.account()),
        created: None,
    });
    let client_ids = spec
        .client_id_list
        .iter()
        .map(|id| cx.render(&id.value))
        .collect::<Result<Vec<_>, _>>()?;
    let thumbprints = spec
        .thumbprints
        .iter()
        .map(|t| cx.render(&t.value))
        .collect::<Result<Vec<_>, _>>()?;
    let request = iam
        .create_open_id_connect_provider()
        .url(&url)
        .set_client_id_list(Some(client_ids))
        .set_thumbprint_list((!thumbprints.is_empty()).then_some(thumbprints))
        .set_tags(Some(iam_tags(cx, &spec.tags)?));
    let answer = cx.create(&pending, request.send()).await?;
    let arn = answer
        .open_id_connect_provider_arn()
        .ok_or("CreateOpenIDConnectProvider answered without an ARN")?
        .to_owned();
    // Without the date (the read failed), teardown knows the provider by its run tag.
    let created = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .ok()
        .and_then(|found| found.create_date().map(resources::instant));
    cx.created(&ResourceRef::IamOidcProvider(resources::IamOidcProvider {
        arn: arn.clone(),
        created,
    }))
    .await?;
    Ok(Outputs { arn, url: host })
}
