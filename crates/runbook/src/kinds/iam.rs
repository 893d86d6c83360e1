//! IAM step kinds as aws CLI commands: users and their keys, groups, roles, policies,
//! trust-policy updates, identity providers and virtual MFA devices, each with the
//! commands that undo it.

use awslab_planner::kinds::{
    IamAccessKey, IamGroup, IamGroupMembership, IamGroupPolicy, IamOidcProvider, IamPolicy,
    IamRole, IamRolePolicy, IamRolePolicyAttachment, IamSamlProvider, IamTrustPolicy, IamUser,
    IamUserPolicy, IamUserPolicyAttachment, IamVirtualMfaDevice,
};
use awslab_planner::{Step, StepId, StepKind};

use crate::cx::{Cx, Line, Parts, capture, undo};
use crate::model::Command;
use crate::words::{Word, var_name};

/// `create-access-key` for `user`, captured as the step's credentials, then a wait
/// until IAM accepts the new key.
fn new_key(step: &Step, user: &Word, parts: &mut Parts) -> String {
    let prefix = var_name(&[step.id.as_str()]);
    let key = capture(step, "access_key_id", "AccessKey.AccessKeyId");
    let guard = key.var.clone();
    parts.commands.push(
        Line::aws(None, "iam", "create-access-key")
            .arg("--user-name", user)
            .capture(vec![
                key,
                capture(step, "secret_access_key", "AccessKey.SecretAccessKey"),
            ]),
    );
    parts.commands.push(Command {
        line: format!("wait_for_credentials {prefix}"),
        captures: Vec::new(),
        marks: None,
    });
    parts.undo.push(undo(
        step,
        &Line::aws(None, "iam", "delete-access-key")
            .arg("--user-name", user)
            .arg("--access-key-id", &Word::var(guard.clone())),
        &guard,
    ));
    guard
}

pub(crate) fn user(cx: &mut Cx<'_>, step: &Step, k: &IamUser) -> Parts {
    let mut parts = Parts::default();
    let name = cx.word(&k.name.value);
    let mut line = Line::aws(None, "iam", "create-user").arg("--user-name", &name);
    if let Some(path) = &k.path {
        line = line.arg("--path", &cx.word(&path.value));
    }
    if let Some(boundary) = &k.permissions_boundary {
        line = line.arg("--permissions-boundary", &cx.word(&boundary.value));
    }
    let tags = super::tags(cx, &k.tags);
    let arn = capture(step, "arn", "User.Arn");
    let guard = arn.var.clone();
    parts.commands.push(
        line.list("--tags", &tags)
            .capture(vec![arn, capture(step, "user_id", "User.UserId")]),
    );
    let mut undo_user = vec![undo(
        step,
        &Line::aws(None, "iam", "delete-user").arg("--user-name", &name),
        &guard,
    )];
    if k.access_key {
        new_key(step, &name, &mut parts);
    }
    parts.undo.append(&mut undo_user);
    parts
}

pub(crate) fn access_key(cx: &mut Cx<'_>, step: &Step, k: &IamAccessKey) -> Parts {
    let mut parts = Parts::default();
    let user = cx.word(&k.user.value);
    new_key(step, &user, &mut parts);
    parts
}

/// An inline policy (`put-ENTITY-policy`) and its `delete-ENTITY-policy`.
#[expect(
    clippy::too_many_arguments,
    reason = "user, group and role policies alike"
)]
fn inline_policy(
    cx: &mut Cx<'_>,
    step: &Step,
    entity: &str,
    target: &Word,
    name: &Word,
    document: &awslab_planner::values::Document,
    file_name: &str,
    parts: &mut Parts,
) {
    let doc = cx.document(file_name, document, &mut parts.commands);
    let mark = cx.mark(step);
    parts.commands.push(
        Line::aws(None, "iam", &format!("put-{entity}-policy"))
            .arg(&format!("--{entity}-name"), target)
            .arg("--policy-name", name)
            .arg("--policy-document", &doc)
            .marking(mark.clone()),
    );
    parts.undo.push(undo(
        step,
        &Line::aws(None, "iam", &format!("delete-{entity}-policy"))
            .arg(&format!("--{entity}-name"), target)
            .arg("--policy-name", name),
        &mark,
    ));
}

