//! OIDC identity providers, which `AssumeRoleWithWebIdentity` checks tokens against.

use super::{account, account_mut};
use crate::auth::Caller;
use crate::services::IamError;
use crate::services::{ApiError, Check, Input, Operation, Shape, Value, tag_list, timestamp};
use crate::state::World;
use crate::state::world::OidcProvider;

pub(super) const OPERATIONS: &[Operation] = &[
    Operation {
        name: "CreateOpenIDConnectProvider",
        mutates: true,
        checks: |input, _, caller| {
            // The provider's ARN: its URL without the scheme (`run` refuses another).
            let url = input.required("Url")?;
            let host = url.strip_prefix("https://").unwrap_or(url);
            Ok(vec![Check::new(
                "iam:CreateOpenIDConnectProvider",
                format!(
                    "arn:aws:iam::{}:oidc-provider/{}",
                    caller.account,
                    host.trim_end_matches('/')
                ),
            )])
        },
        run: create_oidc_provider,
    },
    Operation {
        name: "GetOpenIDConnectProvider",
        mutates: false,
        checks: |input, _, _| {
            Ok(vec![Check::new(
                "iam:GetOpenIDConnectProvider",
                input.required("OpenIDConnectProviderArn")?,
            )])
        },
        run: get_oidc_provider,
    },
    Operation {
        name: "DeleteOpenIDConnectProvider",
        mutates: true,
        checks: |input, _, _| {
            Ok(vec![Check::new(
                "iam:DeleteOpenIDConnectProvider",
                input.required("OpenIDConnectProviderArn")?,
            )])
        },
        run: delete_oidc_provider,
    },
    Operation {
        name: "ListOpenIDConnectProviders",
        mutates: false,
        // As AWS names it in its denials.
        checks: |_, _, caller| {
            Ok(vec![Check::new(
                "iam:ListOpenIDConnectProviders",
                format!("arn:aws:iam::{}:oidc-provider/*", caller.account),
            )])
        },
        run: list_oidc_providers,
    },
];

fn create_oidc_provider(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let url = input.required("Url")?;
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(ApiError::of(
            IamError::InvalidInput,
            format!("Invalid URL {url}: it must begin with https://"),
        ));
    };
    if url.len() > 255 || rest.trim_end_matches('/').is_empty() {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{url}' at 'url' failed to satisfy constraint: Member must have length less than or equal to 255"
        )));
    }
    let host = rest.trim_end_matches('/').to_owned();
    let client_ids = input.list("ClientIDList");
    if client_ids.len() > 100 || client_ids.iter().any(|id| id.is_empty() || id.len() > 255) {
        return Err(ApiError::of(
            IamError::InvalidInput,
            "A provider takes at most 100 client ids of 1 to 255 characters",
        ));
    }
    let thumbprints = input.list("ThumbprintList");
    if thumbprints.len() > 5 || thumbprints.iter().any(|t| t.len() != 40) {
        return Err(ApiError::of(
            IamError::InvalidInput,
            "A provider takes at most 5 thumbprints of 40 characters",
        ));
    }
    let tags = input.pairs("Tags", "Key", "Value");
    let now = world.now();
    let account = account_mut(world, caller)?;
    let arn = format!("arn:aws:iam::{}:oidc-provider/{host}", account.id);
    if account.oidc_providers.contains_key(&arn) {
        return Err(ApiError::already_exists(format!(
            "Provider with url {url} already exists."
        )));
    }
    account.oidc_providers.insert(
        arn.clone(),
        OidcProvider {
            arn: arn.clone(),
            url: host,
            client_ids: client_ids.into_iter().map(str::to_owned).collect(),
            thumbprints: thumbprints.into_iter().map(str::to_owned).collect(),
            created: now,
            tags: tags.clone(),
        },
    );
    let shape = Shape::new().text("OpenIDConnectProviderArn", arn);
    Ok(if tags.is_empty() {
        shape
    } else {
        shape.list("Tags", tag_list(&tags))
    })
}

fn find_provider<'w>(
    world: &'w World,
    input: &Input,
    caller: &Caller,
) -> Result<&'w OidcProvider, ApiError> {
    let arn = input.required("OpenIDConnectProviderArn")?;
    account(world, caller)?
        .oidc_providers
        .get(arn)
        .ok_or_else(|| {
            ApiError::no_such_entity(format!("OpenIDConnect Provider not found for arn {arn}"))
        })
}

fn get_oidc_provider(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let provider = find_provider(world, input, caller)?;
    Ok(Shape::new()
        .text("Url", &provider.url)
        .list(
            "ClientIDList",
            provider
                .client_ids
                .iter()
                .map(|id| Value::Text(id.clone()))
                .collect(),
        )
        .list(
            "ThumbprintList",
            provider
                .thumbprints
                .iter()
                .map(|id| Value::Text(id.clone()))
                .collect(),
        )
        .text("CreateDate", timestamp(provider.created))
        .list("Tags", tag_list(&provider.tags)))
}

fn delete_oidc_provider(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let arn = find_provider(world, input, caller)?.arn.clone();
    account_mut(world, caller)?.oidc_providers.remove(&arn);
    Ok(Shape::new())
}

fn list_oidc_providers(_: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let items = account(world, caller)?
        .oidc_providers
        .keys()
        .map(|arn| Value::Struct(Shape::new().text("Arn", arn)))
        .collect();
    Ok(Shape::new().list("OpenIDConnectProviderList", items))
}
