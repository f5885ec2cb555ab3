//! `pave fleet status` and `pave fleet upgrade`: the platform team's view across many projects.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use rayon::prelude::*;

use super::Context;
use super::error::{Error, Result, exit};
use crate::catalog::Catalog;
use crate::cli::{FleetCommand, FleetSource, FleetStatusArgs, FleetUpgradeArgs};
use crate::fleet::status::{self, StatusRow};
use crate::fleet::upgrade::{FleetOptions, Outcome, RepoOutcome};
use crate::fleet::{self, Project};

/// Runs a `fleet` subcommand.
pub(crate) fn run(ctx: &Context, cmd: &FleetCommand) -> Result<i32> {
    match cmd {
        FleetCommand::Status(args) => status(ctx, args),
        FleetCommand::Upgrade(args) => upgrade(ctx, args),
        FleetCommand::History(args) => super::fleet_history::history(ctx, args),
        FleetCommand::Scorecard(args) => super::fleet_history::scorecard(ctx, args),
    }
}

/// Loads each catalog source once, whatever the number of projects recording it.
struct CatalogCache<'a> {
    ctx: &'a Context,
    loaded: Mutex<HashMap<Option<String>, Catalog>>,
}

impl CatalogCache<'_> {
    fn get(&self, recorded: Option<&str>) -> Result<Catalog> {
        let key = self.ctx.global.catalog.clone().or_else(|| recorded.map(str::to_string));
        // Held while loading, so two projects never clone the same git catalog at once.
        let mut loaded = self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = loaded.get(&key) {
            return Ok(c.clone());
        }
        let catalog = self.ctx.catalog_for(recorded)?;
        loaded.insert(key, catalog.clone());
        Ok(catalog)
    }
}

fn projects(source: &FleetSource, only_failed: Option<&Path>) -> Result<Vec<Project>> {
    let mut found = if let Some(report) = only_failed {
        fleet::upgrade::failed_in_report(&crate::fs::read_to_string(report)?)
            .map_err(|e| Error::usage(e, Some("pass the .json file written by --report".to_string())))?
    } else {
        let mut found = fleet::discover(&source.roots);
        if let Some(list) = &source.repos_from {
            found.extend(fleet::from_list(&crate::fs::read_to_string(list)?));
        }
        if source.roots.is_empty() && source.repos_from.is_none() {
            return Err(Error::usage(
                "no projects to look at",
                Some("pass one or more ROOT directories, or --repos-from FILE".to_string()),
            ));
        }
        found
    };
    if let Some(shard) = source.shard {
        found.retain(|p| shard.contains(p));
    }
    Ok(found)
}

fn status(ctx: &Context, args: &FleetStatusArgs) -> Result<i32> {
    let found = projects(&args.source, None)?;
    let cache = CatalogCache { ctx, loaded: Mutex::new(HashMap::new()) };
    let rows: Vec<StatusRow> = found.par_iter().map(|p| status::status_of(p, &|r| cache.get(r))).collect();
    let summary = status::summarize(&rows);
    if let Some(html) = &args.html {
        crate::fs::write_atomic(html, fleet::page(&rows, &summary).as_bytes(), false)?;
        ctx.printer.status(&format!("Wrote {}", html.display()));
    }
    if args.json {
        let body = serde_json::json!({ "projects": rows, "summary": summary });
        let text = serde_json::to_string_pretty(&body).map_err(|e| Error::Output(crate::ui::OutputError(e.into())))?;
        ctx.printer.out(&format!("{text}\n"))?;
        return Ok(exit::OK);
    }
    ctx.printer.out(&status_table(&rows))?;
    let noun = if summary.projects == 1 { "project" } else { "projects" };
    let mut tail = format!("{} {noun}: {} current · {} behind", summary.projects, summary.current, summary.behind);
    for (label, n) in [
        ("on deprecated or retired templates", summary.on_deprecated_or_retired),
        ("with expired exceptions", summary.with_expired_exceptions),
        ("failing pave check", summary.with_violations),
        ("unreadable", summary.unreadable),
        ("on templates the catalog does not have", summary.unknown_template),
    ] {
        if n > 0 {
            let _ = write!(tail, " · {n} {label}");
        }
    }
    ctx.printer.status(&tail);
    for (template, versions) in &summary.per_version {
        let spread: Vec<String> = versions.iter().rev().map(|(v, n)| format!("{v} ×{n}")).collect();
        ctx.printer.status(&format!("  {template}: {}", spread.join(", ")));
    }
    Ok(exit::OK)
}

