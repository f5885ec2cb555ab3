//! The facts of a rollout, one repository at a time: each project's record at the default
//! branch and pave's branch, from a local checkout or a fetched mirror, then one API call for
//! the branch's pull requests and one for an open pull request's checks. Read-only: no branch
//! is written, nothing pushed, no mutating call made. One repository failing never stops the
//! others.

use std::path::PathBuf;

use super::Project;
use super::dates::Day;
use super::rollout::{Checks, Facts, OnBranch, Pull, Release, Row, State, classify};
use super::upgrade::Repo;
use crate::git::{Auth, BranchState, Commits, Mirror, PAVE_TRAILER, ProjectRepo, TRACKING};
use crate::github::{ApiError, Client, RepoId};
use crate::project::{FILE_NAME, ProjectFile};

/// The run's settings.
pub(crate) struct Gather<'a> {
    /// The release followed.
    pub release: &'a Release,
    /// The API, when pull requests are looked up.
    pub client: Option<&'a Client>,
    /// Ask about any repository with an `owner/name` (`--api-url`), not only github.com's.
    pub any_host: bool,
    /// Credentials for remotes.
    pub auth: Auth,
    /// Where remote repositories are mirrored.
    pub mirrors: PathBuf,
    /// Today, for the age of pull requests.
    pub today: Day,
}

/// What one repository gave.
#[derive(Debug, Default)]
pub(crate) struct RepoRows {
    /// The rows of its projects of the template.
    pub rows: Vec<Row>,
    /// Projects of other templates, or no project at all.
    pub skipped: usize,
}

/// A project of the template, before the pull request is known.
struct Found {
    path: String,
    recorded: semver::Version,
    branch: OnBranch,
    conflict: bool,
}

/// Where a repository's commits and branches are read.
struct Place<'a> {
    commits: &'a Commits<'a>,
    /// The default branch's tip (a mirror) or `HEAD` (a checkout).
    base: &'a str,
    base_name: &'a str,
    /// Where pave's branch may be: `refs/heads/`, the remote-tracking refs.
    existing: &'a [&'a str],
}

