//! SAML federation through the Rust SDK, in-process: the sandbox's identity provider's
//! metadata registered with `CreateSAMLProvider`, a role trusting it with `saml:aud` and
//! `saml:sub` conditions, `AssumeRoleWithSAML` (unsigned) with a response the sandbox
//! signed, answered with botocore's output shape; the trust policy's condition refuses
//! another subject; the provider's tags and IAM's refusals of an update with nothing to
//! update and of encrypted assertions.

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use aws_sdk_iam::types::Tag;
use awslab_sandbox::{SamlRequest, Sandbox};
use common::{ACCOUNT, Keys, from_sts, iam, sts};

fn anonymous() -> Keys {
    Keys {
        id: "unused".into(),
        secret: "unused".into(),
        token: None,
    }
}

#[tokio::test]
async fn assume_role_with_saml_runs_the_trust_policy_with_the_saml_keys() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let metadata = sandbox.saml_metadata().expect("metadata");
    let provider = admin
        .create_saml_provider()
        .name("SandboxIdP")
        .saml_metadata_document(metadata)
        .send()
        .await
        .expect("provider")
        .saml_provider_arn()
        .expect("arn")
        .to_owned();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithSAML","Condition":{{"StringEquals":{{"saml:aud":"https://signin.aws.amazon.com/saml","saml:sub":"student","saml:iss":"{}"}}}}}}]}}"#,
        Sandbox::saml_entity_id()
    );
    let role = admin
        .create_role()
        .role_name("saml")
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("role")
        .role()
        .expect("role")
        .arn()
        .to_owned();
    let mint = |subject: &str| {
        sandbox
            .mint_saml(&SamlRequest {
                subject: subject.to_owned(),
                role_arn: role.clone(),
                provider_arn: provider.clone(),
                session_name: Some(format!("{subject}-session")),
                audience: None,
                lifetime_seconds: 300,
            })
            .expect("response")
    };
    let assumed = sts(&sandbox, &anonymous())
        .assume_role_with_saml()
        .role_arn(&role)
        .principal_arn(&provider)
        .saml_assertion(mint("student"))
        .duration_seconds(900)
        .send()
        .await
        .expect("assume with SAML");
    assert_eq!(assumed.subject(), Some("student"));
    assert_eq!(assumed.subject_type(), Some("persistent"));
    assert_eq!(assumed.issuer(), Some("https://saml.awslab.localhost"));
    assert_eq!(
        assumed.audience(),
        Some("https://signin.aws.amazon.com/saml")
    );
    assert!(assumed.name_qualifier().is_some_and(|q| q.ends_with('=')));
    let keys = from_sts(assumed.credentials().expect("credentials"));
    let who = sts(&sandbox, &keys)
        .get_caller_identity()
        .send()
        .await
        .expect("who");
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/saml/student-session").as_str())
    );

    let denied = sts(&sandbox, &anonymous())
        .assume_role_with_saml()
        .role_arn(&role)
        .principal_arn(&provider)
        .saml_assertion(mint("intruder"))
        .send()
        .await
        .expect_err("saml:sub condition");
    assert_eq!(denied.code(), Some("AccessDenied"));
    let explanation = sandbox
        .explain_latest_denial()
        .expect("explain")
        .expect("a denial is kept");
    assert!(explanation.contains("saml:sub"), "{explanation}");
    assert!(!explanation.contains("PHNhbWxw"), "{explanation}");

    let short = sts(&sandbox, &anonymous())
        .assume_role_with_saml()
        .role_arn(&role)
        .principal_arn(&provider)
        .saml_assertion("abc")
        .send()
        .await
        .expect_err("too short");
    assert_eq!(short.code(), Some("ValidationError"));
}

#[tokio::test]
async fn saml_providers_take_tags_and_refuse_what_the_sandbox_cannot_do() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let arn = admin
        .create_saml_provider()
        .name("tagged")
        .saml_metadata_document(sandbox.saml_metadata().expect("metadata"))
        .send()
        .await
        .expect("provider")
        .saml_provider_arn()
        .expect("arn")
        .to_owned();
    admin
        .tag_saml_provider()
        .saml_provider_arn(&arn)
        .tags(
            Tag::builder()
                .key("team")
                .value("blue")
                .build()
                .expect("tag"),
        )
        .tags(
            Tag::builder()
                .key("lab")
                .value("saml")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("tag");
    admin
        .untag_saml_provider()
        .saml_provider_arn(&arn)
        .tag_keys("team")
        .send()
        .await
        .expect("untag");
    let tags = admin
        .list_saml_provider_tags()
        .saml_provider_arn(&arn)
        .send()
        .await
        .expect("tags");
    let keys: Vec<&str> = tags.tags().iter().map(Tag::key).collect();
    assert_eq!(keys, ["lab"]);

    let nothing = admin
        .update_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .expect_err("nothing to update");
    assert_eq!(nothing.code(), Some("InvalidInput"));
    let required = admin
        .update_saml_provider()
        .saml_provider_arn(&arn)
        .assertion_encryption_mode(aws_sdk_iam::types::AssertionEncryptionModeType::Required)
        .send()
        .await
        .expect_err("no private key");
    assert_eq!(required.code(), Some("InvalidInput"));
    let missing = admin
        .tag_saml_provider()
        .saml_provider_arn(format!("arn:aws:iam::{ACCOUNT}:saml-provider/none"))
        .tags(Tag::builder().key("k").value("v").build().expect("tag"))
        .send()
        .await
        .expect_err("no such provider");
    assert_eq!(missing.code(), Some("NoSuchEntity"));
}
