//! A secret variable (`--secret-var`, or `secret: true` in `vars:`) reaches AWS but
//! no output of awslab: not `plan`, not `up`'s progress and logs (at `-vvv`, and under
//! `RUST_LOG=trace`, where the SDK would log the trust policy AWS answers; tags may not
//! carry secrets at all, `plan::secret_in_tag`), not the journal,
//! not `status`, not `down`. Runs on moto and on the sandbox; the same run puts an object
//! streamed from a file next to the plan and reads it back.

#![allow(
    clippy::unwrap_used,
    reason = "tests fail loudly; the tests are made by a macro, not #[test] fns"
)]

mod support;

use support::{Lab, text};

const SECRET: &str = "s3cr3t-Value-9f2d41";
const DECLARED: &str = "declared-Secret-77ab";
/// A `--var` override of a variable the plan declares secret.
const OVERRIDE: &str = "override-Secret-55cc";

async fn secret_variables_reach_no_output_and_no_journal(lab: Lab) {
    let plan = lab.files.dir().join("secret.yaml");
    std::fs::write(
        &plan,
        "\
name: secret-vars
vars:
  note: placeholder
  pin: { value: declared-Secret-77ab, secret: true }
steps:
  bucket:
    s3.bucket: { name: \"secret-${run.id}\" }
  trusting:
    iam.role: { name: \"trusting-${run.id}\", trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole, Condition: { StringEquals: { \"sts:ExternalId\": [\"${vars.note}\", \"${vars.pin}\"] } } } } }
  object:
    s3.object: { bucket: \"${bucket.name}\", key: note.txt, body: \"${vars.note} ${vars.pin}\" }
  from-file:
    s3.object: { bucket: \"${bucket.name}\", key: file.txt, file: file.txt }
  read-back:
    verify: { call: s3.GetObject, params: { Bucket: \"${bucket.name}\", Key: \"${from-file.key}\" }, expect: { Body: \"streamed from disk*\" } }
",
    )
    .unwrap();
    std::fs::write(lab.files.dir().join("file.txt"), "streamed from disk\n").unwrap();
    let plan = plan.to_str().unwrap();
    let mut seen = String::new();
    let secret_var = format!("note={SECRET}");
    let pin = format!("pin={OVERRIDE}");
    for args in [
        vec!["plan", plan, "--secret-var", &secret_var],
        vec![
            "-vvv",
            "up",
            plan,
            "--run-id",
            "sv1",
            "--secret-var",
            &secret_var,
            "--var",
            &pin,
        ],
        vec!["status", "sv1"],
        vec!["down", "sv1", "--yes"],
    ] {
        let out = lab.awslab(&args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        seen.push_str(&text(&out));
    }
    let journal = std::fs::read_to_string(lab.state_dir.join("runs/sv1/journal.jsonl")).unwrap();
    // A secret override is not journaled at all; a plain override of a variable
    // declared secret is journaled as `***`.
    assert!(journal.contains("\"vars\":{\"pin\":\"***\"}"), "{journal}");
    for secret in [SECRET, DECLARED, OVERRIDE] {
        assert!(
            !seen.contains(secret),
            "`{secret}` reached an output:\n{seen}"
        );
        assert!(
            !journal.contains(secret),
            "`{secret}` journaled:\n{journal}"
        );
    }
}
on_each_target!(
    secret_variables_reach_no_output_and_no_journal,
    and_under_rust_log_trace
);

/// An external id from a secret variable is in the context of the request a failed
/// verify rests on; `up` explains that request under its table, in the JSON summary,
/// and `status` after: the secret is in none of them.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_verifys_explanation_blanks_a_secret_external_id() {
    let lab = Lab::on(support::Target::Sandbox, "secret_explained")
        .await
        .unwrap();
    let plan = lab.files.dir().join("plan.yaml");
    std::fs::write(
        &plan,
        "\
name: secret-explained
vars:
  external: { value: placeholder, secret: true }
steps:
  user:
    iam.user: { name: \"caller-${run.id}\", access_key: true }
  role:
    iam.role:
      name: \"vendor-${run.id}\"
      trust_policy:
        Version: \"2012-10-17\"
        Statement:
          - Effect: Allow
            Principal: { AWS: \"${user.arn}\" }
            Action: sts:AssumeRole
            Condition: { StringEquals: { \"sts:ExternalId\": \"not-the-one-given\" } }
  may-assume:
    iam.user_policy:
      user: ${user.name}
      name: AssumeVendor
      document: { Version: \"2012-10-17\", Statement: [ { Effect: Allow, Action: sts:AssumeRole, Resource: \"${role.arn}\" } ] }
  assume:
    verify:
      as: user
      call: sts.AssumeRole
      params: { RoleArn: \"${role.arn}\", RoleSessionName: s1, ExternalId: \"${vars.external}\" }
      expect: allow
    needs: [may-assume]
",
    )
    .unwrap();
    let plan = plan.to_str().unwrap();
    let secret = format!("external={SECRET}");
    let mut seen = String::new();
    for (args, code) in [
        (
            vec!["up", plan, "--run-id", "se1", "--secret-var", &secret],
            1,
        ),
        (
            vec![
                "up",
                plan,
                "--run-id",
                "se2",
                "--secret-var",
                &secret,
                "--output",
                "json",
            ],
            1,
        ),
        (vec!["status", "se1"], 0),
        (vec!["down", "se1"], 0),
        (vec!["down", "se2"], 0),
    ] {
        let out = lab.awslab(&args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", text(&out));
        seen.push_str(&text(&out));
    }
    // The explanation was shown, with the key the request had, blanked.
    assert!(
        seen.contains("Why `assume` failed") && seen.contains("context: sts:externalid = "),
        "{seen}"
    );
    assert!(
        !seen.contains(SECRET),
        "the secret reached an output:\n{seen}"
    );
}
