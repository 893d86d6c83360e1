//! Virtual MFA devices: created with a TOTP seed (RFC 6238: HMAC-SHA1, 30 s steps, six
//! digits), enabled for one user with two consecutive codes, deactivated and deleted by
//! serial number (the device's ARN). STS checks the codes of `GetSessionToken` and
//! `AssumeRole` against the seed through [`authenticate`].
//!
//! Codes are checked against the host's clock, not the sandbox's (`sandbox clock
//! advance` moves session expiry, not the authenticator app of the person running the
//! lab), accepting the step before and after the current one, as AWS does for clock
//! drift. A code is not refused for having been used before: AWS refuses a code used
//! once, and awslab's executor waits for the next step where that matters (a real
//! account), but the sandbox keeps labs fast.
//!
//! Longer than most modules, as one thing: a device's operations and the code checks
//! they and STS share.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::Rng as _;

use super::users::{no_such_user, target_name, user_check};
use super::{account, account_mut, check_name, check_path, page, with_marker};
use crate::auth::Caller;
use crate::services::IamError;
use crate::services::{ApiError, Check, Input, Operation, Shape, Value, tag_list, timestamp};
use crate::state::World;
use crate::state::world::MfaDevice;

/// How many virtual MFA devices a user may have enabled (AWS's quota).
const DEVICES_PER_USER: usize = 8;

pub(super) const OPERATIONS: &[Operation] = &[
    Operation {
        name: "CreateVirtualMFADevice",
        mutates: true,
        checks: |input, _, caller| {
            let name = input.required("VirtualMFADeviceName")?;
            let path = input.get("Path").unwrap_or("/");
            Ok(vec![Check::new(
                "iam:CreateVirtualMFADevice",
                format!("arn:aws:iam::{}:mfa{path}{name}", caller.account),
            )])
        },
        run: create_virtual_mfa_device,
    },
    Operation {
        name: "EnableMFADevice",
        mutates: true,
        checks: |input, world, caller| user_check("iam:EnableMFADevice", input, world, caller),
        run: enable_mfa_device,
    },
    Operation {
        name: "ResyncMFADevice",
        mutates: true,
        checks: |input, world, caller| user_check("iam:ResyncMFADevice", input, world, caller),
        run: resync_mfa_device,
    },
    Operation {
        name: "DeactivateMFADevice",
        mutates: true,
        checks: |input, world, caller| owner_check("iam:DeactivateMFADevice", input, world, caller),
        run: deactivate_mfa_device,
    },
    Operation {
        name: "DeleteVirtualMFADevice",
        mutates: true,
        checks: |input, _, _| {
            Ok(vec![Check::new(
                "iam:DeleteVirtualMFADevice",
                input.required("SerialNumber")?,
            )])
        },
        run: delete_virtual_mfa_device,
    },
    Operation {
        name: "ListMFADevices",
        mutates: false,
        checks: |input, world, caller| owner_check("iam:ListMFADevices", input, world, caller),
        run: list_mfa_devices,
    },
    Operation {
        name: "ListVirtualMFADevices",
        mutates: false,
        // As AWS names it in its denials.
        checks: |_, _, caller| {
            Ok(vec![Check::new(
                "iam:ListVirtualMFADevices",
                format!("arn:aws:iam::{}:mfa/", caller.account),
            )])
        },
        run: list_virtual_mfa_devices,
    },
    Operation {
        name: "ListMFADeviceTags",
        mutates: false,
        checks: |input, _, _| {
            Ok(vec![Check::new(
                "iam:ListMFADeviceTags",
                input.required("SerialNumber")?,
            )])
        },
        run: list_mfa_device_tags,
    },
];

/// The user an operation names, or the caller (`UserName` is optional).
fn owner_check(
    action: &str,
    input: &Input,
    world: &World,
    caller: &Caller,
) -> Result<Vec<Check>, ApiError> {
    if input.get("UserName").is_some() {
        user_check(action, input, world, caller)
    } else {
        Ok(vec![Check::new(action, caller.principal.arn.clone())])
    }
}

/// A new seed: 40 random bytes, base32 (64 characters, as AWS's are).
fn new_seed() -> String {
    let mut bytes = [0_u8; 40];
    rand::rng().fill(&mut bytes[..]);
    totp_rs::Secret::from(bytes.to_vec()).to_base32()
}

fn totp(seed: &str) -> Option<totp_rs::Totp> {
    let secret = totp_rs::Secret::try_from_base32(seed).ok()?;
    totp_rs::Builder::new().with_secret(secret).build().ok()
}

/// The host's clock in Unix seconds (see the module's doc).
fn host_now() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or_default()
}

/// The 30-second step `code` belongs to, within one step of now.
fn step_of(seed: &str, code: &str, now: u64) -> Option<u64> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp(seed)?.check(code, now)
}

