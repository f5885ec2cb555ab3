//! `pave template lint`: the platform team's check before publishing a catalog.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Context;
use super::error::{Error, Result, exit};
use crate::catalog::Catalog;
use crate::cli::{TemplateCommand, TemplateLintArgs};
use crate::fs::{self, EntryKind};
use crate::lint::{self, LOCK_FILE};
use crate::store::Store;

/// Runs a `template` subcommand.
pub(crate) fn run(ctx: &Context, cmd: &TemplateCommand) -> Result<i32> {
    match cmd {
        TemplateCommand::Lint(args) => lint_command(ctx, args),
    }
}

/// The catalog root for DIR, and the one version to check when DIR is a version directory.
fn locate(dir: &Path) -> Result<(PathBuf, Option<(String, String)>)> {
    let dir = fs::canonicalize(dir)?;
    if fs::entry_kind(&dir.join("catalog.toml"))? == Some(EntryKind::File) {
        return Ok((dir, None));
    }
    if fs::entry_kind(&dir.join("template.toml"))? == Some(EntryKind::File)
        && let (Some(version), Some(name), Some(root)) =
            (dir.file_name(), dir.parent().and_then(Path::file_name), dir.ancestors().nth(3))
        && fs::entry_kind(&root.join("catalog.toml"))? == Some(EntryKind::File)
    {
        let pick = (name.to_string_lossy().into_owned(), version.to_string_lossy().into_owned());
        return Ok((root.to_path_buf(), Some(pick)));
    }
    Err(Error::usage(
        format!(
            "`{}` is neither a catalog (no catalog.toml) nor a version directory of one (templates/NAME/VERSION)",
            dir.display()
        ),
        Some("run it in the catalog's root, or pass its path".to_string()),
    ))
}

fn lint_command(ctx: &Context, args: &TemplateLintArgs) -> Result<i32> {
    let dir = args
        .dir
        .clone()
        .or_else(|| ctx.global.catalog.clone().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."));
    let (root, only) = locate(&dir)?;
    let mut catalog = Catalog::load(Store::Dir(root.clone()), root.display().to_string())?;
    if let Some((name, version)) = &only {
        catalog.entries.retain(|e| &e.name == name);
        for e in &mut catalog.entries {
            e.versions.retain(|v| &v.to_string() == version);
        }
    }
    let lock_path = root.join(LOCK_FILE);
    let lock = match fs::entry_kind(&lock_path)? {
        Some(_) => {
            let text = fs::read_to_string(&lock_path)?;
            lint::parse_lock(&text)
                .map_err(|e| Error::usage(format!("{}: {e}", lock_path.display()), None::<String>))?
        }
        None => std::collections::BTreeMap::default(),
    };
    let mut report = lint::lint_catalog(&catalog, &lock);
    if only.is_some() {
        // One version checked: the rest of the lock is not this run's business.
        report.problems.retain(|p| !p.message.contains("was removed"));
    }

    let mut out = String::new();
    for p in &report.problems {
        let _ = writeln!(out, "✖ {}: {}", p.subject, p.message);
    }
    if !report.newly_locked.is_empty() {
        if args.locked {
            for v in &report.newly_locked {
                let _ = writeln!(
                    out,
                    "✖ {v}: released but not in {LOCK_FILE}: run `pave template lint` and commit {LOCK_FILE}"
                );
            }
        } else if only.is_none() {
            fs::write_atomic(&lock_path, report.lock_text.as_bytes(), false)?;
            let _ = writeln!(
                out,
                "locked {} new released version(s) in {LOCK_FILE}: {}",
                report.newly_locked.len(),
                report.newly_locked.join(", ")
            );
        }
    }
    ctx.printer.out(&out)?;
    let failed = !report.problems.is_empty() || (args.locked && !report.newly_locked.is_empty());
    let problems = report.problems.len() + if args.locked { report.newly_locked.len() } else { 0 };
    ctx.printer.status(&format!(
        "{} version(s) checked: {}",
        report.checked,
        if failed { format!("{problems} problem(s)") } else { "all good".to_string() }
    ));
    Ok(if failed { exit::FAILURE } else { exit::OK })
}
