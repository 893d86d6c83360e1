//! XML signatures (XML-DSig) as SAML uses them: one enveloped signature on the element
//! it signs, referenced by that element's `ID`, exclusive canonicalization, RSA with
//! SHA-256 (or SHA-1), verified with an RSA key from the provider's metadata. Anything
//! else (another transform, a second reference, a reference to another element) is
//! refused rather than half checked, so what was verified is exactly the element whose
//! claims are read.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::{PrivateKey, PublicKey};
use sha2::Digest as _;

use super::c14n::canonicalize;
use super::xml::Element;

pub const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// Why a signature was refused (the message names what was wrong).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

fn refuse(why: impl Into<String>) -> Refused {
    Refused(why.into())
}

fn only<'a>(parent: &'a Element, local: &str) -> Result<&'a Element, Refused> {
    parent
        .only_child(DSIG, local)
        .ok_or_else(|| refuse(format!("the signature needs exactly one `{local}`")))
}

fn algorithm(element: &Element) -> &str {
    element.attribute("Algorithm").unwrap_or_default()
}

/// The `InclusiveNamespaces` prefix list of a canonicalization method or transform.
fn prefix_list(method: &Element) -> Vec<String> {
    method
        .children_named(EXC_C14N, "InclusiveNamespaces")
        .flat_map(|list| {
            list.attribute("PrefixList")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Base64 with the line breaks XML signatures carry.
fn base64(text: &str) -> Result<Vec<u8>, Refused> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(compact)
        .map_err(|_| refuse("a signature value is not base64"))
}

#[derive(Clone, Copy)]
enum Hash {
    Sha256,
    Sha1,
}

impl Hash {
    fn digest(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => sha2::Sha256::digest(bytes).to_vec(),
            Self::Sha1 => sha1::Sha1::digest(bytes).to_vec(),
        }
    }
}

/// Verifies the enveloped `signature`, a child of `signed`, with one of `keys`.
pub fn verify(signed: &Element, signature: &Element, keys: &[PublicKey]) -> Result<(), Refused> {
    let info = only(signature, "SignedInfo")?;
    let method = only(info, "CanonicalizationMethod")?;
    if algorithm(method) != EXC_C14N {
        return Err(refuse(format!(
            "the canonicalization `{}` is not supported (only exclusive canonicalization without comments)",
            algorithm(method)
        )));
    }
    let signing = match algorithm(only(info, "SignatureMethod")?) {
        RSA_SHA256 => Hash::Sha256,
        RSA_SHA1 => Hash::Sha1,
        other => {
            return Err(refuse(format!(
                "the signature method `{other}` is not supported (RSA with SHA-256 or SHA-1)"
            )));
        }
    };
    let reference = only(info, "Reference")?;
    let id = signed
        .attribute("ID")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| refuse(format!("the signed `{}` has no `ID`", signed.local)))?;
    if reference.attribute("URI") != Some(&format!("#{id}")) {
        return Err(refuse(format!(
            "the signature references `{}`, not the `{}` it is in (`#{id}`)",
            reference.attribute("URI").unwrap_or_default(),
            signed.local
        )));
    }
    let transforms: Vec<&Element> = reference
        .only_child(DSIG, "Transforms")
        .map(|list| list.children_named(DSIG, "Transform").collect())
        .unwrap_or_default();
    let names: Vec<&str> = transforms.iter().map(|t| algorithm(t)).collect();
    if names != [ENVELOPED, EXC_C14N] {
        return Err(refuse(format!(
            "the reference's transforms are {names:?}; only the enveloped signature then exclusive canonicalization are supported"
        )));
    }
    let digesting = match algorithm(only(reference, "DigestMethod")?) {
        SHA256 => Hash::Sha256,
        SHA1 => Hash::Sha1,
        other => {
            return Err(refuse(format!(
                "the digest method `{other}` is not supported"
            )));
        }
    };
    let expected = base64(&only(reference, "DigestValue")?.text())?;
    let content = canonicalize(signed, Some(signature), &prefix_list(transforms[1]));
    if digesting.digest(content.as_bytes()) != expected {
        return Err(refuse(format!(
            "the digest of the signed `{}` does not match: it was changed after it was signed",
            signed.local
        )));
    }
    let value = base64(&only(signature, "SignatureValue")?.text())?;
    let info_text = canonicalize(info, None, &prefix_list(method));
    let valid = keys.iter().any(|key| match signing {
        Hash::Sha256 => key
            .pkcs1v15_verify::<sha2::Sha256>(info_text.as_bytes(), &value)
            .is_ok(),
        Hash::Sha1 => key
            .pkcs1v15_verify::<sha1::Sha1>(info_text.as_bytes(), &value)
            .is_ok(),
    });
    if valid {
        Ok(())
    } else {
        Err(refuse(
            "the signature value does not verify with the provider's certificate",
        ))
    }
}

/// An enveloped RSA-SHA256 signature for the element whose canonical form (without
/// the signature) is `canonical` and whose `ID` is `id`: the `ds:Signature` element
/// text, declaring its namespace, to insert into that element.
pub fn sign(
    key: &PrivateKey,
    certificate: &[u8],
    id: &str,
    canonical: &str,
) -> Result<String, String> {
    let digest = STANDARD.encode(sha2::Sha256::digest(canonical.as_bytes()));
    let info_body = format!(
        "<ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"{RSA_SHA256}\"></ds:SignatureMethod><ds:Reference URI=\"#{id}\"><ds:Transforms><ds:Transform Algorithm=\"{ENVELOPED}\"></ds:Transform><ds:Transform Algorithm=\"{EXC_C14N}\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"{SHA256}\"></ds:DigestMethod><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>"
    );
    // The canonical form of `SignedInfo` in place: exclusive canonicalization renders
    // the `ds` namespace on it, as the apex of its own canonical text.
    let info = format!("<ds:SignedInfo xmlns:ds=\"{DSIG}\">{info_body}</ds:SignedInfo>");
    let value = key
        .pkcs1v15_sign::<sha2::Sha256>(info.as_bytes())
        .map_err(|e| format!("cannot sign: {e}"))?;
    Ok(format!(
        "<ds:Signature xmlns:ds=\"{DSIG}\"><ds:SignedInfo>{info_body}</ds:SignedInfo><ds:SignatureValue>{}</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>",
        STANDARD.encode(value),
        STANDARD.encode(certificate)
    ))
}
