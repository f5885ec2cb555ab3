//! `pave catalog publish`: the platform's service catalog as pages a team can host anywhere:
//! every golden path with its maturity, owner, versions and their changelogs, questions,
//! support promise, and the retirement list. HTML is one self-contained file.

use std::collections::BTreeMap;
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
    /// Each version's release day, when known.
    pub released: BTreeMap<String, String>,
    /// Projects per version, from a `pave fleet status --json` file (`--fleet`).
    pub adoption: Option<BTreeMap<String, u64>>,
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
        let mut released = BTreeMap::new();
        for v in entry.versions.iter().rev() {
            if let Some(d) = crate::releases::release_date(catalog, &entry.name, v) {
                released.insert(v.to_string(), d.to_string());
            }
            let text = catalog
                .store
                .read(&format!("templates/{}/{v}/CHANGELOG.md", entry.name))?
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            changelogs.push((v.to_string(), text));
        }
        pages.push(Page { entry, manifest, changelogs, released, adoption: None });
    }
    Ok(pages)
}

/// Adds adoption per template and version from the text of a `pave fleet status --json` file
/// (its `summary.per_version`). Templates the fleet does not use get zero projects.
pub(crate) fn add_fleet(pages: &mut [Page<'_>], status_json: &str) -> Result<(), String> {
    let value: serde_json::Value = serde_json::from_str(status_json).map_err(|e| e.to_string())?;
    let per_version = value
        .get("summary")
        .and_then(|s| s.get("per_version"))
        .and_then(serde_json::Value::as_object)
        .ok_or("no summary.per_version: pass the output of `pave fleet status --json`")?;
    for page in pages {
        let counts = per_version.get(&page.entry.name).and_then(serde_json::Value::as_object);
        let mut adoption: BTreeMap<String, u64> = page.entry.versions.iter().map(|v| (v.to_string(), 0)).collect();
        for (v, n) in counts.into_iter().flatten() {
            adoption.insert(v.clone(), n.as_u64().unwrap_or(0));
        }
        page.adoption = Some(adoption);
    }
    Ok(())
}

/// A question's default as a person reads it: a literal as itself, a Tera default as the
/// answers it is derived from (`derived from service_name`), never as template source.
pub(crate) fn default_in_words(default: &toml::Value) -> String {
    match default {
        toml::Value::String(s) if s.contains("{{") || s.contains("{%") => {
            let mut names: Vec<&str> = Vec::new();
            for part in s.split("{{").skip(1) {
                let expr = part.split("}}").next().unwrap_or_default().trim();
                let name = expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or_default();
                if !name.is_empty() && !names.contains(&name) {
                    names.push(name);
                }
            }
            match names.as_slice() {
                [] => "computed when the project is created".to_string(),
                [one] => format!("derived from {one}"),
                [rest @ .., last] => format!("derived from {} and {last}", rest.join(", ")),
            }
        }
        toml::Value::String(s) if s.is_empty() => "empty".to_string(),
        toml::Value::String(s) => format!("`{s}`"),
        toml::Value::Boolean(b) => if *b { "yes" } else { "no" }.to_string(),
        toml::Value::Array(items) if items.is_empty() => "none".to_string(),
        toml::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), |s| format!("`{s}`")))
            .collect::<Vec<_>>()
            .join(", "),
        other => format!("`{other}`"),
    }
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
        let versions: Vec<String> = e
            .versions
            .iter()
            .map(|v| {
                let v = v.to_string();
                match p.released.get(&v) {
                    Some(d) => format!("{v} (released {d})"),
                    None => v,
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "- **Versions:** {}",
            if versions.is_empty() { "none on disk".into() } else { versions.join(", ") }
        );
        if let Some(adoption) = &p.adoption {
            let total: u64 = adoption.values().sum();
            let _ = write!(
                out,
                "\n### Adoption\n\n{total} project(s) in the fleet.\n\n| version | released | projects |\n|---|---|---|\n"
            );
            // Newest first, in version order; versions the catalog no longer has at the end.
            let mut order: Vec<String> = e.versions.iter().rev().map(ToString::to_string).collect();
            order.extend(adoption.keys().filter(|v| !order.contains(v)).cloned().collect::<Vec<_>>());
            for (v, n) in order.iter().filter_map(|v| adoption.get(v).map(|n| (v, n))) {
                let _ = writeln!(out, "| {v} | {} | {n} |", p.released.get(v).map_or("-", String::as_str));
            }
        }
        if let Some(m) = &p.manifest {
            out.push_str("\n### Questions\n\n| question | type | default | help |\n|---|---|---|---|\n");
            for (name, q) in &m.questions {
                let default = q.default.as_ref().map_or_else(|| "required".to_string(), |d| cell(&default_in_words(d)));
                let help = cell(q.help.as_deref().unwrap_or(""));
                let _ = writeln!(out, "| `{name}` | {} | {default} | {help} |", q.kind.name());
            }
        }
        out.push_str("\n### Support\n\n");
        support_md(&mut out, &e.support);
        out.push_str("\n### Changes\n");
        for (v, log) in &p.changelogs {
            match p.released.get(v) {
                Some(d) => {
                    let _ = write!(out, "\n#### {v} — released {d}\n\n");
                }
                None => {
                    let _ = write!(out, "\n#### {v}\n\n");
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_read_as_words() {
        let s = |t: &str| toml::Value::String(t.into());
        assert_eq!(default_in_words(&s("ghcr.io/example/{{ service_name }}")), "derived from service_name");
        assert_eq!(default_in_words(&s("{{ a | kebab_case }}-{{ b }}-{{ a }}")), "derived from a and b");
        assert_eq!(default_in_words(&s("tier-2")), "`tier-2`");
        assert_eq!(default_in_words(&toml::Value::Boolean(false)), "no");
        assert_eq!(default_in_words(&toml::Value::Integer(3)), "`3`");
    }
}
