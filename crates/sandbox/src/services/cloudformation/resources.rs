//! Resource types: each is created and deleted through the sandbox's own IAM and S3
//! operations, authorized one by one for the principal acting for the stack (the
//! caller), so a caller allowed `CloudFormation` but not IAM sees the resource fail with
//! IAM's own denial. Physical names are `stack-Logical-RANDOM` where none is given.
//! One cohesive thing (over 400 lines): create and delete, one arm per type, side by
//! side so each type's undo sits next to its do.

use std::collections::BTreeMap;

use serde_json::Value;

use super::intrinsics::Made;
use crate::auth::Caller;
use crate::services::CommonError;
use crate::services::s3::{S3Operation, run as run_s3};
use crate::services::{ApiError, Check, Input, iam};
use crate::state::World;

/// The resource types the sandbox provisions.
pub const SUPPORTED: &[&str] = &[
    "AWS::IAM::User",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::AccessKey",
    "AWS::IAM::Group",
    "AWS::IAM::UserToGroupAddition",
    "AWS::IAM::InstanceProfile",
    "AWS::IAM::OIDCProvider",
    "AWS::IAM::SAMLProvider",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
];

/// A type's properties in AWS's schema (required ones first), for the check
/// `CloudFormation` makes before it calls the service. Properties the sandbox does not
/// act on (a bucket's encryption, versioning...) are accepted and kept, not applied.
fn schema(kind: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        "AWS::IAM::User" => (
            &[],
            &[
                "Groups",
                "LoginProfile",
                "ManagedPolicyArns",
                "Path",
                "PermissionsBoundary",
                "Policies",
                "Tags",
                "UserName",
            ],
        ),
        "AWS::IAM::Role" => (
            &["AssumeRolePolicyDocument"],
            &[
                "Description",
                "ManagedPolicyArns",
                "MaxSessionDuration",
                "Path",
                "PermissionsBoundary",
                "Policies",
                "RoleName",
                "Tags",
            ],
        ),
        "AWS::IAM::Group" => (&[], &["GroupName", "ManagedPolicyArns", "Path", "Policies"]),
        "AWS::IAM::Policy" => (
            &["PolicyDocument", "PolicyName"],
            &["Groups", "Roles", "Users"],
        ),
        "AWS::IAM::ManagedPolicy" => (
            &["PolicyDocument"],
            &[
                "Description",
                "Groups",
                "ManagedPolicyName",
                "Path",
                "Roles",
                "Users",
            ],
        ),
        "AWS::IAM::AccessKey" => (&["UserName"], &["Serial", "Status"]),
        "AWS::IAM::UserToGroupAddition" => (&["GroupName", "Users"], &[]),
        "AWS::IAM::InstanceProfile" => (&["Roles"], &["InstanceProfileName", "Path"]),
        "AWS::IAM::OIDCProvider" => (&[], &["ClientIdList", "Tags", "ThumbprintList", "Url"]),
        "AWS::IAM::SAMLProvider" => (
            &[],
            &[
                "AddPrivateKey",
                "AssertionEncryptionMode",
                "Name",
                "PrivateKeys",
                "RemovePrivateKey",
                "SamlMetadataDocument",
                "Tags",
            ],
        ),
        "AWS::S3::Bucket" => (
            &[],
            &[
                "AbacStatus",
                "AccelerateConfiguration",
                "AccessControl",
                "AnalyticsConfigurations",
                "BucketEncryption",
                "BucketName",
                "CorsConfiguration",
                "IntelligentTieringConfigurations",
                "InventoryConfigurations",
                "LifecycleConfiguration",
                "LoggingConfiguration",
                "MetadataConfiguration",
                "MetadataTableConfiguration",
                "MetricsConfigurations",
                "NotificationConfiguration",
                "ObjectLockConfiguration",
                "ObjectLockEnabled",
                "OwnershipControls",
                "PublicAccessBlockConfiguration",
                "ReplicationConfiguration",
                "Tags",
                "VersioningConfiguration",
                "WebsiteConfiguration",
            ],
        ),
        "AWS::S3::BucketPolicy" => (&["Bucket", "PolicyDocument"], &[]),
        _ => (&[], &[]),
    }
}

