#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

//! `awslab guide` (issue 20 §2) on the seed lab `plans/sts-assume-role.yaml`:
//! - `--check` on an untouched lab exits 1 and shows the `aws iam create-user` command
//!   of its first step (snapshot, in-process sandbox, no Python);
//! - the interactive loop, fed by a pipe, answers `hint`, `solution`, `check` and
//!   `skip` until the lab is complete, ends with the summary, and `down` of the guide's
//!   run leaves nothing; no secret reaches its output or `guide.json`, and the run's
//!   secrets file is 0600;
//! - by hand with the real aws CLI against `awslab sandbox serve`: `guide --check`
//!   after each command says what is missing ("exists but has no access key"), adopts
//!   what the learner made, `--auto` does the rest with every claim held, and
//!   `awslab down` removes what the learner made too (the profile written by hand
//!   included), leaving the sandbox as it was.

mod support;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Output, Stdio};

use support::serve::{learner, serve};
use support::snapshot::{Secrets, stderr, stdout};
use support::{Lab, Target, plans, text};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

async fn lab(test: &str) -> Lab {
    Lab::on(Target::Sandbox, test)
        .await
        .expect("the sandbox never skips")
}

fn seed() -> String {
    plans().join("sts-assume-role.yaml").display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn check_on_untouched_lab_exits_1_with_the_first_command() {
    let lab = lab("guide_check_untouched").await;
    let plan = seed();
    let output = lab.awslab(&["guide", &plan, "--run-id", "g1", "--check"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let out = stdout(&output);
    assert!(
        out.contains("aws iam create-user --user-name sts-lab-user-g1"),
        "{out}"
    );
    assert!(
        out.contains("not done: the user `sts-lab-user-g1` does not exist yet"),
        "{out}"
    );
    let secrets = Secrets::from_values(vec![lab.admin.secret_access_key.clone()]);
    let temps: &[&Path] = &[lab.files.dir(), &plans()];
    snapshot!(secrets, "guide_check_untouched_stdout", temps, out);
    assert_eq!(stderr(&output), "", "{}", text(&output));
    // The run exists and `status` knows it; nothing was made, so `down` has nothing.
    let status = lab.awslab(&["status", "g1"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    let down = lab.awslab(&["down", "g1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

/// Runs `awslab guide ARGS` with `input` on stdin.
fn guide_with_input(lab: &Lab, args: &[&str], input: &str) -> Output {
    let mut child = lab
        .command(AWSLAB)
        .arg("guide")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn guide");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn interactive_skip_to_the_end_then_down_leaves_nothing() {
    let lab = lab("guide_interactive").await;
    let plan = seed();
    let mut input = String::from("hint\nsolution\ncheck\nbogus\n");
    input.push_str(&"skip\n".repeat(10));
    let output = guide_with_input(&lab, &[&plan, "--run-id", "g2"], &input);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let out = stdout(&output);
    assert!(out.contains("hint: create IAM user"), "{out}");
    assert!(out.contains("aws iam create-access-key"), "{out}");
    assert!(
        out.contains("not done: the user `sts-lab-user-g2` does not exist yet"),
        "{out}"
    );
    assert!(out.contains("unknown command `bogus`"), "{out}");
    assert!(out.contains("the lab is complete"), "{out}");
    assert!(
        out.contains("role-lists-bucket        skipped (done by awslab)"),
        "{out}"
    );
    let secrets = Secrets::of_run(&lab, "g2", &["user", "assumed"]);
    assert_eq!(secrets.len(), 4, "operator, user, session key and token");
    secrets.assert_absent("guide stdout", &out);
    secrets.assert_absent("guide stderr", &stderr(&output));
    let run_dir = lab.state_dir.join("runs").join("g2");
    let progress = std::fs::read_to_string(run_dir.join("guide.json")).unwrap();
    secrets.assert_absent("guide.json", &progress);
    // Every file of the run but the secrets file holds no secret; that one is 0600.
    for entry in std::fs::read_dir(&run_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "secrets.json") {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} holds secrets", path.display());
        } else {
            let contents = std::fs::read_to_string(&path).unwrap_or_default();
            secrets.assert_absent(&path.display().to_string(), &contents);
        }
    }
    let down = lab.awslab(&["down", "g2"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn by_hand_with_the_aws_cli_then_auto_then_down_leaves_nothing() {
    if !awslab_testkit::aws_cli_installed("guide by hand with the aws CLI") {
        return;
    }
    let lab = lab("guide_by_hand").await;
    let serve = serve(&lab);
    let port = serve.port.to_string();
    let plan = seed();
    let check = |extra: &str| -> Output {
        // The learner's shell: what the commands captured is exported.
        let script =
            format!("{extra}\n'{AWSLAB}' guide '{plan}' --run-id g3 --sandbox-port {port} --check");
        learner(&lab, &serve, &script)
    };
    let first = check("");
    assert_eq!(first.status.code(), Some(1), "{}", text(&first));
    assert!(
        stdout(&first).contains("aws iam create-user"),
        "{}",
        text(&first)
    );

    // The user, by hand, without its access key yet.
    let user = learner(
        &lab,
        &serve,
        "aws iam create-user --user-name sts-lab-user-g3 --tags Key=awslab:run,Value=g3 >/dev/null",
    );
    assert!(user.status.success(), "{}", text(&user));
    let no_key = check("");
    assert_eq!(no_key.status.code(), Some(1), "{}", text(&no_key));
    assert!(
        stdout(&no_key).contains("the user `sts-lab-user-g3` exists but has no access key"),
        "{}",
        text(&no_key)
    );
    // The key, captured and exported as the solution says.
    let done = check(
        "OUT=$(aws iam create-access-key --user-name sts-lab-user-g3 --query '[AccessKey.AccessKeyId,AccessKey.SecretAccessKey]' --output text)\nread -r USER_ACCESS_KEY_ID USER_SECRET_ACCESS_KEY <<<\"$OUT\"\nexport USER_ACCESS_KEY_ID USER_SECRET_ACCESS_KEY",
    );
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
    assert!(
        stdout(&done).contains("done: the user `sts-lab-user-g3` exists"),
        "{}",
        text(&done)
    );

    // The rest with the aws CLI, each step checked.
    let auto = lab.awslab(&[
        "guide",
        &plan,
        "--run-id",
        "g3",
        "--sandbox-port",
        &port,
        "--auto",
    ]);
    assert_eq!(auto.status.code(), Some(0), "{}", text(&auto));
    let out = stdout(&auto);
    assert!(out.contains("claims seen to hold: 5 of 5"), "{out}");
    assert!(
        out.contains("user                     done by hand"),
        "{out}"
    );
    let secrets = Secrets::of_run(&lab, "g3", &["user", "assumed"]);
    secrets.assert_absent("guide --auto stdout", &out);
    secrets.assert_absent("guide --auto stderr", &stderr(&auto));

    let status = lab.awslab(&["status", "g3"]);
    assert!(
        stdout(&status).contains("aws profile assumed"),
        "{}",
        text(&status)
    );
    let down = lab.awslab(&["down", "g3"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    let config = std::fs::read_to_string(&lab.files.config).unwrap_or_default();
    let credentials = std::fs::read_to_string(&lab.files.credentials).unwrap_or_default();
    assert!(!config.contains("[profile assumed]"), "{config}");
    assert!(
        !credentials.contains("[assumed]"),
        "the session's keys are gone"
    );
    drop(serve);
    assert_eq!(lab.inventory(), Vec::<String>::new());
}
