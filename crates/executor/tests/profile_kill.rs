//! A profile write stopped at every instant (as a kill would stop it: after the
//! intent, after each file's temporary file is created, written, synced, renamed, and
//! before the result is journaled), then torn down from the receipt the intent holds:
//! no temporary file is left, both AWS files are byte-identical to before (ending with
//! and without a line break, CRLF, empty, absent), no secret of awslab's is anywhere in
//! the folder, and every file that held a secret was never wider than 0600 while it
//! existed. Temp directories only; the real `~/.aws` is never touched.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use awslab_executor::profile_files::{
    ProfilePaths, ProfileSpec, WritePoint, leftover_temps, prepare_profile, remove_profile,
};
use awslab_executor::secrets::{Secret, StepCredentials};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";
/// The person's own secret, in their `[default]` profile.
const THEIRS: &str = "personsOwnSecretKeyEXAMPLE";

/// Starting contents of (credentials, config); `None` is an absent file.
fn variants() -> Vec<(&'static str, Option<String>, Option<String>)> {
    let creds =
        format!("[default]\naws_access_key_id = AKIAPERSON\naws_secret_access_key = {THEIRS}");
    vec![
        (
            "no final line break",
            Some(creds.clone()),
            Some("[default]\nregion = eu-west-1".to_owned()),
        ),
        (
            "final line break",
            Some(format!("{creds}\n")),
            Some("[default]\nregion = eu-west-1\n".to_owned()),
        ),
        (
            "CRLF",
            Some(format!("{}\r\n", creds.replace('\n', "\r\n"))),
            Some("[default]\r\nregion = eu-west-1".to_owned()),
        ),
        ("empty", Some(String::new()), Some(String::new())),
        ("absent", None, None),
    ]
}

/// Where the write stops: `None` runs it to the end (then only the result's journal
/// line is missing); `Some((file, point))` stops at that point of the `file`-th write.
fn stops() -> Vec<Option<(usize, WritePoint)>> {
    let points = [
        WritePoint::TempCreated,
        WritePoint::Written,
        WritePoint::Synced,
        WritePoint::Renamed,
    ];
    let mut stops = vec![None];
    for file in 0..2 {
        stops.extend(points.map(|point| Some((file, point))));
    }
    stops
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, u32)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let metadata = fs::symlink_metadata(entry.path()).unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                fs::read(entry.path()).unwrap(),
                metadata.permissions().mode() & 0o777,
            )
        })
        .collect();
    files.sort();
    files
}

/// Every file in `dir` holding awslab's secret or token (or the person's, now that
/// awslab's has been added to a copy) is no wider than 0600.
fn assert_secret_files_private(dir: &Path, at: &str) {
    for (name, bytes, mode) in snapshot(dir) {
        let text = String::from_utf8_lossy(&bytes);
        if text.contains(SECRET) || text.contains(TOKEN) {
            assert_eq!(
                mode & 0o077,
                0,
                "{at}: `{name}` holds a secret with mode {mode:o}"
            );
        }
    }
}