/// `Properties validation failed ...` when a required property is missing or an
/// unknown one is given, as `CloudFormation`'s resource schemas say.
pub fn check_properties(logical: &str, kind: &str, properties: &Value) -> Result<(), String> {
    let (required, optional) = schema(kind);
    let fail = |detail: String| {
        Err(format!(
            "Properties validation failed for resource {logical} with message: [#: {detail}]"
        ))
    };
    let Value::Object(map) = properties else {
        return fail("expected type: JSONObject".to_owned());
    };
    if let Some(missing) = required.iter().find(|name| !map.contains_key(**name)) {
        return fail(format!("required key [{missing}] not found"));
    }
    if let Some(extra) = map
        .keys()
        .find(|key| !required.contains(&key.as_str()) && !optional.contains(&key.as_str()))
    {
        return fail(format!("extraneous key [{extra}] is not permitted"));
    }
    Ok(())
}

/// The `Fn::GetAtt` attributes of a type.
pub fn attributes(kind: &str) -> &'static [&'static str] {
    match kind {
        "AWS::IAM::User"
        | "AWS::IAM::Group"
        | "AWS::IAM::InstanceProfile"
        | "AWS::IAM::OIDCProvider" => &["Arn"],
        "AWS::IAM::SAMLProvider" => &["Arn", "SamlProviderUUID"],
        "AWS::IAM::Role" => &["Arn", "RoleId"],
        "AWS::IAM::ManagedPolicy" => &["PolicyArn", "PolicyId", "DefaultVersionId"],
        "AWS::IAM::AccessKey" => &["SecretAccessKey"],
        "AWS::IAM::Policy" => &["Id"],
        "AWS::S3::Bucket" => &[
            "Arn",
            "DomainName",
            "DualStackDomainName",
            "RegionalDomainName",
            "WebsiteURL",
        ],
        _ => &[],
    }
}

/// The property naming an IAM resource (its use needs `CAPABILITY_NAMED_IAM`);
/// `Some("")` for IAM types that cannot be named.
pub fn iam_name_property(kind: &str) -> Option<&'static str> {
    match kind {
        "AWS::IAM::User" => Some("UserName"),
        "AWS::IAM::Role" => Some("RoleName"),
        "AWS::IAM::Group" => Some("GroupName"),
        "AWS::IAM::ManagedPolicy" => Some("ManagedPolicyName"),
        "AWS::IAM::InstanceProfile" => Some("InstanceProfileName"),
        "AWS::IAM::Policy"
        | "AWS::IAM::AccessKey"
        | "AWS::IAM::UserToGroupAddition"
        | "AWS::IAM::OIDCProvider" => Some(""),
        "AWS::IAM::SAMLProvider" => Some("Name"),
        _ => None,
    }
}

/// Decides checks for the principal acting for the stack (the dispatcher's
/// authorization, recorded for `explain`).
pub type Authorize<'a> = dyn FnMut(&World, &Caller, &[Check]) -> Result<(), ApiError> + 'a;

/// The principal acting for a stack, and the stack facts resources need.
pub struct Actor<'a, 'b> {
    pub caller: &'a Caller,
    pub authorize: &'a mut Authorize<'b>,
    pub region: &'a str,
    pub stack_name: &'a str,
    pub stack_id: &'a str,
    /// The stack's tags, propagated to resources that take tags.
    pub tags: &'a [(String, String)],
}

/// A failed call: what the event's reason says.
pub fn reason(service: &str, error: &ApiError) -> String {
    let handler = match error.code.as_str() {
        "AccessDenied" => "AccessDenied",
        "EntityAlreadyExists" | "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" => {
            "AlreadyExists"
        }
        "NoSuchEntity" | "NoSuchBucket" => "NotFound",
        "ValidationError" | "MalformedPolicyDocument" | "InvalidBucketName" => "InvalidRequest",
        "LimitExceeded" => "ServiceLimitExceeded",
        _ => "GeneralServiceException",
    };
    format!(
        "Resource handler returned message: \"{} (Service: {service}, Status Code: {})\" (HandlerErrorCode: {handler})",
        error.message, error.status
    )
}

