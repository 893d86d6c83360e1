#![expect(clippy::expect_used, reason = "tests fail loudly")]

//! `awslab export`'s last gaps (issue 20), checked on the text it writes (running the
//! scripts is `export.rs`'s, 40-70 s each): `CloudFormation` parameters and tags as JSON
//! files (a value with a comma, a quote and a space survives); a bucket tagged with the
//! run; a cleanup for every call a verify may make that creates something, by the id
//! its answer gives; descriptions naming the account by the script's variable; and the
//! real-account form (no endpoint, the operator's profile and region), which one test
//! runs against `awslab sandbox serve` standing in for AWS.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::serve::{learner, serve};
use support::{Lab, Target, plans, text};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/export")
        .join(name)
}

/// `awslab export PLAN --run-id ex1 ARGS`, off any AWS settings of the environment.
fn export(plan: &Path, args: &[&str]) -> Output {
    Command::new(AWSLAB)
        .arg("export")
        .arg(plan)
        .args(["--run-id", "ex1"])
        .args(args)
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .output()
        .expect("run awslab export")
}

/// The exported text (`--format FORMAT`), which must succeed.
fn exported(plan: &Path, format: &str, args: &[&str]) -> String {
    let mut all = vec!["--format", format];
    all.extend_from_slice(args);
    let output = export(plan, &all);
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8(output.stdout).expect("utf-8")
}

/// The body of the script's `cleanup` function.
fn cleanup(script: &str) -> String {
    let start = script.find("\ncleanup() {\n").expect("a cleanup function");
    let body = &script[start..];
    let end = body.find("\n}\n").expect("the function's end");
    body[..end].to_owned()
}

#[test]
fn stack_parameters_and_tags_are_json_files_so_any_value_survives() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("runbook");
    let dir_arg = dir.to_str().unwrap();
    let written = export(
        &fixture("export-gaps.yaml"),
        &["--format", "sh", "--out", dir_arg],
    );
    assert!(written.status.success(), "{}", text(&written));
    let script = std::fs::read_to_string(dir.join("run.sh")).unwrap();
    for arg in [
        "--parameters file://stacks/stack-parameters.json ",
        "--tags file://stacks/stack-tags.json ",
    ] {
        assert!(script.contains(arg), "{arg}: {script}");
    }
    assert!(!script.contains("ParameterKey="), "no shorthand: {script}");
    let parameters: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("stacks/stack-parameters.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        parameters,
        serde_json::json!([{ "ParameterKey": "Motto", "ParameterValue": "one, \"two\" three" }])
    );
    let tags: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stacks/stack-tags.json")).unwrap())
            .unwrap();
    assert_eq!(
        tags,
        serde_json::json!([
            { "Key": "awslab:run", "Value": "ex1" },
            { "Key": "awslab:plan", "Value": "export-gaps" },
            { "Key": "course", "Value": "iam 101" },
        ])
    );
}

