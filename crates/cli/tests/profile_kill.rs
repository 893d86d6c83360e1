//! `awslab down` after a kill in the middle of a profile write, on the sandbox: the
//! run's journal holds the profile's intent only (as a kill before the result leaves
//! it), the temporary file named in the intent is there holding the credentials, and
//! the AWS files are as they were or already hold the section. `down` removes the
//! temporary file, restores both files to the exact bytes, and says so; nothing of
//! awslab's secrets stays anywhere beside them. (Every instant of the write itself is
//! covered in the executor's `profile_kill` test.)
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::PathBuf;

use support::{Lab, Target, text};

const PLAN: &str = r#"
name: profile-kill
steps:
  user: { iam.user: { name: "pk-${run.id}", access_key: true } }
  profile: { aws.profile: { name: "pk-${run.id}", credentials: user } }
"#;

/// The journal lines of `run_id`, and the path of the credentials file's temporary
/// file named in the profile's intent.
fn intent_temp(lab: &Lab, run_id: &str) -> (PathBuf, Vec<String>) {
    let journal = lab
        .state_dir
        .join("runs")
        .join(run_id)
        .join("journal.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let intent = lines
        .iter()
        .find(|l| l.contains(r#""event":"intent""#) && l.contains(r#""type":"aws_profile""#))
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(intent).unwrap();
    let temp = json["record"]["resource"]["receipt"]["files"][0]["temp"]
        .as_str()
        .unwrap();
    (PathBuf::from(temp), lines)
}

#[tokio::test(flavor = "multi_thread")]
async fn down_after_a_kill_mid_profile_write_removes_the_temporary_file_and_restores_the_bytes() {
    let lab = Lab::on(Target::Sandbox, "profile_kill").await.unwrap();
    let plan = lab.files.dir().join("profile-kill.yaml");
    std::fs::write(&plan, PLAN).unwrap();
    // Two kills: before the rename (files untouched) and after the credentials file's
    // rename (its section is in; the config file untouched).
    for (run_id, renamed) in [("pk1", false), ("pk2", true)] {
        let credentials_before = std::fs::read(&lab.files.credentials).unwrap();
        let config_before = std::fs::read(&lab.files.config).unwrap();
        let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", run_id]);
        assert_eq!(up.status.code(), Some(0), "{}", text(&up));
        let written = std::fs::read(&lab.files.credentials).unwrap();
        let secret_line = String::from_utf8_lossy(&written)
            .lines()
            .rev()
            .find(|l| l.starts_with("aws_secret_access_key"))
            .unwrap()
            .to_owned();

        // Put the files back as the kill found them, and the journal as it left it.
        let (temp, lines) = intent_temp(&lab, run_id);
        let journal = lab
            .state_dir
            .join("runs")
            .join(run_id)
            .join("journal.jsonl");
        let mut kept = lines
            .iter()
            .take_while(|l| !(l.contains(r#""event":"created""#) && l.contains("aws_profile")))
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n");
        kept.push('\n');
        std::fs::write(&journal, kept).unwrap();
        if !renamed {
            std::fs::write(&lab.files.credentials, &credentials_before).unwrap();
        }
        std::fs::write(&lab.files.config, &config_before).unwrap();
        let mut leftover = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .unwrap();
        std::io::Write::write_all(&mut leftover, &written).unwrap();
        drop(leftover);

        let down = lab.awslab(&["down", run_id]);
        let out = text(&down);
        assert_eq!(down.status.code(), Some(0), "{out}");
        assert!(
            out.contains(&format!("deleted  aws profile pk-{run_id}")),
            "{out}"
        );
        assert!(out.contains("Nothing is left."), "{out}");
        assert!(
            !temp.exists(),
            "{run_id}: the temporary file is still there"
        );
        assert_eq!(
            std::fs::read(&lab.files.credentials).unwrap(),
            credentials_before,
            "{run_id}"
        );
        assert_eq!(
            std::fs::read(&lab.files.config).unwrap(),
            config_before,
            "{run_id}"
        );
        for entry in std::fs::read_dir(lab.files.credentials.parent().unwrap()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(&secret_line),
                    "{run_id}: `{}` holds the run's secret",
                    path.display()
                );
            }
        }
        let mode = std::fs::metadata(&lab.files.credentials)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{run_id}: credentials file mode {mode:o}");
    }
}
