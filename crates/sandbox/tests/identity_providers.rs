//! Permissions boundaries given at creation, SAML and OIDC providers, through the Rust
//! SDK in-process: a role made with `PermissionsBoundary` may do only what both its
//! policy and its boundary allow; a policy in use as a boundary cannot be deleted; SAML
//! providers are made, read, listed, updated and deleted with IAM's shapes and errors
//! (metadata well formed, rooted in an `EntityDescriptor`); OIDC providers keep their
//! tags; `CloudFormation` makes and deletes both kinds, giving their ARNs by `Ref`
//! and `Fn::GetAtt`; and the real `aws` CLI (botocore) reads the answers.

#![expect(clippy::too_many_lines, clippy::expect_used, reason = "test")]

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use aws_sdk_iam::types::Tag;
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, from_sts, iam, s3, sts, user_with_key};

const METADATA: &str = include_str!("../../../plans/files/idp-metadata.xml");

const S3_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}"#;
const EVERYTHING: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

fn code<E: aws_sdk_iam::error::ProvideErrorMetadata>(error: &E) -> String {
    error.code().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_role_created_with_a_boundary_is_capped_by_it_and_the_boundary_cannot_be_deleted() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let cap = admin
        .create_policy()
        .policy_name("s3-read-cap")
        .policy_document(S3_READ)
        .send()
        .await
        .expect("policy");
    let cap_arn = cap.policy().and_then(|p| p.arn()).expect("arn").to_owned();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let role = admin
        .create_role()
        .role_name("capped")
        .assume_role_policy_document(trust)
        .permissions_boundary(&cap_arn)
        .send()
        .await
        .expect("role with a boundary");
    assert_eq!(
        role.role()
            .and_then(|r| r.permissions_boundary())
            .and_then(|b| b.permissions_boundary_arn()),
        Some(cap_arn.as_str())
    );
    admin
        .put_role_policy()
        .role_name("capped")
        .policy_name("everything")
        .policy_document(EVERYTHING)
        .send()
        .await
        .expect("policy");
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let session = sts(&sandbox, &operator)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/capped"))
        .role_session_name("capped")
        .send()
        .await
        .expect("assume");
    let keys = from_sts(session.credentials().expect("credentials"));
    s3(&sandbox, &keys, true)
        .list_buckets()
        .send()
        .await
        .expect("inside the boundary: allowed");
    let denied = s3(&sandbox, &keys, true)
        .create_bucket()
        .bucket("capped-bucket-write")
        .send()
        .await
        .expect_err("outside the boundary: denied");
    assert_eq!(code(&denied), "AccessDenied", "{denied:?}");
    let denied = iam(&sandbox, &keys)
        .create_user()
        .user_name("nope")
        .send()
        .await
        .expect_err("IAM is outside the boundary");
    assert_eq!(code(&denied), "AccessDenied");
    assert!(
        denied
            .message()
            .is_some_and(|m| m.contains("permissions boundary")),
        "{denied:?}"
    );

    let conflict = admin
        .delete_policy()
        .policy_arn(&cap_arn)
        .send()
        .await
        .expect_err("a boundary in use cannot be deleted");
    assert_eq!(code(&conflict), "DeleteConflict");
    admin
        .delete_role_permissions_boundary()
        .role_name("capped")
        .send()
        .await
        .expect("remove the boundary");
    admin
        .delete_policy()
        .policy_arn(&cap_arn)
        .send()
        .await
        .expect("deleted once no one is capped by it");
}

#[tokio::test]
async fn a_user_created_with_a_boundary_reads_but_cannot_write() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    admin
        .create_user()
        .user_name("bounded")
        .permissions_boundary("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        .send()
        .await
        .expect("user with a boundary");
    let key = admin
        .create_access_key()
        .user_name("bounded")
        .send()
        .await
        .expect("key");
    let key = key.access_key().expect("key");
    let keys = Keys {
        id: key.access_key_id().to_owned(),
        secret: key.secret_access_key().to_owned(),
        token: None,
    };
    admin
        .put_user_policy()
        .user_name("bounded")
        .policy_name("s3-and-users")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","iam:CreateUser"],"Resource":"*"}]}"#)
        .send()
        .await
        .expect("policy");
    s3(&sandbox, &keys, true)
        .list_buckets()
        .send()
        .await
        .expect("read allowed");
    let denied = s3(&sandbox, &keys, true)
        .create_bucket()
        .bucket("bounded-write")
        .send()
        .await
        .expect_err("write denied");
    assert_eq!(code(&denied), "AccessDenied");
    let denied = iam(&sandbox, &keys)
        .create_user()
        .user_name("other")
        .send()
        .await
        .expect_err("IAM denied");
    assert_eq!(code(&denied), "AccessDenied");
}

