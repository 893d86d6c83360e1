//! A verify's call (`service.Operation`) in the models, and what the models do not say
//! about it: the IAM action AWS authorizes for it, whether it reads, creates something
//! teardown removes, or changes what awslab cannot restore, and the answer fields
//! earlier versions of awslab derived (kept so existing plans keep working).

use crate::model::{Operation, Service, models};

/// One operation of one service.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// The service's name in a plan (`iam`, `sts`, `s3`, `cloudformation`).
    pub service_name: &'static str,
    /// The operation's name (`PutObject`).
    pub operation_name: &'static str,
    pub service: &'static Service,
    pub operation: &'static Operation,
}

/// What a successful call leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing that outlives the call (reads; STS hands out credentials a verify drops).
    Reads,
    /// A resource awslab journals and tears down.
    Creates(Creates),
    /// A change awslab cannot undo: a verify may not make this call.
    Changes,
}

/// The resources a verify may create: each has a resource type in the executor's
/// journal, so `down` removes it by its immutable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creates {
    /// `s3.PutObject`: the object (deleted while its `ETag` is the one put).
    S3Object,
    /// `iam.CreateUser`.
    IamUser,
    /// `iam.CreateRole`.
    IamRole,
    /// `iam.CreatePolicy`.
    IamPolicy,
    /// `iam.CreateAccessKey` (its secret is dropped at once).
    IamAccessKey,
    /// `iam.PutUserPolicy`.
    IamUserPolicy,
}

/// The calls a verify may make that create something, and what.
const CREATES: &[(&str, Creates)] = &[
    ("s3.PutObject", Creates::S3Object),
    ("iam.CreateUser", Creates::IamUser),
    ("iam.CreateRole", Creates::IamRole),
    ("iam.CreatePolicy", Creates::IamPolicy),
    ("iam.CreateAccessKey", Creates::IamAccessKey),
    ("iam.PutUserPolicy", Creates::IamUserPolicy),
];

/// Operation name prefixes of calls that change nothing.
const READ_PREFIXES: &[&str] = &[
    "Get", "List", "Describe", "Head", "Simulate", "Validate", "Estimate", "Detect", "Select",
];

/// S3 operations authorized as another action than `s3:<Operation>`.
const S3_ACTIONS: &[(&str, &str)] = &[
    ("ListBuckets", "s3:ListAllMyBuckets"),
    (
        "ListDirectoryBuckets",
        "s3express:ListAllMyDirectoryBuckets",
    ),
    ("ListObjects", "s3:ListBucket"),
    ("ListObjectsV2", "s3:ListBucket"),
    ("HeadBucket", "s3:ListBucket"),
    ("HeadObject", "s3:GetObject"),
    ("ListObjectVersions", "s3:ListBucketVersions"),
    ("ListMultipartUploads", "s3:ListBucketMultipartUploads"),
    ("ListParts", "s3:ListMultipartUploadParts"),
    ("CreateMultipartUpload", "s3:PutObject"),
    ("UploadPart", "s3:PutObject"),
    ("UploadPartCopy", "s3:PutObject"),
    ("CompleteMultipartUpload", "s3:PutObject"),
    ("CopyObject", "s3:PutObject"),
    ("DeleteObjects", "s3:DeleteObject"),
    ("GetObjectAttributes", "s3:GetObject"),
    ("DeleteBucketPolicy", "s3:DeleteBucketPolicy"),
    ("GetBucketLocation", "s3:GetBucketLocation"),
];

/// Answer fields that are not members of the answer but were derived by earlier
/// versions of awslab: `(call, field, path)`, the path in the answer they stand for.
const ALIASES: &[(&str, &str, &str)] = &[
    ("s3.ListBuckets", "Buckets", "Buckets[*].Name"),
    ("s3.ListObjectsV2", "Keys", "Contents[*].Key"),
    ("s3.ListObjects", "Keys", "Contents[*].Key"),
    ("iam.GetGroup", "UserNames", "Users[*].UserName"),
    ("iam.ListUsers", "UserNames", "Users[*].UserName"),
    ("iam.ListRoles", "RoleNames", "Roles[*].RoleName"),
];

/// The answer fields of `call` that stand for another path (see [`ALIASES`]).
pub fn answer_aliases(call: &str) -> impl Iterator<Item = (&'static str, &'static str)> {
    ALIASES
        .iter()
        .filter(move |(name, _, _)| *name == call)
        .map(|(_, field, path)| (*field, *path))
}

/// The call `service.Operation`, if a model has it.
pub fn find_call(name: &str) -> Option<Call> {
    let (service, operation) = name.split_once('.')?;
    let (service_name, model) = models().service(service)?;
    let (operation_name, operation) = model.operations.get_key_value(operation)?;
    Some(Call {
        service_name,
        operation_name,
        service: model,
        operation,
    })
}

impl Call {
    /// Every call of every service, as `service.Operation`.
    pub fn all() -> impl Iterator<Item = Call> {
        models().iter().flat_map(|(service_name, model)| {
            model
                .operations
                .iter()
                .map(move |(operation_name, operation)| Call {
                    service_name,
                    operation_name,
                    service: model,
                    operation,
                })
        })
    }

    /// `service.Operation`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.service_name, self.operation_name)
    }

    /// The IAM action AWS authorizes the call as (`s3:ListBucket` for
    /// `s3.ListObjectsV2`).
    pub fn action(&self) -> String {
        if self.service_name == "s3"
            && let Some((_, action)) = S3_ACTIONS.iter().find(|(op, _)| *op == self.operation_name)
        {
            return (*action).to_owned();
        }
        format!("{}:{}", self.service.signing_name, self.operation_name)
    }

    /// What a successful call leaves behind.
    pub fn effect(&self) -> Effect {
        let name = self.name();
        if let Some((_, creates)) = CREATES.iter().find(|(call, _)| *call == name) {
            return Effect::Creates(*creates);
        }
        if self.service_name == "sts"
            || READ_PREFIXES
                .iter()
                .any(|prefix| self.operation_name.starts_with(prefix))
        {
            return Effect::Reads;
        }
        Effect::Changes
    }

    /// The calls that create something a verify may make (for messages and docs).
    pub fn creating() -> impl Iterator<Item = &'static str> {
        CREATES.iter().map(|(call, _)| *call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_extra_names_a_call_of_the_models() {
        for (call, _) in CREATES {
            assert!(find_call(call).is_some(), "{call}");
        }
        for (op, _) in S3_ACTIONS {
            assert!(find_call(&format!("s3.{op}")).is_some(), "{op}");
        }
        for (call, _, _) in ALIASES {
            assert!(find_call(call).is_some(), "{call}");
        }
    }

    #[test]
    fn classifies_calls() {
        let effect = |name: &str| find_call(name).unwrap().effect();
        assert_eq!(effect("s3.GetObject"), Effect::Reads);
        assert_eq!(effect("sts.AssumeRole"), Effect::Reads);
        assert_eq!(effect("s3.PutObject"), Effect::Creates(Creates::S3Object));
        assert_eq!(effect("iam.DeleteUser"), Effect::Changes);
        assert_eq!(
            find_call("s3.ListObjectsV2").unwrap().action(),
            "s3:ListBucket"
        );
        assert_eq!(find_call("iam.GetUser").unwrap().action(), "iam:GetUser");
        assert_eq!(
            find_call("cloudformation.DescribeStacks").unwrap().action(),
            "cloudformation:DescribeStacks"
        );
        assert!(find_call("s3.PutObjekt").is_none());
        assert!(Call::all().count() > 380);
    }
}