/// Whether `first` and `second` are two consecutive codes of the device, the first
/// shown at most two steps ago or one ahead (enabling and resyncing take codes the
/// person read off the device one after the other).
fn consecutive(seed: &str, first: &str, second: &str, now: u64) -> bool {
    let Some(totp) = totp(seed) else {
        return false;
    };
    let current = now / 30;
    (current.saturating_sub(2)..=current + 1).any(|step| {
        totp.generate(step * 30).to_string() == first
            && totp.generate((step + 1) * 30).to_string() == second
    })
}

fn invalid_code(serial: &str) -> ApiError {
    ApiError::of(
        IamError::InvalidAuthenticationCode,
        format!("Authentication code for device '{serial}' is not valid."),
    )
}

fn no_such_device(serial: &str) -> ApiError {
    ApiError::no_such_entity(format!(
        "VirtualMFADevice with serial number {serial} doesn't exist."
    ))
}

fn check_code_shape(input: &Input, member: &str) -> Result<String, ApiError> {
    let code = input.required(member)?;
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        let mut field = member.to_owned();
        if let Some(first) = field.get_mut(..1) {
            first.make_ascii_lowercase();
        }
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length 6 and satisfy regular expression pattern: [\\d]+"
        )));
    }
    Ok(code.to_owned())
}

fn create_virtual_mfa_device(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let name = check_name(input, "VirtualMFADeviceName", 226)?;
    let path = check_path(input)?;
    let tags = input.pairs("Tags", "Key", "Value");
    if tags.len() > 50 {
        return Err(ApiError::of(
            IamError::LimitExceeded,
            "The number of tags has reached the maximum limit.",
        ));
    }
    let now = world.now();
    let account = account_mut(world, caller)?;
    let serial = format!("arn:aws:iam::{}:mfa{path}{name}", account.id);
    if account.mfa_devices.contains_key(&serial) {
        return Err(ApiError::already_exists(
            "MFADevice entity at the same path and name already exists.",
        ));
    }
    let device = MfaDevice {
        serial_number: serial.clone(),
        seed: new_seed(),
        created: now,
        tags,
        user: None,
        enabled: None,
    };
    // `BootstrapDatum` is a blob: base64 on the wire, the base32 text once decoded.
    let shape = Shape::new().child(
        "VirtualMFADevice",
        Shape::new()
            .text("SerialNumber", &serial)
            .text("Base32StringSeed", STANDARD.encode(&device.seed)),
    );
    account.mfa_devices.insert(serial, device);
    Ok(shape)
}

/// `(user key, serial)` of an enable or resync request, with its two codes checked.
fn codes_for(
    input: &Input,
    world: &World,
    caller: &Caller,
) -> Result<(String, String, MfaDevice), ApiError> {
    let raw = input.required("UserName")?;
    let user = raw.to_ascii_lowercase();
    let serial = input.required("SerialNumber")?.to_owned();
    let first = check_code_shape(input, "AuthenticationCode1")?;
    let second = check_code_shape(input, "AuthenticationCode2")?;
    let account = account(world, caller)?;
    if !account.users.contains_key(&user) {
        return Err(no_such_user(raw));
    }
    let device = account
        .mfa_devices
        .get(&serial)
        .ok_or_else(|| no_such_device(&serial))?;
    if !consecutive(&device.seed, &first, &second, host_now()) {
        return Err(invalid_code(&serial));
    }
    Ok((user, serial, device.clone()))
}

fn enable_mfa_device(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let (user, serial, device) = codes_for(input, world, caller)?;
    if device.user.is_some() {
        return Err(ApiError::already_exists("MFA Device is already in use."));
    }
    let now = world.now();
    let account = account_mut(world, caller)?;
    let enabled = account
        .mfa_devices
        .values()
        .filter(|device| device.user.as_deref() == Some(user.as_str()))
        .count();
    if enabled >= DEVICES_PER_USER {
        return Err(ApiError::of(
            IamError::LimitExceeded,
            format!("Cannot exceed quota for MFADevicesPerUser: {DEVICES_PER_USER}"),
        ));
    }
    if let Some(device) = account.mfa_devices.get_mut(&serial) {
        device.user = Some(user);
        device.enabled = Some(now);
    }
    Ok(Shape::new())
}

fn resync_mfa_device(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let (user, serial, device) = codes_for(input, world, caller)?;
    if device.user.as_deref() != Some(user.as_str()) {
        return Err(ApiError::no_such_entity(format!(
            "MFA Device with serial number {serial} does not exist."
        )));
    }
    Ok(Shape::new())
}

fn deactivate_mfa_device(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let user = target_name(input, caller)?;
    let serial = input.required("SerialNumber")?;
    let account = account_mut(world, caller)?;
    match account.mfa_devices.get_mut(serial) {
        Some(device) if device.user.as_deref() == Some(user.as_str()) => {
            device.user = None;
            device.enabled = None;
            Ok(Shape::new())
        }
        _ => Err(ApiError::no_such_entity(format!(
            "MFA Device with serial number {serial} does not exist."
        ))),
    }
}

fn delete_virtual_mfa_device(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let serial = input.required("SerialNumber")?;
    let account = account_mut(world, caller)?;
    let device = account
        .mfa_devices
        .get(serial)
        .ok_or_else(|| no_such_device(serial))?;
    if device.user.is_some() {
        return Err(ApiError::delete_conflict("MFA Device is still in use"));
    }
    account.mfa_devices.remove(serial);
    Ok(Shape::new())
}