fn one_line(e: &impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

fn failed(path: String, repo: Option<String>, error: String) -> Row {
    Row { path, repo, from: None, state: State::Failed, branch: None, pr: None, error: Some(error), note: None }
}

impl Gather<'_> {
    /// The rows of one repository. Never panics outward.
    pub(crate) fn repo(&self, repo: &Repo) -> RepoRows {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match repo {
            Repo::Local(projects) => self.local(projects),
            Repo::Remote { url, branch } => self.remote(url, branch.as_deref()),
        }));
        run.unwrap_or_else(|_| {
            let (path, url) = match repo {
                Repo::Local(p) => (p.first().map(|p| p.name.clone()).unwrap_or_default(), None),
                Repo::Remote { url, .. } => (crate::url::repo_name(url), Some(crate::url::redact(url))),
            };
            RepoRows { rows: vec![failed(path, url, "internal error (please report it)".into())], skipped: 0 }
        })
    }

    /// A local checkout: each project read at `HEAD`; pave's branch a local one, or `origin`'s.
    fn local(&self, projects: &[Project]) -> RepoRows {
        let mut out = RepoRows::default();
        let mut found = Vec::new();
        let mut id = None;
        for p in projects {
            let opened = match ProjectRepo::open(&p.dir) {
                Ok(Ok(r)) => r,
                Ok(Err(refusal)) => {
                    out.rows.push(failed(p.name.clone(), None, refusal.explain(&p.dir).0));
                    continue;
                }
                Err(e) => {
                    out.rows.push(failed(p.name.clone(), None, one_line(&e)));
                    continue;
                }
            };
            let base = match opened.head_commit() {
                Ok(b) => b,
                Err(e) => {
                    out.rows.push(failed(p.name.clone(), None, one_line(&e)));
                    continue;
                }
            };
            let commits = opened.commits();
            let place =
                Place { commits: &commits, base: &base, base_name: "HEAD", existing: &["refs/heads/", TRACKING] };
            match self.project(&place, &p.name, opened.project_prefix()) {
                Ok(Some(f)) => found.push(f),
                Ok(None) => out.skipped += 1,
                Err(e) => out.rows.push(failed(p.name.clone(), None, e)),
            }
            if id.is_none() {
                id = opened.remote_url("origin").and_then(|u| self.repo_id(&u));
            }
        }
        self.finish(found, id.as_ref(), None, out)
    }

    /// A remote repository: its mirror locked and fetched (the default branch and `pave/*`).
    fn remote(&self, url: &str, wanted: Option<&str>) -> RepoRows {
        let name = crate::url::repo_name(url);
        let shown = crate::url::redact(url);
        let fail = |e: String| RepoRows { rows: vec![failed(name.clone(), Some(shown.clone()), e)], skipped: 0 };
        // One run at a time per mirror (a fleet upgrade may be fetching it too).
        let synced = match Mirror::sync(&self.mirrors, url, self.auth.clone(), wanted) {
            Ok(s) => s,
            Err(e) => return fail(e.0),
        };
        let (mirror, fetched) = (&synced.mirror, &synced.fetched);
        let commits = mirror.commits();
        let dirs = match commits.dirs_with_file(&fetched.base, FILE_NAME) {
            Ok(d) => d,
            Err(e) => return fail(one_line(&e)),
        };
        let mut out = RepoRows { rows: Vec::new(), skipped: usize::from(dirs.is_empty()) };
        let place = Place { commits: &commits, base: &fetched.base, base_name: &fetched.branch, existing: &[TRACKING] };
        let mut found = Vec::new();
        for dir in dirs {
            let path = if dir.is_empty() { name.clone() } else { format!("{name}/{}", dir.trim_end_matches('/')) };
            match self.project(&place, &path, &dir) {
                Ok(Some(f)) => found.push(f),
                Ok(None) => out.skipped += 1,
                Err(e) => out.rows.push(failed(path, Some(shown.clone()), e)),
            }
        }
        self.finish(found, self.repo_id(url).as_ref(), Some(&shown), out)
    }

    /// The repository the API is asked about, when it is asked at all.
    fn repo_id(&self, url: &str) -> Option<RepoId> {
        self.client?;
        let host = crate::url::mirror_rel_path(url);
        if !self.any_host && host.split('/').next() != Some("github.com") {
            return None;
        }
        RepoId::from_git_url(url)
    }

    /// A project's record at the base; `None` for another template.
    fn project(&self, place: &Place<'_>, path: &str, prefix: &str) -> Result<Option<Found>, String> {
        let record = place
            .commits
            .read_file(place.base, &format!("{prefix}{FILE_NAME}"))
            .map_err(|e| one_line(&e))?
            .ok_or_else(|| format!("{FILE_NAME} is not committed on {}", place.base_name))?;
        let text = String::from_utf8_lossy(record.bytes());
        let file = ProjectFile::parse(&format!("{path}/{FILE_NAME}"), &text).map_err(|e| one_line(&e))?;
        if file.template.name != self.release.template {
            return Ok(None);
        }
        let (branch, conflict) = self.branch(place, prefix).map_err(|e| one_line(&e))?;
        Ok(Some(Found { path: path.to_string(), recorded: file.template.version, branch, conflict }))
    }

    /// pave's branch, and whether it still carries the conflicts pave committed for the project.
    fn branch(&self, place: &Place<'_>, prefix: &str) -> Result<(OnBranch, bool), crate::git::GitError> {
        let c = place.commits;
        let mut tip = None;
        for refs in place.existing {
            tip = c.resolve(&format!("{refs}{}", self.release.branch))?;
            if tip.is_some() {
                break;
            }
        }
        let Some(tip) = tip else { return Ok((OnBranch::Absent, false)) };
        let on = match c.branch_state(&tip, place.base)? {
            BranchState::Merged => return Ok((OnBranch::Merged, false)),
            BranchState::OnBase(_) => OnBranch::Pave { stale: false },
            BranchState::Stale => OnBranch::Pave { stale: true },
            BranchState::Edited => OnBranch::Edited,
        };
        let mut paths = Vec::new();
        let place_name = prefix.trim_end_matches('/');
        for message in c.messages_since(&tip, place.base)? {
            if message.lines().any(|l| l.trim() == PAVE_TRAILER) && commit_place(&message) == place_name {
                paths.extend(conflicted_paths(&message));
            }
        }
        // Someone may have resolved them since: the tip must still hold markers or side files.
        let files = c.files_at(&tip, prefix)?;
        for p in paths {
            for side in [format!("{p}.pave-new"), format!("{p}.rej")] {
                if files.read(&side)?.is_some() {
                    return Ok((on, true));
                }
            }
            if files.read(&p)?.is_some_and(|f| has_markers(f.bytes())) {
                return Ok((on, true));
            }
        }
        Ok((on, false))
    }

    /// The branch's pull request (one call), and an open one's checks (one more).
    fn pull(&self, client: &Client, id: &RepoId) -> Result<Option<Pull>, ApiError> {
        let pulls = client.branch_pulls(id, &self.release.branch, "all")?;
        let Some(pr) = Pull::pick(&pulls) else { return Ok(None) };
        let checks = if pr.is_open() { Some(Checks::of(&client.check_runs(id, &pr.head.sha)?)) } else { None };
        Ok(Some(Pull::new(pr, checks, self.today)))
    }

    /// The rows of a repository's projects of the template, its pull request asked once.
    fn finish(&self, found: Vec<Found>, id: Option<&RepoId>, repo: Option<&str>, mut out: RepoRows) -> RepoRows {
        let pull = match (self.client, id) {
            (Some(client), Some(id)) if !found.is_empty() => Some(self.pull(client, id)),
            _ => None,
        };
        for f in found {
            let mut row = Row {
                path: f.path,
                repo: repo.map(str::to_string),
                from: Some(f.recorded.to_string()),
                state: State::Failed,
                branch: (f.branch != OnBranch::Absent).then(|| self.release.branch.clone()),
                pr: None,
                error: None,
                note: None,
            };
            if let Some(Err(e)) = &pull {
                row.error = Some(format!("GitHub: {}", one_line(e)));
            } else {
                row.pr = pull.as_ref().and_then(|p| p.as_ref().ok()).cloned().flatten();
                let facts =
                    Facts { recorded: &f.recorded, branch: f.branch, conflict: f.conflict, pull: row.pr.as_ref() };
                (row.state, row.note) = classify(&self.release.version, &facts);
                if row.pr.is_some() {
                    row.branch = Some(self.release.branch.clone());
                }
            }
            out.rows.push(row);
        }
        out
    }
}

