//! Malformed documents: each case is inline JSON with the codes and paths IAM's
//! `MalformedPolicyDocument` checks would report (`reference_policies_grammar.html` and
//! the element pages), plus the span and "all errors at once" behaviour.

use awslab_policy::{PolicyDocument, PolicyError, PolicyKind};

const IDENTITY: PolicyKind = PolicyKind::Identity;

fn errors(json: &str, kind: PolicyKind) -> Vec<PolicyError> {
    match PolicyDocument::parse_as(json, kind) {
        Ok(_) => Vec::new(),
        Err(errors) => errors,
    }
}

fn codes(json: &str, kind: PolicyKind) -> Vec<(String, String)> {
    errors(json, kind)
        .iter()
        .map(|error| (error.code_name(), error.path().to_owned()))
        .collect()
}

#[test]
fn reports_the_documented_error_for_each_malformed_document() {
    let table: &[(&str, PolicyKind, &str, &str)] = &[
        ("{\"Version\": ", IDENTITY, "policy::syntax", ""),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
            IDENTITY,
            "policy::prohibited_field",
            "/Statement/0/Principal",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
            IDENTITY,
            "policy::missing_field",
            "/Statement/0",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}]}"#,
            PolicyKind::Trust,
            "policy::prohibited_field",
            "/Statement/0/Resource",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            PolicyKind::Resource,
            "policy::missing_field",
            "/Statement/0",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}"#,
            IDENTITY,
            "policy::unknown_effect",
            "/Statement/0/Effect",
        ),
        (
            r#"{"Version":"2012-10-18","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            IDENTITY,
            "policy::invalid_version",
            "/Version",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}"#,
            IDENTITY,
            "policy::invalid_action",
            "/Statement/0/Action",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["*","my-bucket"]}]}"#,
            IDENTITY,
            "policy::invalid_resource",
            "/Statement/0/Resource/1",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}]}"#,
            IDENTITY,
            "policy::conflicting_fields",
            "/Statement/0/NotAction",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Actions":"x"}]}"#,
            IDENTITY,
            "policy::unknown_field",
            "/Statement/0/Actions",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqual":{"aws:username":"bob"}}}]}"#,
            IDENTITY,
            "policy::unknown_operator",
            "/Statement/0/Condition/StringEqual",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}]}"#,
            IDENTITY,
            "policy::invalid_condition_value",
            "/Statement/0/Condition/NumericLessThan/s3:max-keys",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","999.1.1.1"]}}}]}"#,
            IDENTITY,
            "policy::invalid_condition_value",
            "/Statement/0/Condition/IpAddress/aws:SourceIp/1",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"s3:*","Resource":"*"}]}"#,
            PolicyKind::Resource,
            "policy::invalid_principal",
            "/Statement/0/Principal/AWS",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Users":"bob"},"Action":"s3:*","Resource":"*"}]}"#,
            PolicyKind::Resource,
            "policy::invalid_principal",
            "/Statement/0/Principal/Users",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"my sid","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            IDENTITY,
            "policy::invalid_sid",
            "/Statement/0/Sid",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#,
            IDENTITY,
            "policy::duplicate_sid",
            "/Statement/1/Sid",
        ),
        (
            r#"{"Version":"2012-10-17"}"#,
            IDENTITY,
            "policy::missing_field",
            "",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"username":"bob"}}}]}"#,
            IDENTITY,
            "policy::invalid_condition_key",
            "/Statement/0/Condition/StringEquals/username",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}]}"#,
            IDENTITY,
            "policy::unknown_operator",
            "/Statement/0/Condition/NullIfExists",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"yesterday"}}}]}"#,
            IDENTITY,
            "policy::invalid_condition_value",
            "/Statement/0/Condition/DateLessThan/aws:CurrentTime",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"BinaryEquals":{"aws:RequestTag/b":"%%%"}}}]}"#,
            IDENTITY,
            "policy::invalid_condition_value",
            "/Statement/0/Condition/BinaryEquals/aws:RequestTag~1b",
        ),
        (
            r#"["not", "an", "object"]"#,
            IDENTITY,
            "policy::wrong_type",
            "",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#,
            IDENTITY,
            "policy::missing_field",
            "/Statement/0/Action",
        ),
        // reference_policies_grammar.html: an action is `*` or `<service>:<action>`,
        // and an action name has no whitespace, whatever the policy type.
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:      ","Resource":"*"}]}"#,
            IDENTITY,
            "policy::invalid_action",
            "/Statement/0/Action",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get Object"],"Resource":"*"}]}"#,
            IDENTITY,
            "policy::invalid_action",
            "/Statement/0/Action/0",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:      ","Resource":"*"}]}"#,
            PolicyKind::Resource,
            "policy::invalid_action",
            "/Statement/0/Action",
        ),
        // reference_policies_elements_principal.html: every statement of a
        // resource-based policy names a principal, not just some.
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#,
            PolicyKind::Resource,
            "policy::missing_field",
            "/Statement/1",
        ),
    ];
    let mut failures = Vec::new();
    for (json, kind, code, path) in table {
        let found = codes(json, *kind);
        if !found
            .iter()
            .any(|(found_code, found_path)| found_code == code && found_path == path)
        {
            failures.push(format!(
                "{json}\n  expected {code} at `{path}`, got {found:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reports_every_problem_at_once_sorted_by_position() {
    let json = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "allow", "Action": "GetObject", "Resource": "bucket"}
  ]
}"#;
    let found = codes(json, IDENTITY);
    let names: Vec<&str> = found.iter().map(|(code, _)| code.as_str()).collect();
    assert_eq!(
        names,
        [
            "policy::unknown_effect",
            "policy::invalid_action",
            "policy::invalid_resource"
        ]
    );
}

