//! Step kinds for resources outside IAM: `CloudFormation` stacks and S3 buckets and
//! objects.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::values::Text;
use crate::yaml::Sp;

/// `cfn.stack`: a `CloudFormation` stack from a template file; its outputs become the
/// step's outputs (`${STEP.outputs.NAME}`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CfnStack {
    /// The stack name: a letter, then letters, digits and `-`, at most 128.
    pub name: Text,
    /// The template file, relative to the plan file (at most 51,200 bytes).
    pub template: Text,
    #[serde(default)]
    pub parameters: IndexMap<String, Text>,
    /// `CAPABILITY_IAM`, `CAPABILITY_NAMED_IAM` or `CAPABILITY_AUTO_EXPAND`.
    #[serde(default)]
    pub capabilities: Vec<Sp<Capability>>,
    /// Minutes before `CloudFormation` gives up creating the stack.
    pub timeout_minutes: Option<u32>,
}

/// A `CloudFormation` capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Capability {
    #[serde(rename = "CAPABILITY_IAM")]
    CapabilityIam,
    #[serde(rename = "CAPABILITY_NAMED_IAM")]
    CapabilityNamedIam,
    #[serde(rename = "CAPABILITY_AUTO_EXPAND")]
    CapabilityAutoExpand,
}

impl Capability {
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::CapabilityIam => "CAPABILITY_IAM",
            Capability::CapabilityNamedIam => "CAPABILITY_NAMED_IAM",
            Capability::CapabilityAutoExpand => "CAPABILITY_AUTO_EXPAND",
        }
    }
}

/// `s3.bucket`: an S3 bucket. Teardown deletes the objects the run put, then the
/// bucket.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3Bucket {
    /// 3..63 of lowercase letters, digits, `.` and `-`; `${run.id}` keeps it unique.
    pub name: Text,
    /// A bucket policy (resource-based policy).
    pub policy: Option<crate::values::Document>,
}

/// `s3.object`: an object put into a bucket.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3Object {
    pub bucket: Text,
    pub key: Text,
    /// The object's content as text, or `file`.
    pub body: Option<Text>,
    /// A file whose bytes are the content, relative to the plan.
    pub file: Option<Text>,
    pub content_type: Option<Text>,
    /// Who puts the object: `operator` (default) or a step with credentials.
    #[serde(rename = "as")]
    pub identity: Option<crate::values::IdentityName>,
}
