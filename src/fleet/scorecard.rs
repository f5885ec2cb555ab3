//! `pave fleet scorecard`: a quarter's golden-path figures from the projects' histories and the
//! catalog's release dates, for the fleet, per template and per owning team: adoption at the
//! quarter's end, upgrade lead times, the projects still behind, and risk. Pure: the command
//! gives it the histories, the release dates, today's `pave check` counts and today.

use std::collections::BTreeMap;

use serde::Serialize;

use super::dates::{Day, Quarter, median, percentile};
use super::history::{Event, ProjectHistory};
use crate::catalog::Maturity;

/// What the catalog says about one template.
#[derive(Debug, Clone, Default)]
pub(crate) struct TemplateInfo {
    /// Its maturity now.
    pub maturity: Option<Maturity>,
    /// Released (non-pre-release) versions, oldest first, with their release dates.
    pub releases: Vec<(semver::Version, Option<Day>)>,
}

impl TemplateInfo {
    /// The newest version released by `day` (a version without a date counts as released).
    fn latest_at(&self, day: Day) -> Option<&semver::Version> {
        self.releases.iter().filter(|(_, d)| d.is_none_or(|d| d <= day)).map(|(v, _)| v).max()
    }

    fn released(&self, v: &semver::Version) -> Option<Day> {
        self.releases.iter().find(|(x, _)| x == v).and_then(|(_, d)| *d)
    }

    /// The release date of the oldest version newer than `v` released by `day`.
    fn first_newer(&self, v: &semver::Version, day: Day) -> Option<Day> {
        self.releases.iter().filter(|(x, d)| x > v && d.is_some_and(|d| d <= day)).filter_map(|(_, d)| *d).min()
    }
}

/// One project's facts at one quarter's end.
#[derive(Debug, Clone)]
struct Facts {
    owner: String,
    on: Option<(String, semver::Version)>,
    before: Option<(String, semver::Version)>,
    lead_times: Vec<i64>,
    on_latest: bool,
    behind: Option<Behind>,
    open_exceptions: usize,
    expired_exceptions: usize,
    deprecated: bool,
    violations: Option<usize>,
}

/// A project behind its template's newest release at the quarter's end.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Behind {
    /// The project.
    pub path: String,
    /// Its template.
    pub template: String,
    /// The version it is on.
    pub version: String,
    /// The newest release by the quarter's end.
    pub latest: String,
    /// When the first release it has not taken came out.
    pub since: Day,
    /// Days from then to the quarter's end (or today, in the current quarter).
    pub days: i64,
}

/// Upgrade lead times: days from a release to each upgrade to it, for upgrades in the quarter.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct LeadTime {
    /// Upgrades counted (to a version with a known release date).
    pub upgrades: usize,
    /// The median, in days.
    pub median: Option<i64>,
    /// The 90th percentile (nearest rank), in days.
    pub p90: Option<i64>,
}

/// Risk on the record.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Risk {
    /// Projects on a deprecated or retired template (maturity as the catalog has it now).
    pub deprecated_or_retired: usize,
    /// Exceptions on the record and not expired at the quarter's end.
    pub open_exceptions: usize,
    /// Exceptions on the record past their expiry at the quarter's end.
    pub expired_exceptions: usize,
    /// Projects failing `pave check` now (`None` in the trend: only today can be checked).
    pub projects_with_violations: Option<usize>,
    /// Their violations, now.
    pub violations: Option<usize>,
}

/// The figures of one group (the fleet, a template, a team) for one quarter.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Figures {
    /// The quarter.
    pub quarter: Quarter,
    /// Projects at its end.
    pub projects: usize,
    /// Projects at the previous quarter's end.
    pub previous: usize,
    /// The change.
    pub change: i64,
    /// Projects per template and version at its end.
    pub versions: BTreeMap<String, BTreeMap<String, usize>>,
    /// Projects on their template's newest release.
    pub on_latest: usize,
    /// Their share, 0–1.
    pub on_latest_share: Option<f64>,
    /// Upgrade lead times.
    pub lead_time: LeadTime,
    /// Projects behind the newest release.
    pub behind: usize,
    /// Risk.
    pub risk: Risk,
}

/// One group's figures for the quarter and the quarters before it (oldest first).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Section {
    /// The quarter asked for.
    #[serde(flatten)]
    pub now: Figures,
    /// The same figures for this quarter and the ones before it, oldest first.
    pub trend: Vec<Figures>,
}