#[test]
fn a_secret_stack_parameter_is_read_at_run_time_and_written_nowhere() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("runbook");
    let secret = "s3cr3t, \"motto\" value";
    let written = export(
        &fixture("export-gaps.yaml"),
        &[
            "--format",
            "sh",
            "--out",
            dir.to_str().unwrap(),
            "--secret-var",
            &format!("motto={secret}"),
        ],
    );
    assert!(written.status.success(), "{}", text(&written));
    assert!(!text(&written).contains(secret));
    for entry in walk(&dir) {
        let contents = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(!contents.contains("s3cr3t"), "{}", entry.display());
    }
    assert!(!dir.join("stacks/stack-parameters.json").exists());
    let script = std::fs::read_to_string(dir.join("run.sh")).unwrap();
    assert!(
        script.contains("\"ParameterValue\": \"${AWSLAB_VAR_MOTTO:?set AWSLAB_VAR_MOTTO"),
        "{script}"
    );
    assert!(
        script.contains("--parameters \"file://${WORK}/stack-parameters.json\""),
        "{script}"
    );
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(next) = todo.pop() {
        for entry in std::fs::read_dir(&next).expect("a folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn stack_parameters_known_at_run_time_are_written_by_the_script() {
    // The seed lab's stack takes the user's ARN, captured by an earlier command: the
    // script writes the JSON file itself, with the variable inside the string.
    let script = exported(&plans().join("sts-assume-role.yaml"), "sh", &[]);
    assert!(
        script.contains("cat > \"$WORK/stack-parameters.json\" <<EOF"),
        "{script}"
    );
    assert!(
        script.contains("\"ParameterValue\": \"${USER_ARN}\""),
        "{script}"
    );
    assert!(
        script.contains("--parameters \"file://${WORK}/stack-parameters.json\""),
        "{script}"
    );
    assert!(!script.contains("ParameterKey="), "{script}");
}

#[test]
fn bucket_is_tagged_with_the_run_right_after_it_is_made() {
    let script = exported(&fixture("export-gaps.yaml"), "sh", &[]);
    let create = script
        .find("aws s3api create-bucket --bucket gaps-ex1\n")
        .expect("create-bucket");
    let tag = script
        .find("aws s3api put-bucket-tagging --bucket gaps-ex1 --tagging file://tags/bucket-bucket.json")
        .expect("put-bucket-tagging");
    assert!(create < tag, "{script}");
    // Nothing but the bucket's mark between them.
    let between = &script[create..tag];
    assert_eq!(between.lines().count(), 2, "{between}");
    let markdown = exported(&fixture("export-gaps.yaml"), "markdown", &[]);
    assert!(
        markdown.contains("aws s3api put-bucket-tagging --bucket gaps-ex1"),
        "{markdown}"
    );
}

/// The cleanup command of each call a verify may make that creates something, in
/// `fixtures/export/export-gaps.yaml`, and what guards it.
const UNDONE: &[(&str, &str, &str)] = &[
    (
        "s3.PutObject",
        "aws s3api delete-object --bucket gaps-ex1 --key made.txt",
        "DONE_KEPT_PUTS_OBJECT",
    ),
    (
        "iam.CreateUser",
        "aws iam delete-user --user-name gaps-ex1-made",
        "DONE_KEPT_CREATES_USER",
    ),
    (
        "iam.CreateRole",
        "aws iam delete-role --role-name gaps-ex1-made",
        "DONE_KEPT_CREATES_ROLE",
    ),
    (
        "iam.CreatePolicy",
        "aws iam delete-policy --policy-arn \"${DONE_KEPT_CREATES_POLICY}\"",
        "DONE_KEPT_CREATES_POLICY",
    ),
    (
        "iam.CreateAccessKey",
        "aws iam delete-access-key --user-name gaps-ex1-user --access-key-id \"${DONE_KEPT_CREATES_KEY}\"",
        "DONE_KEPT_CREATES_KEY",
    ),
    (
        "iam.PutUserPolicy",
        "aws iam delete-user-policy --user-name gaps-ex1-user --policy-name Made",
        "CLAIMED_PUTS_USER_POLICY",
    ),
];

#[test]
fn every_call_a_verify_may_make_that_creates_is_undone_by_the_cleanup() {
    // The table covers every creating call the API models know.
    let mut calls: Vec<&str> = awslab_apimodel::Call::creating().collect();
    calls.sort_unstable();
    let mut covered: Vec<&str> = UNDONE.iter().map(|(call, _, _)| *call).collect();
    covered.sort_unstable();
    assert_eq!(covered, calls, "a creating call without its cleanup test");
    let script = exported(&fixture("export-gaps.yaml"), "sh", &[]);
    let body = cleanup(&script);
    for (call, line, guard) in UNDONE {
        let guarded = format!("[[ -z \"${{{guard}:-}}\" ]] || undo {line}");
        assert!(body.contains(&guarded), "{call}: `{guarded}` in\n{body}");
    }
    // What was made is known by the id the answer gave, kept only when the call
    // succeeded (a denied call made nothing, and its undo does not run).
    for (step, query) in [
        ("puts-object", "ETag"),
        ("creates-user", "User.UserId"),
        ("creates-policy", "Policy.Arn"),
    ] {
        assert!(
            script.contains(&format!("--query {query} --output text\n")),
            "{step}: {script}"
        );
        assert!(
            script.contains(&format!(
                "CLAIM_KEEP=\"$WORK/{step}.created\"\nclaim_success {step} "
            )),
            "{step}: {script}"
        );
    }
    // A claim of fields keeps the id as a last field that any value matches.
    assert!(
        script.contains("'(made)' AccessKey.AccessKeyId '*' 0 aws iam create-access-key"),
        "{script}"
    );
    assert!(
        script.contains("DONE_KEPT_CREATES_KEY=$(kept \"$WORK/creates-key.created\")"),
        "{script}"
    );
    // The markdown's cleanup has the same commands.
    let markdown = exported(&fixture("export-gaps.yaml"), "markdown", &[]);
    let (_, cleanup_section) = markdown.split_once("## Cleanup").unwrap();
    for (call, line, _) in UNDONE {
        assert!(cleanup_section.contains(line), "{call}: {cleanup_section}");
    }
}

#[test]
fn descriptions_name_the_account_by_the_scripts_variable() {
    for format in ["markdown", "sh"] {
        let out = exported(&plans().join("cross-account.yaml"), format, &[]);
        assert!(!out.contains("${account."), "{format}: {out}");
    }
    let markdown = exported(&plans().join("cross-account.yaml"), "markdown", &[]);
    assert!(
        markdown.contains("gives `Account` matching `$ACCOUNT_B_ID`"),
        "{markdown}"
    );
    assert!(
        markdown.contains("`arn:aws:sts::$ACCOUNT_ID:assumed-role/partner-access-ex1/partner`"),
        "{markdown}"
    );
    // A claim without a description of its own says it in the script's verdict line.
    let script = exported(&plans().join("saml.yaml"), "sh", &[]);
    assert!(!script.contains("${account."), "{script}");
    assert!(
        script.contains("`arn:aws:sts::$ACCOUNT_ID:assumed-role/SamlLab-ex1/student`'"),
        "{script}"
    );
    let markdown = exported(&plans().join("permissions-boundary.yaml"), "markdown", &[]);
    assert!(
        markdown.contains(
            "capped by boundary `arn:aws:iam::$ACCOUNT_ID:policy/S3ReadOnlyBoundary-ex1`"
        ),
        "{markdown}"
    );
}

#[test]
fn real_account_script_has_no_endpoint_and_takes_the_profile_and_region() {
    let args = [
        "--target",
        "aws",
        "--profile",
        "lab-admin",
        "--region",
        "eu-west-1",
    ];
    let script = exported(&plans().join("sts-assume-role.yaml"), "sh", &args);
    for absent in [
        "AWS_ENDPOINT_URL",
        "--endpoint-url",
        "endpoint_url",
        "127.0.0.1",
        "sandbox",
    ] {
        assert!(
            !script.contains(absent),
            "`{absent}` in a real account's script: {script}"
        );
    }
    assert!(
        script.contains("\nexport AWS_PROFILE=lab-admin\n"),
        "{script}"
    );
    assert!(script.contains("\nREGION=eu-west-1\n"), "{script}");
    // IAM is eventually consistent on AWS: a claim is tried up to six times.
    assert!(
        script.contains("ATTEMPTS=\"${AWSLAB_CLAIM_ATTEMPTS:-6}\""),
        "{script}"
    );
    assert!(
        script.contains("export AWS_DEFAULT_REGION=\"$REGION\""),
        "{script}"
    );
    assert!(
        script.contains("aws configure set region \"${REGION}\" --profile assumed"),
        "{script}"
    );
    // The bucket, outside us-east-1, names its region.
    let gaps = exported(&fixture("export-gaps.yaml"), "sh", &args);
    assert!(
        gaps.contains("aws s3api create-bucket --bucket gaps-ex1 --create-bucket-configuration LocationConstraint=eu-west-1"),
        "{gaps}"
    );
    // Without --profile: the default credential chain, no AWS_PROFILE of its own.
    let plain = exported(
        &plans().join("sts-assume-role.yaml"),
        "sh",
        &["--target", "aws"],
    );
    assert!(!plain.contains("export AWS_PROFILE="), "{plain}");
    assert!(plain.contains("\nREGION=us-east-1\n"), "{plain}");
    // Another account's operator is a profile, named by the plan or by the environment.
    let cross = exported(&plans().join("cross-account.yaml"), "sh", &args);
    assert!(
        cross.contains("as_profile \"${AWSLAB_PROFILE_B:?set AWSLAB_PROFILE_B to the AWS CLI profile of account b's operator}\" aws iam create-user"),
        "{cross}"
    );
    assert!(!cross.contains("sandbox env"), "{cross}");
    // The markdown says the same commands.
    let markdown = exported(&plans().join("sts-assume-role.yaml"), "markdown", &args);
    assert!(!markdown.contains("AWS_ENDPOINT_URL"), "{markdown}");
    assert!(
        markdown.contains("export AWS_PROFILE=lab-admin"),
        "{markdown}"
    );
}

/// The real-account script, run with the aws CLI against `awslab sandbox serve`
/// standing in for AWS (the endpoint comes from the shell's `AWS_ENDPOINT_URL`, as a
/// learner's own setting would): every claim holds, and the cleanup leaves nothing.
#[tokio::test(flavor = "multi_thread")]
async fn real_account_script_runs_against_a_stand_in_endpoint() {
    if !awslab_testkit::aws_cli_installed("export's real-account script with the aws CLI") {
        return;
    }
    let lab = Lab::on(Target::Sandbox, "export_text_real")
        .await
        .expect("the sandbox never skips");
    let serve = serve(&lab);
    let dir = lab.files.dir().join("runbook");
    let written = lab.awslab(&[
        "export",
        &plans().join("sts-assume-role.yaml").display().to_string(),
        "--target",
        "aws",
        "--region",
        "us-east-1",
        "--run-id",
        "rx1",
        "--format",
        "sh",
        "--out",
        &dir.display().to_string(),
    ]);
    assert!(written.status.success(), "{}", text(&written));
    let script = std::fs::read_to_string(dir.join("run.sh")).unwrap();
    assert!(!script.contains("AWS_ENDPOINT_URL"), "{script}");
    let run = learner(
        &lab,
        &serve,
        &format!("cd '{}' && bash run.sh", dir.display()),
    );
    let out = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(run.status.success(), "{}", text(&run));
    let verdicts: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("PASS") || l.starts_with("FAIL"))
        .collect();
    assert!(!verdicts.is_empty(), "{out}");
    assert!(verdicts.iter().all(|l| l.starts_with("PASS")), "{out}");
    assert!(
        !text(&run).contains(&lab.admin.secret_access_key),
        "the operator's secret key was printed"
    );
    drop(serve);
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

/// A plan for a class exports one learner's runbook: the first learner's by default,
/// `--learner NAME` another's; a name not in the class is refused with the class's
/// names, and `--learner` on a plan that is not for a class is refused.
#[test]
fn a_class_plan_exports_one_learners_runbook() {
    let plan = plans().join("classroom.yaml");
    let first = exported(&plan, "markdown", &[]);
    assert!(first.contains("student-learner-01-ex1"), "{first}");
    assert!(!first.contains("learner-02"), "{first}");
    let roster = tempfile::tempdir().expect("temp dir");
    let csv = roster.path().join("class.csv");
    std::fs::write(&csv, "name\nada\nbob\n").expect("roster");
    let csv = csv.to_str().expect("utf-8 path");
    let bob = exported(&plan, "sh", &["--roster", csv, "--learner", "bob"]);
    assert!(bob.contains("student-bob-ex1"), "{bob}");
    assert!(!bob.contains("student-ada"), "{bob}");

    let unknown = export(&plan, &["--roster", csv, "--learner", "zed"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    let said = text(&unknown);
    assert!(
        said.contains("no learner `zed`") && said.contains("ada, bob"),
        "{said}"
    );

    let alone = export(&plans().join("sts-assume-role.yaml"), &["--learner", "ada"]);
    assert_eq!(alone.status.code(), Some(2), "{}", text(&alone));
    assert!(
        text(&alone).contains("not a plan for a class"),
        "{}",
        text(&alone)
    );
}
