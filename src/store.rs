//! Where a catalog's files come from: the copy embedded in the binary, or a directory on disk.
//! Both give the same view: catalog-relative paths with `/`, bytes, executable bit and links.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::fs::{self, EntryKind, FsError};

/// One file of the catalog embedded at build time.
#[derive(Debug)]
pub(crate) struct EmbeddedFile {
    /// Catalog-relative path with `/` separators.
    pub path: &'static str,
    /// The file's bytes (empty for a link).
    pub bytes: &'static [u8],
    /// Whether any executable bit was set.
    pub executable: bool,
    /// The link target, for a symbolic link.
    pub link: Option<&'static str>,
}

static EMBEDDED: &[EmbeddedFile] = include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// A file of a template version, read from a store.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    /// Path relative to the directory that was walked, with `/` separators.
    pub path: String,
    /// The content (empty for a link).
    pub bytes: Cow<'static, [u8]>,
    /// Whether the file is executable.
    pub executable: bool,
    /// The link target, for a symbolic link.
    pub link: Option<String>,
}

/// A catalog's file tree.
#[derive(Debug, Clone)]
pub(crate) enum Store {
    /// The catalog built into the binary.
    Embedded,
    /// A directory with `catalog.toml` and `templates/`.
    Dir(PathBuf),
}

impl Store {
    /// How the store is shown to users and recorded in `.pave.toml`.
    pub(crate) fn display_path(&self, rel: &str) -> String {
        match self {
            Self::Embedded => format!("<builtin>/{rel}"),
            Self::Dir(root) => root.join(rel).display().to_string(),
        }
    }

    /// Reads one file; `Ok(None)` when it does not exist.
    pub(crate) fn read(&self, rel: &str) -> Result<Option<Cow<'static, [u8]>>, FsError> {
        match self {
            Self::Embedded => Ok(EMBEDDED.iter().find(|f| f.path == rel).map(|f| Cow::Borrowed(f.bytes))),
            Self::Dir(root) => {
                let path = root.join(rel);
                match fs::entry_kind(&path)? {
                    Some(EntryKind::File | EntryKind::Symlink) => Ok(Some(Cow::Owned(fs::read(&path)?))),
                    _ => Ok(None),
                }
            }
        }
    }

    /// The names of the subdirectories of `rel`, sorted; empty when it does not exist.
    pub(crate) fn subdirs(&self, rel: &str) -> Result<Vec<String>, FsError> {
        match self {
            Self::Embedded => {
                let prefix = format!("{rel}/");
                let mut names: Vec<String> = EMBEDDED
                    .iter()
                    .filter_map(|f| f.path.strip_prefix(&prefix))
                    .filter_map(|rest| rest.split_once('/').map(|(dir, _)| dir.to_string()))
                    .collect();
                names.dedup();
                Ok(names)
            }
            Self::Dir(root) => {
                let dir = root.join(rel);
                if fs::entry_kind(&dir)? != Some(EntryKind::Dir) {
                    return Ok(Vec::new());
                }
                let mut out = Vec::new();
                for name in fs::list_dir(&dir)? {
                    if fs::entry_kind(&dir.join(&name))? == Some(EntryKind::Dir) {
                        out.push(name);
                    }
                }
                Ok(out)
            }
        }
    }

    /// Every file below `rel`, recursively, sorted by path; paths are relative to `rel`.
    pub(crate) fn walk(&self, rel: &str) -> Result<Vec<SourceFile>, FsError> {
        match self {
            Self::Embedded => {
                let prefix = format!("{rel}/");
                Ok(EMBEDDED
                    .iter()
                    .filter_map(|f| {
                        f.path.strip_prefix(&prefix).map(|p| SourceFile {
                            path: p.to_string(),
                            bytes: Cow::Borrowed(f.bytes),
                            executable: f.executable,
                            link: f.link.map(str::to_string),
                        })
                    })
                    .collect())
            }
            Self::Dir(root) => walk_dir(&root.join(rel)),
        }
    }
}

fn walk_dir(dir: &Path) -> Result<Vec<SourceFile>, FsError> {
    let mut out = Vec::new();
    if fs::entry_kind(dir)? != Some(EntryKind::Dir) {
        return Ok(out);
    }
    for item in fs::walk_files(dir)? {
        let (rel, path) = (item.rel, item.path.as_path());
        if item.is_symlink {
            let target = fs::read_link(path)?;
            out.push(SourceFile {
                path: rel,
                bytes: Cow::Borrowed(&[]),
                executable: false,
                link: Some(target.to_string_lossy().into_owned()),
            });
        } else {
            let (bytes, executable) = fs::read_with_mode(path)?;
            out.push(SourceFile { path: rel, bytes: Cow::Owned(bytes), executable, link: None });
        }
    }
    Ok(out)
}