#[tokio::test]
async fn saml_providers_have_iams_shapes_and_errors() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let tag = Tag::builder()
        .key("lab")
        .value("saml")
        .build()
        .expect("tag");
    let made = admin
        .create_saml_provider()
        .name("corp-idp")
        .saml_metadata_document(METADATA)
        .tags(tag)
        .send()
        .await
        .expect("create");
    let arn = made.saml_provider_arn().expect("arn").to_owned();
    assert_eq!(
        arn,
        format!("arn:aws:iam::{ACCOUNT}:saml-provider/corp-idp")
    );

    let found = admin
        .get_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .expect("get");
    assert_eq!(found.saml_metadata_document(), Some(METADATA));
    assert!(found.create_date().is_some());
    let uuid = found.saml_provider_uuid().expect("uuid").to_owned();
    assert!(
        uuid.len() >= 22
            && uuid
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "{uuid}"
    );
    assert_eq!(found.tags().len(), 1);
    let tags = admin
        .list_saml_provider_tags()
        .saml_provider_arn(&arn)
        .send()
        .await
        .expect("tags");
    assert_eq!(tags.tags()[0].key(), "lab");

    let listed = admin.list_saml_providers().send().await.expect("list");
    let arns: Vec<&str> = listed
        .saml_provider_list()
        .iter()
        .filter_map(|p| p.arn())
        .collect();
    assert_eq!(arns, [arn.as_str()]);

    assert!(
        found.valid_until().is_none(),
        "the metadata has no validUntil"
    );
    let updated = METADATA
        .replace("idp.example.com/saml/sso", "idp.example.com/saml/sso2")
        .replace(
            "entityID=",
            "validUntil=\"2031-01-02T03:04:05.678Z\" entityID=",
        );
    admin
        .update_saml_provider()
        .saml_provider_arn(&arn)
        .saml_metadata_document(&updated)
        .send()
        .await
        .expect("update");
    let found = admin
        .get_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .expect("get");
    assert_eq!(found.saml_metadata_document(), Some(updated.as_str()));
    assert_eq!(
        found.saml_provider_uuid(),
        Some(uuid.as_str()),
        "same provider"
    );
    assert_eq!(
        found.valid_until().map(aws_smithy_types::DateTime::secs),
        Some(1_925_089_445),
        "validUntil of the new metadata"
    );

    let not_xml = format!("<md:EntityDescriptor>{}", "x".repeat(1_000));
    let wrong_root = format!("<Metadata>{}</Metadata>", " ".repeat(1_000));
    let doctype = format!(
        "<!DOCTYPE x [<!ENTITY e \"e\">]><EntityDescriptor>{}</EntityDescriptor>",
        " ".repeat(1_000)
    );
    for (name, document, expected) in [
        ("short", "<EntityDescriptor/>".to_owned(), "ValidationError"),
        ("not-xml", not_xml, "InvalidInput"),
        ("wrong-root", wrong_root, "InvalidInput"),
        ("doctype", doctype, "InvalidInput"),
        ("corp-idp", METADATA.to_owned(), "EntityAlreadyExists"),
        ("bad name!", METADATA.to_owned(), "ValidationError"),
    ] {
        let error = admin
            .create_saml_provider()
            .name(name)
            .saml_metadata_document(document)
            .send()
            .await
            .expect_err(name);
        assert_eq!(code(&error), expected, "{name}: {error:?}");
    }

    admin
        .delete_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .expect("delete");
    let gone = admin
        .get_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .expect_err("gone");
    assert_eq!(code(&gone), "NoSuchEntity");
    let gone = admin
        .delete_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .expect_err("gone");
    assert_eq!(code(&gone), "NoSuchEntity");
}

