//! SAML 2.0 identity providers (`CreateSAMLProvider`, `GetSAMLProvider`,
//! `ListSAMLProviders`, `UpdateSAMLProvider`, `DeleteSAMLProvider`,
//! `ListSAMLProviderTags`, `TagSAMLProvider`, `UntagSAMLProvider`), shaped as botocore's IAM model says. A metadata document
//! has 1,000..10,000,000 characters and must be well-formed XML whose root is an
//! `EntityDescriptor` (in any namespace prefix); a document type declaration is
//! refused, so no entity is ever expanded.

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{account, account_mut, page, with_marker};
use crate::auth::Caller;
use crate::ids;
use crate::services::IamError;
use crate::services::{ApiError, Check, Input, Operation, Shape, Value, tag_list, timestamp};
use crate::state::World;
use crate::state::world::SamlProvider;
use crate::wire::xml::declares_doctype;

fn arn_check(action: &str, input: &Input) -> Result<Vec<Check>, ApiError> {
    Ok(vec![Check::new(action, input.required("SAMLProviderArn")?)])
}

pub(super) const OPERATIONS: &[Operation] = &[
    Operation {
        name: "CreateSAMLProvider",
        mutates: true,
        checks: |input, _, caller| {
            Ok(vec![Check::new(
                "iam:CreateSAMLProvider",
                format!(
                    "arn:aws:iam::{}:saml-provider/{}",
                    caller.account,
                    input.required("Name")?
                ),
            )])
        },
        run: create_saml_provider,
    },
    Operation {
        name: "GetSAMLProvider",
        mutates: false,
        checks: |input, _, _| arn_check("iam:GetSAMLProvider", input),
        run: get_saml_provider,
    },
    Operation {
        name: "UpdateSAMLProvider",
        mutates: true,
        checks: |input, _, _| arn_check("iam:UpdateSAMLProvider", input),
        run: update_saml_provider,
    },
    Operation {
        name: "DeleteSAMLProvider",
        mutates: true,
        checks: |input, _, _| arn_check("iam:DeleteSAMLProvider", input),
        run: delete_saml_provider,
    },
    Operation {
        name: "ListSAMLProviders",
        mutates: false,
        checks: |_, _, _| Ok(vec![Check::new("iam:ListSAMLProviders", "*")]),
        run: list_saml_providers,
    },
    Operation {
        name: "ListSAMLProviderTags",
        mutates: false,
        checks: |input, _, _| arn_check("iam:ListSAMLProviderTags", input),
        run: list_saml_provider_tags,
    },
    Operation {
        name: "TagSAMLProvider",
        mutates: true,
        checks: |input, _, _| arn_check("iam:TagSAMLProvider", input),
        run: tag_saml_provider,
    },
    Operation {
        name: "UntagSAMLProvider",
        mutates: true,
        checks: |input, _, _| arn_check("iam:UntagSAMLProvider", input),
        run: untag_saml_provider,
    },
];

/// The shortest and longest metadata document (`SAMLMetadataDocumentType`).
const METADATA_CHARS: std::ops::RangeInclusive<usize> = 1_000..=10_000_000;

