//! `awslab guide`'s checks of identity providers, virtual MFA devices, federated
//! sessions and a multi-account lab (issue 20's last gaps), with the real aws CLI
//! against `awslab sandbox serve`; each test ends with `awslab down` of the guide's run
//! and an empty sandbox, what the learner made by hand included:
//! - `iam.oidc_provider` and `sts.assume_role_with_web_identity`
//!   (`plans/web-identity.yaml`): a provider for another audience, a session under
//!   another name, each not done with what is wrong and the step's commands; fixed,
//!   adopted;
//! - `iam.saml_provider` (`plans/saml.yaml`): a provider holding another identity
//!   provider's metadata is not done; updated, adopted; `--auto` does the SAML session;
//! - `iam.virtual_mfa_device` (`plans/mfa-session-token.yaml`): a device without the
//!   run's tag is not done; made again with it, adopted with its seed, with which
//!   awslab then does the steps that need a code;
//! - `plans/cross-account.yaml` by `--auto`: what the learner made in account `b` is
//!   journaled in `b`, and `down` deletes it there.

mod support;

use std::process::Output;

use support::serve::{Serve, learner, serve};
use support::snapshot::{stderr, stdout};
use support::{Lab, Target, plans, text};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

/// `output` exited with `code` and its stdout says `text`.
fn says(output: &Output, code: i32, says: &str) {
    assert_eq!(output.status.code(), Some(code), "{}", text(output));
    assert!(stdout(output).contains(says), "{}", text(output));
}

/// `awslab guide PLAN --run-id RUN --check` in the learner's shell, after `before`
/// (commands whose exported variables the check reads).
fn check_after(lab: &Lab, serve: &Serve, plan: &str, run: &str, before: &str) -> Output {
    learner(
        lab,
        serve,
        &format!(
            "{before}\n'{AWSLAB}' guide '{plan}' --run-id {run} --sandbox-port {} --check",
            serve.port
        ),
    )
}

/// The learner's commands ran.
fn ran(output: &Output) {
    assert!(output.status.success(), "{}", text(output));
}

/// `awslab guide ... --skip` until the current step is `step` (at most `limit` times).
fn skip_to(lab: &Lab, serve: &Serve, plan: &str, run: &str, step: &str, limit: usize) {
    let port = serve.port.to_string();
    for _ in 0..limit {
        let current = check_after(lab, serve, plan, run, "");
        if stdout(&current).contains(&format!("`{step}` (")) {
            return;
        }
        let skipped = lab.awslab(&[
            "guide",
            plan,
            "--run-id",
            run,
            "--sandbox-port",
            &port,
            "--skip",
        ]);
        assert_eq!(skipped.status.code(), Some(0), "{}", text(&skipped));
    }
    panic!("step `{step}` never became current");
}

