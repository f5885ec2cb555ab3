//! The fleet: finding projects under roots, where each stands, and upgrading each one in
//! isolation onto its own branch, in parallel. One project failing never stops the others.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::answers::NoPrompt;
use crate::catalog::{Catalog, Maturity};
use crate::error::{Error, Result};
use crate::git::{BranchWrite, HeadTree, ProjectRepo};
use crate::plan::ConflictStyle;
use crate::project::{FILE_NAME, ProjectFile};
use crate::upgrade::{self, Request, Target};

/// Directories never searched for projects.
const SKIP_DIRS: &[&str] = &[".git", "target", "node_modules"];

/// A project found in the fleet: where it is, and how it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Its directory.
    pub dir: PathBuf,
    /// Its path as shown and hashed for shards: relative to the root it was found under.
    pub name: String,
}

/// Walks the roots for `.pave.toml`; several projects in one repository are found separately.
pub fn discover(roots: &[PathBuf]) -> Vec<Project> {
    let mut out = Vec::new();
    for root in roots {
        // Canonical, so `.` and `~/fleet` name (and shard) the same projects the same way.
        let root = &crate::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
        let walker = walkdir::WalkDir::new(root).sort_by_file_name().into_iter().filter_entry(|e| {
            !(e.file_type().is_dir() && e.depth() > 0 && SKIP_DIRS.contains(&e.file_name().to_string_lossy().as_ref()))
        });
        for entry in walker.flatten() {
            if entry.file_type().is_file() && entry.file_name() == FILE_NAME {
                let dir = entry.path().parent().unwrap_or(root).to_path_buf();
                let rel = dir.strip_prefix(root).unwrap_or(&dir).to_string_lossy().replace('\\', "/");
                let base = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let name = match (base.is_empty(), rel.is_empty()) {
                    (_, true) => {
                        if base.is_empty() {
                            ".".into()
                        } else {
                            base
                        }
                    }
                    (true, false) => rel,
                    (false, false) => format!("{base}/{rel}"),
                };
                out.push(Project { dir, name });
            }
        }
    }
    out
}

/// Reads project directories from a file, one per line (`#` comments and blank lines skipped).
pub fn from_list(text: &str) -> Vec<Project> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| Project {
            dir: crate::fs::canonicalize(Path::new(l)).unwrap_or_else(|_| PathBuf::from(l)),
            name: l.trim_end_matches('/').to_string(),
        })
        .collect()
}

/// Parses `--shard I/N` (1-based).
pub fn parse_shard(text: &str) -> Result<(u64, u64)> {
    let bad = || {
        Error::usage(format!("--shard {text} is not I/N with 1 <= I <= N"), Some("for example --shard 2/8".to_string()))
    };
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (u64, u64) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Whether a project belongs to shard I of N: a stable hash of the name of its repository's
/// directory, so N machines together cover the fleet exactly once, whatever order they find it
/// in and however the fleet is listed (walked roots or `--repos-from`, even before the
/// repositories are cloned), and the projects of one repository (a monorepo) stay together.
pub fn in_shard(project: &Project, i: u64, n: u64) -> bool {
    let repo = repo_key(&project.dir);
    let key = repo.file_name().map_or_else(|| project.name.clone(), |n| n.to_string_lossy().into_owned());
    let digest = Sha256::digest(key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % n == i - 1
}

/// How far a project is behind the newest released version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Behind {
    /// On the newest version.
    Current,
    /// A patch release behind.
    Patch,
    /// A minor release behind.
    Minor,
    /// A major release behind.
    Major,
    /// Newer than every released version (a pre-release).
    Ahead,
}

/// Compares a recorded version with the newest.
pub fn behind(recorded: &semver::Version, latest: &semver::Version) -> Behind {
    if recorded >= latest {
        if recorded > latest { Behind::Ahead } else { Behind::Current }
    } else if recorded.major != latest.major {
        Behind::Major
    } else if recorded.minor != latest.minor {
        Behind::Minor
    } else {
        Behind::Patch
    }
}

/// One row of `fleet status`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusRow {
    /// The project.
    pub path: String,
    /// Its template (empty when unreadable).
    pub template: String,
    /// Recorded version.
    pub version: String,
    /// Newest released version.
    pub latest: Option<String>,
    /// How far behind.
    pub behind: Option<Behind>,
    /// The template's maturity.
    pub maturity: Option<Maturity>,
    /// What to use instead of a deprecated or retired template.
    pub replacement: Option<String>,
    /// Rules of exceptions past their expiry date.
    pub expired_exceptions: Vec<String>,
    /// `pave check` violations (exit-1 findings), when the check could run.
    pub violations: Option<usize>,
    /// `pave check` warnings.
    pub warnings: Option<usize>,
    /// The rules of the violations, for the table.
    pub violated_rules: Vec<String>,
    /// Why the project could not be read.
    pub error: Option<String>,
}

