//! Putting a database file in place: a new one is built in a private (0600) temporary
//! file beside `sandbox.db` and linked into place only when whole, so no process ever
//! sees it half made; `reset` of a damaged file renames the new one over it, after
//! removing the old file's write-ahead log (which must not be replayed onto the new).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::StoreError;

/// How temporary databases are named (`SQLite` adds `-wal` and `-shm` to the name).
const TEMPORARY_PREFIX: &str = ".sandbox.db.new-";

/// A temporary database older than this was left by a process killed while building
/// it (a build takes milliseconds).
const STALE_AFTER: Duration = Duration::from_mins(1);

/// A new, private (0600) temporary file beside `path`, for a database built whole.
pub(super) fn temporary(path: &Path) -> Result<tempfile::NamedTempFile, StoreError> {
    let folder = path.parent().unwrap_or_else(|| Path::new("."));
    tempfile::Builder::new()
        .prefix(TEMPORARY_PREFIX)
        .tempfile_in(folder)
        .map_err(|source| StoreError::Write {
            path: folder.display().to_string(),
            source,
        })
}

/// Writes the finished database `built` to disk, before it is put in place.
pub(super) fn sync(built: &tempfile::NamedTempFile) -> Result<(), StoreError> {
    built
        .as_file()
        .sync_all()
        .map_err(|source| StoreError::Write {
            path: built.path().display().to_string(),
            source,
        })
}

/// Puts the finished database `built` at `path` unless a file is there already
/// (another process made one first): returns whether it was put there.
pub(super) fn link(built: &tempfile::NamedTempFile, path: &Path) -> Result<bool, StoreError> {
    match std::fs::hard_link(built.path(), path) {
        Ok(()) => Ok(true),
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

/// Removes `folder`'s temporary databases older than [`STALE_AFTER`] (best effort):
/// those of builders that were killed, which hold the keys of a world that never was.
pub(super) fn remove_stale(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let stale = entry
            .file_name()
            .to_string_lossy()
            .starts_with(TEMPORARY_PREFIX)
            && entry
                .metadata()
                .and_then(|meta| meta.modified())
                .is_ok_and(|modified| {
                    now.duration_since(modified)
                        .is_ok_and(|age| age > STALE_AFTER)
                });
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
