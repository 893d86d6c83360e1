//! The calls `awslab doctor` makes, as facts for the cli to judge and print: who the
//! operator is and the target's clock (`sts:GetCallerIdentity` and its answer's `Date`
//! header), whether each service the executor uses answers ([`reach`]), and a role's
//! trust policy (`iam:GetRole`) for `doctor oidc`. Nothing here prints; credentials
//! stay inside the SDK config.

use std::sync::{Arc, Mutex, PoisonError};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::classify::{ErrorClass, ErrorInfo, ErrorSource};
use crate::client::{self, Target};
use crate::credentials::OperatorError;

/// `sts:GetCallerIdentity`: the operator's account and ARN, and the target's clock
/// (seconds since the epoch, from the answer's `Date` header, error answers included;
/// `None` when there was none: the in-process sandbox sends none). An endpoint that
/// does not answer is told apart from one that refuses the credentials, as
/// [`crate::credentials::whoami`] does.
pub async fn caller(
    config: &SdkConfig,
    target: &Target,
) -> (Option<i64>, Result<(String, String), OperatorError>) {
    let date = DateHeader::default();
    let answer = client::sts_client(config)
        .get_caller_identity()
        .customize()
        .interceptor(date.clone())
        .send()
        .await;
    let identity = match answer {
        Ok(answer) => Ok((
            answer.account().unwrap_or_default().to_owned(),
            answer.arn().unwrap_or_default().to_owned(),
        )),
        // Asked again through `whoami`, which classifies the error and logs the chain.
        Err(_) => crate::credentials::whoami(config, target).await,
    };
    (date.seen(), identity)
}

/// Reads the `Date` header of an answer (RFC 7231's IMF-fixdate).
#[derive(Debug, Clone, Default)]
struct DateHeader(Arc<Mutex<Option<i64>>>);

impl DateHeader {
    fn seen(&self) -> Option<i64> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Intercept for DateHeader {
    fn name(&self) -> &'static str {
        "DateHeader"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(at) = context
            .response()
            .headers()
            .get("date")
            .and_then(parse_http_date)
        {
            *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(at);
        }
        Ok(())
    }
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) as seconds since the epoch.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(|at| at.assume_utc().unix_timestamp())
}

/// Where the operator's credentials came from, in words (`environment variables`,
/// `a profile in the config files`, `web identity (AssumeRoleWithWebIdentity)`...), as
/// the SDK records it, and when they expire; never the credentials themselves.
pub async fn credential_source(
    config: &SdkConfig,
) -> (Option<String>, Option<std::time::SystemTime>) {
    use aws_credential_types::credential_feature::AwsCredentialFeature as Feature;
    use aws_credential_types::provider::ProvideCredentials as _;
    let Some(provider) = config.credentials_provider() else {
        return (None, None);
    };
    let Ok(credentials) = provider.provide_credentials().await else {
        return (None, None);
    };
    let features = credentials
        .get_property::<Vec<Feature>>()
        .cloned()
        .unwrap_or_default();
    // The most specific feature names the source: a role assumed from a profile
    // records both, and the assumption is what the operator needs to hear.
    let word = features.iter().rev().find_map(|feature| {
        Some(match feature {
            Feature::CredentialsCode => "given by awslab (static keys)",
            Feature::CredentialsEnvVars => "environment variables (AWS_ACCESS_KEY_ID)",
            Feature::CredentialsEnvVarsStsWebIdToken
            | Feature::CredentialsStsAssumeRoleWebId
            | Feature::CredentialsProfileStsWebIdToken => {
                "a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE, sts:AssumeRoleWithWebIdentity)"
            }
            Feature::CredentialsStsAssumeRole => "a role assumed with sts:AssumeRole",
            Feature::CredentialsProfile => "static keys of a profile in the AWS CLI files",
            Feature::CredentialsProfileSourceProfile => "a profile's source_profile",
            Feature::CredentialsProfileSso | Feature::CredentialsSso => {
                "an SSO session (aws sso login)"
            }
            Feature::CredentialsProfileProcess | Feature::CredentialsProcess => {
                "a credential_process"
            }
            Feature::CredentialsHttp => "the container credentials endpoint",
            Feature::CredentialsImds => "the instance metadata service",
            Feature::CredentialsProfileLogin | Feature::CredentialsLogin => {
                "an AWS console login session"
            }
            _ => return None,
        })
    });
    (word.map(str::to_owned), credentials.expiry())
}

/// How a service answered `doctor`'s probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// It answered the call.
    Answered,
    /// It answered, and denied the call (`AccessDenied`...): reachable, and the
    /// credentials are accepted, but the operator may lack permissions.
    Denied { code: String },
    /// It answered, and refused the credentials (`InvalidClientTokenId`...).
    Refused { code: String },
    /// It answered with another error (still reachable).
    Failed { code: String },
    /// No answer: connection, DNS, TLS or a timeout.
    Unreachable { reason: String },
}

/// One service's probe: the service, the call made, how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub service: &'static str,
    pub call: &'static str,
    pub reach: Reach,
}

