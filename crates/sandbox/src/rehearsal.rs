//! What a real account does to a lab, rehearsed on request ([`Options`], process
//! options of one [`crate::Sandbox`], never kept in the world): a propagation delay
//! (new keys, policies and trust policies take effect only that long after the change,
//! on the sandbox's clock; the world records when each change takes effect, so every
//! process sharing the state folder sees the same) and throttling (a token bucket per
//! account and service: over the rate, the query protocols answer `Throttling` and S3
//! answers `SlowDown`, which the SDKs and the `aws` CLI retry).

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::model::ApiError;
use crate::model::{CommonError, S3Error};
use crate::wire::auth_errors::Family;

/// How a sandbox rehearses a real account. The default rehearses nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// How long after a change new access keys, identity policies (inline, attached,
    /// new default versions, group memberships) and trust policies take effect.
    /// Removals take effect at once.
    pub propagation_delay: Duration,
    /// Requests allowed per second and per account and service; `None`: no limit.
    pub throttle: Option<Rate>,
}

/// A request rate, `N/s`: at most `N` requests a second, in bursts of up to `N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_second: NonZeroU32,
}

/// Why a rate could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a rate: {reason} (write requests per second as `N/s`, such as `20/s`)")]
pub struct RateError {
    text: String,
    reason: &'static str,
}

impl FromStr for Rate {
    type Err = RateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |reason| RateError {
            text: text.to_owned(),
            reason,
        };
        let Some((count, unit)) = text.trim().split_once('/') else {
            return Err(error("no unit"));
        };
        if unit.trim() != "s" {
            return Err(error("the unit must be `/s`"));
        }
        let count = count.trim();
        if count.is_empty() || !count.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(error("the count must be a whole number of requests"));
        }
        let count: u32 = count.parse().map_err(|_| error("the count is too large"))?;
        let per_second =
            NonZeroU32::new(count).ok_or_else(|| error("the count must be at least 1"))?;
        if count > 1_000_000 {
            return Err(error("the count must be at most 1000000"));
        }
        Ok(Self { per_second })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/s", self.per_second)
    }
}

/// The options of one sandbox and the state of its throttle.
#[derive(Debug, Default)]
pub(crate) struct Rehearsal {
    pub options: Options,
    /// Token buckets by (account, service); bounded: cleared when full.
    buckets: Mutex<HashMap<(String, String), Bucket>>,
}

/// How many buckets are kept before they are all forgotten (each starts full again).
const KEPT_BUCKETS: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl Rehearsal {
    pub fn new(options: Options) -> Self {
        Self {
            options,
            buckets: Mutex::default(),
        }
    }

    /// The propagation delay in milliseconds, for the world's transient field.
    pub fn propagation_delay_ms(&self) -> i64 {
        i64::try_from(self.options.propagation_delay.as_millis()).unwrap_or(i64::MAX)
    }

    /// Takes a token for a request of `account` to `service`, or answers AWS's
    /// throttling error of the protocol `family`.
    pub fn admit(&self, account: &str, service: &str, family: Family) -> Result<(), ApiError> {
        let Some(rate) = self.options.throttle else {
            return Ok(());
        };
        let capacity = f64::from(rate.per_second.get());
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= KEPT_BUCKETS {
            buckets.clear();
        }
        let bucket = buckets
            .entry((account.to_owned(), service.to_owned()))
            .or_insert(Bucket {
                tokens: capacity,
                refilled: now,
            });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * capacity).min(capacity);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        Err(throttled(family))
    }
}

/// AWS's answer over the rate: `Throttling` (HTTP 400, "Rate exceeded") in the query
/// and JSON protocols, `SlowDown` (HTTP 503) in S3.
pub(crate) fn throttled(family: Family) -> ApiError {
    match family {
        Family::S3 => ApiError::of(S3Error::SlowDown, "Please reduce your request rate."),
        Family::Query => ApiError::of(CommonError::Throttling, "Rate exceeded"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rates_and_refuses_bad_ones() {
        assert_eq!(
            "20/s".parse::<Rate>().map(|rate| rate.per_second.get()),
            Ok(20)
        );
        for (text, reason) in [
            ("0/s", "at least 1"),
            ("20", "no unit"),
            ("20/m", "`/s`"),
            ("-1/s", "whole number"),
            ("1.5/s", "whole number"),
            ("/s", "whole number"),
            ("99999999999/s", "too large"),
            ("2000000/s", "at most"),
        ] {
            let error = text.parse::<Rate>().err().map(|error| error.to_string());
            assert!(
                error.as_deref().is_some_and(|error| error.contains(reason)),
                "{text}: {error:?}"
            );
        }
    }

    #[test]
    fn throttles_over_the_rate_per_account_and_service() {
        let rehearsal = Rehearsal::new(Options {
            throttle: Some("2/s".parse().unwrap()),
            ..Options::default()
        });
        assert!(rehearsal.admit("1", "iam", Family::Query).is_ok());
        assert!(rehearsal.admit("1", "iam", Family::Query).is_ok());
        let refused = rehearsal.admit("1", "iam", Family::Query).unwrap_err();
        assert_eq!((refused.status, refused.code.as_str()), (400, "Throttling"));
        assert!(rehearsal.admit("1", "s3", Family::S3).is_ok());
        assert!(rehearsal.admit("2", "iam", Family::Query).is_ok());
        assert!(rehearsal.admit("1", "s3", Family::S3).is_ok());
        let refused = rehearsal.admit("1", "s3", Family::S3).unwrap_err();
        assert_eq!((refused.status, refused.code.as_str()), (503, "SlowDown"));
    }
}
