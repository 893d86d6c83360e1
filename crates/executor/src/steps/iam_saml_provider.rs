//! `iam.saml_provider`: `CreateSAMLProvider` with the metadata document (inline, read
//! from a file relative to the plan, or the sandbox identity provider's), tagged with the run. Its ARN is known
//! before the call; after it, the provider's `SAMLProviderUUID` (or, where the service
//! gives none, its creation date) is journaled, which tells it from one made later
//! under the same name.

use awslab_planner::kinds::IamSamlProvider;

use super::iam_tags;
use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { name: String, arn: String }
}

async fn metadata(spec: &IamSamlProvider, cx: &StepCx<'_>) -> Result<String, StepError> {
    match (&spec.metadata, &spec.metadata_file) {
        (Some(text), _) => cx.render(&text.value),
        (None, Some(file)) => {
            let path = cx.base_dir().join(cx.render(&file.value)?);
            tokio::fs::read_to_string(&path).await.map_err(|e| {
                StepError::Local(format!(
                    "cannot read SAML metadata file `{}`: {e}",
                    path.display()
                ))
            })
        }
        (None, None) if spec.sandbox_metadata => {
            let issuer = cx.target().saml_issuer().ok_or_else(|| {
                StepError::Local(
                    "`sandbox_metadata` needs the embedded sandbox (`--target sandbox`), whose SAML identity provider it registers; on another target give your identity provider's metadata as `metadata:` or `metadata_file:`".to_owned(),
                )
            })?;
            issuer.metadata().map_err(|e| {
                StepError::Local(format!("the sandbox cannot give its SAML metadata: {e}"))
            })
        }
        (None, None) => Err("no SAML metadata given".into()),
    }
}

pub async fn run(spec: &IamSamlProvider, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let iam = cx.operator_clients().iam();
    let name = cx.render(&spec.name.value)?;
    let document = metadata(spec, cx).await?;
    let pending = ResourceRef::IamSamlProvider(resources::IamSamlProvider {
        arn: format!("arn:aws:iam::{}:saml-provider/{name}", cx.account()),
        instance: None,
    });
    let request = iam
        .create_saml_provider()
        .name(&name)
        .saml_metadata_document(document)
        .set_tags(Some(iam_tags(cx, &spec.tags)?));
    let answer = cx.create(&pending, request.send()).await?;
    let arn = answer
        .saml_provider_arn()
        .ok_or("CreateSAMLProvider answered without an ARN")?
        .to_owned();
    // Without it (the read failed), teardown knows the provider by its run tag.
    let instance = iam
        .get_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .ok()
        .and_then(|found| {
            resources::saml_instance(found.saml_provider_uuid(), found.create_date())
        });
    cx.created(&ResourceRef::IamSamlProvider(resources::IamSamlProvider {
        arn: arn.clone(),
        instance,
    }))
    .await?;
    Ok(Outputs { name, arn })
}
