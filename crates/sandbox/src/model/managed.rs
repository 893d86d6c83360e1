//! AWS managed policies bundled with the sandbox, under `arn:aws:iam::aws:policy/`, with
//! the documents, default version ids, policy ids and dates AWS lists for them. The
//! documents are data files (`data/managed/<name>.json`) copied from public mirrors of
//! AWS's own `GetPolicyVersion` answers: `ReadOnlyAccess` v188 from iann0036/iam-dataset
//! (`aws/managedpolicies/ReadOnlyAccess.json`, 2026-07-21); the others from zoph-io/MAMIP
//! (`policies/<name>`, 2026-03-07), which agree with the AWS Managed Policy Reference
//! (docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html). Policy ids and
//! creation dates are MAMIP's `policies-list.json` (a `ListPolicies --scope AWS` answer).
//! Only the default version is kept: `ListPolicyVersions` lists it alone and
//! `GetPolicyVersion` of an older version is `NoSuchEntity`.

/// An AWS managed policy.
#[derive(Debug, Clone, Copy)]
pub struct AwsManaged {
    pub name: &'static str,
    pub path: &'static str,
    pub id: &'static str,
    /// The default version id.
    pub version: &'static str,
    pub description: &'static str,
    /// When the policy was created (`CreateDate`).
    pub created: &'static str,
    /// When its default version was created (`UpdateDate`, and the version's `CreateDate`).
    pub updated: &'static str,
    pub document: &'static str,
}

impl AwsManaged {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy{}{}", self.path, self.name)
    }
}

/// The bundled policies, in the order `ListPolicies` gives them.
pub const AWS_MANAGED: &[AwsManaged] = &[
    AwsManaged {
        name: "AdministratorAccess",
        path: "/",
        id: "ANPAIWMBCKSKIEE64ZLYK",
        version: "v1",
        description: "Provides full access to AWS services and resources.",
        created: "2015-02-06T18:39:46Z",
        updated: "2015-02-06T18:39:46Z",
        document: include_str!("../../data/managed/AdministratorAccess.json"),
    },
    AwsManaged {
        name: "PowerUserAccess",
        path: "/",
        id: "ANPAJYRXTHIB4FOVS3ZXS",
        version: "v12",
        description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
        created: "2015-02-06T18:39:47Z",
        updated: "2026-02-12T17:59:14Z",
        document: include_str!("../../data/managed/PowerUserAccess.json"),
    },
    AwsManaged {
        name: "ReadOnlyAccess",
        path: "/",
        id: "ANPAILL3HVNFSB6DCOWYQ",
        version: "v188",
        description: "Provides read-only access to AWS services and resources.",
        created: "2015-02-06T18:39:48Z",
        updated: "2026-07-21T18:42:30Z",
        document: include_str!("../../data/managed/ReadOnlyAccess.json"),
    },
    AwsManaged {
        name: "IAMFullAccess",
        path: "/",
        id: "ANPAI7XKCFMBPM3QQRRVQ",
        version: "v2",
        description: "Provides full access to IAM via the AWS Management Console.",
        created: "2015-02-06T18:40:38Z",
        updated: "2019-06-21T19:40:00Z",
        document: include_str!("../../data/managed/IAMFullAccess.json"),
    },
    AwsManaged {
        name: "IAMReadOnlyAccess",
        path: "/",
        id: "ANPAJKSO7NDY4T57MWDSQ",
        version: "v4",
        description: "Provides read only access to IAM via the AWS Management Console.",
        created: "2015-02-06T18:40:39Z",
        updated: "2018-01-25T19:11:27Z",
        document: include_str!("../../data/managed/IAMReadOnlyAccess.json"),
    },
    AwsManaged {
        name: "AmazonS3FullAccess",
        path: "/",
        id: "ANPAIFIR6V6BVTRAHWINE",
        version: "v2",
        description: "Provides full access to all buckets via the AWS Management Console.",
        created: "2015-02-06T18:40:58Z",
        updated: "2021-09-27T20:16:37Z",
        document: include_str!("../../data/managed/AmazonS3FullAccess.json"),
    },
    AwsManaged {
        name: "AmazonS3ReadOnlyAccess",
        path: "/",
        id: "ANPAIZTJ4DXE7G6AGAE6M",
        version: "v3",
        description: "Provides read only access to all buckets via the AWS Management Console.",
        created: "2015-02-06T18:40:59Z",
        updated: "2023-08-10T21:31:39Z",
        document: include_str!("../../data/managed/AmazonS3ReadOnlyAccess.json"),
    },
];

/// The bundled policy with `arn`.
pub fn find(arn: &str) -> Option<&'static AwsManaged> {
    let name = arn.strip_prefix("arn:aws:iam::aws:policy/")?;
    AWS_MANAGED.iter().find(|policy| policy.name == name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_bundled_document_parses_as_identity_policy() {
        for policy in super::AWS_MANAGED {
            assert!(
                awslab_policy::PolicyDocument::parse(policy.document).is_ok(),
                "{}",
                policy.name
            );
            assert!(policy.version.starts_with('v'), "{}", policy.name);
            assert!(policy.created <= policy.updated, "{}", policy.name);
        }
        assert!(super::find("arn:aws:iam::aws:policy/AdministratorAccess").is_some());
        assert!(super::find("arn:aws:iam::aws:policy/ReadOnlyAccess").is_some());
        assert!(super::find("arn:aws:iam::aws:policy/job-function/ReadOnlyAccess").is_none());
    }
}
