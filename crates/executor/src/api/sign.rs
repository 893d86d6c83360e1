//! `SigV4` for a generic call, as an interceptor on the orchestrator: each attempt is
//! signed just before it is sent (S3 with its unsigned-path rules and the payload hash
//! header), with the time of the runtime's time source; and an answer whose declared
//! length is over [`super::MAX_ANSWER_BYTES`] is dropped unread.

use std::borrow::Cow;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

/// The header that marks an answer dropped for its size.
pub const TOO_LARGE: &str = "x-awslab-answer-too-large";

/// Signs each attempt with fixed credentials.
pub struct Sign {
    credentials: Credentials,
    region: String,
    service: String,
    s3: bool,
}

impl std::fmt::Debug for Sign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `Credentials`' own Debug redacts the secret; say nothing of it at all.
        f.debug_struct("Sign")
            .field("region", &self.region)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl Sign {
    pub fn new(credentials: Credentials, region: String, service: String, s3: bool) -> Self {
        Self {
            credentials,
            region,
            service,
            s3,
        }
    }
}

impl Intercept for Sign {
    fn name(&self) -> &'static str {
        "awslab::Sign"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let time = components
            .time_source()
            .map_or_else(SystemTime::now, |source| source.now());
        let mut settings = SigningSettings::default();
        if self.s3 {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(&self.service)
            .time(time)
            .settings(settings)
            .build()?
            .into();
        let body = request.body().bytes().unwrap_or_default().to_vec();
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let signable = SignableRequest::new(
            request.method(),
            Cow::Owned(request.uri().to_owned()),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(&body),
        )?;
        let (instructions, _signature) = sign(signable, &params)?.into_parts();
        let (headers, _query) = instructions.into_parts();
        for header in headers {
            request
                .headers_mut()
                .insert(header.name(), header.value().to_owned());
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response_mut();
        let too_large = response
            .headers()
            .get("content-length")
            .and_then(|length| length.trim().parse::<u64>().ok())
            .is_some_and(|length| length > super::MAX_ANSWER_BYTES);
        if too_large {
            *response.body_mut() = SdkBody::empty();
            response.headers_mut().insert(TOO_LARGE, "1");
        }
        Ok(())
    }
}
