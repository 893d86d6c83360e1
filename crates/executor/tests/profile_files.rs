//! AWS CLI profile files: write then remove leaves every other byte as it was, an
//! existing profile is never overwritten, new files are private, receipts hold no
//! secrets. Temp directories only; the real `~/.aws` is never touched.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use awslab_executor::profile_files::{
    ProfileError, ProfilePaths, ProfileSpec, SectionState, inspect_profile, planned_receipt,
    remove_profile, write_profile,
};
use awslab_executor::secrets::{Secret, StepCredentials};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";

fn credentials() -> StepCredentials {
    StepCredentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: Secret::new(SECRET),
        session_token: Some(Secret::new(TOKEN)),
        expiration: None,
    }
}

fn paths(dir: &Path) -> ProfilePaths {
    ProfilePaths {
        credentials: dir.join("aws").join("credentials"),
        config: dir.join("aws").join("config"),
    }
}

fn spec<'a>(name: &'a str, credentials: &'a StepCredentials) -> ProfileSpec<'a> {
    ProfileSpec {
        name,
        credentials,
        region: "us-east-1",
        endpoint_url: Some("http://127.0.0.1:4566"),
    }
}

#[test]
fn write_then_remove_leaves_existing_files_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let paths = paths(dir.path());
    fs::create_dir_all(paths.credentials.parent().unwrap()).unwrap();
    let credentials_before = "# my keys\n[default]\naws_access_key_id = AKIAOLD\naws_secret_access_key = old\n\n; work\n[work]\naws_access_key_id=AKIAWORK";
    let config_before = "[default]\nregion = eu-west-1\n\n\n# comment at the end\n[profile work]\nregion = us-west-2\ns3 =\n  addressing_style = path";
    fs::write(&paths.credentials, credentials_before).unwrap();
    fs::write(&paths.config, config_before).unwrap();
    fs::set_permissions(&paths.config, fs::Permissions::from_mode(0o644)).unwrap();

    let creds = credentials();
    let receipt = write_profile(&paths, &spec("assumed", &creds)).unwrap();
    let credentials_after = fs::read_to_string(&paths.credentials).unwrap();
    let config_after = fs::read_to_string(&paths.config).unwrap();
    assert!(credentials_after.starts_with(credentials_before));
    assert!(credentials_after.ends_with(&format!(
        "\n\n[assumed]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
    )));
    assert!(config_after.ends_with(
        "[profile assumed]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:4566\n"
    ));
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(&paths.config),
        0o644,
        "an existing file keeps its mode"
    );

    remove_profile(&receipt).unwrap();
    assert_eq!(
        fs::read_to_string(&paths.credentials).unwrap(),
        credentials_before
    );
    assert_eq!(fs::read_to_string(&paths.config).unwrap(), config_before);
}

#[test]
fn write_then_remove_keeps_crlf_files_and_trailing_newlines_identical() {
    let dir = tempfile::tempdir().unwrap();
    let paths = paths(dir.path());
    fs::create_dir_all(paths.credentials.parent().unwrap()).unwrap();
    let credentials_before = "[default]\r\naws_access_key_id = AKIAOLD\r\n";
    let config_before = "[default]\nregion = eu-west-1\n\n";
    fs::write(&paths.credentials, credentials_before).unwrap();
    fs::write(&paths.config, config_before).unwrap();
    let creds = credentials();
    let receipt = write_profile(&paths, &spec("assumed", &creds)).unwrap();
    assert!(
        fs::read_to_string(&paths.credentials)
            .unwrap()
            .contains("\r\n\r\n[assumed]\r\n")
    );
    remove_profile(&receipt).unwrap();
    assert_eq!(
        fs::read_to_string(&paths.credentials).unwrap(),
        credentials_before
    );
    assert_eq!(fs::read_to_string(&paths.config).unwrap(), config_before);
}

#[test]
fn refuses_a_profile_that_already_exists_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let paths = paths(dir.path());
    fs::create_dir_all(paths.config.parent().unwrap()).unwrap();
    let config_before = "[profile  assumed ]\nregion = eu-west-1\n";
    fs::write(&paths.config, config_before).unwrap();
    let creds = credentials();
    let error = write_profile(&paths, &spec("assumed", &creds)).unwrap_err();
    assert!(
        matches!(error, ProfileError::AlreadyExists { ref section, .. } if section == "profile assumed"),
        "{error}"
    );
    assert!(
        !paths.credentials.exists(),
        "the credentials file must not be created"
    );
    assert_eq!(fs::read_to_string(&paths.config).unwrap(), config_before);
}