/// Probes IAM, S3 and `CloudFormation` with one cheap read each (STS is probed by
/// [`caller`]), one after another.
pub async fn reach(config: &SdkConfig) -> Vec<Probe> {
    let iam = client::iam_client(config)
        .list_roles()
        .max_items(1)
        .send()
        .await
        .map(|_| ())
        .map_err(|error| ErrorInfo::from_sdk(&error));
    let s3 = client::s3_client(config)
        .list_buckets()
        .max_buckets(1)
        .send()
        .await
        .map(|_| ())
        .map_err(|error| ErrorInfo::from_sdk(&error));
    let cloudformation = client::cloudformation_client(config)
        .list_stacks()
        .send()
        .await
        .map(|_| ())
        .map_err(|error| ErrorInfo::from_sdk(&error));
    vec![
        probe("IAM", "iam:ListRoles", iam),
        probe("S3", "s3:ListAllMyBuckets", s3),
        probe(
            "CloudFormation",
            "cloudformation:ListStacks",
            cloudformation,
        ),
    ]
}

fn probe(service: &'static str, call: &'static str, result: Result<(), ErrorInfo>) -> Probe {
    let reach = match result {
        Ok(()) => Reach::Answered,
        Err(info) => judge(&info),
    };
    if reach != Reach::Answered {
        tracing::info!(service, call, ?reach, "doctor probe");
    }
    Probe {
        service,
        call,
        reach,
    }
}

/// What an error says about reachability.
pub fn judge(info: &ErrorInfo) -> Reach {
    let code = info
        .code
        .clone()
        .unwrap_or_else(|| format!("HTTP {}", info.status.unwrap_or_default()));
    match info.source {
        ErrorSource::Service | ErrorSource::Response => match info.class() {
            ErrorClass::Denied => Reach::Denied { code },
            ErrorClass::Propagating => Reach::Refused { code },
            _ if code == "ExpiredToken" || code == "RequestExpired" => Reach::Refused { code },
            _ => Reach::Failed { code },
        },
        _ => Reach::Unreachable {
            reason: info
                .message
                .as_deref()
                .and_then(|m| m.rsplit(": ").next())
                .unwrap_or("no answer")
                .to_owned(),
        },
    }
}

/// Why a role's trust policy could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error("`{arn}` is not a role ARN (`arn:aws:iam::ACCOUNT:role/NAME`)")]
    NotARoleArn { arn: String },
    #[error("reading `{name}` failed: {info}")]
    Call {
        name: String,
        info: String,
        reach: Reach,
    },
}

/// The role's trust policy (`iam:GetRole`), decoded.
pub async fn trust_policy(config: &SdkConfig, role_arn: &str) -> Result<String, RoleError> {
    let name = role_name(role_arn).ok_or_else(|| RoleError::NotARoleArn {
        arn: role_arn.to_owned(),
    })?;
    match client::iam_client(config)
        .get_role()
        .role_name(name)
        .send()
        .await
    {
        Ok(answer) => Ok(answer
            .role()
            .map(|role| {
                crate::steps::decode_policy(role.assume_role_policy_document().unwrap_or_default())
            })
            .unwrap_or_default()),
        Err(error) => {
            let info = ErrorInfo::from_sdk(&error);
            Err(RoleError::Call {
                name: name.to_owned(),
                info: info.to_string(),
                reach: judge(&info),
            })
        }
    }
}

/// The client ids (audiences) of an IAM OIDC provider (`iam:GetOpenIDConnectProvider`).
pub async fn oidc_client_ids(
    config: &SdkConfig,
    provider_arn: &str,
) -> Result<Vec<String>, RoleError> {
    match client::iam_client(config)
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(provider_arn)
        .send()
        .await
    {
        Ok(answer) => Ok(answer.client_id_list().to_vec()),
        Err(error) => {
            let info = ErrorInfo::from_sdk(&error);
            Err(RoleError::Call {
                name: provider_arn.to_owned(),
                info: info.to_string(),
                reach: judge(&info),
            })
        }
    }
}

/// The role's name in a role ARN (the last part of its path).
pub fn role_name(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("iam"), Some(_), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let path = resource.strip_prefix("role/")?;
    let name = path.rsplit('/').next()?;
    let valid = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (valid && !name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn names_roles_in_role_arns_only() {
        assert_eq!(
            role_name("arn:aws:iam::111122223333:role/ci/awslab-ci"),
            Some("awslab-ci")
        );
        assert_eq!(role_name("arn:aws:iam::111122223333:user/bob"), None);
        assert_eq!(role_name("arn:aws:iam::1111:role/x"), None);
        assert_eq!(role_name("awslab-ci"), None);
    }

    #[test]
    fn tells_denied_from_refused_from_unreachable() {
        let denied = ErrorInfo::service("AccessDenied", None, Some(403));
        assert!(matches!(judge(&denied), Reach::Denied { .. }));
        let refused = ErrorInfo::service("InvalidClientTokenId", None, Some(403));
        assert!(matches!(judge(&refused), Reach::Refused { .. }));
        let down = ErrorInfo {
            source: ErrorSource::Dispatch,
            code: None,
            message: Some("io error: Connection refused (os error 111)".into()),
            status: None,
        };
        assert_eq!(
            judge(&down),
            Reach::Unreachable {
                reason: "Connection refused (os error 111)".into()
            }
        );
    }
}
