//! The real `aws` CLI (botocore) against the sandbox served on a free loopback port
//! (what `awslab sandbox serve` runs): `aws cloudformation deploy` of the seed lab's
//! template creates the stack through a change set and gives its outputs;
//! `create-stack`, `describe-stacks` (in progress first), `describe-stack-events` and
//! `delete-stack` answer as on AWS. No profile files are read: the CLI gets its
//! credentials and endpoint from the environment and temporary config files.

#![expect(clippy::expect_used, clippy::too_many_lines, reason = "test")]

mod common;

use std::path::Path;
use std::process::Output;

use awslab_sandbox::Sandbox;
use common::{ACCOUNT, AwsCli, Keys, Served};

/// The aws CLI against the served sandbox, answering JSON.
struct Cli(AwsCli);

impl Cli {
    async fn run(&self, args: &[&str]) -> Output {
        self.0
            .command(args)
            .args(["--output", "json"])
            .output()
            .await
            .expect("the aws CLI runs (install it with `pip install awscli`)")
    }

    async fn json(&self, args: &[&str]) -> serde_json::Value {
        let output = self.run(args).await;
        assert!(
            output.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("JSON answer")
    }

    /// `describe-stacks` until the status is terminal; every status seen.
    async fn settle(&self, stack: &str) -> (serde_json::Value, Vec<String>) {
        let mut seen = Vec::new();
        for _ in 0..20 {
            let answer = self
                .json(&["cloudformation", "describe-stacks", "--stack-name", stack])
                .await;
            let found = answer["Stacks"][0].clone();
            let status = found["StackStatus"].as_str().unwrap_or_default().to_owned();
            seen.push(status.clone());
            if !status.ends_with("_IN_PROGRESS") {
                return (found, seen);
            }
        }
        panic!("stack {stack} never settled: {seen:?}");
    }
}

fn output(stack: &serde_json::Value, key: &str) -> String {
    stack["Outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|output| output["OutputKey"] == key)
        .and_then(|output| output["OutputValue"].as_str())
        .unwrap_or_else(|| panic!("output {key} in {stack}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_deploys_describes_and_deletes_the_seed_lab_stack() {
    if !awslab_testkit::aws_cli_installed(
        "aws_cli_deploys_describes_and_deletes_the_seed_lab_stack",
    ) {
        return;
    }
    let sandbox = std::sync::Arc::new(Sandbox::in_memory());
    let served = Served::start(&sandbox).await;
    let cli = Cli(AwsCli::new(&served, Keys::operator(&sandbox, ACCOUNT)));
    let template = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../plans/templates/role-and-bucket.yaml")
        .display()
        .to_string();
    let user_arn = format!("UserArn=arn:aws:iam::{ACCOUNT}:user/awslab-operator");

    // `./bin/deploy` of the seed runbooks: a change set, executed, waited for.
    let deployed = cli
        .run(&[
            "cloudformation",
            "deploy",
            "--stack-name",
            "sts-lab",
            "--template-file",
            &template,
            "--parameter-overrides",
            &user_arn,
            "BucketName=sts-lab-cli-bucket",
            "--capabilities",
            "CAPABILITY_IAM",
        ])
        .await;
    let stdout = String::from_utf8_lossy(&deployed.stdout);
    assert!(
        deployed.status.success(),
        "deploy: {stdout}{}",
        String::from_utf8_lossy(&deployed.stderr)
    );
    assert!(
        stdout.contains("Successfully created/updated stack - sts-lab"),
        "{stdout}"
    );
    let (stack, _) = cli.settle("sts-lab").await;
    assert_eq!(stack["StackStatus"], "CREATE_COMPLETE");

    // The same deploy again: an empty change set, which deploy reports as up to date.
    let again = cli
        .run(&[
            "cloudformation",
            "deploy",
            "--stack-name",
            "sts-lab",
            "--template-file",
            &template,
            "--parameter-overrides",
            &user_arn,
            "BucketName=sts-lab-cli-bucket",
            "--capabilities",
            "CAPABILITY_IAM",
            "--no-fail-on-empty-changeset",
        ])
        .await;
    let said = String::from_utf8_lossy(&again.stdout).into_owned()
        + &String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{said}");
    assert!(
        said.contains("No changes to deploy. Stack sts-lab is up to date"),
        "{said}"
    );
    assert_eq!(output(&stack, "BucketName"), "sts-lab-cli-bucket");
    let role_arn = output(&stack, "RoleArn");
    assert!(
        role_arn.starts_with(&format!("arn:aws:iam::{ACCOUNT}:role/sts-lab-StsRole-")),
        "{role_arn}"
    );
    let listed = cli.json(&["s3api", "list-buckets"]).await;
    assert_eq!(listed["Buckets"][0]["Name"], "sts-lab-cli-bucket");

    // The other read operations parse in botocore too.
    let validated = cli
        .json(&[
            "cloudformation",
            "validate-template",
            "--template-body",
            &format!("file://{template}"),
        ])
        .await;
    assert_eq!(
        validated["Capabilities"],
        serde_json::json!(["CAPABILITY_IAM"])
    );
    assert_eq!(validated["Parameters"].as_array().map(Vec::len), Some(2));
    let stacks = cli.json(&["cloudformation", "list-stacks"]).await;
    assert_eq!(stacks["StackSummaries"][0]["StackName"], "sts-lab");
    assert_eq!(
        stacks["StackSummaries"][0]["StackStatus"],
        "CREATE_COMPLETE"
    );
    let resources = cli
        .json(&[
            "cloudformation",
            "describe-stack-resources",
            "--stack-name",
            "sts-lab",
        ])
        .await;
    assert_eq!(
        resources["StackResources"].as_array().map(Vec::len),
        Some(3)
    );
    let kept = cli
        .json(&["cloudformation", "get-template", "--stack-name", "sts-lab"])
        .await;
    assert!(
        kept["TemplateBody"]
            .as_str()
            .is_some_and(|body| body.contains("AWS::S3::Bucket")),
        "{kept}"
    );

    // create-stack, then describe-stacks polls: in progress first.
    let body = "Resources:\n  Notes:\n    Type: AWS::S3::Bucket\nOutputs:\n  Name:\n    Value: !Ref Notes\n";
    let body_file = cli.0.dir.path().join("notes.yaml");
    std::fs::write(&body_file, body).expect("write template");
    let created = cli
        .json(&[
            "cloudformation",
            "create-stack",
            "--stack-name",
            "notes",
            "--template-body",
            &format!("file://{}", body_file.display()),
        ])
        .await;
    let notes_id = created["StackId"].as_str().expect("stack id").to_owned();
    let (notes, seen) = cli.settle("notes").await;
    assert_eq!(seen, ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]);
    assert!(output(&notes, "Name").starts_with("notes-notes-"));
    let events = cli
        .json(&[
            "cloudformation",
            "describe-stack-events",
            "--stack-name",
            "notes",
        ])
        .await;
    let newest = &events["StackEvents"][0];
    assert_eq!(newest["LogicalResourceId"], "notes");
    assert_eq!(newest["ResourceStatus"], "CREATE_COMPLETE");
    let refused = cli
        .run(&[
            "cloudformation",
            "create-stack",
            "--stack-name",
            "notes",
            "--template-body",
            &format!("file://{}", body_file.display()),
        ])
        .await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains(
            "An error occurred (AlreadyExistsException) when calling the CreateStack operation: Stack [notes] already exists"
        ),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    for (name, id) in [
        ("notes", notes_id),
        ("sts-lab", stack["StackId"].as_str().expect("id").to_owned()),
    ] {
        let deleted = cli
            .run(&["cloudformation", "delete-stack", "--stack-name", name])
            .await;
        assert!(deleted.status.success());
        let (gone, seen) = cli.settle(&id).await;
        assert_eq!(seen, ["DELETE_IN_PROGRESS", "DELETE_COMPLETE"]);
        assert_eq!(gone["StackStatus"], "DELETE_COMPLETE");
        let missing = cli
            .run(&["cloudformation", "describe-stacks", "--stack-name", name])
            .await;
        assert!(
            String::from_utf8_lossy(&missing.stderr)
                .contains(&format!("Stack with id {name} does not exist")),
            "{}",
            String::from_utf8_lossy(&missing.stderr)
        );
    }
    let listed = cli.json(&["s3api", "list-buckets"]).await;
    assert_eq!(listed["Buckets"], serde_json::json!([]));

    served.stop().await;
}
