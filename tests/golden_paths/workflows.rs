//! GitHub Actions in the generated workflows are pinned: every `uses:` names a full 40-hex
//! commit SHA followed by a `# TAG` comment (local actions and digest-pinned `docker://` images
//! aside), so a moved or hijacked tag cannot change what runs.

use serde_json::Value;

use crate::findings::{Findings, check_every_tree};
use crate::tree::{Tree, is_yaml};

/// Workflow and composite-action files.
pub fn workflow_files(tree: &Tree) -> Vec<&str> {
    tree.files_where(|f| {
        is_yaml(f)
            && (f.starts_with(".github/workflows/")
                || (f.starts_with(".github/actions/") && (f.ends_with("/action.yml") || f.ends_with("/action.yaml"))))
    })
}

/// Every `uses` value of a parsed workflow or action (job-level and step-level).
fn uses_values(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let steps = |v: &Value, out: &mut Vec<String>| {
        for step in v["steps"].as_array().into_iter().flatten() {
            if let Some(u) = step["uses"].as_str() {
                out.push(u.to_string());
            }
        }
    };
    for job in doc["jobs"].as_object().into_iter().flat_map(|m| m.values()) {
        if let Some(u) = job["uses"].as_str() {
            out.push(u.to_string());
        }
        steps(job, &mut out);
    }
    steps(&doc["runs"], &mut out);
    out
}

/// What is wrong with one `uses:` line, if anything.
fn pin_problem(value: &str, comment: Option<&str>) -> Option<String> {
    if value.starts_with("./") {
        return None;
    }
    if let Some(image) = value.strip_prefix("docker://") {
        let digest = regex::Regex::new(r"@sha256:[0-9a-f]{64}$").unwrap();
        return (!digest.is_match(image))
            .then(|| format!("{value}: a docker:// image must be pinned by @sha256 digest"));
    }
    let Some((_, reference)) = value.rsplit_once('@') else {
        return Some(format!("{value}: no @ref: pin it to a commit SHA"));
    };
    let sha = regex::Regex::new(r"^[0-9a-f]{40}$").unwrap();
    if !sha.is_match(reference) {
        return Some(format!("{value}: `{reference}` is not a 40-hex commit SHA"));
    }
    match comment.map(str::trim) {
        Some(c) if !c.is_empty() => None,
        _ => Some(format!("{value}: no `# TAG` comment naming the release the SHA belongs to")),
    }
}

#[test]
fn workflow_actions_are_pinned_to_a_commit_sha_with_a_tag_comment() {
    check_every_tree("pinned actions", check_pins);
}

/// The check behind `workflow_actions_are_pinned_to_a_commit_sha_with_a_tag_comment`.
pub fn check_pins(tree: &Tree, f: &mut Findings) {
    let line_re = regex::Regex::new(r#"^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(?:#\s*(.*))?$"#).unwrap();
    for file in workflow_files(tree) {
        let text = tree.text(file).unwrap_or_default();
        let mut seen = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if let Some(c) = line_re.captures(line) {
                f.checked();
                let value = c[1].to_string();
                if let Some(problem) = pin_problem(&value, c.get(2).map(|m| m.as_str())) {
                    f.fail(tree, &format!("{file}:{}", n + 1), problem);
                }
                seen.push(value);
            }
        }
        // A `uses` the line scan missed (flow style, odd quoting) is not checked: say so.
        for doc in tree.yaml_docs(file).unwrap_or_default() {
            for value in uses_values(&doc) {
                if !seen.contains(&value) {
                    f.fail(tree, file, format!("uses: {value} is not on a line of its own (`uses: REF # TAG`)"));
                }
            }
        }
    }
}

#[test]
fn pin_rules() {
    assert!(pin_problem("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", Some("v7.0.1")).is_none());
    assert!(pin_problem("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", None).is_some());
    assert!(pin_problem("actions/checkout@v7", Some("v7")).is_some());
    assert!(pin_problem("./.github/actions/setup", None).is_none());
    assert!(pin_problem("docker://alpine:3.20", None).is_some());
}
