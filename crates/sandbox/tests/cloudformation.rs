//! CloudFormation through the Rust SDK, in-process: the seed lab's template creates,
//! gives its outputs and deletes; stacks are in progress on the first poll; templates
//! with every intrinsic function; CloudFormation's validation errors as a table;
//! capabilities; a caller allowed CloudFormation but not IAM sees its stack roll back;
//! a non-empty bucket ends `DELETE_FAILED`; updates and change sets.

#![expect(
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::similar_names,
    clippy::doc_markdown,
    clippy::redundant_closure_for_method_calls,
    clippy::type_complexity,
    reason = "test"
)]

mod common;

use std::fmt::Write as _;

use aws_sdk_cloudformation::error::ProvideErrorMetadata as _;
use aws_sdk_cloudformation::operation::RequestId as _;
use aws_sdk_cloudformation::types::{Capability, Parameter, Stack, StackStatus, Tag};
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_sdk_s3::primitives::ByteStream;
use awslab_sandbox::{IN_PROCESS_ENDPOINT, Sandbox};
use common::{ACCOUNT, Keys, iam, s3, user_with_key};

const SEED_TEMPLATE: &str = include_str!("../../../plans/templates/role-and-bucket.yaml");

fn cfn(sandbox: &Sandbox, keys: &Keys) -> aws_sdk_cloudformation::Client {
    let credentials = aws_credential_types::Credentials::new(
        &keys.id,
        &keys.secret,
        keys.token.clone(),
        None,
        "test",
    );
    let config = aws_sdk_cloudformation::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(IN_PROCESS_ENDPOINT)
        .http_client(sandbox.http_client())
        .build();
    aws_sdk_cloudformation::Client::from_conf(config)
}

fn parameter(key: &str, value: &str) -> Parameter {
    Parameter::builder()
        .parameter_key(key)
        .parameter_value(value)
        .build()
}

async fn describe(client: &aws_sdk_cloudformation::Client, stack: &str) -> Stack {
    client
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .expect("describe stacks")
        .stacks()
        .first()
        .cloned()
        .expect("one stack")
}

/// Polls until the status no longer ends in `_IN_PROGRESS`; returns every status seen.
async fn settle(client: &aws_sdk_cloudformation::Client, stack: &str) -> (Stack, Vec<String>) {
    let mut seen = Vec::new();
    for _ in 0..20 {
        let found = describe(client, stack).await;
        let status = found.stack_status().expect("status").as_str().to_owned();
        seen.push(status.clone());
        if !status.ends_with("_IN_PROGRESS") {
            return (found, seen);
        }
    }
    panic!("stack {stack} never settled: {seen:?}");
}

fn output(stack: &Stack, key: &str) -> String {
    stack
        .outputs()
        .iter()
        .find(|output| output.output_key() == Some(key))
        .and_then(|output| output.output_value())
        .unwrap_or_else(|| panic!("output {key}"))
        .to_owned()
}

async fn events(client: &aws_sdk_cloudformation::Client, stack: &str) -> Vec<String> {
    let mut found: Vec<String> = client
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
        .expect("events")
        .stack_events()
        .iter()
        .map(|event| {
            format!(
                "{} {}",
                event.logical_resource_id().unwrap_or_default(),
                event
                    .resource_status()
                    .map(|s| s.as_str())
                    .unwrap_or_default()
            )
        })
        .collect();
    found.reverse();
    found.dedup();
    found
}

#[tokio::test]
async fn seed_lab_stack_creates_gives_outputs_and_deletes() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let client = cfn(&sandbox, &operator);
    let user_arn = format!("arn:aws:iam::{ACCOUNT}:user/awslab-operator");
    let created = client
        .create_stack()
        .stack_name("sts-lab")
        .template_body(SEED_TEMPLATE)
        .parameters(parameter("UserArn", &user_arn))
        .parameters(parameter("BucketName", "sts-lab-bucket-1"))
        .capabilities(Capability::CapabilityIam)
        .tags(Tag::builder().key("awslab:run").value("r1").build())
        .send()
        .await
        .expect("create stack");
    let stack_id = created.stack_id().expect("id").to_owned();
    assert!(stack_id.starts_with(&format!(
        "arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/sts-lab/"
    )));

    let (stack, seen) = settle(&client, "sts-lab").await;
    assert_eq!(seen, ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]);
    assert_eq!(output(&stack, "BucketName"), "sts-lab-bucket-1");
    let role_name = output(&stack, "RoleName");
    assert!(role_name.starts_with("sts-lab-StsRole-"), "{role_name}");
    assert_eq!(role_name.len(), "sts-lab-StsRole-".len() + 12);
    assert_eq!(
        output(&stack, "RoleArn"),
        format!("arn:aws:iam::{ACCOUNT}:role/{role_name}")
    );

    let admin = iam(&sandbox, &operator);
    let role = admin
        .get_role()
        .role_name(&role_name)
        .send()
        .await
        .expect("the role exists");
    let role = role.role().expect("role");
    assert!(
        role.tags()
            .iter()
            .any(|tag| tag.key() == "awslab:run" && tag.value() == "r1")
    );
    let inline = admin
        .get_role_policy()
        .role_name(&role_name)
        .policy_name("s3-bucket-access")
        .send()
        .await
        .expect("the role's inline policy");
    assert!(inline.policy_document().contains("sts-lab-bucket-1"));
    let tags = s3(&sandbox, &operator, true)
        .get_bucket_tagging()
        .bucket("sts-lab-bucket-1")
        .send()
        .await
        .expect("bucket tags");
    assert!(
        tags.tag_set()
            .iter()
            .any(|tag| tag.key() == "aws:cloudformation:logical-id" && tag.value() == "Bucket")
    );

    assert_eq!(
        events(&client, "sts-lab").await,
        [
            "sts-lab CREATE_IN_PROGRESS",
            "Bucket CREATE_IN_PROGRESS",
            "Bucket CREATE_COMPLETE",
            "StsRole CREATE_IN_PROGRESS",
            "StsRole CREATE_COMPLETE",
            "BucketAccess CREATE_IN_PROGRESS",
            "BucketAccess CREATE_COMPLETE",
            "sts-lab CREATE_COMPLETE",
        ]
    );
    let resources = client
        .list_stack_resources()
        .stack_name("sts-lab")
        .send()
        .await
        .expect("resources");
    let mut logical: Vec<&str> = resources
        .stack_resource_summaries()
        .iter()
        .filter_map(|summary| summary.logical_resource_id())
        .collect();
    logical.sort_unstable();
    assert_eq!(logical, ["Bucket", "BucketAccess", "StsRole"]);
    let detail = client
        .describe_stack_resource()
        .stack_name("sts-lab")
        .logical_resource_id("StsRole")
        .send()
        .await
        .expect("resource");
    assert_eq!(
        detail
            .stack_resource_detail()
            .and_then(|d| d.physical_resource_id()),
        Some(role_name.as_str())
    );
    let template = client
        .get_template()
        .stack_name("sts-lab")
        .send()
        .await
        .expect("template");
    assert_eq!(template.template_body(), Some(SEED_TEMPLATE));

    client
        .delete_stack()
        .stack_name("sts-lab")
        .send()
        .await
        .expect("delete");
    let (gone, seen) = settle(&client, &stack_id).await;
    assert_eq!(seen, ["DELETE_IN_PROGRESS", "DELETE_COMPLETE"]);
    assert!(gone.deletion_time().is_some());
    let missing = client
        .describe_stacks()
        .stack_name("sts-lab")
        .send()
        .await
        .expect_err("deleted stacks are not found by name");
    assert_eq!(missing.code(), Some("ValidationError"));
    assert_eq!(
        missing.message(),
        Some("Stack with id sts-lab does not exist")
    );
    let role_gone = admin
        .get_role()
        .role_name(&role_name)
        .send()
        .await
        .expect_err("the role is deleted");
    assert_eq!(role_gone.code(), Some("NoSuchEntity"));
    let buckets = s3(&sandbox, &operator, true)
        .list_buckets()
        .send()
        .await
        .expect("buckets");
    assert!(buckets.buckets().is_empty());
}

