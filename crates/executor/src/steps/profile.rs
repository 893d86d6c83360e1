//! `aws.profile`: writes a step's credentials into the AWS CLI's own files as a named
//! profile (with the run's region and, for a custom endpoint, `endpoint_url`), and
//! journals exactly what was added so teardown removes exactly that.

use awslab_planner::StepId;
use awslab_planner::kinds::AwsProfile;

use super::outputs;
use crate::engine::{Engine, StepResult};
use crate::journal::ResourceRef;
use crate::profile_files::{ProfileReceipt, ProfileSpec, write_profile};

pub async fn write(engine: &Engine, id: &StepId, spec: &AwsProfile) -> StepResult<()> {
    let name = engine.render(&spec.name.value)?;
    let source = spec.credentials.value.as_str();
    let credentials = engine
        .credentials(source)
        .ok_or_else(|| format!("step `{source}` has no credentials"))?;
    let region = engine
        .render_opt(spec.region.as_ref())?
        .unwrap_or_else(|| engine.options.target.region.clone());
    let pending = ResourceRef::AwsProfile {
        receipt: ProfileReceipt {
            profile: name.clone(),
            files: Vec::new(),
        },
    };
    engine.intent(id, &pending).await?;
    let paths = engine.options.profile_paths.clone();
    let endpoint = engine.options.target.endpoint_url.clone();
    let receipt = tokio::task::spawn_blocking(move || {
        let spec = ProfileSpec {
            name: &name,
            credentials: &credentials,
            region: &region,
            endpoint_url: endpoint.as_deref(),
        };
        write_profile(&paths, &spec)
    })
    .await
    .map_err(|e| e.to_string())?;
    match receipt {
        Ok(receipt) => {
            let out = outputs([("name", receipt.profile.clone())]);
            engine
                .created(id, &ResourceRef::AwsProfile { receipt }, out.clone())
                .await?;
            engine.set_outputs(id, out);
            Ok(())
        }
        Err(error) => {
            let message = format!("cannot write profile: {error}");
            engine.create_failed(id, &pending, &message).await?;
            Err(message)
        }
    }
}
