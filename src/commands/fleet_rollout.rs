//! `pave fleet rollout TEMPLATE@VERSION`: where the release stands in every repository of the
//! fleet, read in parallel; the counts, then the table, or JSON; and the page with `--html`.

use std::fmt::Write as _;

use rayon::prelude::*;

use super::Context;
use super::error::{Error, Result, exit};
use super::fleet::sources_with;
use crate::catalog::split_spec;
use crate::cli::FleetRolloutArgs;
use crate::fleet::dates::Day;
use crate::fleet::rollout::{self, Release, Row};
use crate::fleet::rollout_gather::{Gather, RepoRows};
use crate::fleet::upgrade::Repo;
use crate::ui::Progress;

/// `TEMPLATE@VERSION`, checked against the catalog, and the branch it is written on.
fn release(ctx: &Context, args: &FleetRolloutArgs) -> Result<Release> {
    let (name, version) = split_spec(&args.release);
    let catalog = ctx.catalog()?;
    let entry = catalog.entry(name)?;
    let Some(version) = version.filter(|v| !v.trim().is_empty()) else {
        let example = entry.latest.as_ref().map_or_else(|| "1.0.0".to_string(), ToString::to_string);
        return Err(Error::usage(
            format!("`{}`: which release? name it as TEMPLATE@VERSION", args.release),
            Some(format!("for example `pave fleet rollout {name}@{example} …`")),
        ));
    };
    let version = entry.pick(Some(version), true)?;
    if let Some(branch) = &args.branch {
        super::check_branch_name(branch)?;
    }
    let branch = args.branch.clone().unwrap_or_else(|| format!("pave/{name}-{version}"));
    Ok(Release { template: name.to_string(), version, branch })
}

/// Where the release stands.
pub(super) fn run(ctx: &Context, args: &FleetRolloutArgs) -> Result<i32> {
    let release = release(ctx, args)?;
    // Pull requests are looked up when there is an API to ask: an organisation, an API URL, or
    // a token for github.com.
    let api =
        args.github.github_org.is_some() || args.github.api_url.is_some() || crate::github::token_from_env().is_some();
    let client = if api { Some(super::fleet::github(&args.github)?) } else { None };
    let org = match &client {
        Some(c) => super::fleet::org_lines(ctx, &args.github, c)?,
        None => None,
    };
    let (locals, remotes) = sources_with(&args.source, org)?;
    let mut repos: Vec<Repo> = crate::fleet::group_by_repo(locals).into_iter().map(Repo::Local).collect();
    repos.extend(remotes.into_iter().map(|(url, branch)| Repo::Remote { url, branch }));
    if let Some(shard) = args.source.shard {
        repos.retain(|r| shard.contains_key(&r.shard_key()));
    }
    let (pool, _) = super::fleet::pool(args.jobs)?;
    let today = args.today.unwrap_or_else(Day::today);
    let gather = Gather {
        release: &release,
        client: client.as_ref(),
        any_host: args.github.api_url.is_some(),
        auth: super::fleet::git_auth(),
        mirrors: crate::remote::cache_root().with_file_name("mirrors"),
        today,
    };
    // A bar on a terminal; no line per repository elsewhere: the table follows.
    let progress = match ctx.printer.progress(repos.len() as u64) {
        bar @ Progress::Bar(_) => bar,
        _ => Progress::Silent,
    };
    let gathered: Vec<RepoRows> = pool.install(|| {
        repos
            .par_iter()
            .map(|repo| {
                let rows = gather.repo(repo);
                progress.done(rows.rows.first().map_or("", |r| r.path.as_str()), "");
                rows
            })
            .collect()
    });
    progress.finish();
    let skipped = gathered.iter().map(|g| g.skipped).sum();
    let listed = gathered.iter().filter(|g| !g.rows.is_empty()).count();
    let mut rows: Vec<Row> = gathered.into_iter().flat_map(|g| g.rows).collect();
    rows.sort_by(|a, b| a.path.cmp(&b.path));
    let summary = rollout::summarize(&rows, listed, skipped);
    let api_calls = client.as_ref().map_or(0, crate::github::Client::calls);

    if let Some(html) = &args.html {
        let page = crate::fleet::rollout_html::page(&release, &rows, &summary, today);
        super::wrote(ctx, html, crate::fs::write_output(html, page.as_bytes())?);
    }
    if args.json {
        let body = serde_json::json!({
            "template": release.template,
            "version": release.version.to_string(),
            "branch": release.branch,
            "summary": summary,
            "projects": rows,
            "api_calls": api_calls,
        });
        let text = serde_json::to_string_pretty(&body).map_err(|e| Error::Output(crate::ui::OutputError(e.into())))?;
        ctx.printer.out(&format!("{text}\n"))?;
    } else {
        ctx.printer.out(&format!("{}\n{}", summary.line(), table(&rows)))?;
    }
    if client.is_some() {
        ctx.printer.status(&format!("GitHub API: {api_calls} call{}", if api_calls == 1 { "" } else { "s" }));
    }
    Ok(exit::OK)
}

/// The table: one row per project.
fn table(rows: &[Row]) -> String {
    let w = rows.iter().map(|r| r.path.len()).max().unwrap_or(4).max(4);
    let mut out =
        format!("{:w$}  {:10}  {:11}  {:12}  {:5}  {:8}  NOTE\n", "PATH", "FROM", "STATE", "PR", "AGE", "CHECKS");
    for r in rows {
        let pr = r.pr.as_ref().map_or_else(
            || "-".to_string(),
            |p| {
                if p.draft { format!("#{} draft", p.number) } else { format!("#{}", p.number) }
            },
        );
        let age = r.pr.as_ref().and_then(|p| p.age_days).map_or_else(|| "-".to_string(), |d| format!("{d}d"));
        let checks = r.pr.as_ref().and_then(|p| p.checks).map_or("-", |c| c.word());
        let note = r.error.as_deref().or(r.note.as_deref()).unwrap_or_default();
        let line = format!(
            "{:w$}  {:10}  {:11}  {pr:12}  {age:5}  {checks:8}  {note}",
            r.path,
            r.from.as_deref().unwrap_or("-"),
            r.state.word(),
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}
