//! S3: buckets in one namespace shared by every account, objects, listings (v1 and
//! v2 with prefix, delimiter and pagination) and bucket policies, as typed
//! operations. Each declares its action and resource; bucket policies are the
//! resource-based policy of every bucket and object check.

#[cfg(test)]
pub(crate) mod actions_tests;
pub mod cfn;
mod conditional;
mod handle;
mod list;
pub mod multipart;
mod policy;
mod range;

use base64::Engine as _;

pub use crate::model::s3::{Listing, S3Operation, S3Output, WriteCondition};
pub use handle::Decoded;
use list::list;
pub use policy::precheck;

use crate::auth::Caller;
use crate::services::S3Error;
use crate::services::{ApiError, Check, ResourcePolicy};
use crate::state::World;
use crate::state::blobs::Content;
use crate::state::world::{Bucket, Object};

/// The resource `s3:ListAllMyBuckets` is authorized against.
const ALL_BUCKETS: &str = "arn:aws:s3:::*";

fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

fn on_bucket(action: &str, bucket: &str) -> Check {
    let mut check = Check::new(action, bucket_arn(bucket));
    check.resource_policy = ResourcePolicy::Bucket(bucket.to_owned());
    check
}

fn on_object(action: &str, bucket: &str, key: &str) -> Check {
    let mut check = Check::new(action, format!("arn:aws:s3:::{bucket}/{key}"));
    check.resource_policy = ResourcePolicy::Bucket(bucket.to_owned());
    check
}

/// A write's checks: `s3:PutObject`, with the condition keys `s3:if-none-match` and
/// `s3:if-match` that bucket policies use to require conditional writes, and
/// `s3:GetObject` as well under `If-Match` (S3 user guide, conditional writes).
pub(crate) fn conditional_checks(
    bucket: &str,
    key: &str,
    condition: Option<&WriteCondition>,
) -> Vec<Check> {
    let put = on_object("s3:PutObject", bucket, key);
    match condition {
        None => vec![put],
        Some(WriteCondition::IfNoneMatch) => vec![put.key("s3:if-none-match", "*")],
        Some(WriteCondition::IfMatch(etag)) => vec![
            put.key("s3:if-match", etag.as_str()),
            on_object("s3:GetObject", bucket, key),
        ],
    }
}

impl S3Operation {
    /// The authorizations the operation needs.
    pub fn checks(&self) -> Vec<Check> {
        match self {
            // No resource-level permissions; S3 authorizes it against every bucket, so
            // `"Resource": "arn:aws:s3:::*"` grants it as on AWS (S3 user guide,
            // "Controlling access to a bucket with user policies").
            Self::ListBuckets => vec![Check::new("s3:ListAllMyBuckets", ALL_BUCKETS)],
            Self::CreateBucket { bucket, .. } => {
                vec![Check::new("s3:CreateBucket", bucket_arn(bucket))]
            }
            Self::DeleteBucket { bucket } => vec![on_bucket("s3:DeleteBucket", bucket)],
            Self::HeadBucket { bucket } => vec![on_bucket("s3:ListBucket", bucket)],
            Self::GetBucketLocation { bucket } => vec![on_bucket("s3:GetBucketLocation", bucket)],
            Self::ListObjects(listing) => {
                let action = if listing.versions {
                    "s3:ListBucketVersions"
                } else {
                    "s3:ListBucket"
                };
                let mut check = on_bucket(action, &listing.bucket)
                    .key("s3:prefix", listing.prefix.as_str())
                    .key("s3:max-keys", listing.max_keys.to_string());
                if let Some(delimiter) = &listing.delimiter {
                    check = check.key("s3:delimiter", delimiter.as_str());
                }
                vec![check]
            }
            Self::PutObject {
                bucket,
                key,
                condition,
                ..
            } => conditional_checks(bucket, key, condition.as_ref()),
            Self::GetObject { bucket, key, .. } => vec![on_object("s3:GetObject", bucket, key)],
            Self::DeleteObject { bucket, key } => vec![on_object("s3:DeleteObject", bucket, key)],
            Self::DeleteObjects { bucket, keys } => keys
                .iter()
                .map(|key| on_object("s3:DeleteObject", bucket, key))
                .collect(),
            Self::CopyObject {
                bucket,
                key,
                source_bucket,
                source_key,
            } => vec![
                on_object("s3:GetObject", source_bucket, source_key),
                on_object("s3:PutObject", bucket, key),
            ],
            Self::PutBucketPolicy { bucket, .. } => vec![on_bucket("s3:PutBucketPolicy", bucket)],
            Self::GetBucketPolicy { bucket } => vec![on_bucket("s3:GetBucketPolicy", bucket)],
            Self::DeleteBucketPolicy { bucket } => vec![on_bucket("s3:DeleteBucketPolicy", bucket)],
            Self::PutBucketTagging { bucket, .. } | Self::DeleteBucketTagging { bucket } => {
                vec![on_bucket("s3:PutBucketTagging", bucket)]
            }
            Self::GetBucketTagging { bucket } => vec![on_bucket("s3:GetBucketTagging", bucket)],
            Self::GetBucketVersioning { bucket } => {
                vec![on_bucket("s3:GetBucketVersioning", bucket)]
            }
            Self::PutBucketVersioning { bucket, .. } => {
                vec![on_bucket("s3:PutBucketVersioning", bucket)]
            }
            Self::Multipart(operation) => operation.checks(),
            Self::Unsupported {
                bucket,
                key,
                action: Some(action),
                ..
            } => vec![match (bucket, key) {
                (Some(bucket), Some(key)) => on_object(action, bucket, key),
                (Some(bucket), None) => on_bucket(action, bucket),
                (None, _) => Check::new(action, "*"),
            }],
            Self::Unsupported { action: None, .. } => Vec::new(),
        }
    }