#[tokio::test]
async fn iam_resources_need_their_capability() {
    let sandbox = Sandbox::in_memory();
    let client = cfn(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let named = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: fixed\n      AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: 'sts:AssumeRole'}]}\n";
    for (template, capabilities, expected) in [
        (
            SEED_TEMPLATE,
            vec![],
            "Requires capabilities : [CAPABILITY_IAM]",
        ),
        (
            named,
            vec![],
            "Requires capabilities : [CAPABILITY_NAMED_IAM]",
        ),
        (
            named,
            vec![Capability::CapabilityIam],
            "Requires capabilities : [CAPABILITY_NAMED_IAM]",
        ),
    ] {
        let mut request = client
            .create_stack()
            .stack_name("caps")
            .template_body(template);
        if template == SEED_TEMPLATE {
            request = request
                .parameters(parameter(
                    "UserArn",
                    &format!("arn:aws:iam::{ACCOUNT}:root"),
                ))
                .parameters(parameter("BucketName", "caps-bucket"));
        }
        let error = request
            .set_capabilities(Some(capabilities))
            .send()
            .await
            .expect_err("refused");
        assert_eq!(error.code(), Some("InsufficientCapabilitiesException"));
        assert_eq!(error.message(), Some(expected));
    }
    let nothing = client.describe_stacks().send().await.expect("describe");
    assert!(
        nothing.stacks().is_empty(),
        "a refused stack is not created"
    );
}

