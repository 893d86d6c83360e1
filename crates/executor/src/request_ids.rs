//! The request ids of the calls a step makes, so that a report can name the exact
//! request (`awslab sandbox explain REQUEST-ID` takes it; AWS support asks for it).
//!
//! Every client the executor builds carries [`RecordRequestIds`], an SDK interceptor
//! that reads each answer's `x-amzn-RequestId` (query and JSON protocols) or
//! `x-amz-request-id` (S3) header. It records into the collector of the task it runs
//! in, which the engine sets around each step with [`collecting`]; outside one (the
//! operator's own calls, teardown) nothing is recorded. A step keeps the
//! [`MAX_KEPT`] latest ids: the last is the answer a verdict was made on, and a step
//! that polls for minutes does not grow without bound.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The most request ids a step keeps (the latest).
pub const MAX_KEPT: usize = 16;

/// The longest request id kept (AWS's are 36 to 52 characters).
const MAX_ID_BYTES: usize = 128;

tokio::task_local! {
    static CALLS: Arc<Mutex<Vec<String>>>;
}

/// Runs `future`, collecting the request ids of the calls it makes; returns its output
/// and the ids, oldest first.
pub async fn collecting<F: Future>(future: F) -> (F::Output, Vec<String>) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let output = CALLS.scope(Arc::clone(&calls), future).await;
    let ids = std::mem::take(&mut *calls.lock().unwrap_or_else(PoisonError::into_inner));
    (output, ids)
}

pub(crate) fn record(id: &str) {
    if id.is_empty() || id.len() > MAX_ID_BYTES {
        return;
    }
    let _ = CALLS.try_with(|calls| {
        let mut calls = calls.lock().unwrap_or_else(PoisonError::into_inner);
        if calls.len() >= MAX_KEPT {
            calls.remove(0);
        }
        calls.push(id.to_owned());
    });
}

/// Records the request id of every answer (see the module).
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordRequestIds;

impl Intercept for RecordRequestIds {
    fn name(&self) -> &'static str {
        "RecordRequestIds"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.response().headers();
        if let Some(id) = headers
            .get("x-amzn-requestid")
            .or_else(|| headers.get("x-amz-request-id"))
        {
            record(id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_KEPT, collecting, record};

    #[tokio::test]
    async fn keeps_the_latest_ids_of_its_own_task_only() {
        let ((), ids) = collecting(async {
            for i in 0..40 {
                record(&format!("id-{i}"));
            }
            record("");
            record(&"x".repeat(500));
        })
        .await;
        assert_eq!(ids.len(), MAX_KEPT);
        assert_eq!(ids.last().map(String::as_str), Some("id-39"));
        assert_eq!(ids.first().map(String::as_str), Some("id-24"));
        // Outside a collector nothing is kept (and nothing fails).
        record("lost");
        let ((), none) = collecting(async {}).await;
        assert!(none.is_empty());
    }
}
