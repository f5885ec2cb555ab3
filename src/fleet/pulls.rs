//! `--open-prs`: after a repository's branches are written, each gets its pull request on
//! GitHub: opened (a draft when conflict markers are committed), kept true to the branch,
//! labelled, with the owning team asked for review, and the pull requests of older releases of
//! the template closed with a link to it. `--max-open-prs` leaves the rest waiting, unpushed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::branch::Written;
use super::pr_body::{self, MARKER, ProjectPart, PullContent};
use super::report::PrRef;
use super::upgrade::{Fleet, Outcome, RepoOutcome};
use crate::git::Commits;
use crate::github::{ApiError, Client, NewPull, PullRequest, PullUpdate, RepoId};

/// The run's pull-request state: the client, the open pull requests already listed, and the
/// slots `--max-open-prs` leaves per template.
pub(crate) struct Pulls<'a> {
    client: &'a Client,
    max_open: Option<usize>,
    listed: Mutex<HashMap<RepoId, Vec<PullRequest>>>,
    /// Per template: open pave pull requests (listed, plus opened by this run).
    open_count: Mutex<HashMap<String, usize>>,
    /// Pull requests this run opened, updated (title, body or labels) and closed.
    opened: AtomicUsize,
    updated: AtomicUsize,
    closed: AtomicUsize,
}

/// What a run did to pull requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Opened.
    pub opened: usize,
    /// Brought in line with their branch.
    pub updated: usize,
    /// Closed as superseded.
    pub closed: usize,
}

/// What a repository's step needs to know of its branch.
pub(super) struct Branch<'r> {
    /// The repository on GitHub.
    pub repo: &'r RepoId,
    /// The default branch, the pull requests' base.
    pub base: &'r str,
    /// The branch as written.
    pub written: &'r Written,
}

impl<'a> Pulls<'a> {
    /// The state for a run; `max_open` is `--max-open-prs`.
    pub(crate) fn new(client: &'a Client, max_open: Option<usize>) -> Self {
        Self {
            client,
            max_open,
            listed: Mutex::new(HashMap::new()),
            open_count: Mutex::new(HashMap::new()),
            opened: AtomicUsize::new(0),
            updated: AtomicUsize::new(0),
            closed: AtomicUsize::new(0),
        }
    }

    /// What this run did to pull requests so far.
    pub(crate) fn tally(&self) -> Tally {
        let n = |c: &AtomicUsize| c.load(Ordering::Relaxed);
        Tally { opened: n(&self.opened), updated: n(&self.updated), closed: n(&self.closed) }
    }

    /// With `--max-open-prs`: lists the open pull requests of every repository first (the one
    /// call each would make anyway), to count pave's per template before any is opened.
    pub(crate) fn survey(&self, repos: &[RepoId]) {
        if self.max_open.is_none() {
            return;
        }
        let listed: Vec<(RepoId, Vec<PullRequest>)> =
            repos.par_iter().filter_map(|id| Some((id.clone(), self.client.open_pulls(id).ok()?))).collect();
        let mut counts = lock(&self.open_count);
        for (id, pulls) in &listed {
            for p in pulls.iter().filter(|p| p.is_from(id, &p.head.name)) {
                if let Some((template, _)) = pave_branch(&p.head.name) {
                    *counts.entry(template).or_default() += 1;
                }
            }
        }
        drop(counts);
        lock(&self.listed).extend(listed);
    }

    /// The open pull requests of a repository: listed by [`Pulls::survey`], or now.
    fn open_pulls(&self, repo: &RepoId) -> Result<Vec<PullRequest>, ApiError> {
        if let Some(p) = lock(&self.listed).remove(repo) {
            return Ok(p);
        }
        self.client.open_pulls(repo)
    }

