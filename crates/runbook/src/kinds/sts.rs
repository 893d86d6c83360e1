//! STS step kinds as aws CLI commands: each captures the temporary credentials into
//! the step's variables (`STEP_ACCESS_KEY_ID`, `STEP_SECRET_ACCESS_KEY`,
//! `STEP_SESSION_TOKEN`), so later commands act as it (`as_identity STEP`). Nothing to
//! undo: credentials expire. Web identity tokens and SAML responses come from `awslab
//! sandbox token`/`saml` on the sandbox; the notes say what to use on a real account.

use awslab_planner::Step;
use awslab_planner::kinds::{
    StsAssumeRole, StsAssumeRoleWithSaml, StsAssumeRoleWithWebIdentity, StsGetFederationToken,
    StsGetSessionToken,
};
use awslab_planner::values::Document;

use crate::cx::{Cx, Line, Parts, capture};
use crate::model::{Capture, Command};
use crate::words::{Word, var_name};

/// The credential captures, then `extra` (`query`, output field) pairs.
fn credentials(step: &Step, extra: &[(&str, &str)]) -> Vec<Capture> {
    let mut out = vec![
        capture(step, "access_key_id", "Credentials.AccessKeyId"),
        capture(step, "secret_access_key", "Credentials.SecretAccessKey"),
        capture(step, "session_token", "Credentials.SessionToken"),
        capture(step, "expiration", "Credentials.Expiration"),
    ];
    out.extend(
        extra
            .iter()
            .map(|(field, query)| capture(step, field, query)),
    );
    out
}

fn duration(
    line: Line,
    duration: Option<&awslab_planner::yaml::Sp<awslab_planner::values::Duration>>,
) -> Line {
    match duration {
        Some(d) => line.arg(
            "--duration-seconds",
            &Word::text(d.value.seconds().to_string()),
        ),
        None => line,
    }
}

fn session_policy(
    cx: &mut Cx<'_>,
    step: &Step,
    line: Line,
    policy: Option<&Document>,
    commands: &mut Vec<Command>,
) -> Line {
    match policy {
        Some(document) => {
            let doc = cx.document(&format!("{}-session", step.id), document, commands);
            line.arg("--policy", &doc)
        }
        None => line,
    }
}

fn policy_arns(cx: &mut Cx<'_>, line: Line, arns: &[awslab_planner::values::Text]) -> Line {
    let words: Vec<Word> = arns
        .iter()
        .map(|a| Word::text("arn=").then(cx.word(&a.value)))
        .collect();
    line.list("--policy-arns", &words)
}

/// `--serial-number` and `--token-code` of the step's MFA device, if any.
fn mfa(
    cx: &Cx<'_>,
    line: Line,
    device: Option<&awslab_planner::values::IdentityName>,
    parts: &mut Parts,
) -> String {
    let Some(device) = device else {
        return line.text();
    };
    let serial = var_name(&[device.value.as_str(), "serial_number"]);
    parts.notes.push(format!(
        "`totp` gives the current code of the device `{}`; on a real account, type the code your authenticator app shows (AWS accepts each code once).",
        device.value
    ));
    let _ = cx;
    format!(
        "{} --token-code \"$(totp \"$WORK/{}.seed\" 0)\"",
        line.arg("--serial-number", &Word::var(serial)).text(),
        device.value
    )
}

/// A command line (text) with its captures, as [`Line::capture`] makes them.
fn captured(text: &str, captures: Vec<Capture>) -> Command {
    Line::program(&[text]).capture(captures)
}

fn wait(step: &Step) -> Command {
    Command {
        line: format!("wait_for_credentials {}", var_name(&[step.id.as_str()])),
        captures: Vec::new(),
        marks: None,
    }
}

pub(crate) fn assume_role(cx: &mut Cx<'_>, step: &Step, k: &StsAssumeRole) -> Parts {
    let mut parts = Parts::default();
    let identity = Cx::identity(k.identity.as_ref());
    let mut line = Line::aws(identity.as_deref(), "sts", "assume-role")
        .arg("--role-arn", &cx.word(&k.role_arn.value))
        .arg("--role-session-name", &cx.word(&k.session_name.value));
    line = duration(line, k.duration.as_ref());
    if let Some(external) = &k.external_id {
        line = line.arg("--external-id", &cx.word(&external.value));
    }
    line = session_policy(cx, step, line, k.policy.as_ref(), &mut parts.commands);
    line = policy_arns(cx, line, &k.policy_arns);
    let tags: Vec<Word> = k
        .tags
        .iter()
        .map(|(key, value)| Word::text(format!("Key={key},Value=")).then(cx.word(&value.value)))
        .collect();
    line = line.list("--tags", &tags);
    let transitive: Vec<Word> = k
        .transitive_tag_keys
        .iter()
        .map(|t| cx.word(&t.value))
        .collect();
    line = line.list("--transitive-tag-keys", &transitive);
    if let Some(source) = &k.source_identity {
        line = line.arg("--source-identity", &cx.word(&source.value));
    }
    let text = mfa(cx, line, k.mfa.as_ref(), &mut parts);
    parts.commands.push(captured(
        &text,
        credentials(
            step,
            &[
                ("arn", "AssumedRoleUser.Arn"),
                ("assumed_role_id", "AssumedRoleUser.AssumedRoleId"),
            ],
        ),
    ));
    parts.commands.push(wait(step));
    parts
}

pub(crate) fn get_session_token(cx: &mut Cx<'_>, step: &Step, k: &StsGetSessionToken) -> Parts {
    let mut parts = Parts::default();
    let identity = Cx::identity(k.identity.as_ref());
    let line = duration(
        Line::aws(identity.as_deref(), "sts", "get-session-token"),
        k.duration.as_ref(),
    );
    let text = mfa(cx, line, k.mfa.as_ref(), &mut parts);
    parts.commands.push(captured(&text, credentials(step, &[])));
    parts.commands.push(wait(step));
    parts
}

