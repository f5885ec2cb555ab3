//! `pave fleet upgrade`: every repository of the fleet upgraded in parallel onto its branch
//! (pushed with a lease for remote ones), a line or a progress bar per repository, the summary
//! and the report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;

use super::Context;
use super::error::{Error, Result, exit};
use super::fleet::{CatalogCache, sources_with};
use crate::cli::FleetUpgradeArgs;
use crate::fleet::pulls::Tally;
use crate::fleet::upgrade::{Fleet, FleetOptions, Outcome, Repo, RepoOutcome, Timings, failed_in_report};

/// The repositories to upgrade: from the roots and the list, or the failures of a report.
fn repos(ctx: &Context, args: &FleetUpgradeArgs, client: Option<&crate::github::Client>) -> Result<Vec<Repo>> {
    let mut repos = if let Some(report) = &args.only_failed {
        failed_in_report(&crate::fs::read_to_string(report)?)
            .map_err(|e| Error::usage(e, Some("pass the .json file written by --report".to_string())))?
    } else {
        let org = match client {
            Some(client) => super::fleet::org_lines(ctx, &args.github, client)?,
            None => None,
        };
        let (locals, remotes) = sources_with(&args.source, org)?;
        let mut repos: Vec<Repo> = crate::fleet::group_by_repo(locals).into_iter().map(Repo::Local).collect();
        repos.extend(remotes.into_iter().map(|(url, branch)| Repo::Remote { url, branch }));
        repos
    };
    if let Some(shard) = args.source.shard {
        repos.retain(|r| shard.contains_key(&r.shard_key()));
    }
    if (args.push || args.open_prs) && repos.iter().any(|r| matches!(r, Repo::Local(_))) {
        let flag = if args.open_prs { "--open-prs" } else { "--push" };
        ctx.printer
            .warn(&format!("{flag} pushes the branches of repositories listed by URL; local checkouts keep theirs"));
    }
    Ok(repos)
}

/// Upgrades the fleet.
pub(super) fn run(ctx: &Context, args: &FleetUpgradeArgs) -> Result<i32> {
    if let Some(branch) = &args.branch {
        super::check_branch_name(branch)?;
    }
    let client = if args.open_prs || args.github.github_org.is_some() {
        Some(super::fleet::github(&args.github)?)
    } else {
        None
    };
    let (pool, jobs) = super::fleet::pool(args.jobs)?;
    // The walk for projects runs on the fleet's own threads too.
    let repos = pool.install(|| repos(ctx, args, client.as_ref()))?;
    let opts = FleetOptions {
        template: args.template.clone(),
        to: args.to.clone(),
        overrides: args.data.clone(),
        branch: args.branch.clone(),
        dry_run: args.dry_run,
        on_conflict: args.on_conflict.into(),
        defaults: ctx.config.answer_defaults(),
        push: (args.push || args.open_prs) && !args.dry_run,
        auth: super::fleet::git_auth(),
        mirrors: crate::remote::cache_root().with_file_name("mirrors"),
    };
    let count = repos.len();
    ctx.printer.status(&format!(
        "{count} {}, {jobs} {}",
        if count == 1 { "repository" } else { "repositories" },
        if jobs == 1 { "job" } else { "jobs" }
    ));
    let cache = CatalogCache::new(ctx);
    let catalog_for = |r: Option<&str>| cache.get(r).map_err(|e| one_line(&e));
    let pulls = match (&client, args.open_prs && !args.dry_run) {
        (Some(client), true) => Some(crate::fleet::pulls::Pulls::new(client, args.max_open_prs)),
        _ => None,
    };
    let started = Instant::now();
    let mut fleet = Fleet::new(&opts, &catalog_for);
    if let Some(pulls) = &pulls {
        let ids: Vec<crate::github::RepoId> = repos
            .iter()
            .filter_map(|r| match r {
                Repo::Remote { url, .. } => crate::github::RepoId::from_git_url(url),
                Repo::Local(_) => None,
            })
            .collect();
        pulls.survey(&ids);
        fleet = fleet.with_pulls(pulls);
    }
    let progress = ctx.printer.progress(count as u64);
    let outcomes: Vec<RepoOutcome> = pool.install(|| {
        repos
            .par_iter()
            .flat_map_iter(|repo| {
                let rows = fleet.upgrade_repo(repo);
                let lines: Vec<String> = rows.iter().map(outcome_line).collect();
                progress.done(rows.first().map_or("", |r| r.path.as_str()), &lines.join("\n"));
                rows
            })
            .collect()
    });
    progress.finish();
    if repos.iter().any(|r| matches!(r, Repo::Local(_))) {
        ctx.printer.verbose(&format!(
            "{} of {count} {} recognised unchanged from their branches and what earlier runs learned",
            fleet.recalled(),
            if count == 1 { "repository" } else { "repositories" }
        ));
    }
    let elapsed = started.elapsed().as_secs_f64();

    let timings = fleet.timings();
    ctx.printer.verbose(&format!(
        "time summed over repositories: fetch {:.2} s · plan {:.2} s · commit {:.2} s · push {:.2} s",
        timings.fetch, timings.plan, timings.commit, timings.push
    ));
    let api_calls = client.as_ref().map(crate::github::Client::calls);
    if let Some(calls) = api_calls {
        ctx.printer.verbose(&format!("GitHub API calls: {calls}"));
    }
    if let Some(path) = &args.report {
        write_report(path, &outcomes, &Facts { elapsed, dry_run: args.dry_run, timings: &timings, api_calls })?;
    }
    print_summary(ctx, &outcomes, elapsed, args, pulls.as_ref().map(crate::fleet::pulls::Pulls::tally));
    let any = |o: Outcome| outcomes.iter().any(|r| r.outcome == o);
    Ok(if any(Outcome::Failed) || any(Outcome::Raced) {
        exit::FAILURE
    } else if any(Outcome::Conflict) {
        exit::CONFLICTS
    } else {
        exit::OK
    })
}

