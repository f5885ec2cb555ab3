//! `pave new`'s writer: a rendered tree → a new project directory. Everything is written into a staging directory
//! beside the destination first and moved into place only when all of it was written, so a
//! failure leaves nothing half-written behind.

use std::path::Path;

use crate::fs::{self, EntryKind};
use crate::render::{RenderedFile, RenderedTree};

/// Why a new project cannot be written where asked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ScaffoldError {
    /// A destination that is refused; nothing was written.
    #[error("destination `{}` {reason}", path.display())]
    Destination {
        /// The destination asked for.
        path: std::path::PathBuf,
        /// Why it is refused.
        reason: String,
        /// What to do next.
        hint: Option<String>,
    },
    /// Writing failed (nothing is left half-written).
    #[error(transparent)]
    Fs(#[from] fs::FsError),
}

use ScaffoldError as Error;
type Result<T, E = ScaffoldError> = std::result::Result<T, E>;

/// Checks that `dest` may receive a new project: absent, an empty directory, or (with `force`)
/// any directory.
pub(crate) fn check_destination(dest: &Path, force: bool) -> Result<()> {
    match fs::entry_kind(dest)? {
        None => Ok(()),
        Some(EntryKind::Dir) if force || fs::is_empty_dir(dest)? => Ok(()),
        Some(EntryKind::Dir) => Err(Error::Destination {
            path: dest.to_path_buf(),
            reason: "exists and is not empty".into(),
            hint: Some(
                "choose another directory, or pass --force to write into it (files with the same path are replaced)"
                    .into(),
            ),
        }),
        Some(_) => Err(Error::Destination {
            path: dest.to_path_buf(),
            reason: "exists and is not a directory".into(),
            hint: Some("choose another destination".into()),
        }),
    }
}

/// The existing path that stops `rel` from being written: a file where a parent directory goes,
/// or a directory where the file goes.
fn in_the_way(dest: &Path, rel: &str) -> Result<Option<String>> {
    let parts: Vec<&str> = rel.split('/').collect();
    for i in 1..=parts.len() {
        let sub = parts[..i].join("/");
        let kind = fs::entry_kind(&dest.join(&sub))?;
        let last = i == parts.len();
        match kind {
            None => return Ok(None),
            Some(EntryKind::Dir) if last => return Ok(Some(sub)),
            Some(EntryKind::File | EntryKind::Other) if !last => return Ok(Some(sub)),
            _ => {}
        }
    }
    Ok(None)
}

/// Writes `tree` into `dest` (see [`check_destination`]).
pub(crate) fn create(dest: &Path, tree: &RenderedTree, force: bool) -> Result<()> {
    check_destination(dest, force)?;
    let existed = fs::entry_kind(dest)?.is_some();
    if !existed && let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let staging = fs::staging_dir(&if existed { fs::canonicalize(dest)? } else { dest.to_path_buf() })?;
    let root = staging.path().join("project");
    fs::create_dir_all(&root)?;
    // Each directory is created once, parents first (the tree is sorted by path).
    let mut dirs: Vec<&str> = tree.files.keys().filter_map(|rel| rel.rsplit_once('/').map(|(d, _)| d)).collect();
    dirs.dedup();
    let mut made = std::collections::HashSet::new();
    for dir in dirs {
        if made.insert(dir) {
            fs::create_dir_all(&root.join(dir))?;
        }
    }
    for (rel, file) in &tree.files {
        let path = root.join(rel);
        match file {
            RenderedFile::File { bytes, executable } => fs::write_new(&path, bytes, *executable)?,
            RenderedFile::Symlink { target } => fs::symlink(target, &path)?,
        }
    }
    if !existed {
        return Ok(fs::rename(&root, dest)?);
    }
    // An existing directory (maybe the current one) is kept; files are moved in one by one,
    // never through a link that is already there. Everything in the way is found first, so a
    // refusal leaves the destination exactly as it was.
    for rel in tree.files.keys() {
        if let Err(link) = fs::check_no_symlink_on_path(dest, rel) {
            return Err(Error::Destination {
                path: dest.to_path_buf(),
                reason: format!("has a symbolic link at `{}`; pave never writes through links", link.display()),
                hint: Some("remove the link or choose another destination".into()),
            });
        }
        if let Some(blocker) = in_the_way(dest, rel)? {
            return Err(Error::Destination {
                path: dest.to_path_buf(),
                reason: format!(
                    "has `{blocker}` where the template puts {}",
                    if blocker == *rel { "a file" } else { "a directory" }
                ),
                hint: Some("move it aside, or choose another destination".into()),
            });
        }
    }
    for rel in tree.files.keys() {
        let target = dest.join(rel);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::rename(&root.join(rel), &target)?;
    }
    Ok(())
}
