//! `s3 object`: an object the run put; ours while its `ETag` is the one `PutObject`
//! answered (an object overwritten since is left).

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, delete_call, through_parent, unknown};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
    /// `None` in an intent (and in journals written before awslab kept it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

impl S3Object {
    pub fn label(&self) -> String {
        format!("s3 object s3://{}/{}", self.bucket, self.key)
    }

    pub fn fulfils(&self, intent: &Self) -> bool {
        self.bucket == intent.bucket
            && self.key == intent.key
            && (intent.etag.is_none() || self.etag == intent.etag)
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        let head = match cx
            .s3
            .head_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .send()
            .await
        {
            Ok(head) => head,
            Err(error) => return unknown("HeadObject", &error),
        };
        if let (Some(ours), Some(found)) = (&self.etag, head.e_tag())
            && ours != found
        {
            return Ownership::NotOurs(format!(
                "it was overwritten since this run put it (ETag {found}, not {ours})"
            ));
        }
        through_parent(
            cx.created_bucket(&self.bucket)
                .map(|bucket| move || bucket.ownership(cx)),
        )
        .await
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        delete_call(
            "DeleteObject",
            cx.s3
                .delete_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .send(),
        )
        .await
    }
}
