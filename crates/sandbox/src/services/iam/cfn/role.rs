//! `AWS::IAM::Role`, its trust, policies and permissions boundary.

entity_type! {
    Role: Role {
        name: "AWS::IAM::Role",
        required: &["AssumeRolePolicyDocument"],
        optional: &[
        "Description",
        "ManagedPolicyArns",
        "MaxSessionDuration",
        "Path",
        "PermissionsBoundary",
        "Policies",
        "RoleName",
        "Tags",
    ],
        attributes: &["Arn", "RoleId"],
        named_by: "RoleName",
        replaced_by: &["RoleName", "Path"],
    }
}