/// The scorecard.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Scorecard {
    /// The quarter.
    pub quarter: Quarter,
    /// Its first day.
    pub start: Day,
    /// Its last day.
    pub end: Day,
    /// The day "still behind" and "expired" are measured to: the end, or today when earlier.
    pub as_of: Day,
    /// The whole fleet.
    pub fleet: Section,
    /// Per template (the template at the quarter's end).
    pub templates: BTreeMap<String, Section>,
    /// Per owning team.
    pub teams: BTreeMap<String, Section>,
    /// Projects behind at the quarter's end, longest first.
    pub behind: Vec<Behind>,
    /// Projects whose history is incomplete or odd, with why.
    pub notes: Vec<String>,
}

/// How many quarters the trend shows.
pub(crate) const TREND: usize = 4;

/// The owner shown for a project with none.
pub(crate) const NO_OWNER: &str = "(no owner)";

/// Projects per version, newest version first (in version order, not text order: 10.0.0 after
/// 9.0.0).
pub(crate) fn newest_first(versions: &BTreeMap<String, usize>) -> Vec<(&str, usize)> {
    let mut out: Vec<(&str, usize)> = versions.iter().map(|(v, n)| (v.as_str(), *n)).collect();
    out.sort_by(|a, b| semver::Version::parse(b.0).ok().cmp(&semver::Version::parse(a.0).ok()).then(b.0.cmp(a.0)));
    out
}

fn parse_version(v: Option<&String>) -> Option<semver::Version> {
    v.and_then(|v| semver::Version::parse(v).ok())
}

/// Replays a project's events up to `day`: (template, version), open and expired exceptions.
fn state_at(events: &[Event], day: Day) -> (Option<(String, semver::Version)>, usize, usize) {
    let mut on = None;
    let mut exceptions: BTreeMap<&str, Option<Day>> = BTreeMap::new();
    for e in events.iter().filter(|e| e.date <= day) {
        match e.kind {
            "created" | "history-cut" | "upgraded" | "downgraded" | "switched" => {
                if let (Some(t), Some(v)) = (&e.template, parse_version(e.version.as_ref())) {
                    on = Some((t.clone(), v));
                }
            }
            "removed" => {
                on = None;
                exceptions.clear();
            }
            "exception-added" | "exception-renewed" => {
                let expires = e.expires.as_deref().and_then(|x| x.get(..10)).and_then(|x| x.parse().ok());
                exceptions.insert(e.rule.as_deref().unwrap_or_default(), expires);
            }
            "exception-removed" => {
                exceptions.remove(e.rule.as_deref().unwrap_or_default());
            }
            _ => {}
        }
    }
    let expired = exceptions.values().filter(|d| d.is_some_and(|d| d < day)).count();
    (on, exceptions.len() - expired, expired)
}

fn facts(
    h: &ProjectHistory,
    q: Quarter,
    as_of: Day,
    catalogs: &BTreeMap<String, TemplateInfo>,
    violations: Option<usize>,
) -> Facts {
    let end = q.end().min(as_of);
    let (on, open_exceptions, expired_exceptions) = state_at(&h.events, end);
    let (before, _, _) = state_at(&h.events, q.previous().end());
    let mut f = Facts {
        owner: h.owner.clone().unwrap_or_else(|| NO_OWNER.to_string()),
        on: on.clone(),
        before,
        lead_times: Vec::new(),
        on_latest: false,
        behind: None,
        open_exceptions,
        expired_exceptions,
        deprecated: false,
        violations,
    };
    for e in h.events.iter().filter(|e| e.kind == "upgraded" && e.date >= q.start() && e.date <= end) {
        let info = e.template.as_ref().and_then(|t| catalogs.get(t));
        if let (Some(info), Some(v)) = (info, parse_version(e.version.as_ref()))
            && let Some(released) = info.released(&v)
        {
            f.lead_times.push((e.date.0 - released.0).max(0));
        }
    }
    if let Some((t, v)) = &on
        && let Some(info) = catalogs.get(t)
    {
        f.deprecated = matches!(info.maturity, Some(Maturity::Deprecated | Maturity::Retired));
        match info.latest_at(end) {
            Some(latest) if v < latest => {
                if let Some(since) = info.first_newer(v, end) {
                    f.behind = Some(Behind {
                        path: h.path.clone(),
                        template: t.clone(),
                        version: v.to_string(),
                        latest: latest.to_string(),
                        since,
                        days: end.0 - since.0,
                    });
                }
            }
            Some(_) => f.on_latest = true,
            None => {}
        }
    }
    f
}

