//! The life of a pave branch in one repository, the same for local checkouts and remote
//! mirrors: each project's upgrade session committed on top of the commit the upgrade starts
//! from, and the branch created, left alone, or regenerated as docs/fleet.md's table says.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::upgrade::{Fleet, OnConflict, Outcome, Phase, RepoOutcome};
use crate::answers::NoPrompt;
use crate::catalog::Catalog;
use crate::git::{BranchState, Commits, PaveCommit};
use crate::project::{FILE_NAME, ProjectFile};
use crate::upgrade::{CommitTree, Session};

/// One project of a repository, found at `prefix` of the commit `base`.
pub(super) struct Job {
    /// Its row in the report.
    pub row: usize,
    /// Its directory in the repository: `""` or ending in `/`.
    pub prefix: String,
}

/// Where a repository keeps its branches: the refs pave compares with and the ones it writes.
pub(super) struct Refs<'a> {
    /// The commits and refs.
    pub commits: &'a Commits<'a>,
    /// The commit upgrades start from: the default branch's tip.
    pub base: &'a str,
    /// Its name, for messages.
    pub base_name: &'a str,
    /// Where existing pave branches are read: `refs/heads/` (a checkout) or
    /// `refs/remotes/origin/` (a mirror: the remote's branches as last fetched).
    pub existing: &'a str,
    /// Where branches are written: `refs/heads/`.
    pub write: &'a str,
    /// Why a project's branch may not be written now (uncommitted changes in a checkout), by row.
    pub refuse: &'a dyn Fn(usize) -> Option<String>,
    /// Where what is read and written is remembered for the next run (local checkouts).
    pub memo: Option<&'a super::memo::Memo>,
}

/// A branch this run wrote, for the push that follows.
pub(super) struct Written {
    /// The branch name (`pave/app-2.0.0`).
    pub branch: String,
    /// Its new tip.
    pub tip: String,
    /// Where the branch was before (the lease), `None` when it is new.
    pub expected: Option<String>,
    /// The rows of the projects on it, in the order of their commits.
    pub rows: Vec<usize>,
    /// Each row's directory in the repository (`""` or ending in `/`).
    pub prefixes: Vec<String>,
    /// Whether this run moved it (`false`: it already held exactly this upgrade).
    pub changed: bool,
}

struct Prepared {
    row: usize,
    prefix: String,
    file: ProjectFile,
    catalog: Catalog,
    target: semver::Version,
    inputs: String,
}

/// Upgrades the jobs of one repository; fills their rows; returns the branches written.
pub(super) fn upgrade(refs: &Refs<'_>, jobs: Vec<Job>, fleet: &Fleet<'_>, rows: &mut [RepoOutcome]) -> Vec<Written> {
    let mut branches: BTreeMap<String, Vec<Prepared>> = BTreeMap::new();
    for job in jobs {
        let row = &mut rows[job.row];
        match fleet.timed(Phase::Plan, || prepare(refs, job, fleet, row)) {
            Ok(Some((branch, p))) => branches.entry(branch).or_default().push(p),
            Ok(None) => {}
            Err(e) => fail(row, e),
        }
    }
    let mut written = Vec::new();
    for (branch, preps) in branches {
        match upgrade_branch(refs, &branch, preps, fleet, rows) {
            Ok(Some(w)) => written.push(w),
            Ok(None) => {}
            Err((rows_hit, e)) => {
                for r in rows_hit {
                    fail(&mut rows[r], e.clone());
                }
            }
        }
    }
    written
}

fn fail(row: &mut RepoOutcome, e: String) {
    row.outcome = Outcome::Failed;
    row.error = Some(e);
}

/// What a project's record says the run does with it.
#[allow(clippy::large_enum_variant)] // one a project, moved straight into its parts
pub(super) enum Plan {
    /// Another template than `--template`'s: its row says so.
    Skipped,
    /// On the version the run would upgrade it to.
    Current(ProjectFile),
    /// An upgrade to `target` on `branch`.
    Upgrade { file: ProjectFile, catalog: Catalog, target: semver::Version, branch: String },
}

