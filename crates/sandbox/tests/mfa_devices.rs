//! Virtual MFA devices through real clients: the Rust SDK in-process (create, enable
//! with two consecutive TOTP codes, list, the conflicts AWS reports, deactivate,
//! delete) and the `aws` CLI (botocore) over HTTP, which writes the seed it receives.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]
#![expect(clippy::too_many_lines, reason = "one device's life, told in order")]

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use aws_sdk_iam::types::AssignmentStatusType;
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, AwsCli, Keys, Served, iam, mfa_code, sts, user_with_key, wrong_mfa_code};

#[tokio::test]
async fn a_virtual_mfa_device_is_created_enabled_listed_and_deleted() {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let ana = user_with_key(&sandbox, "ana").await;
    let bob = user_with_key(&sandbox, "bob").await;

    let created = admin
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("ana-phone")
        .path("/lab/")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("awslab:run")
                .value("r1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let device = created.virtual_mfa_device().unwrap();
    let serial = device.serial_number().to_owned();
    assert_eq!(serial, format!("arn:aws:iam::{ACCOUNT}:mfa/lab/ana-phone"));
    let seed = String::from_utf8(device.base32_string_seed().unwrap().as_ref().to_vec()).unwrap();
    assert_eq!(seed.len(), 64, "{seed}");
    assert!(
        seed.chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
    );

    let again = admin
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("ana-phone")
        .path("/lab/")
        .send()
        .await
        .expect_err("one device a name and path");
    assert_eq!(again.code(), Some("EntityAlreadyExists"));
    let tags = admin
        .list_mfa_device_tags()
        .serial_number(&serial)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);

    // Enabling takes two consecutive codes.
    let enable = |first: String, second: String| {
        admin
            .enable_mfa_device()
            .user_name("ana")
            .serial_number(&serial)
            .authentication_code1(first)
            .authentication_code2(second)
            .send()
    };
    let wrong = enable(mfa_code(&seed, 0), mfa_code(&seed, 0))
        .await
        .expect_err("the same code twice");
    assert_eq!(wrong.code(), Some("InvalidAuthenticationCode"));
    let wrong = enable(wrong_mfa_code(&seed), mfa_code(&seed, 0))
        .await
        .expect_err("a wrong code");
    assert_eq!(wrong.code(), Some("InvalidAuthenticationCode"));
    let shape = enable("12345".to_owned(), mfa_code(&seed, 0))
        .await
        .expect_err("five digits");
    assert_eq!(shape.code(), Some("ValidationError"));
    enable(mfa_code(&seed, -1), mfa_code(&seed, 0))
        .await
        .unwrap();
    let twice = enable(mfa_code(&seed, -1), mfa_code(&seed, 0))
        .await
        .expect_err("enabled already");
    assert_eq!(twice.code(), Some("EntityAlreadyExists"));

    let listed = admin
        .list_mfa_devices()
        .user_name("ana")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.mfa_devices().len(), 1);
    assert_eq!(listed.mfa_devices()[0].serial_number(), serial);
    assert_eq!(listed.mfa_devices()[0].user_name(), "ana");
    let assigned = admin
        .list_virtual_mfa_devices()
        .assignment_status(AssignmentStatusType::Assigned)
        .send()
        .await
        .unwrap();
    assert_eq!(assigned.virtual_mfa_devices().len(), 1);
    assert_eq!(
        assigned.virtual_mfa_devices()[0]
            .user()
            .map(aws_sdk_iam::types::User::user_name),
        Some("ana")
    );
    let unassigned = admin
        .list_virtual_mfa_devices()
        .assignment_status(AssignmentStatusType::Unassigned)
        .send()
        .await
        .unwrap();
    assert!(unassigned.virtual_mfa_devices().is_empty());

    // Only its user may use it: bob's code for ana's device is refused, ana's works.
    let denied = sts(&sandbox, &bob)
        .get_session_token()
        .serial_number(&serial)
        .token_code(mfa_code(&seed, 0))
        .send()
        .await
        .expect_err("not bob's device");
    assert_eq!(denied.code(), Some("AccessDenied"));
    assert!(
        denied
            .message()
            .unwrap_or_default()
            .contains("MultiFactorAuthentication failed"),
        "{denied:?}"
    );
    sts(&sandbox, &ana)
        .get_session_token()
        .serial_number(&serial)
        .token_code(mfa_code(&seed, 0))
        .send()
        .await
        .unwrap();

    // What AWS refuses while the device is enabled.
    let in_use = admin
        .delete_virtual_mfa_device()
        .serial_number(&serial)
        .send()
        .await
        .expect_err("still enabled");
    assert_eq!(in_use.code(), Some("DeleteConflict"));
    for id in admin
        .list_access_keys()
        .user_name("ana")
        .send()
        .await
        .unwrap()
        .access_key_metadata()
    {
        admin
            .delete_access_key()
            .user_name("ana")
            .access_key_id(id.access_key_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    let user_in_use = admin
        .delete_user()
        .user_name("ana")
        .send()
        .await
        .expect_err("the user has an MFA device");
    assert_eq!(user_in_use.code(), Some("DeleteConflict"));

    // Teardown's order: deactivate, delete.
    admin
        .resync_mfa_device()
        .user_name("ana")
        .serial_number(&serial)
        .authentication_code1(mfa_code(&seed, -1))
        .authentication_code2(mfa_code(&seed, 0))
        .send()
        .await
        .unwrap();
    admin
        .deactivate_mfa_device()
        .user_name("ana")
        .serial_number(&serial)
        .send()
        .await
        .unwrap();
    let gone = admin
        .deactivate_mfa_device()
        .user_name("ana")
        .serial_number(&serial)
        .send()
        .await
        .expect_err("not enabled any more");
    assert_eq!(gone.code(), Some("NoSuchEntity"));
    admin
        .delete_virtual_mfa_device()
        .serial_number(&serial)
        .send()
        .await
        .unwrap();
    let deleted = admin
        .delete_virtual_mfa_device()
        .serial_number(&serial)
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(deleted.code(), Some("NoSuchEntity"));
    admin.delete_user().user_name("ana").send().await.unwrap();
    assert!(
        admin
            .list_virtual_mfa_devices()
            .send()
            .await
            .unwrap()
            .virtual_mfa_devices()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_creates_lists_and_deletes_a_virtual_mfa_device() {
    if !awslab_testkit::aws_cli_installed("aws_cli_creates_lists_and_deletes_a_virtual_mfa_device")
    {
        return;
    }
    let sandbox = std::sync::Arc::new(Sandbox::in_memory());
    let served = Served::start(&sandbox).await;
    let cli = AwsCli::new(&served, Keys::operator(&sandbox, ACCOUNT));
    let seed_file = cli.dir.path().join("seed.txt");
    let run = |args: &[&str]| {
        let mut command = cli.command(args);
        async move { command.output().await.unwrap() }
    };
    let created = run(&[
        "iam",
        "create-virtual-mfa-device",
        "--virtual-mfa-device-name",
        "cli-phone",
        "--outfile",
        seed_file.to_str().unwrap(),
        "--bootstrap-method",
        "Base32StringSeed",
        "--output",
        "json",
    ])
    .await;
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let serial = json["VirtualMFADevice"]["SerialNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(serial, format!("arn:aws:iam::{ACCOUNT}:mfa/cli-phone"));
    let seed = std::fs::read_to_string(&seed_file).unwrap();
    assert_eq!(
        seed.len(),
        64,
        "botocore wrote the decoded base32 seed: {seed}"
    );

    let listed = run(&["iam", "list-virtual-mfa-devices", "--output", "json"]).await;
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(
        json["VirtualMFADevices"][0]["SerialNumber"],
        serial.as_str()
    );

    let enabled = run(&[
        "iam",
        "enable-mfa-device",
        "--user-name",
        "awslab-operator",
        "--serial-number",
        &serial,
        "--authentication-code1",
        &mfa_code(&seed, -1),
        "--authentication-code2",
        &mfa_code(&seed, 0),
    ])
    .await;
    assert!(
        enabled.status.success(),
        "{}",
        String::from_utf8_lossy(&enabled.stderr)
    );
    let devices = run(&["iam", "list-mfa-devices", "--output", "json"]).await;
    assert!(
        devices.status.success(),
        "{}",
        String::from_utf8_lossy(&devices.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&devices.stdout).unwrap();
    assert_eq!(json["MFADevices"][0]["UserName"], "awslab-operator");

    for args in [
        &[
            "iam",
            "deactivate-mfa-device",
            "--user-name",
            "awslab-operator",
            "--serial-number",
            &serial,
        ][..],
        &[
            "iam",
            "delete-virtual-mfa-device",
            "--serial-number",
            &serial,
        ],
    ] {
        let output = run(args).await;
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    served.stop().await;
}