pub(super) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Object(_) | Value::Array(_) => Some(value.to_string()),
        Value::Null => None,
    }
}

pub(super) fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
        Some(other) => text(other).into_iter().collect(),
        None => Vec::new(),
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::validation(message)
}

impl Actor<'_, '_> {
    /// Calls IAM operation `action` as the caller (authorized first).
    pub(super) fn call<K: AsRef<str>>(
        &mut self,
        world: &mut World,
        action: &str,
        pairs: &[(K, String)],
    ) -> Result<(), ApiError> {
        self.iam(world, action, pairs)
    }

    /// Calls an S3 operation as the caller (authorized first).
    pub(super) fn call_s3(
        &mut self,
        world: &mut World,
        operation: S3Operation,
    ) -> Result<(), ApiError> {
        self.s3(world, operation)
    }

    fn iam<K: AsRef<str>>(
        &mut self,
        world: &mut World,
        action: &str,
        pairs: &[(K, String)],
    ) -> Result<(), ApiError> {
        let operation = iam::operation(action).ok_or_else(|| {
            ApiError::of(CommonError::InternalFailure, format!("no IAM {action}"))
        })?;
        let input: Input = crate::wire::query::decode(pairs);
        let checks = (operation.checks)(&input, world, self.caller)?;
        (self.authorize)(world, self.caller, &checks)?;
        (operation.run)(&input, world, self.caller).map(|_| ())
    }

    fn s3(&mut self, world: &mut World, operation: S3Operation) -> Result<(), ApiError> {
        let checks = operation.checks();
        (self.authorize)(world, self.caller, &checks)?;
        run_s3(operation, world, self.caller, self.region).map(|_| ())
    }

    /// `stack-Logical-RANDOM`, at most `max` characters.
    fn generated_name(&self, logical: &str, max: usize, lowercase: bool) -> String {
        let random = random_suffix();
        let budget = max.saturating_sub(random.len() + 2);
        let stack_part: String = self.stack_name.chars().take(budget / 2).collect();
        let logical_part: String = logical
            .chars()
            .take(budget.saturating_sub(stack_part.len()))
            .collect();
        let name = format!("{stack_part}-{logical_part}-{random}");
        if lowercase {
            name.to_ascii_lowercase()
        } else {
            name
        }
    }

    pub(super) fn tag_pairs(&self, own: Option<&Value>) -> Vec<(String, String)> {
        let mut tags: Vec<(String, String)> = self.tags.to_vec();
        if let Some(Value::Array(items)) = own {
            for item in items {
                if let (Some(key), Some(value)) = (
                    item.get("Key").and_then(text),
                    item.get("Value").and_then(text),
                ) {
                    tags.retain(|(existing, _)| *existing != key);
                    tags.push((key, value));
                }
            }
        }
        tags
    }