#[tokio::test]
async fn saml_providers_need_iam_permission() {
    let sandbox = Sandbox::in_memory();
    let user = user_with_key(&sandbox, "nobody").await;
    let denied = iam(&sandbox, &user)
        .create_saml_provider()
        .name("corp")
        .saml_metadata_document(METADATA)
        .send()
        .await
        .expect_err("no permission");
    assert_eq!(code(&denied), "AccessDenied");
    let denied = iam(&sandbox, &user)
        .list_saml_providers()
        .send()
        .await
        .expect_err("no permission");
    assert_eq!(code(&denied), "AccessDenied");
}

#[tokio::test]
async fn oidc_providers_keep_their_tags_and_need_https() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let tag = Tag::builder()
        .key("lab")
        .value("oidc")
        .build()
        .expect("tag");
    let made = admin
        .create_open_id_connect_provider()
        .url("https://oidc.awslab.localhost")
        .client_id_list("lab")
        .tags(tag)
        .send()
        .await
        .expect("create");
    let arn = made.open_id_connect_provider_arn().expect("arn");
    assert_eq!(
        arn,
        format!("arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.awslab.localhost")
    );
    let found = admin
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
        .expect("get");
    assert_eq!(found.tags().len(), 1);
    assert_eq!(found.client_id_list(), ["lab"]);
    for (url, thumbprint) in [
        ("http://insecure.example.com", None),
        ("https://x.example.com", Some("short")),
    ] {
        let error = admin
            .create_open_id_connect_provider()
            .url(url)
            .client_id_list("lab")
            .set_thumbprint_list(thumbprint.map(|t| vec![t.to_owned()]))
            .send()
            .await
            .expect_err(url);
        assert_eq!(code(&error), "InvalidInput", "{url}");
    }
}

const PROVIDERS_TEMPLATE: &str = r"
Parameters:
  Metadata: { Type: String }
Resources:
  Cap:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: cfn-cap
      PolicyDocument: { Version: '2012-10-17', Statement: [ { Effect: Allow, Action: 's3:Get*', Resource: '*' } ] }
  Capped:
    Type: AWS::IAM::User
    Properties:
      UserName: cfn-capped
      PermissionsBoundary: !Ref Cap
  Oidc:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: https://oidc.awslab.localhost
      ClientIdList: [ lab ]
  Saml:
    Type: AWS::IAM::SAMLProvider
    Properties:
      Name: cfn-idp
      SamlMetadataDocument: !Ref Metadata
Outputs:
  OidcRef: { Value: !Ref Oidc }
  OidcArn: { Value: !GetAtt Oidc.Arn }
  SamlRef: { Value: !Ref Saml }
  SamlUuid: { Value: !GetAtt Saml.SamlProviderUUID }
";

#[tokio::test]
async fn cloudformation_makes_and_deletes_providers_and_bounded_users() {
    use aws_sdk_cloudformation::types::{Capability, Parameter};
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let cfn = common::cloudformation(&sandbox, &operator);
    let admin = iam(&sandbox, &operator);
    cfn.create_stack()
        .stack_name("providers")
        .template_body(PROVIDERS_TEMPLATE)
        .parameters(
            Parameter::builder()
                .parameter_key("Metadata")
                .parameter_value(METADATA)
                .build(),
        )
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await
        .expect("create stack");
    let mut stack = None;
    for _ in 0..20 {
        let found = cfn
            .describe_stacks()
            .stack_name("providers")
            .send()
            .await
            .expect("describe");
        let found = found.stacks().first().cloned().expect("stack");
        if !found
            .stack_status()
            .is_some_and(|s| s.as_str().ends_with("_IN_PROGRESS"))
        {
            stack = Some(found);
            break;
        }
    }
    let stack = stack.expect("settled");
    assert_eq!(
        stack
            .stack_status()
            .map(aws_sdk_cloudformation::types::StackStatus::as_str),
        Some("CREATE_COMPLETE"),
        "{stack:?}"
    );
    let output = |key: &str| {
        stack
            .outputs()
            .iter()
            .find(|o| o.output_key() == Some(key))
            .and_then(|o| o.output_value())
            .unwrap_or_default()
            .to_owned()
    };
    let oidc = format!("arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.awslab.localhost");
    let saml = format!("arn:aws:iam::{ACCOUNT}:saml-provider/cfn-idp");
    assert_eq!(output("OidcRef"), oidc);
    assert_eq!(output("OidcArn"), oidc);
    assert_eq!(output("SamlRef"), saml);
    let found = admin
        .get_saml_provider()
        .saml_provider_arn(&saml)
        .send()
        .await
        .expect("saml provider");
    assert_eq!(
        found.saml_provider_uuid(),
        Some(output("SamlUuid").as_str())
    );
    let user = admin
        .get_user()
        .user_name("cfn-capped")
        .send()
        .await
        .expect("user");
    assert_eq!(
        user.user()
            .and_then(|u| u.permissions_boundary())
            .and_then(|b| b.permissions_boundary_arn()),
        Some(format!("arn:aws:iam::{ACCOUNT}:policy/cfn-cap").as_str())
    );

    cfn.delete_stack()
        .stack_name("providers")
        .send()
        .await
        .expect("delete stack");
    for _ in 0..20 {
        let found = cfn.describe_stacks().stack_name("providers").send().await;
        let done = found.map_or(true, |f| {
            f.stacks()
                .first()
                .and_then(|s| s.stack_status())
                .is_none_or(|s| s.as_str() == "DELETE_COMPLETE")
        });
        if done {
            break;
        }
    }
    let status = sandbox.status().expect("status");
    let account = status
        .accounts
        .iter()
        .find(|a| a.id == ACCOUNT)
        .expect("account");
    assert!(account.oidc_providers.is_empty(), "{account:?}");
    assert!(account.saml_providers.is_empty(), "{account:?}");
    assert!(account.policies.is_empty(), "{account:?}");
    assert!(
        !account.users.iter().any(|u| u == "cfn-capped"),
        "{account:?}"
    );
}