/// A managed policy attached (`attach-ENTITY-policy`) and its detach.
fn attachment(
    cx: &mut Cx<'_>,
    step: &Step,
    entity: &str,
    target: &Word,
    arn: &Word,
    parts: &mut Parts,
) {
    let mark = cx.mark(step);
    parts.commands.push(
        Line::aws(None, "iam", &format!("attach-{entity}-policy"))
            .arg(&format!("--{entity}-name"), target)
            .arg("--policy-arn", arn)
            .marking(mark.clone()),
    );
    parts.undo.push(undo(
        step,
        &Line::aws(None, "iam", &format!("detach-{entity}-policy"))
            .arg(&format!("--{entity}-name"), target)
            .arg("--policy-arn", arn),
        &mark,
    ));
}

pub(crate) fn user_policy(cx: &mut Cx<'_>, step: &Step, k: &IamUserPolicy) -> Parts {
    let mut parts = Parts::default();
    let (user, name) = (cx.word(&k.user.value), cx.word(&k.name.value));
    inline_policy(
        cx,
        step,
        "user",
        &user,
        &name,
        &k.document,
        step.id.as_str(),
        &mut parts,
    );
    parts
}

pub(crate) fn user_policy_attachment(
    cx: &mut Cx<'_>,
    step: &Step,
    k: &IamUserPolicyAttachment,
) -> Parts {
    let mut parts = Parts::default();
    let (user, arn) = (cx.word(&k.user.value), cx.word(&k.policy_arn.value));
    attachment(cx, step, "user", &user, &arn, &mut parts);
    parts
}

pub(crate) fn group(cx: &mut Cx<'_>, step: &Step, k: &IamGroup) -> Parts {
    let mut parts = Parts::default();
    let name = cx.word(&k.name.value);
    let mut line = Line::aws(None, "iam", "create-group").arg("--group-name", &name);
    if let Some(path) = &k.path {
        line = line.arg("--path", &cx.word(&path.value));
    }
    let arn = capture(step, "arn", "Group.Arn");
    let guard = arn.var.clone();
    parts
        .commands
        .push(line.capture(vec![arn, capture(step, "group_id", "Group.GroupId")]));
    parts.undo.push(undo(
        step,
        &Line::aws(None, "iam", "delete-group").arg("--group-name", &name),
        &guard,
    ));
    parts
}

pub(crate) fn group_policy(cx: &mut Cx<'_>, step: &Step, k: &IamGroupPolicy) -> Parts {
    let mut parts = Parts::default();
    let (group, name) = (cx.word(&k.group.value), cx.word(&k.name.value));
    inline_policy(
        cx,
        step,
        "group",
        &group,
        &name,
        &k.document,
        step.id.as_str(),
        &mut parts,
    );
    parts
}

pub(crate) fn group_membership(cx: &mut Cx<'_>, step: &Step, k: &IamGroupMembership) -> Parts {
    let mut parts = Parts::default();
    let (group, user) = (cx.word(&k.group.value), cx.word(&k.user.value));
    let mark = cx.mark(step);
    parts.commands.push(
        Line::aws(None, "iam", "add-user-to-group")
            .arg("--group-name", &group)
            .arg("--user-name", &user)
            .marking(mark.clone()),
    );
    parts.undo.push(undo(
        step,
        &Line::aws(None, "iam", "remove-user-from-group")
            .arg("--group-name", &group)
            .arg("--user-name", &user),
        &mark,
    ));
    parts
}

