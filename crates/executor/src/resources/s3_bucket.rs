//! `s3 bucket`: buckets have no immutable id, so a bucket is ours while it carries
//! this run's tag. A bucket that still holds objects the run did not put is never
//! emptied: its deletion fails with a message saying so.

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, by_tag};
use crate::classify::{ErrorClass, describe};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Bucket {
    pub name: String,
}

impl S3Bucket {
    pub fn label(&self) -> String {
        format!("s3 bucket {}", self.name)
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        match cx.s3.get_bucket_tagging().bucket(&self.name).send().await {
            Ok(answer) => by_tag(
                cx,
                &answer
                    .tag_set()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect::<Vec<_>>(),
            ),
            Err(error) => {
                let (info, message) = describe("GetBucketTagging", &error);
                if info.code.as_deref() == Some("NoSuchTagSet") {
                    Ownership::NotOurs(
                        "it exists but carries no tags, so not this run's tag".to_owned(),
                    )
                } else if info.class() == ErrorClass::NotFound {
                    Ownership::Gone
                } else {
                    Ownership::Unknown(format!("cannot check whose it is: {message}"))
                }
            }
        }
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        match cx.s3.delete_bucket().bucket(&self.name).send().await {
            Ok(_) => Ok(Removal::Deleted),
            Err(error) => {
                let (info, message) = describe("DeleteBucket", &error);
                match info.class() {
                    ErrorClass::NotFound => Ok(Removal::AlreadyGone),
                    _ if info.code.as_deref() == Some("BucketNotEmpty") => Err(format!(
                        "{message} (objects the run did not put are never deleted: empty the bucket, then run `awslab down` again)"
                    )),
                    _ => Err(message),
                }
            }
        }
    }
}