#[tokio::test]
async fn validation_errors_are_cloudformations() {
    let sandbox = Sandbox::in_memory();
    let client = cfn(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let bucket = "  B:\n    Type: AWS::S3::Bucket\n";
    let cases: Vec<(String, Vec<(&str, &str)>, &str)> = vec![
        ("Resources: {}\n".to_owned(), vec![], "Template format error: At least one Resources member must be defined."),
        ("Resources:\n  B: [\n".to_owned(), vec![], "Template format error: YAML not well-formed. (line 2, column 6)"),
        ("{\"Resources\": }".to_owned(), vec![], "Template format error: JSON not well-formed. (line 1, column 15)"),
        (format!("Foo: 1\nResources:\n{bucket}"), vec![], "Template format error: Invalid template property or properties [Foo]"),
        ("Resources:\n  B:\n    Properties: {}\n".to_owned(), vec![], "Template format error: [/Resources/B] Every Resources object must contain a Type member."),
        ("Resources:\n  B:\n    Type: AWS::EC2::Instance\n".to_owned(), vec![], "Template format error: Unrecognized resource types: [AWS::EC2::Instance]"),
        ("Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Ref Nope\n".to_owned(), vec![], "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template"),
        (format!("Resources:\n{bucket}Outputs:\n  O:\n    Value: !GetAtt Missing.Arn\n"), vec![], "Template format error: Unresolved resource dependencies [Missing] in the Outputs block of the template"),
        ("Resources:\n  A:\n    Type: AWS::S3::Bucket\n    DependsOn: B\n  B:\n    Type: AWS::S3::Bucket\n    DependsOn: A\n".to_owned(), vec![], "Circular dependency between resources: [A, B]"),
        (format!("Parameters:\n  P:\n    Type: String\nResources:\n{bucket}"), vec![], "Parameters: [P] must have values"),
        (format!("Resources:\n{bucket}"), vec![("Q", "x")], "Parameters: [Q] do not exist in the template"),
        (format!("Parameters:\n  Env:\n    Type: String\n    AllowedValues: [dev, prod]\nResources:\n{bucket}"), vec![("Env", "test")], "Parameter 'Env' must be one of AllowedValues"),
        (format!("Parameters:\n  Name:\n    Type: String\n    AllowedPattern: '[a-z]+'\nResources:\n{bucket}"), vec![("Name", "Abc")], "Parameter 'Name' must match pattern [a-z]+"),
        (format!("Parameters:\n  N:\n    Type: Number\nResources:\n{bucket}"), vec![("N", "ten")], "Parameter 'N' must be a number"),
        (format!("Parameters:\n  N:\n    Type: Strin\nResources:\n{bucket}"), vec![], "Template format error: Unrecognized parameter type: Strin"),
        (format!("Parameters:\n  S:\n    Type: String\n    MinLength: 3\nResources:\n{bucket}"), vec![("S", "ab")], "Parameter 'S' must contain at least 3 characters"),
        (format!("Resources:\n{bucket}Outputs:\n  O:\n    Value: !GetAtt B.Nope\n"), vec![], "Template error: resource B does not support attribute type Nope in Fn::GetAtt"),
        (format!("Mappings:\n  M:\n    a: {{b: c}}\nResources:\n{bucket}Outputs:\n  O:\n    Value: !FindInMap [M, a, z]\n"), vec![], "Template error: Unable to get mapping for M::a::z"),
        (format!("Resources:\n{bucket}Outputs:\n  O:\n    Value: !ImportValue nobody-exports-this\n"), vec![], "No export named nobody-exports-this found."),
    ];
    for (template, parameters, expected) in cases {
        let mut request = client
            .create_stack()
            .stack_name("bad")
            .template_body(&template);
        for (key, value) in parameters {
            request = request.parameters(parameter(key, value));
        }
        let error = request.send().await.expect_err(&template);
        assert_eq!(error.code(), Some("ValidationError"), "{template}");
        let message = error.message().unwrap_or_default();
        assert_eq!(message, expected, "{template}");
    }
}

#[tokio::test]
async fn intrinsic_functions_conditions_mappings_and_exports() {
    let sandbox = Sandbox::in_memory();
    let client = cfn(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let exporter = "Resources:\n  B:\n    Type: AWS::S3::Bucket\nOutputs:\n  Name:\n    Value: !Ref B\n    Export:\n      Name: !Sub '${AWS::StackName}-bucket'\n";
    client
        .create_stack()
        .stack_name("exporter")
        .template_body(exporter)
        .send()
        .await
        .expect("exporter");
    let (exported, _) = settle(&client, "exporter").await;
    let exported_bucket = output(&exported, "Name");
    assert!(
        exported_bucket.starts_with("exporter-b-"),
        "{exported_bucket}"
    );

    let template = r#"
AWSTemplateFormatVersion: "2010-09-09"
Description: every intrinsic function
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
    Default: dev
  Secret:
    Type: String
    NoEcho: true
  Zones:
    Type: CommaDelimitedList
    Default: "a,b,c"
Mappings:
  Sizes:
    dev: {Count: "1"}
    prod: {Count: "3"}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals [x, x]]
  Either: !Or [!Condition IsProd, !Condition Both]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Join ["-", [!Ref "AWS::StackName", !Select [1, !Ref Zones], data]]
      Tags:
        - Key: secret
          Value: !Ref Secret
  ProdOnly:
    Type: AWS::S3::Bucket
    Condition: IsProd
Outputs:
  Sub:
    Value: !Sub "${AWS::AccountId}:${AWS::Region}:${Bucket}:${Bucket.Arn}:${!Literal}"
  SubVars:
    Value: !Sub ["${A}-${B}", {A: !Ref Env, B: !FindInMap [Sizes, !Ref Env, Count]}]
  Split:
    Value: !Select [2, !Split ["/", "a/b/c"]]
  If:
    Value: !If [IsProd, big, !If [Either, small, none]]
  Zones:
    Value: !Join [",", !GetAZs ""]
  Base64:
    Value: !Base64 hello
  Imported:
    Value: !ImportValue exporter-bucket
  Partition:
    Value: !Sub "${AWS::Partition}.${AWS::URLSuffix}"
  ProdBucket:
    Condition: IsProd
    Value: !Ref ProdOnly
"#;
    client
        .create_stack()
        .stack_name("functions")
        .template_body(template)
        .parameters(parameter("Secret", "hunter2"))
        .send()
        .await
        .expect("create");
    let (stack, _) = settle(&client, "functions").await;
    assert_eq!(
        stack.stack_status(),
        Some(&StackStatus::CreateComplete),
        "{:?}",
        stack.stack_status_reason()
    );
    assert_eq!(
        output(&stack, "Sub"),
        format!("{ACCOUNT}:us-east-1:functions-b-data:arn:aws:s3:::functions-b-data:${{Literal}}")
    );
    assert_eq!(output(&stack, "SubVars"), "dev-1");
    assert_eq!(output(&stack, "Split"), "c");
    assert_eq!(output(&stack, "If"), "small");
    assert_eq!(output(&stack, "Zones"), "us-east-1a,us-east-1b,us-east-1c");
    assert_eq!(output(&stack, "Base64"), "aGVsbG8=");
    assert_eq!(output(&stack, "Imported"), exported_bucket);
    assert_eq!(output(&stack, "Partition"), "aws.amazonaws.com");
    assert!(
        stack
            .outputs()
            .iter()
            .all(|o| o.output_key() != Some("ProdBucket"))
    );
    let secret = stack
        .parameters()
        .iter()
        .find(|p| p.parameter_key() == Some("Secret"))
        .and_then(|p| p.parameter_value());
    assert_eq!(secret, Some("****"), "NoEcho parameters are masked");
    let events = client
        .describe_stack_events()
        .stack_name("functions")
        .send()
        .await
        .expect("events");
    let properties: Vec<&str> = events
        .stack_events()
        .iter()
        .filter_map(|event| event.resource_properties())
        .collect();
    assert!(!properties.is_empty());
    assert!(
        properties
            .iter()
            .all(|text| !text.contains("hunter2")
                && (!text.contains("secret") || text.contains("****"))),
        "{properties:?}"
    );
    let resources = client
        .list_stack_resources()
        .stack_name("functions")
        .send()
        .await
        .expect("resources");
    assert_eq!(
        resources.stack_resource_summaries().len(),
        1,
        "the ProdOnly condition is false"
    );

    let in_use = client.delete_stack().stack_name("exporter").send().await;
    assert!(in_use.is_ok());
    let (exporter_stack, _) = settle(&client, "exporter").await;
    assert_eq!(
        exporter_stack.stack_status(),
        Some(&StackStatus::DeleteFailed)
    );
    assert_eq!(
        exporter_stack.stack_status_reason(),
        Some("Export exporter-bucket cannot be deleted as it is in use by functions")
    );
}

#[tokio::test]
async fn a_caller_allowed_cloudformation_but_not_iam_sees_its_stack_roll_back() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let admin = iam(&sandbox, &operator);
    let deployer = user_with_key(&sandbox, "deployer").await;
    admin
        .put_user_policy()
        .user_name("deployer")
        .policy_name("cfn-and-s3")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudformation:*","s3:*"],"Resource":"*"}]}"#)
        .send()
        .await
        .expect("policy");
    let client = cfn(&sandbox, &deployer);
    let created = client
        .create_stack()
        .stack_name("denied")
        .template_body(SEED_TEMPLATE)
        .parameters(parameter(
            "UserArn",
            &format!("arn:aws:iam::{ACCOUNT}:user/deployer"),
        ))
        .parameters(parameter("BucketName", "denied-bucket"))
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .expect("CloudFormation itself is allowed");
    // Each resource's call was decided as the deployer, and kept for `explain`.
    let request_id = created.request_id().expect("request id").to_owned();
    let explanation = sandbox
        .explain(&request_id)
        .expect("explain")
        .expect("kept");
    assert!(
        explanation.contains("cloudformation:CreateStack")
            && explanation.contains("s3:CreateBucket")
            && explanation.contains("iam:CreateRole"),
        "{explanation}"
    );
    let (stack, seen) = settle(&client, "denied").await;
    assert_eq!(
        seen,
        [
            "CREATE_IN_PROGRESS",
            "ROLLBACK_IN_PROGRESS",
            "ROLLBACK_COMPLETE"
        ]
    );
    assert_eq!(
        stack.stack_status_reason(),
        None,
        "ROLLBACK_COMPLETE has no reason; the failure is in the events"
    );
    let all = client
        .describe_stack_events()
        .stack_name("denied")
        .send()
        .await
        .expect("events");
    let failed = all
        .stack_events()
        .iter()
        .find(|event| event.resource_status().map(|s| s.as_str()) == Some("CREATE_FAILED"))
        .expect("a failed resource");
    assert_eq!(failed.logical_resource_id(), Some("StsRole"));
    let reason = failed.resource_status_reason().unwrap_or_default();
    assert!(
        reason.contains(&format!("User: arn:aws:iam::{ACCOUNT}:user/deployer is not authorized to perform: iam:CreateRole"))
            && reason.contains("HandlerErrorCode: AccessDenied"),
        "{reason}"
    );
    assert_eq!(
        events(&client, "denied").await,
        [
            "denied CREATE_IN_PROGRESS",
            "Bucket CREATE_IN_PROGRESS",
            "Bucket CREATE_COMPLETE",
            "StsRole CREATE_IN_PROGRESS",
            "StsRole CREATE_FAILED",
            "denied ROLLBACK_IN_PROGRESS",
            "Bucket DELETE_IN_PROGRESS",
            "Bucket DELETE_COMPLETE",
            "StsRole DELETE_COMPLETE",
            "denied ROLLBACK_COMPLETE",
        ]
    );
    let buckets = s3(&sandbox, &operator, true)
        .list_buckets()
        .send()
        .await
        .expect("buckets");
    assert!(
        buckets.buckets().is_empty(),
        "the rollback deleted the bucket"
    );
    let roles = admin.list_roles().send().await.expect("roles");
    assert!(
        roles
            .roles()
            .iter()
            .all(|role| !role.role_name().starts_with("denied-"))
    );
}