fn list_mfa_devices(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let key = target_name(input, caller)?;
    let account = account(world, caller)?;
    let user = account
        .users
        .get(&key)
        .ok_or_else(|| no_such_user(input.get("UserName").unwrap_or(&key)))?;
    let items = account
        .mfa_devices
        .values()
        .filter(|device| device.user.as_deref() == Some(key.as_str()))
        .map(|device| {
            Value::Struct(
                Shape::new()
                    .text("UserName", &user.name)
                    .text("SerialNumber", &device.serial_number)
                    .text(
                        "EnableDate",
                        timestamp(device.enabled.unwrap_or(device.created)),
                    ),
            )
        })
        .collect();
    let (items, next) = page(input, items)?;
    Ok(with_marker(Shape::new().list("MFADevices", items), next))
}

fn list_virtual_mfa_devices(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let status = input.get("AssignmentStatus").unwrap_or("Any");
    if !["Assigned", "Unassigned", "Any"].contains(&status) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{status}' at 'assignmentStatus' failed to satisfy constraint: Member must satisfy enum value set: [Assigned, Unassigned, Any]"
        )));
    }
    let account = account(world, caller)?;
    let items = account
        .mfa_devices
        .values()
        .filter(|device| match status {
            "Assigned" => device.user.is_some(),
            "Unassigned" => device.user.is_none(),
            _ => true,
        })
        .map(|device| {
            let mut shape = Shape::new().text("SerialNumber", &device.serial_number);
            if let Some(user) = device.user.as_ref().and_then(|key| account.users.get(key)) {
                shape = shape
                    .child("User", super::users::user_shape(user))
                    .maybe("EnableDate", device.enabled.map(timestamp));
            }
            Value::Struct(shape)
        })
        .collect();
    let (items, next) = page(input, items)?;
    Ok(with_marker(
        Shape::new().list("VirtualMFADevices", items),
        next,
    ))
}

fn list_mfa_device_tags(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let serial = input.required("SerialNumber")?;
    let device = account(world, caller)?
        .mfa_devices
        .get(serial)
        .ok_or_else(|| no_such_device(serial))?;
    Ok(Shape::new()
        .list("Tags", tag_list(&device.tags))
        .text("IsTruncated", false))
}

/// Whether `SerialNumber` and `TokenCode` authenticate a `GetSessionToken` or
/// `AssumeRole` request with MFA: `false` without a serial number; the serial must be a
/// virtual MFA device of the caller's account enabled for the calling IAM user, and the
/// code one of its current codes, else `AccessDenied` with AWS's message. The sandbox
/// has no hardware devices, so any other serial number is refused the same way.
pub(crate) fn authenticate(
    input: &Input,
    world: &World,
    caller: &Caller,
) -> Result<bool, ApiError> {
    let Some(serial) = input.get("SerialNumber") else {
        return Ok(false);
    };
    let shaped = serial
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=/:,.@-".contains(c));
    if !(9..=256).contains(&serial.len()) || !shaped {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{serial}' at 'serialNumber' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=/:,.@-]* and have length between 9 and 256"
        )));
    }
    let code = input.get("TokenCode").unwrap_or_default();
    let device = world
        .account(&caller.account)
        .and_then(|account| account.mfa_devices.get(serial))
        .filter(|device| device.user.is_some() && device.user == caller.user);
    let Some(device) = device else {
        return Err(ApiError::access_denied(
            "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.",
        ));
    };
    match step_of(&device.seed, code, host_now()) {
        Some(_) => Ok(true),
        None => Err(ApiError::access_denied(
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's SHA-1 test vectors (its appendix B), truncated to six digits.
    #[test]
    fn codes_follow_rfc_6238() {
        let seed = totp_rs::Secret::from(b"12345678901234567890".to_vec()).to_base32();
        let totp = totp(&seed).unwrap();
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(totp.generate(time).to_string(), code, "at {time}");
            assert_eq!(step_of(&seed, code, time), Some(time / 30));
        }
        assert_eq!(step_of(&seed, "287082", 59 + 90), None, "three steps late");
        assert_eq!(step_of(&seed, "28708", 59), None, "five digits");
    }

    #[test]
    fn enabling_takes_two_consecutive_codes() {
        let seed = new_seed();
        assert_eq!(seed.len(), 64);
        let totp = totp(&seed).unwrap();
        let now = 1_800_000_015;
        let code = |step: u64| totp.generate(step * 30).to_string();
        let current = now / 30;
        assert!(consecutive(&seed, &code(current - 1), &code(current), now));
        assert!(consecutive(&seed, &code(current), &code(current + 1), now));
        assert!(!consecutive(&seed, &code(current), &code(current), now));
        assert!(!consecutive(&seed, &code(current + 1), &code(current), now));
        assert!(!consecutive(
            &seed,
            &code(current - 5),
            &code(current - 4),
            now
        ));
    }
}
