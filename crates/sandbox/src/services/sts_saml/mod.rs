//! `sts:AssumeRoleWithSAML`: a role session for the subject of a SAML response that an
//! IAM SAML provider's identity provider signed. The response is checked as AWS checks
//! it: the XML signature with a certificate of the provider's metadata
//! ([`signature`], over the canonical form of [`c14n`]), the issuer, the audience
//! `https://signin.aws.amazon.com/saml`, `NotBefore`/`NotOnOrAfter` on the sandbox's
//! clock, the `Role` attribute's role/provider pair, the `RoleSessionName` attribute;
//! then the role's trust policy decides, for the principal `Federated: PROVIDER-ARN`,
//! with the `saml:*` context keys. [`idp`] is the sandbox's own identity provider.

pub mod c14n;
pub mod idp;
pub mod signature;
pub mod xml;

use awslab_policy::Principal;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::PublicKey;
use rsa::pkcs8::DecodePublicKey;
use sha1::Digest as _;
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

use self::xml::Element;
use crate::auth::Caller;
use crate::services::sts::{keep_session, role_of, start_role_session};
use crate::services::{ApiError, Check, Input, Operation, ResourcePolicy, Shape};
use crate::state::World;

pub const SAML_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const SAML_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML_METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// The audience (and recipient) of a response for AWS.
pub const AWS_AUDIENCE: &str = "https://signin.aws.amazon.com/saml";
pub const ROLE_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
pub const SESSION_NAME_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
const SESSION_DURATION_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";

/// The operation, for the STS operation table.
pub const OPERATION: Operation = Operation {
    name: "AssumeRoleWithSAML",
    mutates: true,
    checks,
    run,
};

/// The SAML attributes AWS offers as `saml:*` condition keys, by attribute name
/// (AWS's "Available keys for SAML-based federation").
const ATTRIBUTE_KEYS: &[(&str, &str)] = &[
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
        "saml:edupersonaffiliation",
    ),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "saml:edupersonnickname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "saml:edupersonorgdn"),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.4",
        "saml:edupersonorgunitdn",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.5",
        "saml:edupersonprimaryaffiliation",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
        "saml:edupersonprincipalname",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.7",
        "saml:edupersonentitlement",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.8",
        "saml:edupersonprimaryorgunitdn",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
        "saml:edupersonscopedaffiliation",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.10",
        "saml:edupersontargetedid",
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.11",
        "saml:edupersonassurance",
    ),
    ("urn:oid:2.5.4.3", "saml:cn"),
    ("urn:oid:2.5.4.4", "saml:surname"),
    ("urn:oid:2.5.4.42", "saml:givenName"),
    ("urn:oid:2.5.4.45", "saml:x500UniqueIdentifier"),
    ("urn:oid:0.9.2342.19200300.100.1.1", "saml:uid"),
    ("urn:oid:0.9.2342.19200300.100.1.3", "saml:mail"),
];

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidIdentityToken", message)
}

/// What a verified response says.
#[derive(Debug, Clone)]
struct Claims {
    provider_arn: String,
    provider_account: String,
    provider_name: String,
    issuer: String,
    subject: String,
    subject_format: String,
    /// The `Recipient` of the bearer confirmation (`saml:aud`, the answer's `Audience`).
    recipient: Option<String>,
    session_name: String,
    /// Every attribute with its values, by name.
    attributes: Vec<(String, Vec<String>)>,
}

impl Claims {
    /// `saml:sub_type`: `persistent`, `transient`, `unspecified` or the format URI.
    fn subject_type(&self) -> String {
        match self.subject_format.as_str() {
            "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" => "persistent".to_owned(),
            "urn:oasis:names:tc:SAML:2.0:nameid-format:transient" => "transient".to_owned(),
            "" | "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" => {
                "unspecified".to_owned()
            }
            other => other.to_owned(),
        }
    }

