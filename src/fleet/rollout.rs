//! `pave fleet rollout`: where one template release stands in each project of the fleet. The
//! classification is pure ([`classify`]); the facts come from git (the project's record at the
//! default branch, pave's branch) and, when an API is at hand, from the branch's pull request
//! ([`super::rollout_gather`]). Nothing is written but the mirrors' fetched refs.

use indexmap::IndexMap;
use serde::Serialize;

use super::dates::Day;
use crate::github::{CheckRun, PullRequest, PullState};

/// The release a rollout follows: `TEMPLATE@VERSION`, and the branch pave writes it on.
#[derive(Debug, Clone)]
pub(crate) struct Release {
    /// The template.
    pub template: String,
    /// The version.
    pub version: semver::Version,
    /// `pave/TEMPLATE-VERSION`, or `--branch`.
    pub branch: String,
}

/// Where a project stands, one word each (docs/fleet.md, "Rollouts").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum State {
    /// pave's branch or its pull request was merged.
    Merged,
    /// The record at the default branch is on the version, or newer, without pave's branch.
    OnVersion,
    /// A pull request is open (or a draft).
    PrOpen,
    /// pave's branch is there, without a pull request.
    BranchOnly,
    /// Neither a branch nor a pull request, and not on the version.
    NotStarted,
    /// The pull request was closed without merging.
    Closed,
    /// Someone else's commit is on pave's branch.
    Edited,
    /// pave's branch still carries the conflicts it committed.
    Conflict,
    /// The repository, the record or the API could not be read.
    Failed,
}

impl State {
    /// Every state, in the order counts are shown.
    pub(crate) const ALL: [Self; 9] = [
        Self::Merged,
        Self::OnVersion,
        Self::PrOpen,
        Self::BranchOnly,
        Self::NotStarted,
        Self::Closed,
        Self::Edited,
        Self::Conflict,
        Self::Failed,
    ];

    /// The word shown and written.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Merged => "merged",
            Self::OnVersion => "on-version",
            Self::PrOpen => "pr-open",
            Self::BranchOnly => "branch-only",
            Self::NotStarted => "not-started",
            Self::Closed => "closed",
            Self::Edited => "edited",
            Self::Conflict => "conflict",
            Self::Failed => "failed",
        }
    }
}

/// The check runs of an open pull request's head, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Checks {
    /// Every run completed without failing.
    Passing,
    /// A run failed, timed out, was cancelled or wants an action.
    Failing,
    /// A run has not completed yet.
    Pending,
    /// No check run at all.
    None,
}

impl Checks {
    /// The runs of a commit, summed up: a failure wins over a pending run.
    pub(crate) fn of(runs: &[CheckRun]) -> Self {
        const FAILED: [&str; 5] = ["failure", "timed_out", "cancelled", "action_required", "startup_failure"];
        if runs.is_empty() {
            Self::None
        } else if runs.iter().any(|r| r.conclusion.as_deref().is_some_and(|c| FAILED.contains(&c))) {
            Self::Failing
        } else if runs.iter().any(|r| r.status != "completed") {
            Self::Pending
        } else {
            Self::Passing
        }
    }

    /// The word shown.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Passing => "passing",
            Self::Failing => "failing",
            Self::Pending => "pending",
            Self::None => "none",
        }
    }
}

/// The pull request of pave's branch, as the rollout shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Pull {
    /// Its number.
    pub number: u64,
    /// Its page.
    pub url: String,
    /// `open`, `draft`, `merged` or `closed`.
    pub state: PullState,
    /// A draft.
    pub draft: bool,
    /// When it was opened (GitHub's timestamp).
    pub created_at: String,
    /// When it was merged.
    pub merged_at: Option<String>,
    /// When it was closed (merged or not).
    pub closed_at: Option<String>,
    /// Days it has been open: until it was merged or closed, or until today.
    pub age_days: Option<i64>,
    /// Its head's check runs; asked for an open pull request only (`null` otherwise).
    pub checks: Option<Checks>,
}

/// The day of a GitHub timestamp (`2026-11-30T12:00:00Z`).
pub(crate) fn day_of(timestamp: &str) -> Option<Day> {
    timestamp.get(..10)?.parse().ok()
}

impl Pull {
    /// The pull request to show from a branch's list (newest first): an open one, else a merged
    /// one, else the newest.
    pub(crate) fn pick(pulls: &[PullRequest]) -> Option<&PullRequest> {
        pulls
            .iter()
            .find(|p| p.is_open())
            .or_else(|| pulls.iter().find(|p| p.pull_state() == PullState::Merged))
            .or_else(|| pulls.first())
    }

    /// The view of `pr`, with its checks when they were asked for, its age as of `today`.
    pub(crate) fn new(pr: &PullRequest, checks: Option<Checks>, today: Day) -> Self {
        let end = pr.merged_at.as_deref().or(pr.closed_at.as_deref()).and_then(day_of).unwrap_or(today);
        Self {
            number: pr.number,
            url: pr.html_url.clone(),
            state: pr.pull_state(),
            draft: pr.draft == Some(true),
            created_at: pr.created_at.clone(),
            merged_at: pr.merged_at.clone(),
            closed_at: pr.closed_at.clone(),
            age_days: day_of(&pr.created_at).map(|start| (end.0 - start.0).max(0)),
            checks,
        }
    }
}

