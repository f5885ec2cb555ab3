//! `pave fleet upgrade`: every repository of the fleet, a local checkout or a remote mirror,
//! goes through [`branch::upgrade`](super::branch) with the fleet's own policies (which
//! template, conflicts, the branch's name, compare-and-swap, push with a lease). One repository
//! failing never stops the others.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::Project;
use super::branch::{self, Job, Refs, Written, one_line};
pub(crate) use super::report::{Outcome, RepoOutcome, Timings, failed_in_report};
use crate::catalog::Catalog;
use crate::git::{Auth, Mirror, ProjectRepo, Pushed, TRACKING};
use crate::upgrade::Request;

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
    /// `-d`: answers for questions a new version adds.
    pub overrides: Vec<String>,
    /// Branch name; default `pave/TEMPLATE-VERSION`.
    pub branch: Option<String>,
    /// Plan only.
    pub dry_run: bool,
    /// Conflicts: skip or commit.
    pub on_conflict: OnConflict,
    /// Defaults that beat the templates' (the user config's `[answers]`).
    pub defaults: indexmap::IndexMap<String, serde_json::Value>,
    /// Push each branch written to the repository's remote.
    pub push: bool,
    /// Credentials for remotes.
    pub auth: Auth,
    /// Where remote repositories are mirrored.
    pub mirrors: PathBuf,
}

/// A repository of the fleet.
#[derive(Debug, Clone)]
pub(crate) enum Repo {
    /// A local checkout and the projects found in it.
    Local(Vec<Project>),
    /// A remote repository, upgraded in its mirror.
    Remote {
        /// Its URL as given (it may hold credentials: never shown).
        url: String,
        /// The branch to upgrade from (default: the remote's default branch).
        branch: Option<String>,
    },
}

impl Repo {
    /// The key shards hash: the repository's name.
    pub(crate) fn shard_key(&self) -> String {
        match self {
            Self::Local(projects) => projects.first().map(super::shard_key).unwrap_or_default(),
            Self::Remote { url, .. } => crate::url::repo_name(url),
        }
    }
}

/// The phases of a repository's upgrade, timed.
#[derive(Clone, Copy)]
pub(super) enum Phase {
    Fetch,
    Plan,
    Commit,
    Push,
}

/// The run's shared state: options, catalogs, digests of template versions (each computed once
/// per run), and where the time went.
pub(crate) struct Fleet<'a> {
    /// The options.
    pub opts: &'a FleetOptions,
    /// Loads (and caches) the catalog a project records.
    pub catalog_for: &'a (dyn Fn(Option<&str>) -> Result<Catalog, String> + Sync),
    digests: Mutex<HashMap<String, String>>,
    nanos: [AtomicU64; 4],
    /// `--open-prs`: the pull requests' side.
    pulls: Option<&'a super::pulls::Pulls<'a>>,
    /// Local checkouts recognised unchanged from their branches and the memo.
    recalled: AtomicU64,
}

impl<'a> Fleet<'a> {
    /// The run's state.
    pub(crate) fn new(
        opts: &'a FleetOptions,
        catalog_for: &'a (dyn Fn(Option<&str>) -> Result<Catalog, String> + Sync),
    ) -> Self {
        Self {
            opts,
            catalog_for,
            digests: Mutex::new(HashMap::new()),
            nanos: Default::default(),
            pulls: None,
            recalled: AtomicU64::new(0),
        }
    }

    /// Opens or updates a pull request for each branch pushed.
    pub(crate) fn with_pulls(mut self, pulls: &'a super::pulls::Pulls<'a>) -> Self {
        self.pulls = Some(pulls);
        self
    }

    /// Runs `f`, adding its time to `phase`.
    pub(super) fn timed<T>(&self, phase: Phase, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        let spent = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.nanos[phase as usize].fetch_add(spent, Ordering::Relaxed);
        out
    }

    /// How many local checkouts were recognised unchanged without opening them.
    pub(crate) fn recalled(&self) -> u64 {
        self.recalled.load(Ordering::Relaxed)
    }

    /// The time spent so far in each phase.
    pub(crate) fn timings(&self) -> Timings {
        #[allow(clippy::cast_precision_loss)] // seconds for a report
        let s = |p: Phase| self.nanos[p as usize].load(Ordering::Relaxed) as f64 / 1e9;
        Timings { fetch: s(Phase::Fetch), plan: s(Phase::Plan), commit: s(Phase::Commit), push: s(Phase::Push) }
    }

    /// The request every project's session gets.
    pub(super) fn request(&self) -> Request {
        Request {
            to: self.opts.to.clone(),
            fill: self.opts.overrides.clone(),
            defaults: self.opts.defaults.clone(),
            renders_many: true,
            ..Request::default()
        }
    }

