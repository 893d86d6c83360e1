//! STS: who am I, role sessions (by key and by web identity), session tokens,
//! federation tokens and access key lookups. Credentials look like AWS's and expire
//! on the sandbox's clock.

use awslab_policy::Principal;

use crate::auth::Caller;
use crate::auth::web_identity::{self, ISSUER_HOST, TokenError};
use crate::ids;
use crate::services::iam::{account, mfa};
use crate::services::{
    ApiError, Check, Input, Operation, ResourcePolicy, Shape, managed, timestamp,
};
use crate::services::{CommonError, StsError};
use crate::state::World;
use crate::state::world::{Session, SessionKind};

/// The STS operation named `action`.
/// Every STS operation the sandbox serves.
#[cfg(test)]
pub fn operations() -> &'static [Operation] {
    OPERATIONS
}

/// Operations that are called without a signature.
pub const UNSIGNED: &[&str] = &["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"];

pub(crate) const OPERATIONS: &[Operation] = &[
    super::sts_messages::DECODE_AUTHORIZATION_MESSAGE,
    Operation {
        name: "GetCallerIdentity",
        mutates: false,
        checks: |_, _, _| Ok(vec![Check::new("sts:GetCallerIdentity", "*")]),
        run: get_caller_identity,
    },
    Operation {
        name: "AssumeRole",
        mutates: true,
        checks: assume_role_checks,
        run: assume_role,
    },
    Operation {
        name: "AssumeRoleWithWebIdentity",
        mutates: true,
        checks: web_identity_checks,
        run: assume_role_with_web_identity,
    },
    Operation {
        name: "GetSessionToken",
        mutates: true,
        checks: |_, _, _| Ok(vec![Check::new("sts:GetSessionToken", "*")]),
        run: get_session_token,
    },
    Operation {
        name: "GetFederationToken",
        mutates: true,
        checks: |input, _, caller| {
            Ok(vec![Check::new(
                "sts:GetFederationToken",
                format!(
                    "arn:aws:sts::{}:federated-user/{}",
                    caller.account,
                    input.required("Name")?
                ),
            )])
        },
        run: get_federation_token,
    },
    Operation {
        name: "GetAccessKeyInfo",
        mutates: false,
        checks: |_, _, _| Ok(vec![Check::new("sts:GetAccessKeyInfo", "*")]),
        run: get_access_key_info,
    },
    super::sts_saml::OPERATION,
];

#[expect(clippy::unnecessary_wraps, reason = "the signature of every operation")]
fn get_caller_identity(_: &Input, _: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    Ok(Shape::new()
        .text("UserId", &caller.principal.user_id)
        .text("Account", &caller.account)
        .text("Arn", &caller.principal.arn))
}

/// `(account, lowercased role name)` of a role ARN.
pub(super) fn role_of(arn: &str) -> Result<(String, String), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", "aws", "iam", "", account, resource] if resource.starts_with("role/") => {
            let name = resource.rsplit('/').next().unwrap_or_default();
            Ok(((*account).to_owned(), name.to_ascii_lowercase()))
        }
        _ => Err(ApiError::validation(format!("{arn} is invalid"))),
    }
}

fn check_session_name(input: &Input) -> Result<String, ApiError> {
    let name = input.required("RoleSessionName")?;
    let valid = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !(2..=64).contains(&name.len()) || !valid {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )));
    }
    Ok(name.to_owned())
}

fn duration(input: &Input, default: i64, max: i64) -> Result<i64, ApiError> {
    let seconds = input.integer("DurationSeconds")?.unwrap_or(default);
    if seconds < 900 {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
        )));
    }
    if seconds > max {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to {max}"
        )));
    }
    Ok(seconds)
}

