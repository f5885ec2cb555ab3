//! `pave upgrade`: plan the move to a newer template version, refuse what is unsafe, apply it
//! to the working tree, record conflicts in the index, and commit when asked.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Context;
use crate::answers::{NoPrompt, Prompter};
use crate::apply::{self, WorkTree};
use crate::catalog::Catalog;
use crate::cli::{TargetArgs, UpgradeArgs};
use crate::diff;
use crate::error::{Error, Result, exit};
use crate::git::ProjectRepo;
use crate::plan::{self, Action, UpgradePlan};
use crate::project::ProjectFile;
use crate::prompt::TerminalPrompter;
use crate::upgrade::{self, Prepared, Request, Target};

/// A project and what its upgrade would do.
pub(super) struct Planned {
    pub root: PathBuf,
    pub project: ProjectFile,
    pub target: PlannedTarget,
}

/// Nothing newer, or the plan.
pub(super) enum PlannedTarget {
    Current { recorded: semver::Version, newest: Option<semver::Version> },
    Upgrade { prepared: Box<Prepared>, plan: UpgradePlan },
}

/// Reads the project, loads its catalog, prepares both renders and plans — shared by `diff`.
pub(super) fn plan_project(ctx: &Context, args: &TargetArgs) -> Result<Planned> {
    let root = project_root(args.path.as_deref())?;
    let project = ProjectFile::read(&root)?;
    let catalog: Catalog = ctx.catalog_for(project.template.catalog.as_deref())?;
    let repo = ProjectRepo::open(&root)?.ok();
    let req = Request {
        to: args.to.clone(),
        pre: args.pre,
        overrides: args.data.clone(),
        fill: Vec::new(),
        defaults: ctx.config.answer_defaults(),
        style: args.conflict,
    };
    let prepared = if ctx.interactive {
        upgrade::prepare(&catalog, &project, &req, &mut TerminalPrompter::new(true))?
    } else {
        upgrade::prepare(&catalog, &project, &req, &mut NoPrompt as &mut dyn Prompter)?
    };
    let target = match prepared {
        Target::Current { recorded, newest } => PlannedTarget::Current { recorded, newest },
        Target::Upgrade(prepared) => {
            let ours = WorkTree { root: &root, repo: repo.as_ref() };
            let plan = plan::plan(&prepared.plan_input(), &ours)?;
            PlannedTarget::Upgrade { prepared, plan }
        }
    };
    Ok(Planned { root, project, target })
}

/// The project directory: PATH or the current one.
pub(super) fn project_root(path: Option<&Path>) -> Result<PathBuf> {
    let path = path.unwrap_or_else(|| Path::new("."));
    Ok(crate::fs::canonicalize(path)?)
}

/// `name: TEMPLATE A → B`.
pub(super) fn heading(root: &Path, prepared: &Prepared) -> String {
    let name = root.file_name().map_or_else(|| root.display().to_string(), |n| n.to_string_lossy().into_owned());
    if prepared.from.version == prepared.to.version {
        format!("{name}: {} {} (re-rendered)", prepared.to.entry.name, prepared.to.version)
    } else {
        format!("{name}: {} {} → {}", prepared.to.entry.name, prepared.from.version, prepared.to.version)
    }
}

/// The message when nothing is newer.
pub(super) fn current_message(
    project: &ProjectFile,
    recorded: &semver::Version,
    newest: Option<&semver::Version>,
) -> String {
    match newest {
        Some(n) if n < recorded => format!(
            "{} {recorded} is newer than every candidate version ({n}): nothing to do (pass --to or --pre to choose one)",
            project.template.name
        ),
        _ => format!("{} {recorded} is the newest version: nothing to do", project.template.name),
    }
}

