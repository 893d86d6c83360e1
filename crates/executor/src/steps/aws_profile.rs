//! `aws.profile`: writes a step's credentials into the AWS CLI's own files as a named
//! profile (with the run's region and, for a custom endpoint, `endpoint_url`). The
//! intent names the files, sections, separators, non-secret values and temporary files
//! before any byte is written, so teardown after a crash at any instant removes
//! exactly what was written.

use awslab_planner::kinds::AwsProfile;

use crate::context::StepCx;
use crate::error::StepError;
use crate::profile_files::{ProfileSpec, prepare_profile};
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { name: String }
}

pub async fn run(spec: &AwsProfile, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let name = cx.render(&spec.name.value)?;
    let source = spec.credentials.value.as_str();
    // The profile is for use after the run: its key must work by then.
    cx.await_identity(source).await?;
    let credentials = cx
        .credentials(source)
        .ok_or_else(|| StepError::Local(format!("step `{source}` has no credentials")))?;
    let region = cx
        .render_opt(spec.region.as_ref())?
        .unwrap_or_else(|| cx.target().region.clone());
    let endpoint = cx.target().profile_endpoint().map(str::to_owned);
    let paths = cx.profile_paths();
    // Both files stay locked from reading them to the last rename; the intent names
    // every byte and temporary file before the first is written.
    let prepared = {
        let (name, region, endpoint) = (name.clone(), region.clone(), endpoint.clone());
        tokio::task::spawn_blocking(move || {
            prepare_profile(
                &paths,
                &ProfileSpec {
                    name: &name,
                    credentials: &credentials,
                    region: &region,
                    endpoint_url: endpoint.as_deref(),
                },
            )
        })
        .await
        .map_err(|e| StepError::Local(e.to_string()))?
        .map_err(|e| StepError::Local(format!("cannot write profile: {e}")))?
    };
    let pending = ResourceRef::AwsProfile(resources::AwsProfile {
        receipt: prepared.receipt().clone(),
    });
    cx.intent(&pending).await?;
    let written = tokio::task::spawn_blocking(move || prepared.commit())
        .await
        .map_err(|e| StepError::Local(e.to_string()))?;
    match written {
        Ok(receipt) => {
            cx.created(&ResourceRef::AwsProfile(resources::AwsProfile { receipt }))
                .await?;
            Ok(Outputs { name })
        }
        // The commit takes out what it wrote when it fails; the intent stays open, and
        // teardown finds whatever is there (or nothing) from the receipt.
        Err(error) => Err(StepError::Local(format!("cannot write profile: {error}"))),
    }
}