/// Checks a metadata document; returns its `validUntil`, if it has one.
fn check_metadata(document: &str) -> Result<Option<String>, ApiError> {
    let chars = document.chars().count();
    if chars < *METADATA_CHARS.start() {
        return Err(ApiError::validation(
            "1 validation error detected: Value at 'sAMLMetadataDocument' failed to satisfy constraint: Member must have length greater than or equal to 1000",
        ));
    }
    if chars > *METADATA_CHARS.end() {
        return Err(ApiError::validation(
            "1 validation error detected: Value at 'sAMLMetadataDocument' failed to satisfy constraint: Member must have length less than or equal to 10000000",
        ));
    }
    let invalid = |why: &str| {
        ApiError::of(
            IamError::InvalidInput,
            format!("Could not parse metadata: {why}"),
        )
    };
    if declares_doctype(document.as_bytes()) {
        return Err(invalid("a document type declaration is not allowed"));
    }
    let mut reader = Reader::from_str(document);
    reader.config_mut().check_end_names = true;
    let mut depth = 0_usize;
    let mut root: Option<(String, Option<String>)> = None;
    let describe = |element: &quick_xml::events::BytesStart<'_>| {
        let name = String::from_utf8_lossy(element.local_name().as_ref()).into_owned();
        let valid_until = element
            .attributes()
            .flatten()
            .find(|a| a.key.local_name().as_ref() == b"validUntil")
            .and_then(|a| valid_until(&String::from_utf8_lossy(&a.value)));
        (name, valid_until)
    };
    loop {
        let (element, opens) = match reader.read_event() {
            Err(error) => return Err(invalid(&format!("it is not well-formed XML ({error})"))),
            Ok(Event::Eof) => break,
            Ok(Event::Start(element)) => (element, true),
            Ok(Event::Empty(element)) => (element, false),
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Ok(_) => continue,
        };
        if depth == 0 {
            if root.is_some() {
                return Err(invalid("it has more than one root element"));
            }
            root = Some(describe(&element));
        }
        if opens {
            depth += 1;
        }
    }
    if depth != 0 {
        return Err(invalid("an element is not closed"));
    }
    match root {
        Some((name, valid_until)) if name == "EntityDescriptor" => Ok(valid_until),
        Some((name, _)) => Err(invalid(&format!(
            "the root element is `{name}`, not an `EntityDescriptor`"
        ))),
        None => Err(invalid("it has no root element")),
    }
}

/// A `validUntil` (an `xs:dateTime`) as IAM answers dates; `None` when it is not one,
/// so an odd value never reaches a client as a date it cannot read.
fn valid_until(text: &str) -> Option<String> {
    let at =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .ok()?;
    Some(timestamp(at.unix_timestamp()))
}

/// `AssertionEncryptionMode` and `AddPrivateKey`/`RemovePrivateKey`: the sandbox
/// verifies unencrypted assertions only, so it accepts `Allowed` (unencrypted ones are
/// allowed) and refuses a private key, as it could never use it.
fn encryption(input: &Input) -> Result<(), ApiError> {
    match input.get("AssertionEncryptionMode") {
        None | Some("Allowed") => {}
        Some("Required") => {
            return Err(ApiError::new(
                400,
                "InvalidInput",
                "Unable to set assertion encryption mode to Required because no private key is provided. (The sandbox does not decrypt SAML assertions: use `Allowed`.)",
            ));
        }
        Some(other) => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'assertionEncryptionMode' failed to satisfy constraint: Member must satisfy enum value set: [Required, Allowed]"
            )));
        }
    }
    if input.get("AddPrivateKey").is_some() || input.get("RemovePrivateKey").is_some() {
        return Err(ApiError::new(
            400,
            "InvalidInput",
            "The sandbox does not decrypt SAML assertions, so a SAML provider has no private keys: omit `AddPrivateKey` and `RemovePrivateKey`",
        ));
    }
    Ok(())
}

fn no_such_provider(arn: &str) -> ApiError {
    ApiError::no_such_entity(format!("Manifest not found for arn {arn}"))
}

fn find<'w>(
    world: &'w World,
    input: &Input,
    caller: &Caller,
) -> Result<&'w SamlProvider, ApiError> {
    let arn = input.required("SAMLProviderArn")?;
    account(world, caller)?
        .saml_providers
        .get(arn)
        .ok_or_else(|| no_such_provider(arn))
}

