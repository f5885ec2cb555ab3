//! `pave catalog publish`: the platform's service catalog as pages a team can host anywhere:
//! every golden path with its maturity, owner, versions and their changelogs, questions,
//! support promise, and the retirement list. HTML is one self-contained file.

use std::fmt::Write as _;

use crate::catalog::{Catalog, Entry, Maturity, Support};
use crate::manifest::Manifest;

/// One template's facts for the pages.
pub(crate) struct Page<'a> {
    /// The catalog entry.
    pub entry: &'a Entry,
    /// The newest version's manifest (questions), when a version exists.
    pub manifest: Option<Manifest>,
    /// Each version (newest first) with its CHANGELOG.md text.
    pub changelogs: Vec<(String, Option<String>)>,
}

/// Reads what the pages need from the catalog.
pub(crate) fn collect(catalog: &Catalog) -> Result<Vec<Page<'_>>, crate::catalog::CatalogError> {
    let mut pages = Vec::new();
    for entry in &catalog.entries {
        let shown = entry.latest.clone().or_else(|| entry.versions.last().cloned());
        let manifest = match &shown {
            Some(v) => Some(catalog.manifest(entry, v)?),
            None => None,
        };
        let mut changelogs = Vec::new();
        for v in entry.versions.iter().rev() {
            let text = catalog
                .store
                .read(&format!("templates/{}/{v}/CHANGELOG.md", entry.name))?
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            changelogs.push((v.to_string(), text));
        }
        pages.push(Page { entry, manifest, changelogs });
    }
    Ok(pages)
}

fn badge(m: Maturity) -> &'static str {
    match m {
        Maturity::Experimental => "EXPERIMENTAL — opt-in only (`--allow-experimental`), may change or disappear",
        Maturity::Beta => "BETA — usable, may still change",
        Maturity::Stable => "STABLE — the recommended path",
        Maturity::Deprecated => "DEPRECATED — works, but new projects should use the replacement",
        Maturity::Retired => "RETIRED — refused for new projects and upgrades",
    }
}

fn support_md(out: &mut String, s: &Support) {
    for (label, value) in s.fields() {
        let mut chars = label.chars();
        let title: String = chars.next().map(|c| c.to_ascii_uppercase()).into_iter().chain(chars).collect();
        let _ = writeln!(out, "- **{title}:** {value}");
    }
}

/// The whole catalog as one Markdown document (headings per template, anchors by name).
pub(crate) fn markdown(catalog: &Catalog, pages: &[Page<'_>]) -> String {
    let mut out = format!("# {}\n\nPublished by {} with pave. ", catalog.meta.name, catalog.meta.owner);
    out.push_str("Create a project with `pave new TEMPLATE`; see what an upgrade changes with `pave diff`.\n\n");
    out.push_str("| golden path | maturity | latest | owner | description |\n|---|---|---|---|---|\n");
    for p in pages.iter().filter(|p| p.entry.maturity != Maturity::Retired) {
        let e = p.entry;
        let _ = writeln!(
            out,
            "| [{0}](#{0}) | {1} | {2} | {3} | {4} |",
            e.name,
            e.maturity,
            e.latest.as_ref().map_or("-".into(), ToString::to_string),
            e.owner,
            cell(&e.description)
        );
    }
    out.push_str("\n## Support\n\n");
    support_md(&mut out, &catalog.support);
    for p in pages {
        let e = p.entry;
        let _ = write!(out, "\n## {}\n\n{}\n\n**{}**\n\n", e.name, e.description, badge(e.maturity));
        if let Some(r) = &e.replacement {
            let _ = writeln!(out, "Replacement: [{r}](#{r})\n");
        }
        let _ = writeln!(out, "- **Owner:** {}\n- **Kind:** {}", e.owner, e.kind);
        let versions: Vec<String> = e.versions.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "- **Versions:** {}",
            if versions.is_empty() { "none on disk".into() } else { versions.join(", ") }
        );
        if let Some(m) = &p.manifest {
            out.push_str("\n### Questions\n\n| question | type | default | help |\n|---|---|---|---|\n");
            for (name, q) in &m.questions {
                let default = q
                    .default
                    .as_ref()
                    .map_or_else(|| "required".to_string(), |d| format!("`{}`", cell(&d.to_string())));
                let help = cell(q.help.as_deref().unwrap_or(""));
                let _ = writeln!(out, "| `{name}` | {} | {default} | {help} |", q.kind.name());
            }
        }
        out.push_str("\n### Support\n\n");
        support_md(&mut out, &e.support);
        out.push_str("\n### Changes\n");
        for (v, log) in &p.changelogs {
            let _ = write!(out, "\n#### {v}\n\n");
            match log {
                Some(text) => out.push_str(&demote(text)),
                None => out.push_str("_No CHANGELOG.md in this version._\n"),
            }
        }
    }
    let retired: Vec<&Entry> = pages.iter().map(|p| p.entry).filter(|e| e.maturity == Maturity::Retired).collect();
    out.push_str("\n## Retirement list\n\n");
    if retired.is_empty() {
        out.push_str("No golden path is retired.\n");
    }
    for e in retired {
        let _ =
            writeln!(out, "- **{}** — use {}", e.name, e.replacement.as_deref().unwrap_or("(no replacement named)"));
    }
    out
}

/// Text safe inside a Markdown table cell (a `|` would end the cell).
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// A changelog's headings pushed below the page's own (`#` becomes `#####`).
fn demote(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with('#') {
            let _ = writeln!(out, "####{line}");
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// The same document as one self-contained HTML page (inline CSS, no scripts, no network).
pub(crate) fn html(catalog: &Catalog, pages: &[Page<'_>]) -> String {
    let md = markdown(catalog, pages);
    let mut opts = pulldown_cmark::Options::empty();
    opts.insert(pulldown_cmark::Options::ENABLE_TABLES);
    opts.insert(pulldown_cmark::Options::ENABLE_HEADING_ATTRIBUTES);
    // Headings of templates get ids equal to the template's name, for the table's links.
    let with_ids: String = md
        .lines()
        .map(|l| match l.strip_prefix("## ") {
            Some(name) if pages.iter().any(|p| p.entry.name == name) => format!("## {name} {{#{name}}}\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    let parser = pulldown_cmark::Parser::new_ext(&with_ids, opts);
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, parser);
    let title = catalog.meta.name.replace('&', "&amp;").replace('<', "&lt;");
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>\
body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.5}}\
table{{border-collapse:collapse}}th,td{{border:1px solid #ddd;padding:4px 8px;text-align:left}}th{{background:#f3f4f6}}\
code{{background:#f3f4f6;padding:0 3px;border-radius:3px}}h2{{border-top:1px solid #ddd;padding-top:1rem}}</style></head>\
<body>{body}</body></html>\n"
    )
}