/// Decides from a project's record (`text`) its target and branch, without rendering, and fills
/// the row's template, versions and branch: the same for a repository opened and one recognised
/// from the memo.
pub(super) fn plan(fleet: &Fleet<'_>, row: &mut RepoOutcome, text: &str) -> Result<Plan, String> {
    let file = ProjectFile::parse(&format!("{}/{FILE_NAME}", row.path), text).map_err(|e| one_line(&e))?;
    row.template.clone_from(&file.template.name);
    row.from = file.template.version.to_string();
    if fleet.opts.template.as_ref().is_some_and(|t| t != &file.template.name) {
        row.outcome = Outcome::Skipped;
        row.error = Some("another template".into());
        return Ok(Plan::Skipped);
    }
    let catalog = (fleet.catalog_for)(file.template.catalog.as_deref())?;
    let Some(target) = crate::upgrade::target(&catalog, &file, &fleet.request()).map_err(|e| with_hint(&e))? else {
        row.to.clone_from(&row.from);
        row.outcome = Outcome::UpToDate;
        return Ok(Plan::Current(file));
    };
    row.to = target.to_string();
    let branch = fleet.opts.branch.clone().unwrap_or_else(|| format!("pave/{}-{target}", file.template.name));
    row.branch = Some(branch.clone());
    Ok(Plan::Upgrade { file, catalog, target, branch })
}

/// Reads a project's record at the base and decides its target and branch, without rendering.
fn prepare(
    refs: &Refs<'_>,
    job: Job,
    fleet: &Fleet<'_>,
    row: &mut RepoOutcome,
) -> Result<Option<(String, Prepared)>, String> {
    let record = refs.commits.read_file(refs.base, &format!("{}{FILE_NAME}", job.prefix)).map_err(|e| e.to_string())?;
    let Some(record) = record else {
        return Err(format!("{FILE_NAME} is not committed on {}", refs.base_name));
    };
    let text = String::from_utf8_lossy(record.bytes()).into_owned();
    let (file, catalog, target, branch) = match plan(fleet, row, &text)? {
        Plan::Skipped => return Ok(None),
        Plan::Current(file) => {
            // On the version because pave's branch for it was merged: that is the rollout's news.
            let branch = fleet.opts.branch.clone().unwrap_or_else(|| format!("pave/{}-{}", file.template.name, row.to));
            if let Some(tip) = refs.commits.resolve(&format!("{}{branch}", refs.existing)).map_err(|e| e.to_string())?
                && refs.commits.branch_state(&tip, refs.base).map_err(|e| e.to_string())? == BranchState::Merged
            {
                row.outcome = Outcome::Merged;
                row.branch = Some(branch);
                row.commit = Some(tip);
            }
            return Ok(None);
        }
        Plan::Upgrade { file, catalog, target, branch } => (file, catalog, target, branch),
    };
    let start = refs.commits.subtree_id(refs.base, &job.prefix).map_err(|e| e.to_string())?.unwrap_or_default();
    if let Some(memo) = refs.memo {
        memo.learn_base(refs.base, &job.prefix, &text, &start);
    }
    let inputs = inputs_digest(fleet, &catalog, &file, &target, &start)?;
    Ok(Some((branch, Prepared { row: job.row, prefix: job.prefix, file, catalog, target, inputs })))
}

/// `Pave-Inputs`: what an upgrade commit is a function of: pave's version, the template versions
/// (their content), the project's record, the fleet's answers and conflict policy, and the
/// project's tree at the base. Equal inputs give an equal commit, so nothing needs doing.
pub(super) fn inputs_digest(
    fleet: &Fleet<'_>,
    catalog: &Catalog,
    file: &ProjectFile,
    target: &semver::Version,
    start_tree: &str,
) -> Result<String, String> {
    let mut h = Sha256::new();
    h.update(b"pave-inputs 1\0");
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    for version in [&file.template.version, target] {
        h.update(b"\0version\0");
        h.update(fleet.version_digest(catalog, &file.template.name, version)?.as_bytes());
    }
    h.update(b"\0record\0");
    h.update(file.text.as_bytes());
    for pair in &fleet.opts.overrides {
        h.update(b"\0fill\0");
        h.update(pair.as_bytes());
    }
    h.update(b"\0defaults\0");
    h.update(serde_json::to_string(&fleet.opts.defaults).unwrap_or_default().as_bytes());
    h.update(if fleet.opts.on_conflict == OnConflict::Commit {
        b"\0commit\0".as_slice()
    } else {
        b"\0skip\0".as_slice()
    });
    h.update(start_tree.as_bytes());
    Ok(hex(&h.finalize()))
}