/// `aws ARGS --output json` against the served sandbox; the answer as JSON.
async fn aws_json(cli: &common::AwsCli, args: &[&str]) -> serde_json::Value {
    let output = cli
        .command(&[args, &["--output", "json"]].concat())
        .output()
        .await
        .expect("run aws");
    assert!(
        output.status.success(),
        "aws {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_reads_saml_and_oidc_providers_as_botocore_models_them() {
    if !awslab_testkit::aws_cli_installed("the_aws_cli_reads_saml_and_oidc_providers") {
        return;
    }
    let sandbox = std::sync::Arc::new(Sandbox::in_memory());
    let served = common::Served::start(&sandbox).await;
    let cli = common::AwsCli::new(&served, Keys::operator(&sandbox, ACCOUNT));
    let metadata = format!(
        "file://{}/../../plans/files/idp-metadata.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    let made = aws_json(
        &cli,
        &[
            "iam",
            "create-saml-provider",
            "--name",
            "cli-idp",
            "--saml-metadata-document",
            &metadata,
            "--tags",
            "Key=lab,Value=cli",
        ],
    )
    .await;
    let arn = made["SAMLProviderArn"].as_str().expect("arn").to_owned();
    let found = aws_json(
        &cli,
        &["iam", "get-saml-provider", "--saml-provider-arn", &arn],
    )
    .await;
    assert_eq!(found["SAMLMetadataDocument"].as_str(), Some(METADATA));
    assert!(found["CreateDate"].is_string(), "{found}");
    assert!(found["SAMLProviderUUID"].is_string(), "{found}");
    assert_eq!(found["Tags"][0]["Key"], "lab", "{found}");
    let listed = aws_json(&cli, &["iam", "list-saml-providers"]).await;
    assert_eq!(
        listed["SAMLProviderList"][0]["Arn"].as_str(),
        Some(arn.as_str())
    );
    let oidc = aws_json(
        &cli,
        &[
            "iam",
            "create-open-id-connect-provider",
            "--url",
            "https://oidc.awslab.localhost",
            "--client-id-list",
            "lab",
        ],
    )
    .await;
    let oidc_arn = oidc["OpenIDConnectProviderArn"]
        .as_str()
        .expect("arn")
        .to_owned();
    let found = aws_json(
        &cli,
        &[
            "iam",
            "get-open-id-connect-provider",
            "--open-id-connect-provider-arn",
            &oidc_arn,
        ],
    )
    .await;
    assert_eq!(found["ClientIDList"][0], "lab", "{found}");
    aws_json(
        &cli,
        &["iam", "delete-saml-provider", "--saml-provider-arn", &arn],
    )
    .await;
    let listed = aws_json(&cli, &["iam", "list-saml-providers"]).await;
    assert_eq!(
        listed["SAMLProviderList"].as_array().map(Vec::len),
        Some(0),
        "{listed}"
    );
    served.stop().await;
}
