//! Renderings of a sealed plan for people and tools: what each step will create, and
//! the graph as Graphviz dot, Mermaid or JSON (run order, or teardown order with the
//! edges reversed). Returns strings; the CLI prints them.

use std::fmt::Write as _;

use serde_json::json;

use crate::checks::Statics;
use crate::graph::SealedPlan;
use crate::kinds::StepKind;
use crate::plan::Step;
use crate::references::Because;

/// What a user or role with a permissions boundary adds to its description.
fn capped_by(boundary: Option<String>) -> String {
    boundary
        .map(|arn| format!(", capped by boundary `{arn}`"))
        .unwrap_or_default()
}

/// What a step will do, in a short sentence (`create IAM user `sts-lab-user` with an
/// access key`). Values known only at run time are shown as written.
pub fn describe(sealed: &SealedPlan, step: &Step) -> String {
    in_account(sealed, step, describe_kind(sealed, step))
}

/// What tearing a step down does, with its account as [`describe`] gives it.
pub fn describe_teardown(sealed: &SealedPlan, step: &Step) -> Option<String> {
    describe_teardown_kind(sealed, step).map(|text| in_account(sealed, step, text))
}

/// `text` followed by the step's account (`in account NAME`) when the plan names
/// several accounts.
fn in_account(sealed: &SealedPlan, step: &Step, text: String) -> String {
    match sealed.plan.account_of(step) {
        Some(name) => format!("{text} in account `{name}`"),
        None => text,
    }
}

#[expect(clippy::too_many_lines, reason = "one arm per step kind")]
fn describe_kind(sealed: &SealedPlan, step: &Step) -> String {
    let statics = Statics::for_display(&sealed.plan);
    let show = |text: &str| statics.render(text).unwrap_or_else(|| text.to_owned());
    match &step.kind {
        StepKind::IamUser(u) => format!(
            "create IAM user `{}`{}{}",
            show(&u.name),
            if u.access_key {
                " with an access key"
            } else {
                ""
            },
            capped_by(u.permissions_boundary.as_ref().map(|b| show(&b.value)))
        ),
        StepKind::IamAccessKey(k) => {
            format!("create an access key for IAM user `{}`", show(&k.user))
        }
        StepKind::IamVirtualMfaDevice(d) => format!(
            "create virtual MFA device `{}` and enable it for IAM user `{}`",
            show(&d.name),
            show(&d.user)
        ),
        StepKind::IamUserPolicy(p) => format!(
            "put inline policy `{}` on IAM user `{}`",
            show(&p.name),
            show(&p.user)
        ),
        StepKind::IamUserPolicyAttachment(p) => format!(
            "attach `{}` to IAM user `{}`",
            show(&p.policy_arn),
            show(&p.user)
        ),
        StepKind::IamRole(r) => {
            let max = r
                .max_session_duration
                .as_ref()
                .map(|m| format!(", sessions up to {}", m.value))
                .unwrap_or_default();
            let extra = r.policies.len() + r.managed_policies.len();
            let policies = if extra == 0 {
                String::new()
            } else {
                format!(", {extra} polic{}", if extra == 1 { "y" } else { "ies" })
            };
            format!(
                "create IAM role `{}`{max}{policies}{}",
                show(&r.name),
                capped_by(r.permissions_boundary.as_ref().map(|b| show(&b.value)))
            )
        }
        StepKind::IamRolePolicy(p) => format!(
            "put inline policy `{}` on IAM role `{}`",
            show(&p.name),
            show(&p.role)
        ),
        StepKind::IamRolePolicyAttachment(p) => format!(
            "attach `{}` to IAM role `{}`",
            show(&p.policy_arn),
            show(&p.role)
        ),
        StepKind::IamGroup(g) => format!("create IAM group `{}`", show(&g.name)),
        StepKind::IamGroupPolicy(p) => format!(
            "put inline policy `{}` on IAM group `{}`",
            show(&p.name),
            show(&p.group)
        ),
        StepKind::IamGroupMembership(m) => format!(
            "add IAM user `{}` to group `{}`",
            show(&m.user),
            show(&m.group)
        ),
        StepKind::IamPolicy(p) => format!("create managed policy `{}`", show(&p.name)),
        StepKind::IamOidcProvider(p) => {
            format!("create OIDC identity provider `{}`", show(&p.url))
        }
        StepKind::IamSamlProvider(p) => {
            format!("create SAML identity provider `{}`", show(&p.name))
        }
        StepKind::IamTrustPolicy(t) => {
            format!("replace the trust policy of IAM role `{}`", show(&t.role))
        }
        StepKind::CfnStack(s) => format!(
            "create CloudFormation stack `{}` from `{}`",
            show(&s.name),
            show(&s.template)
        ),
        StepKind::S3Bucket(b) => format!("create S3 bucket `{}`", show(&b.name)),
        StepKind::S3Object(o) => format!(
            "put object `{}` into bucket `{}`",
            show(&o.key),
            show(&o.bucket)
        ),
        StepKind::StsAssumeRole(a) => format!(
            "assume role `{}` as `{}`, session `{}`{}",
            show(&a.role_arn),
            a.identity.as_ref().map_or("operator", |i| i.value.as_str()),
            show(&a.session_name),
            a.duration
                .as_ref()
                .map(|d| format!(" for {}", d.value))
                .unwrap_or_default()
        ),
        StepKind::StsGetSessionToken(s) => format!(
            "get a session token as `{}`",
            s.identity.as_ref().map_or("operator", |i| i.value.as_str())
        ),
        StepKind::StsGetFederationToken(f) => {
            format!("get a federation token for `{}`", show(&f.name))
        }
        StepKind::StsAssumeRoleWithWebIdentity(w) => format!(
            "assume role `{}` with a web identity token",
            show(&w.role_arn)
        ),
        StepKind::StsAssumeRoleWithSaml(s) => {
            format!("assume role `{}` with a SAML response", show(&s.role_arn))
        }
        StepKind::AwsProfile(p) => format!(
            "write AWS CLI profile `{}` with the credentials of `{}`",
            show(&p.name),
            p.credentials.value
        ),
        StepKind::Verify(v) => format!(
            "verify that `{}` calling `{}` gives {}",
            v.identity.as_ref().map_or("operator", |i| i.value.as_str()),
            v.call.value,
            expect_text(&v.expect.value, &show)
        ),
    }
}

