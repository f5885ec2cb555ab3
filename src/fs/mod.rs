//! The only module that touches the file system; every error carries the path it was about.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // the one module allowed to touch the file system

use std::io;
use std::path::{Path, PathBuf};

mod staged;
pub(crate) use staged::{Staged, sync_all};

/// A file-system operation that failed, with its path.
#[derive(Debug, thiserror::Error)]
#[error("could not {op} `{}`: {source}", path.display())]
pub(crate) struct FsError {
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
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, FsError> {
    ctx("read", path, std::fs::read(path))
}

/// Reads a whole UTF-8 file.
pub(crate) fn read_to_string(path: &Path) -> Result<String, FsError> {
    ctx("read", path, std::fs::read_to_string(path))
}

/// The kind of a directory entry, without following links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
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
pub(crate) fn entry_kind(path: &Path) -> Result<Option<EntryKind>, FsError> {
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

/// Whether `path` is a regular file, or a link to one.
pub(crate) fn is_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Whether `path` is a directory, or a link to one.
pub(crate) fn is_dir(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_dir())
}

/// Reads a whole file and tells whether it has any executable bit (from the open file: one
/// lookup of the path, not two).
pub(crate) fn read_with_mode(path: &Path) -> Result<(Vec<u8>, bool), FsError> {
    use std::io::Read as _;
    let mut file = ctx("read", path, std::fs::File::open(path))?;
    let meta = ctx("inspect", path, file.metadata())?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // Through `Take`: `File`'s own `read_to_end` asks the kernel for its position first.
    ctx("read", path, (&mut file).take(u64::MAX).read_to_end(&mut bytes))?;
    Ok((bytes, mode_is_executable(&meta)))
}

/// Whether a regular file has any executable bit.
pub(crate) fn is_executable(path: &Path) -> Result<bool, FsError> {
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
pub(crate) fn read_link(path: &Path) -> Result<PathBuf, FsError> {
    ctx("read link", path, std::fs::read_link(path))
}

/// The names of the entries of a directory, sorted.
pub(crate) fn list_dir(path: &Path) -> Result<Vec<String>, FsError> {
    let mut names = Vec::new();
    for entry in ctx("list", path, std::fs::read_dir(path))? {
        let entry = ctx("list", path, entry)?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// True when `path` is a directory with no entries.
pub(crate) fn is_empty_dir(path: &Path) -> Result<bool, FsError> {
    Ok(ctx("list", path, std::fs::read_dir(path))?.next().is_none())
}

/// Creates a directory and its parents.
pub(crate) fn create_dir_all(path: &Path) -> Result<(), FsError> {
    ctx("create directory", path, std::fs::create_dir_all(path))
}

/// Removes an empty directory.
pub(crate) fn remove_dir(path: &Path) -> Result<(), FsError> {
    ctx("remove directory", path, std::fs::remove_dir(path))
}

/// Removes a directory tree.
pub(crate) fn remove_dir_all(path: &Path) -> Result<(), FsError> {
    ctx("remove", path, std::fs::remove_dir_all(path))
}

/// Removes a file or a link.
pub(crate) fn remove_file(path: &Path) -> Result<(), FsError> {
    ctx("remove", path, std::fs::remove_file(path))
}

/// Renames a file or directory (replaces a link at `to`, never follows it).
pub(crate) fn rename(from: &Path, to: &Path) -> Result<(), FsError> {
    ctx("move into place", to, std::fs::rename(from, to))
}

/// Writes a new file (in a directory nobody else writes to), created with its mode as git
/// checks files out: 0666 or 0777, less the umask.
pub(crate) fn write_new(path: &Path, bytes: &[u8], executable: bool) -> Result<(), FsError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, if executable { 0o777 } else { 0o666 });
    let mut file = ctx("write", path, options.open(path))?;
    ctx("write", path, file.write_all(bytes))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, then renamed
/// over the target (which replaces a link rather than writing through it). A file that is
/// replaced keeps its permission bits, with the executable bits set (where it is readable) or
/// cleared as `executable` says; a new file gets 0666 or 0777 less the umask, as git gives.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], executable: bool) -> Result<(), FsError> {
    write_with_mode(path, bytes, replaced_mode(path, executable), executable)
}

/// The mode a file written over `path` keeps: the replaced file's permission bits with the
/// executable bits set (where readable) or cleared; `None` for a new file.
fn replaced_mode(path: &Path, executable: bool) -> Option<u32> {
    let existing = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Some(permission_bits(&m)),
        _ => None,
    };
    existing.map(|bits| {
        let plain = bits & !0o111;
        if executable { plain | ((plain & 0o444) >> 2) } else { plain }
    })
}

/// The atomic write itself: `mode` exactly when given, else 0666/0777 less the umask.
fn write_with_mode(path: &Path, bytes: &[u8], mode: Option<u32>, executable: bool) -> Result<(), FsError> {
    let tmp = temp_beside(path, bytes, mode, executable)?;
    ctx("write", path, tmp.as_file().sync_all())?;
    tmp.persist(path).map_err(|e| FsError { op: "write", path: path.to_path_buf(), source: e.error })?;
    Ok(())
}

/// `bytes` in a temporary file beside `path`, with its mode set, not yet synced or in place.
fn temp_beside(
    path: &Path,
    bytes: &[u8],
    mode: Option<u32>,
    executable: bool,
) -> Result<tempfile::NamedTempFile, FsError> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".pave-tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Given at creation, so the kernel applies the umask, as it does for git's checkouts.
        builder.permissions(std::fs::Permissions::from_mode(if executable { 0o777 } else { 0o666 }));
    }
    let mut tmp = ctx("write", path, builder.tempfile_in(dir))?;
    ctx("write", path, tmp.write_all(bytes))?;
    if let Some(mode) = mode {
        set_mode(tmp.path(), mode)?;
    }
    Ok(tmp)
}