fn create_saml_provider(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let name = input.required("Name")?;
    if name.is_empty()
        || name.len() > 128
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w._-]+"
        )));
    }
    let document = input.required("SAMLMetadataDocument")?;
    let valid_until = check_metadata(document)?;
    encryption(input)?;
    let tags = input.pairs("Tags", "Key", "Value");
    if tags.len() > 50 {
        return Err(ApiError::of(
            IamError::LimitExceeded,
            "A SAML provider takes at most 50 tags",
        ));
    }
    let now = world.now();
    let account = account_mut(world, caller)?;
    let arn = format!("arn:aws:iam::{}:saml-provider/{name}", account.id);
    if account.saml_providers.contains_key(&arn) {
        return Err(ApiError::already_exists(format!(
            "SAMLProvider {name} already exists"
        )));
    }
    account.saml_providers.insert(
        arn.clone(),
        SamlProvider {
            arn: arn.clone(),
            name: name.to_owned(),
            metadata: document.to_owned(),
            uuid: format!("{}{}", ids::unique_id("SAML"), ids::unique_id("")),
            created: now,
            valid_until,
            tags: tags.clone(),
        },
    );
    let shape = Shape::new().text("SAMLProviderArn", arn);
    Ok(if tags.is_empty() {
        shape
    } else {
        shape.list("Tags", tag_list(&tags))
    })
}

fn get_saml_provider(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let provider = find(world, input, caller)?;
    Ok(Shape::new()
        .text("SAMLProviderUUID", &provider.uuid)
        .text("SAMLMetadataDocument", &provider.metadata)
        .text("CreateDate", timestamp(provider.created))
        .maybe("ValidUntil", provider.valid_until.as_ref())
        .list("Tags", tag_list(&provider.tags)))
}

fn update_saml_provider(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let arn = find(world, input, caller)?.arn.clone();
    encryption(input)?;
    let document = input.get("SAMLMetadataDocument");
    if document.is_none() && input.get("AssertionEncryptionMode").is_none() {
        return Err(ApiError::new(
            400,
            "InvalidInput",
            "Unable to update identity provider. No updates are defined for metadata or encryption assertion.",
        ));
    }
    let valid_until = document.map(check_metadata).transpose()?;
    let account = account_mut(world, caller)?;
    let provider = account
        .saml_providers
        .get_mut(&arn)
        .ok_or_else(|| no_such_provider(&arn))?;
    if let (Some(document), Some(valid_until)) = (document, valid_until) {
        document.clone_into(&mut provider.metadata);
        provider.valid_until = valid_until;
    }
    Ok(Shape::new().text("SAMLProviderArn", arn))
}

fn delete_saml_provider(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let arn = find(world, input, caller)?.arn.clone();
    account_mut(world, caller)?.saml_providers.remove(&arn);
    Ok(Shape::new())
}

fn list_saml_providers(_: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let items = account(world, caller)?
        .saml_providers
        .values()
        .map(|provider| {
            Value::Struct(
                Shape::new()
                    .text("Arn", &provider.arn)
                    .maybe("ValidUntil", provider.valid_until.as_ref())
                    .text("CreateDate", timestamp(provider.created)),
            )
        })
        .collect();
    Ok(Shape::new().list("SAMLProviderList", items))
}

fn list_saml_provider_tags(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let tags = tag_list(&find(world, input, caller)?.tags);
    let (items, next) = page(input, tags)?;
    Ok(with_marker(Shape::new().list("Tags", items), next))
}

fn tag_saml_provider(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let arn = find(world, input, caller)?.arn.clone();
    let tags = input.pairs("Tags", "Key", "Value");
    if tags.is_empty() {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
        ));
    }
    let provider = account_mut(world, caller)?
        .saml_providers
        .get_mut(&arn)
        .ok_or_else(|| no_such_provider(&arn))?;
    let mut kept = provider.tags.clone();
    for (key, value) in tags {
        kept.retain(|(existing, _)| *existing != key);
        kept.push((key, value));
    }
    if kept.len() > 50 {
        return Err(ApiError::new(
            409,
            "LimitExceeded",
            "A SAML provider takes at most 50 tags",
        ));
    }
    provider.tags = kept;
    Ok(Shape::new())
}

fn untag_saml_provider(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let arn = find(world, input, caller)?.arn.clone();
    let keys: Vec<String> = input
        .list("TagKeys")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let provider = account_mut(world, caller)?
        .saml_providers
        .get_mut(&arn)
        .ok_or_else(|| no_such_provider(&arn))?;
    provider.tags.retain(|(key, _)| !keys.contains(key));
    Ok(Shape::new())
}
