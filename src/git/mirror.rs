//! Bare mirrors of remote repositories, for the fleet: fetch only the default branch and
//! pave's branches, and push pave's branches back with a lease. No work tree, ever; no program
//! run (libgit2's transports, and pave's for http(s)); credentials never written anywhere.

use std::path::{Path, PathBuf};

use super::Commits;

/// Where remote-tracking refs live in a mirror: `refs/remotes/origin/BRANCH`.
pub(crate) const TRACKING: &str = "refs/remotes/origin/";

/// How pave authenticates to a remote.
#[derive(Clone, Default)]
pub(crate) struct Auth {
    /// A token for http(s) remotes (`PAVE_GIT_TOKEN` or `GITHUB_TOKEN`), never shown.
    pub token: Option<String>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.token.is_some() { "Auth(token)" } else { "Auth(none)" })
    }
}

/// A bare mirror of one remote repository.
pub(crate) struct Mirror {
    repo: git2::Repository,
    path: PathBuf,
    url: String,
    auth: Auth,
}

/// What the remote advertised at the last look.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fetched {
    /// The branch upgrades start from.
    pub branch: String,
    /// Its tip, in the mirror.
    pub base: String,
}

/// A remote's refs (`(refs/heads/NAME, commit)`) and its default branch.
type Advertised = (Vec<(String, String)>, Option<String>);

/// How a push ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// The remote branch is at the new commit.
    Done,
    /// The remote branch was not where pave last saw it: nothing was overwritten.
    Raced,
    /// The remote refused the update (branch protection, a hook), with its message.
    Rejected(String),
}

/// A failure talking to a remote or writing the mirror, credentials already removed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct RemoteFailure(pub String);

/// A mirror locked for this process (until dropped) and brought up to its remote.
pub(crate) struct Synced {
    /// The mirror.
    pub mirror: Mirror,
    /// What the fetch found.
    pub fetched: Fetched,
    _lock: std::fs::File,
}

impl Mirror {
    /// The mirror of `url` under `root` (`HOST/PATH.git`), locked against other runs on the same
    /// cache (the lock goes with the process, even when it is killed), opened and fetched.
    pub(crate) fn sync(root: &Path, url: &str, auth: Auth, wanted: Option<&str>) -> Result<Synced, RemoteFailure> {
        let path = root.join(crate::url::mirror_rel_path(url));
        let lock = crate::fs::lock_beside(&path)
            .map_err(|e| RemoteFailure(e.to_string().lines().next().unwrap_or_default().to_string()))?;
        let mirror = Self::open(&path, url, auth)?;
        let fetched = mirror.fetch(wanted)?;
        Ok(Synced { mirror, fetched, _lock: lock })
    }

    /// Where the mirror is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the mirror at `path` for `url`, making it (bare) when it is missing, and making it
    /// again when it is not a readable repository (a half-written or corrupt cache).
    pub(crate) fn open(path: &Path, url: &str, auth: Auth) -> Result<Self, RemoteFailure> {
        let fail = |e: &dyn std::fmt::Display| RemoteFailure(scrub(&e.to_string(), url));
        super::settings();
        let repo = match git2::Repository::open_bare(path) {
            Ok(r) if healthy(&r) => r,
            _ => {
                if crate::fs::entry_kind(path).map_err(|e| fail(&e))?.is_some() {
                    crate::fs::remove_dir_all(path).map_err(|e| fail(&e))?;
                }
                crate::fs::create_dir_all(path).map_err(|e| fail(&e))?;
                git2::Repository::init_bare(path).map_err(|e| fail(&e.message()))?
            }
        };
        Ok(Self { repo, path: path.to_path_buf(), url: url.to_string(), auth })
    }

