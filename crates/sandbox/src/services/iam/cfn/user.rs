//! `AWS::IAM::User`, its groups, policies and permissions boundary (set, changed or removed in place).

entity_type! {
    User: User {
        name: "AWS::IAM::User",
        required: &[],
        optional: &[
        "Groups",
        "LoginProfile",
        "ManagedPolicyArns",
        "Path",
        "PermissionsBoundary",
        "Policies",
        "Tags",
        "UserName",
    ],
        attributes: &["Arn"],
        named_by: "UserName",
        replaced_by: &["UserName", "Path"],
    }
}