fn assume_role_checks(
    input: &Input,
    world: &World,
    caller: &Caller,
) -> Result<Vec<Check>, ApiError> {
    let arn = input.required("RoleArn")?;
    let (account, role) = role_of(arn)?;
    let tags = session_tags(input, caller)?;
    let source = source_identity(input, caller)?;
    let mfa = mfa::authenticate(input, world, caller)?;
    let check = |action: &str| -> Result<Check, ApiError> {
        let mut check = Check::new(action, arn);
        check.resource_account = Some(account.clone());
        check.resource_policy = ResourcePolicy::Trust {
            account: account.clone(),
            role: role.clone(),
        };
        check = check.key("sts:RoleSessionName", input.required("RoleSessionName")?);
        if let Some(external) = input.get("ExternalId") {
            check = check.key("sts:ExternalId", external);
        }
        if let Some(source) = &source {
            check = check.key("sts:SourceIdentity", source.as_str());
        }
        if mfa {
            // MFA given to `AssumeRole` itself is in its request context.
            check = check
                .key("aws:MultiFactorAuthPresent", true)
                .key("aws:MultiFactorAuthAge", "0");
        }
        for (key, value) in &tags.tags {
            check = check.key(&format!("aws:RequestTag/{key}"), value.as_str());
        }
        for (key, _) in &tags.tags {
            check = check.key("aws:TagKeys", key.as_str());
        }
        for key in &tags.transitive {
            check = check.key("sts:TransitiveTagKeys", key.as_str());
        }
        Ok(check)
    };
    let mut checks = vec![check("sts:AssumeRole")?];
    // AWS documents both: passing session tags needs `sts:TagSession`, setting a source
    // identity `sts:SetSourceIdentity`, each allowed by the role's trust policy.
    if !tags.tags.is_empty() {
        checks.push(check("sts:TagSession")?);
    }
    if source.is_some() {
        checks.push(check("sts:SetSourceIdentity")?);
    }
    Ok(checks)
}

/// The session tags of a new role session: the request's `Tags` and the transitive tags
/// of the calling role session, and which of them are transitive.
struct SessionTags {
    tags: Vec<(String, String)>,
    transitive: Vec<String>,
}

fn tag_key_valid(key: &str) -> bool {
    (1..=128).contains(&key.chars().count())
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// `Tags` and `TransitiveTagKeys`, checked as STS checks them, with the calling
/// session's transitive tags (which a request may not set again).
fn session_tags(input: &Input, caller: &Caller) -> Result<SessionTags, ApiError> {
    let requested = input.pairs("Tags", "Key", "Value");
    let requested_transitive: Vec<String> = input
        .list("TransitiveTagKeys")
        .into_iter()
        .map(str::to_owned)
        .collect();
    if requested.len() > 50 {
        return Err(ApiError::validation(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
        ));
    }
    for (key, value) in &requested {
        if !tag_key_valid(key) {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{key}' at 'tags.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]+ and have length between 1 and 128"
            )));
        }
        if value.chars().count() > 256 {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value at 'tags.member.value' of tag '{key}' failed to satisfy constraint: Member must have length less than or equal to 256"
            )));
        }
    }
    let mut tags: Vec<(String, String)> = Vec::new();
    let mut transitive: Vec<String> = Vec::new();
    if let Some(session) = caller
        .session
        .as_ref()
        .filter(|session| session.kind == SessionKind::AssumedRole)
    {
        for key in &session.transitive_tag_keys {
            if let Some(tag) = session.tags.iter().find(|(kept, _)| kept == key) {
                tags.push(tag.clone());
                transitive.push(key.clone());
            }
        }
    }
    for (key, value) in requested {
        if tags.iter().any(|(kept, _)| kept.eq_ignore_ascii_case(&key)) {
            let inherited = transitive
                .iter()
                .any(|kept| kept.eq_ignore_ascii_case(&key));
            return Err(ApiError::of(
                CommonError::InvalidParameterValue,
                if inherited {
                    format!(
                        "The session tag `{key}` is a transitive tag of the calling session and cannot be set again"
                    )
                } else {
                    "Duplicate tag keys found. Please note that Tag keys are case insensitive."
                        .to_owned()
                },
            ));
        }
        tags.push((key, value));
    }
    for key in requested_transitive {
        if !tags.iter().any(|(kept, _)| *kept == key) {
            return Err(ApiError::of(
                CommonError::InvalidParameterValue,
                format!(
                    "The transitive tag key `{key}` is not one of the session tags passed in `Tags`"
                ),
            ));
        }
        if !transitive.contains(&key) {
            transitive.push(key);
        }
    }
    Ok(SessionTags { tags, transitive })
}

