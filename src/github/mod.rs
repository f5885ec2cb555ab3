//! GitHub's REST API, as much of it as rollouts need: the organisation's repositories, the pull
//! requests of pave's branches, their labels, reviewers, comments and checks. One [`Client`] per
//! run: it holds the token (never shown), retries what GitHub asks to be retried, and counts its
//! calls for the report.

mod calls;
mod http;
mod types;

pub(crate) use calls::{NewPull, PullUpdate};
pub(crate) use http::{Client, Settings};
pub(crate) use types::{CheckRun, PullRequest, PullState};

/// Where the API is when `--api-url` is not given.
pub(crate) const DEFAULT_API: &str = "https://api.github.com";

/// The environment variables a token is read from, in order.
pub(crate) const TOKEN_VARS: [&str; 2] = ["PAVE_GITHUB_TOKEN", "GITHUB_TOKEN"];

/// Why an API call failed, after the retries it was worth.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum ApiError {
    /// `--api-url` is not an https URL (plain http is for 127.0.0.1 only).
    #[error("--api-url {0}: not an https URL (plain http is allowed only to 127.0.0.1, for tests)")]
    Insecure(String),
    /// No token, or GitHub refused it.
    #[error("GitHub refused the token (401 Bad credentials): set PAVE_GITHUB_TOKEN or GITHUB_TOKEN to a valid token")]
    Unauthorized,
    /// Denied for good: no permission, an archived repository, an SSO policy.
    #[error("GitHub denied {what}: {message}")]
    Forbidden {
        /// The call, `POST /repos/o/r/pulls`.
        what: String,
        /// GitHub's message.
        message: String,
    },
    /// The rate limit is spent for longer than pave waits.
    #[error("GitHub's rate limit is spent until {reset} (in {wait_s} s); run again then")]
    RateLimited {
        /// When it resets, as GitHub says (seconds since the epoch, shown as UTC).
        reset: String,
        /// Seconds to wait.
        wait_s: u64,
    },
    /// Not there (or not visible to the token).
    #[error("{what}: not found (404)")]
    NotFound {
        /// The call.
        what: String,
    },
    /// GitHub answered with another error status.
    #[error("{what}: GitHub answered {status}: {message}")]
    Status {
        /// The call.
        what: String,
        /// The HTTP status.
        status: u16,
        /// GitHub's message (and its validation errors).
        message: String,
    },
    /// No answer: a timeout, a refused connection, TLS.
    #[error("{what}: {message}")]
    Transport {
        /// The call.
        what: String,
        /// What went wrong.
        message: String,
    },
    /// An answer pave could not read.
    #[error("{what}: unexpected answer: {message}")]
    Decode {
        /// The call.
        what: String,
        /// What was wrong with it.
        message: String,
    },
}

impl ApiError {
    /// The HTTP status behind the error, when there was one.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized => Some(401),
            Self::Forbidden { .. } | Self::RateLimited { .. } => Some(403),
            Self::NotFound { .. } => Some(404),
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A repository on GitHub: `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RepoId {
    /// The user or organisation.
    pub owner: String,
    /// The repository.
    pub name: String,
}

impl RepoId {
    /// The repository a git URL points at: its path's last two segments, without `.git`
    /// (`https://github.com/acme/api.git`, `git@github.com:acme/api`, `ssh://…/acme/api.git`).
    pub(crate) fn from_git_url(url: &str) -> Option<Self> {
        let shown = crate::url::redact(url);
        let path = match shown.split_once("://") {
            Some((_, rest)) => rest.split_once('/')?.1.to_string(),
            None => shown.split_once(':')?.1.to_string(),
        };
        let mut parts = path.trim_end_matches('/').rsplit('/');
        let name = parts.next()?.trim_end_matches(".git");
        let owner = parts.next()?;
        let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        (ok(owner) && ok(name)).then(|| Self { owner: owner.to_string(), name: name.to_string() })
    }
}

impl std::fmt::Display for RepoId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// The token from the environment, if any.
pub(crate) fn token_from_env() -> Option<String> {
    TOKEN_VARS.iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::RepoId;

    #[test]
    fn repositories_are_read_from_git_urls() {
        let id = |u: &str| RepoId::from_git_url(u).map(|r| r.to_string());
        assert_eq!(id("https://github.com/acme/api.git").as_deref(), Some("acme/api"));
        assert_eq!(id("https://x-access-token:s3cret@github.com/acme/api").as_deref(), Some("acme/api"));
        assert_eq!(id("git@github.com:acme/api.git").as_deref(), Some("acme/api"));
        assert_eq!(id("ssh://git@ghe.example.com/acme/api.git").as_deref(), Some("acme/api"));
        assert_eq!(id("http://127.0.0.1:8080/acme/api.git").as_deref(), Some("acme/api"));
        assert_eq!(id("https://github.com/api.git"), None);
        assert_eq!(id("/srv/repos/api.git"), None);
    }
}
