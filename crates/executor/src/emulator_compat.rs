//! Compatibility with emulators for query-protocol services (IAM, STS,
//! `CloudFormation`). Their requests are HTML form bodies, where a space may be written
//! `%20` (what the Rust SDK writes) or `+` (what botocore writes). moto checks
//! signatures over a body it rebuilds the botocore way, so a signed body with `%20`
//! (any `CloudFormation` template with indentation) fails with `SignatureDoesNotMatch`.
//! With a custom endpoint, this interceptor writes spaces as `+` before signing; both
//! forms mean the same to AWS.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

/// Rewrites `%20` as `+` in form-encoded request bodies before they are signed.
#[derive(Debug, Clone, Copy, Default)]
pub struct FormSpacesAsPlus;

/// The body with every `%20` written as `+`, if it has any.
pub fn plus_spaces(body: &[u8]) -> Option<Vec<u8>> {
    if !body.windows(3).any(|w| w == b"%20") {
        return None;
    }
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i..].starts_with(b"%20") {
            out.push(b'+');
            i += 3;
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    Some(out)
}

impl Intercept for FormSpacesAsPlus {
    fn name(&self) -> &'static str {
        "FormSpacesAsPlus"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let is_form = request
            .headers()
            .get("content-type")
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Ok(());
        }
        let Some(rewritten) = request.body().bytes().and_then(plus_spaces) else {
            return Ok(());
        };
        let length = rewritten.len().to_string();
        *request.body_mut() = SdkBody::from(rewritten);
        request.headers_mut().insert("content-length", length);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::plus_spaces;

    #[test]
    fn rewrites_encoded_spaces_only() {
        assert_eq!(
            plus_spaces(b"a=x%20y%2520&b=%20").unwrap_or_default(),
            b"a=x+y%2520&b=+".to_vec()
        );
        assert_eq!(plus_spaces(b"a=%2A"), None);
    }
}