#[tokio::test]
async fn a_non_empty_bucket_ends_delete_failed_and_retain_keeps_resources() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let client = cfn(&sandbox, &operator);
    let template = "Resources:\n  Full:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: full-bucket\n  Kept:\n    Type: AWS::S3::Bucket\n    DeletionPolicy: Retain\n    Properties:\n      BucketName: kept-bucket\n";
    client
        .create_stack()
        .stack_name("buckets")
        .template_body(template)
        .send()
        .await
        .expect("create");
    settle(&client, "buckets").await;
    let storage = s3(&sandbox, &operator, true);
    storage
        .put_object()
        .bucket("full-bucket")
        .key("note.txt")
        .body(ByteStream::from_static(b"hi"))
        .send()
        .await
        .expect("put");
    client
        .delete_stack()
        .stack_name("buckets")
        .send()
        .await
        .expect("delete");
    let (stack, seen) = settle(&client, "buckets").await;
    assert_eq!(seen, ["DELETE_IN_PROGRESS", "DELETE_FAILED"]);
    assert_eq!(
        stack.stack_status_reason(),
        Some("The following resource(s) failed to delete: [Full]. ")
    );
    let found = events(&client, "buckets").await;
    assert!(
        found.contains(&"Kept DELETE_SKIPPED".to_owned()),
        "{found:?}"
    );
    assert!(
        found.contains(&"Full DELETE_FAILED".to_owned()),
        "{found:?}"
    );

    storage
        .delete_object()
        .bucket("full-bucket")
        .key("note.txt")
        .send()
        .await
        .expect("empty it");
    client
        .delete_stack()
        .stack_name("buckets")
        .send()
        .await
        .expect("delete again");
    let (_, seen) = settle(&client, stack.stack_id().expect("id")).await;
    assert_eq!(seen.last().map(String::as_str), Some("DELETE_COMPLETE"));
    let names: Vec<String> = storage
        .list_buckets()
        .send()
        .await
        .expect("list")
        .buckets()
        .iter()
        .filter_map(|bucket| bucket.name().map(str::to_owned))
        .collect();
    assert_eq!(
        names,
        ["kept-bucket"],
        "DeletionPolicy: Retain keeps the bucket"
    );
}

