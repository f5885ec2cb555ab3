//! Upgrades of every built-in template from each released version to the latest, with realistic
//! local edits, end with valid artifacts.
//!
//! For every older released version: `pave new` (git on, outside any other work tree), then local
//! edits committed with git — a section appended to the README, a line added to the runbook, a
//! production memory limit raised in a deployment patch — placed where the latest version keeps
//! the surrounding lines, so they merge cleanly. Then `pave upgrade --no-input`, answering with
//! `-d` every new required question pave names. It must exit 0, move `.pave.toml` to the latest
//! version, keep every edit, and leave a tree the Rust-side checks (and the tools that are
//! installed) accept, including that every metric the rules and dashboards read is one the app
//! emits: its code is a seed file, still the old version's, so a new version may only query
//! metrics every older version's app emits (a changelog note does not make a panel show data).

use std::path::Path;
use std::process::Command;

use crate::catalog::{TemplateVersion, template_versions};
use crate::findings::Findings;
use crate::render::{fixture_answers, fixture_value, render};
use crate::tree::Tree;
use crate::{consistency, kubernetes, labels, metrics, pave, policy, promql, runbook, syntax, tools, workflows};

/// The Rust-side checks, by name.
type Check = fn(&Tree, &mut Findings);
const RUST_CHECKS: [(&str, Check); 10] = [
    ("syntax", syntax::check_syntax),
    ("kubernetes structure", kubernetes::check_structure),
    ("kubernetes labels", kubernetes::check_labels),
    ("promql", promql::check_promql),
    ("rego testdata", policy::check_testdata),
    ("rego on rendered artifacts", policy::check_rendered),
    ("owner consistency", consistency::check_owner),
    ("runbook and repository links", runbook::check_links),
    ("alert runbook sections", runbook::check_alert_sections),
    ("pinned actions", workflows::check_pins),
];

/// A realistic local edit: where, and the text that must still be there after the upgrade.
struct Edit {
    file: String,
    survives: String,
}

#[test]
fn upgrades_from_every_released_version_to_the_latest_keep_local_edits_and_valid_artifacts() {
    let mut findings = Findings::new("upgrade");
    let mut upgrades = 0;
    for latest in latest_versions() {
        let older: Vec<&'static TemplateVersion> = template_versions()
            .iter()
            .filter(|tv| tv.name == latest.name && tv.version.pre.is_empty() && tv.version < latest.version)
            .collect();
        for old in older {
            upgrades += 1;
            let started = std::time::Instant::now();
            if let Err(e) = upgrade_one(old, latest, &mut findings) {
                findings.fail_general(format!("{} → {}: {e}", old.id(), latest.version));
            }
            eprintln!("upgrade {} → {}: {:.1?}", old.id(), latest.version, started.elapsed());
        }
    }
    eprintln!("upgrade: {upgrades} upgrade path(s)");
    findings.finish();
}

/// The latest released version of every template with more than one released version.
fn latest_versions() -> Vec<&'static TemplateVersion> {
    let mut out: Vec<&'static TemplateVersion> = Vec::new();
    for tv in template_versions().iter().filter(|tv| tv.version.pre.is_empty()) {
        let released = template_versions().iter().filter(|o| o.name == tv.name && o.version.pre.is_empty());
        if released.clone().count() > 1 && released.clone().all(|o| o.version <= tv.version) {
            out.push(tv);
        }
    }
    out
}

