//! The SAML checks, one refusal at a time, on responses the sandbox's identity
//! provider mints (and then changes the way an attacker or a misconfiguration would).

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::idp::{self, Assertion};
use super::{AWS_AUDIENCE, checks, claims};
use crate::auth::Caller;
use crate::services::seed::seed_world;
use crate::services::{ApiError, Input};
use crate::state::World;
use crate::state::world::{SamlProvider, SamlSigner};

const ACCOUNT: &str = "111122223333";
const ROLE: &str = "arn:aws:iam::111122223333:role/SamlLab";
const PROVIDER: &str = "arn:aws:iam::111122223333:saml-provider/Sandbox";

/// One key per test process: generating RSA keys is the slow part.
fn signer() -> &'static SamlSigner {
    static SIGNER: OnceLock<SamlSigner> = OnceLock::new();
    SIGNER.get_or_init(|| idp::generate().unwrap_or_default())
}

fn other_signer() -> &'static SamlSigner {
    static SIGNER: OnceLock<SamlSigner> = OnceLock::new();
    SIGNER.get_or_init(|| idp::generate().unwrap_or_default())
}

fn world() -> World {
    let mut world = seed_world();
    if let Some(account) = world.accounts.get_mut(ACCOUNT) {
        account.saml_providers.insert(
            PROVIDER.to_owned(),
            SamlProvider {
                arn: PROVIDER.to_owned(),
                name: "Sandbox".to_owned(),
                metadata: idp::metadata(signer()),
                ..SamlProvider::default()
            },
        );
    }
    world
}

fn assertion(world: &World) -> Assertion {
    Assertion {
        subject: "student".to_owned(),
        roles: vec![(ROLE.to_owned(), PROVIDER.to_owned())],
        session_name: None,
        audience: AWS_AUDIENCE.to_owned(),
        now: world.now(),
        lifetime_seconds: 300,
        session_duration: Some(3600),
    }
}

fn input(role: &str, provider: &str, response: &str) -> Input {
    Input::default()
        .text("RoleArn", role)
        .text("PrincipalArn", provider)
        .text("SAMLAssertion", response)
}

fn minted(_world: &World, signer: &SamlSigner, assertion: &Assertion) -> String {
    idp::mint(signer, assertion).unwrap_or_default()
}

/// The response's XML changed by `change`, re-encoded.
fn altered(response: &str, change: impl Fn(String) -> String) -> String {
    let text = String::from_utf8(STANDARD.decode(response).unwrap_or_default()).unwrap_or_default();
    STANDARD.encode(change(text))
}

fn refusal(world: &World, input: &Input) -> (String, String) {
    match claims(input, world) {
        Ok(_) => ("accepted".to_owned(), String::new()),
        Err(ApiError { code, message, .. }) => (code, message),
    }
}

#[test]
fn accepts_a_response_of_the_sandbox_identity_provider() {
    let world = world();
    let response = minted(&world, signer(), &assertion(&world));
    let checks = checks(
        &input(ROLE, PROVIDER, &response),
        &world,
        &Caller::anonymous(),
    )
    .map_err(|e| e.message);
    let Ok(checks) = checks else {
        panic!("refused: {checks:?}");
    };
    let keys: Vec<(String, String)> = checks[0]
        .context
        .iter()
        .map(|(key, value)| (key.clone(), format!("{value:?}")))
        .collect();
    let has = |key: &str, part: &str| keys.iter().any(|(k, v)| k == key && v.contains(part));
    assert_eq!(checks[0].action, "sts:AssumeRoleWithSAML");
    assert!(has("saml:aud", AWS_AUDIENCE), "{keys:?}");
    assert!(has("saml:sub", "student"), "{keys:?}");
    assert!(has("saml:sub_type", "persistent"), "{keys:?}");
    assert!(has("saml:iss", idp::ENTITY_ID), "{keys:?}");
    assert!(has("saml:doc", "111122223333/Sandbox"), "{keys:?}");
    assert!(
        keys.iter().any(|(k, _)| k == "saml:namequalifier"),
        "{keys:?}"
    );
    assert_eq!(
        checks[0].acting_as.as_ref().map(|p| p.arn.clone()),
        Some(PROVIDER.to_owned())
    );
}

#[test]
fn the_signing_key_is_in_no_metadata_response_or_debug_output() {
    let world = world();
    let key = &signer().key;
    assert!(key.len() > 1000);
    let response = minted(&world, signer(), &assertion(&world));
    let decoded = String::from_utf8(STANDARD.decode(&response).unwrap_or_default());
    for (what, text) in [
        ("the metadata", idp::metadata(signer())),
        ("a response", decoded.unwrap_or_default()),
        ("Debug", format!("{:?}", signer())),
    ] {
        assert!(!text.contains(key.as_str()), "the key reached {what}");
        // Its last bytes are a CRT coefficient: private, in no certificate.
        assert!(
            !text.contains(&key[key.len() - 64..]),
            "the key reached {what}"
        );
    }
    assert!(idp::metadata(signer()).contains(&signer().certificate));
}

