//! The MFA, session-tag and role-chaining labs (`plans/mfa-session-token.yaml`,
//! `abac-tags.yaml`, `role-chaining.yaml`) pass `up` and leave nothing after `down` on
//! the sandbox; and a virtual MFA device's seed and the TOTP codes awslab computes from
//! it never reach the terminal, logs (`RUST_LOG=trace`, `-vvv`), the JSON events,
//! reports, the journal or any file but the 0600 secrets store.
//!
//! The sandbox only: moto has no `ListMFADeviceTags`, by which teardown proves a device
//! is this run's, so there a device is (rightly) left rather than deleted.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "tests fail loudly; one end-to-end story"
)]

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use support::{Lab, Target, plans, text};

async fn sandbox_lab(test: &str) -> Lab {
    Lab::on(Target::Sandbox, test)
        .await
        .expect("the sandbox never skips")
}

fn up_and_down(lab: &Lab, plan: &str, run: &str, verifications: usize) {
    let path = plans().join(plan);
    let up = lab.awslab(&["up", path.to_str().unwrap(), "--run-id", run]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{plan}: {out}");
    assert!(
        out.contains(&format!(
            "{verifications} of {verifications} verifications passed."
        )),
        "{plan}: {out}"
    );
    assert!(!lab.inventory().is_empty(), "{plan} created nothing?");
    let down = lab.awslab(&["down", run]);
    assert_eq!(down.status.code(), Some(0), "{plan}: {}", text(&down));
    assert!(
        String::from_utf8_lossy(&down.stdout).contains("Nothing is left."),
        "{plan}: {}",
        text(&down)
    );
    assert_eq!(
        lab.inventory(),
        Vec::<String>::new(),
        "{plan} left something behind"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mfa_session_token_lab_passes_and_down_leaves_nothing() {
    let lab = sandbox_lab("mfa_session_token_lab_passes_and_down_leaves_nothing").await;
    up_and_down(&lab, "mfa-session-token.yaml", "mfa1", 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn abac_tags_lab_passes_and_down_leaves_nothing() {
    let lab = sandbox_lab("abac_tags_lab_passes_and_down_leaves_nothing").await;
    up_and_down(&lab, "abac-tags.yaml", "abac1", 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn role_chaining_lab_passes_and_down_leaves_nothing() {
    let lab = sandbox_lab("role_chaining_lab_passes_and_down_leaves_nothing").await;
    up_and_down(&lab, "role-chaining.yaml", "chain1", 3);
}

/// A session tag the trust policy does not allow (`sts:TagSession`) is refused before
/// the run (the sandbox's own refusal is tested in `crates/sandbox/tests/sts_sessions.rs`),
/// and a wrong MFA device (another user's) fails `GetSessionToken` with AWS's message.
#[tokio::test(flavor = "multi_thread")]
async fn session_tags_need_tag_session_and_mfa_needs_the_callers_device() {
    let lab = sandbox_lab("session_tags_need_tag_session_and_mfa_needs_the_callers_device").await;
    let dir = lab.files.dir();
    let plan = dir.join("untrusted-tags.yaml");
    std::fs::write(
        &plan,
        r#"name: untrusted-tags
steps:
  role:
    iam.role:
      name: no-tag-session-${run.id}
      trust_policy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: "arn:aws:iam::${account.id}:root" }
            Action: sts:AssumeRole
  tagged:
    sts.assume_role: { role_arn: "${role.arn}", session_name: tagged, tags: { team: red } }
"#,
    )
    .unwrap();
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "tags1"]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(2), "{out}");
    assert!(out.contains("plan::trust"), "{out}");
    assert!(out.contains("`sts:TagSession`"), "{out}");
    assert!(out.contains("untrusted-tags.yaml:13:5"), "located: {out}");

    let plan = dir.join("other-device.yaml");
    std::fs::write(
        &plan,
        r#"name: other-device
steps:
  ana:
    iam.user: { name: "ana-${run.id}", access_key: true }
  bob:
    iam.user: { name: "bob-${run.id}" }
  bobs-device:
    iam.virtual_mfa_device: { name: "bob-${run.id}", user: "${bob.name}" }
  session:
    sts.get_session_token: { as: ana, mfa: bobs-device }
"#,
    )
    .unwrap();
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "mfa2"]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(1), "{out}");
    assert!(
        out.contains("MultiFactorAuthentication failed"),
        "AWS's message: {out}"
    );
    let down = lab.awslab(&["down", "mfa2"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every file under `dir`, but the secrets store, as text.
fn files_but_secrets(dir: &Path, seen: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_but_secrets(&path, seen);
        } else if path.file_name().is_some_and(|name| name != "secrets.json") {
            seen.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
}

/// Whether `code` stands alone in `text` (not inside a longer run of letters and
/// digits such as a request id).
fn stands_alone(text: &str, code: &str) -> bool {
    text.match_indices(code).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + code.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn mfa_seed_and_codes_never_reach_outputs() {
    let mut lab = sandbox_lab("mfa_seed_and_codes_never_reach_outputs").await;
    lab.rust_log = Some("trace");
    let plan = plans().join("mfa-session-token.yaml");
    let plan = plan.to_str().unwrap();
    let junit = lab.files.dir().join("junit.xml");
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut seen = String::new();
    let record = |seen: &mut String, output: &std::process::Output| {
        seen.push_str(&String::from_utf8_lossy(&output.stdout));
        seen.push_str(&String::from_utf8_lossy(&output.stderr));
    };
    let up = lab.awslab(&[
        "-vvv",
        "up",
        plan,
        "--run-id",
        "seed1",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    record(&mut seen, &up);
    let json = lab.awslab(&["-vv", "up", plan, "--run-id", "seed2", "--output", "json"]);
    assert_eq!(json.status.code(), Some(0), "{}", text(&json));
    record(&mut seen, &json);
    for args in [
        &["status", "seed1"][..],
        &["runs"],
        &["sandbox", "status"],
        &["sandbox", "explain"],
    ] {
        let output = lab.awslab(args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", text(&output));
        record(&mut seen, &output);
    }

    // The seeds are in the secrets stores only, which are 0600.
    let mut seeds = Vec::new();
    for run in ["seed1", "seed2"] {
        let store = lab.state_dir.join("runs").join(run).join("secrets.json");
        assert_eq!(mode(&store), 0o600);
        let store: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&store).unwrap()).unwrap();
        let base32 = store["device"]["base32_seed"].as_str().unwrap().to_owned();
        assert_eq!(base32.len(), 64, "a base32 seed of 40 bytes");
        seeds.push(base32);
    }
    files_but_secrets(&lab.state_dir, &mut seen);
    // The sandbox (the emulated AWS) keeps its devices' seeds in its database only.
    for entry in std::fs::read_dir(lab.sandbox_dir()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("sandbox.db") {
            assert_eq!(mode(&entry.path()), 0o600, "{name}");
        } else {
            seen.push_str(&String::from_utf8_lossy(
                &std::fs::read(entry.path()).unwrap(),
            ));
        }
    }
    seen.push_str(&std::fs::read_to_string(&lab.files.config).unwrap_or_default());
    seen.push_str(&std::fs::read_to_string(&lab.files.credentials).unwrap_or_default());
    seen.push_str(&std::fs::read_to_string(&junit).unwrap());

    for run in ["seed1", "seed2"] {
        let down = lab.awslab(&["-vvv", "down", run]);
        assert_eq!(down.status.code(), Some(0), "{}", text(&down));
        record(&mut seen, &down);
    }
    assert_eq!(lab.inventory(), Vec::<String>::new());

    let finished = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        seen.contains("EnableMFADevice") || seen.contains("GetSessionToken"),
        "the trace shows the calls (else this test proves nothing)"
    );
    for seed in &seeds {
        assert!(
            !seen.contains(seed.as_str()),
            "an MFA seed reached an output"
        );
        let wire = base64_of(seed);
        assert!(
            !seen.contains(&wire),
            "an MFA seed (base64) reached an output"
        );
        // Every code the run could have sent: enabling sends the previous step's.
        let first = started / 30 - 1;
        for step in first..=finished / 30 + 1 {
            let code = awslab_executor::totp::code_for_step(seed, step).unwrap();
            assert!(!stands_alone(&seen, &code), "an MFA code reached an output");
        }
    }
    for field in ["TokenCode", "AuthenticationCode1", "Base32StringSeed"] {
        for (at, _) in seen.match_indices(field) {
            let after: String = seen[at + field.len()..]
                .chars()
                .skip_while(|c| matches!(c, '>' | '=' | ':' | '"' | '\'' | ' ' | '\\'))
                .take(3)
                .collect();
            assert!(
                after.is_empty()
                    || after == "***"
                    || !after.starts_with(|c: char| c.is_ascii_alphanumeric()),
                "`{field}` is followed by a value: {after}"
            );
        }
    }
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
