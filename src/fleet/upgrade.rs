//! `pave fleet upgrade`: each project's [`Session`], committed onto a branch straight into its
//! repository's object database, with the fleet's own policies (which template, conflicts,
//! the branch's name, compare-and-swap on it). One project failing never stops the others.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Project;
use crate::answers::NoPrompt;
use crate::catalog::Catalog;
use crate::git::{BranchWrite, ProjectRepo};
use crate::project::{FILE_NAME, ProjectFile};
use crate::upgrade::{CommitTree, Request, Session};

/// What `--on-conflict` does with a conflicted project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum OnConflict {
    /// No branch: the project is reported for a human.
    #[default]
    Skip,
    /// Commit with the markers on the branch, flagged in the report.
    Commit,
}

/// The fleet-wide choices.
#[derive(Debug, Clone, Default)]
pub(crate) struct FleetOptions {
    /// Only projects of this template.
    pub template: Option<String>,
    /// `--to`.
    pub to: Option<String>,
    /// `-d`.
    pub overrides: Vec<String>,
    /// Branch name; default `pave/TEMPLATE-VERSION`.
    pub branch: Option<String>,
    /// Plan only.
    pub dry_run: bool,
    /// Conflicts: skip or commit.
    pub on_conflict: OnConflict,
    /// Defaults that beat the templates' (the user config's `[answers]`).
    pub defaults: indexmap::IndexMap<String, serde_json::Value>,
}

/// How one project ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Outcome {
    /// A branch holds the upgrade.
    Upgraded,
    /// `--dry-run`: it would be upgraded.
    WouldUpgrade,
    /// Already on the target.
    Current,
    /// Conflicts: no branch (`--on-conflict skip`).
    Conflict,
    /// Conflicts committed with markers (`--on-conflict commit`).
    ConflictCommitted,
    /// Not this run's business (another template, or the branch exists with other commits).
    Skipped,
    /// Could not be upgraded.
    Failed,
}

/// One project's line in the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RepoOutcome {
    /// The project.
    pub path: String,
    /// Its directory, for `--only-failed`.
    #[serde(default)]
    pub dir: String,
    /// The template.
    pub template: String,
    /// Recorded version.
    pub from: String,
    /// Target version.
    pub to: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The branch written.
    pub branch: Option<String>,
    /// The commit on it.
    pub commit: Option<String>,
    /// Files the upgrade changes.
    pub files_changed: usize,
    /// Conflicted paths.
    pub conflicts: Vec<String>,
    /// Why it failed or was skipped.
    pub error: Option<String>,
}

impl RepoOutcome {
    fn new(project: &Project) -> Self {
        Self {
            path: project.name.clone(),
            dir: project.dir.display().to_string(),
            template: String::new(),
            from: String::new(),
            to: String::new(),
            outcome: Outcome::Failed,
            branch: None,
            commit: None,
            files_changed: 0,
            conflicts: Vec::new(),
            error: None,
        }
    }
}

/// Upgrades the projects of one repository in order; each commit goes on top of the branch
/// the previous one wrote.
pub(crate) fn upgrade_group<E: std::fmt::Display>(
    group: &[Project],
    opts: &FleetOptions,
    catalog_for: &(dyn Fn(Option<&str>) -> Result<Catalog, E> + Sync),
    on_done: &(dyn Fn(&RepoOutcome) + Sync),
) -> Vec<RepoOutcome> {
    let mut written: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::with_capacity(group.len());
    for project in group {
        let o = upgrade_one(project, opts, catalog_for, &mut written);
        on_done(&o);
        out.push(o);
    }
    out
}

/// Upgrades one project onto a branch. Never panics outward, never touches the working tree.
/// `written` maps branch names to the commits this run already put on them in this repository.
fn upgrade_one<E: std::fmt::Display>(
    project: &Project,
    opts: &FleetOptions,
    catalog_for: &(dyn Fn(Option<&str>) -> Result<Catalog, E> + Sync),
    written: &mut BTreeMap<String, String>,
) -> RepoOutcome {
    let mut out = RepoOutcome::new(project);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        upgrade_inner(project, opts, catalog_for, written, &mut out)
    }));
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            out.outcome = Outcome::Failed;
            out.error = Some(e);
        }
        Err(panic) => {
            out.outcome = Outcome::Failed;
            let what = panic
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned());
            out.error = Some(format!("internal error (please report it): {}", what.unwrap_or_default()));
        }
    }
    out
}

