//! `pave catalog list` and `pave catalog show`: what the catalog offers, as a table or JSON.

use std::fmt::Write as _;

use super::Context;
use super::error::{Error, Result, exit};
use crate::catalog::{Catalog, Entry, Maturity, Support, split_spec};
use crate::cli::{CatalogCommand, CatalogListArgs, CatalogPublishArgs, CatalogShowArgs, PublishFormat};
use crate::manifest::QuestionType;

/// Runs a `catalog` subcommand.
pub(crate) fn run(ctx: &Context, cmd: &CatalogCommand) -> Result<i32> {
    let catalog = ctx.catalog()?;
    match cmd {
        CatalogCommand::List(args) => list(ctx, &catalog, args),
        CatalogCommand::Show(args) => show(ctx, &catalog, args),
        CatalogCommand::Publish(args) => publish(ctx, &catalog, args),
    }
}

fn json(value: &impl serde::Serialize) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| Error::Output(crate::ui::OutputError(e.into())))?;
    text.push('\n');
    Ok(text)
}

fn list(ctx: &Context, catalog: &Catalog, args: &CatalogListArgs) -> Result<i32> {
    let shown: Vec<&Entry> = catalog.entries.iter().filter(|e| args.all || e.maturity != Maturity::Retired).collect();
    if args.json {
        ctx.printer.out(&json(&shown)?)?;
        return Ok(exit::OK);
    }
    let w = shown.iter().map(|e| e.name.len()).max().unwrap_or(4).max(4);
    let mut out = format!("{:w$}  {:12}  {:10}  {:16}  DESCRIPTION\n", "NAME", "MATURITY", "LATEST", "OWNER");
    for e in &shown {
        let latest = e.latest.as_ref().map_or_else(|| "-".to_string(), ToString::to_string);
        let mut note = e.description.clone();
        if let Some(r) = &e.replacement {
            let _ = write!(note, " (use {r})");
        }
        let _ = writeln!(out, "{:w$}  {:12}  {:10}  {:16}  {note}", e.name, e.maturity.to_string(), latest, e.owner);
    }
    ctx.printer.out(&out)?;
    let hidden = catalog.entries.len() - shown.len();
    if hidden > 0 {
        ctx.printer.status(&format!("{hidden} retired template(s) not shown: pave catalog list --all"));
    }
    Ok(exit::OK)
}

#[derive(serde::Serialize)]
struct QuestionView<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    help: Option<&'a str>,
    default: Option<&'a toml::Value>,
    choices: &'a [String],
    validate: Option<&'a str>,
    when: Option<&'a str>,
    secret: bool,
    required: bool,
    min: Option<i64>,
    max: Option<i64>,
    example: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct ShowView<'a> {
    #[serde(flatten)]
    entry: &'a Entry,
    version: String,
    /// The shown version's own description (template.toml `[template] description`).
    description: Option<&'a str>,
    questions: Vec<QuestionView<'a>>,
}

