//! `pave check`: one line per finding, JSON for CI, exit 1 while a violation remains.

use std::fmt::Write as _;

use super::Context;
use super::error::{Error, Result, exit};
use super::upgrade::project_root;
use crate::check::{self, Finding, Severity};
use crate::cli::CheckArgs;
use crate::project::ProjectFile;

/// Checks one project.
pub(crate) fn run(ctx: &Context, args: &CheckArgs) -> Result<i32> {
    let root = project_root(args.path.as_deref())?;
    let findings = match ProjectFile::read(&root) {
        Ok(file) => {
            let catalog = ctx.catalog_for(file.template.catalog.as_deref())?;
            check::check(&root, &file, &catalog)?
        }
        Err(e) => vec![Finding {
            rule: "pave-toml".into(),
            severity: Severity::Error,
            path: Some(".pave.toml".into()),
            message: e.to_string(),
            hint: super::error::Error::from(e).hint(),
        }],
    };
    let violations = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings.iter().filter(|f| f.severity == Severity::Warning).count();
    if args.json {
        let body = serde_json::json!({
            "findings": findings,
            "summary": { "violations": violations, "warnings": warnings,
                         "excepted": findings.iter().filter(|f| f.severity == Severity::Excepted).count() },
        });
        let text = serde_json::to_string_pretty(&body).map_err(|e| Error::Output(crate::ui::OutputError(e.into())))?;
        ctx.printer.out(&format!("{text}\n"))?;
    } else {
        ctx.printer.out(&render(&findings))?;
        let excepted = findings.iter().filter(|f| f.severity == Severity::Excepted).count();
        let covered = if excepted > 0 { format!(" ({excepted} covered by exceptions)") } else { String::new() };
        let tail = if violations == 0 && warnings == 0 {
            format!("✔ the project keeps the golden-path contract{covered}")
        } else {
            format!("{violations} violation(s), {warnings} warning(s){covered}")
        };
        ctx.printer.status(&tail);
    }
    Ok(if violations > 0 { exit::FAILURE } else { exit::OK })
}

fn render(findings: &[Finding]) -> String {
    let w = findings.iter().map(|f| f.rule.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.rule.cmp(&b.rule)));
    for f in sorted {
        let mark = match f.severity {
            Severity::Error => "✖",
            Severity::Warning => "⚠",
            Severity::Excepted => "○",
        };
        let _ = writeln!(out, "{mark} {:w$}  {}", f.rule, f.message);
        if let Some(h) = &f.hint
            && f.severity != Severity::Excepted
        {
            let _ = writeln!(out, "    {h}");
        }
    }
    out
}