#[cfg(unix)]
fn permission_bits(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn permission_bits(_: &std::fs::Metadata) -> u32 {
    0o644
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), FsError> {
    use std::os::unix::fs::PermissionsExt;
    ctx("set the mode of", path, std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<(), FsError> {
    Ok(())
}

/// What stood at a path, exactly, to put it back after a failed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Snapshot {
    /// A regular file: its bytes and permission bits.
    File {
        /// The content.
        bytes: Vec<u8>,
        /// The permission bits (`0o644`...).
        mode: u32,
    },
    /// A symbolic link.
    Symlink {
        /// Where it points.
        target: PathBuf,
    },
}

/// What is at `path` now (`None`: nothing, or a directory or special file, which are never
/// replaced).
pub(crate) fn snapshot(path: &Path) -> Result<Option<Snapshot>, FsError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FsError { op: "inspect", path: path.to_path_buf(), source: e }),
    };
    Ok(if meta.file_type().is_symlink() {
        Some(Snapshot::Symlink { target: read_link(path)? })
    } else if meta.file_type().is_file() {
        Some(Snapshot::File { bytes: read(path)?, mode: permission_bits(&meta) })
    } else {
        None
    })
}

/// Puts a snapshot back at `path`, atomically: the same bytes and mode, or the same link.
pub(crate) fn restore(path: &Path, snapshot: &Snapshot) -> Result<(), FsError> {
    match snapshot {
        Snapshot::File { bytes, mode } => write_with_mode(path, bytes, Some(*mode), mode & 0o111 != 0),
        Snapshot::Symlink { target } => replace_with_symlink(&target.to_string_lossy(), path),
    }
}

/// Replaces whatever is at `path` with a link to `target`, atomically (a link beside it, then
/// renamed over it).
pub(crate) fn replace_with_symlink(target: &str, path: &Path) -> Result<(), FsError> {
    let tmp = path.with_file_name(format!(
        ".pave-link-{}",
        path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    ));
    if entry_kind(&tmp)?.is_some() {
        remove_file(&tmp)?;
    }
    symlink(target, &tmp)?;
    rename(&tmp, path)
}

