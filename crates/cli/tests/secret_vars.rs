//! A secret variable (`--secret-var`, or `secret: true` in `vars:`) reaches AWS but
//! no output of awslab: not `plan`, not `up`'s progress and logs (at `-vvv`, and under
//! `RUST_LOG=trace`, where the SDK would log the tags AWS answers), not the journal,
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
  tagged:
    iam.user: { name: \"tagged-${run.id}\", tags: { note: \"${vars.note}\", pin: \"${vars.pin}\" } }
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
