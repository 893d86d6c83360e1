//! `AWS::IAM::Group` and its policies.

entity_type! {
    Group: Group {
        name: "AWS::IAM::Group",
        required: &[],
        optional: &["GroupName", "ManagedPolicyArns", "Path", "Policies"],
        attributes: &["Arn"],
        named_by: "GroupName",
        replaced_by: &["GroupName", "Path"],
    }
}