/// The directory a pave commit's first line names (`… in services/billing`), `""` for none.
fn commit_place(message: &str) -> &str {
    let first = message.lines().next().unwrap_or_default();
    first.split_once(" in ").map_or("", |(_, rest)| rest.trim_end_matches(" with changed answers").trim())
}

/// The paths a pave commit lists as `conflict` (the new path of a renamed one).
fn conflicted_paths(message: &str) -> impl Iterator<Item = String> + '_ {
    message
        .lines()
        .filter_map(|l| l.strip_prefix("conflict "))
        .map(|p| p.trim().rsplit(" → ").next().unwrap_or_default().to_string())
        .filter(|p| !p.is_empty())
}

/// Whether a file holds a conflict marker line.
fn has_markers(bytes: &[u8]) -> bool {
    const MARK: &[u8] = b"<<<<<<< ";
    bytes.starts_with(MARK) || bytes.windows(MARK.len() + 1).any(|w| w[0] == b'\n' && &w[1..] == MARK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pave_commit_messages_name_their_place_and_conflicts() {
        let msg = "Upgrade app from 1.0.0 to 2.0.0 in services/billing\n\nupdated   README.md\nconflict  config/app.yaml\nconflict  a.yml → b.yml\n\nConflicts are committed with their markers: resolve them before merging.\n\nGenerated-by: pave fleet\n";
        assert_eq!(commit_place(msg), "services/billing");
        assert_eq!(commit_place("Upgrade app from 1.0.0 to 2.0.0\n\nx"), "");
        assert_eq!(commit_place("Re-render app 2.0.0 in svc with changed answers"), "svc");
        assert_eq!(conflicted_paths(msg).collect::<Vec<_>>(), ["config/app.yaml", "b.yml"]);
    }

    #[test]
    fn markers_are_found_at_line_starts_only() {
        assert!(has_markers(b"<<<<<<< local\na\n"));
        assert!(has_markers(b"x\n<<<<<<< local\na\n"));
        assert!(!has_markers(b"x <<<<<<< local\n"));
    }
}