fn status_table(rows: &[StatusRow]) -> String {
    let w = rows.iter().map(|r| r.path.len()).max().unwrap_or(4).max(4);
    let t = rows.iter().map(|r| r.template.len()).max().unwrap_or(8).max(8);
    let mut out = format!(
        "{:w$}  {:t$}  {:10}  {:10}  {:8}  {:12}  {:6}  NOTES\n",
        "PATH", "TEMPLATE", "VERSION", "LATEST", "BEHIND", "MATURITY", "CHECK"
    );
    for r in rows {
        let mut notes = Vec::new();
        if let Some(e) = &r.error {
            notes.push(e.lines().next().unwrap_or_default().to_string());
        }
        if let Some(rep) = &r.replacement {
            notes.push(format!("use {rep}"));
        }
        if !r.expired_exceptions.is_empty() {
            notes.push(format!("expired exception: {}", r.expired_exceptions.join(", ")));
        }
        let behind = r.behind.map_or("-".to_string(), |b| format!("{b:?}").to_lowercase());
        let maturity = r.maturity.map_or("-".to_string(), |m| m.to_string());
        let check = match (r.violations, r.warnings) {
            (Some(0), Some(0)) => "ok".to_string(),
            (Some(v), Some(w)) => format!("{v}✖ {w}⚠"),
            _ => "-".to_string(),
        };
        if !r.violated_rules.is_empty() {
            notes.push(format!("violates {}", r.violated_rules.join(", ")));
        }
        let _ = writeln!(
            out,
            "{:w$}  {:t$}  {:10}  {:10}  {:8}  {:12}  {check:6}  {}",
            r.path,
            if r.template.is_empty() { "-" } else { &r.template },
            if r.version.is_empty() { "-" } else { &r.version },
            r.latest.as_deref().unwrap_or("-"),
            behind,
            maturity,
            notes.join("; ")
        );
    }
    out
}

fn upgrade(ctx: &Context, args: &FleetUpgradeArgs) -> Result<i32> {
    if let Some(branch) = &args.branch {
        super::check_branch_name(branch)?;
    }
    let found = projects(&args.source, args.only_failed.as_deref())?;
    let count = found.len();
    let jobs =
        args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get)).max(1);
    let opts = FleetOptions {
        template: args.template.clone(),
        to: args.to.clone(),
        overrides: args.data.clone(),
        branch: args.branch.clone(),
        dry_run: args.dry_run,
        on_conflict: args.on_conflict.into(),
        defaults: ctx.config.answer_defaults(),
    };
    ctx.printer.status(&format!(
        "{count} {}, {jobs} {}",
        if count == 1 { "project" } else { "projects" },
        if jobs == 1 { "job" } else { "jobs" }
    ));
    let cache = CatalogCache { ctx, loaded: Mutex::new(HashMap::new()) };
    let started = Instant::now();
    let progress = ctx.printer.progress(count as u64);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Error::usage(format!("cannot start {jobs} jobs: {e}"), None::<String>))?;
    let groups = fleet::group_by_repo(found);
    let on_done = |o: &RepoOutcome| progress.done(&o.path, &outcome_line(o));
    let outcomes: Vec<RepoOutcome> = pool.install(|| {
        groups
            .par_iter()
            .flat_map_iter(|g| fleet::upgrade::upgrade_group(g, &opts, &|r| cache.get(r), &on_done))
            .collect()
    });
    progress.finish();
    let elapsed = started.elapsed().as_secs_f64();

    if let Some(path) = &args.report {
        write_report(path, &outcomes, elapsed)?;
    }
    print_upgrade_summary(ctx, &outcomes, elapsed, args);
    let failed = outcomes.iter().any(|o| o.outcome == Outcome::Failed);
    let conflicts = outcomes.iter().any(|o| matches!(o.outcome, Outcome::Conflict | Outcome::ConflictCommitted));
    Ok(if failed {
        exit::FAILURE
    } else if conflicts {
        exit::CONFLICTS
    } else {
        exit::OK
    })
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Upgraded => "upgraded",
        Outcome::WouldUpgrade => "would upgrade",
        Outcome::Current => "current",
        Outcome::Conflict => "conflict",
        Outcome::ConflictCommitted => "conflict committed",
        Outcome::Skipped => "skipped",
        Outcome::Failed => "failed",
    }
}

fn outcome_line(o: &RepoOutcome) -> String {
    let mut line = format!("{:18} {}", outcome_word(o.outcome), o.path);
    if !o.from.is_empty() && !o.to.is_empty() && o.from != o.to {
        let _ = write!(line, "  {} {} → {}", o.template, o.from, o.to);
    }
    if !o.conflicts.is_empty() {
        let _ = write!(line, "  conflicts: {}", o.conflicts.join(", "));
    }
    if let Some(e) = &o.error {
        let _ = write!(line, "  {e}");
    }
    line
}