/// The source identity of a new role session: the request's `SourceIdentity`, or the
/// one of the calling role session, which a chain keeps and may not change.
fn source_identity(input: &Input, caller: &Caller) -> Result<Option<String>, ApiError> {
    let inherited = caller
        .session
        .as_ref()
        .and_then(|session| session.source_identity.clone());
    let Some(requested) = input.get("SourceIdentity") else {
        return Ok(inherited);
    };
    let valid = requested
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !(2..=64).contains(&requested.len()) || !valid {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{requested}' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64"
        )));
    }
    if requested.to_ascii_lowercase().starts_with("aws:") {
        return Err(ApiError::validation(
            "The source identity cannot begin with the prefix 'aws:'",
        ));
    }
    match inherited {
        Some(kept) if kept != requested => Err(ApiError::validation(format!(
            "The source identity of the calling session is `{kept}`; a role session chain keeps its source identity and cannot change it"
        ))),
        _ => Ok(Some(requested.to_owned())),
    }
}

/// Session policies: the inline `Policy` and the documents of `PolicyArns`.
fn session_policies(
    input: &Input,
    world: &World,
    account_id: &str,
) -> Result<Option<Vec<String>>, ApiError> {
    let mut texts = Vec::new();
    if let Some(policy) = input.get("Policy") {
        if let Err(errors) =
            awslab_policy::PolicyDocument::parse_as(policy, awslab_policy::PolicyKind::Session)
        {
            let first = errors.first().map_or_else(String::new, ToString::to_string);
            return Err(ApiError::of(StsError::MalformedPolicyDocument, first));
        }
        texts.push(policy.to_owned());
    }
    for arn in input
        .structs("PolicyArns")
        .into_iter()
        .take(10)
        .map_while(|item| item.get("arn"))
    {
        let document = world
            .account(account_id)
            .and_then(|account| account.policies.get(arn))
            .and_then(|policy| policy.versions.get(&policy.default_version).cloned())
            .or_else(|| managed::find(arn).map(|policy| policy.document.to_owned()))
            .ok_or_else(|| {
                ApiError::validation(format!("Policy {arn} does not exist or is not attachable."))
            })?;
        texts.push(document);
    }
    Ok((!texts.is_empty()).then_some(texts))
}

fn credentials(session: &Session) -> Shape {
    Shape::new()
        .text("AccessKeyId", &session.id)
        .text("SecretAccessKey", &session.secret)
        .text("SessionToken", &session.token)
        .text("Expiration", timestamp(session.expires))
}

fn new_session(kind: SessionKind, account: &str, now: i64, seconds: i64) -> Session {
    Session {
        id: ids::temporary_key_id(),
        secret: ids::secret(),
        token: ids::session_token(),
        kind,
        account: account.to_owned(),
        arn: String::new(),
        user_id: String::new(),
        role: None,
        user: None,
        session_policies: None,
        issued: now,
        expires: now + seconds,
        chained: false,
        mfa: false,
        source_identity: None,
        tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
    }
}