#[tokio::test]
async fn updates_and_change_sets() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let client = cfn(&sandbox, &operator);
    let first = "Parameters:\n  Suffix:\n    Type: String\nResources:\n  User:\n    Type: AWS::IAM::User\n    Properties:\n      Policies:\n        - PolicyName: p\n          PolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Action: 's3:ListBucket', Resource: '*'}]}\nOutputs:\n  UserArn:\n    Value: !GetAtt User.Arn\n";
    let created = client
        .create_change_set()
        .stack_name("changes")
        .change_set_name("first")
        .change_set_type("CREATE".into())
        .template_body(first)
        .parameters(parameter("Suffix", "a"))
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .expect("change set");
    let review = describe(&client, "changes").await;
    assert_eq!(review.stack_status(), Some(&StackStatus::ReviewInProgress));
    let change_set = client
        .describe_change_set()
        .change_set_name(created.id().expect("id"))
        .send()
        .await
        .expect("describe change set");
    assert_eq!(
        change_set.status().map(|s| s.as_str()),
        Some("CREATE_COMPLETE")
    );
    let actions: Vec<(String, String)> = change_set
        .changes()
        .iter()
        .filter_map(|change| change.resource_change())
        .map(|change| {
            (
                change
                    .action()
                    .map(|a| a.as_str().to_owned())
                    .unwrap_or_default(),
                change.logical_resource_id().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(actions, [("Add".to_owned(), "User".to_owned())]);
    client
        .execute_change_set()
        .change_set_name("first")
        .stack_name("changes")
        .send()
        .await
        .expect("execute");
    let (stack, seen) = settle(&client, "changes").await;
    assert_eq!(seen, ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]);
    let user_arn = output(&stack, "UserArn");
    assert!(user_arn.contains(":user/changes-User-"), "{user_arn}");

    let same = client
        .create_change_set()
        .stack_name("changes")
        .change_set_name("same")
        .use_previous_template(true)
        .parameters(
            Parameter::builder()
                .parameter_key("Suffix")
                .use_previous_value(true)
                .build(),
        )
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .expect("an empty change set is made, and fails");
    let same = client
        .describe_change_set()
        .change_set_name(same.id().expect("id"))
        .send()
        .await
        .expect("describe");
    assert_eq!(same.status().map(|s| s.as_str()), Some("FAILED"));
    assert_eq!(
        same.status_reason(),
        Some(
            "The submitted information didn't contain changes. Submit different information to create a change set."
        )
    );
    let no_updates = client
        .update_stack()
        .stack_name("changes")
        .use_previous_template(true)
        .parameters(
            Parameter::builder()
                .parameter_key("Suffix")
                .use_previous_value(true)
                .build(),
        )
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .expect_err("nothing to do");
    assert_eq!(
        no_updates.message(),
        Some("No updates are to be performed.")
    );

    let second = format!(
        "{first}  BucketName:\n    Value: !Ref Bucket\n",
    )
    .replace(
        "Outputs:",
        "  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub 'changes-${Suffix}'\nOutputs:",
    );
    client
        .update_stack()
        .stack_name("changes")
        .template_body(&second)
        .parameters(parameter("Suffix", "b"))
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .expect("update");
    let (stack, seen) = settle(&client, "changes").await;
    assert_eq!(
        seen,
        [
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            "UPDATE_COMPLETE"
        ]
    );
    assert_eq!(output(&stack, "BucketName"), "changes-b");
    assert_eq!(
        output(&stack, "UserArn"),
        user_arn,
        "the unchanged user stays"
    );

    // An update that fails rolls back: the new bucket name is taken.
    let other = Keys::operator(&sandbox, common::OTHER_ACCOUNT);
    s3(&sandbox, &other, true)
        .create_bucket()
        .bucket("changes-c")
        .send()
        .await
        .expect("squat");
    client
        .update_stack()
        .stack_name("changes")
        .use_previous_template(true)
        .parameters(parameter("Suffix", "c"))
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .expect("update");
    let (stack, seen) = settle(&client, "changes").await;
    assert_eq!(
        seen,
        [
            "UPDATE_IN_PROGRESS",
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
            "UPDATE_ROLLBACK_COMPLETE"
        ]
    );
    assert_eq!(
        output(&stack, "BucketName"),
        "changes-b",
        "the rollback put the old bucket back"
    );

    client
        .delete_stack()
        .stack_name("changes")
        .send()
        .await
        .expect("delete");
    let (_, seen) = settle(&client, stack.stack_id().expect("id")).await;
    assert_eq!(seen.last().map(String::as_str), Some("DELETE_COMPLETE"));
    let users = iam(&sandbox, &operator)
        .list_users()
        .send()
        .await
        .expect("users");
    assert!(
        users
            .users()
            .iter()
            .all(|user| !user.user_name().starts_with("changes-"))
    );
}

#[tokio::test]
async fn a_trust_change_updates_the_role_in_place_and_stacks_persist_in_the_state_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = Sandbox::open(dir.path()).expect("durable sandbox");
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let client = cfn(&sandbox, &operator);
    let admin = iam(&sandbox, &operator);
    admin
        .create_user()
        .user_name("learner")
        .send()
        .await
        .expect("user");
    client
        .create_stack()
        .stack_name("lab")
        .template_body(SEED_TEMPLATE)
        .parameters(parameter(
            "UserArn",
            &format!("arn:aws:iam::{ACCOUNT}:user/awslab-operator"),
        ))
        .parameters(parameter("BucketName", "lab-bucket-durable"))
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .expect("create");
    let (stack, _) = settle(&client, "lab").await;
    let role_name = output(&stack, "RoleName");
    let role_id = admin
        .get_role()
        .role_name(&role_name)
        .send()
        .await
        .expect("role")
        .role()
        .expect("role")
        .role_id()
        .to_owned();

    let learner = format!("arn:aws:iam::{ACCOUNT}:user/learner");
    client
        .create_change_set()
        .stack_name("lab")
        .change_set_name("trust-learner")
        .use_previous_template(true)
        .parameters(parameter("UserArn", &learner))
        .parameters(
            Parameter::builder()
                .parameter_key("BucketName")
                .use_previous_value(true)
                .build(),
        )
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .expect("change set");
    let change_set = client
        .describe_change_set()
        .stack_name("lab")
        .change_set_name("trust-learner")
        .send()
        .await
        .expect("describe");
    let changes: Vec<(String, String, String)> = change_set
        .changes()
        .iter()
        .filter_map(|change| change.resource_change())
        .map(|change| {
            (
                change
                    .action()
                    .map(|a| a.as_str().to_owned())
                    .unwrap_or_default(),
                change.logical_resource_id().unwrap_or_default().to_owned(),
                change
                    .replacement()
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [(
            "Modify".to_owned(),
            "StsRole".to_owned(),
            "False".to_owned()
        )]
    );
    client
        .execute_change_set()
        .stack_name("lab")
        .change_set_name("trust-learner")
        .send()
        .await
        .expect("execute");
    drop(client);
    drop(admin);

    // Another process opening the same folder sees the same stack.
    let reopened = Sandbox::open(dir.path()).expect("reopen");
    let client = cfn(&reopened, &operator);
    let (stack, seen) = settle(&client, "lab").await;
    assert_eq!(
        seen,
        [
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            "UPDATE_COMPLETE"
        ]
    );
    assert_eq!(
        output(&stack, "RoleName"),
        role_name,
        "updated in place, not replaced"
    );
    let role = iam(&reopened, &operator)
        .get_role()
        .role_name(&role_name)
        .send()
        .await
        .expect("role");
    let role = role.role().expect("role");
    assert_eq!(role.role_id(), role_id);
    let trust = role.assume_role_policy_document().unwrap_or_default();
    assert!(trust.contains("learner"), "{trust}");

    client
        .delete_stack()
        .stack_name("lab")
        .send()
        .await
        .expect("delete");
    let (_, seen) = settle(&client, stack.stack_id().expect("id")).await;
    assert_eq!(seen.last().map(String::as_str), Some("DELETE_COMPLETE"));
}

#[tokio::test]
async fn a_service_role_acts_for_a_caller_allowed_to_pass_it() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let admin = iam(&sandbox, &operator);
    admin
        .create_role()
        .role_name("cfn-exec")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudformation.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
        .send()
        .await
        .expect("service role");
    admin
        .attach_role_policy()
        .role_name("cfn-exec")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .expect("attach");
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/cfn-exec");
    let deployer = user_with_key(&sandbox, "deployer").await;
    admin
        .put_user_policy()
        .user_name("deployer")
        .policy_name("cfn-only")
        .policy_document(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"cloudformation:*","Resource":"*"}},{{"Effect":"Allow","Action":"iam:PassRole","Resource":"{role_arn}"}}]}}"#))
        .send()
        .await
        .expect("policy");
    let client = cfn(&sandbox, &deployer);
    let create = |stack: &'static str, role: Option<String>, on_failure: Option<&'static str>| {
        client
            .create_stack()
            .stack_name(stack)
            .template_body(SEED_TEMPLATE)
            .parameters(parameter(
                "UserArn",
                &format!("arn:aws:iam::{ACCOUNT}:user/deployer"),
            ))
            .parameters(parameter("BucketName", &format!("{stack}-bucket")))
            .capabilities(Capability::CapabilityIam)
            .set_role_arn(role)
            .set_on_failure(on_failure.map(Into::into))
            .send()
    };
    create("with-role", Some(role_arn.clone()), None)
        .await
        .expect("create as the role");
    let (stack, _) = settle(&client, "with-role").await;
    assert_eq!(stack.stack_status(), Some(&StackStatus::CreateComplete));
    assert_eq!(stack.role_arn(), Some(role_arn.as_str()));

    let not_passable = create(
        "other-role",
        Some(format!("arn:aws:iam::{ACCOUNT}:role/nope")),
        None,
    )
    .await
    .expect_err("no such role");
    assert_eq!(
        not_passable.message(),
        Some(
            format!("Role arn:aws:iam::{ACCOUNT}:role/nope is invalid or cannot be assumed")
                .as_str()
        )
    );

    // Without the role the deployer's own permissions apply: the stack fails and,
    // with OnFailure DELETE, is deleted instead of rolled back.
    let created = create("no-role", None, Some("DELETE"))
        .await
        .expect("create");
    let (gone, seen) = settle(&client, created.stack_id().expect("id")).await;
    assert_eq!(
        seen,
        [
            "CREATE_IN_PROGRESS",
            "DELETE_IN_PROGRESS",
            "DELETE_COMPLETE"
        ]
    );
    assert!(gone.deletion_time().is_some());

    client
        .delete_stack()
        .stack_name("with-role")
        .send()
        .await
        .expect("delete as the role");
    let (_, seen) = settle(&client, stack.stack_id().expect("id")).await;
    assert_eq!(seen.last().map(String::as_str), Some("DELETE_COMPLETE"));
}