pub(crate) fn role(cx: &mut Cx<'_>, step: &Step, k: &IamRole) -> Parts {
    let mut parts = Parts::default();
    let name = cx.word(&k.name.value);
    let trust = cx.document(
        &format!("{}-trust", step.id),
        &k.trust_policy,
        &mut parts.commands,
    );
    let mut line = Line::aws(None, "iam", "create-role")
        .arg("--role-name", &name)
        .arg("--assume-role-policy-document", &trust);
    if let Some(max) = &k.max_session_duration {
        line = line.arg(
            "--max-session-duration",
            &Word::text(max.value.seconds().to_string()),
        );
    }
    if let Some(description) = &k.description {
        line = line.arg("--description", &cx.word(&description.value));
    }
    if let Some(path) = &k.path {
        line = line.arg("--path", &cx.word(&path.value));
    }
    if let Some(boundary) = &k.permissions_boundary {
        line = line.arg("--permissions-boundary", &cx.word(&boundary.value));
    }
    let tags = super::tags(cx, &k.tags);
    let arn = capture(step, "arn", "Role.Arn");
    let guard = arn.var.clone();
    parts.commands.push(
        line.list("--tags", &tags)
            .capture(vec![arn, capture(step, "role_id", "Role.RoleId")]),
    );
    let mut own_undo = Vec::new();
    for (policy, document) in &k.policies {
        let policy_name = Word::text(policy.clone());
        let file = format!("{}-{policy}", step.id);
        inline_policy(
            cx,
            step,
            "role",
            &name,
            &policy_name,
            document,
            &file,
            &mut parts,
        );
    }
    for arn in &k.managed_policies {
        let arn = cx.word(&arn.value);
        attachment(cx, step, "role", &name, &arn, &mut parts);
    }
    // The role's own policies go first (they were put after it), then the role.
    own_undo.append(&mut parts.undo);
    own_undo.reverse();
    own_undo.push(undo(
        step,
        &Line::aws(None, "iam", "delete-role").arg("--role-name", &name),
        &guard,
    ));
    parts.undo = own_undo;
    parts
}

pub(crate) fn role_policy(cx: &mut Cx<'_>, step: &Step, k: &IamRolePolicy) -> Parts {
    let mut parts = Parts::default();
    let (role, name) = (cx.word(&k.role.value), cx.word(&k.name.value));
    inline_policy(
        cx,
        step,
        "role",
        &role,
        &name,
        &k.document,
        step.id.as_str(),
        &mut parts,
    );
    parts
}

pub(crate) fn role_policy_attachment(
    cx: &mut Cx<'_>,
    step: &Step,
    k: &IamRolePolicyAttachment,
) -> Parts {
    let mut parts = Parts::default();
    let (role, arn) = (cx.word(&k.role.value), cx.word(&k.policy_arn.value));
    attachment(cx, step, "role", &role, &arn, &mut parts);
    parts
}

pub(crate) fn policy(cx: &mut Cx<'_>, step: &Step, k: &IamPolicy) -> Parts {
    let mut parts = Parts::default();
    let name = cx.word(&k.name.value);
    let doc = cx.document(step.id.as_str(), &k.document, &mut parts.commands);
    let mut line = Line::aws(None, "iam", "create-policy")
        .arg("--policy-name", &name)
        .arg("--policy-document", &doc);
    if let Some(description) = &k.description {
        line = line.arg("--description", &cx.word(&description.value));
    }
    if let Some(path) = &k.path {
        line = line.arg("--path", &cx.word(&path.value));
    }
    let arn = capture(step, "arn", "Policy.Arn");
    let guard = arn.var.clone();
    parts.commands.push(line.capture(vec![arn]));
    parts.undo.push(undo(
        step,
        &Line::aws(None, "iam", "delete-policy").arg("--policy-arn", &Word::var(guard.clone())),
        &guard,
    ));
    parts
}

