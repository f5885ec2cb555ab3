//! `--github-org`: the repositories of an organisation that use pave, found through the API
//! (one listing, then one tree per repository) without cloning any of them.

use rayon::prelude::*;

use super::RemoteLine;
use crate::github::{ApiError, Client, RepoId};

/// Which repositories of the organisation to take.
#[derive(Debug, Clone)]
pub(crate) struct OrgQuery<'a> {
    /// The organisation.
    pub org: &'a str,
    /// Only those with this topic.
    pub topic: Option<&'a str>,
    /// Archived ones too.
    pub include_archived: bool,
    /// Forks too.
    pub include_forks: bool,
}

/// What the listing found.
#[derive(Debug, Default)]
pub(crate) struct OrgListing {
    /// The repositories that use pave (or could not be looked into), as `--repos-from` lines.
    pub repos: Vec<RemoteLine>,
    /// Repositories in the organisation.
    pub listed: usize,
    /// Skipped: archived, forks, without the topic, without a `.pave.toml`.
    pub archived: usize,
    /// Skipped forks.
    pub forks: usize,
    /// Skipped for their topics.
    pub off_topic: usize,
    /// Without a `.pave.toml` on their default branch (or empty).
    pub without_pave: usize,
}

impl OrgListing {
    /// One line for the terminal: what was listed and what was skipped.
    pub(crate) fn describe(&self, org: &str) -> String {
        let noun = if self.listed == 1 { "repository" } else { "repositories" };
        let mut parts = vec![format!("{org}: {} {noun}, {} use pave", self.listed, self.repos.len())];
        for (n, what) in [(self.archived, "archived"), (self.forks, "forks"), (self.off_topic, "without the topic")] {
            if n > 0 {
                parts.push(format!("{n} {what} skipped"));
            }
        }
        parts.join(" · ")
    }
}

/// Lists the organisation's repositories and keeps those that use pave.
pub(crate) fn list(client: &Client, q: &OrgQuery<'_>) -> Result<OrgListing, ApiError> {
    let all = client.org_repos(q.org)?;
    let mut listing = OrgListing { listed: all.len(), ..OrgListing::default() };
    let mut kept = Vec::new();
    for repo in all {
        if repo.archived && !q.include_archived {
            listing.archived += 1;
        } else if repo.fork && !q.include_forks {
            listing.forks += 1;
        } else if q.topic.is_some_and(|t| !repo.topics.iter().any(|have| have == t)) {
            listing.off_topic += 1;
        } else {
            kept.push(repo);
        }
    }
    let looked: Vec<Result<Option<RemoteLine>, ApiError>> = kept
        .par_iter()
        .map(|repo| {
            let id = RepoId { owner: repo.owner.login.clone(), name: repo.name.clone() };
            let Some(branch) = repo.default_branch.as_deref() else { return Ok(None) };
            match client.dirs_with_file(&id, branch, crate::project::FILE_NAME) {
                Ok(Some((dirs, truncated))) if !dirs.is_empty() || truncated => {
                    Ok(Some((repo.clone_url.clone(), None)))
                }
                Ok(_) => Ok(None),
                // The token cannot be used at all: no point going on.
                Err(e @ (ApiError::Unauthorized | ApiError::RateLimited { .. })) => Err(e),
                // Could not look: the mirror will tell.
                Err(_) => Ok(Some((repo.clone_url.clone(), None))),
            }
        })
        .collect();
    for found in looked {
        match found? {
            Some(line) => listing.repos.push(line),
            None => listing.without_pave += 1,
        }
    }
    listing.repos.sort();
    Ok(listing)
}