/// The reason of a failure without its specifics, to group failures on screen.
fn reason(error: &str) -> String {
    let error = error.strip_prefix("git: ").unwrap_or(error);
    // Names in backticks differ per project; the words around them are the reason.
    let mut general = String::new();
    for (i, part) in error.split('`').enumerate() {
        general.push_str(if i % 2 == 1 { "…" } else { part });
    }
    general.split([':', '(']).next().unwrap_or(&general).trim().to_string()
}

fn print_upgrade_summary(ctx: &Context, outcomes: &[RepoOutcome], elapsed: f64, args: &FleetUpgradeArgs) {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for o in outcomes {
        *counts.entry(outcome_word(o.outcome)).or_default() += 1;
    }
    let order = ["upgraded", "would upgrade", "current", "conflict", "conflict committed", "skipped", "failed"];
    let parts: Vec<String> = order.iter().filter_map(|w| counts.get(w).map(|n| format!("{n} {w}"))).collect();
    ctx.printer.status(&format!("Done in {elapsed:.1} s: {}", parts.join(" · ")));

    let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| o.outcome == Outcome::Failed) {
        groups.entry(reason(o.error.as_deref().unwrap_or("unknown"))).or_default().push(&o.path);
    }
    if !groups.is_empty() {
        ctx.printer.status("failed:");
        for (why, paths) in &groups {
            let shown: Vec<&str> = paths.iter().take(5).copied().collect();
            let more = if paths.len() > 5 { format!(" and {} more", paths.len() - 5) } else { String::new() };
            ctx.printer.status(&format!("  {} × {why}   {}{more}", paths.len(), shown.join(", ")));
        }
    }
    let conflicted: Vec<&str> =
        outcomes.iter().filter(|o| o.outcome == Outcome::Conflict).map(|o| o.path.as_str()).collect();
    if !conflicted.is_empty() {
        ctx.printer.status(&format!(
            "conflicts (no branch written; upgrade these by hand with `pave upgrade`): {}",
            conflicted.join(", ")
        ));
    }
    let upgraded: Vec<&RepoOutcome> =
        outcomes.iter().filter(|o| matches!(o.outcome, Outcome::Upgraded | Outcome::ConflictCommitted)).collect();
    if !upgraded.is_empty() {
        let mut branches: Vec<&str> = upgraded.iter().filter_map(|o| o.branch.as_deref()).collect();
        branches.sort_unstable();
        branches.dedup();
        let mut repos: Vec<std::path::PathBuf> = upgraded.iter().map(|o| fleet::repo_key(Path::new(&o.dir))).collect();
        repos.sort();
        repos.dedup();
        ctx.printer.status(&format!(
            "Branch {} written in {} {}; working trees untouched.",
            branches.join(", "),
            repos.len(),
            if repos.len() == 1 { "repository" } else { "repositories" }
        ));
    }
    if let Some(report) = &args.report {
        let rerun = if counts.contains_key("failed") && report.extension().is_some_and(|e| e == "json") {
            format!("   Re-run the failures: pave fleet upgrade --only-failed {}", report.display())
        } else {
            String::new()
        };
        ctx.printer.status(&format!("Report: {}{rerun}", report.display()));
    }
}

fn write_report(path: &Path, outcomes: &[RepoOutcome], elapsed: f64) -> Result<()> {
    // Keyed by the same kebab-case names as each project's `outcome`.
    let mut summary: BTreeMap<String, usize> = BTreeMap::new();
    for o in outcomes {
        *summary.entry(outcome_word(o.outcome).replace(' ', "-")).or_default() += 1;
    }
    let is_md = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"));
    let text = if is_md {
        let noun = if outcomes.len() == 1 { "project" } else { "projects" };
        let mut md = format!("# pave fleet upgrade\n\n{} {noun} in {elapsed:.1} s", outcomes.len());
        for (w, n) in &summary {
            let _ = write!(md, " · {n} {}", w.replace('-', " "));
        }
        md.push_str("\n\n| project | template | from | to | outcome | branch | commit | files | conflicts | error |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for o in outcomes {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                o.path,
                o.template,
                o.from,
                o.to,
                outcome_word(o.outcome),
                o.branch.as_deref().unwrap_or(""),
                o.commit.as_deref().map_or("", |c| &c[..c.len().min(12)]),
                o.files_changed,
                o.conflicts.join(", "),
                o.error.as_deref().unwrap_or("").replace('|', "\\|")
            );
        }
        md
    } else {
        let body = serde_json::json!({
            "projects": outcomes,
            "summary": { "projects": outcomes.len(), "seconds": elapsed, "outcomes": summary },
        });
        let mut t = serde_json::to_string_pretty(&body).map_err(|e| Error::Output(crate::ui::OutputError(e.into())))?;
        t.push('\n');
        t
    };
    Ok(crate::fs::write_atomic(path, text.as_bytes(), false)?)
}
