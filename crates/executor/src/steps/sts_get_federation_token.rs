//! `sts.get_federation_token`: `GetFederationToken` as a user, with the session policy
//! that bounds the federated user; the session is the step's credentials.

use awslab_planner::kinds::StsGetFederationToken;

use super::sts_credentials::{keep, policy_arns, seconds, settled};
use crate::context::StepCx;
use crate::error::StepError;

crate::step_outputs! {
    Outputs { arn: String, federated_user_id: String, access_key_id: String, expiration: String }
}

pub async fn run(spec: &StsGetFederationToken, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let sts = cx.accepted_clients_of(spec.identity.as_ref()).await?.sts();
    let name = cx.render(&spec.name.value)?;
    let policy = spec
        .policy
        .as_ref()
        .map(|p| cx.render_document(p))
        .transpose()?;
    let arns = policy_arns(cx, &spec.policy_arns)?;
    let answer = settled(cx, "GetFederationToken", || {
        sts.get_federation_token()
            .name(&name)
            .set_duration_seconds(seconds(spec.duration.as_ref()))
            .set_policy(policy.clone())
            .set_policy_arns(arns.clone())
            .send()
    })
    .await?;
    let user = answer.federated_user();
    let (access_key_id, expiration) = keep(cx, answer.credentials()).await?;
    Ok(Outputs {
        arn: user.map(|u| u.arn().to_owned()).unwrap_or_default(),
        federated_user_id: user
            .map(|u| u.federated_user_id().to_owned())
            .unwrap_or_default(),
        access_key_id,
        expiration,
    })
}