    /// Creates a resource; on failure, what was made so far (to roll back) and why.
    #[expect(clippy::too_many_lines, reason = "one arm per resource type")]
    #[expect(clippy::result_large_err, reason = "made once per resource, never hot")]
    pub fn create(
        &mut self,
        world: &mut World,
        logical: &str,
        kind: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        let property = |name: &str| properties.get(name).and_then(text);
        let account = self.caller.account.clone();
        match kind {
            "AWS::IAM::User" | "AWS::IAM::Role" | "AWS::IAM::Group" => {
                let (noun, max) = match kind {
                    "AWS::IAM::User" => ("User", 64),
                    "AWS::IAM::Role" => ("Role", 64),
                    _ => ("Group", 128),
                };
                let name = property(&format!("{noun}Name"))
                    .unwrap_or_else(|| self.generated_name(logical, max, false));
                let member = match noun {
                    "User" => "UserName",
                    "Role" => "RoleName",
                    _ => "GroupName",
                };
                let mut pairs: Vec<(String, String)> = vec![(member.to_owned(), name.clone())];
                if let Some(path) = property("Path") {
                    pairs.push(("Path".to_owned(), path));
                }
                if noun != "Group" {
                    if let Some(boundary) = property("PermissionsBoundary") {
                        pairs.push(("PermissionsBoundary".to_owned(), boundary));
                    }
                    let tags = self.tag_pairs(properties.get("Tags"));
                    for (index, (key, value)) in tags.iter().enumerate() {
                        pairs.push((format!("Tags.member.{}.Key", index + 1), key.clone()));
                        pairs.push((format!("Tags.member.{}.Value", index + 1), value.clone()));
                    }
                }
                if noun == "Role" {
                    let trust = properties
                        .get("AssumeRolePolicyDocument")
                        .and_then(text)
                        .ok_or_else(|| {
                            (
                                None,
                                invalid("Property AssumeRolePolicyDocument cannot be empty."),
                            )
                        })?;
                    pairs.push(("AssumeRolePolicyDocument".to_owned(), trust));
                    if let Some(description) = property("Description") {
                        pairs.push(("Description".to_owned(), description));
                    }
                    if let Some(duration) = property("MaxSessionDuration") {
                        pairs.push(("MaxSessionDuration".to_owned(), duration));
                    }
                }
                self.iam(world, &format!("Create{noun}"), &pairs)
                    .map_err(|error| (None, error))?;
                let made = self.iam_made(world, kind, &name);
                let partial = |error| (Some(made.clone()), error);
                if noun == "User" {
                    for group in strings(properties.get("Groups")) {
                        self.iam(
                            world,
                            "AddUserToGroup",
                            &[("UserName", name.clone()), ("GroupName", group)],
                        )
                        .map_err(partial)?;
                    }
                }
                for arn in strings(properties.get("ManagedPolicyArns")) {
                    self.iam(
                        world,
                        &format!("Attach{noun}Policy"),
                        &[(member, name.clone()), ("PolicyArn", arn)],
                    )
                    .map_err(partial)?;
                }
                if let Some(Value::Array(policies)) = properties.get("Policies") {
                    for policy in policies {
                        let policy_name =
                            policy.get("PolicyName").and_then(text).unwrap_or_default();
                        let document = policy
                            .get("PolicyDocument")
                            .and_then(text)
                            .unwrap_or_default();
                        self.iam(
                            world,
                            &format!("Put{noun}Policy"),
                            &[
                                (member, name.clone()),
                                ("PolicyName", policy_name),
                                ("PolicyDocument", document),
                            ],
                        )
                        .map_err(partial)?;
                    }
                }
                Ok(made)
            }
            "AWS::IAM::Policy" => {
                let name = property("PolicyName")
                    .ok_or_else(|| (None, invalid("Property PolicyName cannot be empty.")))?;
                let document = property("PolicyDocument")
                    .ok_or_else(|| (None, invalid("Property PolicyDocument cannot be empty.")))?;
                let targets = policy_targets(properties);
                if targets.is_empty() {
                    return Err((
                        None,
                        invalid("At least one of [Groups,Roles,Users] must be non-empty."),
                    ));
                }
                let physical = self.generated_name(logical, 128, false);
                let mut attributes = BTreeMap::new();
                attributes.insert("Id".to_owned(), physical.clone());
                let made = Made {
                    physical,
                    reference: None,
                    attributes,
                };
                let mut made_so_far = None;
                for (noun, member, target) in targets {
                    self.iam(
                        world,
                        &format!("Put{noun}Policy"),
                        &[
                            (member, target),
                            ("PolicyName", name.clone()),
                            ("PolicyDocument", document.clone()),
                        ],
                    )
                    .map_err(|error| (made_so_far.clone(), error))?;
                    made_so_far = Some(made.clone());
                }
                Ok(made)
            }
            "AWS::IAM::ManagedPolicy" => {
                let name = property("ManagedPolicyName")
                    .unwrap_or_else(|| self.generated_name(logical, 128, false));
                let document = property("PolicyDocument")
                    .ok_or_else(|| (None, invalid("Property PolicyDocument cannot be empty.")))?;
                let mut pairs = vec![("PolicyName", name.clone()), ("PolicyDocument", document)];
                if let Some(path) = property("Path") {
                    pairs.push(("Path", path));
                }
                if let Some(description) = property("Description") {
                    pairs.push(("Description", description));
                }
                self.iam(world, "CreatePolicy", &pairs)
                    .map_err(|error| (None, error))?;
                let path = property("Path").unwrap_or_else(|| "/".to_owned());
                let arn = format!("arn:aws:iam::{account}:policy{path}{name}");
                let policy = world
                    .account(&account)
                    .and_then(|found| found.policies.get(&arn));
                let mut attributes = BTreeMap::new();
                attributes.insert("PolicyArn".to_owned(), arn.clone());
                attributes.insert(
                    "PolicyId".to_owned(),
                    policy.map(|found| found.id.clone()).unwrap_or_default(),
                );
                attributes.insert(
                    "DefaultVersionId".to_owned(),
                    policy
                        .map(|found| found.default_version.clone())
                        .unwrap_or_default(),
                );
                let made = Made {
                    physical: arn.clone(),
                    reference: None,
                    attributes,
                };
                for (noun, member, target) in policy_targets(properties) {
                    self.iam(
                        world,
                        &format!("Attach{noun}Policy"),
                        &[(member, target), ("PolicyArn", arn.clone())],
                    )
                    .map_err(|error| (Some(made.clone()), error))?;
                }
                Ok(made)
            }
            "AWS::IAM::AccessKey" => {
                let user = property("UserName")
                    .ok_or_else(|| (None, invalid("Property UserName cannot be empty.")))?;
                let before: Vec<String> = world
                    .account(&account)
                    .and_then(|found| found.users.get(&user.to_ascii_lowercase()))
                    .map(|found| found.access_keys.clone())
                    .unwrap_or_default();
                self.iam(world, "CreateAccessKey", &[("UserName", user.clone())])
                    .map_err(|error| (None, error))?;
                let key_id = world
                    .account(&account)
                    .and_then(|found| found.users.get(&user.to_ascii_lowercase()))
                    .and_then(|found| {
                        found
                            .access_keys
                            .iter()
                            .find(|key| !before.contains(key))
                            .cloned()
                    })
                    .unwrap_or_default();
                let secret = world
                    .access_keys
                    .get(&key_id)
                    .map(|key| key.secret.clone())
                    .unwrap_or_default();
                let mut attributes = BTreeMap::new();
                attributes.insert("SecretAccessKey".to_owned(), secret);
                attributes.insert("UserName".to_owned(), user.clone());
                let made = Made {
                    physical: key_id.clone(),
                    reference: None,
                    attributes,
                };
                if property("Status").as_deref() == Some("Inactive") {
                    self.iam(
                        world,
                        "UpdateAccessKey",
                        &[
                            ("UserName", user),
                            ("AccessKeyId", key_id),
                            ("Status", "Inactive".to_owned()),
                        ],
                    )
                    .map_err(|error| (Some(made.clone()), error))?;
                }
                Ok(made)
            }
            "AWS::IAM::UserToGroupAddition" => {
                let group = property("GroupName")
                    .ok_or_else(|| (None, invalid("Property GroupName cannot be empty.")))?;
                let made = Made {
                    physical: self.generated_name(logical, 128, false),
                    ..Made::default()
                };
                let mut made_so_far = None;
                for user in strings(properties.get("Users")) {
                    self.iam(
                        world,
                        "AddUserToGroup",
                        &[("GroupName", group.clone()), ("UserName", user)],
                    )
                    .map_err(|error| (made_so_far.clone(), error))?;
                    made_so_far = Some(made.clone());
                }
                Ok(made)
            }
            "AWS::IAM::InstanceProfile" => {
                // IAM instance profiles are not in the sandbox's IAM: authorized, kept by
                // the stack only.
                let name = property("InstanceProfileName")
                    .unwrap_or_else(|| self.generated_name(logical, 128, false));
                let path = property("Path").unwrap_or_else(|| "/".to_owned());
                let arn = format!("arn:aws:iam::{account}:instance-profile{path}{name}");
                let mut checks = vec![Check::new("iam:CreateInstanceProfile", arn.clone())];
                if !strings(properties.get("Roles")).is_empty() {
                    checks.push(Check::new("iam:AddRoleToInstanceProfile", arn.clone()));
                }
                (self.authorize)(world, self.caller, &checks).map_err(|error| (None, error))?;
                let mut attributes = BTreeMap::new();
                attributes.insert("Arn".to_owned(), arn);
                Ok(Made {
                    physical: name,
                    reference: None,
                    attributes,
                })
            }
            "AWS::IAM::OIDCProvider" | "AWS::IAM::SAMLProvider" => {
                self.create_provider(world, logical, kind, properties)
            }
            "AWS::S3::Bucket" => {
                let name = property("BucketName")
                    .unwrap_or_else(|| self.generated_name(logical, 63, true));
                self.s3(
                    world,
                    S3Operation::CreateBucket {
                        bucket: name.clone(),
                        region: Some(self.region.to_owned()),
                    },
                )
                .map_err(|error| (None, error))?;
                let made = bucket_made(&name, self.region);
                let tags = self.tag_pairs(properties.get("Tags"));
                if !tags.is_empty() {
                    (self.authorize)(
                        world,
                        self.caller,
                        &[Check::new(
                            "s3:PutBucketTagging",
                            format!("arn:aws:s3:::{name}"),
                        )],
                    )
                    .map_err(|error| (Some(made.clone()), error))?;
                }
                if let Some(bucket) = world.buckets.get_mut(&name) {
                    let mut all = tags;
                    all.push((
                        "aws:cloudformation:logical-id".to_owned(),
                        logical.to_owned(),
                    ));
                    all.push((
                        "aws:cloudformation:stack-id".to_owned(),
                        self.stack_id.to_owned(),
                    ));
                    all.push((
                        "aws:cloudformation:stack-name".to_owned(),
                        self.stack_name.to_owned(),
                    ));
                    bucket.tags = all;
                }
                Ok(made)
            }
            "AWS::S3::BucketPolicy" => {
                let bucket = property("Bucket")
                    .ok_or_else(|| (None, invalid("Property Bucket cannot be empty.")))?;
                let policy = property("PolicyDocument")
                    .ok_or_else(|| (None, invalid("Property PolicyDocument cannot be empty.")))?;
                self.s3(
                    world,
                    S3Operation::PutBucketPolicy {
                        bucket: bucket.clone(),
                        policy,
                    },
                )
                .map_err(|error| (None, error))?;
                let mut attributes = BTreeMap::new();
                attributes.insert("Bucket".to_owned(), bucket);
                Ok(Made {
                    physical: self.generated_name(logical, 128, false),
                    reference: None,
                    attributes,
                })
            }
            other => Err((
                None,
                invalid(format!("Unrecognized resource types: [{other}]")),
            )),
        }
    }

