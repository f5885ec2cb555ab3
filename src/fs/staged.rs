//! Files written as one change: each to a temporary file beside its target, all made durable
//! together, then renamed into place. Every file is still synced before it replaces anything, as
//! with [`write_atomic`](super::write_atomic). Many files are synced from several threads at
//! once, so the file system commits its journal once for many of them instead of once per file
//! (a third of the time of a 60-file `pave upgrade` went to those commits, one after the other);
//! a few are synced on the calling thread, where starting a thread would cost more. Writeback of
//! every file starts before the first sync, so that sync's commit carries them all.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)] // part of the file-system module

use std::path::{Path, PathBuf};

use super::{FsError, ctx, replaced_mode, temp_beside};

/// At most how many threads sync at once.
const SYNCS_AT_ONCE: usize = 8;

/// The fewest files worth a thread of their own: a thread costs about as much to start (and,
/// on a virtual machine, to wake) as eight syncs one after the other.
const FILES_PER_THREAD: usize = 8;

/// A file written beside its target, not yet in place.
pub(crate) struct Staged {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl Staged {
    /// Writes `bytes` to a temporary file beside `path`, with the mode
    /// [`write_atomic`](super::write_atomic) would give it.
    pub(crate) fn new(path: &Path, bytes: &[u8], executable: bool) -> Result<Self, FsError> {
        let tmp = temp_beside(path, bytes, replaced_mode(path, executable), executable)?;
        Ok(Self { tmp, path: path.to_path_buf() })
    }

    /// Renames it over its target. Call [`sync_all`] on it first.
    pub(crate) fn persist(self) -> Result<(), FsError> {
        let path = self.path;
        self.tmp.persist(&path).map_err(|e| FsError { op: "write", path, source: e.error })?;
        Ok(())
    }
}

/// Makes every staged file durable, their syncs running concurrently when there are enough of
/// them: up to [`SYNCS_AT_ONCE`] threads, the calling thread one of them.
pub(crate) fn sync_all(staged: &[Staged]) -> Result<(), FsError> {
    start_writeback(staged);
    let threads = staged.len().div_ceil(FILES_PER_THREAD).min(SYNCS_AT_ONCE);
    if threads < 2 {
        return staged.iter().try_for_each(sync_one);
    }
    let mut chunks = staged.chunks(staged.len().div_ceil(threads));
    let own = chunks.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let syncs: Vec<_> = chunks.map(|files| scope.spawn(move || files.iter().try_for_each(sync_one))).collect();
        let mine = own.iter().try_for_each(sync_one);
        // Every thread is joined (the scope would anyway); the first error is the one reported.
        let results: Vec<Result<(), FsError>> = std::iter::once(mine)
            .chain(syncs.into_iter().map(|s| {
                s.join().unwrap_or_else(|_| {
                    Err(FsError { op: "sync", path: PathBuf::new(), source: std::io::Error::other("sync panicked") })
                })
            }))
            .collect();
        results.into_iter().collect()
    })
}

/// Starts writing every file's data out, without waiting. The syncs that follow then find the
/// blocks allocated and the data on its way: the first sync's journal commit carries them all,
/// and the others wait for little more than their own data. `POSIX_FADV_DONTNEED` is Linux's
/// portable way to start writeback (`sync_file_range` has no safe binding); a hint, so a
/// failure changes nothing.
#[cfg(target_os = "linux")]
fn start_writeback(staged: &[Staged]) {
    if staged.len() < 2 {
        return;
    }
    for file in staged {
        let _ = rustix::fs::fadvise(file.tmp.as_file(), 0, None, rustix::fs::Advice::DontNeed);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_: &[Staged]) {}

fn sync_one(file: &Staged) -> Result<(), FsError> {
    ctx("write", &file.path, file.tmp.as_file().sync_all())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{Staged, sync_all};

    #[test]
    fn staged_files_appear_only_when_persisted_with_the_mode_a_replaced_file_had() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.sh");
        std::fs::write(&old, "old").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o640)).unwrap();
        let paths: Vec<_> = (0..20).map(|i| dir.path().join(format!("f{i}"))).collect();
        let mut staged: Vec<Staged> = paths.iter().map(|p| Staged::new(p, b"new", false).unwrap()).collect();
        staged.push(Staged::new(&old, b"#!/bin/sh\n", true).unwrap());
        sync_all(&staged).unwrap();
        assert!(paths.iter().all(|p| !p.exists()), "nothing is in place before persist");
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "old");
        for s in staged {
            s.persist().unwrap();
        }
        assert!(paths.iter().all(|p| std::fs::read_to_string(p).unwrap() == "new"));
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "#!/bin/sh\n");
        assert_eq!(std::fs::metadata(&old).unwrap().permissions().mode() & 0o777, 0o750);
        let names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert!(names.iter().all(|n| !n.starts_with(".pave-tmp")), "no temporary file is left: {names:?}");
    }
}
