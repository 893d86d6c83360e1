//! `awslab doctor oidc`: whether a web identity token (a CI job's OIDC token) may
//! assume a role, explained the way AWS decides `AssumeRoleWithWebIdentity`: the
//! token's claims (decoded, not verified), its expiry, the account's IAM OIDC provider
//! for its issuer and that provider's audiences, then the role's trust policy
//! (`iam:GetRole` on the target) evaluated by crates/policy with the context keys AWS
//! sets from the token (`<issuer>:sub`, `:aud`, `:oaud`, `:amr`), naming each failing
//! condition and the value the token gave. The token itself is never printed.

use std::fmt::Write as _;
use std::path::Path;

use awslab_executor::doctor::{self as probe, Reach, RoleError};
use awslab_policy::{
    Context, EvaluationInput, NamedPolicy, PolicyDocument, PolicyKind, Principal, Request, Verdict,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::connect;
use super::doctor::{Level, Line};
use crate::cli::doctor::OidcArgs;
use crate::exit::{Failure, Status};

/// The largest token file read (AWS takes tokens up to 20,000 characters).
const MAX_TOKEN_FILE_BYTES: u64 = 64 * 1024;
/// AWS's limit on `WebIdentityToken`.
const MAX_TOKEN_CHARS: usize = 20_000;

/// A web identity token's claims, decoded without checking the signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The signature algorithm the header names (`RS256`...).
    pub algorithm: String,
    pub chars: usize,
    pub claims: serde_json::Map<String, Value>,
}

impl Token {
    fn text(&self, claim: &str) -> Option<&str> {
        self.claims.get(claim).and_then(Value::as_str)
    }

    /// A claim that is a string or a list of strings, as a list.
    fn texts(&self, claim: &str) -> Vec<String> {
        match self.claims.get(claim) {
            Some(Value::String(text)) => vec![text.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn number(&self, claim: &str) -> Option<i64> {
        self.claims.get(claim).and_then(Value::as_i64)
    }

    /// The issuer as IAM names it: the `iss` URL without `https://` and a final `/`.
    pub fn issuer_host(&self) -> Option<String> {
        let iss = self.text("iss")?;
        let host = iss.strip_prefix("https://").unwrap_or(iss);
        let host = host.strip_suffix('/').unwrap_or(host);
        (!host.is_empty()).then(|| host.to_owned())
    }

    /// The condition keys AWS sets from the token for `AssumeRoleWithWebIdentity`.
    pub fn context_keys(&self, issuer: &str) -> Vec<(String, Vec<String>)> {
        let mut keys = Vec::new();
        let audiences = self.texts("aud");
        if let Some(sub) = self.text("sub") {
            keys.push((format!("{issuer}:sub"), vec![sub.to_owned()]));
        }
        match self.text("azp") {
            Some(azp) => {
                keys.push((format!("{issuer}:aud"), vec![azp.to_owned()]));
                if !audiences.is_empty() {
                    keys.push((format!("{issuer}:oaud"), audiences));
                }
            }
            None if !audiences.is_empty() => keys.push((format!("{issuer}:aud"), audiences)),
            None => {}
        }
        let amr = self.texts("amr");
        if !amr.is_empty() {
            keys.push((format!("{issuer}:amr"), amr));
        }
        keys
    }
}

/// Decodes a compact JWS's header and claims; says what is wrong otherwise.
pub fn decode(text: &str) -> Result<Token, String> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars > MAX_TOKEN_CHARS {
        return Err(format!(
            "the token has {chars} characters and AWS takes at most {MAX_TOKEN_CHARS}"
        ));
    }
    let parts: Vec<&str> = text.split('.').collect();
    match parts.len() {
        3 => {}
        5 => {
            return Err(
                "it is an encrypted token (JWE); AWS takes signed ID tokens (JWS) only".to_owned(),
            );
        }
        n => {
            return Err(format!(
                "it is not a JSON web token: it has {n} part{} separated by `.`, a JWT has 3 (header.claims.signature)",
                if n == 1 { "" } else { "s" }
            ));
        }
    }
    let json = |part: &str, what: &str| -> Result<serde_json::Map<String, Value>, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .map_err(|_| format!("its {what} is not base64url"))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(format!("its {what} is not a JSON object")),
        }
    };
    let header = json(parts[0], "header")?;
    let claims = json(parts[1], "claims part")?;
    Ok(Token {
        algorithm: header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("no `alg`")
            .to_owned(),
        chars,
        claims,
    })
}