fn figures(q: Quarter, facts: &[&Facts], now: bool) -> Figures {
    let mut versions: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (t, v) in facts.iter().filter_map(|f| f.on.as_ref()) {
        *versions.entry(t.clone()).or_default().entry(v.to_string()).or_default() += 1;
    }
    let projects = facts.iter().filter(|f| f.on.is_some()).count();
    let previous = facts.iter().filter(|f| f.before.is_some()).count();
    let on_latest = facts.iter().filter(|f| f.on_latest).count();
    let mut leads: Vec<i64> = facts.iter().flat_map(|f| f.lead_times.iter().copied()).collect();
    leads.sort_unstable();
    let with_violations = facts.iter().filter(|f| f.on.is_some() && f.violations.is_some_and(|v| v > 0));
    #[allow(clippy::cast_precision_loss)] // counts of projects
    let share = (projects > 0).then(|| on_latest as f64 / projects as f64);
    Figures {
        quarter: q,
        projects,
        previous,
        change: i64::try_from(projects).unwrap_or(i64::MAX) - i64::try_from(previous).unwrap_or(i64::MAX),
        versions,
        on_latest,
        on_latest_share: share,
        lead_time: LeadTime { upgrades: leads.len(), median: median(&leads), p90: percentile(&leads, 90) },
        behind: facts.iter().filter(|f| f.behind.is_some()).count(),
        risk: Risk {
            deprecated_or_retired: facts.iter().filter(|f| f.on.is_some() && f.deprecated).count(),
            open_exceptions: facts.iter().map(|f| f.open_exceptions).sum(),
            expired_exceptions: facts.iter().map(|f| f.expired_exceptions).sum(),
            projects_with_violations: now.then(|| with_violations.clone().count()),
            violations: now.then(|| with_violations.filter_map(|f| f.violations).sum()),
        },
    }
}

/// Builds the scorecard. `violations` holds each project's `pave check` violations now (by path).
pub(crate) fn scorecard(
    histories: &[ProjectHistory],
    quarter: Quarter,
    today: Day,
    catalogs: &BTreeMap<String, TemplateInfo>,
    violations: &BTreeMap<String, usize>,
) -> Scorecard {
    let as_of = quarter.end().min(today);
    let mut quarters = vec![quarter];
    while quarters.len() < TREND {
        let first = quarters[0];
        quarters.insert(0, first.previous());
    }
    let per_quarter: Vec<Vec<Facts>> = quarters
        .iter()
        .map(|q| {
            histories
                .iter()
                .filter(|h| h.error.is_none())
                .map(|h| facts(h, *q, q.end().min(today), catalogs, violations.get(&h.path).copied()))
                .collect()
        })
        .collect();
    let now = per_quarter.last().map_or(&[][..], Vec::as_slice);
    let section = |keep: &dyn Fn(&Facts) -> bool| {
        let trend: Vec<Figures> = quarters
            .iter()
            .zip(&per_quarter)
            .map(|(q, fs)| figures(*q, &fs.iter().filter(|f| keep(f)).collect::<Vec<_>>(), *q == quarter))
            .collect();
        Section { now: trend.last().cloned().unwrap_or_else(|| figures(quarter, &[], true)), trend }
    };
    let mut templates = BTreeMap::new();
    let mut names: Vec<&str> =
        per_quarter.iter().flatten().filter_map(|f| f.on.as_ref().map(|(t, _)| t.as_str())).collect();
    names.sort_unstable();
    names.dedup();
    for t in names {
        templates.insert(t.to_string(), section(&|f: &Facts| f.on.as_ref().is_some_and(|(x, _)| x == t)));
    }
    let mut teams = BTreeMap::new();
    let mut owners: Vec<&str> = now.iter().map(|f| f.owner.as_str()).collect();
    owners.sort_unstable();
    owners.dedup();
    for o in owners {
        teams.insert(o.to_string(), section(&|f: &Facts| f.owner == o));
    }
    let mut behind: Vec<Behind> = now.iter().filter(|f| f.on.is_some()).filter_map(|f| f.behind.clone()).collect();
    behind.sort_by(|a, b| b.days.cmp(&a.days).then_with(|| a.path.cmp(&b.path)));
    let mut notes = Vec::new();
    for h in histories {
        if let Some(e) = &h.error {
            notes.push(format!("{}: not counted: {e}", h.path));
        }
        for n in &h.notes {
            notes.push(format!("{}: {n}", h.path));
        }
    }
    Scorecard {
        quarter,
        start: quarter.start(),
        end: quarter.end(),
        as_of,
        fleet: section(&|_: &Facts| true),
        templates,
        teams,
        behind,
        notes,
    }
}
