//! S3's bucket operations as registry entries: create, delete, head, location,
//! listing the caller's buckets, bucket policies, tagging and versioning status.

use super::{
    ALL_BUCKETS, RestOperation, S3Output, bucket, bucket_arn, bucket_check, bucket_mut,
    bucket_name, policy, valid_bucket_name,
};
use crate::services::{ApiError, Call, Check, S3Error};
use crate::state::World;
use crate::state::world::Bucket;

/// The bucket operations.
pub(super) static OPERATIONS: &[RestOperation] = &[
    RestOperation {
        name: "ListBuckets",
        mutates: false,
        // No resource-level permissions; S3 authorizes it against every bucket, so
        // `"Resource": "arn:aws:s3:::*"` grants it as on AWS (S3 user guide,
        // "Controlling access to a bucket with user policies").
        checks: |_, _| Ok(vec![Check::new("s3:ListAllMyBuckets", ALL_BUCKETS)]),
        run: |world, call| Ok(list_buckets(world, call)),
    },
    RestOperation {
        name: "CreateBucket",
        mutates: true,
        checks: |_, call| {
            Ok(vec![Check::new(
                "s3:CreateBucket",
                bucket_arn(bucket_name(call)?),
            )])
        },
        run: create_bucket,
    },
    RestOperation {
        name: "DeleteBucket",
        mutates: true,
        checks: |_, call| bucket_check("s3:DeleteBucket", call),
        run: delete_bucket,
    },
    RestOperation {
        name: "HeadBucket",
        mutates: false,
        checks: |_, call| bucket_check("s3:ListBucket", call),
        run: |world, call| bucket(world, bucket_name(call)?).map(|_| S3Output::Empty(200)),
    },
    RestOperation {
        name: "GetBucketLocation",
        mutates: false,
        checks: |_, call| bucket_check("s3:GetBucketLocation", call),
        run: |world, call| {
            Ok(S3Output::Location(
                bucket(world, bucket_name(call)?)?.region.clone(),
            ))
        },
    },
    RestOperation {
        name: "PutBucketPolicy",
        mutates: true,
        checks: |_, call| bucket_check("s3:PutBucketPolicy", call),
        run: put_bucket_policy,
    },
    RestOperation {
        name: "GetBucketPolicy",
        mutates: false,
        checks: |_, call| bucket_check("s3:GetBucketPolicy", call),
        run: get_bucket_policy,
    },
    RestOperation {
        name: "DeleteBucketPolicy",
        mutates: true,
        checks: |_, call| bucket_check("s3:DeleteBucketPolicy", call),
        run: |world, call| {
            bucket_mut(world, bucket_name(call)?)?.policy = None;
            Ok(S3Output::Empty(204))
        },
    },
    RestOperation {
        name: "PutBucketTagging",
        mutates: true,
        checks: |_, call| bucket_check("s3:PutBucketTagging", call),
        run: |world, call| {
            let tags = call
                .input
                .child("Tagging")
                .map(|tagging| tagging.pairs("TagSet", "Key", "Value"))
                .unwrap_or_default();
            bucket_mut(world, bucket_name(call)?)?.tags = tags;
            Ok(S3Output::Empty(204))
        },
    },
    RestOperation {
        name: "GetBucketTagging",
        mutates: false,
        checks: |_, call| bucket_check("s3:GetBucketTagging", call),
        run: get_bucket_tagging,
    },
    RestOperation {
        name: "DeleteBucketTagging",
        mutates: true,
        // AWS authorizes deleting a bucket's tags with `s3:PutBucketTagging`.
        checks: |_, call| bucket_check("s3:PutBucketTagging", call),
        run: |world, call| {
            bucket_mut(world, bucket_name(call)?)?.tags.clear();
            Ok(S3Output::Empty(204))
        },
    },
    RestOperation {
        name: "GetBucketVersioning",
        mutates: false,
        checks: |_, call| bucket_check("s3:GetBucketVersioning", call),
        run: |world, call| {
            Ok(S3Output::Versioning(
                bucket(world, bucket_name(call)?)?.versioning.clone(),
            ))
        },
    },
    RestOperation {
        name: "PutBucketVersioning",
        mutates: true,
        checks: |_, call| bucket_check("s3:PutBucketVersioning", call),
        run: put_bucket_versioning,
    },
];