/// pave's branch in the repository, as git has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnBranch {
    /// No such branch.
    Absent,
    /// Its tip is in the default branch's history.
    Merged,
    /// Only pave's commits; `stale` when the default branch moved since.
    Pave {
        /// Built on an older commit of the default branch.
        stale: bool,
    },
    /// Someone else's commit is on it.
    Edited,
}

/// The facts about one project a state is decided from.
#[derive(Debug, Clone)]
pub(crate) struct Facts<'a> {
    /// The version its record at the default branch holds.
    pub recorded: &'a semver::Version,
    /// pave's branch.
    pub branch: OnBranch,
    /// The branch still carries conflicts pave committed for this project.
    pub conflict: bool,
    /// The branch's pull request, when the API was asked.
    pub pull: Option<&'a Pull>,
}

/// Decides a project's state, and a note for the table. The order matters: a merge is the news
/// even once the record is on the version; a pull request closed without merging ends the story
/// whatever its branch holds; conflicts and other people's commits are said before "open".
pub(crate) fn classify(release: &semver::Version, f: &Facts<'_>) -> (State, Option<String>) {
    let pull = f.pull.map(|p| p.state);
    if f.branch == OnBranch::Merged || pull == Some(PullState::Merged) {
        return (State::Merged, None);
    }
    if f.recorded >= release {
        let note = (f.recorded > release).then(|| format!("ahead: on {}", f.recorded));
        return (State::OnVersion, note);
    }
    if pull == Some(PullState::Closed) {
        return (State::Closed, Some("pull request closed without merging".into()));
    }
    let stale = (f.branch == OnBranch::Pave { stale: true })
        .then(|| "the default branch moved: `pave fleet upgrade` regenerates the branch".to_string());
    if f.conflict {
        return (State::Conflict, Some("resolve the conflict markers on the branch".into()));
    }
    if f.branch == OnBranch::Edited {
        return (State::Edited, Some("someone else's commits are on the branch".into()));
    }
    if pull.is_some() {
        return (State::PrOpen, stale);
    }
    if f.branch == OnBranch::Absent { (State::NotStarted, None) } else { (State::BranchOnly, stale) }
}

/// One project's row.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    /// The project, as the fleet shows it.
    pub path: String,
    /// The remote repository's URL without credentials (`null` for a local checkout).
    pub repo: Option<String>,
    /// The version the record at the default branch holds.
    pub from: Option<String>,
    /// Where it stands.
    pub state: State,
    /// pave's branch, when it or its pull request exists.
    pub branch: Option<String>,
    /// The branch's pull request, when the API was asked and there is one.
    pub pr: Option<Pull>,
    /// Why it could not be read.
    pub error: Option<String>,
    /// What else to know: ahead, stale, a closed pull request.
    pub note: Option<String>,
}

/// The counts.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Summary {
    /// Repositories with a row: a project of the template, or a failure.
    pub repositories: usize,
    /// Projects of the template (the rows).
    pub projects: usize,
    /// Projects of other templates, and repositories without a project: not listed.
    pub skipped: usize,
    /// Projects per state, every state named.
    pub counts: IndexMap<&'static str, usize>,
    /// Open pull requests that are drafts.
    pub draft: usize,
    /// Open pull requests whose checks fail.
    pub failing_checks: usize,
}

/// Counts the rows.
pub(crate) fn summarize(rows: &[Row], repositories: usize, skipped: usize) -> Summary {
    let mut counts: IndexMap<&'static str, usize> = State::ALL.iter().map(|s| (s.word(), 0)).collect();
    for r in rows {
        *counts.entry(r.state.word()).or_default() += 1;
    }
    let open = || rows.iter().filter(|r| r.state == State::PrOpen).filter_map(|r| r.pr.as_ref());
    Summary {
        repositories,
        projects: rows.len(),
        skipped,
        counts,
        draft: open().filter(|p| p.draft).count(),
        failing_checks: open().filter(|p| p.checks == Some(Checks::Failing)).count(),
    }
}

impl Summary {
    /// One line: `12 repositories: 5 merged · 3 pr-open (1 draft, 1 failing checks) · …`.
    pub(crate) fn line(&self) -> String {
        let mut head = match (self.projects, self.repositories) {
            (p, r) if p == r => format!("{r} {}", if r == 1 { "repository" } else { "repositories" }),
            (p, r) => format!("{p} projects in {r} {}", if r == 1 { "repository" } else { "repositories" }),
        };
        let mut parts = Vec::new();
        for (word, n) in self.counts.iter().filter(|(_, n)| **n > 0) {
            let mut part = format!("{n} {word}");
            if *word == "pr-open" {
                let extra: Vec<String> = [(self.draft, "draft"), (self.failing_checks, "failing checks")]
                    .iter()
                    .filter(|(n, _)| *n > 0)
                    .map(|(n, what)| format!("{n} {what}"))
                    .collect();
                if !extra.is_empty() {
                    part = format!("{part} ({})", extra.join(", "));
                }
            }
            parts.push(part);
        }
        if self.skipped > 0 {
            parts.push(format!("{} skipped (another template, or no project)", self.skipped));
        }
        if parts.is_empty() {
            parts.push("nothing of the template".into());
        }
        head.push_str(": ");
        head.push_str(&parts.join(" · "));
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap()
    }

