//! The table tests of [`super::resources`]: every IAM, STS and S3 operation the sandbox
//! serves builds its checks for a sample input, and each check's resource is the
//! table's template filled in with the sample's names. An action missing from the
//! table, or a check on another resource, fails here.

use super::resources::{self, Authorization, TABLE};
use super::{Input, iam, sts};
use crate::auth::Caller;
use crate::auth::web_identity::{self, ISSUER_HOST};
use crate::state::World;

const ACCOUNT: &str = "111122223333";

/// The sample's names, as the SAR's template variables.
fn values() -> Vec<(&'static str, &'static str)> {
    vec![
        ("Partition", "aws"),
        ("Account", ACCOUNT),
        ("UserNameWithPath", "eng/alice"),
        ("RoleNameWithPath", "eng/app"),
        ("GroupNameWithPath", "eng/devs"),
        ("PolicyNameWithPath", "eng/pol"),
        ("MfaTokenIdWithPath", "eng/dev"),
        ("OidcProviderName", ISSUER_HOST),
        ("SamlProviderName", "corp"),
        ("InstanceProfileNameWithPath", "web"),
        ("FederatedUserName", "corp"),
        ("PathPrefix", "/eng/"),
        ("BucketName", "b"),
        ("ObjectName", "k"),
    ]
}

/// One input naming every member an IAM or STS operation reads, the entities under
/// path `/eng/` (so that a check which drops the path is caught). STS reads
/// `SerialNumber` as an MFA device to authenticate with: its input has none.
fn sample_input(world: &World, service: &str) -> Input {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#;
    let token = web_identity::mint(
        &world.issuer_secret,
        "subject",
        "sts.amazonaws.com",
        world.now(),
        3600,
    );
    let members = [
        ("UserName", "alice".to_owned()),
        ("RoleName", "app".to_owned()),
        ("GroupName", "devs".to_owned()),
        ("Path", "/eng/".to_owned()),
        ("PathPrefix", "/eng/".to_owned()),
        ("PolicyName", "pol".to_owned()),
        ("PolicyArn", format!("arn:aws:iam::{ACCOUNT}:policy/eng/pol")),
        ("PolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#.to_owned()),
        ("AssumeRolePolicyDocument", trust.to_owned()),
        ("PermissionsBoundary", format!("arn:aws:iam::{ACCOUNT}:policy/eng/pol")),
        ("VersionId", "v1".to_owned()),
        ("PolicySourceArn", format!("arn:aws:iam::{ACCOUNT}:user/eng/alice")),
        ("VirtualMFADeviceName", "dev".to_owned()),
        ("SerialNumber", format!("arn:aws:iam::{ACCOUNT}:mfa/eng/dev")),
        ("Url", format!("https://{ISSUER_HOST}")),
        ("ClientIDList.member.1", "sts.amazonaws.com".to_owned()),
        ("OpenIDConnectProviderArn", format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER_HOST}")),
        ("Name", "corp".to_owned()),
        ("SAMLProviderArn", format!("arn:aws:iam::{ACCOUNT}:saml-provider/corp")),
        ("InstanceProfileName", "web".to_owned()),
        ("AccessKeyId", "AKIAIOSFODNN7EXAMPLE".to_owned()),
        ("Status", "Inactive".to_owned()),
        ("Password", "correct-Horse-battery-9".to_owned()),
        ("RoleArn", format!("arn:aws:iam::{ACCOUNT}:role/eng/app")),
        ("RoleSessionName", "session".to_owned()),
        ("WebIdentityToken", token),
        ("EncodedMessage", "message".to_owned()),
    ];
    let members: Vec<(String, String)> = members
        .into_iter()
        .filter(|(name, _)| service == "iam" || *name != "SerialNumber")
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    crate::wire::query::decode(&members)
}

/// The account's operator, as the auth layer makes it.
fn operator(world: &World) -> Caller {
    let account = world.account(ACCOUNT).expect("account");
    let user = account.users.get(&account.operator).expect("operator");
    let mut caller = Caller::anonymous();
    caller.principal = awslab_policy::Principal::user(ACCOUNT, &user.name);
    caller.account = ACCOUNT.to_owned();
    caller.user = Some(account.operator.clone());
    caller
}

/// A world with user `alice`, role `app` and group `devs` under `/eng/`, and the
/// sandbox's OIDC provider (web identity tokens are checked against it).
fn world() -> (World, Caller) {
    let mut world = super::seed::seed_world();
    let caller = operator(&world);
    let input = sample_input(&world, "iam");
    for action in [
        "CreateUser",
        "CreateRole",
        "CreateGroup",
        "CreateOpenIDConnectProvider",
    ] {
        let operation = iam::operation(action).expect(action);
        let input = iam::precheck(action, input.clone());
        (operation.run)(&input, &mut world, &caller).unwrap_or_else(|error| {
            panic!("{action}: {error:?}");
        });
    }
    (world, caller)
}

fn row(action: &str) -> &'static Authorization {
    resources::find(action).unwrap_or_else(|| {
        panic!("{action} is authorized by the sandbox but has no row in services/resources.rs")
    })
}