/// Lowercase hex of bytes.
pub(super) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

type BranchResult = Result<Option<Written>, (Vec<usize>, String)>;

/// One branch: left alone, unchanged, or (re)built from the base with one commit per project.
fn upgrade_branch(
    refs: &Refs<'_>,
    branch: &str,
    preps: Vec<Prepared>,
    fleet: &Fleet<'_>,
    rows: &mut [RepoOutcome],
) -> BranchResult {
    let all_rows: Vec<usize> = preps.iter().map(|p| p.row).collect();
    let err = |e: &dyn std::fmt::Display| (all_rows.clone(), e.to_string());
    let existing = refs.commits.resolve(&format!("{}{branch}", refs.existing)).map_err(|e| err(&e))?;
    let state = match &existing {
        Some(tip) => Some(refs.commits.branch_state(tip, refs.base).map_err(|e| err(&e))?),
        None => None,
    };
    let set_all = |rows: &mut [RepoOutcome], outcome: Outcome| {
        for p in &preps {
            rows[p.row].outcome = outcome;
            rows[p.row].commit.clone_from(&existing);
        }
    };
    match &state {
        Some(BranchState::Merged) => {
            set_all(rows, Outcome::Merged);
            return Ok(None);
        }
        Some(BranchState::Edited) => {
            set_all(rows, Outcome::Edited);
            for p in &preps {
                rows[p.row].error = Some(format!("{branch} has commits that are not pave's: left alone"));
            }
            return Ok(None);
        }
        Some(BranchState::OnBase(chain)) if same_inputs(chain, &inputs_of(&preps)) => {
            remember(refs, branch, existing.as_deref(), chain.iter());
            set_all(rows, Outcome::Unchanged);
            for (p, c) in preps.iter().zip(chain) {
                rows[p.row].commit = Some(c.id.clone());
            }
            let prefixes = preps.iter().map(|p| (p.row, p.prefix.clone())).collect();
            let tip = existing.clone().unwrap_or_default();
            return Ok(Some(written(branch, tip, existing, all_rows.clone(), &prefixes, false)));
        }
        _ => {}
    }
    if let Some(newer) = newer_branch(refs, &preps) {
        for p in &preps {
            rows[p.row].outcome = Outcome::Superseded;
            rows[p.row].error = Some(format!("{newer} holds a newer release of the template"));
        }
        return Ok(None);
    }
    let older = older_branches(refs, branch, &preps);
    let mut parent = refs.base.to_string();
    let mut built: Vec<(usize, PaveCommit)> = Vec::new();
    let prefix_of: BTreeMap<usize, String> = preps.iter().map(|p| (p.row, p.prefix.clone())).collect();
    for p in preps {
        let row = &mut rows[p.row];
        row.superseded.clone_from(&older);
        if let Some(why) = (refs.refuse)(p.row) {
            fail(row, why);
            continue;
        }
        match commit_project(refs, &parent, p, fleet, row) {
            Ok(Some(c)) => {
                parent.clone_from(&c.1.id);
                built.push(c);
            }
            Ok(None) => {}
            Err(e) => fail(row, e),
        }
    }
    let Some((_, tip)) = built.last() else { return Ok(None) };
    // New inputs that give the very same result (a template change that does not touch this
    // project): the branch stays as it is.
    if let Some(BranchState::OnBase(chain)) = &state
        && chain.len() == built.len()
        && chain.last().map(|c| &c.tree) == Some(&tip.tree)
    {
        let tip = existing.clone().unwrap_or_default();
        return Ok(Some(written(branch, tip, existing, keep(rows, &built, chain), &prefix_of, false)));
    }
    let write_ref = format!("{}{branch}", refs.write);
    // In a checkout the branch is moved only from where this run found it: another run that
    // moved it in between wins, and this one says so. A mirror's branch is this run's own (runs
    // on one cache wait for each other), written from wherever the last run left it.
    let current = if refs.write == refs.existing {
        existing.clone()
    } else {
        refs.commits.resolve(&write_ref).map_err(|e| err(&e))?
    };
    let moved = fleet
        .timed(Phase::Commit, || refs.commits.set_ref(&write_ref, &tip.id, current.as_deref()))
        .map_err(|e| err(&e))?;
    remember(refs, branch, moved.then_some(tip.id.as_str()), built.iter().map(|(_, c)| c));
    let built_rows: Vec<usize> = built.iter().map(|(r, _)| *r).collect();
    if !moved && let Some((now, chain)) = made_elsewhere(refs, &write_ref, &built).map_err(|e| err(&e))? {
        return Ok(Some(written(branch, now.clone(), Some(now), keep(rows, &built, &chain), &prefix_of, false)));
    }
    for (row, c) in &built {
        let row = &mut rows[*row];
        if !moved {
            row.outcome = Outcome::Raced;
            row.error = Some(format!("{branch} was moved by someone else during the run: run again"));
            continue;
        }
        row.commit = Some(c.id.clone());
        if row.outcome != Outcome::Conflict {
            row.outcome = if existing.is_some() { Outcome::Regenerated } else { Outcome::Upgraded };
        }
    }
    Ok(moved.then(|| written(branch, tip.id.clone(), existing, built_rows, &prefix_of, true)))
}