/// Today's date as a TOML date, from the system clock (pave may read the clock; templates may not).
pub fn today() -> toml::value::Date {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    toml::value::Date {
        year: u16::try_from(year).unwrap_or(u16::MAX),
        month: u8::try_from(month).unwrap_or(1),
        day: u8::try_from(day).unwrap_or(1),
    }
}

/// The longest an exception may run when the catalog sets no maximum.
pub const DEFAULT_MAX_EXCEPTION_DAYS: u32 = 180;

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days from `today` to a date (negative in the past); `None` without a date part.
pub fn days_until(when: &toml::value::Datetime, today: toml::value::Date) -> Option<i64> {
    let d = when.date?;
    let day = |x: toml::value::Date| days_from_civil(i64::from(x.year), i64::from(x.month), i64::from(x.day));
    Some(day(d) - day(today))
}

/// Whether an exception's expiry is before `today`.
pub fn expired(expires: &toml::value::Datetime, today: toml::value::Date) -> bool {
    expires.date.is_some_and(|d| (d.year, d.month, d.day) < (today.year, today.month, today.day))
}

/// Where one project stands. `catalog_for` loads (and may cache) the catalog a project records.
pub fn status_of(project: &Project, catalog_for: &dyn Fn(Option<&str>) -> Result<Catalog>) -> StatusRow {
    let mut row = StatusRow {
        path: project.name.clone(),
        template: String::new(),
        version: String::new(),
        latest: None,
        behind: None,
        maturity: None,
        replacement: None,
        expired_exceptions: Vec::new(),
        violations: None,
        warnings: None,
        violated_rules: Vec::new(),
        error: None,
    };
    let file = match ProjectFile::read(&project.dir) {
        Ok(f) => f,
        Err(e) => {
            row.error = Some(e.to_string());
            return row;
        }
    };
    row.template.clone_from(&file.template.name);
    row.version = file.template.version.to_string();
    let today = today();
    row.expired_exceptions =
        file.exceptions.iter().filter(|e| expired(&e.expires, today)).map(|e| e.rule.clone()).collect();
    let catalog = match catalog_for(file.template.catalog.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            row.error = Some(e.to_string());
            return row;
        }
    };
    match crate::check::check(&project.dir, &file, &catalog) {
        Ok(findings) => {
            use crate::check::Severity;
            row.violated_rules =
                findings.iter().filter(|f| f.severity == Severity::Error).map(|f| f.rule.clone()).collect();
            row.violations = Some(row.violated_rules.len());
            row.warnings = Some(findings.iter().filter(|f| f.severity == Severity::Warning).count());
        }
        Err(e) => row.error = Some(format!("check failed: {}", e.to_string().lines().next().unwrap_or_default())),
    }
    match catalog.entry(&file.template.name).cloned() {
        Ok(entry) => {
            row.maturity = Some(entry.maturity);
            row.replacement.clone_from(&entry.replacement);
            row.behind = entry.latest.as_ref().map(|l| behind(&file.template.version, l));
            row.latest = entry.latest.map(|l| l.to_string());
        }
        Err(e) => row.error = Some(e.to_string()),
    }
    row
}

/// Counts across the fleet.
#[derive(Debug, Default, Serialize)]
pub struct StatusSummary {
    /// Projects found.
    pub projects: usize,
    /// On the newest version.
    pub current: usize,
    /// Behind it.
    pub behind: usize,
    /// Could not be read.
    pub unreadable: usize,
    /// Made from a template the catalog does not have.
    pub unknown_template: usize,
    /// On a deprecated or retired template.
    pub on_deprecated_or_retired: usize,
    /// With an expired exception.
    pub with_expired_exceptions: usize,
    /// Failing `pave check`.
    pub with_violations: usize,
    /// Projects per template.
    pub per_template: BTreeMap<String, usize>,
    /// Projects per template and version.
    pub per_version: BTreeMap<String, BTreeMap<String, usize>>,
    /// Projects per maturity label.
    pub per_maturity: BTreeMap<String, usize>,
}