/// The files named `name` under `root`, sorted, never entering directories named in `skip`
/// (below the root itself) nor following links. Directories are read in parallel on the
/// current rayon pool: a fleet's walk is thousands of small directories, and each costs a few
/// system calls whatever the machine.
pub(crate) fn find_files_named(root: &Path, name: &str, skip: &[&str]) -> Vec<PathBuf> {
    if root.file_name().is_some_and(|n| n == name) && is_file(root) {
        return vec![root.to_path_buf()];
    }
    let mut found = find_in(root, std::ffi::OsStr::new(name), skip);
    // Paths compare component by component: the order of a walk that sorts every directory.
    found.sort();
    found
}

#[cfg(not(unix))]
fn find_in(dir: &Path, name: &std::ffi::OsStr, skip: &[&str]) -> Vec<PathBuf> {
    use rayon::prelude::*;
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found = Vec::new();
    let mut subdirs = Vec::new();
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        let file_name = entry.file_name();
        if kind.is_dir() {
            if !skip.iter().any(|s| file_name == *s) {
                subdirs.push(entry.path());
            }
        } else if kind.is_file() && file_name == name {
            found.push(entry.path());
        }
    }
    found.extend(subdirs.par_iter().flat_map_iter(|d| find_in(d, name, skip)).collect::<Vec<_>>());
    found
}

#[cfg(unix)]
fn find_in(dir: &Path, name: &std::ffi::OsStr, skip: &[&str]) -> Vec<PathBuf> {
    use rustix::fs::{CWD, Mode, OFlags};
    match rustix::fs::openat(CWD, dir, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => find_at(fd, dir, name, skip),
        Err(_) => Vec::new(),
    }
}

/// [`find_in`] for the directory open as `fd` (at `dir`): its subdirectories are opened relative
/// to it, one path component for the kernel to resolve instead of the whole path, and read with
/// `getdents` alone. Entries whose type the file system does not report are `lstat`ed.
#[cfg(unix)]
fn find_at(fd: rustix::fd::OwnedFd, dir: &Path, name: &std::ffi::OsStr, skip: &[&str]) -> Vec<PathBuf> {
    use rayon::prelude::*;
    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use std::os::unix::ffi::OsStrExt as _;
    let Ok(mut entries) = rustix::fs::Dir::new(fd) else { return Vec::new() };
    let mut found = Vec::new();
    let mut subdirs: Vec<std::ffi::CString> = Vec::new();
    while let Some(Ok(entry)) = entries.read() {
        let file_name = entry.file_name();
        let bytes = file_name.to_bytes();
        if bytes == b"." || bytes == b".." {
            continue;
        }
        let kind = match entry.file_type() {
            FileType::Unknown => {
                match entries.fd().and_then(|d| rustix::fs::statat(d, file_name, AtFlags::SYMLINK_NOFOLLOW)) {
                    Ok(stat) => FileType::from_raw_mode(stat.st_mode),
                    Err(_) => continue,
                }
            }
            kind => kind,
        };
        match kind {
            FileType::Directory if !skip.iter().any(|s| s.as_bytes() == bytes) => subdirs.push(file_name.to_owned()),
            FileType::RegularFile if bytes == name.as_bytes() => {
                found.push(dir.join(std::ffi::OsStr::from_bytes(bytes)));
            }
            _ => {}
        }
    }
    let Ok(parent) = entries.fd() else { return found };
    let below = subdirs.par_iter().flat_map_iter(|sub| {
        let path = dir.join(std::ffi::OsStr::from_bytes(sub.to_bytes()));
        // Not followed if it became a link since it was read.
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match rustix::fs::openat(parent, sub.as_c_str(), flags, Mode::empty()) {
            Ok(fd) => find_at(fd, &path, name, skip),
            Err(_) => Vec::new(),
        }
    });
    found.extend(below.collect::<Vec<_>>());
    found
}

/// One entry of a directory tree: its path relative to the root (with `/`), and whether it is
/// a link.
pub(crate) struct TreeEntry {
    /// Relative path.
    pub rel: String,
    /// The full path.
    pub path: PathBuf,
    /// Whether it is a symbolic link (never followed).
    pub is_symlink: bool,
}

