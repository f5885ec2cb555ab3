//! Where a project's current files are read from: its working tree (`pave upgrade`, `pave diff`,
//! `pave check`), or the tree of its branch's commit (`pave fleet upgrade`).

use std::path::Path;

use crate::fs::{self, EntryKind};
use crate::git::ProjectRepo;
use crate::plan::{ProjectFiles, ReadError};
use crate::render::RenderedFile;

/// The project's files as they are on disk.
pub(crate) struct WorkTree<'a> {
    /// The project's root.
    pub root: &'a Path,
    /// Its repository, to tell tracked from untracked files.
    pub repo: Option<&'a ProjectRepo>,
}

/// Reads one file of a directory tree as a rendered file: bytes and mode, or a link.
pub(crate) fn read_file(root: &Path, rel: &str) -> Result<Option<RenderedFile>, ReadError> {
    let path = root.join(rel);
    Ok(match fs::entry_kind(&path)? {
        None => None,
        Some(EntryKind::File) => {
            Some(RenderedFile::File { bytes: fs::read(&path)?, executable: fs::is_executable(&path)? })
        }
        Some(EntryKind::Symlink) => {
            Some(RenderedFile::Symlink { target: fs::read_link(&path)?.to_string_lossy().into_owned() })
        }
        Some(EntryKind::Dir | EntryKind::Other) => {
            return Err(ReadError::Unsafe {
                message: format!("`{}` is a directory or special file where the template has a file", path.display()),
                hint: "move it aside, then run the command again".to_string(),
            });
        }
    })
}

impl ProjectFiles for WorkTree<'_> {
    fn get(&self, path: &str) -> Result<Option<RenderedFile>, ReadError> {
        // Never read (or later write) through a link in a parent directory.
        if let Err(link) = fs::check_no_symlink_on_path(self.root, path) {
            return Err(ReadError::Unsafe {
                message: format!(
                    "`{}` is a symbolic link on the way to `{path}`: pave never writes through links",
                    link.display()
                ),
                hint: "replace the link with a real directory, or remove it".to_string(),
            });
        }
        read_file(self.root, path)
    }

    fn is_untracked(&self, path: &str) -> bool {
        let exists = fs::entry_kind(&self.root.join(path)).ok().flatten().is_some();
        exists && self.repo.is_some_and(|r| !r.is_tracked(path))
    }
}

/// The project's files in a commit: the tip of the branch a fleet upgrade starts from.
pub(crate) struct CommitTree<'a> {
    /// The project's directory in the commit.
    pub files: crate::git::FilesAt<'a>,
}

impl ProjectFiles for CommitTree<'_> {
    fn get(&self, path: &str) -> Result<Option<RenderedFile>, ReadError> {
        Ok(self.files.read(path)?)
    }

    fn is_untracked(&self, _: &str) -> bool {
        false // a commit built from a commit's tree never meets the working tree
    }
}
