//! The file-level half of [`super`]: reading an AWS CLI file, finding sections with
//! `ini-roundtrip`, taking exactly awslab's section (and separator) out again, atomic
//! replacement through a temporary file named in advance (and removing one a crash
//! left), and the lock file.

use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use super::write::WritePoint;
use super::{FileReceipt, ProfileError, SectionState, io_error};

/// Lines of `text`, each with its line break.
pub(super) fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive('\n')
}

pub(super) fn content(line: &str) -> &str {
    line.trim_end_matches(['\n', '\r'])
}

/// The section name of a header line, with inner whitespace normalized.
pub(super) fn section_name(line: &str) -> Option<String> {
    ini_roundtrip::Parser::new(content(line)).find_map(|item| match item {
        ini_roundtrip::Item::Section { name, .. } => {
            Some(name.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        _ => None,
    })
}

pub(super) fn property_key(line: &str) -> Option<&str> {
    property(line).map(|(key, _)| key)
}

pub(super) fn property(line: &str) -> Option<(&str, &str)> {
    ini_roundtrip::Parser::new(content(line)).find_map(|item| match item {
        ini_roundtrip::Item::Property {
            key,
            val: Some(value),
            ..
        } => Some((key, value.trim())),
        _ => None,
    })
}

/// Where the receipt's section is in `all` (`header..end`), or why it is not ours.
enum Located {
    Absent,
    Changed(String),
    At { header: usize, end: usize },
}

fn locate(all: &[&str], receipt: &FileReceipt) -> Located {
    let Some(header) = all
        .iter()
        .rposition(|line| section_name(line).as_deref() == Some(receipt.section.as_str()))
    else {
        return Located::Absent;
    };
    let end = all[header + 1..]
        .iter()
        .position(|line| section_name(line).is_some())
        .map_or(all.len(), |offset| header + 1 + offset);
    for (key, written) in &receipt.values {
        let found = (header + 1..end).find_map(|index| {
            property(all[index]).and_then(|(k, v)| (k == key.as_str()).then_some(v))
        });
        if found != Some(written.as_str()) {
            return Located::Changed(format!(
                "`{key}` in section `[{}]` is no longer the value awslab wrote; the section is left as it is",
                receipt.section
            ));
        }
    }
    Located::At { header, end }
}

/// Whether the receipt's section is there and still awslab's.
pub(super) fn inspect_section(receipt: &FileReceipt) -> Result<SectionState, ProfileError> {
    let Some(text) = read_existing(&receipt.path)? else {
        return Ok(SectionState::Gone);
    };
    let all: Vec<&str> = lines(&text).collect();
    Ok(match locate(&all, receipt) {
        Located::Absent => SectionState::Gone,
        Located::Changed(reason) => SectionState::Changed(reason),
        Located::At { .. } => SectionState::Ours,
    })
}

pub(super) fn read_existing(path: &Path) -> Result<Option<String>, ProfileError> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| ProfileError::NotUtf8 {
                path: path.to_owned(),
            }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ProfileError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Whether the temporary file the receipt names is there: a regular file (never a
/// link or anything else) at exactly the name journaled.
pub(super) fn leftover_temp(receipt: &FileReceipt) -> Option<&Path> {
    let temp = receipt.temp.as_deref()?;
    fs::symlink_metadata(temp)
        .is_ok_and(|metadata| metadata.file_type().is_file())
        .then_some(temp)
}

/// Removes the temporary file a crash left (see [`leftover_temp`]); says whether
/// there was one.
pub(super) fn remove_leftover_temp(receipt: &FileReceipt) -> Result<bool, ProfileError> {
    let Some(temp) = leftover_temp(receipt) else {
        return Ok(false);
    };
    match fs::remove_file(temp) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(ProfileError::Io {
            path: temp.to_owned(),
            source,
        }),
    }
}

/// Takes the receipt's section out if it is still awslab's; says what it found. A
/// temporary file a crash left goes first.
pub(super) fn remove_section(receipt: &FileReceipt) -> Result<SectionState, ProfileError> {
    remove_leftover_temp(receipt)?;
    let Some(text) = read_existing(&receipt.path)? else {
        tracing::debug!(path = %receipt.path.display(), "profile file already gone");
        return Ok(SectionState::Gone);
    };
    let all: Vec<&str> = lines(&text).collect();
    let (header, end) = match locate(&all, receipt) {
        Located::Absent => {
            tracing::debug!(path = %receipt.path.display(), section = %receipt.section, "profile section already gone");
            return Ok(SectionState::Gone);
        }
        Located::Changed(reason) => return Ok(SectionState::Changed(reason)),
        Located::At { header, end } => (header, end),
    };
    let mut ours = vec![false; all.len()];
    for key in &receipt.keys {
        if let Some(index) = (header + 1..end)
            .find(|&index| !ours[index] && property_key(all[index]) == Some(key.as_str()))
        {
            ours[index] = true;
        }
    }
    let foreign =
        (header + 1..end).any(|index| !ours[index] && !content(all[index]).trim().is_empty());
    let mut before: String = all[..header].concat();
    let body: String = if foreign {
        (header..end)
            .filter(|&index| !ours[index])
            .map(|index| all[index])
            .collect()
    } else {
        // Our separator goes with our section. Blank lines at the end of the section
        // are the separator of whatever was written after it, so they stay.
        if before.ends_with(&receipt.separator) {
            before.truncate(before.len() - receipt.separator.len());
        }
        let last_text = (header + 1..end)
            .rev()
            .find(|&index| !content(all[index]).trim().is_empty())
            .unwrap_or(header);
        all[last_text + 1..end].concat()
    };
    let updated = format!("{before}{body}{}", all[end..].concat());
    if updated.is_empty() && receipt.created_file {
        fs::remove_file(&receipt.path).map_err(io_error(&receipt.path))?;
    } else {
        let target = fs::canonicalize(&receipt.path).unwrap_or_else(|_| receipt.path.clone());
        let mode = fs::metadata(&target).map_or(0o600, |m| m.permissions().mode() & 0o777);
        let temp = receipt
            .temp
            .clone()
            .unwrap_or_else(|| super::write::temp_beside(&target));
        write_atomically(
            &receipt.path,
            &temp,
            updated.as_bytes(),
            mode,
            &mut |_, _| {},
        )?;
    }
    Ok(SectionState::Ours)
}

/// Replaces `path` with `bytes` through the temporary file `temp` (beside the file,
/// named before): created with `mode` in the same `open` that creates it (a leftover
/// regular file of that name is removed first; anything else there is an error),
/// written, synced and renamed over the file. A symbolic link at `path` is followed so
/// that the link itself stays. `observe` sees each point as it is reached.
pub(super) fn write_atomically(
    path: &Path,
    temp: &Path,
    bytes: &[u8],
    mode: u32,
    observe: &mut dyn FnMut(WritePoint, &Path),
) -> Result<(), ProfileError> {
    let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let dir = target
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if fs::symlink_metadata(temp).is_ok_and(|metadata| metadata.file_type().is_file()) {
        fs::remove_file(temp).map_err(io_error(temp))?;
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(temp)
        .map_err(io_error(temp))?;
    // The umask may have narrowed a file that holds no secret of awslab's (a config
    // file's 0644); give it back its mode while it is still empty. `mode` is never
    // wider than 0600 for a file that will hold a secret.
    let actual = file
        .metadata()
        .map_err(io_error(temp))?
        .permissions()
        .mode()
        & 0o777;
    if actual != mode {
        file.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(io_error(temp))?;
    }
    observe(WritePoint::TempCreated, temp);
    file.write_all(bytes).map_err(io_error(temp))?;
    observe(WritePoint::Written, temp);
    file.sync_all().map_err(io_error(temp))?;
    observe(WritePoint::Synced, temp);
    drop(file);
    fs::rename(temp, &target).map_err(io_error(path))?;
    observe(WritePoint::Renamed, temp);
    fs::File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(io_error(path))
}

/// An exclusive lock on the AWS file's lock file (see [`lock_path`]), released on
/// drop. The lock file stays in the temporary folder (deleting it would race another
/// process about to lock it).
pub(super) struct FileLock {
    _file: fs::File,
}

impl FileLock {
    /// Locks `path` through a lock file in the system's temporary folder, named by a
    /// hash of the path, so nothing is left beside the user's own AWS files.
    pub(super) fn acquire(path: &Path) -> Result<Self, ProfileError> {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(io_error(path))?;
        }
        let lock_path = lock_path(path);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(io_error(&lock_path))?;
        file.lock().map_err(io_error(&lock_path))?;
        Ok(Self { _file: file })
    }
}

/// Where the lock for `path` lives: `$TMPDIR/awslab-<fnv1a64 of the absolute path>.lock`.
pub(super) fn lock_path(path: &Path) -> PathBuf {
    let absolute = fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_owned());
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in absolute.as_os_str().as_encoded_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    std::env::temp_dir().join(format!("awslab-{hash:016x}.lock"))
}