fn read_token(path: &Path) -> Result<Token, Failure> {
    let invalid = |message: String| {
        Failure::new(Status::Invalid, message).hint(
            "give the file the job's ID token: in GitHub Actions, the `value` of a request to ACTIONS_ID_TOKEN_REQUEST_URL with `&audience=sts.amazonaws.com`; on the sandbox, `awslab sandbox token --sub S --aud A > token.jwt`",
        )
    };
    let size = std::fs::metadata(path)
        .map_err(|error| invalid(format!("cannot read `{}`: {error}", path.display())))?
        .len();
    if size > MAX_TOKEN_FILE_BYTES {
        return Err(invalid(format!(
            "`{}` is {size} bytes: too large for a token (AWS takes at most {MAX_TOKEN_CHARS} characters)",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|error| invalid(format!("cannot read `{}`: {error}", path.display())))?;
    decode(&text).map_err(|reason| invalid(format!("`{}`: {reason}", path.display())))
}

pub fn oidc(args: &OidcArgs) -> Result<Status, Failure> {
    let Some(role_name) = probe::role_name(&args.role_arn) else {
        return Err(Failure::new(
            Status::Invalid,
            format!("`{}` is not a role ARN", args.role_arn),
        )
        .hint("write it as `arn:aws:iam::ACCOUNT:role/NAME` (`aws iam get-role --role-name NAME` shows it)"));
    };
    let account = args
        .role_arn
        .split(':')
        .nth(4)
        .unwrap_or_default()
        .to_owned();
    let token = read_token(&args.token_file)?;
    let runtime = super::up::runtime()?;
    let (lines, status) = runtime.block_on(check(args, role_name, &account, &token))?;
    for line in &lines {
        print!("{}", line.render());
    }
    Ok(status)
}

/// The time tokens are judged at: the sandbox's clock on the sandbox (`sandbox clock
/// advance` ages tokens), else this machine's.
fn now(connection: &connect::Connection) -> i64 {
    connection
        .sandbox
        .as_deref()
        .and_then(|dir| awslab_sandbox::Sandbox::open(dir).ok())
        .and_then(|sandbox| sandbox.clock().ok())
        .map_or_else(
            || time::OffsetDateTime::now_utc().unix_timestamp(),
            |(now, _)| now,
        )
}

fn when(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| seconds.to_string())
}

fn span(seconds: i64) -> String {
    humantime::format_duration(std::time::Duration::from_secs(seconds.unsigned_abs())).to_string()
}

async fn check(
    args: &OidcArgs,
    role_name: &str,
    account: &str,
    token: &Token,
) -> Result<(Vec<Line>, Status), Failure> {
    let connection = connect::connect(&args.target, None, None).await?;
    println!("target: {}{}", connection.describe(), connection.env_note());
    let mut lines = vec![Line::new(
        Level::Ok,
        "token",
        format!(
            "a JWT of {} characters signed with {}; its claims are decoded, its signature is not checked (AWS checks it against the issuer's keys)",
            token.chars, token.algorithm
        ),
    )];
    let Some(issuer) = token.issuer_host() else {
        lines.push(
            Line::new(Level::Fail, "issuer", "the token has no `iss` claim")
                .todo("AWS answers InvalidIdentityToken: an ID token must name its issuer"),
        );
        return Ok((lines, Status::StepFailed));
    };
    let provider_arn = format!("arn:aws:iam::{account}:oidc-provider/{issuer}");
    lines.push(Line::new(
        Level::Ok,
        "issuer",
        format!("`https://{issuer}`: IAM's provider for it is `{provider_arn}`"),
    ));
    lines.push(claims_line(token));
    lines.push(expiry_line(token, now(&connection)));

    match probe::oidc_client_ids(&connection.operator, &provider_arn).await {
        Ok(client_ids) => lines.push(audience_line(token, &client_ids)),
        Err(error) => {
            if let Some(status) = unreachable(&error) {
                lines.push(call_line("OIDC provider", &error));
                return Ok((lines, status));
            }
            lines.push(provider_missing_line(&error, &issuer));
        }
    }

    let trust_text = match probe::trust_policy(&connection.operator, &args.role_arn).await {
        Ok(text) => text,
        Err(error) => {
            let status = unreachable(&error).unwrap_or(Status::StepFailed);
            lines.push(call_line("role", &error));
            return Ok((lines, status));
        }
    };
    let trust = match PolicyDocument::parse_as(&trust_text, PolicyKind::Trust) {
        Ok(trust) => trust,
        Err(errors) => {
            let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
            lines.push(Line::new(
                Level::Fail,
                "trust policy",
                format!(
                    "`{role_name}`'s trust policy cannot be read: {}",
                    reasons.join("; ")
                ),
            ));
            return Ok((lines, Status::StepFailed));
        }
    };
    lines.push(federated_line(&trust_text, &provider_arn));
    let (decided, detail) = evaluate(args, &trust, &trust_text, &provider_arn, &issuer, token);
    lines.extend(decided);
    let failed = lines.iter().any(|line| line.level == Level::Fail);
    lines.push(Line::detail(detail));
    Ok((
        lines,
        if failed {
            Status::StepFailed
        } else {
            Status::Success
        },
    ))
}

/// The claims AWS reads, shown (they name a repository and branch, never a secret).
fn claims_line(token: &Token) -> Line {
    let mut shown = Vec::new();
    for claim in ["sub", "aud", "azp", "amr"] {
        let values = token.texts(claim);
        if !values.is_empty() {
            shown.push(format!("{claim} = `{}`", values.join("`, `")));
        }
    }
    if shown.is_empty() {
        return Line::new(
            Level::Fail,
            "claims",
            "the token has no `sub` or `aud` claim",
        )
        .todo("AWS answers InvalidIdentityToken: an ID token needs `sub` and `aud`");
    }
    Line::new(Level::Ok, "claims", shown.join(", "))
}

fn expiry_line(token: &Token, now: i64) -> Line {
    let Some(exp) = token.number("exp") else {
        return Line::new(Level::Fail, "expiry", "the token has no `exp` claim")
            .todo("AWS answers InvalidIdentityToken: an ID token must say when it expires");
    };
    if exp <= now {
        return Line::new(
            Level::Fail,
            "expiry",
            format!("the token expired at {} ({} ago)", when(exp), span(now - exp)),
        )
        .todo(format!(
            "AWS answers ExpiredTokenException (\"Token expired: current date/time {now} must be before the expiration date/time {exp}\"): get a fresh token; GitHub's expire after minutes, so request it in the step that assumes the role"
        ));
    }
    if let Some(nbf) = token.number("nbf").filter(|nbf| *nbf > now) {
        return Line::new(
            Level::Warn,
            "expiry",
            format!("the token is valid only from {} (in {})", when(nbf), span(nbf - now)),
        )
        .todo("a clock difference between the issuer and this machine; AWS refuses a token before its `nbf`");
    }
    Line::new(
        Level::Ok,
        "expiry",
        format!("valid until {} ({} from now)", when(exp), span(exp - now)),
    )
}

fn audience_line(token: &Token, client_ids: &[String]) -> Line {
    // AWS matches the `azp` claim when present, else `aud`, against the client ids.
    let audiences = token
        .text("azp")
        .map_or_else(|| token.texts("aud"), |azp| vec![azp.to_owned()]);
    let listed = format!("`{}`", client_ids.join("`, `"));
    if audiences.iter().any(|aud| client_ids.contains(aud)) {
        Line::new(
            Level::Ok,
            "OIDC provider",
            format!("exists; its audiences {listed} include the token's"),
        )
    } else {
        Line::new(
            Level::Fail,
            "OIDC provider",
            format!(
                "exists, and its audiences {listed} do not include the token's `{}`",
                audiences.join("`, `")
            ),
        )
        .todo("AWS answers InvalidIdentityToken (\"Incorrect token audience\"): add the audience to the provider (`aws iam add-client-id-to-open-id-connect-provider`), or request the token for one it lists (configure-aws-credentials asks for `sts.amazonaws.com`)")
    }
}

fn provider_missing_line(error: &RoleError, issuer: &str) -> Line {
    match error {
        RoleError::Call {
            reach: Reach::Failed { code },
            ..
        } if code == "NoSuchEntity" => Line::new(
            Level::Fail,
            "OIDC provider",
            format!("the role's account has no IAM OIDC provider for `https://{issuer}`"),
        )
        .todo(format!(
            "AWS answers InvalidIdentityToken (\"No OpenIDConnect provider found in your account for https://{issuer}\"): create it (`aws iam create-open-id-connect-provider --url https://{issuer} --client-id-list sts.amazonaws.com`)"
        )),
        other => Line::new(
            Level::Warn,
            "OIDC provider",
            format!("cannot be read, so its audiences are not checked: {other}"),
        )
        .todo("give the operator iam:GetOpenIDConnectProvider to check it"),
    }
}

/// The status of a call that did not reach the target or whose credentials were refused.
fn unreachable(error: &RoleError) -> Option<Status> {
    match error {
        RoleError::Call {
            reach: Reach::Unreachable { .. } | Reach::Refused { .. },
            ..
        } => Some(Status::Unreachable),
        _ => None,
    }
}

fn call_line(check: &'static str, error: &RoleError) -> Line {
    let todo = match error {
        RoleError::Call {
            reach: Reach::Failed { code },
            ..
        } if code == "NoSuchEntity" => {
            "the role does not exist in this account: check the ARN (AWS answers AccessDenied for a role it cannot find)"
        }
        RoleError::Call {
            reach: Reach::Denied { .. },
            ..
        } => {
            "doctor reads the trust policy as the operator: give it iam:GetRole, or run where it has it"
        }
        RoleError::Call {
            reach: Reach::Unreachable { .. },
            ..
        } => "is the target reachable? `awslab doctor` checks it",
        RoleError::Call {
            reach: Reach::Refused { .. },
            ..
        } => "the operator's credentials are refused: `awslab doctor` checks them",
        _ => "-v shows the SDK's answer",
    };
    Line::new(Level::Fail, check, error.to_string()).todo(todo)
}

/// The federated principals the trust policy names, and whether the token's provider
/// is one of them.
fn federated_line(trust_text: &str, provider_arn: &str) -> Line {
    let mut named = Vec::new();
    if let Ok(document) = serde_json::from_str::<Value>(trust_text) {
        let statements = match &document["Statement"] {
            Value::Array(items) => items.clone(),
            single @ Value::Object(_) => vec![single.clone()],
            _ => Vec::new(),
        };
        for statement in statements {
            match &statement["Principal"]["Federated"] {
                Value::String(arn) => named.push(arn.clone()),
                Value::Array(arns) => {
                    named.extend(arns.iter().filter_map(|a| a.as_str().map(str::to_owned)));
                }
                _ => {}
            }
        }
    }
    if named.iter().any(|arn| arn == provider_arn) {
        Line::new(
            Level::Ok,
            "trusted issuer",
            format!("the trust policy names `{provider_arn}`"),
        )
    } else if named.is_empty() {
        Line::new(
            Level::Fail,
            "trusted issuer",
            "the trust policy names no federated principal",
        )
        .todo(format!("add `\"Principal\": {{\"Federated\": \"{provider_arn}\"}}` to the statement that allows sts:AssumeRoleWithWebIdentity"))
    } else {
        Line::new(
            Level::Fail,
            "trusted issuer",
            format!(
                "the trust policy names `{}`, not the token's issuer `{provider_arn}`",
                named.join("`, `")
            ),
        )
        .todo("trust the token's issuer, or use a token from the issuer the role trusts")
    }
}

/// The decision, with the failing conditions named and the values the token gave.
fn evaluate(
    args: &OidcArgs,
    trust: &PolicyDocument,
    trust_text: &str,
    provider_arn: &str,
    issuer: &str,
    token: &Token,
) -> (Vec<Line>, String) {
    let mut context = Context::new();
    for (key, values) in token.context_keys(issuer) {
        for value in values {
            context.insert(&key, value.as_str());
        }
    }
    context.insert("sts:RoleSessionName", args.session_name.as_str());
    let mut request = Request::new(
        Principal::web_identity(provider_arn),
        "sts:AssumeRoleWithWebIdentity",
        &args.role_arn,
    );
    request.context = context;
    let name = args.role_arn.clone();
    let input = EvaluationInput {
        resource_policy: Some(NamedPolicy::new(&name, trust)),
        ..Default::default()
    };
    let explanation = awslab_policy::explain(&input, &request);
    let mut lines = Vec::new();
    for failing in failing_conditions(&explanation) {
        lines.push(failing);
    }
    let custom = custom_claim_keys(trust_text, issuer);
    if !custom.is_empty() {
        lines.push(
            Line::new(
                Level::Warn,
                "claims AWS ignores",
                format!(
                    "the trust policy tests `{}`, which AWS never sets (only `:sub`, `:aud`, `:oaud`, `:amr` come from the token)",
                    custom.join("`, `")
                ),
            )
            .todo("test `:sub` instead (GitHub's names the repository, and the branch or environment)"),
        );
    }
    let mut detail = String::from("How the trust policy decided:\n");
    for line in explanation.policies_text().lines() {
        let _ = writeln!(detail, "  {line}");
    }
    if explanation.decision == Verdict::Allowed {
        lines.push(Line::new(
            Level::Ok,
            "trust policy",
            "allows sts:AssumeRoleWithWebIdentity for this token",
        ));
    } else {
        lines.push(
            Line::new(
                Level::Fail,
                "trust policy",
                format!(
                    "{}: AWS answers AccessDenied (\"Not authorized to perform sts:AssumeRoleWithWebIdentity\")",
                    explanation.decision.label()
                ),
            ),
        );
    }
    (lines, detail)
}

/// A line for each condition that failed in an `Allow` statement whose action and
/// principal matched: the operator, key, wanted values, and the token's.
fn failing_conditions(explanation: &awslab_policy::Explanation) -> Vec<Line> {
    let mut lines = Vec::new();
    for policy in &explanation.policies {
        for statement in &policy.statements {
            let candidate = statement.effect == awslab_policy::Effect::Allow
                && statement.action.matched
                && statement
                    .principal
                    .as_ref()
                    .is_none_or(|check| check.matched);
            if !candidate {
                continue;
            }
            for condition in statement.conditions.iter().filter(|c| !c.matched) {
                let wanted = format!("`{}`", condition.values.join("`, `"));
                let saw = condition.request_values.as_ref().map_or_else(
                    || "the token gives no such key".to_owned(),
                    |values| format!("the token gives `{}`", values.join("`, `")),
                );
                lines.push(
                    Line::new(
                        Level::Fail,
                        "condition",
                        format!(
                            "statement {} `{}` `{}` wants {wanted}; {saw}",
                            statement.index, condition.operator, condition.key
                        ),
                    )
                    .todo(condition_advice(&condition.key)),
                );
            }
        }
    }
    lines
}

fn condition_advice(key: &str) -> String {
    let claim = key.rsplit(':').next().unwrap_or(key);
    match claim {
        "sub" => "the job's subject differs: GitHub's is `repo:ORG/REPO:ref:refs/heads/BRANCH` (or `:environment:NAME`, `:pull_request`); widen the condition (`StringLike` with `*`) or run from the branch it names".to_owned(),
        "aud" => "the token's audience differs: request it for the audience the condition names (configure-aws-credentials uses `sts.amazonaws.com`)".to_owned(),
        "amr" => "the token's authentication methods (`amr`) differ from the condition's".to_owned(),
        _ => format!("give the request `{key}` as the condition wants, or change the condition"),
    }
}

/// Condition keys of the token's issuer that AWS does not set (custom claims).
fn custom_claim_keys(trust_text: &str, issuer: &str) -> Vec<String> {
    let prefix = format!("{}:", issuer.to_ascii_lowercase());
    let known = ["sub", "aud", "oaud", "amr", "email"];
    let mut custom: Vec<String> = Vec::new();
    let mut keys = Vec::new();
    if let Ok(document) = serde_json::from_str::<Value>(trust_text) {
        collect_condition_keys(&document, &mut keys);
    }
    for key in keys {
        let lower = key.to_ascii_lowercase();
        if let Some(claim) = lower.strip_prefix(&prefix)
            && !known.contains(&claim)
            && !custom.contains(&key)
        {
            custom.push(key);
        }
    }
    custom
}

fn collect_condition_keys(value: &Value, keys: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (name, inner) in map {
                if name == "Condition"
                    && let Value::Object(operators) = inner
                {
                    for block in operators.values() {
                        if let Value::Object(entries) = block {
                            keys.extend(entries.keys().cloned());
                        }
                    }
                } else {
                    collect_condition_keys(inner, keys);
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_condition_keys(item, keys)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{header}.{body}.c2lnbmF0dXJl")
    }

    #[test]
    fn decodes_github_shaped_claims_into_the_keys_aws_sets() {
        let token = decode(&jwt(&serde_json::json!({
            "iss": "https://token.actions.githubusercontent.com",
            "sub": "repo:octo-org/octo-repo:ref:refs/heads/main",
            "aud": "sts.amazonaws.com",
            "exp": 2_000_000_000,
        })))
        .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(token.algorithm, "RS256");
        let issuer = token.issuer_host().unwrap_or_default();
        assert_eq!(issuer, "token.actions.githubusercontent.com");
        assert_eq!(
            token.context_keys(&issuer),
            vec![
                (
                    "token.actions.githubusercontent.com:sub".to_owned(),
                    vec!["repo:octo-org/octo-repo:ref:refs/heads/main".to_owned()]
                ),
                (
                    "token.actions.githubusercontent.com:aud".to_owned(),
                    vec!["sts.amazonaws.com".to_owned()]
                ),
            ]
        );
    }

    #[test]
    fn azp_is_the_audience_and_aud_the_other_audiences() {
        let token = decode(&jwt(&serde_json::json!({
            "iss": "https://accounts.google.com/", "sub": "1", "azp": "web-app",
            "aud": ["a", "b"], "amr": ["pwd", "mfa"], "exp": 1,
        })))
        .unwrap_or_else(|error| panic!("{error}"));
        let keys = token.context_keys("accounts.google.com");
        assert_eq!(
            keys[1],
            (
                "accounts.google.com:aud".to_owned(),
                vec!["web-app".to_owned()]
            )
        );
        assert_eq!(
            keys[2],
            (
                "accounts.google.com:oaud".to_owned(),
                vec!["a".to_owned(), "b".to_owned()]
            )
        );
        assert_eq!(keys[3].1, vec!["pwd".to_owned(), "mfa".to_owned()]);
    }

    #[test]
    fn refuses_what_is_not_a_signed_jwt_without_echoing_it() {
        for (text, expected) in [
            ("not-a-token", "has 1 part"),
            ("a.b.c.d.e", "encrypted token (JWE)"),
            ("!!.e30.sig", "header is not base64url"),
            ("e30.WzFd.sig", "claims part is not a JSON object"),
        ] {
            let error = decode(text).err().unwrap_or_default();
            assert!(error.contains(expected), "{text}: {error}");
            assert!(!error.contains(text) || text.len() < 3, "{error}");
        }
        let long = format!("{}.e30.sig", "a".repeat(MAX_TOKEN_CHARS));
        assert!(
            decode(&long)
                .err()
                .unwrap_or_default()
                .contains("at most 20000")
        );
    }

    #[test]
    fn an_expired_token_says_what_aws_answers() {
        let token = decode(&jwt(
            &serde_json::json!({"iss": "https://i", "sub": "s", "aud": "a", "exp": 100}),
        ))
        .unwrap_or_else(|error| panic!("{error}"));
        let line = expiry_line(&token, 160);
        assert_eq!(line.level, Level::Fail);
        assert!(
            line.render().contains("ExpiredTokenException"),
            "{}",
            line.render()
        );
        assert!(line.render().contains("1m ago"), "{}", line.render());
        assert_eq!(expiry_line(&token, 50).level, Level::Ok);
    }

    #[test]
    fn condition_keys_of_custom_claims_are_flagged() {
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity",
              "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
              "Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com",
                "token.actions.githubusercontent.com:repository":"o/r"}}}]}"#;
        assert_eq!(
            custom_claim_keys(trust, "token.actions.githubusercontent.com"),
            vec!["token.actions.githubusercontent.com:repository".to_owned()]
        );
    }
}
