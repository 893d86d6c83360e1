//! Waiting for IAM's eventual consistency on the real signal. [`settle`] runs a probe
//! (a call with the new credential, a read of the new policy's effect) until it says
//! [`Probe::Done`], backing off exponentially with full jitter between attempts, up to
//! a deadline (`--settle-timeout`, 120 s by default). Each retry is reported through a
//! callback (the scheduler's `Retrying` event), and the result says how long the wait
//! took. There is no fixed sleep anywhere: a probe that succeeds at once costs nothing.

use std::time::Duration;

use rand::Rng as _;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Backoff and deadline of a settle wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettlePolicy {
    /// Upper bound of the first backoff.
    pub initial: Duration,
    /// Largest backoff between two probes.
    pub cap: Duration,
    /// Give up this long after the first probe started.
    pub deadline: Duration,
}

impl SettlePolicy {
    pub const DEFAULT_DEADLINE: Duration = Duration::from_mins(2);

    /// The default backoff with another deadline.
    pub fn with_deadline(deadline: Duration) -> Self {
        Self {
            deadline,
            ..Self::default()
        }
    }

    /// For polling a `CloudFormation` stack: a second poll after at most 2 ms (an
    /// emulator's stack is done at once or on the next poll: the sandbox shows
    /// `*_IN_PROGRESS` to the first `DescribeStacks` only; AWS's takes tens of seconds,
    /// so the backoff doubles to 5 s, not to the 1 s of a propagation wait, which costs
    /// a real stack about four more polls in its first 60 ms), and `deadline`.
    pub fn for_stack(deadline: Duration) -> Self {
        Self {
            initial: Duration::from_millis(2),
            cap: Duration::from_secs(5),
            ..Self::with_deadline(deadline)
        }
    }

    /// The upper bound of the backoff after `attempt` (1-based) failed probes:
    /// `initial * 2^(attempt-1)`, at most `cap`.
    pub fn backoff_bound(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.initial.saturating_mul(factor).min(self.cap)
    }
}

impl Default for SettlePolicy {
    /// A propagation wait (a new key, a policy just put): IAM takes a few seconds on
    /// AWS, and a probe is one cheap read, so the backoff stops growing at 1 s: the wait
    /// ends at most about a second after the change is visible.
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(200),
            cap: Duration::from_secs(1),
            deadline: Self::DEFAULT_DEADLINE,
        }
    }
}

/// What one probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// The change is visible.
    Done,
    /// Not yet (for example `InvalidClientTokenId` from a new key): try again.
    Retry(String),
    /// A real failure: stop waiting.
    Fail(String),
}

/// A finished wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settled {
    /// From the first probe's start to the successful probe's end.
    pub waited: Duration,
    /// Probes made, the successful one included.
    pub attempts: u32,
}

/// Why a wait ended without the change becoming visible.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettleError {
    #[error("still not settled after {waited:?} ({attempts} attempts); last answer: {last_reason}")]
    TimedOut {
        waited: Duration,
        attempts: u32,
        last_reason: String,
    },
    #[error("probe failed after {attempts} attempts: {reason}")]
    Failed {
        reason: String,
        attempts: u32,
        waited: Duration,
    },
    #[error("stopped waiting after {waited:?} ({attempts} attempts): the run was cancelled")]
    Cancelled { waited: Duration, attempts: u32 },
}

/// Probes until done, failed, past the deadline or cancelled. `on_retry` gets the
/// attempt number that just failed, its reason and the backoff about to be waited.
pub async fn settle<P, F>(
    policy: &SettlePolicy,
    cancel: &CancellationToken,
    mut probe: P,
    mut on_retry: impl FnMut(u32, &str, Duration),
) -> Result<Settled, SettleError>
where
    P: FnMut() -> F,
    F: Future<Output = Probe>,
{
    let start = Instant::now();
    let deadline = start + policy.deadline;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let reason = match probe().await {
            Probe::Done => {
                return Ok(Settled {
                    waited: start.elapsed(),
                    attempts,
                });
            }
            Probe::Fail(reason) => {
                return Err(SettleError::Failed {
                    reason,
                    attempts,
                    waited: start.elapsed(),
                });
            }
            Probe::Retry(reason) => reason,
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(SettleError::TimedOut {
                waited: start.elapsed(),
                attempts,
                last_reason: reason,
            });
        }
        let delay = full_jitter(policy.backoff_bound(attempts)).min(deadline - now);
        tracing::debug!(attempts, %reason, ?delay, "not settled yet");
        on_retry(attempts, &reason, delay);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = cancel.cancelled() => return Err(SettleError::Cancelled { waited: start.elapsed(), attempts }),
        }
    }
}

/// A uniformly random duration in `[0, bound]` ("full jitter"), in whole milliseconds
/// (the resolution of tokio's timer).
fn full_jitter(bound: Duration) -> Duration {
    let millis = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=millis))
}
