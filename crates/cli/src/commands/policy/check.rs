//! `awslab policy check`: the problems IAM reports as `MalformedPolicyDocument`, and
//! the size quotas, for each policy file given.

use std::path::Path;

use awslab_policy::{PolicyKind, Quota};

use super::{Failed, load};
use crate::cli::policy::CheckArgs;
use crate::exit::Status;

/// Says of each file that it is well formed; `Invalid` (2) if one is not.
pub(super) fn check(args: &CheckArgs) -> Status {
    let kind = PolicyKind::from_label(&args.kind);
    let mut failed = false;
    for path in &args.files {
        // A size limit known beforehand is checked before the file is parsed.
        if let Some(quota) = known_quota(kind, args.quota.as_deref())
            && check_size(path, quota).is_err()
        {
            failed = true;
            continue;
        }
        match load(path, kind) {
            Ok(document) => {
                let count = document.statements().len();
                let quota = quota_for(document.kind(), args.quota.as_deref());
                let Ok(size) = check_size(path, quota) else {
                    failed = true;
                    continue;
                };
                println!(
                    "`{}`: well-formed {} policy ({count} statement{}, {size})",
                    path.display(),
                    document.kind().label(),
                    if count == 1 { "" } else { "s" }
                );
            }
            Err(Failed) => failed = true,
        }
    }
    if failed {
        Status::Invalid
    } else {
        Status::Success
    }
}

/// The quota a policy is checked against: the one asked for, or the one its kind
/// implies (resource policies: S3's bucket policy limit, the only resource policy the
/// sandbox keeps).
fn quota_for(kind: PolicyKind, asked: Option<&str>) -> Quota {
    asked.and_then(Quota::from_label).unwrap_or(match kind {
        PolicyKind::Trust => Quota::Trust,
        PolicyKind::Session => Quota::Session,
        PolicyKind::Identity | PolicyKind::Boundary => Quota::Managed,
        PolicyKind::Resource => Quota::Bucket,
    })
}

/// The quota known before the file is parsed: asked for, or implied by `--kind`.
fn known_quota(kind: Option<PolicyKind>, asked: Option<&str>) -> Option<Quota> {
    match (kind, asked) {
        (_, Some(label)) => Quota::from_label(label),
        (Some(kind), None) => Some(quota_for(kind, None)),
        (None, None) => None,
    }
}

/// Checks a policy file's size against `quota` (counted as AWS counts it, see
/// `awslab_policy::Quota`); returns the size for the report, or reports the excess on
/// stderr.
fn check_size(path: &Path, quota: Quota) -> Result<String, Failed> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        eprintln!("error: cannot read `{}`: {error}", path.display());
        Failed
    })?;
    let size = quota.size_of_text(&text);
    match quota.check(size) {
        Ok(_) => Ok(format!(
            "{size} of the {} {} allowed for {}",
            quota.limit(),
            awslab_policy::unit(quota.counting()),
            quota.noun()
        )),
        Err(exceeded) => {
            eprintln!(
                "error: `{}`: {}",
                path.display(),
                crate::report::render_diagnostic(&exceeded)
            );
            Err(Failed)
        }
    }
}
