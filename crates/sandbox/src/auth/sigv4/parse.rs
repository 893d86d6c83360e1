//! Reading a `SigV4` signature from the `Authorization` header or a presigned query,
//! and refusing unread what AWS refuses before it checks one: a malformed header,
//! presigned parameters out of bounds (`X-Amz-Expires` over a week), a credential
//! scope for a region that does not exist, and other mechanisms (`SigV2`).

use crate::wire::HttpRequest;

pub use crate::model::auth::{Malformed, Placement, Problem};

/// The parts of a `SigV4` signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::struct_field_names,
    reason = "SigV4 calls this part the signature"
)]
pub struct Signature {
    pub placement: Placement,
    pub access_key_id: String,
    /// `YYYYMMDD` of the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`).
    pub amz_date: String,
    /// Presigned URLs: seconds the URL is valid.
    pub expires: Option<i64>,
    pub session_token: Option<String>,
}

impl Malformed {
    fn new(problem: Problem, message: impl Into<String>) -> Self {
        Self {
            problem,
            message: message.into(),
        }
    }
}

/// The longest a presigned URL may be valid: a week, in seconds.
const MAX_PRESIGNED_SECONDS: i64 = 604_800;

/// Reads the signature of `request`, `Ok(None)` when it is unsigned.
pub fn parse(request: &HttpRequest) -> Result<Option<Signature>, Malformed> {
    if let Some(header) = request.header("authorization") {
        return parse_header(request, header).map(Some);
    }
    let query = request.query_pairs();
    let find = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    if find("X-Amz-Algorithm").is_none() {
        if find("AWSAccessKeyId").is_some() && find("Signature").is_some() {
            return Err(unsupported());
        }
        return Ok(None);
    }
    let credential = find("X-Amz-Credential").ok_or_else(|| {
        Malformed::new(
            Problem::QueryParameters,
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        )
    })?;
    let mut signature = scope(&credential, Placement::Query)?;
    signature.signed_headers = find("X-Amz-SignedHeaders")
        .unwrap_or_default()
        .split(';')
        .map(str::to_owned)
        .collect();
    signature.signature = find("X-Amz-Signature").unwrap_or_default();
    signature.amz_date = find("X-Amz-Date").unwrap_or_default();
    signature.expires = find("X-Amz-Expires")
        .map(|text| expires(&text))
        .transpose()?;
    signature.session_token = find("X-Amz-Security-Token");
    Ok(Some(signature))
}

/// `X-Amz-Expires`, within S3's bounds (0 to a week), in S3's words.
fn expires(text: &str) -> Result<i64, Malformed> {
    let refuse = |message: &str| Malformed::new(Problem::QueryParameters, message);
    let seconds: i64 = text
        .parse()
        .map_err(|_| refuse("X-Amz-Expires should be a number"))?;
    if seconds < 0 {
        return Err(refuse("X-Amz-Expires must be non-negative"));
    }
    if seconds > MAX_PRESIGNED_SECONDS {
        return Err(refuse(
            "X-Amz-Expires must be less than a week (in seconds) that is; 604800",
        ));
    }
    Ok(seconds)
}

fn unsupported() -> Malformed {
    Malformed::new(
        Problem::Unsupported,
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    )
}

fn parse_header(request: &HttpRequest, header: &str) -> Result<Signature, Malformed> {
    let Some(rest) = header.strip_prefix("AWS4-HMAC-SHA256 ") else {
        if header.starts_with("AWS ") {
            return Err(unsupported());
        }
        return Err(Malformed::new(
            Problem::Header,
            "Authorization header requires the AWS4-HMAC-SHA256 algorithm",
        ));
    };
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let Some((name, value)) = part.trim().split_once('=') else {
            continue;
        };
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(Malformed::new(
            Problem::Header,
            format!(
                "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization={header}"
            ),
        ));
    };
    let mut parsed = scope(credential, Placement::Header)?;
    parsed.signed_headers = signed_headers.split(';').map(str::to_owned).collect();
    signature.clone_into(&mut parsed.signature);
    request
        .header("x-amz-date")
        .or_else(|| request.header("date"))
        .unwrap_or_default()
        .clone_into(&mut parsed.amz_date);
    parsed.session_token = request.header("x-amz-security-token").map(str::to_owned);
    Ok(parsed)
}

fn scope(credential: &str, placement: Placement) -> Result<Signature, Malformed> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, "aws4_request"] = parts.as_slice() else {
        let problem = match placement {
            Placement::Header => Problem::Header,
            Placement::Query => Problem::QueryParameters,
        };
        return Err(Malformed::new(
            problem,
            format!("Credential should be scoped to a valid region, not '{credential}'"),
        ));
    };
    if !crate::wire::regions::exists(region) {
        return Err(Malformed::new(
            Problem::Region {
                region: (*region).to_owned(),
                placement,
            },
            format!("Credential should be scoped to a valid region, not '{region}'. "),
        ));
    }
    Ok(Signature {
        placement,
        access_key_id: (*key).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
        signed_headers: Vec::new(),
        signature: String::new(),
        amz_date: String::new(),
        expires: None,
        session_token: None,
    })
}
