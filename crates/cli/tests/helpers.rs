//! The helpers a learner needs (issue 20 §3), on the in-process sandbox: `sandbox env
//! --profile` (`endpoint_url`, 0600, other profiles kept byte for byte, a foreign
//! profile refused unless --replace), the warning for a profile holding sandbox keys
//! without `endpoint_url`, `env` on the latest run, `runs --prune`, `up`'s closing
//! line naming `serve`, `--sandbox-dir` (and its old spelling), and the profile test:
//! every profile awslab writes for the sandbox has `endpoint_url`.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use support::{Lab, plans, text};

async fn sandbox_lab(test: &str) -> Lab {
    Lab::on(support::Target::Sandbox, test)
        .await
        .expect("the sandbox never skips")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Writes a file as a person's AWS files are (0600).
fn write_private(path: &Path, text: &str) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The `[profile NAME]` (or `[default]`) sections of a config file with their lines.
fn config_sections(config: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in config.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((name.trim().to_owned(), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut()
            && !line.is_empty()
        {
            lines.push(line.to_owned());
        }
    }
    out
}

fn has_endpoint(lines: &[String]) -> bool {
    lines.iter().any(|l| {
        l.split_once('=').is_some_and(|(k, v)| {
            k.trim() == "endpoint_url" && v.trim().starts_with("http://127.0.0.1:")
        })
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_env_profile_writes_endpoint_0600_and_keeps_other_profiles() {
    let lab = sandbox_lab("sandbox_env_profile").await;
    // Someone's own profiles, in both files, which must stay byte for byte.
    let theirs_credentials = read(&lab.files.credentials);
    let theirs_config = "[profile work]\nregion = eu-west-1  # mine\n";
    write_private(&lab.files.config, theirs_config);

    let out = lab.awslab(&["sandbox", "env", "--profile", "sbx"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = text(&out);
    assert!(!shown.contains(&lab.admin.secret_access_key), "{shown}");
    assert!(shown.contains("awslab sandbox serve"), "{shown}");
    let credentials = read(&lab.files.credentials);
    let config = read(&lab.files.config);
    assert!(
        credentials.starts_with(&theirs_credentials),
        "{credentials}"
    );
    assert!(config.starts_with(theirs_config), "{config}");
    assert!(credentials.contains("[sbx]"), "{credentials}");
    assert!(
        credentials.contains(&lab.admin.access_key_id),
        "{credentials}"
    );
    let sections = config_sections(&config);
    let sbx = sections
        .iter()
        .find(|(name, _)| name == "profile sbx")
        .unwrap();
    assert!(
        sbx.1
            .iter()
            .any(|l| l.replace(' ', "") == "endpoint_url=http://127.0.0.1:4566"),
        "{config}"
    );
    assert_eq!(mode(&lab.files.credentials), 0o600);
    assert_eq!(mode(&lab.files.config), 0o600);
    // No stray file beside the AWS files, and the receipt in the sandbox folder holds no secret.
    let receipt = read(&lab.sandbox_dir().join("profiles/sbx.json"));
    assert!(receipt.contains("sbx"), "{receipt}");
    assert!(!receipt.contains(&lab.admin.secret_access_key), "{receipt}");

    // Its own profile again (another port): replaced, nothing else moves.
    let again = lab.awslab(&["sandbox", "env", "--profile", "sbx", "--port", "4599"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let config = read(&lab.files.config);
    assert!(config.starts_with(theirs_config), "{config}");
    assert!(config.contains("http://127.0.0.1:4599"), "{config}");
    assert!(!config.contains("http://127.0.0.1:4566"), "{config}");
    assert_eq!(config.matches("[profile sbx]").count(), 1, "{config}");
    assert!(read(&lab.files.credentials).starts_with(&theirs_credentials));

    // A profile awslab did not write: refused, nothing written.
    let before = (read(&lab.files.credentials), read(&lab.files.config));
    let refused = lab.awslab(&["sandbox", "env", "--profile", "work"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("--replace"), "{}", text(&refused));
    assert!(
        text(&refused).contains("awslab did not write it"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        before,
        (read(&lab.files.credentials), read(&lab.files.config))
    );
    // ... unless asked: then it is the sandbox's, and the others stay.
    let replaced = lab.awslab(&["sandbox", "env", "--profile", "work", "--replace"]);
    assert_eq!(replaced.status.code(), Some(0), "{}", text(&replaced));
    let config = read(&lab.files.config);
    assert!(!config.contains("eu-west-1"), "{config}");
    assert!(config.contains("[profile sbx]"), "{config}");
    let work = config_sections(&config)
        .into_iter()
        .find(|(name, _)| name == "profile work")
        .unwrap();
    assert!(has_endpoint(&work.1), "{config}");
    assert!(read(&lab.files.credentials).starts_with(&theirs_credentials));

    // Under RUST_LOG=trace too, the secret reaches neither stream.
    let traced = lab
        .command(env!("CARGO_BIN_EXE_awslab"))
        .args(["sandbox", "env", "--profile", "traced"])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert_eq!(traced.status.code(), Some(0), "{}", text(&traced));
    assert!(!text(&traced).contains(&lab.admin.secret_access_key));

    // Without --profile: the exports, as before.
    let exports = lab.awslab(&["sandbox", "env"]);
    assert!(String::from_utf8_lossy(&exports.stdout).contains("export AWS_ENDPOINT_URL="));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_with_sandbox_keys_and_no_endpoint_is_warned_about() {
    let lab = sandbox_lab("profile_warning").await;
    let plan = plans().join("sts-assume-role.yaml");
    // The lab's `[default]` holds the sandbox operator's keys and no endpoint_url.
    let bare = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--profile",
        "default",
        "--run-id",
        "w1",
    ]);
    let shown = text(&bare);
    assert!(
        shown.contains("warning: profile `default` holds keys of the awslab sandbox"),
        "{shown}"
    );
    assert!(shown.contains("endpoint_url"), "{shown}");
    assert!(!shown.contains(&lab.admin.secret_access_key), "{shown}");
    let down = lab.awslab(&["down", "w1", "--yes"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));

    // The profile `sandbox env --profile` writes has endpoint_url: no warning.
    let written = lab.awslab(&["sandbox", "env", "--profile", "sbx"]);
    assert_eq!(written.status.code(), Some(0), "{}", text(&written));
    let up = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--profile",
        "sbx",
        "--run-id",
        "w2",
    ]);
    assert!(!text(&up).contains("warning: profile"), "{}", text(&up));
    let down = lab.awslab(&["down", "w2", "--yes"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert!(lab.inventory().is_empty(), "{:?}", lab.inventory());
}

#[tokio::test(flavor = "multi_thread")]
async fn env_defaults_to_the_latest_run_and_up_names_serve() {
    let lab = sandbox_lab("env_latest").await;
    let plan = plans().join("sts-assume-role.yaml");
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "e1"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let stdout = String::from_utf8_lossy(&up.stdout).into_owned();
    assert!(
        stdout.contains(
            "Profile written: aws sts get-caller-identity --profile assumed   (needs `awslab sandbox serve` running)"
        ),
        "{stdout}"
    );
    let named = lab.awslab(&["env", "e1", "assumed"]);
    let latest = lab.awslab(&["env", "assumed"]);
    assert_eq!(named.status.code(), Some(0), "{}", text(&named));
    assert_eq!(latest.status.code(), Some(0), "{}", text(&latest));
    assert_eq!(named.stdout, latest.stdout);
    assert!(String::from_utf8_lossy(&latest.stdout).contains("export AWS_SESSION_TOKEN="));
    let missing = lab.awslab(&["env", "nosuchstep"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    assert!(
        text(&missing).contains("steps with credentials: user, assumed"),
        "{}",
        text(&missing)
    );
    let down = lab.awslab(&["down", "--yes"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert!(lab.inventory().is_empty(), "{:?}", lab.inventory());
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_prune_forgets_only_runs_with_nothing_left() {
    let lab = sandbox_lab("runs_prune").await;
    let plan = plans().join("sts-assume-role.yaml");
    // One at a time: both write the profile `assumed`.
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "p1"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let down = lab.awslab(&["down", "p1", "--yes"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "p2"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    // A damaged journal is kept.
    let damaged = lab.state_dir.join("runs/p3");
    std::fs::create_dir_all(&damaged).unwrap();
    std::fs::write(damaged.join("journal.jsonl"), "{not json\n").unwrap();

    let prune = lab.awslab(&["runs", "--prune"]);
    let out = text(&prune);
    assert_eq!(prune.status.code(), Some(0), "{out}");
    assert!(out.contains("forgot p1: nothing left"), "{out}");
    assert!(out.contains("kept p2:"), "{out}");
    assert!(out.contains("kept p3: its journal is damaged"), "{out}");
    assert!(out.contains("1 run(s) forgotten, 2 kept."), "{out}");
    assert!(!lab.state_dir.join("runs/p1").exists());
    assert!(lab.state_dir.join("runs/p2").exists());
    assert!(damaged.exists());
    let runs = String::from_utf8_lossy(&lab.awslab(&["runs"]).stdout).into_owned();
    assert!(!runs.contains("p1"), "{runs}");
    // Nothing more to prune: nothing reported as pruned.
    let again = text(&lab.awslab(&["runs", "--prune"]));
    assert!(!again.contains("forgot p"), "{again}");
    assert!(again.contains("0 run(s) forgotten"), "{again}");

    let down = lab.awslab(&["down", "p2", "--yes"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert!(lab.inventory().is_empty(), "{:?}", lab.inventory());
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_dir_is_the_one_name_and_state_dir_still_works_on_sandbox_commands() {
    let lab = sandbox_lab("sandbox_dir_spelling").await;
    let dir = lab.files.dir().join("other-sandbox");
    let dir = dir.to_str().unwrap();
    let new = lab.awslab(&["sandbox", "status", "--sandbox-dir", dir]);
    assert_eq!(new.status.code(), Some(0), "{}", text(&new));
    let old = lab.awslab(&["sandbox", "status", "--state-dir", dir]);
    assert_eq!(old.status.code(), Some(0), "{}", text(&old));
    assert_eq!(new.stdout, old.stdout);
    assert!(Path::new(dir).exists());
    // The old spelling is hidden from help; the new one is shown.
    let help =
        String::from_utf8_lossy(&lab.awslab(&["sandbox", "status", "--help"]).stdout).into_owned();
    assert!(help.contains("--sandbox-dir"), "{help}");
    assert!(!help.contains("--state-dir"), "{help}");
    // `up` says `--state-dir` for the runs and `--sandbox-dir` for the sandbox.
    let up_help = String::from_utf8_lossy(&lab.awslab(&["up", "--help"]).stdout).into_owned();
    assert!(
        up_help.contains("--state-dir") && up_help.contains("--sandbox-dir"),
        "{up_help}"
    );
    // `serve`'s banner names the new spelling.
    let serve_help =
        String::from_utf8_lossy(&lab.awslab(&["sandbox", "env", "--help"]).stdout).into_owned();
    assert!(serve_help.contains("--sandbox-dir"), "{serve_help}");
}

/// The profile test: every profile awslab writes for the sandbox, by `sandbox env
/// --profile` or by an `aws.profile` step of a run on the sandbox (in-process, and
/// through `sandbox serve`), has `endpoint_url`.
#[tokio::test(flavor = "multi_thread")]
async fn every_profile_written_for_the_sandbox_has_endpoint_url() {
    let lab = sandbox_lab("profiles_have_endpoint").await;
    // From nothing: both files are created 0600.
    std::fs::remove_file(&lab.files.credentials).unwrap();
    let _ = std::fs::remove_file(&lab.files.config);
    let written = lab.awslab(&["sandbox", "env", "--profile", "sbx"]);
    assert_eq!(written.status.code(), Some(0), "{}", text(&written));
    assert_eq!(mode(&lab.files.credentials), 0o600);
    assert_eq!(mode(&lab.files.config), 0o600);
    // Through serve: a run on the sandbox's endpoint writes its profile with it too.
    let mut serve = lab
        .command(env!("CARGO_BIN_EXE_awslab"))
        .args(["sandbox", "serve", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut banner = std::io::BufReader::new(serve.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut banner, &mut first).unwrap();
    let url = first.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    std::thread::spawn(move || for _ in std::io::BufRead::lines(banner) {});
    // The operator as a profile on that port, and a run through it.
    let port = url.rsplit(':').next().unwrap().to_owned();
    let written = lab.awslab(&["sandbox", "env", "--profile", "served", "--port", &port]);
    assert_eq!(written.status.code(), Some(0), "{}", text(&written));
    let path = plans().join("sts-assume-role.yaml");
    let mut up = lab.command(env!("CARGO_BIN_EXE_awslab"));
    let up = up
        .args(["up", path.to_str().unwrap(), "--run-id", "served1"])
        .args(["--endpoint-url", &url, "--profile", "served"])
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    let served_config = read(&lab.files.config);
    let down = lab.awslab(&["down", "served1", "--yes"]);
    serve.kill().unwrap();
    serve.wait().unwrap();
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    let assumed = config_sections(&served_config)
        .into_iter()
        .find(|(name, _)| name == "profile assumed")
        .unwrap_or_else(|| panic!("no profile `assumed` through serve:\n{served_config}"));
    assert!(
        assumed
            .1
            .iter()
            .any(|l| l.replace(' ', "") == format!("endpoint_url={url}")),
        "{served_config}"
    );

    let mut runs = Vec::new();
    for (index, plan) in ["sts-assume-role.yaml", "session-token.yaml", "saml.yaml"]
        .into_iter()
        .enumerate()
    {
        let run = format!("pe{index}");
        let path = plans().join(plan);
        let up = lab.awslab(&["up", path.to_str().unwrap(), "--run-id", &run]);
        assert_eq!(up.status.code(), Some(0), "{plan}: {}", text(&up));
        runs.push(run);
    }
    let config = read(&lab.files.config);
    let sections = config_sections(&config);
    // sbx, served and at least one profile per plan.
    assert!(sections.len() >= 5, "{config}");
    for (name, lines) in &sections {
        assert!(
            has_endpoint(lines),
            "profile `{name}` has no endpoint_url:\n{config}"
        );
    }
    for run in runs {
        let down = lab.awslab(&["down", &run, "--yes"]);
        assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    }
    assert!(lab.inventory().is_empty(), "{:?}", lab.inventory());
}

/// Asks the built awslab for completions as fish does (`COMPLETE=fish awslab -- WORDS`):
/// the candidates, one a line (a tab and its help after each).
fn complete(lab: &Lab, words: &[&str]) -> Vec<String> {
    let mut command = lab.command(env!("CARGO_BIN_EXE_awslab"));
    let output = command
        .env("COMPLETE", "fish")
        .arg("--")
        .args(words)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.split('\t').next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn completion_offers_run_ids_and_step_names() {
    let lab = sandbox_lab("completion").await;
    let plan = plans().join("sts-assume-role.yaml");
    for run in ["r1", "r2"] {
        let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", run]);
        assert_eq!(up.status.code(), Some(0), "{}", text(&up));
        let down = lab.awslab(&["down", run, "--yes"]);
        assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    }
    // Left with resources, so `env` has steps with credentials.
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "r3"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));

    let down = complete(&lab, &["awslab", "down", ""]);
    for run in ["r1", "r2", "r3"] {
        assert!(down.contains(&run.to_owned()), "{down:?}");
    }
    assert_eq!(complete(&lab, &["awslab", "status", "r"]).len(), 3);
    assert_eq!(
        complete(&lab, &["awslab", "down", "r2"]),
        vec!["r2".to_owned()]
    );
    let steps = complete(&lab, &["awslab", "env", "r3", ""]);
    assert!(steps.contains(&"assumed".to_owned()), "{steps:?}");
    let first = complete(&lab, &["awslab", "env", "as"]);
    assert_eq!(first, vec!["assumed".to_owned()]);
    // Subcommands still complete.
    assert!(complete(&lab, &["awslab", "do"]).contains(&"down".to_owned()));
    // An empty state folder offers no run (only the flags), and fails nothing.
    let mut command = lab.command(env!("CARGO_BIN_EXE_awslab"));
    let empty = tempfile::tempdir().unwrap();
    let output = command
        .env("COMPLETE", "fish")
        .env("AWSLAB_STATE_DIR", empty.path())
        .args(["--", "awslab", "down", ""])
        .output()
        .unwrap();
    assert!(output.status.success());
    let offered = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        offered.lines().all(|line| line.starts_with('-')),
        "{offered}"
    );

    let down = lab.awslab(&["down", "r3", "--yes"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert!(lab.inventory().is_empty(), "{:?}", lab.inventory());
}