/// Sums the rows up.
pub fn summarize(rows: &[StatusRow]) -> StatusSummary {
    let mut s = StatusSummary { projects: rows.len(), ..StatusSummary::default() };
    for r in rows {
        if r.error.is_some() && r.template.is_empty() {
            s.unreadable += 1;
            continue;
        }
        if r.maturity.is_none() {
            s.unknown_template += 1;
        }
        match r.behind {
            Some(Behind::Current | Behind::Ahead) => s.current += 1,
            Some(_) => s.behind += 1,
            None => {}
        }
        if matches!(r.maturity, Some(Maturity::Deprecated | Maturity::Retired)) {
            s.on_deprecated_or_retired += 1;
        }
        if !r.expired_exceptions.is_empty() {
            s.with_expired_exceptions += 1;
        }
        if r.violations.is_some_and(|v| v > 0) {
            s.with_violations += 1;
        }
        *s.per_template.entry(r.template.clone()).or_default() += 1;
        *s.per_version.entry(r.template.clone()).or_default().entry(r.version.clone()).or_default() += 1;
        if let Some(m) = r.maturity {
            *s.per_maturity.entry(m.to_string()).or_default() += 1;
        }
    }
    s
}

/// What `--on-conflict` does with a conflicted project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OnConflict {
    /// No branch: the project is reported for a human.
    #[default]
    Skip,
    /// Commit with the markers on the branch, flagged in the report.
    Commit,
}

/// The fleet-wide choices.
#[derive(Debug, Clone, Default)]
pub struct FleetOptions {
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
}

/// How one project ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
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
pub struct RepoOutcome {
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

/// The repository a project belongs to: the nearest directory with a `.git` entry. Projects of
/// one repository are upgraded one after the other, onto the same branch.
pub fn repo_key(dir: &Path) -> PathBuf {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if crate::fs::entry_kind(&d.join(".git")).ok().flatten().is_some() {
            return d.to_path_buf();
        }
        cur = d.parent();
    }
    dir.to_path_buf()
}

/// Groups projects by repository, keeping the discovery order inside each group.
pub fn group_by_repo(projects: Vec<Project>) -> Vec<Vec<Project>> {
    // An index by repository keeps this linear for very large fleets.
    let mut index: std::collections::HashMap<PathBuf, usize> = std::collections::HashMap::new();
    let mut groups: Vec<Vec<Project>> = Vec::new();
    for p in projects {
        let key = repo_key(&p.dir);
        if let Some(&i) = index.get(&key) {
            groups[i].push(p);
        } else {
            index.insert(key, groups.len());
            groups.push(vec![p]);
        }
    }
    groups
}