    /// `saml:namequalifier`: base64(SHA-1(issuer + account id + "/" + provider name)).
    fn name_qualifier(&self) -> String {
        STANDARD.encode(sha1::Sha1::digest(
            format!(
                "{}{}/{}",
                self.issuer, self.provider_account, self.provider_name
            )
            .as_bytes(),
        ))
    }
}

/// `arn:aws:iam::ACCOUNT:saml-provider/NAME` as (account, name).
fn provider_of(arn: &str) -> Result<(String, String), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", "aws", "iam", "", account, resource] => resource
            .strip_prefix("saml-provider/")
            .filter(|name| !name.is_empty())
            .map(|name| ((*account).to_owned(), name.to_owned()))
            .ok_or_else(|| ApiError::validation(format!("{arn} is not a SAML provider ARN"))),
        _ => Err(ApiError::validation(format!("{arn} is invalid"))),
    }
}

/// The RSA keys of the signing certificates in a provider's metadata, and its entity id.
fn metadata_keys(metadata: &str) -> Result<(Vec<PublicKey>, Option<String>), ApiError> {
    let root = xml::parse(metadata).map_err(|e| {
        invalid(format!(
            "The SAML provider's metadata could not be read: {e}"
        ))
    })?;
    let entity = root
        .is(SAML_METADATA, "EntityDescriptor")
        .then(|| root.attribute("entityID").map(str::to_owned))
        .flatten();
    let mut keys = Vec::new();
    for descriptor in root.descendants() {
        if !descriptor.is(SAML_METADATA, "KeyDescriptor")
            || descriptor
                .attribute("use")
                .is_some_and(|usage| usage != "signing")
        {
            continue;
        }
        for found in descriptor.descendants() {
            if !found.is(signature::DSIG, "X509Certificate") {
                continue;
            }
            let compact: String = found
                .text()
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            let key = STANDARD
                .decode(compact)
                .ok()
                .and_then(|der| Certificate::from_der(&der).ok())
                .and_then(|certificate| {
                    certificate
                        .tbs_certificate()
                        .subject_public_key_info()
                        .to_der()
                        .ok()
                })
                .and_then(|spki| PublicKey::from_public_key_der(&spki).ok());
            keys.extend(key);
        }
    }
    if keys.is_empty() {
        return Err(invalid(
            "The SAML provider's metadata has no RSA signing certificate to verify the response with",
        ));
    }
    Ok((keys, entity))
}

/// An `xs:dateTime` as Unix seconds.
fn instant(text: &str) -> Result<i64, ApiError> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .map(time::OffsetDateTime::unix_timestamp)
        .map_err(|_| invalid(format!("The SAML response has an invalid time `{text}`")))
}

/// The assertion the signatures cover: exactly one `Assertion` in the `Response`, and
/// a valid enveloped signature on the response or on that assertion (each signature
/// present must verify). Duplicate `ID`s are refused, so a reference cannot be
/// pointed at a copy (signature wrapping).
fn signed_assertion<'a>(root: &'a Element, keys: &[PublicKey]) -> Result<&'a Element, ApiError> {
    if !root.is(SAML_PROTOCOL, "Response") {
        return Err(invalid(format!(
            "The SAML response's root element is `{}`, not a SAML 2.0 `Response`",
            root.local
        )));
    }
    let mut ids: Vec<&str> = Vec::new();
    for element in root.descendants() {
        for attribute in &element.attributes {
            if attribute.namespace.is_empty() && attribute.local == "ID" {
                if ids.contains(&attribute.value.as_str()) {
                    return Err(invalid(format!(
                        "The SAML response has the ID `{}` twice",
                        attribute.value
                    )));
                }
                ids.push(&attribute.value);
            }
        }
    }
    if root
        .children_named(SAML_ASSERTION, "EncryptedAssertion")
        .next()
        .is_some()
    {
        return Err(invalid(
            "Encrypted SAML assertions are not supported by the sandbox; send the assertion unencrypted",
        ));
    }
    let assertion = root
        .only_child(SAML_ASSERTION, "Assertion")
        .ok_or_else(|| invalid("The SAML response must hold exactly one Assertion"))?;
    let mut covered = false;
    for signed in [root, assertion] {
        let mut signatures = signed.children_named(signature::DSIG, "Signature");
        let Some(found) = signatures.next() else {
            continue;
        };
        if signatures.next().is_some() {
            return Err(invalid(
                "Response signature invalid: an element has two signatures",
            ));
        }
        signature::verify(signed, found, keys)
            .map_err(|why| invalid(format!("Response signature invalid: {}", why.0)))?;
        covered = true;
    }
    if !covered {
        return Err(invalid(
            "Response signature invalid: neither the response nor its assertion is signed",
        ));
    }
    if let Some(status) = root
        .only_child(SAML_PROTOCOL, "Status")
        .and_then(|status| status.only_child(SAML_PROTOCOL, "StatusCode"))
        .and_then(|code| code.attribute("Value"))
        && status != "urn:oasis:names:tc:SAML:2.0:status:Success"
    {
        return Err(ApiError::new(
            403,
            "IDPRejectedClaim",
            format!("The identity provider reported a failed authentication (`{status}`)"),
        ));
    }
    Ok(assertion)
}