#[tokio::test]
async fn stacks_move_on_with_the_sandbox_clock_and_deletion_is_authorized_per_resource() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let client = cfn(&sandbox, &operator);
    let template = "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: 'sts:AssumeRole'}]}\n";
    client
        .create_stack()
        .stack_name("clocked")
        .template_body(template)
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .expect("create");
    // Nobody polls; the clock moves past the frame.
    sandbox.advance_clock(60).expect("advance the clock");
    let stack = describe(&client, "clocked").await;
    assert_eq!(stack.stack_status(), Some(&StackStatus::CreateComplete));

    // A caller allowed CloudFormation but not IAM cannot delete the role: DELETE_FAILED.
    let admin = iam(&sandbox, &operator);
    let deleter = user_with_key(&sandbox, "deleter").await;
    admin
        .put_user_policy()
        .user_name("deleter")
        .policy_name("cfn")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudformation:*","Resource":"*"}]}"#)
        .send()
        .await
        .expect("policy");
    let theirs = cfn(&sandbox, &deleter);
    theirs
        .delete_stack()
        .stack_name("clocked")
        .send()
        .await
        .expect("delete is accepted");
    let (stack, seen) = settle(&theirs, "clocked").await;
    assert_eq!(seen, ["DELETE_IN_PROGRESS", "DELETE_FAILED"]);
    assert_eq!(
        stack.stack_status_reason(),
        Some("The following resource(s) failed to delete: [Role]. ")
    );
    let found = events(&theirs, "clocked").await;
    assert!(
        found.contains(&"Role DELETE_FAILED".to_owned()),
        "{found:?}"
    );
    // The operator may: the retried deletion completes.
    client
        .delete_stack()
        .stack_name("clocked")
        .send()
        .await
        .expect("delete");
    let (_, seen) = settle(&client, stack.stack_id().expect("id")).await;
    assert_eq!(seen, ["DELETE_IN_PROGRESS", "DELETE_COMPLETE"]);
}

