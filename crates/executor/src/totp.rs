//! The codes of virtual MFA devices: RFC 6238 TOTP (HMAC-SHA1, 30-second steps, six
//! digits) from the seed an `iam.virtual_mfa_device` step keeps in the run's secrets
//! file. Every code computed is remembered for redaction, like a secret.
//!
//! AWS accepts a code once: a second call with a code of the same 30-second step is
//! refused. So on a real account (no endpoint) a call that needs a code of a device
//! whose current step was used already in this process waits for the next step
//! instead of failing; on an emulator (the sandbox, moto) codes are not spent, so
//! nothing waits. Enabling a device spends the current step.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::context::StepCx;
use crate::error::StepError;

/// The length of a TOTP step, in seconds.
pub const STEP_SECONDS: u64 = 30;

/// The last step whose code was sent, by serial number (this process).
static SPENT: LazyLock<Mutex<HashMap<String, u64>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn totp(seed: &str) -> Result<totp_rs::Totp, StepError> {
    let secret = totp_rs::Secret::try_from_base32(seed)
        .map_err(|_| StepError::Local("the MFA seed is not base32".to_owned()))?;
    totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .map_err(|e| StepError::Local(format!("the MFA seed cannot make codes: {e}")))
}

/// The code of `seed` for the step `step` (Unix time / 30), remembered for redaction.
pub fn code_for_step(seed: &str, step: u64) -> Result<String, StepError> {
    let code = totp(seed)?.generate(step * STEP_SECONDS).to_string();
    crate::redaction::remember(&code);
    Ok(code)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

fn spend(serial: &str, step: u64) {
    let mut spent = SPENT.lock().unwrap_or_else(PoisonError::into_inner);
    let kept = spent.entry(serial.to_owned()).or_insert(step);
    *kept = (*kept).max(step);
}

fn spent(serial: &str) -> Option<u64> {
    SPENT
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(serial)
        .copied()
}

/// Two consecutive codes to enable (or resync) a device: the previous step's and the
/// current one's, both already shown by a real device.
pub fn enabling_codes(serial: &str, seed: &str) -> Result<(String, String), StepError> {
    let step = now() / STEP_SECONDS;
    let first = code_for_step(seed, step.saturating_sub(1))?;
    let second = code_for_step(seed, step)?;
    spend(serial, step);
    Ok((first, second))
}

/// The code of the current step, without waiting (a retry of a call that sent one).
pub fn current_code(serial: &str, seed: &str) -> Result<String, StepError> {
    let step = now() / STEP_SECONDS;
    let code = code_for_step(seed, step)?;
    spend(serial, step);
    Ok(code)
}

/// How long to wait at `now` before sending a code: `None` where codes are not spent
/// (`once` false) or the current step's code was not sent yet, else until the next
/// step begins.
fn wait_before_sending(once: bool, last_spent: Option<u64>, now: u64) -> Option<u64> {
    let step = now / STEP_SECONDS;
    match last_spent {
        Some(last) if once && last >= step => Some((step + 1) * STEP_SECONDS - now),
        _ => None,
    }
}

/// The current code of a device for one call; on a real account, waits for the next
/// step when this one's code was sent already (see the module's doc).
pub async fn fresh_code(cx: &StepCx<'_>, serial: &str, seed: &str) -> Result<String, StepError> {
    let once = cx.target().endpoint_url().is_none();
    let mut attempt = 0;
    loop {
        let now = now();
        let step = now / STEP_SECONDS;
        let Some(wait) = wait_before_sending(once, spent(serial), now) else {
            let code = code_for_step(seed, step)?;
            spend(serial, step);
            return Ok(code);
        };
        attempt += 1;
        cx.retrying(
            attempt,
            format!("waiting {wait}s for the next MFA code (AWS accepts each code once)"),
        );
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(wait)) => {}
            () = cx.cancel_token().cancelled() => {
                return Err(StepError::Local("cancelled while waiting for the next MFA code".to_owned()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// RFC 6238's SHA-1 test vectors (its appendix B), truncated to six digits.
    #[test]
    fn codes_follow_rfc_6238() {
        let seed = totp_rs::Secret::from(b"12345678901234567890".to_vec()).to_base32();
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(
                super::code_for_step(&seed, time / super::STEP_SECONDS).unwrap(),
                code,
                "at {time}"
            );
        }
    }

    #[test]
    fn a_spent_step_waits_for_the_next_one_on_a_real_account_only() {
        use super::wait_before_sending as wait;
        // 1000 s is step 33, which began at 990 and ends at 1020.
        assert_eq!(wait(true, None, 1000), None, "nothing sent yet");
        assert_eq!(wait(true, Some(32), 1000), None, "the previous step's");
        assert_eq!(
            wait(true, Some(33), 1000),
            Some(20),
            "this step's: until 1020"
        );
        assert_eq!(wait(true, Some(33), 1019), Some(1));
        assert_eq!(wait(true, Some(33), 1020), None, "the next step");
        assert_eq!(
            wait(false, Some(33), 1000),
            None,
            "an emulator spends nothing"
        );
    }

    #[test]
    fn a_seed_that_is_not_base32_is_an_error() {
        assert!(super::code_for_step("not base32!", 1).is_err());
    }
}
