//! `iam.virtual_mfa_device`: `CreateVirtualMFADevice` (tagged with the run), its seed
//! kept in the run's secrets file only, then `EnableMFADevice` for the user with two
//! consecutive codes ([`crate::totp`]). Steps with `mfa:` read the seed back to send
//! a current code.

use awslab_planner::kinds::IamVirtualMfaDevice;

use super::iam_tags;
use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};
use crate::secrets::{MfaSeed, Secret};

crate::step_outputs! {
    Outputs { serial_number: String, user: String }
}

pub async fn run(spec: &IamVirtualMfaDevice, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let iam = cx.operator_clients().iam();
    let name = cx.render(&spec.name.value)?;
    let user = cx.render(&spec.user.value)?;
    let path = cx.render_opt(spec.path.as_ref())?;
    let serial = format!(
        "arn:aws:iam::{}:mfa{}{name}",
        cx.account(),
        path.as_deref().unwrap_or("/")
    );
    let device = |serial: &str| {
        ResourceRef::IamVirtualMfaDevice(resources::IamVirtualMfaDevice {
            serial_number: serial.to_owned(),
            user: user.clone(),
        })
    };
    let request = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name(&name)
        .set_path(path)
        .set_tags(Some(iam_tags(cx, &spec.tags)?));
    let answer = cx.create(&device(&serial), request.send()).await?;
    let created = answer
        .virtual_mfa_device()
        .ok_or("CreateVirtualMFADevice answered without a device")?;
    let serial = created.serial_number().to_owned();
    cx.created(&device(&serial)).await?;
    let seed = created
        .base32_string_seed()
        .and_then(|blob| std::str::from_utf8(blob.as_ref()).ok())
        .ok_or("CreateVirtualMFADevice answered without a base32 seed")?;
    let seed = Secret::new(seed);
    cx.store_mfa_seed(MfaSeed {
        serial_number: serial.clone(),
        base32_seed: seed.clone(),
    })?;
    let (first, second) = crate::totp::enabling_codes(&serial, seed.expose())?;
    iam.enable_mfa_device()
        .user_name(&user)
        .serial_number(&serial)
        .authentication_code1(first)
        .authentication_code2(second)
        .send()
        .await
        .map_err(|error| StepError::aws("EnableMFADevice", &error))?;
    Ok(Outputs {
        serial_number: serial,
        user,
    })
}