fn child_text(parent: &Element, local: &str) -> Option<String> {
    parent
        .only_child(SAML_ASSERTION, local)
        .map(|e| e.text().trim().to_owned())
}

/// Checks the validity window of an element (`NotBefore` / `NotOnOrAfter`).
fn in_time(element: &Element, now: i64, what: &str) -> Result<(), ApiError> {
    if let Some(before) = element.attribute("NotBefore")
        && now < instant(before)?
    {
        return Err(invalid(format!(
            "The SAML response is not valid yet: its {what} has NotBefore {before}"
        )));
    }
    if let Some(after) = element.attribute("NotOnOrAfter")
        && now >= instant(after)?
    {
        return Err(ApiError::new(
            400,
            "ExpiredTokenException",
            format!("The SAML response has expired: its {what} has NotOnOrAfter {after}"),
        ));
    }
    Ok(())
}

/// The subject's `NameID` and the bearer confirmation's `Recipient`, the confirmation
/// checked in time.
fn subject_of(assertion: &Element, now: i64) -> Result<(&Element, Option<String>), ApiError> {
    let subject = assertion
        .only_child(SAML_ASSERTION, "Subject")
        .ok_or_else(|| invalid("The SAML assertion has no Subject"))?;
    let name_id = subject
        .only_child(SAML_ASSERTION, "NameID")
        .ok_or_else(|| invalid("The SAML assertion's Subject has no NameID"))?;
    let mut recipient = None;
    let mut confirmed = false;
    for confirmation in subject.children_named(SAML_ASSERTION, "SubjectConfirmation") {
        if confirmation.attribute("Method") != Some("urn:oasis:names:tc:SAML:2.0:cm:bearer") {
            continue;
        }
        if let Some(data) = confirmation.only_child(SAML_ASSERTION, "SubjectConfirmationData") {
            in_time(data, now, "SubjectConfirmationData")?;
            recipient = data.attribute("Recipient").map(str::to_owned);
        }
        confirmed = true;
    }
    if !confirmed {
        return Err(invalid(
            "The SAML assertion has no bearer SubjectConfirmation",
        ));
    }
    Ok((name_id, recipient))
}