#[test]
fn refuses_a_tampered_response() {
    let world = world();
    let response = minted(&world, signer(), &assertion(&world));
    let tampered = altered(&response, |text| text.replace(">student<", ">admin<"));
    let (code, message) = refusal(&world, &input(ROLE, PROVIDER, &tampered));
    assert_eq!(code, "InvalidIdentityToken");
    assert!(message.contains("Response signature invalid"), "{message}");
    assert!(message.contains("digest"), "{message}");
}

#[test]
fn refuses_a_response_signed_by_another_key() {
    let world = world();
    let response = minted(&world, other_signer(), &assertion(&world));
    let (code, message) = refusal(&world, &input(ROLE, PROVIDER, &response));
    assert_eq!(code, "InvalidIdentityToken");
    assert!(message.contains("does not verify"), "{message}");
}

#[test]
fn refuses_a_response_whose_signature_value_was_changed() {
    let world = world();
    let response = minted(&world, signer(), &assertion(&world));
    let changed = altered(&response, |text| {
        text.replacen("<ds:SignatureValue>", "<ds:SignatureValue>AAAA", 1)
    });
    let (code, _) = refusal(&world, &input(ROLE, PROVIDER, &changed));
    assert_eq!(code, "InvalidIdentityToken");
}

#[test]
fn refuses_an_expired_response_on_the_sandbox_clock() {
    let mut world = world();
    let response = minted(&world, signer(), &assertion(&world));
    world.clock_offset_seconds += 301;
    let (code, message) = refusal(&world, &input(ROLE, PROVIDER, &response));
    assert_eq!(code, "ExpiredTokenException");
    assert!(message.contains("NotOnOrAfter"), "{message}");
}

#[test]
fn refuses_a_response_for_another_audience() {
    let world = world();
    let mut wrong = assertion(&world);
    wrong.audience = "https://elsewhere.example.com/saml".to_owned();
    let response = minted(&world, signer(), &wrong);
    let (code, message) = refusal(&world, &input(ROLE, PROVIDER, &response));
    assert_eq!(code, "InvalidIdentityToken");
    assert!(message.contains("required audience"), "{message}");
}

#[test]
fn refuses_a_role_the_assertion_does_not_offer() {
    let world = world();
    let response = minted(&world, signer(), &assertion(&world));
    let other = "arn:aws:iam::111122223333:role/Admin";
    let (code, message) = refusal(&world, &input(other, PROVIDER, &response));
    assert_eq!(code, "AccessDenied");
    assert!(message.contains("Not authorized to perform sts:AssumeRoleWithSAML"));
}

#[test]
fn refuses_an_unknown_provider() {
    let world = world();
    let unknown = "arn:aws:iam::111122223333:saml-provider/Nobody";
    let mut offered = assertion(&world);
    offered.roles = vec![(ROLE.to_owned(), unknown.to_owned())];
    let response = minted(&world, signer(), &offered);
    let (code, message) = refusal(&world, &input(ROLE, unknown, &response));
    assert_eq!(code, "InvalidIdentityToken");
    assert!(message.contains("provider doesn't exist"), "{message}");
}

#[test]
fn refuses_a_wrapped_assertion() {
    let world = world();
    let response = minted(&world, signer(), &assertion(&world));
    // The signed assertion moved aside, an unsigned forged one in its place.
    let wrapped = altered(&response, |text| {
        let start = text.find("<saml:Assertion").unwrap_or_default();
        let end = text.find("</samlp:Response>").unwrap_or_default();
        let signed = &text[start..end];
        let forged = signed
            .replace(">student<", ">admin<")
            .replace("ID=\"_", "ID=\"_forged");
        format!(
            "{}<samlp:Extensions>{signed}</samlp:Extensions>{}</samlp:Response>",
            &text[..start],
            forged.replace(
                &signed[signed.find("<ds:Signature").unwrap_or_default()
                    ..signed.find("</ds:Signature>").unwrap_or_default() + 15],
                ""
            )
        )
    });
    let (code, message) = refusal(&world, &input(ROLE, PROVIDER, &wrapped));
    assert_eq!(code, "InvalidIdentityToken", "{message}");
    // A copy under the same ID is refused too.
    let copied = altered(&response, |text| {
        let start = text.find("<saml:Assertion").unwrap_or_default();
        let end = text.find("</samlp:Response>").unwrap_or_default();
        let signed = text[start..end].to_owned();
        format!(
            "{}<samlp:Extensions>{signed}</samlp:Extensions>{signed}</samlp:Response>",
            &text[..start]
        )
    });
    let (code, message) = refusal(&world, &input(ROLE, PROVIDER, &copied));
    assert_eq!(code, "InvalidIdentityToken");
    assert!(message.contains("twice"), "{message}");
}