/// `down RUN` succeeds and the sandbox is as the lab found it.
fn down_leaves_nothing(lab: &Lab, serve: Serve, run: &str) -> Output {
    let down = lab.awslab(&["down", run]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    drop(serve);
    assert_eq!(lab.inventory(), Vec::<String>::new());
    down
}

#[tokio::test(flavor = "multi_thread")]
async fn web_identity_by_hand_wrong_audience_and_session_then_right_then_down() {
    if !awslab_testkit::aws_cli_installed("guide's web identity checks with the aws CLI") {
        return;
    }
    let lab = Lab::on(Target::Sandbox, "guide_federation_web")
        .await
        .expect("the sandbox never skips");
    let serve = serve(&lab);
    let plan = plans().join("web-identity.yaml").display().to_string();
    let check = |before: &str| check_after(&lab, &serve, &plan, "w1", before);
    let untouched = check("");
    says(
        &untouched,
        1,
        "there is no OIDC identity provider for `https://oidc.awslab.localhost` yet",
    );
    assert!(
        stdout(&untouched).contains("aws iam create-open-id-connect-provider"),
        "the step's command is shown: {}",
        text(&untouched)
    );
    // By hand, for another audience.
    let tags = "--tags Key=awslab:run,Value=w1";
    ran(&learner(
        &lab,
        &serve,
        &format!(
            "aws iam create-open-id-connect-provider --url https://oidc.awslab.localhost --client-id-list other-app {tags} >/dev/null"
        ),
    ));
    let wrong = check("");
    says(
        &wrong,
        1,
        "the OIDC provider `oidc.awslab.localhost` does not list the audience (client id) `awslab-lab`; it lists `other-app`",
    );
    assert!(stdout(&wrong).contains("hint: "), "{}", text(&wrong));
    ran(&learner(
        &lab,
        &serve,
        &format!(
            "ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
aws iam delete-open-id-connect-provider --open-id-connect-provider-arn arn:aws:iam::$ACCOUNT:oidc-provider/oidc.awslab.localhost
aws iam create-open-id-connect-provider --url https://oidc.awslab.localhost --client-id-list awslab-lab {tags} >/dev/null"
        ),
    ));
    says(
        &check(""),
        0,
        "done: the OIDC provider `oidc.awslab.localhost` exists for the audiences `awslab-lab`",
    );
    // The role is awslab's; the session by hand, first under another name.
    skip_to(&lab, &serve, &plan, "w1", "student", 2);
    let session = |name: &str| {
        format!(
            r#"TOKEN=$('{AWSLAB}' sandbox token --sub student --aud awslab-lab)
ROLE=$(aws iam get-role --role-name WebIdentityLab-w1 --query Role.Arn --output text)
OUT=$(aws sts assume-role-with-web-identity --role-arn "$ROLE" --role-session-name {name} --web-identity-token "$TOKEN" --query '[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken,SubjectFromWebIdentityToken]' --output text)
read -r STUDENT_ACCESS_KEY_ID STUDENT_SECRET_ACCESS_KEY STUDENT_SESSION_TOKEN STUDENT_SUBJECT <<<"$OUT"
export STUDENT_ACCESS_KEY_ID STUDENT_SECRET_ACCESS_KEY STUDENT_SESSION_TOKEN STUDENT_SUBJECT"#
        )
    };
    let misnamed = check(&session("someone"));
    says(
        &misnamed,
        1,
        "not as a session `student-session` of the role `WebIdentityLab-w1`",
    );
    // With every log line on: the adopted session's secrets are never logged.
    let right = check(&format!(
        "{}\nexport RUST_LOG=trace",
        session("student-session")
    ));
    says(
        &right,
        0,
        "done: the credentials are the session `student-session` of `WebIdentityLab-w1`",
    );
    // The claim, as the adopted session.
    let claim = check("");
    says(&claim, 0, "claims seen to hold: 1 of 1");
    let secrets = support::snapshot::Secrets::of_run(&lab, "w1", &["student"]);
    for (what, output) in [
        ("misnamed", &misnamed),
        ("right", &right),
        ("claim", &claim),
    ] {
        secrets.assert_absent(what, &stdout(output));
        secrets.assert_absent(what, &stderr(output));
    }
    down_leaves_nothing(&lab, serve, "w1");
}

#[tokio::test(flavor = "multi_thread")]
async fn saml_provider_with_another_idps_metadata_then_updated_then_auto_then_down() {
    if !awslab_testkit::aws_cli_installed("guide's SAML checks with the aws CLI") {
        return;
    }
    let lab = Lab::on(Target::Sandbox, "guide_federation_saml")
        .await
        .expect("the sandbox never skips");
    let serve = serve(&lab);
    let plan = plans().join("saml.yaml").display().to_string();
    let check = || check_after(&lab, &serve, &plan, "s1", "");
    says(
        &check(),
        1,
        "there is no SAML identity provider `SandboxIdP-s1` yet",
    );
    // By hand, with the metadata of another identity provider (the fixture's).
    let other = plans().join("files/idp-metadata.xml").display().to_string();
    ran(&learner(
        &lab,
        &serve,
        &format!(
            "aws iam create-saml-provider --name SandboxIdP-s1 --saml-metadata-document 'file://{other}' --tags Key=awslab:run,Value=s1 >/dev/null"
        ),
    ));
    let wrong = check();
    says(
        &wrong,
        1,
        "the SAML provider `SandboxIdP-s1` does not hold the signing certificate of the lab's identity provider",
    );
    let dir = lab.files.dir().display().to_string();
    ran(&learner(
        &lab,
        &serve,
        &format!(
            "'{AWSLAB}' sandbox saml --metadata > '{dir}/sandbox-idp.xml'
ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
aws iam update-saml-provider --saml-provider-arn arn:aws:iam::$ACCOUNT:saml-provider/SandboxIdP-s1 --saml-metadata-document 'file://{dir}/sandbox-idp.xml' >/dev/null"
        ),
    ));
    says(
        &check(),
        0,
        "done: the SAML provider `SandboxIdP-s1` holds the lab's identity provider's metadata",
    );
    let port = serve.port.to_string();
    let auto = lab.awslab(&[
        "guide",
        &plan,
        "--run-id",
        "s1",
        "--sandbox-port",
        &port,
        "--auto",
    ]);
    assert_eq!(auto.status.code(), Some(0), "{}", text(&auto));
    let out = stdout(&auto);
    assert!(out.contains("claims seen to hold: 1 of 1"), "{out}");
    assert!(!out.contains("skipped"), "no step is left to awslab: {out}");
    let secrets = support::snapshot::Secrets::of_run(&lab, "s1", &["student"]);
    secrets.assert_absent("guide --auto stdout", &out);
    secrets.assert_absent("guide --auto stderr", &stderr(&auto));
    down_leaves_nothing(&lab, serve, "s1");
}

/// Two consecutive codes of the seed in `$WORK/device.seed` (RFC 6238), as the
/// runbook's `totp` helper gives them.
const ENABLE: &str = r#"CODES=$(totp "$WORK/device.seed" -1 0)
aws iam enable-mfa-device --user-name mfa-user-m1 --serial-number "$SERIAL" --authentication-code1 "${CODES% *}" --authentication-code2 "${CODES#* }""#;

#[tokio::test(flavor = "multi_thread")]
async fn mfa_device_without_the_run_tag_then_tagged_then_awslab_uses_its_seed_then_down() {
    if !awslab_testkit::aws_cli_installed("guide's MFA device checks with the aws CLI") {
        return;
    }
    let lab = Lab::on(Target::Sandbox, "guide_federation_mfa")
        .await
        .expect("the sandbox never skips");
    let serve = serve(&lab);
    let plan = plans().join("mfa-session-token.yaml").display().to_string();
    skip_to(&lab, &serve, &plan, "m1", "device", 4);
    // The learner's private folder, where `--outfile` writes the seed.
    let work = lab.files.dir().join("work");
    std::fs::create_dir(&work).unwrap();
    let shell = |body: &str| {
        format!(
            "{}\nexport WORK='{}'\n{body}",
            awslab_runbook::sh::HELPERS,
            work.display()
        )
    };
    ran(&learner(
        &lab,
        &serve,
        &shell(&format!(
            "SERIAL=$(aws iam create-virtual-mfa-device --virtual-mfa-device-name mfa-user-m1 --outfile \"$WORK/device.seed\" --bootstrap-method Base32StringSeed --query VirtualMFADevice.SerialNumber --output text)\n{ENABLE}"
        )),
    ));
    let untagged = check_after(&lab, &serve, &plan, "m1", &shell(""));
    says(
        &untagged,
        1,
        "the virtual MFA device `mfa-user-m1` has no `awslab:run=m1` tag",
    );
    ran(&learner(
        &lab,
        &serve,
        &shell(&format!(
            r#"ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
aws iam deactivate-mfa-device --user-name mfa-user-m1 --serial-number arn:aws:iam::$ACCOUNT:mfa/mfa-user-m1
aws iam delete-virtual-mfa-device --serial-number arn:aws:iam::$ACCOUNT:mfa/mfa-user-m1
SERIAL=$(aws iam create-virtual-mfa-device --virtual-mfa-device-name mfa-user-m1 --outfile "$WORK/device.seed" --bootstrap-method Base32StringSeed --tags Key=awslab:run,Value=m1 --query VirtualMFADevice.SerialNumber --output text)
{ENABLE}"#
        )),
    ));
    // With every log line on: the seed is never logged.
    let adopted = check_after(&lab, &serve, &plan, "m1", &shell("export RUST_LOG=trace"));
    says(
        &adopted,
        0,
        "done: the virtual MFA device `mfa-user-m1` is enabled for `mfa-user-m1` (its seed is kept for awslab's later steps)",
    );
    let seed = std::fs::read_to_string(work.join("device.seed")).unwrap();
    let seed = seed.trim();
    assert!(seed.len() >= 16, "a seed to look for");
    // awslab does the rest, the steps that send a code of the device included.
    let port = serve.port.to_string();
    let mut outputs = vec![adopted];
    for _ in 0..14 {
        let skipped = lab.awslab(&[
            "guide",
            &plan,
            "--run-id",
            "m1",
            "--sandbox-port",
            &port,
            "--skip",
        ]);
        assert_eq!(skipped.status.code(), Some(0), "{}", text(&skipped));
        let done = stdout(&skipped).contains("the lab is complete");
        outputs.push(skipped);
        if done {
            break;
        }
    }
    let last = outputs.last().unwrap();
    assert!(
        stdout(last).contains("the lab is complete"),
        "{}",
        text(last)
    );
    assert!(
        outputs
            .iter()
            .any(|o| stdout(o).contains("done by awslab: `role-with-mfa`")),
        "awslab assumed the role with a code of the learner's device"
    );
    let down = down_leaves_nothing(&lab, serve, "m1");
    for output in outputs.iter().chain([&down]) {
        assert!(!stdout(output).contains(seed), "the seed is never shown");
        assert!(!stderr(output).contains(seed), "the seed is never shown");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_account_auto_then_down_deletes_in_each_account() {
    if !awslab_testkit::aws_cli_installed("guide --auto of a multi-account lab") {
        return;
    }
    let lab = Lab::on(Target::Sandbox, "guide_federation_cross")
        .await
        .expect("the sandbox never skips");
    let serve = serve(&lab);
    let plan = plans().join("cross-account.yaml").display().to_string();
    let port = serve.port.to_string();
    // The first step is in account b: its commands come with how to act as b's operator.
    let untouched = lab.awslab(&[
        "guide",
        &plan,
        "--run-id",
        "x1",
        "--sandbox-port",
        &port,
        "--check",
    ]);
    says(&untouched, 1, "the user `partner-x1` does not exist yet");
    says(&untouched, 1, "sandbox env --account 2");
    says(
        &untouched,
        1,
        "OUT=$(as_identity ACCOUNT_B aws iam create-user",
    );
    let auto = lab.awslab(&[
        "guide",
        &plan,
        "--run-id",
        "x1",
        "--sandbox-port",
        &port,
        "--auto",
    ]);
    assert_eq!(auto.status.code(), Some(0), "{}", text(&auto));
    let out = stdout(&auto);
    assert!(out.contains("claims seen to hold: 3 of 3"), "{out}");
    assert!(!out.contains("skipped"), "no step is left to awslab: {out}");
    let down = down_leaves_nothing(&lab, serve, "x1");
    let receipt = stdout(&down);
    assert!(
        receipt.contains("deleted  iam user partner-x1 in account `b`"),
        "the learner's user is deleted in account b: {receipt}"
    );
    assert!(
        receipt.contains("deleted  iam role partner-access-x1\n"),
        "the role is deleted in account a: {receipt}"
    );
}
