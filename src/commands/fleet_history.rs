//! `pave fleet history` and `pave fleet scorecard`: the fleet over time, from git history alone.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rayon::prelude::*;

use super::Context;
use super::error::{Error, Result, exit};
use crate::cli::{FleetHistoryArgs, FleetScorecardArgs, FleetSource};
use crate::fleet::dates::Day;
use crate::fleet::history::{Event, ProjectHistory};
use crate::fleet::scorecard::{self, Scorecard, TemplateInfo};
use crate::fleet::{self, Project};

/// What the fleet's histories came to: the local projects, every project's history, the
/// commits walked, and the `pave check` violations of remote projects (when asked for).
struct Histories {
    local: Vec<Project>,
    projects: Vec<ProjectHistory>,
    commits: usize,
    remote_violations: BTreeMap<String, usize>,
}

/// Every project's history, one walk per repository, repositories in parallel: checkouts from
/// their checked-out branch, remote repositories from their mirror's default branch (fetched
/// first, whole). `check` also checks each remote project's files at that branch's tip.
fn histories(ctx: &Context, source: &FleetSource, today: Day, check: bool) -> Result<Histories> {
    let (found, remotes) = super::fleet::sources(source)?;
    let groups = fleet::group_by_repo(found.clone());
    let mut per_repo: Vec<Vec<ProjectHistory>> = groups
        .par_iter()
        .map(|g| {
            let repo = g.first().map(|p| fleet::repo_key(&p.dir)).unwrap_or_default();
            fleet::history::repo_histories(&repo, None, g, today)
        })
        .collect();
    let mirrors = crate::remote::cache_root().with_file_name("mirrors");
    let auth = super::fleet::git_auth();
    let cache = super::fleet::CatalogCache::new(ctx);
    let catalog_for = |recorded: Option<&str>| cache.get(recorded).map_err(|e| e.to_string());
    let remote: Vec<(Vec<ProjectHistory>, BTreeMap<String, usize>)> = remotes
        .par_iter()
        .map(|(url, branch)| {
            let remote =
                fleet::history_remote::Remote { mirrors: &mirrors, url, branch: branch.as_deref(), auth: &auth };
            fleet::history_remote::remote_histories(&remote, today, check.then_some(&catalog_for))
        })
        .collect();
    let mut remote_violations = BTreeMap::new();
    for (hs, violations) in remote {
        per_repo.push(hs);
        remote_violations.extend(violations);
    }
    let commits = per_repo.iter().filter_map(|r| r.first()).map(|h| h.commits).sum();
    let mut out: Vec<ProjectHistory> = per_repo.into_iter().flatten().collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Histories { local: found, projects: out, commits, remote_violations })
}

fn json_text(value: &impl serde::Serialize) -> Result<String> {
    let mut t = serde_json::to_string_pretty(value).map_err(|e| Error::Output(crate::ui::OutputError(e.into())))?;
    t.push('\n');
    Ok(t)
}

/// `pave fleet history`.
pub(crate) fn history(ctx: &Context, args: &FleetHistoryArgs) -> Result<i32> {
    let today = args.today.unwrap_or_else(Day::today);
    let started = std::time::Instant::now();
    let Histories { projects: hs, commits, .. } = histories(ctx, &args.source, today, false)?;
    let events: usize = hs.iter().map(|h| h.events.len()).sum();
    let failed = hs.iter().filter(|h| h.error.is_some()).count();
    if args.json {
        let summary = serde_json::json!({
            "projects": hs.len(),
            "events": events,
            "failed": failed,
            "history_cut": hs.iter().filter(|h| h.history_cut.is_some()).count(),
        });
        ctx.printer.out(&json_text(&serde_json::json!({ "projects": hs, "summary": summary }))?)?;
    } else {
        ctx.printer.out(&history_text(&hs))?;
    }
    let noun = if hs.len() == 1 { "project" } else { "projects" };
    let mut tail = format!("{} {noun}, {events} events", hs.len());
    let cut = hs.iter().filter(|h| h.history_cut.is_some()).count();
    let noted = hs.iter().filter(|h| !h.notes.is_empty()).count();
    for (n, label) in [(cut, "with a cut history"), (noted, "with notes"), (failed, "unreadable")] {
        if n > 0 {
            let _ = write!(tail, " · {n} {label}");
        }
    }
    let _ = write!(tail, " ({commits} commits walked in {:.1} s)", started.elapsed().as_secs_f64());
    ctx.printer.status(&tail);
    Ok(if failed > 0 { exit::FAILURE } else { exit::OK })
}

fn event_line(e: &Event) -> String {
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    let what = match e.kind {
        "created" | "history-cut" => format!("{} {}", s(&e.template), s(&e.version)),
        "upgraded" | "downgraded" | "moved" | "switched" => format!("{} → {}", s(&e.from), s(&e.to)),
        "exception-added" | "exception-renewed" => {
            format!("{} (owner {}, expires {})", s(&e.rule), s(&e.owner), s(&e.expires))
        }
        "exception-removed" | "exception-expired" => format!("{} (expires {})", s(&e.rule), s(&e.expires)),
        "unreadable" => s(&e.message),
        _ => String::new(),
    };
    format!("  {}  {:18} {what}", e.date, e.kind)
}

