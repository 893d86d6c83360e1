//! The sandbox's SAML identity provider as `awslab sandbox saml` uses it: its metadata
//! document (for `CreateSAMLProvider`) and signed SAML responses for a subject. The key
//! is made the first time one is needed, outside the world's lock (RSA key generation
//! takes a moment), and kept in the world; it is never shown.

use crate::error::SandboxError;
use crate::sandbox::Sandbox;
use crate::services::sts_saml::{AWS_AUDIENCE, idp};
use crate::state::world::SamlSigner;

/// What a minted SAML response asserts.
#[derive(Debug, Clone, Default)]
pub struct SamlRequest {
    /// The subject's `NameID` (persistent).
    pub subject: String,
    /// The role the `Role` attribute offers, and the IAM SAML provider it pairs with.
    pub role_arn: String,
    pub provider_arn: String,
    /// The `RoleSessionName` attribute; the subject when `None`.
    pub session_name: Option<String>,
    /// The audience; `https://signin.aws.amazon.com/saml` when `None`.
    pub audience: Option<String>,
    /// How long the response is valid, in seconds.
    pub lifetime_seconds: i64,
}

impl Sandbox {
    /// The entity id (the `Issuer`) of the sandbox's SAML identity provider.
    pub fn saml_entity_id() -> &'static str {
        idp::ENTITY_ID
    }

    /// The metadata document of the sandbox's SAML identity provider.
    pub fn saml_metadata(&self) -> Result<String, SandboxError> {
        Ok(idp::metadata(&self.saml_signer()?))
    }

    /// A signed SAML response (base64, as `AssumeRoleWithSAML` takes it) from the
    /// sandbox's identity provider, issued now on the sandbox's clock.
    pub fn mint_saml(&self, request: &SamlRequest) -> Result<String, SandboxError> {
        let signer = self.saml_signer()?;
        let now = self.read(crate::state::World::now)?;
        idp::mint(
            &signer,
            &idp::Assertion {
                subject: request.subject.clone(),
                roles: vec![(request.role_arn.clone(), request.provider_arn.clone())],
                session_name: request.session_name.clone(),
                audience: request
                    .audience
                    .clone()
                    .unwrap_or_else(|| AWS_AUDIENCE.to_owned()),
                now,
                lifetime_seconds: request.lifetime_seconds,
                session_duration: None,
            },
        )
        .map_err(|why| SandboxError::Saml(format!("cannot sign a response: {why}")))
    }

    /// The identity provider's key and certificate, made (and kept) if the world has none.
    fn saml_signer(&self) -> Result<SamlSigner, SandboxError> {
        if let Some(signer) = self.read(|world| world.saml_signer.clone())? {
            return Ok(signer);
        }
        let made = idp::generate()
            .map_err(|why| SandboxError::Saml(format!("cannot make its key: {why}")))?;
        // Another process may have made one meanwhile: the first kept wins.
        self.write(|world| world.saml_signer.get_or_insert(made).clone())
    }
}
