//! `iam.virtual_mfa_device`: the device exists under the lab's name and path, is
//! enabled for the lab's user, and carries this run's tag. Its serial number is made
//! from its name, so it proves nothing of whose it is: `down` deletes a device only
//! while it carries the run's tag, so a device without it is not done (the message
//! says how to make it again with the tag). The device's seed, where the learner's
//! `--outfile` put it (`$WORK/STEP.seed`, or `STEP.seed` here), is kept in the run's
//! secrets file (0600), so that awslab can compute codes for a later step it does
//! (`skip`); it is never shown.

use awslab_executor::resources::{self, ResourceRef};
use awslab_executor::{MfaSeed, RUN_TAG, Secret};
use indexmap::IndexMap;

use super::{Adopted, WorldCx, aws_code};

pub(super) async fn virtual_mfa_device(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::IamVirtualMfaDevice,
) -> Result<Adopted, String> {
    let name = cx.render(&spec.name.value)?;
    let user = cx.render(&spec.user.value)?;
    let path = match &spec.path {
        Some(path) => cx.render(&path.value)?,
        None => "/".to_owned(),
    };
    let serial = format!("arn:aws:iam::{}:mfa{path}{name}", cx.account);
    let iam = awslab_executor::iam_client(cx.operator);
    let found = find_device(&iam, &serial).await?;
    let Some(device) = found else {
        return Err(format!(
            "there is no virtual MFA device `{name}` yet (its serial number would be `{serial}`)"
        ));
    };
    match device.user().map(aws_sdk_iam::types::User::user_name) {
        None => {
            return Err(format!(
                "the virtual MFA device `{name}` exists but is not enabled for the user `{user}` (aws iam enable-mfa-device with two consecutive codes)"
            ));
        }
        Some(other) if other != user => {
            return Err(format!(
                "the virtual MFA device `{name}` is enabled for the user `{other}`, not for `{user}`"
            ));
        }
        Some(_) => {}
    }
    cx.made_during_run(
        &format!("the virtual MFA device `{name}`"),
        device
            .enable_date()
            .map(aws_sdk_iam::primitives::DateTime::secs),
    )?;
    let tags = iam
        .list_mfa_device_tags()
        .serial_number(&serial)
        .send()
        .await
        .map_err(|e| {
            format!(
                "cannot read the tags of the virtual MFA device `{name}`: {}",
                aws_code(&e)
            )
        })?;
    let run_tag = tags.tags().iter().find(|t| t.key() == RUN_TAG);
    match run_tag.map(aws_sdk_iam::types::Tag::value) {
        Some(value) if value == cx.run_id => {}
        Some(other) => {
            return Err(format!(
                "the virtual MFA device `{name}` carries the `{RUN_TAG}` tag of the run `{other}`, so awslab does not adopt it"
            ));
        }
        None => {
            return Err(format!(
                "the virtual MFA device `{name}` has no `{RUN_TAG}={}` tag, so `awslab down` could not tell it is this run's: deactivate and delete it, then create it again with `--tags Key={RUN_TAG},Value={}`",
                cx.run_id, cx.run_id
            ));
        }
    }
    let mfa_seed = seed_file(cx).map(|seed| MfaSeed {
        serial_number: serial.clone(),
        base32_seed: Secret::new(seed),
    });
    let note = if mfa_seed.is_some() {
        format!(
            "the virtual MFA device `{name}` is enabled for `{user}` (its seed is kept for awslab's later steps)"
        )
    } else {
        format!("the virtual MFA device `{name}` is enabled for `{user}`")
    };
    Ok(Adopted {
        resources: vec![ResourceRef::IamVirtualMfaDevice(
            resources::IamVirtualMfaDevice {
                serial_number: serial.clone(),
                user: user.clone(),
            },
        )],
        outputs: IndexMap::from([
            ("serial_number".to_owned(), serial),
            ("user".to_owned(), user),
        ]),
        credentials: None,
        mfa_seed,
        note,
    })
}

/// The virtual MFA device `serial`, if the account has it.
async fn find_device(
    iam: &aws_sdk_iam::Client,
    serial: &str,
) -> Result<Option<aws_sdk_iam::types::VirtualMfaDevice>, String> {
    let mut marker: Option<String> = None;
    // Bounded: IAM pages by 100; a thousand pages is more devices than any account holds.
    for _ in 0..1000 {
        let page = iam
            .list_virtual_mfa_devices()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| format!("cannot list the virtual MFA devices: {}", aws_code(&e)))?;
        let found = page
            .virtual_mfa_devices()
            .iter()
            .find(|d| d.serial_number() == serial);
        if found.is_some() || !page.is_truncated() {
            return Ok(found.cloned());
        }
        marker = page.marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    Ok(None)
}

/// The seed the runbook's `--outfile` wrote (`$WORK/STEP.seed`, or `STEP.seed` in the
/// folder the check runs in), if it is there and looks like a base32 seed.
fn seed_file(cx: &WorldCx<'_>) -> Option<String> {
    let file = format!("{}.seed", cx.step.id);
    let mut places = Vec::new();
    if let Some(work) = std::env::var_os("WORK") {
        places.push(std::path::PathBuf::from(work).join(&file));
    }
    places.push(std::path::PathBuf::from(&file));
    places.into_iter().find_map(|path| {
        // A seed is 64 characters; anything much larger is not one.
        let metadata = std::fs::metadata(&path).ok()?;
        if !metadata.is_file() || metadata.len() > 1024 {
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        let seed = text.trim();
        let base32 = !seed.is_empty()
            && seed
                .chars()
                .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c) || c == '=');
        base32.then(|| seed.to_owned())
    })
}