pub(crate) fn get_federation_token(
    cx: &mut Cx<'_>,
    step: &Step,
    k: &StsGetFederationToken,
) -> Parts {
    let mut parts = Parts::default();
    let identity = Cx::identity(k.identity.as_ref());
    let mut line = Line::aws(identity.as_deref(), "sts", "get-federation-token")
        .arg("--name", &cx.word(&k.name.value));
    line = duration(line, k.duration.as_ref());
    line = session_policy(cx, step, line, k.policy.as_ref(), &mut parts.commands);
    line = policy_arns(cx, line, &k.policy_arns);
    parts.commands.push(line.capture(credentials(
        step,
        &[
            ("arn", "FederatedUser.Arn"),
            ("federated_user_id", "FederatedUser.FederatedUserId"),
        ],
    )));
    parts.commands.push(wait(step));
    parts
}

pub(crate) fn web_identity(
    cx: &mut Cx<'_>,
    step: &Step,
    k: &StsAssumeRoleWithWebIdentity,
) -> Parts {
    let mut parts = Parts::default();
    let token_var = var_name(&[step.id.as_str(), "token"]);
    let token = if let Some(minted) = &k.sandbox_token {
        let sub = cx.word(&minted.subject.value);
        let aud = cx.word(&minted.audience.value);
        parts.commands.push(Command {
            line: format!(
                "{token_var}=$({})",
                Line::program(&["\"$AWSLAB\"", "sandbox", "token"])
                    .arg("--sub", &sub)
                    .arg("--aud", &aud)
                    .text()
            ),
            captures: vec![Capture {
                var: token_var.clone(),
                query: String::new(),
                secret: true,
            }],
            marks: None,
        });
        parts.notes.push(
            "On the sandbox, `awslab sandbox token` mints the OIDC token; on a real account, use a token your identity provider issued for the provider's audience (a CI job's `ACTIONS_ID_TOKEN`, for one).".into(),
        );
        Word::var(token_var)
    } else if let Some(file) = &k.token_file {
        let path = cx.sealed.base_dir().join(&file.value);
        let path = std::path::absolute(&path).unwrap_or(path);
        Word::text(format!("file://{}", path.display()))
    } else {
        k.token
            .as_ref()
            .map(|t| cx.word(&t.value))
            .unwrap_or_default()
    };
    let mut line = Line::aws(None, "sts", "assume-role-with-web-identity")
        .arg("--role-arn", &cx.word(&k.role_arn.value))
        .arg("--role-session-name", &cx.word(&k.session_name.value))
        .arg("--web-identity-token", &token);
    if let Some(provider) = &k.provider_id {
        line = line.arg("--provider-id", &cx.word(&provider.value));
    }
    line = duration(line, k.duration.as_ref());
    line = session_policy(cx, step, line, k.policy.as_ref(), &mut parts.commands);
    parts.commands.push(line.capture(credentials(
        step,
        &[
            ("arn", "AssumedRoleUser.Arn"),
            ("assumed_role_id", "AssumedRoleUser.AssumedRoleId"),
            ("subject", "SubjectFromWebIdentityToken"),
        ],
    )));
    parts.commands.push(wait(step));
    parts
}

pub(crate) fn saml(cx: &mut Cx<'_>, step: &Step, k: &StsAssumeRoleWithSaml) -> Parts {
    let mut parts = Parts::default();
    let role = cx.word(&k.role_arn.value);
    let provider = cx.word(&k.provider_arn.value);
    let assertion_var = var_name(&[step.id.as_str(), "assertion"]);
    let assertion = if let Some(minted) = &k.sandbox_assertion {
        let mut line = Line::program(&["\"$AWSLAB\"", "sandbox", "saml"])
            .arg("--subject", &cx.word(&minted.subject.value))
            .arg("--role", &role)
            .arg("--provider", &provider);
        if let Some(session) = &minted.session_name {
            line = line.arg("--session-name", &cx.word(&session.value));
        }
        parts.commands.push(Command {
            line: format!("{assertion_var}=$({})", line.text()),
            captures: vec![Capture {
                var: assertion_var.clone(),
                query: String::new(),
                secret: true,
            }],
            marks: None,
        });
        parts.notes.push(
            "On the sandbox, `awslab sandbox saml` signs the SAML response; on a real account, sign in at your identity provider and take the base64 `SAMLResponse` it posts to https://signin.aws.amazon.com/saml.".into(),
        );
        Word::var(assertion_var)
    } else if let Some(file) = &k.assertion_file {
        let path = cx.sealed.base_dir().join(&file.value);
        let path = std::path::absolute(&path).unwrap_or(path);
        Word::text(format!("file://{}", path.display()))
    } else {
        k.assertion
            .as_ref()
            .map(|t| cx.word(&t.value))
            .unwrap_or_default()
    };
    let mut line = Line::aws(None, "sts", "assume-role-with-saml")
        .arg("--role-arn", &role)
        .arg("--principal-arn", &provider)
        .arg("--saml-assertion", &assertion);
    line = duration(line, k.duration.as_ref());
    line = session_policy(cx, step, line, k.policy.as_ref(), &mut parts.commands);
    parts.commands.push(line.capture(credentials(
        step,
        &[
            ("arn", "AssumedRoleUser.Arn"),
            ("assumed_role_id", "AssumedRoleUser.AssumedRoleId"),
            ("subject", "Subject"),
        ],
    )));
    parts.commands.push(wait(step));
    parts
}