/// True when `role` (a role's name as written) names a role this plan creates.
fn role_made_by_plan(cx: &Cx<'_>, role: &str) -> bool {
    let Ok(template) = awslab_planner::template::Template::parse(role) else {
        return false;
    };
    template
        .references()
        .any(|(reference, _, _)| match reference {
            awslab_planner::template::Reference::Step { step, .. } => cx
                .sealed
                .step(&StepId::new(step.clone()))
                .is_some_and(|s| matches!(s.kind, StepKind::IamRole(_))),
            _ => false,
        })
}

pub(crate) fn trust_policy(cx: &mut Cx<'_>, step: &Step, k: &IamTrustPolicy) -> Parts {
    let mut parts = Parts::default();
    let role = cx.word(&k.role.value);
    let made = role_made_by_plan(cx, &k.role.value);
    let previous = capture(step, "previous", "Role.AssumeRolePolicyDocument");
    let previous_var = previous.var.clone();
    if !made {
        // Keep the trust policy it replaces, to put it back on cleanup.
        let line = Line::aws(None, "iam", "get-role").arg("--role-name", &role);
        parts.commands.push(Command {
            line: format!(
                "{previous_var}=$({} --query Role.AssumeRolePolicyDocument --output json)",
                line.text()
            ),
            captures: vec![previous],
            marks: None,
        });
    }
    let doc = cx.document(step.id.as_str(), &k.document, &mut parts.commands);
    let mark = cx.mark(step);
    parts.commands.push(
        Line::aws(None, "iam", "update-assume-role-policy")
            .arg("--role-name", &role)
            .arg("--policy-document", &doc)
            .marking(mark.clone()),
    );
    if made {
        parts
            .notes
            .push("The lab deletes the role, so cleanup does not restore its trust policy.".into());
    } else {
        parts.undo.push(undo(
            step,
            &Line::aws(None, "iam", "update-assume-role-policy")
                .arg("--role-name", &role)
                .arg("--policy-document", &Word::var(previous_var)),
            &mark,
        ));
    }
    parts
}

pub(crate) fn oidc_provider(cx: &mut Cx<'_>, step: &Step, k: &IamOidcProvider) -> Parts {
    let mut parts = Parts::default();
    let url = cx.word(&k.url.value);
    let clients: Vec<Word> = k.client_id_list.iter().map(|c| cx.word(&c.value)).collect();
    let thumbprints: Vec<Word> = k.thumbprints.iter().map(|c| cx.word(&c.value)).collect();
    let tags = super::tags(cx, &k.tags);
    let arn = capture(step, "arn", "OpenIDConnectProviderArn");
    let guard = arn.var.clone();
    parts.commands.push(
        Line::aws(None, "iam", "create-open-id-connect-provider")
            .arg("--url", &url)
            .list("--client-id-list", &clients)
            .list("--thumbprint-list", &thumbprints)
            .list("--tags", &tags)
            .capture(vec![arn]),
    );
    parts.undo.push(undo(
        step,
        &Line::aws(None, "iam", "delete-open-id-connect-provider")
            .arg("--open-id-connect-provider-arn", &Word::var(guard.clone())),
        &guard,
    ));
    parts
}