    /// `AWS::IAM::OIDCProvider` and `AWS::IAM::SAMLProvider`: `Ref` and `Arn` are the
    /// provider's ARN; a SAML provider also has its `SamlProviderUUID`.
    #[expect(clippy::result_large_err, reason = "made once per resource, never hot")]
    fn create_provider(
        &mut self,
        world: &mut World,
        logical: &str,
        kind: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        let property = |name: &str| properties.get(name).and_then(text);
        let account = self.caller.account.clone();
        let mut pairs: Vec<(String, String)> = Vec::new();
        let arn = if kind == "AWS::IAM::OIDCProvider" {
            let url =
                property("Url").ok_or_else(|| (None, invalid("Property Url cannot be empty.")))?;
            for (list, member) in [
                ("ClientIdList", "ClientIDList"),
                ("ThumbprintList", "ThumbprintList"),
            ] {
                for (index, item) in strings(properties.get(list)).into_iter().enumerate() {
                    pairs.push((format!("{member}.member.{}", index + 1), item));
                }
            }
            let host = url
                .strip_prefix("https://")
                .unwrap_or(&url)
                .trim_end_matches('/')
                .to_owned();
            pairs.push(("Url".to_owned(), url));
            format!("arn:aws:iam::{account}:oidc-provider/{host}")
        } else {
            let name = property("Name").unwrap_or_else(|| self.generated_name(logical, 128, false));
            let document = property("SamlMetadataDocument").ok_or_else(|| {
                (
                    None,
                    invalid("Property SamlMetadataDocument cannot be empty."),
                )
            })?;
            pairs.push(("Name".to_owned(), name.clone()));
            pairs.push(("SAMLMetadataDocument".to_owned(), document));
            format!("arn:aws:iam::{account}:saml-provider/{name}")
        };
        let tags = self.tag_pairs(properties.get("Tags"));
        for (index, (key, value)) in tags.iter().enumerate() {
            pairs.push((format!("Tags.member.{}.Key", index + 1), key.clone()));
            pairs.push((format!("Tags.member.{}.Value", index + 1), value.clone()));
        }
        let action = if kind == "AWS::IAM::OIDCProvider" {
            "CreateOpenIDConnectProvider"
        } else {
            "CreateSAMLProvider"
        };
        self.iam(world, action, &pairs)
            .map_err(|error| (None, error))?;
        let mut attributes = BTreeMap::new();
        attributes.insert("Arn".to_owned(), arn.clone());
        if let Some(provider) = world
            .account(&account)
            .and_then(|found| found.saml_providers.get(&arn))
        {
            attributes.insert("SamlProviderUUID".to_owned(), provider.uuid.clone());
        }
        Ok(Made {
            physical: arn,
            reference: None,
            attributes,
        })
    }

