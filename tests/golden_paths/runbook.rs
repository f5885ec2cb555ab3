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