fn upgrade_one(
    old: &'static TemplateVersion,
    latest: &'static TemplateVersion,
    f: &mut Findings,
) -> Result<(), String> {
    // Outside any git work tree (the repository's target/ is inside one), so `pave new` commits.
    let temp = tempfile::Builder::new().prefix("pave-golden-upgrade-").tempdir().unwrap();
    let project = temp.path().join(old.name.as_str());
    let catalog = old.catalog_dir();
    let answers = fixture_answers(old);

    // What the old and the latest version render, to place the edits where both agree.
    let old_render = temp.path().join("old-render");
    let new_render = temp.path().join("new-render");
    render(old, &answers, &old_render)?;
    render(latest, &fixture_answers(latest), &new_render)?;

    create(old, &answers, &project, temp.path())?;

    let edits = local_edits(&project, &old_render, &new_render);
    if edits.is_empty() {
        return Err("no place for a local edit that both versions keep".into());
    }
    let edited: Vec<&str> = edits.iter().map(|e| e.file.as_str()).collect();
    eprintln!("{}: local edits committed in {}", old.id(), edited.join(", "));
    git(&project, &["add", "-A"])?;
    git(&project, &["commit", "-q", "-m", "Local edits: team notes, runbook line, production memory"])?;

    let Upgraded { shown, follow_ups } = upgrade(&project, &catalog, latest)?;
    eprintln!("upgraded {} → {} with `pave upgrade --no-input {}`", old.id(), latest.version, shown.join(" "));

    // The upgraded project: the latest version, every edit kept.
    let tree = upgraded_tree(&project, old, latest, f);
    for edit in &edits {
        let text = std::fs::read_to_string(project.join(&edit.file)).unwrap_or_default();
        if !text.contains(&edit.survives) {
            f.fail_general(format!("{}: {}: the local edit {:?} is gone", tree.label, edit.file, edit.survives));
        }
    }
    // The tool checks take trees that live as long as the test binary.
    let tree: &'static Tree = Box::leak(Box::new(tree));

    for (_, check) in RUST_CHECKS {
        check(tree, f);
    }
    markdown_links_after_upgrade(tree, &follow_ups, f);
    metrics::check_metrics(tree, f);
    labels::check_labels(tree, f);
    for (_, tool) in tools::TOOL_CHECKS {
        for report in tool(&[tree]) {
            f.absorb(report);
        }
    }
    // Keep the project for a look when something failed.
    if !f.is_clean() {
        let kept = temp.keep();
        eprintln!("kept the upgraded project of {} in {}", old.id(), kept.display());
    }
    Ok(())
}

/// `pave new OLD PROJECT --no-input` with git (run from `cwd`, outside any other work tree).
fn create(old: &TemplateVersion, answers: &[(String, String)], project: &Path, cwd: &Path) -> Result<(), String> {
    let mut args: Vec<String> =
        vec!["new".into(), old.id(), project.to_string_lossy().into_owned(), "--no-input".into()];
    args.extend(old.maturity_flags().iter().map(|s| (*s).to_string()));
    for (k, v) in answers {
        args.extend(["-d".to_string(), format!("{k}={v}")]);
    }
    let out = pave::run(&args.iter().map(String::as_str).collect::<Vec<_>>(), &old.catalog_dir(), cwd);
    if !out.status.success() {
        return Err(format!("pave new failed:\n{}", pave::describe(&out)));
    }
    if !project.join(".git").is_dir() {
        return Err("pave new made no git repository".into());
    }
    Ok(())
}

/// What `pave upgrade` needed and said.
struct Upgraded {
    /// The `-d` flags it needed.
    shown: Vec<String>,
    /// The follow-ups it named: (seed file, the moved path it mentions).
    follow_ups: Vec<(String, String)>,
}

/// `pave upgrade --no-input` in `project`, answering with `-d` each new required question pave
/// names; it must exit 0 (no conflict).
fn upgrade(project: &Path, catalog: &Path, latest: &TemplateVersion) -> Result<Upgraded, String> {
    let mut data: Vec<(String, String)> = Vec::new();
    let missing = regex::Regex::new(r"missing answer for `([A-Za-z0-9_]+)`").unwrap();
    let out = loop {
        let mut args = vec!["upgrade".to_string(), "--no-input".into()];
        for (k, v) in &data {
            args.extend(["-d".to_string(), format!("{k}={v}")]);
        }
        let out = pave::run(&args.iter().map(String::as_str).collect::<Vec<_>>(), catalog, project);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match (out.status.code(), missing.captures(&stderr)) {
            (Some(2), Some(c)) if data.len() < 10 && !data.iter().any(|(k, _)| *k == c[1]) => {
                let question = latest.questions.iter().find(|q| q.name == c[1]).ok_or_else(|| {
                    format!("pave asks for `{}`, which {} does not have:\n{}", &c[1], latest.id(), pave::describe(&out))
                })?;
                let value = fixture_value(question).unwrap_or_default();
                data.push((question.name.clone(), value));
            }
            _ => break out,
        }
    };
    let shown: Vec<String> = data.iter().map(|(k, v)| format!("-d {k}={v}")).collect();
    let follow_up = regex::Regex::new(r"(?m)^\s*follow-up\s+(\S+) mentions (\S+), now ").unwrap();
    let follow_ups =
        follow_up.captures_iter(&String::from_utf8_lossy(&out.stderr)).map(|c| (c[1].into(), c[2].into())).collect();
    match out.status.code() {
        Some(0) => Ok(Upgraded { shown, follow_ups }),
        Some(3) => {
            let status = git_output(project, &["status", "--short"]);
            Err(format!(
                "pave upgrade {} left conflicts, but the edits were placed to merge cleanly:\n{}\n--- git status\n{status}",
                shown.join(" "),
                pave::describe(&out)
            ))
        }
        _ => Err(format!("pave upgrade {} failed:\n{}", shown.join(" "), pave::describe(&out))),
    }
}