    /// The mirror's commits and branches.
    pub(crate) fn commits(&self) -> Commits<'_> {
        Commits { repo: &self.repo, path: &self.path }
    }

    fn fail(&self, e: &git2::Error) -> RemoteFailure {
        RemoteFailure(scrub(e.message(), &self.url))
    }

    /// The remote's branches now: `(refs/heads/NAME, commit)`, and its default branch.
    fn list(&self) -> Result<Advertised, RemoteFailure> {
        let mut remote = self.repo.remote_anonymous(&self.url).map_err(|e| self.fail(&e))?;
        let connection = remote
            .connect_auth(git2::Direction::Fetch, Some(super::callbacks(&self.auth)), None)
            .map_err(|e| self.fail(&e))?;
        let heads: Vec<(String, String)> = connection
            .list()
            .map_err(|e| self.fail(&e))?
            .iter()
            .map(|h| (h.name().to_string(), h.oid().to_string()))
            .collect();
        let default = connection.default_branch().ok().and_then(|b| b.as_str().ok().map(str::to_string));
        Ok((heads, default))
    }

    /// Brings the mirror up to the remote: its default branch (or `wanted`) and `pave/*`, into
    /// remote-tracking refs. Fetches nothing when the mirror already has every tip.
    pub(crate) fn fetch(&self, wanted: Option<&str>) -> Result<Fetched, RemoteFailure> {
        let (heads, default) = self.list()?;
        if heads.is_empty() {
            return Err(RemoteFailure("the repository has no commits".into()));
        }
        let branch = match wanted {
            Some(b) => b.trim_start_matches("refs/heads/").to_string(),
            None => default
                .as_deref()
                .and_then(|d| d.strip_prefix("refs/heads/"))
                .map(str::to_string)
                .ok_or_else(|| RemoteFailure("the remote names no default branch".into()))?,
        };
        let tracked = |name: &str| name == branch || name.starts_with("pave/");
        let wanted_heads: Vec<(&str, &str)> = heads
            .iter()
            .filter_map(|(r, id)| r.strip_prefix("refs/heads/").filter(|n| tracked(n)).map(|n| (n, id.as_str())))
            .collect();
        if !wanted_heads.iter().any(|(n, _)| *n == branch) {
            return Err(RemoteFailure(format!("the remote has no branch `{branch}`")));
        }
        let commits = self.commits();
        let mut stale = false;
        for (name, id) in &wanted_heads {
            let have = commits.resolve(&format!("{TRACKING}{name}")).map_err(|e| RemoteFailure(e.to_string()))?;
            if have.as_deref() != Some(*id)
                || self.repo.find_commit(git2::Oid::from_str(id).map_err(|e| self.fail(&e))?).is_err()
            {
                stale = true;
            }
        }
        if stale {
            let specs: Vec<String> =
                wanted_heads.iter().map(|(n, _)| format!("+refs/heads/{n}:{TRACKING}{n}")).collect();
            let mut remote = self.repo.remote_anonymous(&self.url).map_err(|e| self.fail(&e))?;
            let mut options = git2::FetchOptions::new();
            options.remote_callbacks(super::callbacks(&self.auth));
            options.download_tags(git2::AutotagOption::None);
            remote.fetch(&specs, Some(&mut options), None).map_err(|e| self.fail(&e))?;
        }
        // pave branches deleted on the remote are gone from the mirror too.
        for name in commits.branches_under(&format!("{TRACKING}pave/")) {
            let full = format!("pave/{name}");
            if !wanted_heads.iter().any(|(n, _)| *n == full) {
                commits.delete_ref(&format!("{TRACKING}{full}")).map_err(|e| RemoteFailure(e.to_string()))?;
            }
        }
        let base = commits
            .resolve(&format!("{TRACKING}{branch}"))
            .map_err(|e| RemoteFailure(e.to_string()))?
            .ok_or_else(|| RemoteFailure(format!("the remote has no branch `{branch}`")))?;
        Ok(Fetched { branch, base })
    }

    /// Pushes `new` to the remote's `branch`, with a lease: only if the remote branch is still
    /// at `expected` (`None`: absent). `force` allows a non-fast-forward update. On success the
    /// remote-tracking ref follows.
    pub(crate) fn push(
        &self,
        branch: &str,
        new: &str,
        expected: Option<&str>,
        force: bool,
    ) -> Result<Pushed, RemoteFailure> {
        let refname = format!("refs/heads/{branch}");
        let (heads, _) = self.list()?;
        let now = heads.iter().find(|(r, _)| *r == refname).map(|(_, id)| id.as_str());
        if now != expected {
            return Ok(Pushed::Raced);
        }
        let mut remote = self.repo.remote_anonymous(&self.url).map_err(|e| self.fail(&e))?;
        let rejected = std::cell::RefCell::new(None::<String>);
        let messages = std::cell::RefCell::new(String::new());
        let mut callbacks = super::callbacks(&self.auth);
        callbacks.push_update_reference(|_, status| {
            if let Some(s) = status {
                *rejected.borrow_mut() = Some(s.to_string());
            }
            Ok(())
        });
        callbacks.sideband_progress(|text| {
            messages.borrow_mut().push_str(&String::from_utf8_lossy(text));
            true
        });
        let mut options = git2::PushOptions::new();
        options.remote_callbacks(callbacks);
        let spec = format!("{}refs/heads/{branch}:{refname}", if force { "+" } else { "" });
        // What is pushed is the mirror's own branch of that name.
        let new_id = git2::Oid::from_str(new).map_err(|e| self.fail(&e))?;
        self.repo
            .reference(&format!("refs/heads/{branch}"), new_id, true, "pave fleet push")
            .map_err(|e| self.fail(&e))?;
        let result = remote.push(&[spec.as_str()], Some(&mut options));
        drop(options);
        let server = messages.into_inner().trim().to_string();
        if let Err(e) = result {
            let mut message = scrub(e.message(), &self.url);
            if !server.is_empty() {
                message = format!("{message}: {}", scrub(&server, &self.url));
            }
            return Ok(Pushed::Rejected(message));
        }
        if let Some(status) = rejected.into_inner() {
            let detail = if server.is_empty() { status } else { format!("{status}: {}", scrub(&server, &self.url)) };
            // A non-fast-forward refusal of an unforced push is someone else's update.
            if !force && detail.contains("fast-forward") {
                return Ok(Pushed::Raced);
            }
            return Ok(Pushed::Rejected(detail));
        }
        self.repo
            .reference(&format!("{TRACKING}{branch}"), new_id, true, "pave fleet push")
            .map_err(|e| self.fail(&e))?;
        Ok(Pushed::Done)
    }
}

/// Whether a mirror can be used as it is: bare, and every reference names a commit that is
/// there (a run killed half-way, or a damaged cache, fails this and is fetched again).
fn healthy(repo: &git2::Repository) -> bool {
    if !repo.is_bare() {
        return false;
    }
    // HEAD names a branch (unborn in a mirror, whose branches are remote-tracking).
    if repo.head().is_err_and(|e| e.code() != git2::ErrorCode::UnbornBranch) {
        return false;
    }
    let Ok(refs) = repo.references() else { return false };
    refs.into_iter().all(|r| r.is_ok_and(|r| r.peel_to_commit().is_ok()))
}

/// A message without the URL's credentials.
fn scrub(message: &str, url: &str) -> String {
    crate::url::scrub(message, url)
}