pub(crate) fn saml_provider(cx: &mut Cx<'_>, step: &Step, k: &IamSamlProvider) -> Parts {
    let mut parts = Parts::default();
    let name = cx.word(&k.name.value);
    let metadata = if k.sandbox_metadata {
        let path = format!("$WORK/{}-metadata.xml", step.id);
        parts.commands.push(Command {
            line: format!("\"$AWSLAB\" sandbox saml --metadata > \"{path}\""),
            captures: Vec::new(),
            marks: None,
        });
        parts.notes.push(
            "On the sandbox, `awslab sandbox saml --metadata` gives its identity provider's metadata; on a real account, download your identity provider's SAML metadata instead.".into(),
        );
        Word::text("file://")
            .then(Word::var("WORK"))
            .then(Word::text(format!("/{}-metadata.xml", step.id)))
    } else if let Some(file) = &k.metadata_file {
        let text =
            std::fs::read_to_string(cx.sealed.base_dir().join(&file.value)).unwrap_or_default();
        let path = format!(
            "files/{}",
            file.value.rsplit('/').next().unwrap_or(&file.value)
        );
        cx.add_file(&path, text);
        Word::text(format!("file://{path}"))
    } else {
        let text = k
            .metadata
            .as_ref()
            .map(|m| m.value.clone())
            .unwrap_or_default();
        let word = cx.word(&text);
        cx.file_arg(
            &format!("files/{}-metadata.xml", step.id),
            &word,
            &mut parts.commands,
        )
    };
    let tags = super::tags(cx, &k.tags);
    let arn = capture(step, "arn", "SAMLProviderArn");
    let guard = arn.var.clone();
    parts.commands.push(
        Line::aws(None, "iam", "create-saml-provider")
            .arg("--name", &name)
            .arg("--saml-metadata-document", &metadata)
            .list("--tags", &tags)
            .capture(vec![arn]),
    );
    parts.undo.push(undo(
        step,
        &Line::aws(None, "iam", "delete-saml-provider")
            .arg("--saml-provider-arn", &Word::var(guard.clone())),
        &guard,
    ));
    parts
}

pub(crate) fn virtual_mfa_device(cx: &mut Cx<'_>, step: &Step, k: &IamVirtualMfaDevice) -> Parts {
    let mut parts = Parts::default();
    let name = cx.word(&k.name.value);
    let user = cx.word(&k.user.value);
    let seed = format!("$WORK/{}.seed", step.id);
    let mut line = Line::aws(None, "iam", "create-virtual-mfa-device")
        .arg("--virtual-mfa-device-name", &name)
        .arg(
            "--outfile",
            &Word::var("WORK").then(Word::text(format!("/{}.seed", step.id))),
        )
        .arg("--bootstrap-method", &Word::text("Base32StringSeed"));
    if let Some(path) = &k.path {
        line = line.arg("--path", &cx.word(&path.value));
    }
    let tags = super::tags(cx, &k.tags);
    let serial = capture(step, "serial_number", "VirtualMFADevice.SerialNumber");
    let guard = serial.var.clone();
    parts
        .commands
        .push(line.list("--tags", &tags).capture(vec![serial]));
    let mark = cx.mark(step);
    let codes = crate::words::var_name(&[step.id.as_str(), "codes"]);
    parts.commands.push(Command {
        line: format!("{codes}=$(totp \"{seed}\" -1 0)"),
        captures: Vec::new(),
        marks: None,
    });
    parts.commands.push(Command {
        line: format!(
            "{} --authentication-code1 \"${{{codes}% *}}\" --authentication-code2 \"${{{codes}#* }}\"",
            Line::aws(None, "iam", "enable-mfa-device")
                .arg("--user-name", &user)
                .arg("--serial-number", &Word::var(guard.clone()))
                .text()
        ),
        captures: Vec::new(),
        marks: Some(mark.clone()),
    });
    parts.notes.push(format!(
        "The device's seed is written to `{seed}` (mode 0600, in the script's private folder); `totp FILE` computes its codes as an authenticator app would (RFC 6238). On a real account, scan the seed into an authenticator app instead, and use each code once."
    ));
    parts.undo.push(undo(
        step,
        &Line::aws(None, "iam", "deactivate-mfa-device")
            .arg("--user-name", &user)
            .arg("--serial-number", &Word::var(guard.clone())),
        &mark,
    ));
    parts.undo.push(undo(
        step,
        &Line::aws(None, "iam", "delete-virtual-mfa-device")
            .arg("--serial-number", &Word::var(guard.clone())),
        &guard,
    ));
    parts
}