/// Starts a session of the role `arn` (checked by the trust policy already).
pub(super) fn start_role_session(
    input: &Input,
    world: &mut World,
    arn: &str,
    chained: bool,
    denied_as: &str,
    source_identity: Option<String>,
) -> Result<(Session, Shape), ApiError> {
    let session_name = check_session_name(input)?;
    let (account_id, role_key) = role_of(arn)?;
    let denied = || {
        ApiError::access_denied(format!(
            "User: {denied_as} is not authorized to perform: sts:AssumeRole on resource: {arn}"
        ))
    };
    let role = world
        .account(&account_id)
        .and_then(|account| account.roles.get(&role_key))
        .ok_or_else(denied)?;
    let max = if chained {
        3600
    } else {
        role.max_session_duration
    };
    let seconds = duration(input, 3600, 43200)?;
    if seconds > max {
        return Err(ApiError::validation(if chained {
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.".to_owned()
        } else {
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                .to_owned()
        }));
    }
    if let Some(external) = input.get("ExternalId")
        && !(2..=1224).contains(&external.len())
    {
        return Err(ApiError::validation(
            "1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2",
        ));
    }
    let policies = session_policies(input, world, &account_id)?;
    let mut session = new_session(SessionKind::AssumedRole, &account_id, world.now(), seconds);
    session.arn = format!(
        "arn:aws:sts::{account_id}:assumed-role/{}/{session_name}",
        role.name
    );
    session.user_id = format!("{}:{session_name}", role.id);
    session.role = Some(role_key);
    session.session_policies = policies;
    session.chained = chained;
    session.source_identity = source_identity;
    let shape = Shape::new()
        .child("Credentials", credentials(&session))
        .child(
            "AssumedRoleUser",
            Shape::new()
                .text("AssumedRoleId", &session.user_id)
                .text("Arn", &session.arn),
        )
        .maybe("SourceIdentity", session.source_identity.as_ref());
    Ok((session, shape))
}

fn assume_role(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let arn = input.required("RoleArn")?;
    let chained = caller.session_kind() == Some(SessionKind::AssumedRole);
    let tags = session_tags(input, caller)?;
    let source = source_identity(input, caller)?;
    // MFA given now, or carried by the calling session's credentials.
    let mfa = mfa::authenticate(input, world, caller)? || caller.mfa;
    let (mut session, shape) =
        start_role_session(input, world, arn, chained, &caller.principal.arn, source)?;
    session.tags = tags.tags;
    session.transitive_tag_keys = tags.transitive;
    session.mfa = mfa;
    keep_session(world, session);
    Ok(shape)
}

/// The provider and claims of a web identity token, checked against the role's account.
fn web_identity(input: &Input, world: &World) -> Result<(String, web_identity::Claims), ApiError> {
    let token = input.required("WebIdentityToken")?;
    let claims = web_identity::verify(&world.issuer_secret, token, world.now()).map_err(|error| match error {
        TokenError::Expired => ApiError::of(StsError::ExpiredTokenException, "Token expired"),
        TokenError::Invalid => ApiError::of(StsError::InvalidIdentityToken, "The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity token from the identity provider and then retry the request."),
    })?;
    let (account_id, _) = role_of(input.required("RoleArn")?)?;
    let arn = format!("arn:aws:iam::{account_id}:oidc-provider/{ISSUER_HOST}");
    let provider = world
        .account(&account_id)
        .and_then(|account| account.oidc_providers.get(&arn))
        .ok_or_else(|| {
            ApiError::of(
                StsError::InvalidIdentityToken,
                format!(
                    "No OpenIDConnect provider found in your account for https://{ISSUER_HOST}"
                ),
            )
        })?;
    if !provider.client_ids.contains(&claims.aud) {
        return Err(ApiError::of(
            StsError::InvalidIdentityToken,
            "Incorrect token audience",
        ));
    }
    Ok((arn, claims))
}

fn web_identity_checks(input: &Input, world: &World, _: &Caller) -> Result<Vec<Check>, ApiError> {
    let arn = input.required("RoleArn")?;
    let (provider, claims) = web_identity(input, world)?;
    let (account, role) = role_of(arn)?;
    let mut check = Check::new("sts:AssumeRoleWithWebIdentity", arn)
        .key(&format!("{ISSUER_HOST}:sub"), claims.sub.as_str())
        .key(&format!("{ISSUER_HOST}:aud"), claims.aud.as_str())
        .key("sts:RoleSessionName", input.required("RoleSessionName")?);
    check.resource_account = Some(account.clone());
    check.resource_policy = ResourcePolicy::Trust { account, role };
    check.acting_as = Some(Principal::web_identity(&provider));
    Ok(vec![check])
}