    fn iam_made(&self, world: &World, kind: &str, name: &str) -> Made {
        let account = world.account(&self.caller.account);
        let key = name.to_ascii_lowercase();
        let mut attributes = BTreeMap::new();
        match kind {
            "AWS::IAM::User" => {
                if let Some(user) = account.and_then(|found| found.users.get(&key)) {
                    attributes.insert("Arn".to_owned(), user.arn.clone());
                }
            }
            "AWS::IAM::Role" => {
                if let Some(role) = account.and_then(|found| found.roles.get(&key)) {
                    attributes.insert("Arn".to_owned(), role.arn.clone());
                    attributes.insert("RoleId".to_owned(), role.id.clone());
                }
            }
            _ => {
                if let Some(group) = account.and_then(|found| found.groups.get(&key)) {
                    attributes.insert("Arn".to_owned(), group.arn.clone());
                }
            }
        }
        Made {
            physical: name.to_owned(),
            reference: None,
            attributes,
        }
    }

    /// Deletes a resource; "not found" counts as deleted.
    #[expect(clippy::too_many_lines, reason = "one arm per resource type")]
    pub fn delete(
        &mut self,
        world: &mut World,
        kind: &str,
        made: &Made,
        properties: &Value,
    ) -> Result<(), ApiError> {
        let gone = |result: Result<(), ApiError>| match result {
            Err(error) if error.code == "NoSuchEntity" || error.code == "NoSuchBucket" => Ok(()),
            other => other,
        };
        let name = made.physical.clone();
        match kind {
            "AWS::IAM::User" | "AWS::IAM::Role" | "AWS::IAM::Group" => {
                let (noun, member) = match kind {
                    "AWS::IAM::User" => ("User", "UserName"),
                    "AWS::IAM::Role" => ("Role", "RoleName"),
                    _ => ("Group", "GroupName"),
                };
                if let Some(Value::Array(policies)) = properties.get("Policies") {
                    for policy in policies {
                        let policy_name =
                            policy.get("PolicyName").and_then(text).unwrap_or_default();
                        gone(self.iam(
                            world,
                            &format!("Delete{noun}Policy"),
                            &[(member, name.clone()), ("PolicyName", policy_name)],
                        ))?;
                    }
                }
                for arn in strings(properties.get("ManagedPolicyArns")) {
                    gone(self.iam(
                        world,
                        &format!("Detach{noun}Policy"),
                        &[(member, name.clone()), ("PolicyArn", arn)],
                    ))?;
                }
                if noun == "User" {
                    for group in strings(properties.get("Groups")) {
                        gone(self.iam(
                            world,
                            "RemoveUserFromGroup",
                            &[("UserName", name.clone()), ("GroupName", group)],
                        ))?;
                    }
                }
                gone(self.iam(world, &format!("Delete{noun}"), &[(member, name)]))
            }
            "AWS::IAM::Policy" => {
                let policy_name = properties
                    .get("PolicyName")
                    .and_then(text)
                    .unwrap_or_default();
                for (noun, member, target) in policy_targets(properties) {
                    gone(self.iam(
                        world,
                        &format!("Delete{noun}Policy"),
                        &[(member, target), ("PolicyName", policy_name.clone())],
                    ))?;
                }
                Ok(())
            }
            "AWS::IAM::ManagedPolicy" => {
                for (noun, member, target) in policy_targets(properties) {
                    gone(self.iam(
                        world,
                        &format!("Detach{noun}Policy"),
                        &[(member, target), ("PolicyArn", name.clone())],
                    ))?;
                }
                gone(self.iam(world, "DeletePolicy", &[("PolicyArn", name)]))
            }
            "AWS::IAM::AccessKey" => {
                let user = made.attributes.get("UserName").cloned().unwrap_or_default();
                gone(self.iam(
                    world,
                    "DeleteAccessKey",
                    &[("UserName", user), ("AccessKeyId", name)],
                ))
            }
            "AWS::IAM::UserToGroupAddition" => {
                let group = properties
                    .get("GroupName")
                    .and_then(text)
                    .unwrap_or_default();
                for user in strings(properties.get("Users")) {
                    gone(self.iam(
                        world,
                        "RemoveUserFromGroup",
                        &[("GroupName", group.clone()), ("UserName", user)],
                    ))?;
                }
                Ok(())
            }
            "AWS::IAM::InstanceProfile" => {
                let arn = made.attributes.get("Arn").cloned().unwrap_or_default();
                (self.authorize)(
                    world,
                    self.caller,
                    &[Check::new("iam:DeleteInstanceProfile", arn)],
                )
            }
            "AWS::IAM::OIDCProvider" => gone(self.iam(
                world,
                "DeleteOpenIDConnectProvider",
                &[("OpenIDConnectProviderArn", name)],
            )),
            "AWS::IAM::SAMLProvider" => {
                gone(self.iam(world, "DeleteSAMLProvider", &[("SAMLProviderArn", name)]))
            }
            "AWS::S3::Bucket" => gone(self.s3(world, S3Operation::DeleteBucket { bucket: name })),
            "AWS::S3::BucketPolicy" => {
                let bucket = made.attributes.get("Bucket").cloned().unwrap_or_default();
                gone(self.s3(world, S3Operation::DeleteBucketPolicy { bucket }))
            }
            _ => Ok(()),
        }
    }
}

