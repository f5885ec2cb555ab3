//! Links into the project itself: every alert's `runbook_url` names a heading of the runbook by
//! GitHub's anchor rules, and every `github.com/ORG/REPO/blob/REF/PATH` link in alerts,
//! dashboards and the catalog entry points at a file the project has, in the repository the
//! catalog entry names.

use std::collections::HashMap;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use crate::findings::{Findings, check_every_tree};
use crate::promql;
use crate::tree::Tree;

/// The anchors GitHub gives a Markdown file's headings (plus explicit `id`/`name` anchors).
pub fn anchors(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut heading: Option<String> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                if let Some(text) = heading.take() {
                    let base = slug(&text);
                    let n = seen.entry(base.clone()).or_insert(0);
                    out.push(if *n == 0 { base.clone() } else { format!("{base}-{n}") });
                    *n += 1;
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            _ => {}
        }
    }
    let explicit = regex::Regex::new(r#"<a\s+(?:name|id)="([^"]+)""#).unwrap();
    out.extend(explicit.captures_iter(markdown).map(|c| c[1].to_string()));
    out
}

/// GitHub's heading slug (github-slugger): lowercase, punctuation and symbols dropped, each
/// space a dash.
pub fn slug(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// A link into the project's own repository: `(org/repo, path, anchor)`.
fn repo_link(url: &str) -> Option<(String, String, Option<String>)> {
    let re = regex::Regex::new(r"^https://github\.com/([^/]+/[^/]+)/(?:blob|tree)/[^/]+/([^#?]+)(?:#(.*))?$").unwrap();
    let c = re.captures(url.trim())?;
    Some((c[1].to_string(), c[2].trim_end_matches('/').to_string(), c.get(3).map(|m| m.as_str().to_string())))
}

/// The repository the catalog entry names (`github.com/project-slug`).
fn project_slug(tree: &Tree) -> Option<String> {
    let docs = tree.yaml_docs("catalog-info.yaml").ok()?;
    docs.iter().find_map(|d| d["metadata"]["annotations"]["github.com/project-slug"].as_str().map(str::to_string))
}

#[test]
fn alert_runbook_urls_and_repository_links_resolve() {
    check_every_tree("runbook and repository links", check_links);
}

/// The check behind `alert_runbook_urls_and_repository_links_resolve`.
pub fn check_links(tree: &Tree, f: &mut Findings) {
    let slug_of_repo = project_slug(tree);
    let mut links: Vec<(String, String, String)> = Vec::new(); // (file, what, url)
    for alert in promql::alerts(tree) {
        match alert.annotations["runbook_url"].as_str() {
            Some(url) => links.push((alert.file.clone(), format!("alert {}", alert.name), url.to_string())),
            None => f.fail(tree, &alert.file, format!("alert {} has no runbook_url annotation", alert.name)),
        }
    }
    let url = regex::Regex::new(r#"https://github\.com/[^\s"'<>)]+"#).unwrap();
    for file in tree.files_where(|f| f.ends_with(".json") || f == "catalog-info.yaml") {
        let text = tree.text(file).unwrap_or_default();
        links.extend(url.find_iter(&text).map(|m| (file.to_string(), "link".to_string(), m.as_str().to_string())));
    }
    for (file, what, url) in links {
        f.checked();
        let Some((repo, path, anchor)) = repo_link(&url) else {
            if what.starts_with("alert") {
                f.fail(tree, &file, format!("{what}: runbook_url {url} does not point at a file of this repository"));
            }
            continue;
        };
        if let Some(expected) = &slug_of_repo
            && &repo != expected
        {
            f.fail(
                tree,
                &file,
                format!("{what}: {url} points at repository {repo}, catalog-info.yaml names {expected}"),
            );
        }
        if !tree.has(&path) && !tree.files.iter().any(|f| f.starts_with(&format!("{path}/"))) {
            f.fail(tree, &file, format!("{what}: {url} points at {path}, which the project does not have"));
            continue;
        }
        if let Some(anchor) = anchor.filter(|a| !a.is_empty()) {
            let found = anchors(&tree.text(&path).unwrap_or_default());
            if !found.contains(&anchor) {
                f.fail(
                    tree,
                    &file,
                    format!(
                        "{what}: {url}: {path} has no heading with anchor #{anchor}; its anchors: {}",
                        found.join(", ")
                    ),
                );
            }
        }
    }
}

#[test]
fn github_slugs_follow_githubs_rules() {
    let md = "# Runbook\n## Error budget burn\n## Rollback: `kubectl rollout undo`\n## Error budget burn\n### 5xx & latency (p99)\n";
    assert_eq!(
        anchors(md),
        ["runbook", "error-budget-burn", "rollback-kubectl-rollout-undo", "error-budget-burn-1", "5xx--latency-p99"]
    );
}

/// Links in the project's Markdown (README, runbook, docs/, infra/README.md): every relative
/// link and every `github.com/ORG/REPO/blob/REF/PATH` link into the project's own repository
/// points at a file or directory the project has, and an `#anchor` at one of its headings.
pub fn check_markdown_links(tree: &Tree, f: &mut Findings) {
    check_markdown_links_except(tree, f, &[]);
}

/// `check_markdown_links`, where a link from `file` to `path` listed in `known` (the follow-ups
/// `pave upgrade` named) is only a note.
pub fn check_markdown_links_except(tree: &Tree, f: &mut Findings, known: &[(&str, &str)]) {
    let slug_of_repo = project_slug(tree);
    for file in tree.files_where(|f| f.ends_with(".md")) {
        let text = tree.text(file).unwrap_or_default();
        let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
        for event in Parser::new(&text) {
            let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = event else { continue };
            let url = dest_url.trim();
            f.checked();
            let (path, anchor) = if let Some((repo, path, anchor)) = repo_link(url) {
                if slug_of_repo.as_ref().is_some_and(|s| *s != repo) {
                    continue; // another repository: not ours to check
                }
                (path, anchor)
            } else if url.contains("://") || url.starts_with("mailto:") || url.starts_with("//") {
                continue;
            } else {
                let (path, anchor) = url.split_once('#').map_or((url, None), |(p, a)| (p, Some(a.to_string())));
                let path = if path.is_empty() { file.to_string() } else { normalize(dir, path) };
                (path, anchor)
            };
            if path.starts_with("../") {
                f.fail(tree, file, format!("link {url} leaves the project"));
                continue;
            }
            if !tree.has(&path) && !tree.files.iter().any(|f| f.starts_with(&format!("{path}/"))) {
                if known.contains(&(file, path.as_str())) {
                    eprintln!(
                        "NOTE {}: {file}: link {url} points at {path}, which the project does not have (a follow-up pave upgrade named)",
                        tree.label
                    );
                } else {
                    f.fail(tree, file, format!("link {url} points at {path}, which the project does not have"));
                }
                continue;
            }
            if let Some(anchor) = anchor.filter(|a| !a.is_empty())
                && path.ends_with(".md")
            {
                let found = anchors(&tree.text(&path).unwrap_or_default());
                if !found.contains(&anchor) {
                    f.fail(tree, file, format!("link {url}: {path} has no heading with anchor #{anchor}"));
                }
            }
        }
    }
}

/// `rel` resolved against directory `dir` of the project, `.` and `..` folded.
fn normalize(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> =
        if rel.starts_with('/') { Vec::new() } else { dir.split('/').filter(|p| !p.is_empty()).collect() };
    let mut above = 0;
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    above += 1;
                }
            }
            p => parts.push(p),
        }
    }
    let mut out = "../".repeat(above);
    out.push_str(&parts.join("/"));
    out.trim_end_matches('/').to_string()
}

