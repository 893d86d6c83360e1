//! `sts.get_session_token`: `GetSessionToken` as a user, with the current code of its
//! `mfa:` device if it names one; the session is the step's credentials.

use awslab_planner::kinds::StsGetSessionToken;

use super::sts_credentials::{MfaCodes, keep, seconds, settled};
use crate::context::StepCx;
use crate::error::StepError;

crate::step_outputs! {
    Outputs { access_key_id: String, expiration: String }
}

pub async fn run(spec: &StsGetSessionToken, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let sts = cx.accepted_clients_of(spec.identity.as_ref()).await?.sts();
    let mut mfa = MfaCodes::of(cx, spec.mfa.as_ref()).await?;
    let answer = settled(cx, "GetSessionToken", || {
        let (serial, code) = mfa.next().unzip();
        sts.get_session_token()
            .set_duration_seconds(seconds(spec.duration.as_ref()))
            .set_serial_number(serial)
            .set_token_code(code)
            .send()
    })
    .await?;
    let (access_key_id, expiration) = keep(cx, answer.credentials()).await?;
    Ok(Outputs {
        access_key_id,
        expiration,
    })
}