    /// A digest of a template version's content, computed once per run.
    pub(super) fn version_digest(
        &self,
        catalog: &Catalog,
        name: &str,
        version: &semver::Version,
    ) -> Result<String, String> {
        let key = format!("{}\0{name}\0{version}", catalog.source);
        if let Some(d) = self.digests.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key) {
            return Ok(d.clone());
        }
        // The version's files are the ones the catalog already loaded (and caches) for rendering.
        let tv = catalog.entry(name).and_then(|entry| catalog.version(entry, version)).map_err(|e| one_line(&e))?;
        let manifest = catalog
            .store
            .read(&format!("templates/{name}/{version}/template.toml"))
            .map_err(|e| one_line(&e))?
            .unwrap_or_default();
        let d = crate::lint::digest(&manifest, &tv.files);
        self.digests.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key, d.clone());
        Ok(d)
    }

    /// Upgrades one repository: every project's row, in order. Never panics outward.
    pub(crate) fn upgrade_repo(&self, repo: &Repo) -> Vec<RepoOutcome> {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match repo {
            Repo::Local(projects) => self.local(projects),
            Repo::Remote { url, branch } => self.remote(url, branch.as_deref()),
        }));
        run.unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let (path, dir, url) = match repo {
                Repo::Local(p) => (p.first().map(|p| p.name.clone()).unwrap_or_default(), String::new(), None),
                Repo::Remote { url, .. } => (crate::url::repo_name(url), String::new(), Some(crate::url::redact(url))),
            };
            let mut row = RepoOutcome::new(path, dir, url);
            row.error = Some(format!("internal error (please report it): {what}"));
            vec![row]
        })
    }

    /// A local checkout: each project checked (dirty, detached...), then upgraded from HEAD.
    fn local(&self, projects: &[Project]) -> Vec<RepoOutcome> {
        // What the last run learned of this checkout, in its `.git` directory; recognised
        // unchanged from it when it can be, else the long way, which teaches it.
        let top = projects.first().map(|p| super::repo_key(&p.dir));
        let memo = top.as_ref().map(|top| super::memo::Memo::load(&top.join(".git")));
        if let (Some(top), Some(memo)) = (&top, &memo)
            && let Some(rows) = self.timed(Phase::Plan, || super::memo::recall(self, top, memo, projects))
        {
            self.recalled.fetch_add(1, Ordering::Relaxed);
            return rows;
        }
        let rows = self.local_long_way(projects, memo.as_ref());
        // A dry run writes nothing; the memo is only ever a shortcut (failing to keep it costs
        // the next run its speed, not its result).
        if let (Some(top), Some(memo)) = (&top, &memo)
            && !self.opts.dry_run
            && crate::fs::is_dir(&top.join(".git"))
        {
            let _ = memo.save();
        }
        rows
    }

    /// [`Self::local`] with libgit2: each project checked (dirty, detached...), then upgraded.
    fn local_long_way(&self, projects: &[Project], memo: Option<&super::memo::Memo>) -> Vec<RepoOutcome> {
        let mut rows: Vec<RepoOutcome> =
            projects.iter().map(|p| RepoOutcome::new(p.name.clone(), p.dir.display().to_string(), None)).collect();
        let mut jobs = Vec::new();
        let mut opened: Vec<(usize, ProjectRepo)> = Vec::new();
        let mut head = None;
        for (i, p) in projects.iter().enumerate() {
            match open_local(&p.dir) {
                Ok((repo, branch_head)) => {
                    jobs.push(Job { row: i, prefix: repo.project_prefix().to_string() });
                    opened.push((i, repo));
                    head.get_or_insert(branch_head);
                }
                Err(e) => rows[i].error = Some(e),
            }
        }
        // Uncommitted changes in a project's directory stop a branch from being written for it
        // (it would silently leave out work in progress); looked at only when one would be.
        let dirty = |row: usize| {
            let (_, repo) = opened.iter().find(|(r, _)| *r == row)?;
            match repo.precheck(false) {
                Ok(None) => None,
                Ok(Some(refusal)) => Some(refusal.explain(&projects[row].dir).0),
                Err(e) => Some(one_line(&e)),
            }
        };
        let (Some((_, repo)), Some((base, base_name))) = (opened.first(), head) else { return rows };
        let commits = repo.commits();
        let refs = Refs {
            commits: &commits,
            base: &base,
            base_name: &base_name,
            existing: "refs/heads/",
            write: "refs/heads/",
            refuse: &dirty,
            memo,
        };
        branch::upgrade(&refs, jobs, self, &mut rows);
        rows
    }

    /// A remote repository: its mirror locked, fetched, upgraded, and each branch pushed.
    fn remote(&self, url: &str, wanted: Option<&str>) -> Vec<RepoOutcome> {
        let name = crate::url::repo_name(url);
        let shown = crate::url::redact(url);
        let failed = |e: String| {
            let mut row = RepoOutcome::new(name.clone(), String::new(), Some(shown.clone()));
            row.error = Some(e);
            vec![row]
        };
        // One run at a time per mirror: the lock is held until `synced` is dropped.
        let synced =
            match self.timed(Phase::Fetch, || Mirror::sync(&self.opts.mirrors, url, self.opts.auth.clone(), wanted)) {
                Ok(s) => s,
                Err(e) => return failed(e.0),
            };
        let (mirror, fetched) = (&synced.mirror, &synced.fetched);
        let commits = mirror.commits();
        let dirs = match commits.dirs_with_file(&fetched.base, crate::project::FILE_NAME) {
            Ok(d) => d,
            Err(e) => return failed(one_line(&e)),
        };
        if dirs.is_empty() {
            let mut rows =
                failed(format!("no {} on {}: not a pave project", crate::project::FILE_NAME, fetched.branch));
            rows[0].outcome = Outcome::Skipped;
            return rows;
        }
        let mut rows: Vec<RepoOutcome> = dirs
            .iter()
            .map(|d| {
                let path = if d.is_empty() { name.clone() } else { format!("{name}/{}", d.trim_end_matches('/')) };
                RepoOutcome::new(path, String::new(), Some(shown.clone()))
            })
            .collect();
        let jobs = dirs.into_iter().enumerate().map(|(row, prefix)| Job { row, prefix }).collect();
        let refs = Refs {
            commits: &commits,
            base: &fetched.base,
            base_name: &fetched.branch,
            existing: TRACKING,
            write: "refs/heads/",
            refuse: &|_| None,
            memo: None,
        };
        let written = branch::upgrade(&refs, jobs, self, &mut rows);
        if !self.opts.push {
            return rows;
        }
        let id = crate::github::RepoId::from_git_url(url);
        for w in &written {
            let mut push_it = |rows: &mut [RepoOutcome]| self.timed(Phase::Push, || push(mirror, w, rows));
            match (self.pulls, &id) {
                (Some(pulls), Some(id)) => {
                    let b = super::pulls::Branch { repo: id, base: &fetched.branch, written: w };
                    super::pulls::publish(self, pulls, &commits, &b, &mut rows, &mut push_it);
                }
                (Some(_), None) => {
                    if w.changed {
                        push_it(&mut rows);
                    }
                    for r in &w.rows {
                        rows[*r].error = Some("no owner/name in the URL: no pull request opened".into());
                    }
                }
                (None, _) => {
                    if w.changed {
                        push_it(&mut rows);
                    }
                }
            }
        }
        rows
    }
}