/// Checks the assertion's `Conditions`: in time, and for AWS.
fn check_conditions(assertion: &Element, now: i64) -> Result<(), ApiError> {
    let conditions = assertion.only_child(SAML_ASSERTION, "Conditions");
    if let Some(conditions) = conditions {
        in_time(conditions, now, "Conditions")?;
    }
    let audiences: Vec<String> = conditions
        .into_iter()
        .flat_map(|c| c.children_named(SAML_ASSERTION, "AudienceRestriction"))
        .flat_map(|r| r.children_named(SAML_ASSERTION, "Audience"))
        .map(|a| a.text().trim().to_owned())
        .collect();
    let for_aws = |audience: &str| {
        audience == AWS_AUDIENCE
            || audience == "urn:amazon:webservices"
            || (audience.starts_with("https://")
                && audience.ends_with(".signin.aws.amazon.com/saml"))
    };
    if audiences.iter().any(|a| for_aws(a)) {
        Ok(())
    } else {
        Err(invalid(format!(
            "Response does not contain the required audience: its audiences are {audiences:?}, and AWS needs `{AWS_AUDIENCE}`"
        )))
    }
}

/// Every attribute of the assertion with its values, by name.
fn attributes_of(assertion: &Element) -> Vec<(String, Vec<String>)> {
    assertion
        .children_named(SAML_ASSERTION, "AttributeStatement")
        .flat_map(|s| s.children_named(SAML_ASSERTION, "Attribute"))
        .map(|attribute| {
            (
                attribute.attribute("Name").unwrap_or_default().to_owned(),
                attribute
                    .children_named(SAML_ASSERTION, "AttributeValue")
                    .map(|v| v.text().trim().to_owned())
                    .collect(),
            )
        })
        .collect()
}

fn values<'a>(attributes: &'a [(String, Vec<String>)], name: &str) -> Vec<&'a String> {
    attributes
        .iter()
        .filter(|(kept, _)| kept == name)
        .flat_map(|(_, values)| values)
        .collect()
}

/// The `RoleSessionName` attribute, checked as STS checks it (and `SessionDuration`).
fn session_name_of(attributes: &[(String, Vec<String>)]) -> Result<String, ApiError> {
    let session_name = values(attributes, SESSION_NAME_ATTRIBUTE)
        .first()
        .map(|name| (*name).clone())
        .ok_or_else(|| invalid("RoleSessionName is required in AuthnResponse"))?;
    let valid = session_name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !(2..=64).contains(&session_name.len()) || !valid {
        return Err(invalid(
            "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
        ));
    }
    if let Some(duration) = values(attributes, SESSION_DURATION_ATTRIBUTE).first()
        && !duration
            .parse::<i64>()
            .is_ok_and(|seconds| (900..=43200).contains(&seconds))
    {
        return Err(invalid(
            "SessionDuration in AuthnResponse must be a number of seconds from 900 to 43200",
        ));
    }
    Ok(session_name)
}

/// Whether the `Role` attribute offers `role,provider` (in either order, as AWS takes it).
fn check_role_offered(
    attributes: &[(String, Vec<String>)],
    role_arn: &str,
    provider_arn: &str,
) -> Result<(), ApiError> {
    let paired = values(attributes, ROLE_ATTRIBUTE).iter().any(|pair| {
        let parts: Vec<&str> = pair.split(',').map(str::trim).collect();
        parts == [role_arn, provider_arn] || parts == [provider_arn, role_arn]
    });
    if paired {
        Ok(())
    } else {
        Err(ApiError::access_denied(format!(
            "Not authorized to perform sts:AssumeRoleWithSAML: the assertion's `{ROLE_ATTRIBUTE}` attribute has no pair `{role_arn},{provider_arn}`"
        )))
    }
}

