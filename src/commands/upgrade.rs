//! `pave upgrade`: refuse what is unsafe, open the project's upgrade session, apply its effects
//! to the working tree, record conflicts in the index, and commit when asked.

use std::path::{Path, PathBuf};

use super::Context;
use super::error::{Error, Result, exit};
use crate::answers::NoPrompt;
use crate::cli::{TargetArgs, UpgradeArgs};
use crate::git::ProjectRepo;
use crate::plan::Action;
use crate::project::ProjectFile;
use crate::prompt::TerminalPrompter;
use crate::upgrade::{Current, Request, Session, WorkTree};

/// Reads the project at `root`, loads its catalog and opens its upgrade session against the
/// working tree (shared by `diff`).
pub(super) fn open_session(
    ctx: &Context,
    args: &TargetArgs,
    root: &Path,
    repo: Option<&ProjectRepo>,
) -> Result<Session> {
    let project = ProjectFile::read(root)?;
    let catalog = ctx.catalog_for(project.template.catalog.as_deref())?;
    let req = Request {
        to: args.to.clone(),
        pre: args.pre,
        overrides: args.data.clone(),
        fill: Vec::new(),
        defaults: ctx.config.answer_defaults(),
        style: args.conflict.into(),
        renders_many: false,
    };
    let files = WorkTree { root, repo };
    let session = if ctx.interactive {
        Session::open(project, &catalog, &files, &req, &mut TerminalPrompter::new(true))?
    } else {
        Session::open(project, &catalog, &files, &req, &mut NoPrompt)?
    };
    Ok(session)
}

/// The project directory: PATH, or without one the project the current directory is in, as git
/// finds its repository from a subdirectory: the nearest directory upwards holding a
/// `.pave.toml`, looked for up to the top of the git work tree (or of the file system). When
/// there is none, the current directory, whose missing `.pave.toml` the caller reports.
pub(super) fn project_root(path: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = path {
        return Ok(crate::fs::canonicalize(path)?);
    }
    let here = crate::fs::canonicalize(Path::new("."))?;
    for dir in here.ancestors() {
        if crate::fs::entry_kind(&dir.join(crate::project::FILE_NAME))?.is_some() {
            return Ok(dir.to_path_buf());
        }
        if crate::fs::entry_kind(&dir.join(".git"))?.is_some() {
            break;
        }
    }
    Ok(here)
}

/// `name: TEMPLATE A → B`.
pub(super) fn heading(root: &Path, session: &Session) -> String {
    let name = root.file_name().map_or_else(|| root.display().to_string(), |n| n.to_string_lossy().into_owned());
    let (from, to) = session.versions();
    if from == to {
        format!("{name}: {} {to} (re-rendered)", session.template())
    } else {
        format!("{name}: {} {from} → {to}", session.template())
    }
}

/// The message when nothing is newer.
pub(super) fn current_message(session: &Session, current: &Current) -> String {
    let (template, recorded) = (session.template(), &current.recorded);
    match &current.newest {
        Some(n) if n < recorded => format!(
            "{template} {recorded} is newer than every candidate version ({n}): nothing to do (pass --to or --pre to choose one)"
        ),
        _ => format!("{template} {recorded} is the newest version: nothing to do"),
    }
}