fn history_text(hs: &[ProjectHistory]) -> String {
    let mut out = String::new();
    for h in hs {
        let on = match (&h.template, &h.version) {
            (Some(t), Some(v)) => format!("{t} {v}"),
            _ => "-".to_string(),
        };
        let _ = writeln!(out, "{}  {on}  owner {}", h.path, h.owner.as_deref().unwrap_or("-"));
        if let Some(e) = &h.error {
            let _ = writeln!(out, "  error: {e}");
        }
        for e in &h.events {
            let _ = writeln!(out, "{}", event_line(e));
        }
        for n in &h.notes {
            let _ = writeln!(out, "  note: {n}");
        }
    }
    out
}

/// The release dates and maturity of every template of the catalogs the projects record.
fn template_infos(ctx: &Context, found: &[Project]) -> BTreeMap<String, TemplateInfo> {
    let mut sources: Vec<Option<String>> = found
        .iter()
        .filter_map(|p| crate::project::ProjectFile::read(&p.dir).ok())
        .map(|f| f.template.catalog)
        .collect();
    sources.sort();
    sources.dedup();
    if sources.is_empty() {
        sources.push(None);
    }
    let mut infos = BTreeMap::new();
    for src in sources {
        let Ok(catalog) = ctx.catalog_for(src.as_deref()) else { continue };
        for entry in &catalog.entries {
            if infos.contains_key(&entry.name) {
                continue;
            }
            let releases = entry
                .versions
                .iter()
                .filter(|v| v.pre.is_empty())
                .map(|v| (v.clone(), crate::releases::release_date(&catalog, &entry.name, v)))
                .collect();
            infos.insert(entry.name.clone(), TemplateInfo { maturity: Some(entry.maturity), releases });
        }
    }
    infos
}

/// `pave fleet scorecard`.
pub(crate) fn scorecard(ctx: &Context, args: &FleetScorecardArgs) -> Result<i32> {
    let today = args.today.unwrap_or_else(Day::today);
    let Histories { local: found, projects: hs, remote_violations, .. } = histories(ctx, &args.source, today, true)?;
    let infos = template_infos(ctx, &found);
    let cache = super::fleet::CatalogCache::new(ctx);
    let catalog_for = |recorded: Option<&str>| cache.get(recorded);
    let mut violations: BTreeMap<String, usize> = found
        .par_iter()
        .map(|p| fleet::status::status_of(p, &catalog_for))
        .filter_map(|row| row.violations.map(|v| (row.path, v)))
        .collect();
    violations.extend(remote_violations);
    let card = scorecard::scorecard(&hs, args.quarter, today, &infos, &violations);
    if let Some(path) = &args.html {
        super::wrote(ctx, path, crate::fs::write_output(path, fleet::scorecard_html::page(&card).as_bytes())?);
    }
    if args.json {
        ctx.printer.out(&json_text(&card)?)?;
    } else {
        ctx.printer.out(&scorecard_text(&card))?;
    }
    Ok(exit::OK)
}

fn scorecard_text(card: &Scorecard) -> String {
    let mut out =
        format!("Golden-path scorecard {} ({} to {}, as of {})\n", card.quarter, card.start, card.end, card.as_of);
    let d = |x: Option<i64>| x.map_or_else(|| "-".to_string(), |d| format!("{d} d"));
    let mut group = |title: &str, s: &scorecard::Section| {
        let n = &s.now;
        let share = n.on_latest_share.map_or_else(|| "-".to_string(), |x| format!("{:.0}%", x * 100.0));
        let _ = writeln!(out, "\n{title}");
        let _ = writeln!(
            out,
            "  adoption    {} projects ({:+} since {}), {} on the newest release ({share})",
            n.projects,
            n.change,
            n.quarter.previous(),
            n.on_latest
        );
        for (t, vs) in &n.versions {
            let spread: Vec<String> =
                scorecard::newest_first(vs).into_iter().map(|(v, c)| format!("{v} ×{c}")).collect();
            let _ = writeln!(out, "              {t}: {}", spread.join(", "));
        }
        let _ = writeln!(
            out,
            "  lead time   median {}, p90 {} over {} upgrade(s); {} behind",
            d(n.lead_time.median),
            d(n.lead_time.p90),
            n.lead_time.upgrades,
            n.behind
        );
        let r = &n.risk;
        let _ = writeln!(
            out,
            "  risk        {} on deprecated or retired templates, {} open and {} expired exception(s), {} failing pave check now",
            r.deprecated_or_retired,
            r.open_exceptions,
            r.expired_exceptions,
            r.projects_with_violations.unwrap_or(0)
        );
        let trend: Vec<String> = s.trend.iter().map(|f| format!("{} {}", f.quarter, f.projects)).collect();
        let _ = writeln!(out, "  trend       {}", trend.join(" · "));
    };
    group("Fleet", &card.fleet);
    for (t, s) in &card.templates {
        group(&format!("Template {t}"), s);
    }
    for (t, s) in &card.teams {
        group(&format!("Team {t}"), s);
    }
    if !card.behind.is_empty() {
        let _ = writeln!(out, "\nStill behind");
        for b in &card.behind {
            let _ = writeln!(
                out,
                "  {}  {} {} (newest {}) since {}: {} days",
                b.path, b.template, b.version, b.latest, b.since, b.days
            );
        }
    }
    if !card.notes.is_empty() {
        let _ = writeln!(out, "\nNotes");
        for n in &card.notes {
            let _ = writeln!(out, "  {n}");
        }
    }
    out
}
