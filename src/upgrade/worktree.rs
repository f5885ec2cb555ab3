//! An upgrade plan → the project's working tree. Every file is written atomically, `.pave.toml`
//! last; if any write fails, what was already written is put back as it was.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fs::{self, EntryKind};
use crate::git::ProjectRepo;
use crate::plan::{Ours, UpgradePlan};
use crate::render::RenderedFile;

/// The project's files as they are on disk.
pub struct WorkTree<'a> {
    /// The project's root.
    pub root: &'a Path,
    /// Its repository, to tell tracked from untracked files.
    pub repo: Option<&'a ProjectRepo>,
}

/// Reads one file of a directory tree as a rendered file: bytes and mode, or a link.
pub fn read_file(root: &Path, rel: &str) -> Result<Option<RenderedFile>> {
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
            return Err(Error::usage(
                format!("`{}` is a directory or special file where the template has a file", path.display()),
                Some("move it aside, then run the command again".to_string()),
            ));
        }
    })
}

impl Ours for WorkTree<'_> {
    fn get(&self, path: &str) -> Result<Option<RenderedFile>> {
        // Never read (or later write) through a link in a parent directory.
        if let Err(link) = fs::check_no_symlink_on_path(self.root, path) {
            return Err(Error::usage(
                format!(
                    "`{}` is a symbolic link on the way to `{path}`: pave never writes through links",
                    link.display()
                ),
                Some("replace the link with a real directory, or remove it".to_string()),
            ));
        }
        read_file(self.root, path)
    }

    fn is_untracked(&self, path: &str) -> bool {
        let exists = fs::entry_kind(&self.root.join(path)).ok().flatten().is_some();
        exists && self.repo.is_some_and(|r| !r.is_tracked(path))
    }
}

/// What was at a path before we touched it, to put it back on failure.
struct Journal {
    entries: Vec<(PathBuf, Option<RenderedFile>)>,
    created_dirs: Vec<PathBuf>,
}

impl Journal {
    fn remember(&mut self, path: &Path, before: Option<RenderedFile>) {
        self.entries.push((path.to_path_buf(), before));
    }

    fn ensure_parent(&mut self, path: &Path) -> Result<()> {
        let Some(parent) = path.parent() else { return Ok(()) };
        let mut missing = Vec::new();
        let mut cur = parent;
        while fs::entry_kind(cur)?.is_none() {
            missing.push(cur.to_path_buf());
            match cur.parent() {
                Some(p) => cur = p,
                None => break,
            }
        }
        fs::create_dir_all(parent)?;
        self.created_dirs.extend(missing.into_iter().rev());
        Ok(())
    }

    /// Puts every touched path back, newest first. Best effort: the first error is what the
    /// user sees, and the restore must not hide it.
    fn roll_back(self) {
        for (path, before) in self.entries.into_iter().rev() {
            let _ = match before {
                Some(f) => write(&path, &f),
                None => match fs::entry_kind(&path) {
                    Ok(Some(_)) => fs::remove_file(&path),
                    _ => Ok(()),
                },
            };
        }
        for dir in self.created_dirs.into_iter().rev() {
            let _ = fs::remove_dir(&dir);
        }
    }
}

fn write(path: &Path, file: &RenderedFile) -> Result<(), fs::FsError> {
    match file {
        RenderedFile::File { bytes, executable } => fs::write_atomic(path, bytes, *executable),
        RenderedFile::Symlink { target } => {
            let tmp = path.with_file_name(format!(
                ".pave-link-{}",
                path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
            ));
            let _ = fs::remove_file(&tmp);
            fs::symlink(target, &tmp)?;
            fs::rename(&tmp, path)
        }
    }
}

/// Applies the plan to the project at `root`, then writes `.pave.toml`.
pub fn apply(root: &Path, plan: &UpgradePlan, record: &str) -> Result<()> {
    let mut journal = Journal { entries: Vec::new(), created_dirs: Vec::new() };
    match apply_inner(root, plan, record, &mut journal) {
        Ok(()) => Ok(()),
        Err(e) => {
            journal.roll_back();
            Err(e)
        }
    }
}

fn apply_inner(root: &Path, plan: &UpgradePlan, record: &str, journal: &mut Journal) -> Result<()> {
    let mut deletions: Vec<(String, Option<RenderedFile>)> = Vec::new();
    for f in plan.changes() {
        if let Some(after) = &f.after {
            let path = root.join(&f.path);
            let current = read_file(root, &f.path)?;
            if current.as_ref() != Some(after) {
                journal.ensure_parent(&path)?;
                journal.remember(&path, current);
                write(&path, after)?;
            }
        } else if f.before.is_some() && f.moved_from.is_none() {
            deletions.push((f.path.clone(), f.before.clone()));
        }
        if let Some(old) = &f.moved_from {
            deletions.push((old.clone(), f.before.clone()));
        }
        if let Some((side, content)) = f.side_file() {
            let path = root.join(&side);
            journal.ensure_parent(&path)?;
            journal.remember(&path, read_file(root, &side)?);
            write(&path, &content)?;
        }
    }
    for (rel, before) in deletions {
        let path = root.join(&rel);
        if fs::entry_kind(&path)?.is_some() {
            journal.remember(&path, before);
            fs::remove_file(&path)?;
        }
    }
    let record_path = root.join(crate::project::FILE_NAME);
    journal.remember(&record_path, read_file(root, crate::project::FILE_NAME)?);
    fs::write_atomic(&record_path, record.as_bytes(), false)?;
    // Directories emptied by deletions go too (nothing to restore after this point).
    for f in &plan.files {
        let gone = f.moved_from.as_deref().or(if f.after.is_none() { Some(f.path.as_str()) } else { None });
        if let Some(rel) = gone {
            remove_empty_parents(root, rel);
        }
    }
    Ok(())
}

/// The plan as tree changes for a commit built without the working tree (the fleet):
/// every written, moved and deleted path, the conflict side files, and `.pave.toml`.
pub fn tree_changes(plan: &UpgradePlan, record: &str) -> Vec<crate::git::TreeChange> {
    let mut out = Vec::new();
    for f in plan.changes() {
        match &f.after {
            Some(after) if f.before.as_ref() != Some(after) || f.moved_from.is_some() => {
                out.push((f.path.clone(), Some(after.clone())));
            }
            None if f.moved_from.is_none() => out.push((f.path.clone(), None)),
            Some(_) | None => {}
        }
        if let Some(old) = &f.moved_from {
            out.push((old.clone(), None));
        }
        if let Some((side, content)) = f.side_file() {
            out.push((side, Some(content)));
        }
    }
    out.push((
        crate::project::FILE_NAME.to_string(),
        Some(RenderedFile::File { bytes: record.as_bytes().to_vec(), executable: false }),
    ));
    out
}

fn remove_empty_parents(root: &Path, rel: &str) {
    let mut cur = root.join(rel);
    while let Some(parent) = cur.parent() {
        if parent == root || !parent.starts_with(root) {
            break;
        }
        if !fs::is_empty_dir(parent).unwrap_or(false) || fs::remove_dir(parent).is_err() {
            break;
        }
        cur = parent.to_path_buf();
    }
}
