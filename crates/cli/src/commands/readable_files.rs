//! A warning before awslab writes credentials into an AWS CLI file that group or
//! others may read (a credentials file left at mode 0644 stays 0644 when a profile is
//! appended to it): the file is named with the `chmod 600` that fixes it.

use std::path::Path;

use awslab_executor::ProfilePaths;

/// Warns about the credentials and config files, if group or others may read them.
pub fn warn_readable_profile_files(paths: &ProfilePaths) {
    for path in [&paths.credentials, &paths.config] {
        if let Some(warning) = readable_by_others(path) {
            eprintln!("{warning}");
        }
    }
}

/// The warning for `path` if it exists and group or others may read it.
pub fn readable_by_others(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "warning: `{}` is readable by group or others (mode {mode:04o}), and awslab writes credentials into it\n  hint: run `chmod 600 {}`",
                path.display(),
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::readable_by_others;

    #[test]
    fn warns_about_a_file_others_may_read_and_names_the_fix() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("credentials");
        std::fs::write(&path, "[default]\n").unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .unwrap_or_else(|e| panic!("{e}"));
        let warning = readable_by_others(&path).unwrap_or_default();
        assert!(warning.contains("mode 0644"), "{warning}");
        assert!(
            warning.contains(&format!("chmod 600 {}", path.display())),
            "{warning}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(readable_by_others(&path), None);
        assert_eq!(readable_by_others(&dir.path().join("missing")), None);
    }
}