fn expect_text(expect: &crate::values::Expect, show: &dyn Fn(&str) -> String) -> String {
    match expect {
        crate::values::Expect::Allow => "success".to_owned(),
        crate::values::Expect::Error(code) => format!("`{code}`"),
        crate::values::Expect::AnyOf(codes) => codes
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(" or "),
        crate::values::Expect::Deny => "a denial".to_owned(),
        crate::values::Expect::Fields(fields) => fields
            .iter()
            .map(|(k, v)| format!("`{k}` matching `{}`", show(v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// What teardown does for a step (such as ``delete IAM user `x` ``), or `None` if
/// nothing.
fn describe_teardown_kind(sealed: &SealedPlan, step: &Step) -> Option<String> {
    let statics = Statics::for_display(&sealed.plan);
    let show = |text: &str| statics.render(text).unwrap_or_else(|| text.to_owned());
    Some(match &step.kind {
        StepKind::IamUser(u) => format!(
            "delete IAM user `{}`{}",
            show(&u.name),
            if u.access_key {
                " and its access key"
            } else {
                ""
            }
        ),
        StepKind::IamAccessKey(k) => {
            format!("delete the access key of IAM user `{}`", show(&k.user))
        }
        StepKind::IamVirtualMfaDevice(d) => format!(
            "deactivate and delete virtual MFA device `{}` of IAM user `{}`",
            show(&d.name),
            show(&d.user)
        ),
        StepKind::IamUserPolicy(p) => format!(
            "delete inline policy `{}` of IAM user `{}`",
            show(&p.name),
            show(&p.user)
        ),
        StepKind::IamUserPolicyAttachment(p) => format!(
            "detach `{}` from IAM user `{}`",
            show(&p.policy_arn),
            show(&p.user)
        ),
        StepKind::IamRole(r) => format!(
            "delete IAM role `{}` and the policies the run put on it",
            show(&r.name)
        ),
        StepKind::IamRolePolicy(p) => format!(
            "delete inline policy `{}` of IAM role `{}`",
            show(&p.name),
            show(&p.role)
        ),
        StepKind::IamRolePolicyAttachment(p) => format!(
            "detach `{}` from IAM role `{}`",
            show(&p.policy_arn),
            show(&p.role)
        ),
        StepKind::IamGroup(g) => format!(
            "delete IAM group `{}` (after removing its members and policies)",
            show(&g.name)
        ),
        StepKind::IamGroupPolicy(p) => format!(
            "delete inline policy `{}` of IAM group `{}`",
            show(&p.name),
            show(&p.group)
        ),
        StepKind::IamGroupMembership(m) => format!(
            "remove IAM user `{}` from group `{}`",
            show(&m.user),
            show(&m.group)
        ),
        StepKind::IamPolicy(p) => format!("delete managed policy `{}`", show(&p.name)),
        StepKind::IamOidcProvider(p) => {
            format!("delete OIDC identity provider `{}`", show(&p.url))
        }
        StepKind::IamSamlProvider(p) => {
            format!("delete SAML identity provider `{}`", show(&p.name))
        }
        StepKind::IamTrustPolicy(t) => format!(
            "restore the previous trust policy of IAM role `{}` (unless the run deletes the role)",
            show(&t.role)
        ),
        StepKind::CfnStack(s) => {
            format!("delete CloudFormation stack `{}` and wait", show(&s.name))
        }
        StepKind::S3Bucket(b) => format!(
            "delete S3 bucket `{}` (after the objects the run put)",
            show(&b.name)
        ),
        StepKind::S3Object(o) => format!(
            "delete object `{}` from bucket `{}`",
            show(&o.key),
            show(&o.bucket)
        ),
        StepKind::AwsProfile(p) => format!("remove AWS CLI profile `{}`", show(&p.name)),
        StepKind::StsAssumeRole(_)
        | StepKind::StsGetSessionToken(_)
        | StepKind::StsGetFederationToken(_)
        | StepKind::StsAssumeRoleWithWebIdentity(_)
        | StepKind::StsAssumeRoleWithSaml(_)
        | StepKind::Verify(_) => return None,
    })
}

fn because_text(because: &Because) -> String {
    match because {
        Because::Reference(text) => text.clone(),
        Because::Identity => "as".to_owned(),
        Because::Needs => "needs".to_owned(),
        Because::MfaDevice => "mfa".to_owned(),
    }
}

fn dot_quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Graphviz dot. Run order: edges from a step to the steps that wait for it.
/// Teardown: edges reversed, from a step to the steps torn down after it.
pub fn to_dot(sealed: &SealedPlan, teardown: bool) -> String {
    let mut out = String::new();
    let title = if teardown { "teardown" } else { "run" };
    let _ = writeln!(
        out,
        "digraph {} {{",
        dot_quote(&format!("{} ({title})", sealed.plan.name.value))
    );
    let _ = writeln!(
        out,
        "  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];"
    );
    for id in sealed.order() {
        let Some(step) = sealed.step(id) else {
            continue;
        };
        let _ = writeln!(
            out,
            "  {} [label={}];",
            dot_quote(id.as_str()),
            dot_quote(&format!("{id}\n{}", step.kind.label()))
        );
    }
    for (from, to, edge) in sealed.edges() {
        let (a, b) = if teardown { (to, from) } else { (from, to) };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}];",
            dot_quote(a.as_str()),
            dot_quote(b.as_str()),
            dot_quote(&because_text(&edge.because))
        );
    }
    out.push_str("}\n");
    out
}

fn mermaid_id(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A Mermaid flowchart, in run or teardown order.
pub fn to_mermaid(sealed: &SealedPlan, teardown: bool) -> String {
    let mut out = String::from("flowchart LR\n");
    for id in sealed.order() {
        let Some(step) = sealed.step(id) else {
            continue;
        };
        let _ = writeln!(
            out,
            "  {}[\"{id}<br/>{}\"]",
            mermaid_id(id.as_str()),
            step.kind.label()
        );
    }
    for (from, to, edge) in sealed.edges() {
        let (a, b) = if teardown { (to, from) } else { (from, to) };
        let label = because_text(&edge.because)
            .replace('"', "'")
            .replace('|', "/");
        let _ = writeln!(
            out,
            "  {} -->|\"{label}\"| {}",
            mermaid_id(a.as_str()),
            mermaid_id(b.as_str())
        );
    }
    out
}

/// The graph as JSON: steps with kind, level and dependencies; edges; levels in run
/// or teardown order.
pub fn to_json(sealed: &SealedPlan, teardown: bool) -> serde_json::Value {
    let levels: Vec<Vec<&str>> = if teardown {
        sealed
            .teardown_levels()
            .iter()
            .map(|l| {
                l.iter()
                    .map(|id| sealed.step(id).map_or("", |s| s.id.as_str()))
                    .collect()
            })
            .collect()
    } else {
        sealed
            .levels()
            .iter()
            .map(|l| l.iter().map(super::plan::StepId::as_str).collect())
            .collect()
    };
    let steps: Vec<_> = sealed
        .order()
        .filter_map(|id| sealed.step(id))
        .map(|step| {
            json!({
                "id": step.id.as_str(),
                "kind": step.kind.label(),
                "needs": sealed.dependencies(&step.id).iter().map(|d| d.as_str()).collect::<Vec<_>>(),
                "action": if teardown { describe_teardown(sealed, step) } else { Some(describe(sealed, step)) },
            })
        })
        .collect();
    let edges: Vec<_> = sealed
        .edges()
        .into_iter()
        .map(|(from, to, edge)| {
            let (a, b) = if teardown { (to, from) } else { (from, to) };
            json!({ "from": a.as_str(), "to": b.as_str(), "because": because_text(&edge.because) })
        })
        .collect();
    json!({
        "plan": sealed.plan.name.value,
        "order": if teardown { "teardown" } else { "run" },
        "levels": levels,
        "steps": steps,
        "edges": edges,
    })
}