/// Operations whose checks need a credential the sample cannot hold (a signed SAML
/// response): their resources are tested where the credential is made.
const NEEDS_CREDENTIAL: &[&str] = &["AssumeRoleWithSAML"];

#[test]
fn every_iam_and_sts_check_is_on_the_resource_aws_names() {
    let (world, caller) = world();
    let values = values();
    let mut checked = 0;
    let mut wrong = Vec::new();
    let served = iam::operations()
        .map(|operation| ("iam", operation))
        .chain(sts::operations().iter().map(|operation| ("sts", operation)));
    for (service, operation) in served {
        let input = sample_input(&world, service);
        let checks = match (operation.checks)(&input, &world, &caller) {
            Ok(checks) => checks,
            Err(_) if NEEDS_CREDENTIAL.contains(&operation.name) => continue,
            Err(error) => panic!("{}: the sample builds no checks: {error:?}", operation.name),
        };
        assert!(
            !checks.is_empty(),
            "{} is authorized by no check",
            operation.name
        );
        for check in checks {
            let row = row(&check.action);
            if check.resource != row.fill(&values) {
                wrong.push(format!(
                    "{} checks {} on {}, not {} (see {})",
                    operation.name,
                    check.action,
                    check.resource,
                    row.fill(&values),
                    row.citation()
                ));
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked >= 80, "only {checked} checks were compared");
}

#[test]
fn every_s3_check_is_on_the_resource_aws_names() {
    let values = values();
    let source = {
        let mut values = values.clone();
        values.retain(|(name, _)| *name != "ObjectName");
        values.push(("ObjectName", "source"));
        values
    };
    for request in super::s3::actions_tests::routed() {
        let described = format!("{} {}?{}", request.method, request.path, request.query);
        let (_, _, checks) = super::s3::actions_tests::checks_of(&request).expect(&described);
        for check in checks {
            let row = row(&check.action);
            assert!(
                check.resource == row.fill(&values) || check.resource == row.fill(&source),
                "{described} checks {} on {}, not {} (see {})",
                check.action,
                check.resource,
                row.fill(&values),
                row.citation()
            );
        }
    }
}

#[test]
fn each_row_is_one_action_of_iam_sts_or_s3_with_a_template_of_its_service() {
    for (index, row) in TABLE.iter().enumerate() {
        let (service, action) = row.action.split_once(':').expect(row.action);
        assert!(
            ["iam", "sts", "s3"].contains(&service) && !action.is_empty(),
            "{}",
            row.action
        );
        assert!(
            TABLE[..index]
                .iter()
                .all(|other| other.action != row.action),
            "{} has two rows",
            row.action
        );
        assert!(
            row.resource == "*"
                || row
                    .resource
                    .starts_with("arn:${Partition}:iam::${Account}:")
                || row
                    .resource
                    .starts_with("arn:${Partition}:sts::${Account}:")
                || row.resource.starts_with("arn:${Partition}:s3:::"),
            "{}: {}",
            row.action,
            row.resource
        );
        // A resource other than the SAR's says why.
        assert_eq!(
            row.resource_type.is_none() && row.resource != "*",
            !row.note.is_empty(),
            "{}",
            row.action
        );
        assert!(row.citation().ends_with(&format!("-{action}")));
        let filled = row.fill(&values());
        assert!(!filled.contains("${"), "{}: {filled}", row.action);
    }
}
