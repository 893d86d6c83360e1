//! `iam.trust_policy`: `UpdateAssumeRolePolicy`, after reading the document it replaces
//! so that teardown can put it back.

use awslab_planner::kinds::IamTrustPolicy;

use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { role: String }
}

pub async fn run(spec: &IamTrustPolicy, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let iam = cx.operator_clients().iam();
    let role = cx.render(&spec.role.value)?;
    let document = cx.render_document(&spec.document)?;
    let current = iam
        .get_role()
        .role_name(&role)
        .send()
        .await
        .map_err(|e| StepError::aws(format!("cannot read role `{role}`"), &e))?;
    let previous_document = current
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .map(decode_policy)
        .unwrap_or_default();
    let resource = ResourceRef::IamRoleTrustPolicy(resources::IamRoleTrustPolicy {
        role: role.clone(),
        previous_document,
    });
    let request = iam
        .update_assume_role_policy()
        .role_name(&role)
        .policy_document(document);
    cx.create(&resource, request.send()).await?;
    cx.created(&resource).await?;
    Ok(Outputs { role })
}

/// IAM returns policy documents URL-encoded.
pub fn decode_policy(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}