/// Pushes one branch with its lease and records how it went; `true` when it landed.
fn push(mirror: &Mirror, w: &Written, rows: &mut [RepoOutcome]) -> bool {
    // A new branch or a fast-forward needs no force; anything else is a regenerated branch of
    // pave's own, forced only under the lease.
    let force = w.expected.is_some();
    let result = mirror.push(&w.branch, &w.tip, w.expected.as_deref(), force);
    for r in &w.rows {
        let row = &mut rows[*r];
        match &result {
            Ok(Pushed::Done) => {}
            Ok(Pushed::Raced) => {
                row.outcome = Outcome::Raced;
                row.error = Some(format!(
                    "{} moved on the remote since it was fetched: nothing overwritten; run again",
                    w.branch
                ));
            }
            Ok(Pushed::Rejected(why)) => {
                row.outcome = Outcome::Failed;
                row.error = Some(format!("push of {} rejected: {why}", w.branch));
            }
            Err(e) => {
                row.outcome = Outcome::Failed;
                row.error = Some(format!("push of {} failed: {}", w.branch, e.0));
            }
        }
    }
    matches!(result, Ok(Pushed::Done))
}

/// Opens a local project's repository and refuses what the fleet cannot upgrade.
fn open_local(dir: &Path) -> Result<(ProjectRepo, (String, String)), String> {
    let repo = match ProjectRepo::open(dir).map_err(|e| one_line(&e))? {
        Ok(r) => r,
        Err(refusal) => return Err(refusal.explain(dir).0),
    };
    let head = repo.fleet_head().map_err(|e| one_line(&e))??;
    // A merge in progress, a locked index: refused now. Uncommitted changes: when writing.
    if let Some(refusal) = repo.precheck(true).map_err(|e| one_line(&e))? {
        return Err(refusal.explain(dir).0);
    }
    Ok((repo, head))
}