#[test]
fn refuses_what_is_not_a_saml_response() {
    let world = world();
    for (response, part) in [
        ("not base64!", "base64"),
        (&*STANDARD.encode("<a/>"), "not a SAML 2.0"),
        (&*STANDARD.encode("<!DOCTYPE x><x/>"), "document type"),
    ] {
        let (code, message) = refusal(&world, &input(ROLE, PROVIDER, response));
        assert_eq!(code, "InvalidIdentityToken", "{message}");
        assert!(message.contains(part), "{message}");
    }
}

#[test]
fn refuses_a_missing_or_invalid_session_name() {
    let world = world();
    let mut bad = assertion(&world);
    bad.session_name = Some("no spaces allowed".to_owned());
    let response = minted(&world, signer(), &bad);
    let (code, message) = refusal(&world, &input(ROLE, PROVIDER, &response));
    assert_eq!(code, "InvalidIdentityToken");
    assert!(
        message.contains("RoleSessionName in AuthnResponse"),
        "{message}"
    );
}

/// A response signed by another implementation (Python's signxml over lxml, exclusive
/// canonicalization, RSA-SHA256; `fixtures/`): pretty-printed, the signature last in
/// the assertion, namespaces declared twice and one never used, the role pair in the
/// other order, a transient subject with escaped characters.
mod interop {
    use super::*;
    use crate::services::sts_saml::c14n::canonicalize;
    use crate::services::sts_saml::signature::DSIG;
    use crate::services::sts_saml::xml::parse;

    const RESPONSE: &str = include_str!("fixtures/interop-response.xml");
    const METADATA: &str = include_str!("fixtures/interop-metadata.xml");
    /// lxml's exclusive canonical form of the assertion without its signature.
    const ASSERTION_C14N: &str = include_str!("fixtures/interop-assertion.c14n");
    const INTEROP: &str = "arn:aws:iam::111122223333:saml-provider/Interop";
    /// 2030-01-01T00:01:00Z, inside the response's validity.
    const AT: i64 = 1_893_456_060;

    fn world_at(at: i64) -> World {
        let mut world = seed_world();
        world.clock_offset_seconds = at - time::OffsetDateTime::now_utc().unix_timestamp();
        if let Some(account) = world.accounts.get_mut(ACCOUNT) {
            account.saml_providers.insert(
                INTEROP.to_owned(),
                SamlProvider {
                    arn: INTEROP.to_owned(),
                    name: "Interop".to_owned(),
                    metadata: METADATA.to_owned(),
                    ..SamlProvider::default()
                },
            );
        }
        world
    }

    #[test]
    fn canonicalizes_as_lxml_does() {
        let root = parse(RESPONSE).map_err(|e| e.0);
        let Ok(root) = root else {
            panic!("{root:?}");
        };
        let assertion = root.elements().find(|e| e.local == "Assertion");
        let Some(assertion) = assertion else {
            panic!("no assertion");
        };
        let signature = assertion.children_named(DSIG, "Signature").next();
        assert_eq!(canonicalize(assertion, signature, &[]), ASSERTION_C14N);
    }

    #[test]
    fn accepts_a_response_signed_elsewhere() {
        let world = world_at(AT);
        let response = STANDARD.encode(RESPONSE);
        let found = claims(&input(ROLE, INTEROP, &response), &world).map_err(|e| e.message);
        let Ok(found) = found else {
            panic!("refused: {found:?}");
        };
        assert_eq!(found.subject, "jane & co <x>");
        assert_eq!(found.subject_type(), "transient");
        assert_eq!(found.session_name, "jane");
        assert_eq!(found.issuer, "https://idp.interop.example");
        let checks = checks(
            &input(ROLE, INTEROP, &response),
            &world,
            &Caller::anonymous(),
        )
        .map_err(|e| e.message);
        let principal_name = checks.is_ok_and(|checks| {
            checks[0].context.iter().any(|(key, value)| {
                key == "saml:edupersonprincipalname"
                    && format!("{value:?}").contains("jane@interop.example")
            })
        });
        assert!(principal_name);
    }

    #[test]
    fn refuses_it_changed_or_out_of_time() {
        let world = world_at(AT);
        let changed = STANDARD.encode(RESPONSE.replace("jane@interop", "root@interop"));
        let (code, message) = refusal(&world, &input(ROLE, INTEROP, &changed));
        assert_eq!(code, "InvalidIdentityToken");
        assert!(message.contains("digest"), "{message}");
        let late = world_at(AT + 300);
        let (code, _) = refusal(&late, &input(ROLE, INTEROP, &STANDARD.encode(RESPONSE)));
        assert_eq!(code, "ExpiredTokenException");
        let early = world_at(AT - 120);
        let (code, message) = refusal(&early, &input(ROLE, INTEROP, &STANDARD.encode(RESPONSE)));
        assert_eq!(code, "InvalidIdentityToken");
        assert!(message.contains("not valid yet"), "{message}");
    }
}
