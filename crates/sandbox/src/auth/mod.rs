//! Who is calling: `SigV4` verification ([`sigv4`]) and the lookup of the access key to
//! its principal ([`authenticate`]); then the one authorization decision per check
//! ([`authorize`]). Nothing else in the sandbox decides access.

pub mod authorize;
pub mod sigv4;
pub mod web_identity;

use awslab_policy::Principal;
use sha2::Digest as _;

use crate::state::World;
use crate::state::world::{Session, SessionKind};
use crate::wire::HttpRequest;

pub use crate::model::Caller;
pub use crate::model::auth::{ALLOWED_SKEW_SECONDS, AuthError};

/// Authenticates `request` with its signature already parsed by [`sigv4::parse`] and its
/// body already hashed by [`sigv4::body_sha256`] (both before the world is locked).
pub fn authenticate(
    world: &World,
    request: &HttpRequest,
    signature: &sigv4::Signature,
    body_sha256: &str,
    host_now: i64,
) -> Result<Caller, AuthError> {
    let now = world.now();
    let (secret, caller) = if signature.access_key_id.starts_with("ASIA") {
        let session = world
            .sessions
            .get(&signature.access_key_id)
            .ok_or(AuthError::UnknownKey)?;
        match &signature.session_token {
            None => return Err(AuthError::MissingToken),
            Some(token) if *token != session.token => return Err(AuthError::WrongToken),
            Some(_) => {}
        }
        if now >= session.expires {
            return Err(AuthError::Expired);
        }
        (session.secret.clone(), session_caller(world, session))
    } else {
        let key = world
            .access_keys
            .get(&signature.access_key_id)
            // A key made under a propagation delay is unknown until it takes effect.
            .filter(|key| {
                key.active && (key.effective_at_ms == 0 || world.now_ms() >= key.effective_at_ms)
            })
            .ok_or(AuthError::UnknownKey)?;
        let user = world
            .account(&key.account)
            .and_then(|account| account.users.get(&key.user))
            .ok_or(AuthError::UnknownKey)?;
        let mut principal = Principal::user(&key.account, &user.name);
        principal.arn.clone_from(&user.arn);
        principal.user_id.clone_from(&user.id);
        principal.tags = user.tags.iter().cloned().collect();
        let caller = Caller {
            principal,
            account: key.account.clone(),
            user: Some(key.user.clone()),
            role: None,
            session: None,
            access_key_id: None,
            mfa: false,
        };
        (key.secret.clone(), caller)
    };
    let signed = sigv4::parse_amz_date(&signature.amz_date)
        .ok_or_else(|| AuthError::Malformed("X-Amz-Date is missing or malformed".to_owned()))?;
    match signature.expires {
        Some(expires) if host_now > signed + expires => return Err(AuthError::RequestExpired),
        None if (host_now - signed).abs() > ALLOWED_SKEW_SECONDS => {
            return Err(AuthError::Skewed {
                signed,
                now: host_now,
            });
        }
        Some(_) | None => {}
    }
    let declared = request.header("x-amz-content-sha256");
    let declared = match declared {
        Some(declared) => declared.to_owned(),
        // The hash of the body as received: checked by the signature itself.
        None => sigv4::payload_hash(request, signature, body_sha256),
    };
    let expected = sigv4::expected(request, signature, &secret, &declared);
    if expected != signature.signature {
        return Err(AuthError::Mismatch);
    }
    if request.header("x-amz-content-sha256").is_some()
        && declared.len() == 64
        && declared.bytes().all(|byte| byte.is_ascii_hexdigit())
        && !declared.eq_ignore_ascii_case(body_sha256)
    {
        return Err(AuthError::PayloadMismatch);
    }
    if declared.starts_with("STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
        verify_chunks(request, signature, &secret)?;
    }
    let mut caller = caller;
    caller.access_key_id = Some(signature.access_key_id.clone());
    Ok(caller)
}

/// Checks the chain of chunk signatures of a signed aws-chunked body (the trailer's
/// own signature, in the `-TRAILER` mode, is not checked).
fn verify_chunks(
    request: &HttpRequest,
    signature: &sigv4::Signature,
    secret: &str,
) -> Result<(), AuthError> {
    let key = sigv4::signing_key(secret, signature);
    let scope = format!(
        "{}/{}/{}/aws4_request",
        signature.date, signature.region, signature.service
    );
    // A spooled body kept each chunk's hash as it arrived.
    let chunks: Vec<(String, [u8; 32])> = match &request.spooled {
        Some(spooled) => spooled.chunks.clone().ok_or(AuthError::Mismatch)?,
        None => crate::wire::chunked::signed_chunks(&request.body)
            .ok_or(AuthError::Mismatch)?
            .into_iter()
            .map(|(claimed, data)| (claimed, sha2::Sha256::digest(data).into()))
            .collect(),
    };
    let mut previous = signature.signature.clone();
    for (claimed, data_sha256) in chunks {
        let expected = sigv4::chunk_signature_of_hash(
            &key,
            &signature.amz_date,
            &scope,
            &previous,
            &data_sha256,
        );
        if expected != claimed {
            return Err(AuthError::Mismatch);
        }
        previous = expected;
    }
    Ok(())
}

fn session_caller(world: &World, session: &Session) -> Caller {
    let mut principal = Principal::from_arn(&session.arn).unwrap_or_else(Principal::anonymous);
    principal.user_id.clone_from(&session.user_id);
    let account = world.account(&session.account);
    if let (Some(role), Some(account)) = (&session.role, account)
        && let Some(role) = account.roles.get(role)
    {
        principal.source_arn = Some(role.arn.clone());
        principal.tags = role.tags.iter().cloned().collect();
    }
    if let (Some(user), Some(account)) = (&session.user, account)
        && let Some(user) = account.users.get(user)
    {
        if session.kind == SessionKind::Federated {
            principal.source_arn = Some(user.arn.clone());
        }
        principal.tags = user.tags.iter().cloned().collect();
    }
    // Session tags override the role's (or user's) tags with the same key.
    for (key, value) in &session.tags {
        principal
            .tags
            .retain(|kept, _| !kept.eq_ignore_ascii_case(key));
        principal.tags.insert(key.clone(), value.clone());
    }
    Caller {
        principal,
        account: session.account.clone(),
        user: session.user.clone(),
        role: session.role.clone(),
        session: Some(session.clone()),
        access_key_id: None,
        mfa: session.mfa,
    }
}
