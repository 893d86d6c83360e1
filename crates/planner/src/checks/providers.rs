//! Identity providers: an `iam.oidc_provider`'s URL, audiences and thumbprints, and an
//! `iam.saml_provider`'s metadata, against the limits of `CreateOpenIDConnectProvider`
//! and `CreateSAMLProvider` (IAM API reference): a URL of 1..255 characters starting
//! `https://`, 1..100 client ids of 1..255 characters, at most 5 thumbprints of 40 hex
//! digits; metadata of 1,000..10,000,000 characters, given exactly one way.

use crate::diagnostics::Diagnostics;
use crate::kinds::{IamOidcProvider, IamSamlProvider, StepKind};
use crate::limits::MAX_SAML_METADATA_BYTES;
use crate::plan::{Plan, Step};

use super::Statics;

fn check_oidc(diags: &mut Diagnostics, statics: &Statics, step: &Step, p: &IamOidcProvider) {
    if let Some(url) = statics.render(&p.url.value) {
        let host = url.strip_prefix("https://").unwrap_or_default();
        let problem = if !url.starts_with("https://") {
            Some("it must start with `https://`".to_owned())
        } else if url.chars().count() > 255 {
            Some(format!(
                "it has {} characters; IAM allows at most 255",
                url.chars().count()
            ))
        } else if host.is_empty() || host.starts_with('/') {
            Some("the host is missing after `https://`".to_owned())
        } else if host.contains(['?', '#']) {
            Some("an issuer URL has no query or fragment".to_owned())
        } else {
            host.chars()
                .find(|c| !c.is_ascii_graphic())
                .map(|bad| format!("it contains `{}`", bad.escape_default()))
        };
        if let Some(problem) = problem {
            diags
                .error(
                    "plan::invalid_value",
                    p.url.span,
                    format!("`url` `{url}` is not an OIDC issuer URL: {problem}"),
                )
                .help("give the issuer as in the tokens' `iss` claim, such as `https://token.actions.githubusercontent.com` (the sandbox's own issuer is `https://oidc.awslab.localhost`)")
                .emit();
        }
    }
    if p.client_id_list.is_empty() || p.client_id_list.len() > 100 {
        diags
            .error(
                "plan::invalid_value",
                step.kind_span,
                format!(
                    "step `{}` lists {} audiences; IAM takes 1 to 100 in `client_id_list`",
                    step.id,
                    p.client_id_list.len()
                ),
            )
            .help(
                "name the `aud` value the provider puts in its tokens, such as `sts.amazonaws.com`",
            )
            .emit();
    }
    for id in &p.client_id_list {
        if let Some(value) = statics.render(&id.value)
            && !(1..=255).contains(&value.chars().count())
        {
            diags
                .error(
                    "plan::invalid_value",
                    id.span,
                    format!(
                        "a client id has 1 to 255 characters, not {}",
                        value.chars().count()
                    ),
                )
                .emit();
        }
    }
    if p.thumbprints.len() > 5 {
        diags
            .error(
                "plan::invalid_value",
                p.thumbprints.get(5).map_or(step.kind_span, |t| t.span),
                format!("{} thumbprints; IAM takes at most 5", p.thumbprints.len()),
            )
            .emit();
    }
    for thumbprint in &p.thumbprints {
        if let Some(value) = statics.render(&thumbprint.value)
            && (value.len() != 40 || !value.chars().all(|c| c.is_ascii_hexdigit()))
        {
            diags
                .error(
                    "plan::invalid_value",
                    thumbprint.span,
                    format!("thumbprint `{value}` is not 40 hex digits"),
                )
                .help("a thumbprint is the hex SHA-1 of the issuer's certificate, such as `6938fd4d98bab03faadb97b34396831e3780aea1`")
                .emit();
        }
    }
}

fn check_saml(diags: &mut Diagnostics, statics: &Statics, step: &Step, p: &IamSamlProvider) {
    let given = [
        p.metadata.is_some(),
        p.metadata_file.is_some(),
        p.sandbox_metadata,
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        diags
            .error(
                "plan::missing_key",
                step.kind_span,
                format!(
                    "step `{}` needs exactly one of `metadata` and `metadata_file` (or, on the sandbox, `sandbox_metadata: true`)",
                    step.id
                ),
            )
            .help("give the identity provider's SAML metadata XML inline as `metadata:`, a file holding it as `metadata_file:`, or, on the sandbox, `sandbox_metadata: true` for the sandbox's own identity provider")
            .emit();
        return;
    }
    if let Some(text) = &p.metadata {
        let Some(value) = statics.render(&text.value) else {
            return;
        };
        let len = value.chars().count();
        let problem =
            if len < 1_000 || u64::try_from(len).unwrap_or(u64::MAX) > MAX_SAML_METADATA_BYTES {
                Some(format!(
                    "it has {len} characters; IAM takes 1,000 to 10,000,000"
                ))
            } else if !value.contains("EntityDescriptor") {
                Some("it has no `EntityDescriptor` element".to_owned())
            } else {
                None
            };
        if let Some(problem) = problem {
            diags
                    .error(
                        "plan::invalid_value",
                        text.span,
                        format!("`metadata` of step `{}` is not a SAML metadata document: {problem}", step.id),
                    )
                    .help("paste the metadata XML your identity provider publishes (an `md:EntityDescriptor` with an `IDPSSODescriptor`), or point `metadata_file:` at it")
                    .emit();
        }
    }
}

/// Checks every identity provider step.
pub fn check(diags: &mut Diagnostics, plan: &Plan, statics: &Statics) {
    for step in plan.steps.values() {
        match &step.kind {
            StepKind::IamOidcProvider(p) => check_oidc(diags, statics, step, p),
            StepKind::IamSamlProvider(p) => check_saml(diags, statics, step, p),
            _ => {}
        }
    }
}