    /// Whether a success changes the world.
    pub fn mutates(&self) -> bool {
        if let Self::Multipart(operation) = self {
            return operation.mutates();
        }
        !matches!(
            self,
            Self::ListBuckets
                | Self::HeadBucket { .. }
                | Self::GetBucketLocation { .. }
                | Self::ListObjects(_)
                | Self::GetObject { .. }
                | Self::GetBucketPolicy { .. }
                | Self::GetBucketTagging { .. }
                | Self::GetBucketVersioning { .. }
                | Self::Unsupported { .. }
        )
    }
}

/// A body the store could not read: the state is damaged or unreadable.
fn unreadable(error: &std::io::Error) -> ApiError {
    ApiError::new(
        500,
        "InternalError",
        format!("The sandbox could not read the object's body: {error}"),
    )
}

/// Checks a `Content-MD5` header against the body's MD5, as S3 does.
fn check_content_md5(header: Option<&str>, digest: &[u8; 16]) -> Result<(), ApiError> {
    let Some(header) = header else {
        return Ok(());
    };
    let sent = base64::engine::general_purpose::STANDARD
        .decode(header.trim())
        .ok()
        .filter(|sent| sent.len() == 16)
        .ok_or_else(|| {
            ApiError::new(
                400,
                "InvalidDigest",
                "The Content-MD5 you specified was invalid.",
            )
            .with("Content-MD5", header)
        })?;
    if sent != digest {
        return Err(ApiError::new(
            400,
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
        )
        .with("ExpectedDigest", header)
        .with(
            "CalculatedDigest",
            &base64::engine::general_purpose::STANDARD.encode(digest),
        ));
    }
    Ok(())
}

fn no_such_bucket(bucket: &str) -> ApiError {
    ApiError::of(S3Error::NoSuchBucket, "The specified bucket does not exist")
        .with("BucketName", bucket)
}

fn bucket<'w>(world: &'w World, name: &str) -> Result<&'w Bucket, ApiError> {
    world.buckets.get(name).ok_or_else(|| no_such_bucket(name))
}

fn bucket_mut<'w>(world: &'w mut World, name: &str) -> Result<&'w mut Bucket, ApiError> {
    world
        .buckets
        .get_mut(name)
        .ok_or_else(|| no_such_bucket(name))
}