/// Upgrades a project.
pub(crate) fn run(ctx: &Context, args: &UpgradeArgs) -> Result<i32> {
    // Refuse a repository that is busy or dirty, or a branch that cannot be made, before
    // anything else.
    let root = project_root(args.target.path.as_deref())?;
    let repo = ProjectRepo::open(&root)?.map_err(|r| refuse(&root, &r))?;
    if let Some(refusal) = repo.precheck(args.allow_dirty)? {
        return Err(refuse(&root, &refusal));
    }
    let branch_taken = || {
        let branch = args.branch.as_deref()?;
        repo.branch_exists(branch).then(|| {
            Error::usage(
                format!("branch `{branch}` already exists"),
                Some("choose another name with --branch; pave never overwrites a branch".to_string()),
            )
        })
    };
    if let Some(branch) = &args.branch {
        super::check_branch_name(branch)?;
        // Checked out, it may be the branch an earlier run made: the session says whether
        // there is anything left to do before it is refused.
        if !repo.is_on_branch(branch)
            && let Some(refusal) = branch_taken()
        {
            return Err(refusal);
        }
    }

    let session = open_session(ctx, &args.target, &root, Some(&repo))?;
    if let Some(current) = session.current() {
        ctx.printer.status(&current_message(&session, current));
        return Ok(exit::OK);
    }
    if let Some(refusal) = branch_taken() {
        return Err(refusal);
    }
    if !session.blocked().is_empty() {
        return Err(Error::usage(
            format!("the upgrade would overwrite untracked files: {}", session.blocked().join(", ")),
            Some(
                "an untracked file has no copy in history: commit it, move it aside or delete it, then run again"
                    .to_string(),
            ),
        ));
    }
    ctx.printer.status(&heading(&root, &session));
    if session.is_noop() && session.plan().files.is_empty() {
        ctx.printer.status("  nothing changes: no file was touched");
        return Ok(exit::OK);
    }
    if args.dry_run {
        print_summary(ctx, &session, "would be");
        ctx.printer.status("Dry run: nothing was written. See the change with `pave diff`.");
        // Exit 3 means conflicts were written; a dry run writes none.
        return Ok(exit::OK);
    }

    let effects = session.effects();
    crate::upgrade::worktree::apply(&root, &effects)?;
    print_summary(ctx, &session, "");
    let conflicts = session.conflict_entries();
    if !conflicts.is_empty() {
        repo.mark_conflicts(&conflicts)?;
    }
    let (_, version) = session.versions();
    let committing = args.commit || args.branch.is_some();
    if conflicts.is_empty() && committing {
        let paths = crate::upgrade::touched_paths(&effects);
        let id = repo.commit_project(&session.commit_message(None), args.branch.as_deref(), &paths)?;
        let on = args.branch.as_ref().map(|b| format!(" on branch {b}")).unwrap_or_default();
        ctx.printer.status(&format!(".pave.toml now records {version}; committed {}{on}.", &id[..7]));
        return Ok(exit::OK);
    }
    if conflicts.is_empty() {
        ctx.printer.status(&format!(".pave.toml now records {version}. Review with `git diff`, commit when ready."));
        return Ok(exit::OK);
    }
    let not_committed = if committing { " Nothing was committed: conflicts are left." } else { "" };
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

/// The counts line (`prefix` words it as a plan), then one line per file that needs attention.
fn print_summary(ctx: &Context, session: &Session, prefix: &str) {
    let plan = session.plan();
    let counts: Vec<String> = plan.counts().iter().map(|(w, n)| format!("{w} {n}")).collect();
    if !counts.is_empty() {
        let lead = if prefix.is_empty() { String::new() } else { format!("{prefix}: ") };
        ctx.printer.status(&format!("  {lead}{}", counts.join(" · ")));
    }
    let verbose = ctx.printer.is_verbose();
    for f in &plan.files {
        let attention = matches!(f.action, Action::Conflict(_) | Action::KeptModified | Action::KeptDeleted);
        if !attention && !verbose {
            continue; // a line's counts take a diff: only for lines that are shown
        }
        let line = format!("  {:12} {}   {}", f.action.word(), f.display_path(), crate::patch::note(f));
        if attention {
            ctx.printer.status(&line);
        } else {
            ctx.printer.verbose(&line);
        }
    }
    print_follow_ups(ctx, session);
}

/// The mentions of moved paths in seed files, which pave leaves to the team.
pub(super) fn print_follow_ups(ctx: &Context, session: &Session) {
    for f in &session.plan().follow_ups {
        ctx.printer.status(&format!(
            "  {:12} {}   (a seed file: yours to update; pave leaves it)",
            "follow-up",
            f.describe()
        ));
    }
}
