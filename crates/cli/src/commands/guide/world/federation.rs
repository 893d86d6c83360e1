//! Identity providers: `iam.oidc_provider` (the issuer URL, the audiences and
//! thumbprints the lab names) and `iam.saml_provider` (its metadata holds the signing
//! certificate of the lab's identity provider). Each is adopted by what tells it from
//! one made again under the same ARN, as `up` journals it: the OIDC provider's creation
//! date, the SAML provider's UUID (or creation date).

use awslab_executor::resources::{self, ResourceRef};
use indexmap::IndexMap;

use super::{Adopted, WorldCx, aws_code};

pub(super) async fn oidc_provider(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::IamOidcProvider,
) -> Result<Adopted, String> {
    let url = cx.render(&spec.url.value)?;
    // IAM names the provider by the URL's host and path, as `up` does.
    let host = url
        .strip_prefix("https://")
        .unwrap_or(&url)
        .trim_end_matches('/')
        .to_owned();
    let arn = format!("arn:aws:iam::{}:oidc-provider/{host}", cx.account);
    let iam = awslab_executor::iam_client(cx.operator);
    let found = match iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
    {
        Ok(found) => found,
        Err(error) if aws_code(&error) == "NoSuchEntity" => {
            return Err(format!(
                "there is no OIDC identity provider for `{url}` yet (its ARN would be `{arn}`)"
            ));
        }
        Err(error) => {
            return Err(format!(
                "cannot read the OIDC provider `{arn}`: {}",
                aws_code(&error)
            ));
        }
    };
    cx.made_during_run(
        &format!("the OIDC provider `{arn}`"),
        found
            .create_date()
            .map(aws_sdk_iam::primitives::DateTime::secs),
    )?;
    let audiences = found.client_id_list();
    for wanted in &spec.client_id_list {
        let wanted = cx.render(&wanted.value)?;
        if !audiences.iter().any(|a| a == &wanted) {
            return Err(format!(
                "the OIDC provider `{host}` does not list the audience (client id) `{wanted}`; it lists {}: add it (aws iam add-client-id-to-open-id-connect-provider), or delete the provider and create it again with `--client-id-list`",
                listed(audiences)
            ));
        }
    }
    let thumbprints = found.thumbprint_list();
    for wanted in &spec.thumbprints {
        let wanted = cx.render(&wanted.value)?;
        if !thumbprints.iter().any(|t| t.eq_ignore_ascii_case(&wanted)) {
            return Err(format!(
                "the OIDC provider `{host}` does not list the thumbprint `{wanted}`; it lists {}: update them (aws iam update-open-id-connect-provider-thumbprint), or delete the provider and create it again with `--thumbprint-list`",
                listed(thumbprints)
            ));
        }
    }
    Ok(Adopted {
        resources: vec![ResourceRef::IamOidcProvider(resources::IamOidcProvider {
            arn: arn.clone(),
            created: found.create_date().map(resources::instant),
        })],
        outputs: IndexMap::from([
            ("arn".to_owned(), arn.clone()),
            ("url".to_owned(), host.clone()),
        ]),
        credentials: None,
        mfa_seed: None,
        note: format!(
            "the OIDC provider `{host}` exists for the audiences {}",
            listed(audiences)
        ),
    })
}

fn listed(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(super) async fn saml_provider(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::IamSamlProvider,
) -> Result<Adopted, String> {
    let name = cx.render(&spec.name.value)?;
    let arn = format!("arn:aws:iam::{}:saml-provider/{name}", cx.account);
    let iam = awslab_executor::iam_client(cx.operator);
    let found = match iam.get_saml_provider().saml_provider_arn(&arn).send().await {
        Ok(found) => found,
        Err(error) if aws_code(&error) == "NoSuchEntity" => {
            return Err(format!(
                "there is no SAML identity provider `{name}` yet (its ARN would be `{arn}`)"
            ));
        }
        Err(error) => {
            return Err(format!(
                "cannot read the SAML provider `{arn}`: {}",
                aws_code(&error)
            ));
        }
    };
    cx.made_during_run(
        &format!("the SAML provider `{name}`"),
        found
            .create_date()
            .map(aws_sdk_iam::primitives::DateTime::secs),
    )?;
    if let Some(wanted) = lab_metadata(cx, spec)? {
        let wanted = certificates(&wanted);
        let held = certificates(found.saml_metadata_document().unwrap_or_default());
        if !wanted.is_empty() && !wanted.iter().any(|c| held.contains(c)) {
            return Err(format!(
                "the SAML provider `{name}` does not hold the signing certificate of the lab's identity provider (its metadata is another provider's); update it with the lab's metadata (aws iam update-saml-provider --saml-provider-arn {arn} --saml-metadata-document file://...)"
            ));
        }
    }
    let instance = resources::saml_instance(found.saml_provider_uuid(), found.create_date());
    Ok(Adopted {
        resources: vec![ResourceRef::IamSamlProvider(resources::IamSamlProvider {
            arn: arn.clone(),
            instance,
        })],
        outputs: IndexMap::from([
            ("name".to_owned(), name.clone()),
            ("arn".to_owned(), arn.clone()),
        ]),
        credentials: None,
        mfa_seed: None,
        note: format!("the SAML provider `{name}` holds the lab's identity provider's metadata"),
    })
}

/// The metadata document the lab registers, when awslab knows it: inline, from a file
/// beside the plan, or the sandbox identity provider's.
fn lab_metadata(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::IamSamlProvider,
) -> Result<Option<String>, String> {
    if let Some(text) = &spec.metadata {
        return cx.render(&text.value).map(Some);
    }
    if let Some(file) = &spec.metadata_file {
        let path = cx.sealed.base_dir().join(cx.render(&file.value)?);
        return Ok(std::fs::read_to_string(path).ok());
    }
    if spec.sandbox_metadata {
        // In-process, the target's issuer; through `serve`, the sandbox folder's.
        if let Some(issuer) = cx.target.saml_issuer() {
            return Ok(issuer.metadata().ok());
        }
        return Ok(cx
            .sandbox_dir
            .and_then(|dir| awslab_sandbox::Sandbox::open(dir).ok())
            .and_then(|sandbox| sandbox.saml_metadata().ok()));
    }
    Ok(None)
}

/// The X.509 certificates (base64, without white space) a metadata document holds.
fn certificates(document: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = document;
    while let Some(start) = rest.find("X509Certificate>") {
        rest = &rest[start + "X509Certificate>".len()..];
        let Some(end) = rest.find('<') else { break };
        let body: String = rest[..end].chars().filter(|c| !c.is_whitespace()).collect();
        if !body.is_empty() {
            out.push(body);
        }
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::certificates;

    #[test]
    fn certificates_are_read_without_white_space_and_prefix() {
        let document = "<md:EntityDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n  MIIB\n  AbC=\n</ds:X509Certificate></ds:X509Data><X509Certificate>XYZ</X509Certificate></md:EntityDescriptor>";
        assert_eq!(certificates(document), vec!["MIIBAbC=", "XYZ"]);
        assert!(certificates("<md:EntityDescriptor/>").is_empty());
    }
}
