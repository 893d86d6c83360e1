//! `awslab sandbox status` names the emulated services as the sandbox's registry lists
//! them (protocol, API version, operations, `CloudFormation` types) and counts the other
//! services answered through the generic catalog.

use std::process::Command;

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

#[test]
fn status_prints_the_emulated_services_from_the_registry() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(AWSLAB);
    command
        .args(["sandbox", "status"])
        .env("AWS_CONFIG_FILE", dir.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("credentials"),
        )
        .env("AWSLAB_STATE_DIR", dir.path().join("state"))
        .env("AWSLAB_SANDBOX_DIR", dir.path().join("sandbox"))
        .env("NO_COLOR", "1");
    for name in [
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "RUST_LOG",
    ] {
        command.env_remove(name);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let line = |service: &str| {
        stdout
            .lines()
            .find(|line| line.starts_with(&format!("  {service} (")))
            .unwrap_or_else(|| panic!("no line for {service}: {stdout}"))
            .to_owned()
    };
    let operations = |line: &str| -> usize {
        let (_, after) = line.split_once("): ").unwrap();
        after.split(' ').next().unwrap().parse().unwrap()
    };
    assert!(stdout.starts_with("emulated services:\n"), "{stdout}");
    let iam = line("iam");
    assert!(
        iam.starts_with("  iam (query, API version 2010-05-08): "),
        "{iam}"
    );
    assert!(operations(&iam) >= 60, "{iam}");
    assert!(iam.contains("AWS::IAM::User"), "{iam}");
    assert!(iam.contains("AWS::IAM::SAMLProvider"), "{iam}");
    let sts = line("sts");
    assert!(
        sts.starts_with("  sts (query, API version 2011-06-15): "),
        "{sts}"
    );
    assert!(sts.ends_with("CloudFormation types: none"), "{sts}");
    let s3 = line("s3");
    assert!(
        s3.starts_with("  s3 (rest-xml, API version 2006-03-01): "),
        "{s3}"
    );
    assert!(
        s3.contains("AWS::S3::Bucket, AWS::S3::BucketPolicy"),
        "{s3}"
    );
    let cloudformation = line("cloudformation");
    assert!(
        cloudformation.starts_with("  cloudformation (query, API version 2010-05-15): "),
        "{cloudformation}"
    );
    assert!(operations(&cloudformation) >= 19, "{cloudformation}");
    let generic = stdout
        .lines()
        .find_map(|line| line.strip_prefix("other services answered through the generic catalog: "))
        .unwrap_or_else(|| panic!("no generic count: {stdout}"));
    // botocore ships some 400 services; the four emulated ones are not counted.
    assert!(generic.parse::<usize>().unwrap() > 300, "{stdout}");
}
