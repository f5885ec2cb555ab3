//! Catalogs in git: cloned with git2 into the user cache directory and reused; `--refresh`
//! clones again. Credentials in a URL are used for the clone and never written anywhere: not
//! to the cache, not to `.pave.toml`, not to output.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::fs::{self, EntryKind};

/// A git catalog that could not be fetched.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RemoteError {
    /// The clone failed.
    #[error("cannot fetch the catalog {source_url}: {message}")]
    Fetch {
        /// The source, without credentials.
        source_url: String,
        /// What went wrong, without credentials.
        message: String,
    },
    /// The repository holds no catalog.toml.
    #[error("no catalog at `{0}`: catalog.toml is missing")]
    NotACatalog(String),
    /// The cache could not be written.
    #[error(transparent)]
    Fs(#[from] crate::fs::FsError),
}

/// Whether `--catalog SRC` names a git repository rather than a catalog directory.
pub(crate) fn is_git_source(src: &str) -> bool {
    if src.contains("://") || crate::url::is_scp_like(src) {
        return true;
    }
    let path = Path::new(src);
    // A local repository without a work tree (bare), or a path ending in .git.
    let kind = |rel: &str| fs::entry_kind(&path.join(rel)).ok().flatten();
    let has_catalog = kind("catalog.toml") == Some(EntryKind::File);
    let dot_git = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("git"));
    !has_catalog && (dot_git || (kind("HEAD") == Some(EntryKind::File) && kind("objects") == Some(EntryKind::Dir)))
}

/// Where clones live: `$XDG_CACHE_HOME/pave/catalogs`, else `~/.cache/pave/catalogs`.
pub(crate) fn cache_root() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("pave").join("catalogs")
}

/// A local directory holding the catalog at `src`: the cached clone, or a fresh one.
pub(crate) fn checkout(src: &str, refresh: bool) -> Result<PathBuf, RemoteError> {
    let shown = crate::url::redact(src);
    let key = Sha256::digest(shown.as_bytes());
    let name = key.iter().take(10).fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    let root = cache_root();
    let dir = root.join(&name);
    if !refresh && fs::entry_kind(&dir.join("catalog.toml"))? == Some(EntryKind::File) {
        return Ok(dir);
    }
    fs::create_dir_all(&root)?;
    let staging = fs::staging_dir(&dir)?;
    let target = staging.path().join("clone");
    crate::git::clone(src, &target, &shown)
        .map_err(|e| RemoteError::Fetch { source_url: shown.clone(), message: crate::url::scrub(&e, src) })?;
    if fs::entry_kind(&target.join("catalog.toml"))? != Some(EntryKind::File) {
        return Err(RemoteError::NotACatalog(shown));
    }
    if fs::entry_kind(&dir)?.is_some() {
        fs::remove_dir_all(&dir)?;
    }
    fs::rename(&target, &dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_sources_are_recognised() {
        assert!(is_git_source("https://example.com/paths.git"));
        assert!(is_git_source("git@example.com:platform/paths.git"));
        assert!(is_git_source("file:///srv/paths"));
        assert!(!is_git_source("./golden-paths"));
    }
}