#[test]
fn refuses_default_profile_when_config_has_default_section() {
    let dir = tempfile::tempdir().unwrap();
    let paths = paths(dir.path());
    fs::create_dir_all(paths.config.parent().unwrap()).unwrap();
    fs::write(&paths.config, "[default]\nregion = eu-west-1\n").unwrap();
    let creds = credentials();
    let error = write_profile(&paths, &spec("default", &creds)).unwrap_err();
    assert!(
        matches!(error, ProfileError::AlreadyExists { .. }),
        "{error}"
    );
}

#[test]
fn creates_new_files_with_mode_0600_and_deletes_them_on_remove() {
    let dir = tempfile::tempdir().unwrap();
    let paths = paths(dir.path());
    let creds = credentials();
    let receipt = write_profile(&paths, &spec("default", &creds)).unwrap();
    for path in [&paths.credentials, &paths.config] {
        assert_eq!(
            fs::metadata(path).unwrap().permissions().mode() & 0o777,
            0o600,
            "{}",
            path.display()
        );
    }
    assert_eq!(
        fs::read_to_string(&paths.config).unwrap(),
        "[default]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:4566\n"
    );
    remove_profile(&receipt).unwrap();
    assert!(!paths.credentials.exists());
    assert!(!paths.config.exists());
}

#[test]
fn remove_keeps_keys_someone_else_added_to_the_section() {
    let dir = tempfile::tempdir().unwrap();
    let paths = paths(dir.path());
    let creds = credentials();
    let receipt = write_profile(&paths, &spec("assumed", &creds)).unwrap();
    let config = fs::read_to_string(&paths.config).unwrap();
    fs::write(&paths.config, format!("{config}output = json\n")).unwrap();
    remove_profile(&receipt).unwrap();
    assert_eq!(
        fs::read_to_string(&paths.config).unwrap(),
        "[profile assumed]\noutput = json\n"
    );
    remove_profile(&receipt).unwrap();
}

#[test]
fn receipt_holds_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let paths = paths(dir.path());
    let creds = credentials();
    let receipt = write_profile(&paths, &spec("assumed", &creds)).unwrap();
    let json = serde_json::to_string(&receipt).unwrap();
    assert!(!json.contains(SECRET) && !json.contains(TOKEN), "{json}");
    assert!(json.contains("aws_session_token"));
    let debug = format!("{receipt:?}");
    assert!(!debug.contains(SECRET) && !debug.contains(TOKEN));
}

#[test]
fn rejects_profile_names_that_would_break_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let creds = credentials();
    for name in ["", "a b", "x]y", "[z"] {
        let error = write_profile(&paths(dir.path()), &spec(name, &creds)).unwrap_err();
        assert!(
            matches!(error, ProfileError::InvalidName { .. }),
            "{name}: {error}"
        );
    }
}

#[test]
fn paths_follow_the_aws_cli_environment_variables() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        }
    };
    let explicit = ProfilePaths::from_vars(vars(&[
        ("AWS_SHARED_CREDENTIALS_FILE", "/tmp/c"),
        ("AWS_CONFIG_FILE", "/tmp/k"),
    ]))
    .unwrap();
    assert_eq!(
        explicit,
        ProfilePaths {
            credentials: "/tmp/c".into(),
            config: "/tmp/k".into()
        }
    );
    let home = ProfilePaths::from_vars(vars(&[("HOME", "/home/u")])).unwrap();
    assert_eq!(
        home,
        ProfilePaths {
            credentials: "/home/u/.aws/credentials".into(),
            config: "/home/u/.aws/config".into()
        }
    );
    assert!(matches!(
        ProfilePaths::from_vars(vars(&[])),
        Err(ProfileError::HomeNotSet)
    ));
}

#[test]
fn two_profiles_removed_in_either_order_leave_files_byte_identical() {
    for first_removed in [0, 1] {
        let dir = tempfile::tempdir().unwrap();
        let paths = paths(dir.path());
        fs::create_dir_all(paths.credentials.parent().unwrap()).unwrap();
        let credentials_before =
            "# keys\n[default]\naws_access_key_id = AKIAOLD\naws_secret_access_key = old";
        let config_before = "[default]\nregion = eu-west-1\n";
        fs::write(&paths.credentials, credentials_before).unwrap();
        fs::write(&paths.config, config_before).unwrap();
        let creds = credentials();
        let receipts = [
            write_profile(&paths, &spec("first", &creds)).unwrap(),
            write_profile(&paths, &spec("second", &creds)).unwrap(),
        ];
        remove_profile(&receipts[first_removed]).unwrap();
        let left = fs::read_to_string(&paths.credentials).unwrap();
        let other = if first_removed == 0 {
            "[second]"
        } else {
            "[first]"
        };
        assert!(
            left.contains(other) && left.starts_with(credentials_before),
            "{left:?}"
        );
        remove_profile(&receipts[1 - first_removed]).unwrap();
        assert_eq!(
            fs::read_to_string(&paths.credentials).unwrap(),
            credentials_before,
            "removed {first_removed} first"
        );
        assert_eq!(
            fs::read_to_string(&paths.config).unwrap(),
            config_before,
            "removed {first_removed} first"
        );
    }
}