fn show(ctx: &Context, catalog: &Catalog, args: &CatalogShowArgs) -> Result<i32> {
    let (name, requested) = split_spec(&args.template);
    let entry = catalog.entry(name)?;
    // An exact version must exist; otherwise the newest released, or the newest at all.
    let version = match requested {
        Some(_) => Some(entry.pick(requested, false)?),
        None => entry.pick(None, false).ok().or_else(|| entry.versions.last().cloned()),
    };
    let Some(version) = version else {
        return show_without_versions(ctx, entry, args.json);
    };
    let tv = catalog.version(entry, &version)?;
    let questions: Vec<QuestionView> = tv
        .manifest
        .questions
        .iter()
        .map(|(n, q)| QuestionView {
            name: n,
            kind: q.kind.name(),
            help: q.help.as_deref(),
            default: q.default.as_ref(),
            choices: &q.choices,
            validate: q.validate.as_deref(),
            when: q.when.as_deref(),
            secret: q.secret,
            required: q.default.is_none() && q.when.is_none(),
            min: q.min,
            max: q.max,
            example: q.example.as_deref(),
        })
        .collect();
    if args.json {
        let description = tv.manifest.template.description.as_deref();
        ctx.printer.out(&json(&ShowView { entry, version: version.to_string(), description, questions })?)?;
        return Ok(exit::OK);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", entry.name, entry.description);
    let _ = writeln!(out, "  maturity     {}", maturity_line(entry));
    let _ = writeln!(out, "  owner        {}", entry.owner);
    let _ = writeln!(out, "  kind         {}", entry.kind);
    let versions: Vec<String> = entry
        .versions
        .iter()
        .map(|v| if Some(v) == entry.latest.as_ref() { format!("{v} (latest)") } else { v.to_string() })
        .collect();
    let _ = writeln!(out, "  versions     {}", versions.join(", "));
    if let Some(d) = &tv.manifest.template.description {
        let _ = writeln!(out, "  {version:12} {d}");
    }
    let _ = writeln!(out, "\nQuestions of {version}:");
    let w = questions.iter().map(|q| q.name.len()).max().unwrap_or(0);
    for (n, q) in &tv.manifest.questions {
        let mut detail = q.kind.name().to_string();
        if !q.choices.is_empty() {
            let _ = write!(detail, " [{}]", q.choices.join("|"));
        }
        match &q.default {
            Some(d) => {
                let _ = write!(detail, ", default {d}");
            }
            None if q.when.is_none() => detail.push_str(", required"),
            None => {}
        }
        if let Some(when) = &q.when {
            let _ = write!(detail, ", asked when {when}");
        }
        match (q.min, q.max) {
            (Some(lo), Some(hi)) => {
                let _ = write!(detail, ", {lo} to {hi}");
            }
            (Some(lo), None) => {
                let _ = write!(detail, ", at least {lo}");
            }
            (None, Some(hi)) => {
                let _ = write!(detail, ", at most {hi}");
            }
            (None, None) => {}
        }
        if q.secret {
            detail.push_str(", secret");
        }
        if let Some(ex) = &q.example {
            let _ = write!(detail, ", e.g. {ex}");
        }
        if matches!(q.kind, QuestionType::String)
            && let Some(v) = &q.validate
        {
            let _ = write!(detail, ", must match {v}");
        }
        let _ = writeln!(out, "  {n:w$}  {}  ({detail})", q.prompt(n));
    }
    let _ = writeln!(out, "\nSupport:");
    support_lines(&mut out, &entry.support);
    ctx.printer.out(&out)?;
    Ok(exit::OK)
}

/// A template with no version on disk (a retired one kept only in the retirement list).
fn show_without_versions(ctx: &Context, entry: &Entry, json_out: bool) -> Result<i32> {
    if json_out {
        ctx.printer.out(&json(&ShowView {
            entry,
            version: String::new(),
            description: None,
            questions: Vec::new(),
        })?)?;
        return Ok(exit::OK);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", entry.name, entry.description);
    let _ = writeln!(out, "  maturity     {}", maturity_line(entry));
    let _ = writeln!(out, "  owner        {}", entry.owner);
    let _ = writeln!(out, "  versions     none on disk");
    let _ = writeln!(out, "\nSupport:");
    support_lines(&mut out, &entry.support);
    ctx.printer.out(&out)?;
    Ok(exit::OK)
}

fn publish(ctx: &Context, catalog: &Catalog, args: &CatalogPublishArgs) -> Result<i32> {
    let mut pages = crate::publish::collect(catalog)?;
    if let Some(status) = &args.fleet {
        crate::publish::add_fleet(&mut pages, &crate::fs::read_to_string(status)?).map_err(|e| {
            Error::usage(
                format!("{} is not fleet status JSON: {e}", status.display()),
                Some("write it with `pave fleet status ROOT --json > status.json`".to_string()),
            )
        })?;
    }
    crate::fs::create_dir_all(&args.out)?;
    let (name, text) = match args.format {
        PublishFormat::Md => ("README.md", crate::publish::markdown(catalog, &pages)),
        PublishFormat::Html => ("index.html", crate::publish::html(catalog, &pages)),
    };
    let path = args.out.join(name);
    if crate::fs::write_output(&path, text.as_bytes())? {
        ctx.printer.status(&format!("Published {} golden paths to {}", pages.len(), path.display()));
    } else {
        ctx.printer.status(&format!(
            "{} already holds these {} golden paths: nothing written",
            path.display(),
            pages.len()
        ));
    }
    Ok(exit::OK)
}

fn maturity_line(entry: &Entry) -> String {
    match (&entry.maturity, &entry.replacement) {
        (Maturity::Experimental, _) => "experimental (needs --allow-experimental)".into(),
        (m @ (Maturity::Deprecated | Maturity::Retired), Some(r)) => {
            format!("{m} — replacement: {r}")
        }
        (m, _) => m.to_string(),
    }
}

/// The support promise, one line per field.
pub(crate) fn support_lines(out: &mut String, s: &Support) {
    for (label, value) in s.fields() {
        let _ = writeln!(out, "  {label:16} {value}");
    }
}
