//! The checked-in models match botocore's (when botocore is importable): the call table
//! cannot drift from the service models it claims to be.

use std::path::Path;
use std::process::Command;

#[test]
fn models_match_botocore() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let has_botocore = Command::new("python3")
        .args(["-c", "import botocore"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_botocore {
        assert!(
            std::env::var_os("CI").is_none_or(|ci| ci != "true"),
            "botocore is not importable under CI=true: install it (pip install botocore)"
        );
        eprintln!("SKIPPED models_match_botocore: python3 with botocore is not installed");
        return;
    }
    let out = Command::new("python3")
        .arg(root.join("scripts/gen-api-models.py"))
        .arg("--check")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