/// The branch stays as `chain` has it, which holds what `built` would: each built row is
/// unchanged (a conflict stays a conflict) at the chain's commit. Returns the built rows.
fn keep(rows: &mut [RepoOutcome], built: &[(usize, PaveCommit)], chain: &[PaveCommit]) -> Vec<usize> {
    for ((row, _), c) in built.iter().zip(chain) {
        let row = &mut rows[*row];
        row.commit = Some(c.id.clone());
        if row.outcome != Outcome::Conflict {
            row.outcome = Outcome::Unchanged;
        }
    }
    built.iter().map(|(r, _)| *r).collect()
}

/// When another run at the same moment moved `write_ref` to commits made from the same inputs
/// as `built` (their ids differ only by the second they were made in): its tip and commits. The
/// branch is then as this run would leave it, and it was not this run that moved it.
fn made_elsewhere(
    refs: &Refs<'_>,
    write_ref: &str,
    built: &[(usize, PaveCommit)],
) -> Result<Option<(String, Vec<PaveCommit>)>, crate::git::GitError> {
    let Some(now) = refs.commits.resolve(write_ref)? else { return Ok(None) };
    let Ok(BranchState::OnBase(chain)) = refs.commits.branch_state(&now, refs.base) else { return Ok(None) };
    let same = chain.len() == built.len()
        && chain.iter().zip(built).all(|(a, (_, b))| a.inputs.is_some() && a.inputs == b.inputs);
    Ok(same.then_some((now, chain)))
}

/// Teaches the memo the commits (oldest first) `branch` holds at `tip` on the base.
fn remember<'c>(refs: &Refs<'_>, branch: &str, tip: Option<&str>, chain: impl Iterator<Item = &'c PaveCommit>) {
    if let (Some(memo), Some(tip)) = (refs.memo, tip) {
        memo.learn_chain(branch, tip, refs.base, &chain.cloned().collect::<Vec<_>>());
    }
}

/// The branch as this run leaves it, for the push and the pull request.
fn written(
    branch: &str,
    tip: String,
    expected: Option<String>,
    rows: Vec<usize>,
    prefix_of: &BTreeMap<usize, String>,
    changed: bool,
) -> Written {
    let prefixes = rows.iter().map(|r| prefix_of.get(r).cloned().unwrap_or_default()).collect();
    Written { branch: branch.to_string(), tip, expected, rows, prefixes, changed }
}

/// Whether a branch's commits were made from exactly these inputs, in this order.
pub(super) fn same_inputs(chain: &[PaveCommit], inputs: &[&str]) -> bool {
    chain.len() == inputs.len() && chain.iter().zip(inputs).all(|(c, i)| c.inputs.as_deref() == Some(*i))
}

