//! The endpoints pave calls, one function each, named as GitHub's reference names them.

use serde::Serialize;

use super::http::Method;
use super::types::{CheckRun, CheckRuns, PullRequest, Repository, Tree};
use super::{ApiError, Client, RepoId};

/// `POST /repos/{owner}/{repo}/pulls`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NewPull {
    /// Its title.
    pub title: String,
    /// The branch (in the same repository).
    pub head: String,
    /// The branch to merge into.
    pub base: String,
    /// Its description.
    pub body: String,
    /// Opened as a draft.
    pub draft: bool,
}

/// `PATCH /repos/{owner}/{repo}/pulls/{pull_number}`: only the fields set are sent.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct PullUpdate {
    /// A new title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A new description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// `closed` to close it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// A path segment or query value, percent-encoded (a branch name holds `/`).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn repo_path(repo: &RepoId) -> String {
    format!("/repos/{}/{}", enc(&repo.owner), enc(&repo.name))
}

impl Client {
    /// `GET /orgs/{org}/repos`: every repository of the organisation, all pages.
    pub(crate) fn org_repos(&self, org: &str) -> Result<Vec<Repository>, ApiError> {
        self.get_pages(&format!("/orgs/{}/repos?type=all&per_page=100", enc(org)))
    }

    /// `GET /repos/{owner}/{repo}/git/trees/{branch}?recursive=1`: the directories holding
    /// `file_name` on `branch` (`""` for the root, else ending in `/`). `None` for an empty
    /// repository; the flag says GitHub truncated the tree (a very large repository).
    pub(crate) fn dirs_with_file(
        &self,
        repo: &RepoId,
        branch: &str,
        file_name: &str,
    ) -> Result<Option<(Vec<String>, bool)>, ApiError> {
        let path = format!("{}/git/trees/{}?recursive=1", repo_path(repo), enc(branch));
        let Some(tree) = self.get_or::<Tree>(&path, &[404, 409])? else { return Ok(None) };
        let dirs = tree
            .tree
            .iter()
            .filter(|e| e.kind == "blob")
            .filter_map(|e| match e.path.rsplit_once('/') {
                Some((dir, name)) if name == file_name => Some(format!("{dir}/")),
                None if e.path == file_name => Some(String::new()),
                _ => None,
            })
            .collect();
        Ok(Some((dirs, tree.truncated)))
    }

    /// `GET /repos/{owner}/{repo}/pulls?state=open`: the open pull requests, all pages.
    pub(crate) fn open_pulls(&self, repo: &RepoId) -> Result<Vec<PullRequest>, ApiError> {
        self.get_pages(&format!("{}/pulls?state=open&per_page=100", repo_path(repo)))
    }

    /// `GET /repos/{owner}/{repo}/pulls?head=OWNER:BRANCH&state=…`: the pull requests of a
    /// branch of the repository itself, newest first.
    pub(crate) fn branch_pulls(&self, repo: &RepoId, branch: &str, state: &str) -> Result<Vec<PullRequest>, ApiError> {
        let head = enc(&format!("{}:{branch}", repo.owner));
        self.get_pages(&format!("{}/pulls?state={state}&head={head}&per_page=100", repo_path(repo)))
    }

    /// `POST /repos/{owner}/{repo}/pulls`.
    pub(crate) fn create_pull(&self, repo: &RepoId, pull: &NewPull) -> Result<PullRequest, ApiError> {
        self.write(Method::Post, &format!("{}/pulls", repo_path(repo)), &json(pull))
    }

    /// `PATCH /repos/{owner}/{repo}/pulls/{pull_number}`.
    pub(crate) fn update_pull(&self, repo: &RepoId, number: u64, update: &PullUpdate) -> Result<PullRequest, ApiError> {
        self.write(Method::Patch, &format!("{}/pulls/{number}", repo_path(repo)), &json(update))
    }

    /// `POST /repos/{owner}/{repo}/issues/{issue_number}/labels`.
    pub(crate) fn add_labels(&self, repo: &RepoId, number: u64, labels: &[String]) -> Result<(), ApiError> {
        let body = serde_json::json!({ "labels": labels });
        self.write::<serde_json::Value>(Method::Post, &format!("{}/issues/{number}/labels", repo_path(repo)), &body)
            .map(drop)
    }

    /// `POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers` with teams.
    pub(crate) fn request_teams(&self, repo: &RepoId, number: u64, teams: &[String]) -> Result<(), ApiError> {
        let body = serde_json::json!({ "team_reviewers": teams });
        self.write::<serde_json::Value>(
            Method::Post,
            &format!("{}/pulls/{number}/requested_reviewers", repo_path(repo)),
            &body,
        )
        .map(drop)
    }

    /// `POST /repos/{owner}/{repo}/issues/{issue_number}/comments`.
    pub(crate) fn comment(&self, repo: &RepoId, number: u64, body: &str) -> Result<(), ApiError> {
        let body = serde_json::json!({ "body": body });
        self.write::<serde_json::Value>(Method::Post, &format!("{}/issues/{number}/comments", repo_path(repo)), &body)
            .map(drop)
    }

    /// `GET /repos/{owner}/{repo}/commits/{ref}/check-runs`: the check runs of a commit.
    pub(crate) fn check_runs(&self, repo: &RepoId, sha: &str) -> Result<Vec<CheckRun>, ApiError> {
        let runs: CheckRuns = self.get(&format!("{}/commits/{}/check-runs?per_page=100", repo_path(repo), enc(sha)))?;
        Ok(runs.check_runs)
    }
}

fn json(v: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::enc;

    #[test]
    fn branch_names_are_encoded() {
        assert_eq!(enc("acme:pave/app-2.0.0"), "acme%3Apave%2Fapp-2.0.0");
    }
}