fn list_buckets(world: &World, call: &Call<'_, '_>) -> S3Output {
    let caller = call.caller;
    S3Output::Buckets {
        owner: caller.account.clone(),
        buckets: world
            .buckets
            .values()
            .filter(|b| b.account == caller.account)
            .map(|b| (b.name.clone(), b.created, b.region.clone()))
            .collect(),
    }
}

fn create_bucket(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let name = bucket_name(call)?.to_owned();
    let requested = call
        .input
        .child("CreateBucketConfiguration")
        .and_then(|configuration| configuration.get("LocationConstraint"));
    if !valid_bucket_name(&name) {
        return Err(ApiError::of(
            S3Error::InvalidBucketName,
            "The specified bucket is not valid.",
        )
        .with("BucketName", &name));
    }
    if let Some(existing) = world.buckets.get(&name) {
        return Err(if existing.account == call.caller.account {
            ApiError::of(S3Error::BucketAlreadyOwnedByYou, "Your previous request to create the named bucket succeeded and you already own it.").with("BucketName", &name)
        } else {
            ApiError::of(S3Error::BucketAlreadyExists, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.").with("BucketName", &name)
        });
    }
    if call.caller.is_anonymous() {
        return Err(ApiError::access_denied("Access Denied"));
    }
    let now = world.now();
    world.buckets.insert(
        name.clone(),
        Bucket {
            name,
            account: call.caller.account.clone(),
            region: requested.unwrap_or(call.region).to_owned(),
            created: now,
            ..Bucket::default()
        },
    );
    Ok(S3Output::Empty(200))
}

fn delete_bucket(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let name = bucket_name(call)?;
    if !bucket(world, name)?.objects.is_empty() {
        return Err(ApiError::of(
            S3Error::BucketNotEmpty,
            "The bucket you tried to delete is not empty",
        )
        .with("BucketName", name));
    }
    // Uploads in progress go with the bucket, and so do their parts' bodies.
    if let Some(removed) = world.buckets.remove(name) {
        for part in removed.parts.values() {
            world.blobs.release(&part.body);
        }
    }
    Ok(S3Output::Empty(204))
}

fn put_bucket_policy(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let policy = call.input.get("Policy").unwrap_or_default();
    // The verdict `precheck` reached before the world was locked, if it did.
    match call.input.document_verdict() {
        Some(verdict) => verdict.clone().map(|_| ())?,
        None => policy::check(policy)?,
    }
    bucket_mut(world, bucket_name(call)?)?.policy = Some(policy.to_owned());
    Ok(S3Output::Empty(204))
}

fn get_bucket_policy(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let name = bucket_name(call)?;
    bucket(world, name)?
        .policy
        .clone()
        .map(S3Output::Policy)
        .ok_or_else(|| {
            ApiError::of(
                S3Error::NoSuchBucketPolicy,
                "The bucket policy does not exist",
            )
            .with("BucketName", name)
        })
}

fn get_bucket_tagging(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let name = bucket_name(call)?;
    let found = bucket(world, name)?;
    if found.tags.is_empty() {
        return Err(
            ApiError::of(S3Error::NoSuchTagSet, "The TagSet does not exist")
                .with("BucketName", name),
        );
    }
    Ok(S3Output::Tags(found.tags.clone()))
}

/// `Enabled` or `Suspended` (anything else is refused); the sandbox keeps no versions.
fn put_bucket_versioning(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let name = bucket_name(call)?;
    let status = call
        .input
        .child("VersioningConfiguration")
        .and_then(|configuration| configuration.get("Status"));
    match status {
        Some("Suspended") => {
            bucket_mut(world, name)?.versioning = Some("Suspended".to_owned());
            Ok(S3Output::Empty(200))
        }
        Some("Enabled") => {
            bucket(world, name)?;
            Err(ApiError::of(
                S3Error::NotImplemented,
                "The sandbox does not keep object versions, so it cannot enable versioning",
            ))
        }
        _ => Err(ApiError::of(
            S3Error::MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema",
        )),
    }
}