/// Each project's inputs, in order.
fn inputs_of(preps: &[Prepared]) -> Vec<&str> {
    preps.iter().map(|p| p.inputs.as_str()).collect()
}

/// The other pave branches of the same template in the repository, with their versions.
fn template_branches(refs: &Refs<'_>, preps: &[Prepared]) -> Vec<(String, semver::Version)> {
    let Some(first) = preps.first() else { return Vec::new() };
    let lead = format!("pave/{}-", first.file.template.name);
    refs.commits
        .branches_under(refs.existing)
        .into_iter()
        .filter_map(|b| {
            let v = semver::Version::parse(b.strip_prefix(&lead)?).ok()?;
            Some((b, v))
        })
        .collect()
}

/// A pave branch of a newer release than this run's target, when `--to` asked for an older one.
fn newer_branch(refs: &Refs<'_>, preps: &[Prepared]) -> Option<String> {
    let target = &preps.first()?.target;
    template_branches(refs, preps).into_iter().filter(|(_, v)| v > target).map(|(b, _)| b).next()
}

/// The pave branches of older releases that this one replaces (not yet merged).
fn older_branches(refs: &Refs<'_>, branch: &str, preps: &[Prepared]) -> Vec<String> {
    let Some(target) = preps.first().map(|p| &p.target) else { return Vec::new() };
    template_branches(refs, preps)
        .into_iter()
        .filter(|(b, v)| v < target && b != branch)
        .filter(|(b, _)| {
            let tip = refs.commits.resolve(&format!("{}{b}", refs.existing)).ok().flatten();
            tip.is_some_and(|t| refs.commits.branch_state(&t, refs.base).is_ok_and(|s| s != BranchState::Merged))
        })
        .map(|(b, _)| b)
        .collect()
}

/// One project's upgrade session, committed on `parent`. `None` when it writes no commit.
fn commit_project(
    refs: &Refs<'_>,
    parent: &str,
    p: Prepared,
    fleet: &Fleet<'_>,
    row: &mut RepoOutcome,
) -> Result<Option<(usize, PaveCommit)>, String> {
    let files = CommitTree { files: refs.commits.files_at(refs.base, &p.prefix).map_err(|e| e.to_string())? };
    let session = fleet.timed(Phase::Plan, || {
        Session::open(p.file, &p.catalog, &files, &fleet.request(), &mut NoPrompt).map_err(|e| with_hint(&e))
    })?;
    if session.current().is_some() || session.is_noop() {
        row.outcome = Outcome::UpToDate;
        return Ok(None);
    }
    row.files_changed = session.plan().changes().count();
    row.conflicts = session.conflicts().iter().map(|f| f.path.clone()).collect();
    if !row.conflicts.is_empty() {
        row.outcome = Outcome::Conflict;
        if fleet.opts.on_conflict == OnConflict::Skip {
            row.branch = None;
            return Ok(None);
        }
    }
    if fleet.opts.dry_run {
        if row.conflicts.is_empty() {
            row.outcome = Outcome::WouldUpgrade;
        }
        return Ok(None);
    }
    let message = session.commit_message(Some(p.prefix.trim_end_matches('/')));
    let changes = crate::upgrade::tree_changes(&session.effects());
    let commit = fleet.timed(Phase::Commit, || {
        refs.commits.commit_changes(parent, &p.prefix, &changes, &message, &p.inputs).map_err(|e| e.to_string())
    })?;
    Ok(Some((p.row, commit)))
}

/// An error as one line for reports.
pub(super) fn one_line(e: &impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

/// An upgrade error as one line, with its hint.
fn with_hint(e: &crate::upgrade::UpgradeError) -> String {
    use crate::upgrade::UpgradeError;
    let hint = match e {
        UpgradeError::Refused { hint, .. } => Some(hint.clone()),
        UpgradeError::Catalog(c) => c.hint(),
        UpgradeError::Answer(a) => a.hint(),
        _ => None,
    };
    match hint {
        Some(h) => format!("{} ({h})", one_line(e)),
        None => one_line(e),
    }
}
