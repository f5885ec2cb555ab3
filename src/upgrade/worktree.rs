//! An upgrade's effects → the project's working tree. Every file is written atomically and
//! synced before it replaces anything, removals first, `.pave.toml` last; if any step fails,
//! every path already touched is put back exactly as it was (bytes, mode, link), and directories
//! made for it are removed.

use std::path::{Path, PathBuf};

use super::effects::{self, Effect};
use crate::fs::{self, FsError, Snapshot};
use crate::render::RenderedFile;

/// What was at a path before we touched it, to put it back on failure.
#[derive(Default)]
struct Journal {
    entries: Vec<(PathBuf, Option<Snapshot>)>,
    created_dirs: Vec<PathBuf>,
}

impl Journal {
    fn remember(&mut self, path: &Path) -> Result<(), FsError> {
        let before = fs::snapshot(path)?;
        self.entries.push((path.to_path_buf(), before));
        Ok(())
    }

    fn ensure_parent(&mut self, path: &Path) -> Result<(), FsError> {
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
                Some(snapshot) => fs::restore(&path, &snapshot),
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

fn write(path: &Path, file: &RenderedFile) -> Result<(), FsError> {
    match file {
        RenderedFile::File { bytes, executable } => fs::write_atomic(path, bytes, *executable),
        RenderedFile::Symlink { target } => fs::replace_with_symlink(target, path),
    }
}

/// Applies the effects to the project at `root`; the last effect is `.pave.toml`'s when the
/// record changes. All or nothing.
pub(crate) fn apply(root: &Path, effects: &[Effect]) -> Result<(), FsError> {
    let mut journal = Journal::default();
    match apply_inner(root, effects, &mut journal) {
        Ok(()) => {
            // Directories emptied by removals go too (nothing to restore after this point).
            for rel in effects::removed_paths(effects) {
                remove_empty_parents(root, rel);
            }
            Ok(())
        }
        Err(e) => {
            journal.roll_back();
            Err(e)
        }
    }
}

fn apply_inner(root: &Path, effects: &[Effect], journal: &mut Journal) -> Result<(), FsError> {
    // Removals first: a renamed file's old path may be where a directory or a new file goes.
    for rel in effects::removed_paths(effects) {
        let path = root.join(rel);
        if fs::entry_kind(&path)?.is_some() {
            journal.remember(&path)?;
            fs::remove_file(&path)?;
        }
    }
    // `.pave.toml` is the last effect when the record changes: it is written, on its own, only
    // once every other file is durable and in place.
    let (record, files) = match effects.split_last() {
        Some((last, rest)) if last.path == crate::project::FILE_NAME => (Some(last), rest),
        _ => (None, effects),
    };
    // Every file's content first, beside its target, then all synced at once, then each renamed
    // into place: the same atomic, durable write as one by one, without a journal commit each.
    let mut staged = Vec::new();
    for effect in files {
        let Some(after) = &effect.after else { continue };
        // Effects hold only real changes (the plan leaves out files that stay as they are).
        let path = root.join(&effect.path);
        journal.ensure_parent(&path)?;
        journal.remember(&path)?;
        match after {
            RenderedFile::File { bytes, executable } => staged.push(fs::Staged::new(&path, bytes, *executable)?),
            RenderedFile::Symlink { target } => fs::replace_with_symlink(target, &path)?,
        }
    }
    fs::sync_all(&staged)?;
    for file in staged {
        file.persist()?;
    }
    if let Some(effect) = record
        && let Some(after) = &effect.after
    {
        let path = root.join(&effect.path);
        journal.remember(&path)?;
        write(&path, after)?;
    }
    Ok(())
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