/// The service named in an event's reason.
pub fn service_of(kind: &str) -> &'static str {
    if kind.starts_with("AWS::S3::") {
        "S3"
    } else {
        "Iam"
    }
}

fn policy_targets(properties: &Value) -> Vec<(&'static str, &'static str, String)> {
    let mut targets = Vec::new();
    for (noun, member, property) in [
        ("User", "UserName", "Users"),
        ("Role", "RoleName", "Roles"),
        ("Group", "GroupName", "Groups"),
    ] {
        for target in strings(properties.get(property)) {
            targets.push((noun, member, target));
        }
    }
    targets
}

fn bucket_made(name: &str, region: &str) -> Made {
    let mut attributes = BTreeMap::new();
    attributes.insert("Arn".to_owned(), format!("arn:aws:s3:::{name}"));
    attributes.insert("DomainName".to_owned(), format!("{name}.s3.amazonaws.com"));
    attributes.insert(
        "DualStackDomainName".to_owned(),
        format!("{name}.s3.dualstack.{region}.amazonaws.com"),
    );
    attributes.insert(
        "RegionalDomainName".to_owned(),
        format!("{name}.s3.{region}.amazonaws.com"),
    );
    attributes.insert(
        "WebsiteURL".to_owned(),
        format!("http://{name}.s3-website-{region}.amazonaws.com"),
    );
    Made {
        physical: name.to_owned(),
        reference: None,
        attributes,
    }
}

/// Twelve characters of `[A-Z0-9]`, as AWS's generated names end.
fn random_suffix() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}