/// Checks a bucket name as S3 does for new buckets.
pub fn valid_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let edges =
        |byte: Option<&u8>| byte.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (3..=63).contains(&name.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && edges(bytes.first())
        && edges(bytes.last())
        && !name.contains("..")
        && name.parse::<std::net::Ipv4Addr>().is_err()
        && !["xn--", "sthree-", "amzn-s3-demo-"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

/// Runs `operation` for `caller` in region `region`.
pub fn run(
    operation: S3Operation,
    world: &mut World,
    caller: &Caller,
    region: &str,
) -> Result<S3Output, ApiError> {
    run_checked(operation, world, caller, region, None)
}

/// [`run`], with the verdict [`precheck`] reached on a bucket policy before the world
/// was locked (`None`: check it now).
#[expect(clippy::too_many_lines, reason = "one arm per operation")]
pub fn run_checked(
    operation: S3Operation,
    world: &mut World,
    caller: &Caller,
    region: &str,
    policy_verdict: Option<Result<(), ApiError>>,
) -> Result<S3Output, ApiError> {
    let now = world.now();
    match operation {
        S3Operation::ListBuckets => Ok(S3Output::Buckets {
            owner: caller.account.clone(),
            buckets: world
                .buckets
                .values()
                .filter(|b| b.account == caller.account)
                .map(|b| (b.name.clone(), b.created, b.region.clone()))
                .collect(),
        }),
        S3Operation::CreateBucket {
            bucket: name,
            region: requested,
        } => {
            if !valid_bucket_name(&name) {
                return Err(ApiError::of(
                    S3Error::InvalidBucketName,
                    "The specified bucket is not valid.",
                )
                .with("BucketName", &name));
            }
            if let Some(existing) = world.buckets.get(&name) {
                return Err(if existing.account == caller.account {
                    ApiError::of(S3Error::BucketAlreadyOwnedByYou, "Your previous request to create the named bucket succeeded and you already own it.").with("BucketName", &name)
                } else {
                    ApiError::of(S3Error::BucketAlreadyExists, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.").with("BucketName", &name)
                });
            }
            if caller.is_anonymous() {
                return Err(ApiError::access_denied("Access Denied"));
            }
            world.buckets.insert(
                name.clone(),
                Bucket {
                    name,
                    account: caller.account.clone(),
                    region: requested.unwrap_or_else(|| region.to_owned()),
                    created: now,
                    ..Bucket::default()
                },
            );
            Ok(S3Output::Empty(200))
        }
        S3Operation::DeleteBucket { bucket: name } => {
            if !bucket(world, &name)?.objects.is_empty() {
                return Err(ApiError::of(
                    S3Error::BucketNotEmpty,
                    "The bucket you tried to delete is not empty",
                )
                .with("BucketName", &name));
            }
            // Uploads in progress go with the bucket, and so do their parts' bodies.
            if let Some(removed) = world.buckets.remove(&name) {
                for part in removed.parts.values() {
                    world.blobs.release(&part.body);
                }
            }
            Ok(S3Output::Empty(204))
        }
        S3Operation::HeadBucket { bucket: name } => {
            bucket(world, &name).map(|_| S3Output::Empty(200))
        }
        S3Operation::GetBucketLocation { bucket: name } => {
            Ok(S3Output::Location(bucket(world, &name)?.region.clone()))
        }
        S3Operation::ListObjects(listing) => list(world, listing),
        S3Operation::PutObject {
            bucket: name,
            key,
            body,
            content_type,
            content_md5,
            condition,
        } => {
            conditional::admit(
                condition.as_ref(),
                bucket(world, &name)?.objects.get(&key),
                &key,
            )?;
            let digest = body.md5();
            check_content_md5(content_md5.as_deref(), &digest)?;
            let etag = hex::encode(digest);
            let body = world.blobs.stage(body);
            let World { buckets, blobs, .. } = world;
            let replaced = buckets
                .get_mut(&name)
                .ok_or_else(|| no_such_bucket(&name))?
                .objects
                .insert(
                    key,
                    Object {
                        body,
                        etag: etag.clone(),
                        modified: now,
                        content_type,
                    },
                );
            if let Some(replaced) = replaced {
                blobs.release(&replaced.body);
            }
            Ok(S3Output::Put { etag })
        }
        S3Operation::GetObject {
            bucket: name,
            key,
            head,
            range,
        } => {
            let object = bucket(world, &name)?.objects.get(&key).ok_or_else(|| {
                ApiError::of(S3Error::NoSuchKey, "The specified key does not exist.")
                    .with("Key", &key)
            })?;
            let size = object.body.len();
            let range = range
                .as_deref()
                .map(|header| range::satisfiable(header, size))
                .transpose()?
                .flatten();
            let body = match (head, range) {
                (true, _) => Ok(Content::default()),
                (false, Some((first, last))) => {
                    world.blobs.read(&object.body, first, last - first + 1)
                }
                (false, None) => world.blobs.read(&object.body, 0, size),
            }
            .map_err(|error| unreadable(&error))?;
            Ok(S3Output::Object {
                body,
                etag: object.etag.clone(),
                modified: object.modified,
                content_type: object.content_type.clone(),
                head,
                size,
                range,
            })
        }
        S3Operation::DeleteObject { bucket: name, key } => {
            bucket(world, &name)?;
            let World { buckets, blobs, .. } = world;
            if let Some(removed) = buckets
                .get_mut(&name)
                .and_then(|found| found.objects.remove(&key))
            {
                blobs.release(&removed.body);
            }
            Ok(S3Output::Empty(204))
        }
        S3Operation::DeleteObjects { bucket: name, keys } => {
            bucket(world, &name)?;
            let World { buckets, blobs, .. } = world;
            if let Some(found) = buckets.get_mut(&name) {
                for key in &keys {
                    if let Some(removed) = found.objects.remove(key) {
                        blobs.release(&removed.body);
                    }
                }
            }
            Ok(S3Output::Deleted(keys))
        }
        S3Operation::CopyObject {
            bucket: name,
            key,
            source_bucket,
            source_key,
        } => {
            let mut object = bucket(world, &source_bucket)?
                .objects
                .get(&source_key)
                .cloned()
                .ok_or_else(|| {
                    ApiError::of(S3Error::NoSuchKey, "The specified key does not exist.")
                        .with("Key", &source_key)
                })?;
            object.modified = now;
            bucket(world, &name)?;
            object.body = world.blobs.copy(&object.body);
            let output = S3Output::Copied {
                etag: object.etag.clone(),
                modified: now,
            };
            let World { buckets, blobs, .. } = world;
            if let Some(replaced) = buckets
                .get_mut(&name)
                .and_then(|target| target.objects.insert(key, object))
            {
                blobs.release(&replaced.body);
            }
            Ok(output)
        }
        S3Operation::PutBucketPolicy {
            bucket: name,
            policy,
        } => {
            policy_verdict.unwrap_or_else(|| policy::check(&policy))?;
            bucket_mut(world, &name)?.policy = Some(policy);
            Ok(S3Output::Empty(204))
        }
        S3Operation::GetBucketPolicy { bucket: name } => bucket(world, &name)?
            .policy
            .clone()
            .map(S3Output::Policy)
            .ok_or_else(|| {
                ApiError::of(
                    S3Error::NoSuchBucketPolicy,
                    "The bucket policy does not exist",
                )
                .with("BucketName", &name)
            }),
        S3Operation::DeleteBucketPolicy { bucket: name } => {
            bucket_mut(world, &name)?.policy = None;
            Ok(S3Output::Empty(204))
        }
        S3Operation::PutBucketTagging { bucket: name, tags } => {
            bucket_mut(world, &name)?.tags = tags;
            Ok(S3Output::Empty(204))
        }
        S3Operation::GetBucketTagging { bucket: name } => {
            let found = bucket(world, &name)?;
            if found.tags.is_empty() {
                return Err(
                    ApiError::of(S3Error::NoSuchTagSet, "The TagSet does not exist")
                        .with("BucketName", &name),
                );
            }
            Ok(S3Output::Tags(found.tags.clone()))
        }
        S3Operation::DeleteBucketTagging { bucket: name } => {
            bucket_mut(world, &name)?.tags.clear();
            Ok(S3Output::Empty(204))
        }
        S3Operation::GetBucketVersioning { bucket: name } => Ok(S3Output::Versioning(
            bucket(world, &name)?.versioning.clone(),
        )),
        S3Operation::PutBucketVersioning {
            bucket: name,
            status,
        } => match status.as_deref() {
            Some("Suspended") => {
                bucket_mut(world, &name)?.versioning = Some("Suspended".to_owned());
                Ok(S3Output::Empty(200))
            }
            Some("Enabled") => {
                bucket(world, &name)?;
                Err(ApiError::of(
                    S3Error::NotImplemented,
                    "The sandbox does not keep object versions, so it cannot enable versioning",
                ))
            }
            _ => Err(ApiError::of(
                S3Error::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            )),
        },
        S3Operation::Multipart(operation) => {
            multipart::run(operation, world, caller).map(S3Output::Multipart)
        }
        S3Operation::Unsupported { operation, .. } => Err(ApiError::of(
            S3Error::NotImplemented,
            format!("The sandbox does not emulate S3 {operation}"),
        )),
    }
}
