//! The commands of each step kind: one function a kind, dispatched from the planner's
//! kind enum (a kind added there fails to compile here until it has its commands, and
//! a test renders every kind in `StepKind::LABELS`).

mod iam;
mod other;
mod sts;

use awslab_planner::{Step, StepKind};

use crate::cx::{Cx, Parts};
use crate::words::Word;

/// The commands, cleanup and notes of one step.
pub(crate) fn step(cx: &mut Cx<'_>, step: &Step) -> Parts {
    match &step.kind {
        StepKind::IamUser(k) => iam::user(cx, step, k),
        StepKind::IamAccessKey(k) => iam::access_key(cx, step, k),
        StepKind::IamUserPolicy(k) => iam::user_policy(cx, step, k),
        StepKind::IamUserPolicyAttachment(k) => iam::user_policy_attachment(cx, step, k),
        StepKind::IamGroup(k) => iam::group(cx, step, k),
        StepKind::IamGroupPolicy(k) => iam::group_policy(cx, step, k),
        StepKind::IamGroupMembership(k) => iam::group_membership(cx, step, k),
        StepKind::IamRole(k) => iam::role(cx, step, k),
        StepKind::IamRolePolicy(k) => iam::role_policy(cx, step, k),
        StepKind::IamRolePolicyAttachment(k) => iam::role_policy_attachment(cx, step, k),
        StepKind::IamPolicy(k) => iam::policy(cx, step, k),
        StepKind::IamTrustPolicy(k) => iam::trust_policy(cx, step, k),
        StepKind::IamOidcProvider(k) => iam::oidc_provider(cx, step, k),
        StepKind::IamSamlProvider(k) => iam::saml_provider(cx, step, k),
        StepKind::IamVirtualMfaDevice(k) => iam::virtual_mfa_device(cx, step, k),
        StepKind::CfnStack(k) => other::cfn_stack(cx, step, k),
        StepKind::S3Bucket(k) => other::s3_bucket(cx, step, k),
        StepKind::S3Object(k) => other::s3_object(cx, step, k),
        StepKind::StsAssumeRole(k) => sts::assume_role(cx, step, k),
        StepKind::StsGetSessionToken(k) => sts::get_session_token(cx, step, k),
        StepKind::StsGetFederationToken(k) => sts::get_federation_token(cx, step, k),
        StepKind::StsAssumeRoleWithWebIdentity(k) => sts::web_identity(cx, step, k),
        StepKind::StsAssumeRoleWithSaml(k) => sts::saml(cx, step, k),
        StepKind::AwsProfile(k) => other::profile(cx, step, k),
        StepKind::Verify(k) => crate::verify::verify(cx, step, k),
    }
}

/// `--tags` words: awslab's run tag, the plan's tags, then the step's (IAM refuses a
/// key twice, so a later key of the same name is dropped).
pub(crate) fn tags(
    cx: &mut Cx<'_>,
    own: &indexmap::IndexMap<String, awslab_planner::values::Text>,
) -> Vec<Word> {
    tag_texts(cx, own)
        .into_iter()
        .map(|(key, value)| Word::text(format!("Key={key},Value=")).then(cx.word(&value)))
        .collect()
}

/// The tags as a JSON list (`[{"Key": K, "Value": V}]`) of plan texts, for a command
/// that takes them as JSON (any value survives: commas, quotes, spaces).
pub(crate) fn tags_json(
    cx: &Cx<'_>,
    own: &indexmap::IndexMap<String, awslab_planner::values::Text>,
) -> serde_json::Value {
    serde_json::Value::Array(
        tag_texts(cx, own)
            .into_iter()
            .map(|(key, value)| serde_json::json!({ "Key": key, "Value": value }))
            .collect(),
    )
}

/// `(key, plan text)` of awslab's run tag, the plan's tags, then the step's, each key
/// once.
fn tag_texts(
    cx: &Cx<'_>,
    own: &indexmap::IndexMap<String, awslab_planner::values::Text>,
) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = vec![
        ("awslab:run".to_owned(), cx.options.run_id.clone()),
        ("awslab:plan".to_owned(), cx.sealed.plan.name.value.clone()),
    ];
    let plan_tags = cx.sealed.plan.tags.iter();
    for (key, value) in plan_tags.chain(own.iter()) {
        if pairs.iter().any(|(k, _)| k == key) {
            continue;
        }
        pairs.push((key.clone(), value.value.clone()));
    }
    pairs
}