/// Verifies the request's SAML response against its provider and reads its claims.
fn claims(input: &Input, world: &World) -> Result<Claims, ApiError> {
    let role_arn = input.required("RoleArn")?;
    let provider_arn = input.required("PrincipalArn")?.to_owned();
    let encoded = input.required("SAMLAssertion")?;
    if !(4..=100_000).contains(&encoded.len()) {
        return Err(ApiError::validation(
            "1 validation error detected: Value at 'sAMLAssertion' failed to satisfy constraint: Member must have length between 4 and 100000",
        ));
    }
    let (provider_account, provider_name) = provider_of(&provider_arn)?;
    let provider = world
        .account(&provider_account)
        .and_then(|account| account.saml_providers.get(&provider_arn))
        .ok_or_else(|| invalid(format!("Specified provider doesn't exist: {provider_arn}")))?;
    let (keys, entity) = metadata_keys(&provider.metadata)?;
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let text = STANDARD
        .decode(compact)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| invalid("The SAML assertion is not a base64-encoded SAML response"))?;
    let root = xml::parse(&text)
        .map_err(|e| invalid(format!("The SAML response is not a SAML document: {e}")))?;
    let assertion = signed_assertion(&root, &keys)?;
    let issuer = child_text(assertion, "Issuer")
        .ok_or_else(|| invalid("The SAML assertion has no Issuer"))?;
    if let Some(entity) = entity
        && entity != issuer
    {
        return Err(invalid(format!(
            "Issuer not present in specified provider: the assertion's issuer is `{issuer}`, the provider's metadata names `{entity}`"
        )));
    }
    let now = world.now();
    let (name_id, recipient) = subject_of(assertion, now)?;
    check_conditions(assertion, now)?;
    let attributes = attributes_of(assertion);
    let session_name = session_name_of(&attributes)?;
    check_role_offered(&attributes, role_arn, &provider_arn)?;
    Ok(Claims {
        provider_arn,
        provider_account,
        provider_name,
        issuer,
        subject: name_id.text().trim().to_owned(),
        subject_format: name_id.attribute("Format").unwrap_or_default().to_owned(),
        recipient,
        session_name,
        attributes,
    })
}

fn checks(input: &Input, world: &World, _: &Caller) -> Result<Vec<Check>, ApiError> {
    let arn = input.required("RoleArn")?;
    let claims = claims(input, world)?;
    let (account, role) = role_of(arn)?;
    let mut check = Check::new("sts:AssumeRoleWithSAML", arn)
        .key("saml:iss", claims.issuer.as_str())
        .key("saml:sub", claims.subject.as_str())
        .key("saml:sub_type", claims.subject_type())
        .key("saml:namequalifier", claims.name_qualifier())
        .key(
            "saml:doc",
            format!("{}/{}", claims.provider_account, claims.provider_name),
        );
    if let Some(recipient) = &claims.recipient {
        check = check.key("saml:aud", recipient.as_str());
    }
    for (name, values) in &claims.attributes {
        if let Some((_, key)) = ATTRIBUTE_KEYS.iter().find(|(oid, _)| oid == name) {
            for value in values {
                check = check.key(key, value.as_str());
            }
        }
    }
    check.resource_account = Some(account.clone());
    check.resource_policy = ResourcePolicy::Trust { account, role };
    check.acting_as = Some(Principal::web_identity(&claims.provider_arn));
    Ok(vec![check])
}

/// The inputs `start_role_session` reads, with the session name the assertion gives.
fn session_input(input: &Input, session_name: &str) -> Input {
    let mut session = Input::default();
    for name in ["RoleArn", "DurationSeconds", "Policy", "PolicyArns"] {
        if let Some(field) = input.fields().get(name) {
            session = session.field(name, field.clone());
        }
    }
    session.text("RoleSessionName", session_name)
}

fn run(input: &Input, world: &mut World, _: &Caller) -> Result<Shape, ApiError> {
    let arn = input.required("RoleArn")?;
    let claims = claims(input, world)?;
    let session_input = session_input(input, &claims.session_name);
    let (session, shape) = start_role_session(
        &session_input,
        world,
        arn,
        false,
        &claims.provider_arn,
        None,
    )?;
    let shape = shape
        .text("Subject", &claims.subject)
        .text("SubjectType", claims.subject_type())
        .text("Issuer", &claims.issuer)
        .maybe("Audience", claims.recipient.as_ref())
        .text("NameQualifier", claims.name_qualifier());
    keep_session(world, session);
    Ok(shape)
}

#[cfg(test)]
mod tests;
