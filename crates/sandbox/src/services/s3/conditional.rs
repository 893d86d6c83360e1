//! S3's conditional writes: `If-None-Match: *` (create only) and `If-Match: ETAG`
//! (replace only what was read) on `PutObject` and `CompleteMultipartUpload`, judged
//! against the key's current object as S3's user guide ("How to prevent object
//! overwrites with conditional writes") describes: `412 PreconditionFailed` naming the
//! condition, `404 NoSuchKey` for `If-Match` on a key with no object, and
//! `409 ConditionalRequestConflict` for a conditional completion whose key changed
//! while the upload was in progress. A `PutObject` is judged and applied under the
//! world's one lock, so of two racing conditional puts the second sees the first's
//! object and gets `412`.

use crate::model::s3::WriteCondition;
use crate::services::{ApiError, S3Error};
use crate::state::world::Object;

/// What the key held: its `ETag` and modification time, `None` if no object.
pub(super) fn seen(object: Option<&Object>) -> Option<(String, i64)> {
    object.map(|object| (object.etag.clone(), object.modified))
}

/// Whether a write of `key` under `condition` may go on, given its current object.
pub(super) fn admit(
    condition: Option<&WriteCondition>,
    current: Option<&Object>,
    key: &str,
) -> Result<(), ApiError> {
    match (condition, current) {
        (None, _) | (Some(WriteCondition::IfNoneMatch), None) => Ok(()),
        (Some(WriteCondition::IfNoneMatch), Some(_)) => Err(failed("If-None-Match")),
        (Some(WriteCondition::IfMatch(_)), None) => Err(ApiError::of(
            S3Error::NoSuchKey,
            "The specified key does not exist.",
        )
        .with("Key", key)),
        (Some(WriteCondition::IfMatch(etag)), Some(object)) if *etag == object.etag => Ok(()),
        (Some(WriteCondition::IfMatch(_)), Some(_)) => Err(failed("If-Match")),
    }
}

/// A conditional completion of an upload that started when the key held `started`
/// and now holds `current`: a conflict if the key was written or deleted meanwhile.
pub(super) fn unchanged_since(
    condition: Option<&WriteCondition>,
    started: Option<&(String, i64)>,
    current: Option<&Object>,
) -> Result<(), ApiError> {
    if condition.is_none() || started == seen(current).as_ref() {
        return Ok(());
    }
    Err(ApiError::of(
        S3Error::ConditionalRequestConflict,
        "A conflicting conditional operation is currently in progress against this resource. Please try again.",
    ))
}

fn failed(condition: &str) -> ApiError {
    ApiError::of(
        S3Error::PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold",
    )
    .with("Condition", condition)
}

#[cfg(test)]
mod tests {
    use super::{admit, unchanged_since};
    use crate::model::s3::WriteCondition;
    use crate::state::world::Object;

    fn object(etag: &str, modified: i64) -> Object {
        Object {
            etag: etag.to_owned(),
            modified,
            ..Object::default()
        }
    }

    #[test]
    fn judges_each_condition_against_the_current_object() {
        let present = object("abc", 1);
        let none_match = Some(WriteCondition::IfNoneMatch);
        let matching = Some(WriteCondition::IfMatch("abc".to_owned()));
        let stale = Some(WriteCondition::IfMatch("old".to_owned()));
        let cases = [
            (None, Some(&present), None),
            (none_match.clone(), None, None),
            (
                none_match,
                Some(&present),
                Some((412, "PreconditionFailed")),
            ),
            (matching.clone(), Some(&present), None),
            (matching, None, Some((404, "NoSuchKey"))),
            (stale, Some(&present), Some((412, "PreconditionFailed"))),
        ];
        for (condition, current, expected) in cases {
            let found = admit(condition.as_ref(), current, "k").err();
            assert_eq!(
                found
                    .as_ref()
                    .map(|error| (error.status, error.code.as_str())),
                expected,
                "{condition:?} against {:?}",
                current.map(|object| &object.etag)
            );
        }
    }

    #[test]
    fn a_conditional_completion_conflicts_when_the_key_changed_during_the_upload() {
        let condition = Some(WriteCondition::IfNoneMatch);
        let now = object("new", 5);
        assert!(unchanged_since(condition.as_ref(), None, None).is_ok());
        assert!(unchanged_since(None, None, Some(&now)).is_ok());
        let conflict = unchanged_since(condition.as_ref(), None, Some(&now)).unwrap_err();
        assert_eq!(
            (conflict.status, conflict.code.as_str()),
            (409, "ConditionalRequestConflict")
        );
        let was = ("old".to_owned(), 1);
        assert!(unchanged_since(condition.as_ref(), Some(&was), None).is_err());
        assert!(
            unchanged_since(condition.as_ref(), Some(&("new".to_owned(), 5)), Some(&now)).is_ok()
        );
    }
}
