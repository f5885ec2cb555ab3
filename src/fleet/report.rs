//! What a fleet upgrade reports: one outcome per project, the time spent, and the failures an
//! earlier report names for `--only-failed`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Project;
use super::upgrade::Repo;

/// How one project ended (SPEC.md, "Fleets on remotes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Outcome {
    /// A new branch holds the upgrade.
    Upgraded,
    /// pave's branch was rebuilt on the moved default branch.
    Regenerated,
    /// pave's branch already holds exactly this upgrade: nothing written.
    Unchanged,
    /// Already on the target version.
    UpToDate,
    /// Someone else's commit is on the branch: left alone.
    Edited,
    /// The branch was merged into the default branch.
    Merged,
    /// A branch of a newer release exists: nothing written.
    Superseded,
    /// The branch moved under pave's feet (the lease failed): nothing overwritten.
    Raced,
    /// `--max-open-prs` is reached for the template: nothing pushed, a later run opens it.
    Waiting,
    /// Conflicts: no branch, or (with `--on-conflict commit`) a branch with the markers.
    Conflict,
    /// `--dry-run`: it would be upgraded.
    WouldUpgrade,
    /// Not this run's business (another template).
    Skipped,
    /// Could not be upgraded.
    Failed,
}

impl Outcome {
    /// The word in summaries and reports.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Upgraded => "upgraded",
            Self::Regenerated => "regenerated",
            Self::Unchanged => "unchanged",
            Self::UpToDate => "up-to-date",
            Self::Edited => "edited",
            Self::Merged => "merged",
            Self::Superseded => "superseded",
            Self::Raced => "raced",
            Self::Waiting => "waiting",
            Self::Conflict => "conflict",
            Self::WouldUpgrade => "would-upgrade",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }

    /// Every outcome, in the order summaries list them.
    pub(crate) const ALL: [Self; 13] = [
        Self::Upgraded,
        Self::Regenerated,
        Self::WouldUpgrade,
        Self::Unchanged,
        Self::UpToDate,
        Self::Merged,
        Self::Edited,
        Self::Superseded,
        Self::Waiting,
        Self::Conflict,
        Self::Raced,
        Self::Skipped,
        Self::Failed,
    ];
}

/// One project's line in the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RepoOutcome {
    /// The project.
    pub path: String,
    /// Its directory (local checkouts), for `--only-failed`.
    #[serde(default)]
    pub dir: String,
    /// The repository's URL, without credentials (remote repositories).
    #[serde(default)]
    pub repo: Option<String>,
    /// The template.
    pub template: String,
    /// Recorded version.
    pub from: String,
    /// Target version.
    pub to: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The branch written or found.
    pub branch: Option<String>,
    /// The commit on it.
    pub commit: Option<String>,
    /// Files the upgrade changes.
    pub files_changed: usize,
    /// Conflicted paths.
    pub conflicts: Vec<String>,
    /// Older pave branches of the template that this one replaces.
    #[serde(default)]
    pub superseded: Vec<String>,
    /// The pull request of its branch (`--open-prs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr: Option<PrRef>,
    /// Why it failed or was skipped, or what else happened to it.
    pub error: Option<String>,
}

/// A pull request in a report (SPEC.md: number, url, state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PrRef {
    /// Its number.
    pub number: u64,
    /// Its page.
    pub url: String,
    /// open, draft, merged or closed.
    pub state: crate::github::PullState,
}

impl RepoOutcome {
    pub(super) fn new(path: String, dir: String, repo: Option<String>) -> Self {
        Self {
            path,
            dir,
            repo,
            template: String::new(),
            from: String::new(),
            to: String::new(),
            outcome: Outcome::Failed,
            branch: None,
            commit: None,
            files_changed: 0,
            conflicts: Vec::new(),
            superseded: Vec::new(),
            pr: None,
            error: None,
        }
    }
}

/// Where a run's time went, summed over repositories: the report's `summary.timings`.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Timings {
    /// Opening, locking and fetching mirrors, in seconds.
    pub fetch: f64,
    /// Reading records, rendering and planning.
    pub plan: f64,
    /// Writing commits and moving branches.
    pub commit: f64,
    /// Pushing branches (with their leases).
    pub push: f64,
}

/// The repositories a previous report says failed or raced.
pub(crate) fn failed_in_report(text: &str) -> Result<Vec<Repo>, String> {
    #[derive(Deserialize)]
    struct Report {
        projects: Vec<RepoOutcome>,
    }
    let report: Report =
        serde_json::from_str(text).map_err(|e| format!("--only-failed: not a JSON fleet report: {e}"))?;
    let mut remotes: Vec<String> = Vec::new();
    let mut locals: Vec<Project> = Vec::new();
    for p in report.projects.into_iter().filter(|p| matches!(p.outcome, Outcome::Failed | Outcome::Raced)) {
        match p.repo {
            Some(url) if !remotes.contains(&url) => remotes.push(url),
            Some(_) => {}
            None => locals
                .push(Project { dir: PathBuf::from(if p.dir.is_empty() { &p.path } else { &p.dir }), name: p.path }),
        }
    }
    let mut repos: Vec<Repo> = super::group_by_repo(locals).into_iter().map(Repo::Local).collect();
    repos.extend(remotes.into_iter().map(|url| Repo::Remote { url, branch: None }));
    Ok(repos)
}
