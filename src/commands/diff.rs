//! `pave diff`: exactly the change `pave upgrade` would make, as a patch, a stat or JSON; and
//! `pave diff --drift`: how the project differs from its recorded template version.

use std::fmt::Write as _;

use serde::Serialize;

use super::Context;
use super::error::{Error, Result, exit};
use super::upgrade::{current_message, heading, open_session, project_root};
use crate::answers::{self, Given, NoPrompt};
use crate::cli::DiffArgs;
use crate::drift::{self, DriftKind};
use crate::git::ProjectRepo;
use crate::patch;
use crate::project::ProjectFile;
use crate::render;
use crate::upgrade::WorkTree;

#[derive(Serialize)]
struct JsonDiff<'a> {
    template: &'a str,
    from: String,
    to: String,
    files: Vec<patch::JsonFile>,
    /// Seed files that mention a path the upgrade moves: the team's to update.
    follow_ups: Vec<JsonFollowUp>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonFollowUp {
    path: String,
    mentions: String,
    moved_to: String,
}

#[derive(Serialize)]
struct JsonSummary {
    changed: usize,
    conflicts: usize,
}

/// Prints the change an upgrade would make; read-only.
pub(crate) fn run(ctx: &Context, args: &DiffArgs) -> Result<i32> {
    if args.drift {
        return drift_command(ctx, args);
    }
    let root = project_root(args.target.path.as_deref())?;
    let repo = ProjectRepo::open(&root)?.ok();
    let session = open_session(ctx, &args.target, &root, repo.as_ref())?;
    let (from, to) = session.versions();
    if let Some(current) = session.current() {
        if args.json {
            let body = JsonDiff {
                template: session.template(),
                from: from.to_string(),
                to: to.to_string(),
                files: Vec::new(),
                follow_ups: Vec::new(),
                summary: JsonSummary { changed: 0, conflicts: 0 },
            };
            ctx.printer.out(&json(&body)?)?;
        }
        ctx.printer.status(&current_message(&session, current));
        return Ok(exit::OK);
    }
    let plan = session.plan();
    let changed = plan.changes().count();
    if args.json {
        let body = JsonDiff {
            template: session.template(),
            from: from.to_string(),
            to: to.to_string(),
            files: patch::json_files(plan),
            follow_ups: plan
                .follow_ups
                .iter()
                .map(|f| JsonFollowUp { path: f.file.clone(), mentions: f.old.clone(), moved_to: f.new.clone() })
                .collect(),
            summary: JsonSummary { changed, conflicts: plan.conflicts() },
        };
        ctx.printer.out(&json(&body)?)?;
    } else if args.stat {
        ctx.printer.status(&heading(&root, &session));
        ctx.printer.out(&patch::stat(plan))?;
        let decisions = plan.conflicts();
        let tail = if decisions > 0 { format!("; {decisions} need(s) a decision") } else { String::new() };
        ctx.printer.status(&format!("{changed} file(s) would change{tail}."));
    } else {
        ctx.printer.status(&heading(&root, &session));
        let text = patch::patch(&session.effects());
        ctx.printer.out(&if ctx.printer.color_out() { patch::colorize(&text) } else { text })?;
    }
    if !args.json {
        super::upgrade::print_follow_ups(ctx, &session);
    }
    if !session.blocked().is_empty() {
        ctx.printer.warn(&format!(
            "`pave upgrade` would refuse: it would overwrite untracked files: {}",
            session.blocked().join(", ")
        ));
    }
    Ok(if args.exit_code && changed > 0 { exit::FAILURE } else { exit::OK })
}

fn json(value: &impl Serialize) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| Error::Output(crate::ui::OutputError(e.into())))?;
    text.push('\n');
    Ok(text)
}

/// Renders the recorded version with the recorded answers and compares the project with it.
fn drift_command(ctx: &Context, args: &DiffArgs) -> Result<i32> {
    let root = project_root(args.target.path.as_deref())?;
    let project = ProjectFile::read(&root)?;
    let catalog = ctx.catalog_for(project.template.catalog.as_deref())?;
    let entry = catalog.entry(&project.template.name)?;
    let tv = catalog.version(entry, &project.template.version)?;
    let given = Given { data: project.answer_values(), secrets_empty: true, ..Given::default() };
    let resolved = answers::resolve(&tv.manifest, &given, &mut NoPrompt, &render::meta(&tv, &catalog))?;
    let rendered = render::render(&tv, &render::context(&tv, &catalog, &resolved.values))?;
    let repo = ProjectRepo::open(&root)?.ok();
    let tracked = repo.as_ref().map(ProjectRepo::tracked_paths).unwrap_or_default();
    let ours = WorkTree { root: &root, repo: repo.as_ref() };
    let drifts = drift::compute(&rendered, &tv.manifest.files.seed, &ours, &tracked)?;

    if args.json {
        ctx.printer.out(&json(&serde_json::json!({
            "template": entry.name,
            "version": tv.version.to_string(),
            "files": drifts,
        }))?)?;
    } else {
        let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        ctx.printer.status(&format!("{name}: differences from {} {}", entry.name, tv.version));
        let mut out = String::new();
        if args.stat {
            for d in &drifts {
                let _ = writeln!(out, "  {:9} {}", d.kind.word(), d.path);
            }
        } else {
            for d in &drifts {
                let (from, to) = match d.kind {
                    DriftKind::Added => ("/dev/null".to_string(), format!("b/{}", d.path)),
                    DriftKind::Deleted => (format!("a/{}", d.path), "/dev/null".to_string()),
                    DriftKind::Modified => (format!("a/{}", d.path), format!("b/{}", d.path)),
                };
                let old = d.expected.as_ref().map_or(&[][..], render::RenderedFile::bytes);
                let new = d.actual.as_ref().map_or(&[][..], render::RenderedFile::bytes);
                let _ = writeln!(out, "diff --git a/{0} b/{0}", d.path);
                let body = crate::textdiff::unified(&d.path, &d.path, old, new)
                    .replacen(&format!("--- a/{}", d.path), &format!("--- {from}"), 1)
                    .replacen(&format!("+++ b/{}", d.path), &format!("+++ {to}"), 1);
                out.push_str(&body);
            }
            if ctx.printer.color_out() {
                out = patch::colorize(&out);
            }
        }
        ctx.printer.out(&out)?;
        ctx.printer.status(&if drifts.is_empty() {
            "no drift: the project matches its template version".to_string()
        } else {
            format!("{} file(s) differ from the template", drifts.len())
        });
    }
    Ok(if args.exit_code && !drifts.is_empty() { exit::FAILURE } else { exit::OK })
}