fn assume_role_with_web_identity(
    input: &Input,
    world: &mut World,
    _: &Caller,
) -> Result<Shape, ApiError> {
    let arn = input.required("RoleArn")?;
    let (provider, claims) = web_identity(input, world)?;
    let (session, shape) = start_role_session(input, world, arn, false, &provider, None)?;
    keep_session(world, session);
    Ok(shape
        .text("SubjectFromWebIdentityToken", &claims.sub)
        .text("Audience", &claims.aud)
        .text("Provider", &provider))
}

fn get_session_token(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let user_key = caller.user.clone().ok_or_else(|| {
        ApiError::access_denied("Cannot call GetSessionToken with session credentials")
    })?;
    let seconds = duration(input, 43200, 129_600)?;
    let mfa = mfa::authenticate(input, world, caller)?;
    let user = account(world, caller)?
        .users
        .get(&user_key)
        .ok_or_else(|| ApiError::access_denied("The user no longer exists"))?;
    let mut session = new_session(
        SessionKind::SessionToken,
        &caller.account,
        world.now(),
        seconds,
    );
    session.arn.clone_from(&user.arn);
    session.user_id.clone_from(&user.id);
    session.user = Some(user_key);
    session.mfa = mfa;
    let shape = Shape::new().child("Credentials", credentials(&session));
    keep_session(world, session);
    Ok(shape)
}

fn get_federation_token(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let user_key = caller
        .user
        .clone()
        .filter(|_| caller.session.is_none())
        .ok_or_else(|| {
            ApiError::access_denied("Cannot call GetFederationToken with session credentials")
        })?;
    let name = input.required("Name")?;
    let valid = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !(2..=32).contains(&name.len()) || !valid {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 32"
        )));
    }
    let seconds = duration(input, 43200, 129_600)?;
    let policies = session_policies(input, world, &caller.account)?;
    let mut session = new_session(
        SessionKind::Federated,
        &caller.account,
        world.now(),
        seconds,
    );
    session.arn = format!("arn:aws:sts::{}:federated-user/{name}", caller.account);
    session.user_id = format!("{}:{name}", caller.account);
    session.user = Some(user_key);
    session.session_policies = Some(policies.unwrap_or_default());
    let shape = Shape::new()
        .child("Credentials", credentials(&session))
        .child(
            "FederatedUser",
            Shape::new()
                .text("FederatedUserId", &session.user_id)
                .text("Arn", &session.arn),
        );
    keep_session(world, session);
    Ok(shape)
}

fn get_access_key_info(input: &Input, world: &mut World, _: &Caller) -> Result<Shape, ApiError> {
    let id = input.required("AccessKeyId")?;
    let account = world
        .access_keys
        .get(id)
        .map(|key| key.account.clone())
        .or_else(|| {
            world
                .sessions
                .get(id)
                .map(|session| session.account.clone())
        })
        .ok_or_else(|| {
            ApiError::of(
                CommonError::InvalidParameterValue,
                format!("The access key {id} was not found"),
            )
        })?;
    Ok(Shape::new().text("Account", account))
}

/// How long an expired session is remembered (to answer `ExpiredToken`, as AWS does,
/// not `InvalidClientTokenId`) before it is forgotten: 36 hours, the longest session
/// `GetSessionToken` gives. AWS answers `ExpiredToken` for an expired token however
/// old; the sandbox keeps no session for ever, so after this it answers
/// `InvalidClientTokenId`.
pub(crate) const EXPIRED_KEPT_SECONDS: i64 = 36 * 3600;

/// Keeps a new session and forgets sessions expired for more than 36 hours, so the
/// world does not grow with every call (the durable store deletes their rows).
pub(super) fn keep_session(world: &mut World, session: Session) {
    let horizon = world.now() - EXPIRED_KEPT_SECONDS;
    world.sessions.retain(|_, kept| kept.expires > horizon);
    world.sessions.insert(session.id.clone(), session);
}
