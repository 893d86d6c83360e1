//! `data/services.tsv` matches botocore's models (when botocore is importable): the
//! routes and answers of the services the sandbox does not emulate cannot drift from
//! the models they claim to follow. Under CI=true botocore must be there.

use std::path::Path;
use std::process::Command;

#[test]
fn services_table_matches_botocore() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let has_botocore = Command::new("python3")
        .args(["-c", "import botocore"])
        .status()
        .is_ok_and(|status| status.success());
    if !has_botocore {
        assert!(
            std::env::var_os("CI").is_none_or(|ci| ci != "true"),
            "botocore is not importable under CI=true: install it (pip install botocore)"
        );
        eprintln!(
            "SKIPPED services_table_matches_botocore: python3 with botocore is not installed"
        );
        return;
    }
    let out = Command::new("python3")
        .arg(root.join("scripts/gen-sandbox-services.py"))
        .arg("--check")
        .output()
        .expect("run the generator");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
