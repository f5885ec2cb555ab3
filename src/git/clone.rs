//! Clones of git catalogs.

use std::path::Path;

/// Clones `src` into `target` (only the tip over the network), with a token from the URL or an
/// SSH agent, and no credential helper (they are programs, and pave runs none). The clone's
/// `origin` is then set to `stored_url`, so credentials are never written into its config.
pub(crate) fn clone(src: &str, target: &Path, stored_url: &str) -> Result<(), String> {
    clone_inner(src, target, stored_url).map_err(|e| e.message().to_string())
}

fn clone_inner(src: &str, target: &Path, stored_url: &str) -> Result<(), git2::Error> {
    let mut attempts = 0;
    let mut callbacks = git2::RemoteCallbacks::new();
    callbacks.credentials(move |url, username, allowed| {
        attempts += 1;
        if attempts > 3 {
            return Err(git2::Error::from_str("authentication failed"));
        }
        if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT)
            && let Some((_, rest)) = url.split_once("://")
            && let Some((userinfo, _)) = rest.split_once('@')
            && let Some((user, pass)) = userinfo.split_once(':')
        {
            return git2::Cred::userpass_plaintext(user, pass);
        }
        if allowed.contains(git2::CredentialType::SSH_KEY) {
            return git2::Cred::ssh_key_from_agent(username.unwrap_or("git"));
        }
        // No credential helpers: they are programs, and pave runs none.
        Err(git2::Error::from_str(
            "no credentials: put a token in the URL (https://user:token@host/...) or use an SSH agent",
        ))
    });
    let mut fetch = git2::FetchOptions::new();
    fetch.remote_callbacks(callbacks);
    // Only history's tip is needed; libgit2's local transport cannot fetch shallow.
    let local = !src.contains("://") || src.starts_with("file://");
    if !local {
        fetch.depth(1);
    }
    let repo = git2::build::RepoBuilder::new().fetch_options(fetch).clone(src, target)?;
    // The clone's config would keep the URL with its credentials: keep the redacted one only.
    repo.remote_set_url("origin", stored_url)?;
    Ok(())
}