/// Every alert of the project has a section in docs/runbook.md: its `runbook_url` names the
/// runbook (not another file) and one of its headings.
pub fn check_alert_sections(tree: &Tree, f: &mut Findings) {
    // 1.x spelled it docs/RUNBOOK.md.
    let runbook = tree.files.iter().find(|f| f.eq_ignore_ascii_case("docs/runbook.md")).cloned().unwrap_or_default();
    let headings = anchors(&tree.text(&runbook).unwrap_or_default());
    for alert in promql::alerts(tree) {
        f.checked();
        let url = alert.annotations["runbook_url"].as_str().unwrap_or("");
        match repo_link(url) {
            Some((_, path, Some(anchor))) if path == runbook && headings.contains(&anchor) => {}
            _ => f.fail(
                tree,
                &alert.file,
                format!("alert {}: runbook_url {url:?} names no section of {runbook}", alert.name),
            ),
        }
    }
}

#[test]
fn markdown_links_resolve_inside_the_project() {
    check_every_tree("markdown links", check_markdown_links);
}

#[test]
fn every_alert_has_a_runbook_section() {
    check_every_tree("alert runbook sections", check_alert_sections);
}

#[test]
fn relative_links_are_resolved_against_their_directory() {
    assert_eq!(normalize("docs", "../infra/README.md"), "infra/README.md");
    assert_eq!(normalize("", "docs/runbook.md"), "docs/runbook.md");
    assert_eq!(normalize("infra", "./main.tf"), "infra/main.tf");
    assert_eq!(normalize("", "../x"), "../x");
}