fn write(dir: &Path, name: &str, contents: Option<&String>, mode: u32) {
    if let Some(contents) = contents {
        let path = dir.join(name);
        fs::write(&path, contents).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
}

#[test]
fn a_profile_write_stopped_at_any_instant_is_torn_down_to_the_exact_bytes() {
    let credentials = StepCredentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: Secret::new(SECRET),
        session_token: Some(Secret::new(TOKEN)),
        expiration: None,
    };
    let mut cases = 0;
    for (variant, creds, config) in variants() {
        for stop in stops() {
            let at = format!("{variant}, stopped at {stop:?}");
            let home = tempfile::tempdir().unwrap();
            let dir = home.path();
            // The person's credentials file as the AWS CLI makes it; a config file
            // readable by all, as people often have it.
            write(dir, "credentials", creds.as_ref(), 0o600);
            write(dir, "config", config.as_ref(), 0o644);
            let before = snapshot(dir);
            let paths = ProfilePaths {
                credentials: dir.join("credentials"),
                config: dir.join("config"),
            };
            let spec = ProfileSpec {
                name: "assumed",
                credentials: &credentials,
                region: "us-east-1",
                endpoint_url: Some("http://127.0.0.1:4566"),
            };
            let prepared = prepare_profile(&paths, &spec).unwrap();
            // What the intent journals, before any byte is written.
            let intent = prepared.receipt().clone();
            let intent_json = serde_json::to_string(&intent).unwrap();
            assert!(!intent_json.contains(SECRET) && !intent_json.contains(TOKEN));
            let mut seen = 0;
            let stopped = catch_unwind(AssertUnwindSafe(|| {
                prepared.commit_observed(|point, temp| {
                    let file = seen / 4;
                    seen += 1;
                    // While it exists, the temporary file is as private as the rules say.
                    if point != WritePoint::Renamed {
                        let mode = fs::metadata(temp).unwrap().permissions().mode() & 0o777;
                        if file == 0 {
                            assert_eq!(
                                mode, 0o600,
                                "{at}: temporary credentials file at {point:?}"
                            );
                        }
                    }
                    assert_secret_files_private(dir, &format!("{at} at {point:?}"));
                    if stop == Some((file, point)) {
                        // Stop here, as a kill would: nothing after this point runs.
                        std::panic::resume_unwind(Box::new(point));
                    }
                })
            }));
            assert_eq!(stopped.is_err(), stop.is_some(), "{at}");
            assert_secret_files_private(dir, &at);

            // `down`, from the intent: the result was never journaled.
            let had_leftovers = !leftover_temps(&intent).is_empty();
            let left_temp = matches!(
                stop,
                Some((
                    _,
                    WritePoint::TempCreated | WritePoint::Written | WritePoint::Synced
                ))
            );
            assert_eq!(had_leftovers, left_temp, "{at}");
            remove_profile(&intent).unwrap();
            assert!(leftover_temps(&intent).is_empty(), "{at}");
            let after = snapshot(dir);
            assert_eq!(
                after.iter().map(|(n, b, _)| (n, b)).collect::<Vec<_>>(),
                before.iter().map(|(n, b, _)| (n, b)).collect::<Vec<_>>(),
                "{at}: the folder is not as it was"
            );
            for (name, bytes, _) in &after {
                let text = String::from_utf8_lossy(bytes);
                assert!(
                    !text.contains(SECRET) && !text.contains(TOKEN),
                    "{at}: `{name}` holds awslab's secret"
                );
            }
            cases += 1;
        }
    }
    assert_eq!(cases, 5 * 9);
}

#[test]
fn a_wider_credentials_file_is_written_through_a_private_temporary_file() {
    let credentials = StepCredentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: Secret::new(SECRET),
        session_token: None,
        expiration: None,
    };
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    write(dir, "credentials", Some(&"[default]\n".to_owned()), 0o644);
    let paths = ProfilePaths {
        credentials: dir.join("credentials"),
        config: dir.join("config"),
    };
    let spec = ProfileSpec {
        name: "assumed",
        credentials: &credentials,
        region: "us-east-1",
        endpoint_url: None,
    };
    let mut modes = Vec::new();
    prepare_profile(&paths, &spec)
        .unwrap()
        .commit_observed(|point, temp| {
            if point == WritePoint::Written {
                modes.push(fs::metadata(temp).unwrap().permissions().mode() & 0o777);
            }
        })
        .unwrap();
    assert_eq!(modes[0], 0o600);
    let mode = fs::metadata(&paths.credentials)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(
        mode, 0o600,
        "a file holding awslab's secret is never wider than 0600"
    );
}

#[test]
fn teardown_leaves_a_link_or_folder_at_the_temporary_name_alone() {
    let credentials = StepCredentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: Secret::new(SECRET),
        session_token: None,
        expiration: None,
    };
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let paths = ProfilePaths {
        credentials: dir.join("credentials"),
        config: dir.join("config"),
    };
    let spec = ProfileSpec {
        name: "assumed",
        credentials: &credentials,
        region: "us-east-1",
        endpoint_url: None,
    };
    let intent = prepare_profile(&paths, &spec).unwrap().receipt().clone();
    let victim = dir.join("victim");
    fs::write(&victim, "keep me").unwrap();
    let temp = intent.files[0].temp.clone().unwrap();
    std::os::unix::fs::symlink(&victim, &temp).unwrap();
    assert!(leftover_temps(&intent).is_empty());
    remove_profile(&intent).unwrap();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(fs::symlink_metadata(&temp).is_ok());
}
