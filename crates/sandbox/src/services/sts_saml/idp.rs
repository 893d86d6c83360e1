//! The sandbox's own SAML identity provider (entity `https://saml.awslab.localhost`):
//! an RSA key and a self-signed certificate kept in the world (the key is a secret,
//! like the OIDC issuer's), the metadata document a plan registers with
//! `CreateSAMLProvider`, and signed SAML responses for a named subject
//! (`awslab sandbox saml`), as an identity provider posts them to `https://signin.aws.amazon.com/saml`.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use quick_xml::escape::escape;
use rsa::PrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use x509_cert::builder::{Builder, CertificateBuilder, profile};
use x509_cert::der::Encode;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

use super::c14n::canonicalize;
use super::xml;
use super::{AWS_AUDIENCE, ROLE_ATTRIBUTE, SAML_ASSERTION, SAML_PROTOCOL, SESSION_NAME_ATTRIBUTE};
use crate::ids;
use crate::services::timestamp;
use crate::state::world::SamlSigner;

/// The entity id of the sandbox's identity provider (the `Issuer` of its responses).
pub const ENTITY_ID: &str = "https://saml.awslab.localhost";

/// A new key and self-signed certificate (valid ten years from now).
pub fn generate() -> Result<SamlSigner, String> {
    let key = PrivateKey::new(&mut getrandom::SysRng, 2048).map_err(|e| e.to_string())?;
    let public = key
        .to_public_key()
        .to_public_key_der()
        .map_err(|e| e.to_string())?;
    let spki = SubjectPublicKeyInfoOwned::try_from(public.as_bytes()).map_err(|e| e.to_string())?;
    let subject: Name = "CN=awslab sandbox SAML identity provider,O=awslab,C=US"
        .parse()
        .map_err(|e: x509_cert::der::Error| e.to_string())?;
    let profile = profile::cabf::Root::new(false, subject).map_err(|e| e.to_string())?;
    let serial = SerialNumber::new(&rand::random::<[u8; 16]>()[..])
        .or_else(|_| SerialNumber::new(&[1]))
        .map_err(|e| e.to_string())?;
    let validity =
        Validity::from_now(Duration::from_hours(10 * 365 * 24)).map_err(|e| e.to_string())?;
    let signer = SigningKey::<sha2::Sha256>::new(key.clone());
    let certificate = CertificateBuilder::new(profile, serial, validity, spki)
        .map_err(|e| e.to_string())?
        .build::<_, rsa::pkcs1v15::Signature>(&signer)
        .map_err(|e| e.to_string())?
        .to_der()
        .map_err(|e| e.to_string())?;
    let key = key.to_pkcs8_der().map_err(|e| e.to_string())?;
    Ok(SamlSigner {
        key: STANDARD.encode(key.as_bytes()),
        certificate: STANDARD.encode(certificate),
    })
}

/// The metadata document of the sandbox's identity provider.
pub fn metadata(signer: &SamlSigner) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{ENTITY_ID}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>{}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{ENTITY_ID}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"#,
        signer.certificate
    )
}

/// What a minted response asserts.
#[derive(Debug, Clone)]
pub struct Assertion {
    /// The `NameID` (a persistent name id).
    pub subject: String,
    /// `(role ARN, provider ARN)` pairs of the `Role` attribute.
    pub roles: Vec<(String, String)>,
    /// The `RoleSessionName` attribute; the subject when `None`.
    pub session_name: Option<String>,
    /// The audience; `https://signin.aws.amazon.com/saml` for AWS.
    pub audience: String,
    /// Issued at (sandbox clock, Unix seconds) and valid for this long.
    pub now: i64,
    pub lifetime_seconds: i64,
    /// The `SessionDuration` attribute, if any.
    pub session_duration: Option<i64>,
}

fn attribute(name: &str, values: &[String]) -> String {
    let mut out = format!("<saml:Attribute Name=\"{name}\">");
    for value in values {
        out.push_str("<saml:AttributeValue>");
        out.push_str(&escape(value));
        out.push_str("</saml:AttributeValue>");
    }
    out.push_str("</saml:Attribute>");
    out
}

/// A signed SAML response (its `Assertion` signed), base64 as it is posted.
pub fn mint(signer: &SamlSigner, assertion: &Assertion) -> Result<String, String> {
    let key_der = STANDARD
        .decode(&signer.key)
        .map_err(|_| "the identity provider's key is damaged".to_owned())?;
    let key = PrivateKey::from_pkcs8_der(&key_der).map_err(|e| e.to_string())?;
    let certificate = STANDARD
        .decode(&signer.certificate)
        .map_err(|_| "the identity provider's certificate is damaged".to_owned())?;
    let issued = timestamp(assertion.now);
    let expires = timestamp(assertion.now.saturating_add(assertion.lifetime_seconds));
    let response_id = format!("_{}", ids::secret());
    let assertion_id = format!("_{}", ids::secret());
    let subject = escape(&assertion.subject);
    let session = assertion
        .session_name
        .clone()
        .unwrap_or_else(|| assertion.subject.clone());
    let mut attributes = attribute(
        ROLE_ATTRIBUTE,
        &assertion
            .roles
            .iter()
            .map(|(role, provider)| format!("{role},{provider}"))
            .collect::<Vec<_>>(),
    );
    attributes.push_str(&attribute(SESSION_NAME_ATTRIBUTE, &[session]));
    if let Some(seconds) = assertion.session_duration {
        attributes.push_str(&attribute(
            "https://aws.amazon.com/SAML/Attributes/SessionDuration",
            &[seconds.to_string()],
        ));
    }
    let audience = escape(&assertion.audience);
    let open = format!(
        "<saml:Assertion xmlns:saml=\"{SAML_ASSERTION}\" ID=\"{assertion_id}\" IssueInstant=\"{issued}\" Version=\"2.0\"><saml:Issuer>{ENTITY_ID}</saml:Issuer>"
    );
    let rest = format!(
        "<saml:Subject><saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\">{subject}</saml:NameID><saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\"><saml:SubjectConfirmationData NotOnOrAfter=\"{expires}\" Recipient=\"{AWS_AUDIENCE}\"></saml:SubjectConfirmationData></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore=\"{issued}\" NotOnOrAfter=\"{expires}\"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant=\"{issued}\" SessionIndex=\"{assertion_id}\"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{attributes}</saml:AttributeStatement></saml:Assertion>"
    );
    let unsigned = xml::parse(&format!("{open}{rest}")).map_err(|e| e.0)?;
    let signature = super::signature::sign(
        &key,
        &certificate,
        &assertion_id,
        &canonicalize(&unsigned, None, &[]),
    )?;
    let response = format!(
        "<samlp:Response xmlns:samlp=\"{SAML_PROTOCOL}\" Destination=\"{AWS_AUDIENCE}\" ID=\"{response_id}\" IssueInstant=\"{issued}\" Version=\"2.0\"><saml:Issuer xmlns:saml=\"{SAML_ASSERTION}\">{ENTITY_ID}</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"></samlp:StatusCode></samlp:Status>{open}{signature}{rest}</samlp:Response>"
    );
    Ok(STANDARD.encode(response))
}
