//! `pave fleet status`, and the dispatch of every `pave fleet` subcommand: the platform team's view
//! across many projects.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use rayon::prelude::*;

use super::Context;
use super::error::{Error, Result, exit};
use crate::catalog::Catalog;
use crate::cli::{FleetCommand, FleetSource, FleetStatusArgs, GithubArgs};
use crate::fleet::status::{self, StatusRow};
use crate::fleet::{self, Project};

/// Runs a `fleet` subcommand.
pub(crate) fn run(ctx: &Context, cmd: &FleetCommand) -> Result<i32> {
    match cmd {
        FleetCommand::Status(args) => status(ctx, args),
        FleetCommand::Upgrade(args) => super::fleet_upgrade::run(ctx, args),
        FleetCommand::Rollout(args) => super::fleet_rollout::run(ctx, args),
        FleetCommand::History(args) => super::fleet_history::history(ctx, args),
        FleetCommand::Scorecard(args) => super::fleet_history::scorecard(ctx, args),
    }
}

/// Loads each catalog source once, whatever the number of projects recording it.
pub(super) struct CatalogCache<'a> {
    ctx: &'a Context,
    loaded: Mutex<HashMap<Option<String>, Catalog>>,
}

impl<'a> CatalogCache<'a> {
    /// An empty cache.
    pub(super) fn new(ctx: &'a Context) -> Self {
        Self { ctx, loaded: Mutex::new(HashMap::new()) }
    }

    /// The catalog a project records (or `--catalog`), loaded once.
    pub(super) fn get(&self, recorded: Option<&str>) -> Result<Catalog> {
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

/// The local projects and the remote repositories (`URL [REF]`) the source names.
pub(super) fn sources(source: &FleetSource) -> Result<(Vec<Project>, Vec<fleet::RemoteLine>)> {
    sources_with(source, None)
}

/// [`sources`], plus the repositories an organisation's listing found (`--github-org`).
pub(super) fn sources_with(
    source: &FleetSource,
    org: Option<Vec<fleet::RemoteLine>>,
) -> Result<(Vec<Project>, Vec<fleet::RemoteLine>)> {
    if source.roots.is_empty() && source.repos_from.is_none() && org.is_none() {
        return Err(Error::usage(
            "no projects to look at",
            Some("pass one or more ROOT directories, --repos-from FILE, or --github-org ORG".to_string()),
        ));
    }
    let mut found = fleet::discover(&source.roots);
    let mut remotes = org.unwrap_or_default();
    if let Some(list) = &source.repos_from {
        let (locals, urls) = fleet::from_list(&crate::fs::read_to_string(list)?);
        found.extend(locals);
        remotes.extend(urls);
    }
    if let Some(shard) = source.shard {
        found.retain(|p| shard.contains(p));
        remotes.retain(|(url, _)| shard.contains_key(&crate::url::repo_name(url)));
    }
    Ok((found, remotes))
}

/// Credentials for git over https: `PAVE_GIT_TOKEN`, else `GITHUB_TOKEN`.
pub(super) fn git_auth() -> crate::git::Auth {
    let token = ["PAVE_GIT_TOKEN", "GITHUB_TOKEN"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    crate::git::Auth { token }
}

/// The worker threads of a fleet command: `--jobs`, default all cores.
pub(super) fn pool(jobs: Option<usize>) -> Result<(rayon::ThreadPool, usize)> {
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get)).max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Error::usage(format!("cannot start {jobs} jobs: {e}"), None::<String>))?;
    Ok((pool, jobs))
}

/// The GitHub API client `gh` asks for, with the token from the environment.
pub(super) fn github(gh: &GithubArgs) -> Result<crate::github::Client> {
    let api = gh.api_url.as_deref().unwrap_or(crate::github::DEFAULT_API);
    let Some(token) = crate::github::token_from_env() else {
        return Err(Error::usage(
            "GitHub's API needs a token: nothing was done",
            Some("set PAVE_GITHUB_TOKEN or GITHUB_TOKEN (pull requests: write; contents: read)".to_string()),
        ));
    };
    Ok(crate::github::Client::new(crate::github::Settings::new(api, Some(token)))?)
}

/// The repositories of `--github-org` that use pave, when it is given; says what it found.
pub(super) fn org_lines(
    ctx: &Context,
    gh: &GithubArgs,
    client: &crate::github::Client,
) -> Result<Option<Vec<fleet::RemoteLine>>> {
    let Some(org) = &gh.github_org else { return Ok(None) };
    let query = fleet::org::OrgQuery {
        org,
        topic: gh.topic.as_deref(),
        include_archived: gh.include_archived,
        include_forks: gh.include_forks,
    };
    let listing = fleet::org::list(client, &query)?;
    ctx.printer.status(&listing.describe(org));
    Ok(Some(listing.repos))
}

fn status(ctx: &Context, args: &FleetStatusArgs) -> Result<i32> {
    let (found, remotes) = sources(&args.source)?;
    if !remotes.is_empty() {
        return Err(Error::usage(
            "fleet status reads local checkouts; --repos-from lists remote repositories",
            Some(
                "see where remote repositories stand with `pave fleet upgrade --repos-from FILE --dry-run`".to_string(),
            ),
        ));
    }
    let cache = CatalogCache::new(ctx);
    let rows: Vec<StatusRow> = found.par_iter().map(|p| status::status_of(p, &|r| cache.get(r))).collect();
    let summary = status::summarize(&rows);
    if let Some(html) = &args.html {
        super::wrote(ctx, html, crate::fs::write_output(html, fleet::page(&rows, &summary).as_bytes())?);
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