#[tokio::test]
async fn hostile_templates_get_validation_errors() {
    let sandbox = Sandbox::in_memory();
    let client = cfn(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let mut bomb = String::from("x0: &a0 [y, y, y, y, y, y, y, y, y, y]\n");
    for level in 1..9 {
        let previous = level - 1;
        let items = vec![format!("*a{previous}"); 10].join(", ");
        let _ = writeln!(bomb, "x{level}: &a{level} [{items}]");
    }
    bomb.push_str("Resources:\n  B:\n    Type: AWS::S3::Bucket\n");
    let deep_yaml = format!("Resources: {}{}\n", "[".repeat(400), "]".repeat(400));
    let deep_json = format!("{{\"Resources\": {}{}}}", "[".repeat(400), "]".repeat(400));
    let big = format!(
        "Description: {}\nResources:\n  B:\n    Type: AWS::S3::Bucket\n",
        "x".repeat(60_000)
    );
    let self_condition = "Conditions:\n  A: !Condition A\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Condition: A\n";
    let through_if = "Conditions:\n  A: !Equals [!If [A, x, y], x]\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Condition: A\n";
    let mut join_bomb = format!(
        "Parameters:\n  P:\n    Type: String\n    Default: {}\nResources:\n  B:\n    Type: AWS::S3::Bucket\nMetadata:\n  l1: &l1 [{}]\n",
        "x".repeat(4000),
        ["!Ref P"; 10].join(", ")
    );
    for level in 2..=4 {
        let items = vec![format!("*l{}", level - 1); 10].join(", ");
        let _ = writeln!(join_bomb, "  l{level}: &l{level} [{items}]");
    }
    join_bomb.push_str("Outputs:\n  O:\n    Value: !Join [',', *l4]\n");
    let mut many = String::from("Resources:\n");
    for index in 0..501 {
        let _ = writeln!(many, "  R{index}:\n    Type: AWS::S3::Bucket");
    }
    let json_120 = format!(
        "{{\"Resources\": {{\"B\": {{\"Type\": \"AWS::S3::Bucket\", \"Metadata\": {}1{}}}}}}}",
        "[".repeat(120),
        "]".repeat(120)
    );
    let deep_aliases = format!(
        "a0: &a0 {}x{}\na1: &a1 {}*a0{}\nResources:\n  B:\n    Type: AWS::S3::Bucket\n",
        "[".repeat(60),
        "]".repeat(60),
        "[".repeat(60),
        "]".repeat(60)
    );
    for (template, expected) in [
        (bomb.as_str(), "nodes after expanding aliases"),
        (
            deep_yaml.as_str(),
            "Template format error: YAML not well-formed.",
        ),
        (
            deep_json.as_str(),
            "Template format error: JSON not well-formed.",
        ),
        (
            big.as_str(),
            "Member must have length less than or equal to 51200",
        ),
        (
            self_condition,
            "Template error: condition A refers to itself",
        ),
        (through_if, "Template error: condition A refers to itself"),
        (deep_aliases.as_str(), "nested more than 100 levels deep"),
        (json_120.as_str(), "nested more than 100 levels deep"),
        (
            join_bomb.as_str(),
            "Template error: the template's functions make more than 8388608 bytes of text",
        ),
        (
            many.as_str(),
            "Template format error: Number of resources, 501, is greater than maximum allowed, 500",
        ),
    ] {
        let error = client
            .create_stack()
            .stack_name("hostile")
            .template_body(template)
            .send()
            .await
            .expect_err("refused");
        assert_eq!(error.code(), Some("ValidationError"));
        let message = error.message().unwrap_or_default();
        assert!(message.contains(expected), "{message}");
    }
}

#[tokio::test]
async fn properties_outside_a_types_schema_fail_the_resource() {
    let sandbox = Sandbox::in_memory();
    let client = cfn(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    for (template, expected) in [
        (
            "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketNam: typo-bucket\n",
            "Properties validation failed for resource B with message: [#: extraneous key [BucketNam] is not permitted]",
        ),
        (
            "Resources:\n  B:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: no-trust\n",
            "Properties validation failed for resource B with message: [#: required key [AssumeRolePolicyDocument] not found]",
        ),
    ] {
        let created = client
            .create_stack()
            .stack_name("typo")
            .template_body(template)
            .capabilities(Capability::CapabilityNamedIam)
            .send()
            .await
            .expect("create");
        let (stack, _) = settle(&client, "typo").await;
        assert_eq!(stack.stack_status(), Some(&StackStatus::RollbackComplete));
        let all = client
            .describe_stack_events()
            .stack_name("typo")
            .send()
            .await
            .expect("events");
        let reason = all
            .stack_events()
            .iter()
            .find(|event| event.resource_status().map(|s| s.as_str()) == Some("CREATE_FAILED"))
            .and_then(|event| event.resource_status_reason());
        assert_eq!(reason, Some(expected));
        client
            .delete_stack()
            .stack_name("typo")
            .send()
            .await
            .expect("delete");
        settle(&client, created.stack_id().expect("id")).await;
    }
}

#[tokio::test]
async fn a_template_url_is_read_from_the_sandboxs_s3_as_the_caller() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let storage = s3(&sandbox, &operator, true);
    storage
        .create_bucket()
        .bucket("templates")
        .send()
        .await
        .expect("bucket");
    storage
        .put_object()
        .bucket("templates")
        .key("lab/notes.yaml")
        .body(ByteStream::from_static(
            b"Resources:\n  Notes:\n    Type: AWS::S3::Bucket\n",
        ))
        .send()
        .await
        .expect("upload");
    let client = cfn(&sandbox, &operator);
    for (stack, url) in [
        (
            "virtual",
            "https://templates.s3.amazonaws.com/lab/notes.yaml",
        ),
        (
            "path",
            "https://s3.us-east-1.amazonaws.com/templates/lab/notes.yaml",
        ),
    ] {
        client
            .create_stack()
            .stack_name(stack)
            .template_url(url)
            .send()
            .await
            .expect("create from S3");
        let (found, _) = settle(&client, stack).await;
        assert_eq!(found.stack_status(), Some(&StackStatus::CreateComplete));
    }
    let missing = client
        .create_stack()
        .stack_name("missing")
        .template_url("https://templates.s3.amazonaws.com/nope.yaml")
        .send()
        .await
        .expect_err("no such object");
    assert_eq!(
        missing.message(),
        Some("The template at https://templates.s3.amazonaws.com/nope.yaml does not exist")
    );

    let reader = user_with_key(&sandbox, "no-s3").await;
    iam(&sandbox, &operator)
        .put_user_policy()
        .user_name("no-s3")
        .policy_name("cfn")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudformation:*","Resource":"*"}]}"#)
        .send()
        .await
        .expect("policy");
    let denied = cfn(&sandbox, &reader)
        .create_stack()
        .stack_name("denied")
        .template_url("https://templates.s3.amazonaws.com/lab/notes.yaml")
        .send()
        .await
        .expect_err("the caller may not read the template");
    assert_eq!(denied.code(), Some("ValidationError"));
    assert_eq!(
        denied.message(),
        Some("Access Denied to the template at https://templates.s3.amazonaws.com/lab/notes.yaml")
    );
}

#[tokio::test]
async fn termination_protection_refuses_deletion_until_turned_off() {
    let sandbox = Sandbox::in_memory();
    let client = cfn(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    client
        .create_stack()
        .stack_name("kept")
        .template_body("Resources:\n  B:\n    Type: AWS::S3::Bucket\n")
        .enable_termination_protection(true)
        .send()
        .await
        .expect("create");
    let (stack, _) = settle(&client, "kept").await;
    assert_eq!(stack.enable_termination_protection(), Some(true));
    let refused = client
        .delete_stack()
        .stack_name("kept")
        .send()
        .await
        .expect_err("protected");
    assert_eq!(
        refused.message(),
        Some("Stack [kept] cannot be deleted while TerminationProtection is enabled")
    );
    client
        .update_termination_protection()
        .stack_name("kept")
        .enable_termination_protection(false)
        .send()
        .await
        .expect("turn it off");
    client
        .delete_stack()
        .stack_name("kept")
        .send()
        .await
        .expect("delete");
    let (_, seen) = settle(&client, stack.stack_id().expect("id")).await;
    assert_eq!(seen.last().map(String::as_str), Some("DELETE_COMPLETE"));
}

/// A managed policy's `Users`, `Roles` and `Groups` attach it; an update attaches and
/// detaches by difference (in place: same ARN); deleting the stack detaches it from
/// all before deleting it, leaving nothing.
#[tokio::test]
async fn a_managed_policy_attaches_to_its_users_roles_and_groups() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let client = cfn(&sandbox, &operator);
    let admin = iam(&sandbox, &operator);
    let template = |users: &str, roles: &str| {
        format!(
            "Resources:
  Reader: {{ Type: AWS::IAM::User, Properties: {{ UserName: cfn-reader }} }}
  Team: {{ Type: AWS::IAM::Group, Properties: {{ GroupName: cfn-team }} }}
  App:
    Type: AWS::IAM::Role
    Properties:
      RoleName: cfn-app
      AssumeRolePolicyDocument: {{ Version: '2012-10-17', Statement: [ {{ Effect: Allow, Principal: {{ AWS: 'arn:aws:iam::{ACCOUNT}:root' }}, Action: 'sts:AssumeRole' }} ] }}
  Other:
    Type: AWS::IAM::Role
    Properties:
      RoleName: cfn-other
      AssumeRolePolicyDocument: {{ Version: '2012-10-17', Statement: [ {{ Effect: Allow, Principal: {{ AWS: 'arn:aws:iam::{ACCOUNT}:root' }}, Action: 'sts:AssumeRole' }} ] }}
  Read:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: cfn-read
      PolicyDocument: {{ Version: '2012-10-17', Statement: [ {{ Effect: Allow, Action: 's3:GetObject', Resource: '*' }} ] }}
      Users: [ {users} ]
      Roles: [ {roles} ]
      Groups: [ !Ref Team ]
Outputs:
  Arn: {{ Value: !Ref Read }}
"
        )
    };
    let attached =
        |arn: String| {
            let admin = admin.clone();
            async move {
                let found = admin
                    .list_entities_for_policy()
                    .policy_arn(arn)
                    .send()
                    .await
                    .expect("entities");
                let mut names: Vec<String> =
                    found
                        .policy_users()
                        .iter()
                        .filter_map(|user| user.user_name().map(|name| format!("user {name}")))
                        .chain(
                            found.policy_roles().iter().filter_map(|role| {
                                role.role_name().map(|name| format!("role {name}"))
                            }),
                        )
                        .chain(found.policy_groups().iter().filter_map(|group| {
                            group.group_name().map(|name| format!("group {name}"))
                        }))
                        .collect();
                names.sort();
                names
            }
        };
    client
        .create_stack()
        .stack_name("attachments")
        .template_body(template("!Ref Reader", "!Ref App"))
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await
        .expect("create");
    let (created, _) = settle(&client, "attachments").await;
    assert_eq!(created.stack_status(), Some(&StackStatus::CreateComplete));
    let arn = output(&created, "Arn");
    assert_eq!(arn, format!("arn:aws:iam::{ACCOUNT}:policy/cfn-read"));
    assert_eq!(
        attached(arn.clone()).await,
        ["group cfn-team", "role cfn-app", "user cfn-reader"]
    );

    client
        .update_stack()
        .stack_name("attachments")
        .template_body(template("", "!Ref App, !Ref Other"))
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await
        .expect("update");
    let (updated, _) = settle(&client, "attachments").await;
    assert_eq!(updated.stack_status(), Some(&StackStatus::UpdateComplete));
    assert_eq!(output(&updated, "Arn"), arn, "updated in place");
    assert_eq!(
        attached(arn.clone()).await,
        ["group cfn-team", "role cfn-app", "role cfn-other"]
    );

    client
        .delete_stack()
        .stack_name("attachments")
        .send()
        .await
        .expect("delete");
    let id = created.stack_id().expect("stack id");
    let (deleted, _) = settle(&client, id).await;
    assert_eq!(deleted.stack_status(), Some(&StackStatus::DeleteComplete));
    let gone = admin.get_policy().policy_arn(&arn).send().await;
    assert_eq!(gone.expect_err("deleted").code(), Some("NoSuchEntity"));
    let users = admin.list_users().send().await.expect("users");
    assert!(
        users
            .users()
            .iter()
            .all(|user| !user.user_name().starts_with("cfn-")),
        "{users:?}"
    );
}

/// A template naming a type the sandbox does not provision is CloudFormation's
/// validation error, before anything is made.
#[tokio::test]
async fn an_unknown_resource_type_is_refused_as_cloudformation_refuses_it() {
    let sandbox = Sandbox::in_memory();
    let client = cfn(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let refused = client
        .create_stack()
        .stack_name("unknown")
        .template_body("Resources:\n  Thing:\n    Type: AWS::IAM::Nothing\n")
        .send()
        .await
        .expect_err("unknown type");
    assert_eq!(refused.code(), Some("ValidationError"));
    assert_eq!(
        refused.message(),
        Some("Template format error: Unrecognized resource types: [AWS::IAM::Nothing]")
    );
}
