//! The sandbox's own OIDC issuer: it mints web identity tokens for labs
//! (`awslab sandbox token`) as compact JWTs signed with HMAC-SHA256 under the world's
//! issuer secret, and verifies them for `AssumeRoleWithWebIdentity`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::sigv4::hmac;

/// The issuer host; IAM OIDC providers name it without the scheme.
pub const ISSUER_HOST: &str = "oidc.awslab.localhost";

/// The claims of a sandbox token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Mints a token for `sub` and `aud`, valid for `lifetime` seconds from `now`.
pub fn mint(secret: &str, sub: &str, aud: &str, now: i64, lifetime: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT","kid":"awslab-sandbox"}"#);
    let claims = Claims {
        iss: format!("https://{ISSUER_HOST}"),
        sub: sub.to_owned(),
        aud: aud.to_owned(),
        iat: now,
        exp: now + lifetime,
    };
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
    let signed = format!("{header}.{body}");
    let signature = URL_SAFE_NO_PAD.encode(hmac(secret.as_bytes(), signed.as_bytes()));
    format!("{signed}.{signature}")
}

/// Why a token was refused (`InvalidIdentityToken` / `ExpiredTokenException`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
}

/// Verifies a token minted by [`mint`] with `secret` at time `now`.
pub fn verify(secret: &str, token: &str, now: i64) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(body), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Invalid);
    };
    let expected = URL_SAFE_NO_PAD.encode(hmac(
        secret.as_bytes(),
        format!("{header}.{body}").as_bytes(),
    ));
    if expected != signature {
        return Err(TokenError::Invalid);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| TokenError::Invalid)?;
    let claims: Claims = serde_json::from_slice(&bytes).map_err(|_| TokenError::Invalid)?;
    if now >= claims.exp {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::{TokenError, mint, verify};

    #[test]
    fn verifies_its_own_tokens_and_refuses_others() {
        let token = mint("secret", "student", "lab", 1000, 600);
        let claims = verify("secret", &token, 1100).map_err(|_| "refused");
        assert_eq!(claims.map(|claims| claims.sub), Ok("student".to_owned()));
        assert_eq!(verify("other", &token, 1100), Err(TokenError::Invalid));
        assert_eq!(verify("secret", &token, 1600), Err(TokenError::Expired));
        assert_eq!(verify("secret", "a.b", 1100), Err(TokenError::Invalid));
    }
}