/// An error's first line, with its hint.
fn one_line(e: &Error) -> String {
    let first = e.to_string().lines().next().unwrap_or_default().to_string();
    match e.hint() {
        Some(h) => format!("{first} ({h})"),
        None => first,
    }
}

fn outcome_line(o: &RepoOutcome) -> String {
    let mut line = format!("{:13} {}", o.outcome.word(), o.path);
    if !o.from.is_empty() && !o.to.is_empty() && o.from != o.to {
        let _ = write!(line, "  {} {} → {}", o.template, o.from, o.to);
    }
    if !o.conflicts.is_empty() {
        let _ = write!(line, "  conflicts: {}", o.conflicts.join(", "));
    }
    if let Some(pr) = &o.pr {
        let _ = write!(line, "  #{} {} {}", pr.number, pr.state.word(), pr.url);
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

fn counts(outcomes: &[RepoOutcome]) -> Vec<(Outcome, usize)> {
    Outcome::ALL
        .iter()
        .map(|o| (*o, outcomes.iter().filter(|r| r.outcome == *o).count()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn print_summary(ctx: &Context, outcomes: &[RepoOutcome], elapsed: f64, args: &FleetUpgradeArgs, pulls: Option<Tally>) {
    let parts: Vec<String> = counts(outcomes).iter().map(|(o, n)| format!("{n} {}", o.word())).collect();
    ctx.printer.status(&format!("Done in {elapsed:.1} s: {}", parts.join(" · ")));

    let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| matches!(o.outcome, Outcome::Failed | Outcome::Raced)) {
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
    let conflicted: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.outcome == Outcome::Conflict && o.commit.is_none())
        .map(|o| o.path.as_str())
        .collect();
    if !conflicted.is_empty() {
        ctx.printer.status(&format!(
            "conflicts (no branch written; upgrade these by hand with `pave upgrade`): {}",
            conflicted.join(", ")
        ));
    }
    let written: Vec<&RepoOutcome> = outcomes
        .iter()
        .filter(|o| {
            matches!(o.outcome, Outcome::Upgraded | Outcome::Regenerated)
                || (o.outcome == Outcome::Conflict && o.commit.is_some())
        })
        .collect();
    if !written.is_empty() {
        let mut branches: Vec<&str> = written.iter().filter_map(|o| o.branch.as_deref()).collect();
        branches.sort_unstable();
        branches.dedup();
        let mut repos: Vec<String> = written
            .iter()
            .map(|o| o.repo.clone().unwrap_or_else(|| crate::fleet::repo_key(Path::new(&o.dir)).display().to_string()))
            .collect();
        repos.sort();
        repos.dedup();
        let pushed = if args.push || args.open_prs { "; pushed with a lease" } else { "; working trees untouched" };
        ctx.printer.status(&format!(
            "Branch {} written in {} {}{pushed}.",
            branches.join(", "),
            repos.len(),
            if repos.len() == 1 { "repository" } else { "repositories" }
        ));
    }
    if let Some(t) = pulls.filter(|t| *t != Tally::default()) {
        let mut parts = Vec::new();
        for (n, what) in [(t.opened, "opened"), (t.updated, "updated"), (t.closed, "closed as superseded")] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        ctx.printer.status(&format!("Pull requests: {}.", parts.join(" · ")));
    }
    let unchanged = outcomes.iter().filter(|o| o.outcome == Outcome::Unchanged).count();
    if unchanged > 0 && written.is_empty() && pulls.is_none_or(|t| t == Tally::default()) {
        ctx.printer.status("Nothing changed since the last run: nothing was written or pushed.");
    }
    if let Some(report) = &args.report {
        let failed = outcomes.iter().any(|o| matches!(o.outcome, Outcome::Failed | Outcome::Raced));
        let rerun = if failed && report.extension().is_some_and(|e| e == "json") {
            format!("   Re-run the failures: pave fleet upgrade --only-failed {}", report.display())
        } else {
            String::new()
        };
        ctx.printer.status(&format!("Report: {}{rerun}", report.display()));
    }
}

/// What the report says of the run as a whole.
struct Facts<'a> {
    elapsed: f64,
    dry_run: bool,
    timings: &'a Timings,
    /// GitHub API calls made (with `--open-prs` or `--github-org`).
    api_calls: Option<usize>,
}

/// `--report FILE.json`: every row, then the summary.
#[derive(serde::Serialize)]
struct JsonReport<'a> {
    projects: &'a [RepoOutcome],
    summary: JsonSummary<'a>,
}

#[derive(serde::Serialize)]
struct JsonSummary<'a> {
    projects: usize,
    seconds: f64,
    dry_run: bool,
    outcomes: BTreeMap<&'a str, usize>,
    timings: &'a Timings,
    api_calls: Option<usize>,
}

fn write_report(path: &Path, outcomes: &[RepoOutcome], facts: &Facts<'_>) -> Result<()> {
    let Facts { elapsed, dry_run, timings, api_calls } = *facts;
    let summary: BTreeMap<&str, usize> = counts(outcomes).into_iter().map(|(o, n)| (o.word(), n)).collect();
    let is_md = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"));
    let text = if is_md {
        let noun = if outcomes.len() == 1 { "project" } else { "projects" };
        let mut md = format!("# pave fleet upgrade\n\n{} {noun} in {elapsed:.1} s", outcomes.len());
        for (w, n) in &summary {
            let _ = write!(md, " · {n} {w}");
        }
        if dry_run {
            md.push_str(" (dry run: nothing written)");
        }
        md.push_str("\n\n| project | template | from | to | outcome | branch | commit | pull request | files | conflicts | note |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        for o in outcomes {
            let mut note = o.error.clone().unwrap_or_default();
            if !o.superseded.is_empty() {
                let _ =
                    write!(note, "{}supersedes {}", if note.is_empty() { "" } else { "; " }, o.superseded.join(", "));
            }
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                o.path,
                o.template,
                o.from,
                o.to,
                o.outcome.word(),
                o.branch.as_deref().unwrap_or(""),
                o.commit.as_deref().map_or("", |c| &c[..c.len().min(12)]),
                o.pr.as_ref().map_or(String::new(), |p| format!("[#{}]({}) {}", p.number, p.url, p.state.word())),
                o.files_changed,
                o.conflicts.join(", "),
                note.replace('|', "\\|")
            );
        }
        md
    } else {
        // Serialized straight from the rows: a `serde_json::Value` of them first held ~3 KB a
        // project (28 MB for 10,000) for a moment.
        let body = JsonReport {
            projects: outcomes,
            summary: JsonSummary {
                projects: outcomes.len(),
                seconds: elapsed,
                dry_run,
                outcomes: summary,
                timings,
                api_calls,
            },
        };
        let mut t = serde_json::to_string_pretty(&body).map_err(|e| Error::Output(crate::ui::OutputError(e.into())))?;
        t.push('\n');
        t
    };
    Ok(crate::fs::write_atomic(path, text.as_bytes(), false)?)
}