#[test]
fn points_spans_at_the_offending_member() {
    let json = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}]\n}";
    let errors = errors(json, IDENTITY);
    let span = errors
        .first()
        .and_then(PolicyError::span)
        .unwrap_or_else(|| panic!("no span in {errors:?}"));
    assert_eq!(
        &json[span.offset()..span.offset() + span.len()],
        "\"Effect\": \"allow\""
    );
}

#[test]
fn syntax_errors_point_at_the_broken_text() {
    let json = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [,]\n}";
    let errors = errors(json, IDENTITY);
    let span = errors
        .first()
        .and_then(PolicyError::span)
        .unwrap_or_else(|| panic!("no span in {errors:?}"));
    assert_eq!(&json[span.offset()..=span.offset()], ",");
}

#[test]
fn documents_from_values_carry_paths_but_no_spans() {
    let value = serde_json::json!({"Version": "2012-10-17", "Statement": {"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}});
    let errors = PolicyDocument::from_value_as(&value, IDENTITY)
        .err()
        .unwrap_or_default();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path(), "/Statement/Effect");
    assert!(errors[0].span().is_none());
}

#[test]
fn suggests_the_right_case_for_an_operator() {
    let json = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"stringequals":{"aws:username":"bob"}}}]}"#;
    let help = errors(json, IDENTITY)
        .first()
        .and_then(|error| miette::Diagnostic::help(error).map(|help| help.to_string()))
        .unwrap_or_default();
    assert!(help.contains("`StringEquals`"), "{help}");
}

#[test]
fn resource_policies_accept_sids_with_spaces() {
    let json = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Public read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    assert!(PolicyDocument::parse_as(json, PolicyKind::Resource).is_ok());
}

#[test]
fn infers_the_kind_of_a_document() {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let bucket = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    let identity = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let kind = |json: &str| {
        PolicyDocument::parse(json)
            .map(|document| document.kind())
            .ok()
    };
    assert_eq!(kind(trust), Some(PolicyKind::Trust));
    assert_eq!(kind(bucket), Some(PolicyKind::Resource));
    assert_eq!(kind(identity), Some(PolicyKind::Identity));
}

/// A role trust policy with `Resource` is rejected by IAM ("Has prohibited field
/// Resource", `id_roles_update-role-trust-policy.html`); reading it without a kind must
/// not turn it into a resource policy on which the trust rules stop applying.
#[test]
fn a_trust_policy_with_a_resource_is_rejected_even_when_the_kind_is_inferred() {
    let json = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/lab"}]}"#;
    let errors = PolicyDocument::parse(json).err().unwrap_or_default();
    let found: Vec<(String, String)> = errors
        .iter()
        .map(|error| (error.code_name(), error.path().to_owned()))
        .collect();
    assert_eq!(
        found,
        [(
            "policy::prohibited_field".to_owned(),
            "/Statement/0/Resource".to_owned()
        )]
    );
    assert!(
        errors[0]
            .to_string()
            .contains("prohibited field `Resource`"),
        "{}",
        errors[0]
    );
}

/// Whether a document lacking `Principal` is accepted depends only on the kind it is
/// read as: an identity policy has none, a resource or trust policy needs one in
/// every statement (`reference_policies_elements_principal.html`).
#[test]
fn a_document_without_principal_is_valid_only_as_an_identity_policy() {
    let json = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    assert!(PolicyDocument::parse_as(json, IDENTITY).is_ok());
    for kind in [PolicyKind::Resource, PolicyKind::Trust] {
        let codes = codes(json, kind);
        assert!(
            codes
                .iter()
                .any(|(code, path)| code == "policy::missing_field" && path == "/Statement/0"),
            "{kind:?}: {codes:?}"
        );
    }
}
