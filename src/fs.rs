//! The only module that touches the file system; every error carries the path it was about.
#![allow(clippy::disallowed_methods)] // the one module allowed to call std::fs

use std::io;
use std::path::{Path, PathBuf};

/// A file-system operation that failed, with its path.
#[derive(Debug, thiserror::Error)]
#[error("could not {op} `{}`: {source}", path.display())]
pub struct FsError {
    /// What we were doing: "read", "write", "create directory", ...
    pub op: &'static str,
    /// The path it was about.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: io::Error,
}

fn ctx<T>(op: &'static str, path: &Path, r: io::Result<T>) -> Result<T, FsError> {
    r.map_err(|source| FsError { op, path: path.to_path_buf(), source })
}

/// Reads a whole file.
pub fn read(path: &Path) -> Result<Vec<u8>, FsError> {
    ctx("read", path, std::fs::read(path))
}

/// Reads a whole UTF-8 file.
pub fn read_to_string(path: &Path) -> Result<String, FsError> {
    ctx("read", path, std::fs::read_to_string(path))
}

/// The kind of a directory entry, without following links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// Anything else (socket, fifo, device).
    Other,
}

/// What `lstat` says about a path, or `None` when nothing is there.
pub fn entry_kind(path: &Path) -> Result<Option<EntryKind>, FsError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) => {
            let t = m.file_type();
            Ok(Some(if t.is_symlink() {
                EntryKind::Symlink
            } else if t.is_dir() {
                EntryKind::Dir
            } else if t.is_file() {
                EntryKind::File
            } else {
                EntryKind::Other
            }))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FsError { op: "inspect", path: path.to_path_buf(), source: e }),
    }
}

/// Whether a regular file has any executable bit.
pub fn is_executable(path: &Path) -> Result<bool, FsError> {
    let meta = ctx("inspect", path, std::fs::symlink_metadata(path))?;
    Ok(mode_is_executable(&meta))
}

#[cfg(unix)]
fn mode_is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn mode_is_executable(_: &std::fs::Metadata) -> bool {
    false
}

/// The target of a symbolic link.
pub fn read_link(path: &Path) -> Result<PathBuf, FsError> {
    ctx("read link", path, std::fs::read_link(path))
}

/// The names of the entries of a directory, sorted.
pub fn list_dir(path: &Path) -> Result<Vec<String>, FsError> {
    let mut names = Vec::new();
    for entry in ctx("list", path, std::fs::read_dir(path))? {
        let entry = ctx("list", path, entry)?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// True when `path` is a directory with no entries.
pub fn is_empty_dir(path: &Path) -> Result<bool, FsError> {
    Ok(ctx("list", path, std::fs::read_dir(path))?.next().is_none())
}

/// Creates a directory and its parents.
pub fn create_dir_all(path: &Path) -> Result<(), FsError> {
    ctx("create directory", path, std::fs::create_dir_all(path))
}

/// Removes an empty directory.
pub fn remove_dir(path: &Path) -> Result<(), FsError> {
    ctx("remove directory", path, std::fs::remove_dir(path))
}

/// Removes a directory tree.
pub fn remove_dir_all(path: &Path) -> Result<(), FsError> {
    ctx("remove", path, std::fs::remove_dir_all(path))
}

/// Removes a file or a link.
pub fn remove_file(path: &Path) -> Result<(), FsError> {
    ctx("remove", path, std::fs::remove_file(path))
}

/// Renames a file or directory (replaces a link at `to`, never follows it).
pub fn rename(from: &Path, to: &Path) -> Result<(), FsError> {
    ctx("move into place", to, std::fs::rename(from, to))
}

/// Writes a new file (in a directory nobody else writes to), created with its mode as git
/// checks files out: 0666 or 0777, less the umask.
pub fn write_new(path: &Path, bytes: &[u8], executable: bool) -> Result<(), FsError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, if executable { 0o777 } else { 0o666 });
    let mut file = ctx("write", path, options.open(path))?;
    ctx("write", path, file.write_all(bytes))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, its mode set, then
/// renamed over the target (which replaces a link rather than writing through it).
pub fn write_atomic(path: &Path, bytes: &[u8], executable: bool) -> Result<(), FsError> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut tmp = ctx("write", path, tempfile::Builder::new().prefix(".pave-tmp").tempfile_in(dir))?;
    ctx("write", path, tmp.write_all(bytes))?;
    ctx("write", path, tmp.as_file().sync_all())?;
    set_executable(tmp.path(), executable)?;
    tmp.persist(path).map_err(|e| FsError { op: "write", path: path.to_path_buf(), source: e.error })?;
    Ok(())
}

#[cfg(unix)]
fn set_executable(path: &Path, executable: bool) -> Result<(), FsError> {
    use std::os::unix::fs::PermissionsExt;
    // Respect the usual umask-like defaults: 0644 or 0755.
    let mode = if executable { 0o755 } else { 0o644 };
    ctx("set the mode of", path, std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)))
}

#[cfg(not(unix))]
fn set_executable(_: &Path, _: bool) -> Result<(), FsError> {
    Ok(())
}

/// Creates a symbolic link at `path` pointing to `target`.
pub fn symlink(target: &str, path: &Path) -> Result<(), FsError> {
    #[cfg(unix)]
    let r = std::os::unix::fs::symlink(target, path);
    #[cfg(not(unix))]
    let r: io::Result<()> = Err(io::Error::other(format!("symbolic links are not supported here ({target})")));
    ctx("create link", path, r)
}

/// A temporary directory next to `near`, removed when dropped.
pub fn staging_dir(near: &Path) -> Result<tempfile::TempDir, FsError> {
    let parent = near.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| Path::new("."));
    ctx("create a staging directory in", parent, tempfile::Builder::new().prefix(".pave-staging-").tempdir_in(parent))
}

/// The canonical form of an existing path.
pub fn canonicalize(path: &Path) -> Result<PathBuf, FsError> {
    ctx("resolve", path, std::fs::canonicalize(path))
}

/// Refuses a write to `root/rel` when any existing component below `root` is a symlink, so a
/// write can never be redirected outside the destination.
pub fn check_no_symlink_on_path(root: &Path, rel: &str) -> Result<(), PathBuf> {
    let mut cur = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        cur.push(part);
        match std::fs::symlink_metadata(&cur) {
            // The final component may be a link we replace with rename; its parents may not.
            Ok(m) if m.file_type().is_symlink() && i + 1 < parts.len() => return Err(cur),
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}
