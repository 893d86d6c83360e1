//! Step kinds that touch no AWS resource: AWS CLI profiles written from a step's
//! credentials, and verifications of what an identity may do.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::values::{Expect, IdentityName, Text};
use crate::yaml::Sp;

/// `aws.profile`: writes a profile into the AWS CLI's credentials and config files
/// (honouring `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`); teardown removes
/// exactly what was added.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwsProfile {
    /// The profile name (`--profile NAME`).
    pub name: Text,
    /// The step whose credentials the profile holds.
    pub credentials: IdentityName,
    /// The profile's region; the run's region by default.
    pub region: Option<Text>,
}

/// `verify`: makes one API call as an identity and checks the outcome.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Verify {
    /// Who calls: `operator` (default) or a step that produced credentials.
    #[serde(rename = "as")]
    pub identity: Option<IdentityName>,
    /// `service.Operation`, e.g. `s3.ListObjectsV2`; see the step reference.
    pub call: Sp<String>,
    /// The call's parameters, by their AWS names (`Bucket`, `Key`, ...), typed as the
    /// operation's input shape says (strings may hold `${...}` references).
    #[serde(default)]
    pub params: IndexMap<String, Sp<serde_json::Value>>,
    pub expect: Sp<Expect>,
}