/// Every file and link under `dir`, sorted by name, directories left out.
pub(crate) fn walk_files(dir: &Path) -> Result<Vec<TreeEntry>, FsError> {
    let mut out = Vec::new();
    for item in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let item = item.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_path_buf();
            FsError { op: "walk", path, source: e.into() }
        })?;
        if item.depth() == 0 || item.file_type().is_dir() {
            continue;
        }
        // walkdir's paths are `dir` joined with the entry's: the rest after `dir/` is the
        // relative path (`Path::strip_prefix` compares component by component, 3,700
        // instructions an entry).
        let full = item.path().as_os_str().as_encoded_bytes();
        let rest = full.get(dir.as_os_str().as_encoded_bytes().len()..).unwrap_or(full);
        let rest = rest.strip_prefix(std::path::MAIN_SEPARATOR_STR.as_bytes()).unwrap_or(rest);
        let rel = String::from_utf8_lossy(rest).replace('\\', "/");
        out.push(TreeEntry { rel, path: item.path().to_path_buf(), is_symlink: item.path_is_symlink() });
    }
    Ok(out)
}

/// Creates a symbolic link at `path` pointing to `target`.
pub(crate) fn symlink(target: &str, path: &Path) -> Result<(), FsError> {
    #[cfg(unix)]
    let r = std::os::unix::fs::symlink(target, path);
    #[cfg(not(unix))]
    let r: io::Result<()> = Err(io::Error::other(format!("symbolic links are not supported here ({target})")));
    ctx("create link", path, r)
}

/// A temporary directory next to `near`, removed when dropped.
pub(crate) fn staging_dir(near: &Path) -> Result<tempfile::TempDir, FsError> {
    let parent = near.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| Path::new("."));
    ctx("create a staging directory in", parent, tempfile::Builder::new().prefix(".pave-staging-").tempdir_in(parent))
}

/// An exclusive lock on `PATH.lock` beside `path`, held until dropped, and released by the
/// system if the process dies: concurrent runs on one cache wait for each other.
pub fn lock_beside(path: &Path) -> Result<std::fs::File, FsError> {
    let mut name = path.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(".lock");
    let lock = path.with_file_name(name);
    if let Some(parent) = lock.parent() {
        create_dir_all(parent)?;
    }
    let file = ctx("lock", &lock, std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock))?;
    ctx("lock", &lock, file.lock())?;
    Ok(file)
}

/// The canonical form of an existing path.
pub(crate) fn canonicalize(path: &Path) -> Result<PathBuf, FsError> {
    ctx("resolve", path, std::fs::canonicalize(path))
}

/// Refuses a write to `root/rel` when any existing component below `root` is a symlink, so a
/// write can never be redirected outside the destination.
pub(crate) fn check_no_symlink_on_path(root: &Path, rel: &str) -> Result<(), PathBuf> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_files_named_walks_everything_but_skipped_dirs_and_links() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let file = |rel: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        };
        for rel in
            ["a/.pave.toml", "a/b/c/.pave.toml", "z/.pave.toml", "node_modules/m/.pave.toml", "a/target/.pave.toml"]
        {
            file(rel);
        }
        file(".git/.pave.toml");
        file("a/other.toml");
        std::fs::create_dir_all(root.join("d/.pave.toml")).unwrap(); // a directory of that name
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("a"), root.join("linked")).unwrap();
            std::fs::create_dir_all(root.join("z/q")).unwrap();
            std::os::unix::fs::symlink(root.join("a/.pave.toml"), root.join("z/q/.pave.toml")).unwrap();
        }
        let found: Vec<String> = find_files_named(root, ".pave.toml", &[".git", "target", "node_modules"])
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"))
            .collect();
        assert_eq!(found, ["a/.pave.toml", "a/b/c/.pave.toml", "z/.pave.toml"]);
        // The root itself may be the file, and a missing root finds nothing.
        assert_eq!(find_files_named(&root.join("a/.pave.toml"), ".pave.toml", &[]), [root.join("a/.pave.toml")]);
        assert!(find_files_named(&root.join("missing"), ".pave.toml", &[]).is_empty());
    }
}