    fn pull(state: PullState, checks: Option<Checks>) -> Pull {
        Pull {
            number: 7,
            url: "https://github.com/acme/a/pull/7".into(),
            state,
            draft: state == PullState::Draft,
            created_at: "2026-11-20T10:00:00Z".into(),
            merged_at: None,
            closed_at: None,
            age_days: Some(3),
            checks,
        }
    }

    fn state(recorded: &str, branch: OnBranch, conflict: bool, pr: Option<&Pull>) -> State {
        classify(&v("2.0.0"), &Facts { recorded: &v(recorded), branch, conflict, pull: pr }).0
    }

    #[test]
    fn each_state_is_decided_from_git_and_the_pull_request() {
        let pave = OnBranch::Pave { stale: false };
        assert_eq!(state("1.0.0", OnBranch::Absent, false, None), State::NotStarted);
        assert_eq!(state("1.0.0", pave, false, None), State::BranchOnly);
        assert_eq!(state("1.0.0", OnBranch::Edited, false, None), State::Edited);
        assert_eq!(state("1.0.0", pave, true, None), State::Conflict);
        assert_eq!(state("2.0.0", OnBranch::Merged, false, None), State::Merged);
        assert_eq!(state("2.0.0", OnBranch::Absent, false, None), State::OnVersion);
        assert_eq!(state("3.0.0", OnBranch::Absent, false, None), State::OnVersion);
        let open = pull(PullState::Open, Some(Checks::Passing));
        assert_eq!(state("1.0.0", pave, false, Some(&open)), State::PrOpen);
        assert_eq!(state("1.0.0", OnBranch::Edited, false, Some(&open)), State::Edited);
        assert_eq!(state("1.0.0", pave, true, Some(&open)), State::Conflict);
        // GitHub deletes a merged branch: the pull request still says merged.
        assert_eq!(state("2.0.0", OnBranch::Absent, false, Some(&pull(PullState::Merged, None))), State::Merged);
        assert_eq!(state("1.0.0", pave, true, Some(&pull(PullState::Closed, None))), State::Closed);
    }

    #[test]
    fn ahead_and_stale_are_noted() {
        let (s, note) = classify(
            &v("2.0.0"),
            &Facts { recorded: &v("2.1.0"), branch: OnBranch::Absent, conflict: false, pull: None },
        );
        assert_eq!((s, note.as_deref()), (State::OnVersion, Some("ahead: on 2.1.0")));
        let stale = OnBranch::Pave { stale: true };
        let (s, note) =
            classify(&v("2.0.0"), &Facts { recorded: &v("1.0.0"), branch: stale, conflict: false, pull: None });
        assert_eq!(s, State::BranchOnly);
        assert!(note.unwrap().contains("regenerates"));
    }

    #[test]
    fn checks_are_summed_up() {
        let run = |status: &str, conclusion: Option<&str>| CheckRun {
            status: status.into(),
            conclusion: conclusion.map(str::to_string),
        };
        assert_eq!(Checks::of(&[]), Checks::None);
        assert_eq!(
            Checks::of(&[run("completed", Some("success")), run("completed", Some("skipped"))]),
            Checks::Passing
        );
        assert_eq!(Checks::of(&[run("in_progress", None), run("completed", Some("success"))]), Checks::Pending);
        assert_eq!(Checks::of(&[run("in_progress", None), run("completed", Some("failure"))]), Checks::Failing);
    }

    #[test]
    fn the_counts_line_names_what_is_not_zero() {
        let row = |state, pr: Option<Pull>| Row {
            path: "a".into(),
            repo: None,
            from: Some("1.0.0".into()),
            state,
            branch: None,
            pr,
            error: None,
            note: None,
        };
        let rows = vec![
            row(State::Merged, None),
            row(State::PrOpen, Some(pull(PullState::Draft, Some(Checks::Failing)))),
            row(State::PrOpen, Some(pull(PullState::Open, Some(Checks::Passing)))),
            row(State::NotStarted, None),
        ];
        let s = summarize(&rows, 4, 1);
        assert_eq!(
            s.line(),
            "4 repositories: 1 merged · 2 pr-open (1 draft, 1 failing checks) · 1 not-started · 1 skipped (another template, or no project)"
        );
        assert_eq!(s.counts.len(), 9);
        assert_eq!(summarize(&rows, 3, 0).line().split(':').next(), Some("4 projects in 3 repositories"));
    }
}