/// The upgraded project as a tree of the latest version, with the answers `.pave.toml` records.
fn upgraded_tree(project: &Path, old: &TemplateVersion, latest: &'static TemplateVersion, f: &mut Findings) -> Tree {
    let record: toml::Table =
        toml::from_str(&std::fs::read_to_string(project.join(".pave.toml")).unwrap_or_default()).unwrap_or_default();
    let version = record.get("template").and_then(|t| t.get("version")).and_then(|v| v.as_str()).unwrap_or("");
    let label = format!("{} → {} (upgraded)", old.id(), latest.version);
    if version != latest.version.to_string() {
        f.fail_general(format!("{label}: .pave.toml records version {version:?}, not {}", latest.version));
    }
    let answers: Vec<(String, String)> = record
        .get("answers")
        .and_then(|a| a.as_table())
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        .collect();
    let mut tree = Tree::new(latest, "", answers, project.to_path_buf());
    tree.label = label;
    tree
}

/// `runbook::check_markdown_links`, where a broken link is allowed only in a seed file that
/// `pave upgrade` named as a follow-up: the file mentions a path the upgrade moved, and pave never
/// changes a seed file, so it tells the team instead (rust-axum-service 1.x's README links to
/// docs/RUNBOOK.md, which 2.0.0 renamed to docs/runbook.md; a file at the old path beside the new
/// one would differ only in case and break checkouts on macOS and Windows). A broken link pave
/// did not name fails.
fn markdown_links_after_upgrade(tree: &Tree, follow_ups: &[(String, String)], f: &mut Findings) {
    let named: Vec<(&str, &str)> = follow_ups.iter().map(|(file, old)| (file.as_str(), old.as_str())).collect();
    runbook::check_markdown_links_except(tree, f, &named);
}

/// Day two: for every template and every older released version V, a project made from V and
/// upgraded to the latest (no local edits) is consistent across its files, although its
/// application code (seed files) is still V's: every metric that rules, dashboards and SLOs
/// query is one V's app emits, every Markdown link and every link in alerts, dashboards and the
/// catalog entry points at a file the project has, and every alert has a runbook section.
#[test]
fn upgraded_projects_stay_consistent_across_files() {
    let mut findings = Findings::new("consistency after upgrade");
    let mut upgrades = 0;
    for latest in latest_versions() {
        for old in template_versions()
            .iter()
            .filter(|tv| tv.name == latest.name && tv.version.pre.is_empty() && tv.version < latest.version)
        {
            upgrades += 1;
            findings.tree();
            let temp = tempfile::Builder::new().prefix("pave-golden-day-two-").tempdir().unwrap();
            let project = temp.path().join(old.name.as_str());
            let result = create(old, &fixture_answers(old), &project, temp.path())
                .and_then(|()| upgrade(&project, &old.catalog_dir(), latest));
            let follow_ups = match result {
                Ok(done) => done.follow_ups,
                Err(e) => {
                    findings.fail_general(format!("{} → {}: {e}", old.id(), latest.version));
                    continue;
                }
            };
            let tree = upgraded_tree(&project, old, latest, &mut findings);
            metrics::check_metrics(&tree, &mut findings);
            labels::check_labels(&tree, &mut findings);
            markdown_links_after_upgrade(&tree, &follow_ups, &mut findings);
            runbook::check_links(&tree, &mut findings);
            runbook::check_alert_sections(&tree, &mut findings);
        }
    }
    eprintln!("consistency after upgrade: {upgrades} upgrade path(s)");
    findings.finish();
}

