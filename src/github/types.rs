//! The parts of GitHub's objects pave reads; every other field is ignored.

use serde::Deserialize;

/// A user or organisation, as GitHub nests it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Account {
    /// Its login.
    pub login: String,
}

/// A repository (`GET /orgs/{org}/repos`, `GET /repos/{owner}/{repo}`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Repository {
    /// The repository's name.
    pub name: String,
    /// Its owner.
    pub owner: Account,
    /// Read-only for good.
    #[serde(default)]
    pub archived: bool,
    /// A fork of another repository.
    #[serde(default)]
    pub fork: bool,
    /// Its topics.
    #[serde(default)]
    pub topics: Vec<String>,
    /// The default branch.
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Its https clone URL.
    pub clone_url: String,
}

/// A branch end of a pull request.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Head {
    /// The branch.
    #[serde(rename = "ref")]
    pub name: String,
    /// Its commit.
    pub sha: String,
    /// The repository holding the branch (`None` when it was deleted).
    #[serde(default)]
    pub repo: Option<RepoName>,
}

/// A repository as a pull request's ends name it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RepoName {
    /// `owner/name`.
    pub full_name: String,
}

/// A label.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Label {
    /// Its name.
    pub name: String,
}

/// A pull request, as the list and the single endpoints give it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PullRequest {
    /// Its number.
    pub number: u64,
    /// Its page.
    pub html_url: String,
    /// `open` or `closed`.
    pub state: String,
    /// A draft.
    #[serde(default)]
    pub draft: Option<bool>,
    /// When it was merged.
    #[serde(default)]
    pub merged_at: Option<String>,
    /// When it was opened.
    pub created_at: String,
    /// When it was closed (merged or not).
    #[serde(default)]
    pub closed_at: Option<String>,
    /// Its title.
    pub title: String,
    /// Its description.
    #[serde(default)]
    pub body: Option<String>,
    /// The branch it merges.
    pub head: Head,
    /// Who opened it.
    #[serde(default)]
    pub user: Option<Account>,
    /// Its labels.
    #[serde(default)]
    pub labels: Vec<Label>,
}

/// Where a pull request stands, as SPEC.md's reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PullState {
    /// Open, ready for review.
    Open,
    /// Open as a draft.
    Draft,
    /// Merged.
    Merged,
    /// Closed without merging.
    Closed,
}

impl PullState {
    /// The word in reports.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Draft => "draft",
            Self::Merged => "merged",
            Self::Closed => "closed",
        }
    }
}

impl PullRequest {
    /// Its state: open, draft, merged or closed.
    pub(crate) fn pull_state(&self) -> PullState {
        if self.merged_at.is_some() {
            PullState::Merged
        } else if self.state == "closed" {
            PullState::Closed
        } else if self.draft == Some(true) {
            PullState::Draft
        } else {
            PullState::Open
        }
    }

    /// Whether it is still open (draft or not).
    pub(crate) fn is_open(&self) -> bool {
        self.state == "open"
    }

    /// Whether it merges `branch` of `repo` itself (not a fork's branch of the same name).
    pub(crate) fn is_from(&self, repo: &super::RepoId, branch: &str) -> bool {
        self.head.name == branch
            && self.head.repo.as_ref().is_some_and(|r| r.full_name.eq_ignore_ascii_case(&repo.to_string()))
    }
}

/// One check run of a commit.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CheckRun {
    /// `queued`, `in_progress`, `completed`…
    pub status: String,
    /// `success`, `failure`, `neutral`, `cancelled`, `skipped`, `timed_out`, `action_required`…
    #[serde(default)]
    pub conclusion: Option<String>,
}

/// `GET …/check-runs`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct CheckRuns {
    pub check_runs: Vec<CheckRun>,
}

/// One entry of a git tree.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct TreeEntry {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `GET …/git/trees/{sha}?recursive=1`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Tree {
    pub tree: Vec<TreeEntry>,
    #[serde(default)]
    pub truncated: bool,
}