/// Upgrades a project.
pub fn run(ctx: &Context, args: &UpgradeArgs) -> Result<i32> {
    // Refuse a repository that is busy or dirty before anything else.
    let root = project_root(args.target.path.as_deref())?;
    let repo = match ProjectRepo::open(&root)? {
        Ok(r) => r,
        Err(refusal) => return Err(refuse(&root, &refusal)),
    };
    if let Some(refusal) = repo.precheck(args.allow_dirty)? {
        return Err(refuse(&root, &refusal));
    }
    if let Some(branch) = &args.branch
        && repo.branch_exists(branch)
    {
        return Err(Error::usage(
            format!("branch `{branch}` already exists"),
            Some("choose another name with --branch; pave never overwrites a branch".to_string()),
        ));
    }
    drop(repo);

    let planned = plan_project(ctx, &args.target)?;
    let (prepared, plan) = match planned.target {
        PlannedTarget::Current { recorded, newest } => {
            ctx.printer.status(&current_message(&planned.project, &recorded, newest.as_ref()));
            return Ok(exit::OK);
        }
        PlannedTarget::Upgrade { prepared, plan } => (prepared, plan),
    };
    if !plan.blocked.is_empty() {
        return Err(Error::usage(
            format!("the upgrade would overwrite untracked files: {}", plan.blocked.join(", ")),
            Some(
                "an untracked file has no copy in history: commit it, move it aside or delete it, then run again"
                    .to_string(),
            ),
        ));
    }
    let root = planned.root;
    ctx.printer.status(&heading(&root, &prepared));
    let record_changes = prepared.record != planned.project.text;
    if plan.changes().next().is_none() && !record_changes && plan.files.is_empty() {
        ctx.printer.status("  nothing changes: no file was touched");
        return Ok(exit::OK);
    }
    print_summary(ctx, &plan);
    if args.dry_run {
        ctx.printer.status("Dry run: nothing was written. See the change with `pave diff`.");
        // Exit 3 means conflicts were written; a dry run writes none.
        return Ok(exit::OK);
    }

    apply::apply(&root, &plan, &prepared.record)?;
    let repo = ProjectRepo::open(&root)?.map_err(|r| refuse(&root, &r))?;
    let conflicts: Vec<_> = plan
        .files
        .iter()
        .filter_map(|f| match (&f.action, &f.stages) {
            (Action::Conflict(_), Some(stages)) => {
                let exec = matches!(f.after, Some(crate::render::RenderedFile::File { executable: true, .. }));
                Some((f.path.clone(), stages.clone(), exec))
            }
            _ => None,
        })
        .collect();
    if !conflicts.is_empty() {
        repo.mark_conflicts(&conflicts)?;
    }
    let version = &prepared.to.version;
    if conflicts.is_empty() && (args.commit || args.branch.is_some()) {
        let message = format!("Upgrade {} to {version}\n\n{}", prepared.to.entry.name, commit_body(&plan));
        let id = repo.commit_project(&message, args.branch.as_deref())?;
        let on = args.branch.as_ref().map(|b| format!(" on branch {b}")).unwrap_or_default();
        ctx.printer.status(&format!(".pave.toml now records {version}; committed {}{on}.", &id[..7]));
        return Ok(exit::OK);
    }
    if conflicts.is_empty() {
        ctx.printer.status(&format!(".pave.toml now records {version}. Review with `git diff`, commit when ready."));
        return Ok(exit::OK);
    }
    let not_committed =
        if args.commit || args.branch.is_some() { " Nothing was committed: conflicts are left." } else { "" };
    ctx.printer.status(&format!(
        ".pave.toml now records {version}. Resolve the {} conflict(s), `git add` them, then commit.{not_committed}",
        conflicts.len()
    ));
    Ok(exit::CONFLICTS)
}

fn refuse(root: &Path, refusal: &crate::git::Refusal) -> Error {
    let (message, hint) = refusal.explain(root);
    Error::usage(message, Some(hint))
}

fn commit_body(plan: &UpgradePlan) -> String {
    let mut out = String::new();
    for f in &plan.files {
        let _ = writeln!(out, "{:9} {}", f.action.word(), diff::display_path(f));
    }
    out.push_str("\nGenerated by pave.");
    out
}

/// The counts line, then one line per file that needs attention.
pub(super) fn print_summary(ctx: &Context, plan: &UpgradePlan) {
    let counts: Vec<String> = plan.counts().iter().map(|(w, n)| format!("{w} {n}")).collect();
    if !counts.is_empty() {
        ctx.printer.status(&format!("  {}", counts.join(" · ")));
    }
    for f in &plan.files {
        if matches!(f.action, Action::Conflict(_) | Action::KeptModified | Action::KeptDeleted) {
            ctx.printer.status(&format!("  {:12} {}   {}", f.action.word(), diff::display_path(f), diff::note(f)));
        } else {
            ctx.printer.verbose(&format!("  {:12} {}   {}", f.action.word(), diff::display_path(f), diff::note(f)));
        }
    }
}
