//! awslab's own tags on everything a run creates: `awslab:run` (the run id, the one
//! ownership rests on), `awslab:plan`, `awslab:created-at` and, with `up --ttl`,
//! `awslab:expires-at` (RFC 3339 UTC, on the target's clock), followed by the plan's
//! own `tags:`. `awslab sweep` and `awslab reap` find a run's resources by them when
//! its journal is gone. Untaggable resources (access keys, inline policies,
//! attachments, memberships, login profiles, objects) are found through their tagged
//! parent.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use crate::resources::RUN_TAG;

/// The plan's name.
pub const PLAN_TAG: &str = "awslab:plan";
/// When the run started, RFC 3339 UTC.
pub const CREATED_TAG: &str = "awslab:created-at";
/// When the run expires (`up --ttl`), RFC 3339 UTC.
pub const EXPIRES_TAG: &str = "awslab:expires-at";
/// The prefix of every awslab tag.
pub const PREFIX: &str = "awslab:";

/// When a run started and when it expires, as its tags say them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunTimes {
    pub created_at: Option<String>,
    pub expires_at: Option<String>,
}

/// awslab's tags (run, plan, created-at, expires-at) then the plan's `own` (whose keys
/// never start with `awslab:`; the planner refuses them, and any left are dropped).
pub fn run_tags(
    run_id: &str,
    plan_name: &str,
    times: &RunTimes,
    own: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut tags = vec![
        (RUN_TAG.to_owned(), run_id.to_owned()),
        (PLAN_TAG.to_owned(), tag_value(plan_name)),
    ];
    if let Some(at) = &times.created_at {
        tags.push((CREATED_TAG.to_owned(), at.clone()));
    }
    if let Some(at) = &times.expires_at {
        tags.push((EXPIRES_TAG.to_owned(), at.clone()));
    }
    tags.extend(
        own.into_iter()
            .filter(|(key, _)| !key.to_ascii_lowercase().starts_with(PREFIX)),
    );
    tags
}

/// Merges a step's own tags after `base` (awslab's and the plan's win on the same key,
/// as IAM refuses a key twice).
pub fn with_step_tags(
    mut base: Vec<(String, String)>,
    step: Vec<(String, String)>,
) -> Vec<(String, String)> {
    for (key, value) in step {
        if !base.iter().any(|(k, _)| k.eq_ignore_ascii_case(&key)) {
            base.push((key, value));
        }
    }
    base
}

/// A plan name as a tag value: the characters AWS takes in tags (others become `-`),
/// at most 256.
pub fn tag_value(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(256)
        .collect()
}

/// An instant as a tag says it: RFC 3339 UTC to the second.
pub fn format_instant(unix_seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix_seconds.to_string())
}

/// An RFC 3339 instant (a tag's, a journal's) as Unix seconds; `None` when it is not one.
pub fn parse_instant(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// Whether an expiry (`awslab:expires-at`) has passed at `now` (Unix seconds); an
/// expiry that is not an instant never has (it is reported, not reaped).
pub fn expired(expires_at: Option<&str>, now: i64) -> bool {
    expires_at
        .and_then(parse_instant)
        .is_some_and(|at| at <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awslab_tags_come_first_and_plan_tags_cannot_take_their_keys() {
        let times = RunTimes {
            created_at: Some("2026-01-01T00:00:00Z".to_owned()),
            expires_at: Some("2026-01-01T02:00:00Z".to_owned()),
        };
        let tags = run_tags(
            "r1",
            "lab (one)",
            &times,
            vec![
                ("course".to_owned(), "iam".to_owned()),
                ("AWSLAB:run".to_owned(), "other".to_owned()),
            ],
        );
        let keys: Vec<&str> = tags.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [RUN_TAG, PLAN_TAG, CREATED_TAG, EXPIRES_TAG, "course"]
        );
        assert_eq!(tags[1].1, "lab -one-");
        let merged = with_step_tags(
            tags,
            vec![
                ("course".to_owned(), "x".to_owned()),
                ("team".to_owned(), "red".to_owned()),
            ],
        );
        assert_eq!(merged.len(), 6);
        assert_eq!(merged[4].1, "iam");
    }

    #[test]
    fn expiry_is_compared_on_the_clock_given() {
        let at = format_instant(1_000_000);
        assert_eq!(parse_instant(&at), Some(1_000_000));
        assert!(!expired(Some(&at), 999_999));
        assert!(expired(Some(&at), 1_000_000));
        assert!(!expired(Some("not a time"), i64::MAX));
        assert!(!expired(None, i64::MAX));
    }
}
