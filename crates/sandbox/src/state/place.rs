//! Putting a database file in place: a new one is built in a private (0600) temporary
//! file beside `sandbox.db` and linked into place only when whole, so no process ever
//! sees it half made; `reset` of a damaged file renames the new one over it, after
//! removing the old file's write-ahead log (which must not be replayed onto the new).

use std::path::{Path, PathBuf};

use super::StoreError;

/// A new, private (0600) temporary file beside `path`, for a database built whole.
pub(super) fn temporary(path: &Path) -> Result<tempfile::NamedTempFile, StoreError> {
    let folder = path.parent().unwrap_or_else(|| Path::new("."));
    tempfile::Builder::new()
        .prefix(".sandbox.db.new-")
        .tempfile_in(folder)
        .map_err(|source| StoreError::Write {
            path: folder.display().to_string(),
            source,
        })
}

/// Puts the finished database `built` at `path` unless a file is there already
/// (another process made one first): returns whether it was put there.
pub(super) fn link(built: &tempfile::NamedTempFile, path: &Path) -> Result<bool, StoreError> {
    match std::fs::hard_link(built.path(), path) {
        Ok(()) => {
            sync_folder(path);
            Ok(true)
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(source) => Err(StoreError::Write {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Puts the finished database `built` at `path` in place of what is there, and removes
/// that file's write-ahead log and index, which must not be replayed onto the new one
/// (`awslab sandbox reset` of a damaged or foreign file).
pub(super) fn replace(built: tempfile::NamedTempFile, path: &Path) -> Result<(), StoreError> {
    let folder_error = |source| StoreError::Write {
        path: path.display().to_string(),
        source,
    };
    for suffix in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(PathBuf::from(name)) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(folder_error(source)),
        }
    }
    built
        .persist(path)
        .map_err(|error| folder_error(error.error))?;
    sync_folder(path);
    Ok(())
}

/// Makes a new name in `path`'s folder durable (best effort: a crash before it only
/// loses a world that was just made).
fn sync_folder(path: &Path) {
    #[cfg(unix)]
    if let Some(folder) = path.parent()
        && let Ok(handle) = std::fs::File::open(folder)
    {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
}

pub(super) fn create_private_folder(path: &Path) -> Result<(), StoreError> {
    let folder_error = |source| StoreError::Folder {
        path: path.display().to_string(),
        source,
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(path).map_err(folder_error)
}