/// Makes the local edits in `project`, each where the old and the latest render agree around it.
fn local_edits(project: &Path, old_render: &Path, new_render: &Path) -> Vec<Edit> {
    let mut edits = Vec::new();
    let files = crate::tree::list_files(project);
    let new_files = crate::tree::list_files(new_render);
    // The latest version's path of a file (renamed files differ only in case, e.g. RUNBOOK.md).
    let renamed = |rel: &str| -> Option<String> {
        new_files
            .iter()
            .find(|f| f.as_str() == rel)
            .or_else(|| new_files.iter().find(|f| f.eq_ignore_ascii_case(rel)))
            .cloned()
    };
    let read = |root: &Path, rel: &str| std::fs::read_to_string(root.join(rel)).ok();

    // 1. A section appended to the README (inserted before the end when the latest changes it).
    let section =
        "## Team notes\n\nDeploys happen Tuesday to Thursday; ask in #team-payments before a Friday release.\n";
    if let Some(readme) = files.iter().find(|f| f.eq_ignore_ascii_case("README.md"))
        && let Some(edit) = insert(project, old_render, new_render, readme, renamed(readme).as_deref(), section)
    {
        edits.push(edit);
    }

    // 2. A line added to the runbook.
    let line = "- Team note: if the primary on-call does not acknowledge within 10 minutes, page the secondary.\n";
    if let Some(runbook) = files.iter().find(|f| f.eq_ignore_ascii_case("docs/runbook.md"))
        && let Some(edit) = insert(project, old_render, new_render, runbook, renamed(runbook).as_deref(), line)
    {
        edits.push(edit);
    }

    // 3. A memory limit raised in a deployment patch (production first).
    let mut patches: Vec<&String> =
        files.iter().filter(|f| f.starts_with("deploy/") && f.contains("patch") && crate::tree::is_yaml(f)).collect();
    patches.sort_by_key(|f| !f.contains("production"));
    for patch in patches {
        let (Some(ours), Some(old_text), Some(new_text)) =
            (read(project, patch), read(old_render, patch), renamed(patch).and_then(|p| read(new_render, &p)))
        else {
            continue;
        };
        if ours != old_text {
            continue;
        }
        let lines: Vec<&str> = ours.lines().collect();
        let limits = lines.iter().position(|l| l.trim() == "limits:");
        let target = limits.and_then(|l| (l + 1..lines.len()).find(|i| lines[*i].trim_start().starts_with("memory:")));
        if let Some(i) = target
            && stable_around(&lines, i, &new_text)
        {
            let indent = &lines[i][..lines[i].len() - lines[i].trim_start().len()];
            let changed = format!("{indent}memory: 1536Mi");
            let mut out: Vec<String> = lines.iter().map(|l| (*l).to_string()).collect();
            out[i].clone_from(&changed);
            std::fs::write(project.join(patch), out.join("\n") + "\n").unwrap();
            edits.push(Edit { file: renamed(patch).unwrap_or_else(|| patch.clone()), survives: changed });
            break;
        }
    }
    edits
}

/// Inserts `text` into `rel` at the last place whose neighbouring lines the latest version
/// keeps (the end of the file when its last lines are unchanged).
fn insert(
    project: &Path,
    old_render: &Path,
    new_render: &Path,
    rel: &str,
    new_rel: Option<&str>,
    text: &str,
) -> Option<Edit> {
    let ours = std::fs::read_to_string(project.join(rel)).ok()?;
    let old_text = std::fs::read_to_string(old_render.join(rel)).ok()?;
    let new_text = std::fs::read_to_string(new_render.join(new_rel?)).ok()?;
    if ours != old_text {
        return None;
    }
    let lines: Vec<&str> = ours.lines().collect();
    // Insert after line `i`: lines i-2..=i+2 must appear together in the latest version.
    let at = (2..lines.len().saturating_sub(2))
        .rev()
        .find(|&i| lines[i].trim().is_empty() && stable_around(&lines, i, &new_text))?;
    let mut out: Vec<String> = lines[..=at].iter().map(|l| (*l).to_string()).collect();
    out.push(text.trim_end().to_string());
    out.push(String::new());
    out.extend(lines[at + 1..].iter().map(|l| (*l).to_string()));
    std::fs::write(project.join(rel), out.join("\n") + "\n").unwrap();
    Some(Edit { file: new_rel.unwrap_or(rel).to_string(), survives: text.lines().last().unwrap_or(text).to_string() })
}

/// Whether the lines around `i` (two on each side) appear, in order and together, in `new_text`.
fn stable_around(lines: &[&str], i: usize, new_text: &str) -> bool {
    let from = i.saturating_sub(2);
    let to = (i + 3).min(lines.len());
    let window = lines[from..to].join("\n");
    new_text.contains(&window)
}

fn git(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = pave::scrubbed("git").args(args).current_dir(dir).output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)))
    }
}

fn git_output(dir: &Path, args: &[&str]) -> String {
    let out: Option<std::process::Output> = Command::new("git").args(args).current_dir(dir).output().ok();
    out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()
}
