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

/// `lstat` of a path that must be there: what git records of a file in its index.
pub(crate) fn lstat(path: &Path) -> Result<std::fs::Metadata, FsError> {
    ctx("inspect", path, std::fs::symlink_metadata(path))
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

/// [`write_atomic`] for a page pave generates on request (`--html`, `catalog publish`): when `path` is a
/// regular file holding exactly `bytes` already, nothing is written. Returns whether it wrote.
pub(crate) fn write_output(path: &Path, bytes: &[u8]) -> Result<bool, FsError> {
    let same = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() && m.len() == bytes.len() as u64 => std::fs::read(path).is_ok_and(|old| old == bytes),
        _ => false,
    };
    if same {
        return Ok(false);
    }
    write_atomic(path, bytes, false)?;
    Ok(true)
}

/// Writes `bytes` to `path` in place (written over from the start, then cut to their length;
/// never through a link), not synced: for a cache whose reader ignores what it cannot parse,
/// rewritten so often that a new file each time (a temporary file renamed over it) or a
/// truncation to nothing (after which ext4 writes the file back at once) would cost more than the
/// cache saves. A reader at the same moment, or after a crash, finds the old bytes, the new ones,
/// the new ones followed by the end of the old, or a partial file; never another file's bytes.
pub(crate) fn write_cache(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    #[cfg(unix)]
    {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = ctx("write", path, rustix::fs::open(path, flags, Mode::from_raw_mode(0o666)).map_err(Into::into))?;
        let file = std::fs::File::from(fd);
        ctx("write", path, std::os::unix::fs::FileExt::write_all_at(&file, bytes, 0))?;
        ctx("write", path, file.set_len(bytes.len() as u64))
    }
    #[cfg(not(unix))]
    {
        let tmp = temp_beside(path, bytes, None, false)?;
        tmp.persist(path).map_err(|e| FsError { op: "write", path: path.to_path_buf(), source: e.error })?;
        Ok(())
    }
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
/// (below the root itself) nor following links. The root's subdirectories are walked in
/// parallel on the current rayon pool (a fleet's root holds one repository each), and each of
/// them depth first on one thread: a fleet's walk is thousands of small directories, and a task
/// for each cost more than reading it.
pub(crate) fn find_files_named(root: &Path, name: &str, skip: &[&str]) -> Vec<PathBuf> {
    if root.file_name().is_some_and(|n| n == name) && is_file(root) {
        return vec![root.to_path_buf()];
    }
    let mut found = find_in(root, std::ffi::OsStr::new(name), skip);
    // Paths compare component by component: the order of a walk that sorts every directory.
    found.sort();
    found
}

/// Below this many subdirectories, the root's children are split between threads too (a
/// monorepo given as the root: its `services/` holds the projects).
const FEW_SUBDIRS: usize = 8;

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn find_in(root: &Path, name: &std::ffi::OsStr, skip: &[&str]) -> Vec<PathBuf> {
    use rayon::prelude::*;
    fn read(dir: &Path, name: &std::ffi::OsStr, skip: &[&str], found: &mut Vec<PathBuf>) -> Vec<PathBuf> {
        let mut subdirs = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else { return subdirs };
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
        subdirs
    }
    fn below(dir: &Path, name: &std::ffi::OsStr, skip: &[&str], found: &mut Vec<PathBuf>) {
        for sub in read(dir, name, skip, found) {
            below(&sub, name, skip, found);
        }
    }
    let mut found = Vec::new();
    let mut subdirs = read(root, name, skip, &mut found);
    if subdirs.len() < FEW_SUBDIRS {
        subdirs = subdirs.iter().flat_map(|d| read(d, name, skip, &mut found)).collect();
    }
    let below: Vec<Vec<PathBuf>> = subdirs
        .par_iter()
        .map(|d| {
            let mut found = Vec::new();
            below(d, name, skip, &mut found);
            found
        })
        .collect();
    found.extend(below.into_iter().flatten());
    found
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn find_in(root: &Path, name: &std::ffi::OsStr, skip: &[&str]) -> Vec<PathBuf> {
    use rayon::prelude::*;
    use rustix::fs::{CWD, Mode, OFlags};
    let Ok(fd) = rustix::fs::openat(CWD, root, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
    else {
        return Vec::new();
    };
    let counted = counts_subdirs(&fd);
    let mut walk = Walk::new(name.as_encoded_bytes(), skip, counted);
    // The directories that hold the ones to walk (the root, or its few subdirectories), open;
    // and the ones to walk: which of those holds it, its name, its path.
    let mut parents = vec![(fd, root.to_path_buf())];
    let mut todo = walk.subdirs(0, &parents[0].0, root);
    if todo.len() < FEW_SUBDIRS {
        parents =
            todo.into_iter().filter_map(|(_, name, path)| Some((Walk::open(&parents[0].0, &name)?, path))).collect();
        todo = parents.iter().enumerate().flat_map(|(i, (fd, path))| walk.subdirs(i, fd, path)).collect();
    }
    let mut found = std::mem::take(&mut walk.found);
    let below: Vec<Vec<PathBuf>> = todo
        .into_par_iter()
        .map_init(
            || Walk::new(name.as_encoded_bytes(), skip, counted),
            |walk, (parent, name, mut path)| {
                if let Some(fd) = Walk::open(&parents[parent].0, &name) {
                    walk.below(&fd, &mut path);
                }
                std::mem::take(&mut walk.found)
            },
        )
        .collect();
    found.extend(below.into_iter().flatten());
    found
}

/// One thread's depth-first walk: each directory is opened relative to its parent (one path
/// component for the kernel to resolve instead of the whole path) and read with `getdents`
/// alone into one buffer; the names of its subdirectories wait in one arena, not one
/// allocation each. Entries whose type the file system does not report are `lstat`ed.
///
/// A directory without subdirectories is not read at all where the file system counts them in
/// its link count (ext4, XFS, tmpfs: `st_nlink` is 2 plus their number): `lstat` it, and if it
/// has none, `lstat` the wanted file in it. That is `find`'s leaf optimisation; two lookups the
/// kernel answers from its cache of names, against `ext4`'s hashing and sorting of every entry
/// each time a directory is read. Most of a project's directories are leaves.
#[cfg(any(target_os = "linux", target_os = "android"))]
struct Walk<'a> {
    name: &'a [u8],
    skip: &'a [&'a str],
    /// The device of the walk's root, when its file system counts subdirectories in the link
    /// count: leaves on it are looked into, not read. A directory on another device (a mount)
    /// is always read.
    counted: Option<u64>,
    /// What `getdents` fills: room for a few hundred entries at a time.
    buf: Vec<u8>,
    /// The subdirectories' names still to walk, each ending in NUL, deepest directory's last.
    names: Vec<u8>,
    /// `SUBDIR/NAME` for a leaf's lookup.
    lookup: Vec<u8>,
    /// The files found.
    found: Vec<PathBuf>,
}

/// Whether the file system of `fd` counts a directory's subdirectories in its link count, and
/// the device it is on.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn counts_subdirs(fd: &rustix::fd::OwnedFd) -> Option<u64> {
    const EXT4: i64 = 0xEF53; // ext2, ext3 and ext4 share it
    const XFS: i64 = 0x5846_5342;
    const TMPFS: i64 = 0x0102_1994;
    // `f_type` is 64 bits wide on x86_64 and 32 on some other architectures.
    #[allow(clippy::useless_conversion)]
    let kind = i64::try_from(rustix::fs::fstatfs(fd).ok()?.f_type).ok()?;
    if ![EXT4, XFS, TMPFS].contains(&kind) {
        return None;
    }
    Some(rustix::fs::fstat(fd).ok()?.st_dev)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
impl<'a> Walk<'a> {
    fn new(name: &'a [u8], skip: &'a [&'a str], counted: Option<u64>) -> Self {
        Self {
            name,
            skip,
            counted,
            buf: Vec::with_capacity(32 * 1024),
            names: Vec::new(),
            lookup: Vec::new(),
            found: Vec::new(),
        }
    }

    /// Whether the subdirectory `sub` of `fd` (at `path`) is a leaf, looked into: the wanted
    /// file in it is kept if there is one. `false`: it must be read.
    fn looked_into_leaf(&mut self, fd: &rustix::fd::OwnedFd, sub: &std::ffi::CStr, path: &Path) -> bool {
        use rustix::fs::{AtFlags, FileType};
        use std::os::unix::ffi::OsStrExt as _;
        let Some(dev) = self.counted else { return false };
        let Ok(stat) = rustix::fs::statat(fd, sub, AtFlags::SYMLINK_NOFOLLOW) else { return false };
        if stat.st_dev != dev || stat.st_nlink != 2 || FileType::from_raw_mode(stat.st_mode) != FileType::Directory {
            return false;
        }
        self.lookup.clear();
        self.lookup.extend_from_slice(sub.to_bytes());
        self.lookup.push(b'/');
        self.lookup.extend_from_slice(self.name);
        self.lookup.push(0);
        let Ok(file) = std::ffi::CStr::from_bytes_with_nul(&self.lookup) else { return false };
        if let Ok(stat) = rustix::fs::statat(fd, file, AtFlags::SYMLINK_NOFOLLOW)
            && FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile
        {
            self.found.push(path.join(std::ffi::OsStr::from_bytes(&self.lookup[..self.lookup.len() - 1])));
        }
        true
    }

    /// Reads the directory open as `fd` (at `path`): the files found are kept, and the names of
    /// the subdirectories to enter are appended to `names`.
    fn read(&mut self, fd: &rustix::fd::OwnedFd, path: &Path) {
        use rustix::fs::{AtFlags, FileType, RawDir};
        // Out of `self` while it is read: a leaf's lookup needs `self` meanwhile.
        let mut buf = std::mem::take(&mut self.buf);
        let mut entries = RawDir::new(fd, buf.spare_capacity_mut());
        while let Some(Ok(entry)) = entries.next() {
            let file_name = entry.file_name();
            let bytes = file_name.to_bytes();
            if bytes == b"." || bytes == b".." {
                continue;
            }
            let kind = match entry.file_type() {
                FileType::Unknown => match rustix::fs::statat(fd, file_name, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(stat) => FileType::from_raw_mode(stat.st_mode),
                    Err(_) => continue,
                },
                kind => kind,
            };
            match kind {
                FileType::Directory if !self.skip.iter().any(|s| s.as_bytes() == bytes) => {
                    let leaf = self.looked_into_leaf(fd, file_name, path);
                    if !leaf {
                        self.names.extend_from_slice(file_name.to_bytes_with_nul());
                    }
                }
                FileType::RegularFile if bytes == self.name => {
                    use std::os::unix::ffi::OsStrExt as _;
                    self.found.push(path.join(std::ffi::OsStr::from_bytes(bytes)));
                }
                _ => {}
            }
        }
        self.buf = buf;
    }

    /// The subdirectories of the directory open as `fd` (at `path`): `parent` (which the caller
    /// knows `fd` by), each one's name and its path.
    fn subdirs(
        &mut self,
        parent: usize,
        fd: &rustix::fd::OwnedFd,
        path: &Path,
    ) -> Vec<(usize, std::ffi::CString, PathBuf)> {
        use std::os::unix::ffi::OsStrExt as _;
        let start = self.names.len();
        self.read(fd, path);
        let names = self.names.split_off(start);
        names
            .split_inclusive(|b| *b == 0)
            .filter_map(|name| {
                let name = std::ffi::CStr::from_bytes_until_nul(name).ok()?;
                Some((parent, name.to_owned(), path.join(std::ffi::OsStr::from_bytes(name.to_bytes()))))
            })
            .collect()
    }

    /// Everything below the directory open as `fd`, at `path` (restored on return).
    fn below(&mut self, fd: &rustix::fd::OwnedFd, path: &mut PathBuf) {
        use std::os::unix::ffi::OsStrExt as _;
        let start = self.names.len();
        self.read(fd, path);
        let mut at = start;
        while let Some(name) = self.names.get(at..).and_then(|rest| std::ffi::CStr::from_bytes_until_nul(rest).ok()) {
            at += name.to_bytes_with_nul().len();
            let sub = Self::open(fd, name);
            path.push(std::ffi::OsStr::from_bytes(name.to_bytes()));
            if let Some(sub) = sub {
                self.below(&sub, path);
            }
            path.pop();
        }
        self.names.truncate(start);
    }

    /// Opens the subdirectory `name` of `parent`; not followed if it became a link since it was
    /// read.
    fn open(parent: &rustix::fd::OwnedFd, name: &std::ffi::CStr) -> Option<rustix::fd::OwnedFd> {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        rustix::fs::openat(parent, name, flags, Mode::empty()).ok()
    }
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

    /// Wide roots (walked a subdirectory per task) and narrow ones (split one level down), leaf
    /// directories (looked into, not read, where the link count says they are leaves) and
    /// others: the walk finds what a plain recursive `read_dir` finds.
    #[test]
    fn find_files_named_finds_what_a_plain_walk_finds() {
        fn plain(dir: &Path, found: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let kind = entry.file_type().unwrap();
                let name = entry.file_name();
                if kind.is_dir() && name != ".git" {
                    plain(&entry.path(), found);
                } else if kind.is_file() && name == ".pave.toml" {
                    found.push(entry.path());
                }
            }
        }
        for width in [1, 3, 12] {
            let tmp = tempfile::tempdir().unwrap();
            let root = tmp.path();
            for i in 0..width {
                for rel in ["", "a/", "a/b/", "a/b/c/", "d/", "e/f/", "e/g/h/"] {
                    let dir = root.join(format!("r{i}/{rel}"));
                    std::fs::create_dir_all(&dir).unwrap();
                    // A project in some directories, leaves or not; a file of another name in all.
                    if (i + rel.len()) % 3 != 0 {
                        std::fs::write(dir.join(".pave.toml"), "x").unwrap();
                    }
                    std::fs::write(dir.join("README.md"), "x").unwrap();
                }
                std::fs::create_dir_all(root.join(format!("r{i}/.git/refs"))).unwrap();
                std::fs::write(root.join(format!("r{i}/.git/.pave.toml")), "x").unwrap();
            }
            let mut expected = Vec::new();
            plain(root, &mut expected);
            expected.sort();
            assert!(expected.len() > width, "width {width}: the tree has projects");
            assert_eq!(find_files_named(root, ".pave.toml", &[".git"]), expected, "width {width}");
        }
    }
}