#[test]
fn leaves_no_lock_file_beside_the_aws_files() {
    let dir = tempfile::tempdir().unwrap();
    let paths = paths(dir.path());
    let creds = credentials();
    let receipt = write_profile(&paths, &spec("assumed", &creds)).unwrap();
    remove_profile(&receipt).unwrap();
    let aws_dir = paths.credentials.parent().unwrap();
    let left: Vec<_> = fs::read_dir(aws_dir)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left beside the AWS files: {left:?}");
}

#[test]
fn refuses_one_file_for_both_credentials_and_config() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("aws");
    let paths = ProfilePaths {
        credentials: file.clone(),
        config: file,
    };
    let creds = credentials();
    let error = write_profile(&paths, &spec("assumed", &creds)).unwrap_err();
    assert!(error.to_string().contains("both name"), "{error}");
}

/// `aws configure --profile assumed` with a person's own keys after `up`: the section
/// is theirs now, and teardown leaves it whole.
#[test]
fn remove_leaves_a_profile_a_person_rewrote() {
    let dir = tempfile::tempdir().unwrap();
    let paths = paths(dir.path());
    let creds = credentials();
    let receipt = write_profile(&paths, &spec("assumed", &creds)).unwrap();
    let mine = "[assumed]\naws_access_key_id = AKIAMINE\naws_secret_access_key = mine\n";
    fs::write(&paths.credentials, mine).unwrap();
    let states = remove_profile(&receipt).unwrap();
    assert!(
        matches!(&states[0], (path, SectionState::Changed(_)) if path == &paths.credentials),
        "{states:?}"
    );
    assert_eq!(
        states[1].1,
        SectionState::Ours,
        "the config section was untouched"
    );
    assert_eq!(fs::read_to_string(&paths.credentials).unwrap(), mine);
    assert!(
        !fs::read_to_string(&paths.config)
            .unwrap_or_default()
            .contains("[profile assumed]")
    );
}

/// A crash after the intent (the planned receipt) and before any byte: nothing is
/// there, and removing reports nothing removed.
#[test]
fn planned_receipt_of_a_profile_never_written_finds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let paths = paths(dir.path());
    let creds = credentials();
    let planned = planned_receipt(&paths, &spec("assumed", &creds)).unwrap();
    let text = serde_json::to_string(&planned).unwrap();
    assert!(!text.contains(SECRET) && !text.contains(TOKEN), "{text}");
    assert!(
        text.contains("ASIAEXAMPLE"),
        "the intent names the key id: {text}"
    );
    assert!(
        inspect_profile(&planned)
            .unwrap()
            .iter()
            .all(|(_, state)| *state == SectionState::Gone)
    );
    assert!(
        remove_profile(&planned)
            .unwrap()
            .iter()
            .all(|(_, state)| *state == SectionState::Gone)
    );
}

/// A crash after the intent and after the write: the planned receipt alone removes
/// exactly what was written.
#[test]
fn planned_receipt_removes_a_profile_written_before_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let paths = paths(dir.path());
    fs::create_dir_all(paths.credentials.parent().unwrap()).unwrap();
    fs::write(
        &paths.credentials,
        "[default]\naws_access_key_id = AKIAOLD\n",
    )
    .unwrap();
    let creds = credentials();
    let planned = planned_receipt(&paths, &spec("assumed", &creds)).unwrap();
    write_profile(&paths, &spec("assumed", &creds)).unwrap();
    let states = remove_profile(&planned).unwrap();
    assert!(
        states.iter().all(|(_, state)| *state == SectionState::Ours),
        "{states:?}"
    );
    let left = fs::read_to_string(&paths.credentials).unwrap();
    assert!(
        left.starts_with("[default]\naws_access_key_id = AKIAOLD\n"),
        "{left}"
    );
    assert!(
        !left.contains("[assumed]") && !left.contains(SECRET),
        "{left}"
    );
}
