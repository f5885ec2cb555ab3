//! Clones of git catalogs.

use std::path::Path;

/// Clones `src` into `target` (only the tip over the network), with a token from the URL or an
/// SSH agent, and no credential helper (they are programs, and pave runs none). The clone's
/// `origin` is then set to `stored_url`, so credentials are never written into its config.
pub(crate) fn clone(src: &str, target: &Path, stored_url: &str) -> Result<(), String> {
    clone_inner(src, target, stored_url).map_err(|e| e.message().to_string())
}

fn clone_inner(src: &str, target: &Path, stored_url: &str) -> Result<(), git2::Error> {
    let callbacks = super::callbacks(&super::Auth::default());
    let mut fetch = git2::FetchOptions::new();
    fetch.remote_callbacks(callbacks);
    // Only history's tip is needed; libgit2's local transport cannot fetch shallow.
    let local = !src.contains("://") || src.starts_with("file://");
    if !local {
        fetch.depth(1);
    }
    super::settings();
    let repo = git2::build::RepoBuilder::new().fetch_options(fetch).clone(src, target)?;
    // The clone's config would keep the URL with its credentials: keep the redacted one only.
    repo.remote_set_url("origin", stored_url)?;
    // And so would its reflogs ("clone: from URL"): a cache has no use for them.
    if src != stored_url {
        let names: Vec<String> = repo.references()?.names().filter_map(|n| n.ok().map(str::to_string)).collect();
        for name in names.iter().map(String::as_str).chain(["HEAD"]) {
            repo.reflog_delete(name)?;
        }
    }
    Ok(())
}