    /// Takes a slot for a new pull request of `template`; `false` when the cap is reached.
    fn claim(&self, template: &str) -> bool {
        let Some(max) = self.max_open else { return true };
        let mut counts = lock(&self.open_count);
        let n = counts.entry(template.to_string()).or_default();
        if *n >= max {
            return false;
        }
        *n += 1;
        true
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `pave/NAME-VERSION` → (NAME, VERSION).
pub(crate) fn pave_branch(branch: &str) -> Option<(String, semver::Version)> {
    let rest = branch.strip_prefix("pave/")?;
    rest.match_indices('-').find_map(|(i, _)| {
        let v = semver::Version::parse(&rest[i + 1..]).ok()?;
        Some((rest[..i].to_string(), v))
    })
}

/// What to do with the branch, decided before it is pushed.
enum Plan {
    /// Push (when changed), then open or update the pull request.
    Go(Option<PullRequest>),
    /// Not now: nothing pushed.
    Hold(Outcome, Option<PullRequest>, String),
}

/// Runs the step for one branch: decides, pushes with `push` (which records its outcome in the
/// rows and says whether it landed), then opens or updates the pull request.
pub(super) fn publish(
    fleet: &Fleet<'_>,
    pulls: &Pulls<'_>,
    commits: &Commits<'_>,
    b: &Branch<'_>,
    rows: &mut [RepoOutcome],
    push: &mut dyn FnMut(&mut [RepoOutcome]) -> bool,
) {
    let w = b.written;
    let Some(first) = w.rows.first().map(|r| rows[*r].clone()) else { return };
    let set = |rows: &mut [RepoOutcome], f: &dyn Fn(&mut RepoOutcome)| {
        for r in &w.rows {
            f(&mut rows[*r]);
        }
    };
    let fail = |rows: &mut [RepoOutcome], e: &ApiError| {
        set(rows, &|row| {
            row.outcome = Outcome::Failed;
            row.error = Some(format!("pull request for {}: {e}", w.branch));
        });
    };
    let open = match pulls.open_pulls(b.repo) {
        Ok(o) => o,
        Err(e) => return fail(rows, &e),
    };
    let plan = match decide(pulls, b, &first.template, &open) {
        Ok(p) => p,
        Err(e) => return fail(rows, &e),
    };
    let ours = match plan {
        Plan::Hold(outcome, pr, why) => {
            let pr = pr.as_ref().map(pr_ref);
            return set(rows, &|row| {
                if outcome != Outcome::Unchanged {
                    row.outcome = outcome;
                }
                row.pr.clone_from(&pr);
                row.error = Some(why.clone());
            });
        }
        Plan::Go(ours) => ours,
    };
    if w.changed && !push(rows) {
        return; // the push's outcome (raced, rejected) is in the rows
    }
    let result = match ours {
        // The body is made from the branch: an unchanged branch has the body its pull request
        // already shows, so nothing is rendered or checked again (only labels are looked at).
        Some(pr) if pr.body.as_deref().is_some_and(|body| body.starts_with(MARKER)) => {
            let content = w.changed.then(|| content(fleet, commits, b, rows));
            update(pulls, b, &first.template, pr, content.as_ref())
        }
        Some(pr) => {
            let who = pr.user.as_ref().map_or_else(|| "someone".to_string(), |u| format!("@{}", u.login));
            let note =
                format!("pull request #{} was opened by {who}: its title and description are left alone", pr.number);
            set(rows, &|row| row.error = Some(note.clone()));
            Ok(pr)
        }
        None => {
            let content = content(fleet, commits, b, rows);
            create(pulls.client, commits, b, &first.template, &content).inspect(|_| {
                pulls.opened.fetch_add(1, Ordering::Relaxed);
            })
        }
    };
    let pr = match result {
        Ok(pr) => pr,
        Err(e) => return fail(rows, &e),
    };
    let superseded = close_older(pulls, b, &first.template, &first.to, &open, &pr);
    let r = pr_ref(&pr);
    set(rows, &|row| {
        row.pr = Some(r.clone());
        if let Err(e) = &superseded {
            row.error = Some(format!("could not close an older pull request: {e}"));
        }
    });
}

/// Whether to go on, before anything is pushed: a pull request closed by someone stays closed
/// (and its branch is not pushed again); a new one waits when the cap is reached.
fn decide(pulls: &Pulls<'_>, b: &Branch<'_>, template: &str, open: &[PullRequest]) -> Result<Plan, ApiError> {
    let w = b.written;
    if let Some(pr) = open.iter().find(|p| p.is_from(b.repo, &w.branch)) {
        return Ok(Plan::Go(Some(pr.clone())));
    }
    let closed = pulls.client.branch_pulls(b.repo, &w.branch, "closed")?;
    if let Some(pr) = closed.into_iter().find(|p| p.is_from(b.repo, &w.branch)) {
        if pr.merged_at.is_some() {
            return Ok(Plan::Hold(Outcome::Merged, Some(pr), format!("{} was merged", w.branch)));
        }
        let why = format!(
            "pull request #{} for {} was closed without merging: pave leaves it closed (delete the branch to start over)",
            pr.number, w.branch
        );
        return Ok(Plan::Hold(Outcome::Unchanged, Some(pr), why));
    }
    if !pulls.claim(template) {
        let why = format!(
            "--max-open-prs {}: {template} has that many pave pull requests open; a later run opens this one",
            pulls.max_open.unwrap_or_default()
        );
        return Ok(Plan::Hold(Outcome::Waiting, None, why));
    }
    Ok(Plan::Go(None))
}

/// The content of the branch's pull request, from its commits and the checks of its result.
fn content(fleet: &Fleet<'_>, commits: &Commits<'_>, b: &Branch<'_>, rows: &[RepoOutcome]) -> PullContent {
    let w = b.written;
    let first = &rows[w.rows[0]];
    let mut parts = Vec::new();
    let mut catalog = None;
    for (r, prefix) in w.rows.iter().zip(&w.prefixes) {
        let row = &rows[*r];
        let message = row.commit.as_deref().and_then(|c| commits.message(c).ok()).unwrap_or_default();
        let (findings, cat) = check_result(fleet, commits, &w.tip, prefix);
        if catalog.is_none() {
            catalog = cat;
        }
        parts.push(ProjectPart {
            dir: prefix.trim_end_matches('/').to_string(),
            files: pr_body::file_lines(&message),
            follow_ups: pr_body::follow_up_lines(&message),
            findings,
        });
    }
    pr_body::content(catalog.as_ref(), &first.template, &first.from, &first.to, &w.branch, &parts)
}

type Checked = (Result<Vec<crate::check::Finding>, String>, Option<crate::catalog::Catalog>);

/// `pave check` on the project's files at the branch's tip.
fn check_result(fleet: &Fleet<'_>, commits: &Commits<'_>, tip: &str, prefix: &str) -> Checked {
    let one = |e: &dyn std::fmt::Display| e.to_string().lines().next().unwrap_or_default().to_string();
    let record = match commits.read_file(tip, &format!("{prefix}{}", crate::project::FILE_NAME)) {
        Ok(Some(crate::render::RenderedFile::File { bytes, .. })) => String::from_utf8_lossy(&bytes).into_owned(),
        Ok(_) => return (Err("no .pave.toml on the branch".into()), None),
        Err(e) => return (Err(one(&e)), None),
    };
    let file = match crate::project::ProjectFile::parse(crate::project::FILE_NAME, &record) {
        Ok(f) => f,
        Err(e) => return (Err(one(&e)), None),
    };
    let catalog = match (fleet.catalog_for)(file.template.catalog.as_deref()) {
        Ok(c) => c,
        Err(e) => return (Err(e), None),
    };
    let files = match commits.files_at(tip, prefix) {
        Ok(f) => f,
        Err(e) => return (Err(one(&e)), Some(catalog)),
    };
    let checked = crate::check::InCommit(crate::upgrade::CommitTree { files });
    let findings = crate::check::check_files(&checked, &file, &catalog).map_err(|e| one(&e));
    (findings, Some(catalog))
}

fn labels(template: &str) -> Vec<String> {
    vec!["pave".to_string(), format!("template/{template}")]
}

/// Opens the pull request, labels it, and asks the owning teams for review.
fn create(
    client: &Client,
    commits: &Commits<'_>,
    b: &Branch<'_>,
    template: &str,
    content: &PullContent,
) -> Result<PullRequest, ApiError> {
    let new = NewPull {
        title: content.title.clone(),
        head: b.written.branch.clone(),
        base: b.base.to_string(),
        body: content.body.clone(),
        draft: content.draft,
    };
    let pr = client.create_pull(b.repo, &new)?;
    client.add_labels(b.repo, pr.number, &labels(template))?;
    let teams = super::owners::teams(commits, &b.written.tip, &b.written.prefixes);
    if !teams.is_empty() {
        // A team that cannot review (not in the organisation, no access) is not worth failing for.
        let _ = client.request_teams(b.repo, pr.number, &teams);
    }
    Ok(pr)
}

/// Brings pave's own pull request in line with the branch: title and body (`content`, when the
/// branch moved), labels.
fn update(
    pulls: &Pulls<'_>,
    b: &Branch<'_>,
    template: &str,
    pr: PullRequest,
    content: Option<&PullContent>,
) -> Result<PullRequest, ApiError> {
    let mut update = PullUpdate::default();
    if let Some(content) = content {
        if pr.title != content.title {
            update.title = Some(content.title.clone());
        }
        if pr.body.as_deref() != Some(content.body.as_str()) {
            update.body = Some(content.body.clone());
        }
    }
    let client = pulls.client;
    let changed = update.title.is_some() || update.body.is_some();
    let pr = if changed { client.update_pull(b.repo, pr.number, &update)? } else { pr };
    let missing: Vec<String> =
        labels(template).into_iter().filter(|l| !pr.labels.iter().any(|have| &have.name == l)).collect();
    if !missing.is_empty() {
        client.add_labels(b.repo, pr.number, &missing)?;
    }
    if changed || !missing.is_empty() {
        pulls.updated.fetch_add(1, Ordering::Relaxed);
    }
    Ok(pr)
}

/// Closes pave's open pull requests for older releases of the template, each with a comment that
/// links its successor.
fn close_older(
    pulls: &Pulls<'_>,
    b: &Branch<'_>,
    template: &str,
    target: &str,
    open: &[PullRequest],
    successor: &PullRequest,
) -> Result<(), ApiError> {
    let Ok(target) = semver::Version::parse(target) else { return Ok(()) };
    for old in open {
        let Some((name, v)) = pave_branch(&old.head.name) else { continue };
        if !old.is_from(b.repo, &old.head.name) {
            continue; // a fork's branch of that name is not pave's
        }
        if name != template || v >= target || old.number == successor.number {
            continue;
        }
        let note = format!(
            "Superseded by #{} ({}), which upgrades {template} to {target}. Closed by pave.",
            successor.number, successor.html_url
        );
        pulls.client.comment(b.repo, old.number, &note)?;
        let close = PullUpdate { state: Some("closed".into()), ..PullUpdate::default() };
        pulls.client.update_pull(b.repo, old.number, &close)?;
        pulls.closed.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

fn pr_ref(pr: &PullRequest) -> PrRef {
    PrRef { number: pr.number, url: pr.html_url.clone(), state: pr.pull_state() }
}

#[cfg(test)]
mod tests {
    use super::pave_branch;

    #[test]
    fn pave_branches_name_their_template_and_version() {
        let b = |s: &str| pave_branch(s).map(|(n, v)| format!("{n} {v}"));
        assert_eq!(b("pave/rust-axum-service-2.1.0").as_deref(), Some("rust-axum-service 2.1.0"));
        assert_eq!(b("pave/app-2.0.0-rc.1").as_deref(), Some("app 2.0.0-rc.1"));
        assert_eq!(b("pave/app"), None);
        assert_eq!(b("feature/app-2.0.0"), None);
    }
}