/// Upgrades the projects of one repository in order; each commit goes on top of the branch
/// the previous one wrote.
pub fn upgrade_group(
    group: &[Project],
    opts: &FleetOptions,
    catalog_for: &(dyn Fn(Option<&str>) -> Result<Catalog> + Sync),
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
pub fn upgrade_one(
    project: &Project,
    opts: &FleetOptions,
    catalog_for: &(dyn Fn(Option<&str>) -> Result<Catalog> + Sync),
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
            out.error = Some(one_line(&e));
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

/// An error as one line for reports: the message, then the hint.
fn one_line(e: &Error) -> String {
    let first = e.to_string().lines().next().unwrap_or_default().to_string();
    match e.hint() {
        Some(h) => format!("{first} ({h})"),
        None => first,
    }
}

fn fail(message: impl Into<String>) -> Error {
    Error::usage(message, None::<String>)
}

fn upgrade_inner(
    project: &Project,
    opts: &FleetOptions,
    catalog_for: &(dyn Fn(Option<&str>) -> Result<Catalog> + Sync),
    written: &mut BTreeMap<String, String>,
    out: &mut RepoOutcome,
) -> Result<()> {
    let repo = match ProjectRepo::open(&project.dir)? {
        Ok(r) => r,
        Err(refusal) => return Err(fail(refusal.explain(&project.dir).0)),
    };
    if let Some(reason) = repo.fleet_precheck()? {
        return Err(fail(reason));
    }
    if let Some(refusal) = repo.precheck(false)? {
        return Err(fail(refusal.explain(&project.dir).0));
    }
    let text = match repo.head_file(FILE_NAME)? {
        Some(f) => String::from_utf8_lossy(f.bytes()).into_owned(),
        None => {
            return Err(fail(format!("{FILE_NAME} is not committed on {}", repo.head_branch().unwrap_or_default())));
        }
    };
    let file = ProjectFile::parse(&format!("{}/{FILE_NAME}", project.name), &text)?;
    out.template.clone_from(&file.template.name);
    out.from = file.template.version.to_string();
    if opts.template.as_ref().is_some_and(|t| t != &file.template.name) {
        out.outcome = Outcome::Skipped;
        out.error = Some("another template".into());
        return Ok(());
    }
    let catalog = catalog_for(file.template.catalog.as_deref())?;
    let req = Request {
        to: opts.to.clone(),
        fill: opts.overrides.clone(),
        style: ConflictStyle::Inline,
        ..Request::default()
    };
    let prepared = match upgrade::prepare(&catalog, &file, &req, &mut NoPrompt)? {
        Target::Current { recorded, .. } => {
            out.to = recorded.to_string();
            out.outcome = Outcome::Current;
            return Ok(());
        }
        Target::Upgrade(p) => p,
    };
    out.to = prepared.to.version.to_string();
    let plan = crate::plan::plan(&prepared.plan_input(), &HeadTree { repo: &repo })?;
    out.files_changed = plan.changes().count();
    out.conflicts = plan
        .files
        .iter()
        .filter(|f| matches!(f.action, crate::plan::Action::Conflict(_)))
        .map(|f| f.path.clone())
        .collect();
    if out.files_changed == 0 && prepared.record == file.text {
        out.outcome = Outcome::Current;
        return Ok(());
    }
    if !out.conflicts.is_empty() && opts.on_conflict == OnConflict::Skip {
        out.outcome = Outcome::Conflict;
        return Ok(());
    }
    let branch =
        opts.branch.clone().unwrap_or_else(|| format!("pave/{}-{}", prepared.to.entry.name, prepared.to.version));
    out.branch = Some(branch.clone());
    if opts.dry_run {
        out.outcome = Outcome::WouldUpgrade;
        return Ok(());
    }
    let changes = crate::apply::tree_changes(&plan, &prepared.record);
    let place = crate::fs::canonicalize(&project.dir)
        .ok()
        .and_then(|d| d.strip_prefix(repo.workdir()).ok().map(|p| p.to_string_lossy().into_owned()))
        .filter(|p| !p.is_empty())
        .map(|p| format!(" in {p}"))
        .unwrap_or_default();
    let mut message = format!("Upgrade {} from {} to {}{place}\n\n", prepared.to.entry.name, out.from, out.to);
    for f in &plan.files {
        let _ = writeln!(message, "{:9} {}", f.action.word(), crate::diff::display_path(f));
    }
    if !out.conflicts.is_empty() {
        message.push_str("\nConflicts are committed with their markers: resolve them before merging.\n");
    }
    let previous = written.get(&branch).cloned();
    let (commit, write) = repo.commit_to_branch(&changes, message.trim_end(), &branch, previous.as_deref())?;
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

/// The projects a previous report says failed.
pub fn failed_in_report(text: &str) -> Result<Vec<Project>> {
    #[derive(Deserialize)]
    struct Report {
        projects: Vec<RepoOutcome>,
    }
    let report: Report = serde_json::from_str(text).map_err(|e| {
        Error::usage(
            format!("--only-failed: not a JSON fleet report: {e}"),
            Some("pass the .json file written by --report".to_string()),
        )
    })?;
    Ok(report
        .projects
        .into_iter()
        .filter(|p| p.outcome == Outcome::Failed)
        .map(|p| Project { dir: PathBuf::from(if p.dir.is_empty() { &p.path } else { &p.dir }), name: p.path })
        .collect())
}

/// Whether a path holds a project.
pub fn is_project(dir: &Path) -> bool {
    dir.join(FILE_NAME).is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_fleet() {
        let projects: Vec<Project> =
            (0..200).map(|i| Project { dir: PathBuf::from(format!("r/{i}")), name: format!("svc-{i}") }).collect();
        for n in 1..=7 {
            let mut seen = vec![0; projects.len()];
            for i in 1..=n {
                for (k, p) in projects.iter().enumerate() {
                    if in_shard(p, i, n) {
                        seen[k] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|c| *c == 1), "n={n}");
        }
    }

    #[test]
    fn behind_levels() {
        let v = |s: &str| semver::Version::parse(s).expect("version");
        assert_eq!(behind(&v("1.0.0"), &v("2.0.0")), Behind::Major);
        assert_eq!(behind(&v("1.0.0"), &v("1.1.0")), Behind::Minor);
        assert_eq!(behind(&v("1.1.0"), &v("1.1.3")), Behind::Patch);
        assert_eq!(behind(&v("1.1.0"), &v("1.1.0")), Behind::Current);
        assert_eq!(behind(&v("2.0.0-rc.1"), &v("1.1.0")), Behind::Ahead);
    }

    #[test]
    fn shard_syntax() {
        assert!(parse_shard("0/3").is_err());
        assert!(parse_shard("4/3").is_err());
        assert_eq!(parse_shard("2/3").ok(), Some((2, 3)));
    }

    #[test]
    fn today_is_a_real_date() {
        let t = today();
        assert!(t.year >= 2024 && (1..=12).contains(&t.month) && (1..=31).contains(&t.day));
    }
}