/// An error as one line for reports.
fn one_line(e: &impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

fn upgrade_inner<E: std::fmt::Display>(
    project: &Project,
    opts: &FleetOptions,
    catalog_for: &(dyn Fn(Option<&str>) -> Result<Catalog, E> + Sync),
    written: &mut BTreeMap<String, String>,
    out: &mut RepoOutcome,
) -> Result<(), String> {
    let repo = match ProjectRepo::open(&project.dir).map_err(|e| one_line(&e))? {
        Ok(r) => r,
        Err(refusal) => return Err(refusal.explain(&project.dir).0),
    };
    if let Some(reason) = repo.fleet_precheck().map_err(|e| one_line(&e))? {
        return Err(reason);
    }
    if let Some(refusal) = repo.precheck(false).map_err(|e| one_line(&e))? {
        return Err(refusal.explain(&project.dir).0);
    }
    let text = match repo.head_file(FILE_NAME).map_err(|e| one_line(&e))? {
        Some(f) => String::from_utf8_lossy(f.bytes()).into_owned(),
        None => return Err(format!("{FILE_NAME} is not committed on {}", repo.head_branch().unwrap_or_default())),
    };
    let file = ProjectFile::parse(&format!("{}/{FILE_NAME}", project.name), &text).map_err(|e| one_line(&e))?;
    out.template.clone_from(&file.template.name);
    out.from = file.template.version.to_string();
    if opts.template.as_ref().is_some_and(|t| t != &file.template.name) {
        out.outcome = Outcome::Skipped;
        out.error = Some("another template".into());
        return Ok(());
    }
    let catalog = catalog_for(file.template.catalog.as_deref()).map_err(|e| one_line(&e))?;
    let req = Request {
        to: opts.to.clone(),
        fill: opts.overrides.clone(),
        defaults: opts.defaults.clone(),
        ..Request::default()
    };
    let session =
        Session::open(file, &catalog, &CommitTree { repo: &repo }, &req, &mut NoPrompt).map_err(|e| with_hint(&e))?;
    out.to = session.versions().1.to_string();
    if session.current().is_some() || session.is_noop() {
        out.outcome = Outcome::Current;
        return Ok(());
    }
    out.files_changed = session.plan().changes().count();
    out.conflicts = session.conflicts().iter().map(|f| f.path.clone()).collect();
    if !out.conflicts.is_empty() && opts.on_conflict == OnConflict::Skip {
        out.outcome = Outcome::Conflict;
        return Ok(());
    }
    let branch = opts.branch.clone().unwrap_or_else(|| format!("pave/{}-{}", session.template(), out.to));
    out.branch = Some(branch.clone());
    if opts.dry_run {
        out.outcome = Outcome::WouldUpgrade;
        return Ok(());
    }
    let place = repo.project_prefix();
    let message = session.commit_message(Some(place.trim_end_matches('/')));
    let changes = crate::upgrade::tree_changes(&session.effects());
    let previous = written.get(&branch).cloned();
    let (commit, write) =
        repo.commit_to_branch(&changes, &message, &branch, previous.as_deref()).map_err(|e| one_line(&e))?;
    match write {
        BranchWrite::Created(_) | BranchWrite::Updated(_) => {
            written.insert(branch.clone(), commit.clone());
            out.commit = Some(commit);
            out.outcome = if out.conflicts.is_empty() { Outcome::Upgraded } else { Outcome::ConflictCommitted };
        }
        BranchWrite::Exists => {
            out.outcome = Outcome::Skipped;
            out.error = Some(format!("branch {branch} already exists with commits that are not pave's: left alone"));
        }
    }
    Ok(())
}

/// An upgrade error as one line, with its hint.
fn with_hint(e: &crate::upgrade::UpgradeError) -> String {
    let hint = match e {
        crate::upgrade::UpgradeError::Refused { hint, .. } => Some(hint.clone()),
        crate::upgrade::UpgradeError::Catalog(c) => c.hint(),
        crate::upgrade::UpgradeError::Answer(a) => a.hint(),
        _ => None,
    };
    match hint {
        Some(h) => format!("{} ({h})", one_line(e)),
        None => one_line(e),
    }
}

/// The projects a previous report says failed.
pub(crate) fn failed_in_report(text: &str) -> Result<Vec<Project>, String> {
    #[derive(Deserialize)]
    struct Report {
        projects: Vec<RepoOutcome>,
    }
    let report: Report =
        serde_json::from_str(text).map_err(|e| format!("--only-failed: not a JSON fleet report: {e}"))?;
    Ok(report
        .projects
        .into_iter()
        .filter(|p| p.outcome == Outcome::Failed)
        .map(|p| Project { dir: PathBuf::from(if p.dir.is_empty() { &p.path } else { &p.dir }), name: p.path })
        .collect())
}
