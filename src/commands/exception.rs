//! `pave exception add` and `pave exception list`: deviations on the record in `.pave.toml`,
//! written with `toml_edit` so the team's comments stay.

use std::fmt::Write as _;

use super::Context;
use super::error::{Error, Result, exit};
use super::upgrade::project_root;
use crate::cli::{ExceptionAddArgs, ExceptionCommand, ExceptionListArgs};
use crate::exceptions::{expired, today};
use crate::project::{FILE_NAME, ProjectFile};

/// Runs an `exception` subcommand.
pub(crate) fn run(ctx: &Context, cmd: &ExceptionCommand) -> Result<i32> {
    match cmd {
        ExceptionCommand::Add(args) => add(ctx, args),
        ExceptionCommand::List(args) => list(ctx, args),
    }
}

fn add(ctx: &Context, args: &ExceptionAddArgs) -> Result<i32> {
    let root = project_root(args.path.as_deref())?;
    let file = ProjectFile::read(&root)?;
    let date: toml::value::Date = parse_date(&args.expires)?;
    let now = today();
    let expires = toml::value::Datetime { date: Some(date), time: None, offset: None };
    let span = crate::exceptions::days_until(&expires, now).unwrap_or(0);
    if span <= 0 {
        return Err(Error::usage(
            format!("--expires {} is not in the future", args.expires),
            Some("an exception needs an expiry date after today".to_string()),
        ));
    }
    let catalog = ctx.catalog_for(file.template.catalog.as_deref())?;
    let max = catalog.meta.max_exception_days.unwrap_or(crate::exceptions::DEFAULT_MAX_EXCEPTION_DAYS);
    if span > i64::from(max) {
        return Err(Error::usage(
            format!("--expires {} is {span} days away; the catalog allows at most {max}", args.expires),
            Some("choose an earlier date, and renew the exception when it lapses".to_string()),
        ));
    }
    for (what, v) in [("--owner", &args.owner), ("--reason", &args.reason), ("RULE", &args.rule)] {
        if v.trim().is_empty() {
            return Err(Error::usage(format!("{what} must not be empty"), None::<String>));
        }
    }
    let mut doc: toml_edit::DocumentMut =
        file.text.parse().map_err(|e| Error::usage(format!("{FILE_NAME}: {e}"), None::<String>))?;
    let datetime = toml_edit::Datetime {
        date: Some(toml_edit::Date { year: date.year, month: date.month, day: date.day }),
        time: None,
        offset: None,
    };
    let fields = [
        ("owner", toml_edit::value(args.owner.as_str())),
        ("reason", toml_edit::value(args.reason.as_str())),
        ("expires", toml_edit::value(datetime)),
    ];
    // One exception per rule: adding it again renews or amends it in place (an expired one
    // left beside a new one would still be reported as expired).
    let existing = doc.get_mut("exceptions").and_then(toml_edit::Item::as_array_of_tables_mut).and_then(|array| {
        array.iter_mut().find(|t| t.get("rule").and_then(toml_edit::Item::as_str) == Some(&args.rule))
    });
    let message = if let Some(table) = existing {
        let mut changed = Vec::new();
        for (key, value) in fields {
            let old = table.get(key).and_then(toml_edit::Item::as_value).map(plain);
            let new = value.as_value().map(plain);
            if old != new {
                let shown = |v: Option<String>| v.unwrap_or_else(|| "(none)".to_string());
                changed.push(format!("{key} {} → {}", shown(old), shown(new)));
                // Only what changed is replaced: the other lines keep their comments.
                table.insert(key, value);
            }
        }
        if changed.is_empty() {
            ctx.printer.status(&format!(
                "{FILE_NAME} already records this exception for {} until {} (owner {}): nothing written.",
                args.rule, args.expires, args.owner
            ));
            return Ok(exit::OK);
        }
        format!(
            "Updated the exception for {}: {}. Commit {FILE_NAME} so reviewers see it.",
            args.rule,
            changed.join(", ")
        )
    } else {
        let mut table = toml_edit::Table::new();
        table.insert("rule", toml_edit::value(args.rule.as_str()));
        for (key, value) in fields {
            table.insert(key, value);
        }
        if let Some(array) = doc.get_mut("exceptions").and_then(toml_edit::Item::as_array_of_tables_mut) {
            array.push(table);
        } else {
            let mut array = toml_edit::ArrayOfTables::new();
            array.push(table);
            doc.insert("exceptions", toml_edit::Item::ArrayOfTables(array));
        }
        format!(
            "Recorded an exception for {} until {} (owner {}). Commit {FILE_NAME} so reviewers see it.",
            args.rule, args.expires, args.owner
        )
    };
    crate::fs::write_atomic(&root.join(FILE_NAME), doc.to_string().as_bytes(), false)?;
    ctx.printer.status(&message);
    Ok(exit::OK)
}

/// A value of `.pave.toml` as it reads, without its quotes, spacing or comment.
fn plain(value: &toml_edit::Value) -> String {
    match value {
        toml_edit::Value::String(s) => s.value().clone(),
        toml_edit::Value::Datetime(d) => d.value().to_string(),
        other => other.to_string().trim().to_string(),
    }
}

fn parse_date(text: &str) -> Result<toml::value::Date> {
    let bad = || {
        Error::usage(
            format!("--expires {text} is not a date"),
            Some("write it as YYYY-MM-DD, e.g. 2027-03-31".to_string()),
        )
    };
    let dt: toml::value::Datetime = text.parse().map_err(|_| bad())?;
    match (dt.date, dt.time) {
        (Some(d), None) => Ok(d),
        _ => Err(bad()),
    }
}

fn list(ctx: &Context, args: &ExceptionListArgs) -> Result<i32> {
    let root = project_root(args.path.as_deref())?;
    let file = ProjectFile::read(&root)?;
    let now = today();
    if args.json {
        let rows: Vec<serde_json::Value> = file
            .exceptions
            .iter()
            .map(|e| {
                serde_json::json!({ "rule": e.rule, "owner": e.owner, "reason": e.reason,
                "expires": e.expires.to_string(), "expired": expired(&e.expires, now) })
            })
            .collect();
        let text = serde_json::to_string_pretty(&rows).map_err(|e| Error::Output(crate::ui::OutputError(e.into())))?;
        ctx.printer.out(&format!("{text}\n"))?;
        return Ok(exit::OK);
    }
    if file.exceptions.is_empty() {
        ctx.printer.status("no exceptions recorded");
        return Ok(exit::OK);
    }
    let w = file.exceptions.iter().map(|e| e.rule.len()).max().unwrap_or(4).max(4);
    let mut out = format!("{:w$}  {:10}  {:8}  {:24}  REASON\n", "RULE", "EXPIRES", "STATE", "OWNER");
    for e in &file.exceptions {
        let state = if expired(&e.expires, now) { "expired" } else { "valid" };
        let _ = writeln!(out, "{:w$}  {:10}  {state:8}  {:24}  {}", e.rule, e.expires.to_string(), e.owner, e.reason);
    }
    ctx.printer.out(&out)?;
    Ok(exit::OK)
}
