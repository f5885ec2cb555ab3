//! What a pave pull request says: its title, and a body made from the branch's own commits (the
//! file-by-file outcome pave wrote into each message), the catalog (migrations, changelog,
//! support) and `pave check` on the result. Made from what is on the branch, so a re-run with
//! nothing changed says exactly the same and updates nothing.

use std::fmt::Write as _;

use crate::catalog::Catalog;
use crate::check::Finding;

/// The marker that makes a pull request pave's: pave maintains the title and body of a pull
/// request that carries it, and leaves alone one opened by hand for its branch.
pub(crate) const MARKER: &str = "<!-- pave:pull-request -->";

/// GitHub refuses bodies over 65,536 characters; a long changelog is cut well before.
const MAX_CHANGELOG: usize = 20_000;

/// One project of the branch, as its commit and the check of the result tell it.
#[derive(Debug, Clone)]
pub(crate) struct ProjectPart {
    /// Its directory in the repository, `""` for the root.
    pub dir: String,
    /// (what happened, path) for each file, from the commit message.
    pub files: Vec<(String, String)>,
    /// Mentions of moved paths in seed files, from the commit message: the team's to update.
    pub follow_ups: Vec<String>,
    /// The findings of `pave check` on the result (`None`: the check could not run, and why).
    pub findings: Result<Vec<Finding>, String>,
}

/// The pull request of one branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PullContent {
    /// `Upgrade NAME from A to B` (`… in a, b` for a monorepo's projects).
    pub title: String,
    /// The Markdown body, starting with [`MARKER`].
    pub body: String,
    /// Conflict markers are committed: a draft.
    pub draft: bool,
}

/// The words a commit message uses for a file (`Action::word`), longest first.
const WORDS: [&str; 8] = ["kept deleted", "conflict", "updated", "renamed", "deleted", "merged", "added", "kept"];

/// The (word, path) lines of a pave commit message.
pub(crate) fn file_lines(message: &str) -> Vec<(String, String)> {
    message
        .lines()
        .skip(1)
        .filter_map(|line| {
            let word = WORDS.iter().find(|w| line.starts_with(*w) && line[w.len()..].starts_with(' '))?;
            Some(((*word).to_string(), line[word.len()..].trim().to_string()))
        })
        .collect()
}

/// The `follow-up` lines of a pave commit message (a seed file that mentions a moved path).
pub(crate) fn follow_up_lines(message: &str) -> Vec<String> {
    message.lines().filter_map(|l| l.strip_prefix("follow-up ")).map(|l| l.trim().to_string()).collect()
}

/// The title and body of the pull request for `parts` (the projects on one branch).
pub(crate) fn content(
    catalog: Option<&Catalog>,
    template: &str,
    from: &str,
    to: &str,
    branch: &str,
    parts: &[ProjectPart],
) -> PullContent {
    let places: Vec<&str> = parts.iter().filter(|p| !p.dir.is_empty()).map(|p| p.dir.as_str()).collect();
    let title = if places.is_empty() {
        format!("Upgrade {template} from {from} to {to}")
    } else {
        format!("Upgrade {template} from {from} to {to} in {}", places.join(", "))
    };
    let conflicts: Vec<(&ProjectPart, &str)> = parts
        .iter()
        .flat_map(|p| p.files.iter().filter(|(w, _)| w == "conflict").map(move |(_, f)| (p, f.as_str())))
        .collect();
    let mut b = format!("{MARKER}\n");
    let _ = writeln!(
        b,
        "pave upgrades **{template}** from **{from}** to **{to}**, the golden path's newer release, on `{branch}`.\n"
    );
    files_section(&mut b, parts);
    conflicts_section(&mut b, branch, &conflicts);
    follow_ups_section(&mut b, parts);
    if let Some(catalog) = catalog {
        migrations_section(&mut b, catalog, template, from, to);
        changelog_section(&mut b, catalog, template, from, to);
    }
    check_section(&mut b, parts);
    if let Some(catalog) = catalog {
        support_section(&mut b, catalog, template);
    }
    b.push_str(
        "\n---\nOpened and kept up to date by `pave fleet upgrade`: pave rebuilds this branch when the default branch \
         or the template moves, and stops touching it once someone else commits to it.\n",
    );
    PullContent { title, body: b, draft: !conflicts.is_empty() }
}

fn files_section(b: &mut String, parts: &[ProjectPart]) {
    b.push_str("### Files\n\n");
    let monorepo = parts.len() > 1 || parts.iter().any(|p| !p.dir.is_empty());
    if monorepo {
        b.push_str("| Project | File | What happened |\n| --- | --- | --- |\n");
    } else {
        b.push_str("| File | What happened |\n| --- | --- |\n");
    }
    for p in parts {
        for (word, path) in &p.files {
            let what = match word.as_str() {
                "updated" => "updated (you had not changed it)",
                "merged" => "merged with your changes",
                "added" => "added",
                "deleted" => "deleted (removed from the template)",
                "kept" => "kept (removed from the template, but you changed it)",
                "kept deleted" => "kept deleted (you had deleted it)",
                "renamed" => "renamed",
                _ => "**conflict**: resolve before merging",
            };
            if monorepo {
                let _ = writeln!(b, "| {} | `{}` | {what} |", cell(&p.dir), cell(path));
            } else {
                let _ = writeln!(b, "| `{}` | {what} |", cell(path));
            }
        }
    }
    b.push('\n');
}

fn follow_ups_section(b: &mut String, parts: &[ProjectPart]) {
    if parts.iter().all(|p| p.follow_ups.is_empty()) {
        return;
    }
    b.push_str(
        "### Follow-ups\n\nThese files are yours (seed files: pave writes them once and never changes them), \
         and they mention paths this upgrade moves. Update them in this branch or after merging:\n\n",
    );
    for p in parts {
        for line in &p.follow_ups {
            let place = if p.dir.is_empty() { String::new() } else { format!("{}: ", cell(&p.dir)) };
            let _ = writeln!(b, "- {place}{}", cell(line));
        }
    }
    b.push('\n');
}

fn conflicts_section(b: &mut String, branch: &str, conflicts: &[(&ProjectPart, &str)]) {
    if conflicts.is_empty() {
        return;
    }
    b.push_str("### Conflicts\n\nThese files hold conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`): your change and the template's touch the same lines.\n\n");
    for (p, f) in conflicts {
        let path = if p.dir.is_empty() { (*f).to_string() } else { format!("{}/{f}", p.dir) };
        let _ = writeln!(b, "- `{}`", cell(&path));
    }
    let _ = writeln!(
        b,
        "\nTo resolve: `git fetch origin && git switch {branch}`, edit each file to keep what both sides need, \
         remove the markers, commit and push. pave then leaves the branch to you. \
         Mark the pull request ready for review when it is done.\n"
    );
}

fn versions_between<'a>(catalog: &'a Catalog, template: &str, from: &str, to: &str) -> Vec<&'a semver::Version> {
    let (Ok(from), Ok(to)) = (semver::Version::parse(from), semver::Version::parse(to)) else { return Vec::new() };
    catalog.entry(template).map(|e| e.versions.iter().filter(|v| **v > from && **v <= to).collect()).unwrap_or_default()
}

fn migrations_section(b: &mut String, catalog: &Catalog, template: &str, from: &str, to: &str) {
    let Ok(entry) = catalog.entry(template) else { return };
    let mut lines = Vec::new();
    for v in versions_between(catalog, template, from, to) {
        let Ok(tv) = catalog.version(entry, v) else { continue };
        for m in &tv.manifest.migrations {
            for (old, new) in &m.rename_answers {
                lines.push(format!("- {v}: answer `{}` renamed to `{}`", cell(old), cell(new)));
            }
            for (old, new) in &m.rename_files {
                lines.push(format!("- {v}: file `{}` moved to `{}`", cell(old), cell(new)));
            }
        }
    }
    if !lines.is_empty() {
        let _ = writeln!(b, "### Migrations applied\n\n{}\n", lines.join("\n"));
    }
}

fn changelog_section(b: &mut String, catalog: &Catalog, template: &str, from: &str, to: &str) {
    let mut log = String::new();
    for v in versions_between(catalog, template, from, to).into_iter().rev() {
        let text = catalog
            .store
            .read(&format!("templates/{template}/{v}/CHANGELOG.md"))
            .ok()
            .flatten()
            .map(|t| String::from_utf8_lossy(&t).into_owned());
        let _ = writeln!(log, "#### {v}\n");
        match text {
            Some(t) => {
                // The file's own headings pushed below this section's.
                for line in t.lines().filter(|l| !is_version_heading(l, v)) {
                    let line = if line.starts_with('#') { format!("####{line}") } else { line.to_string() };
                    let _ = writeln!(log, "{line}");
                }
                log.push('\n');
            }
            None => log.push_str("_No CHANGELOG.md in this version._\n\n"),
        }
    }
    if log.is_empty() {
        return;
    }
    if log.len() > MAX_CHANGELOG {
        let cut = log.char_indices().take_while(|(i, _)| *i < MAX_CHANGELOG).last().map_or(0, |(i, _)| i);
        log.truncate(cut);
        log.push_str("\n\n_… cut here: see the template's CHANGELOG.md for the rest._\n");
    }
    let _ = writeln!(
        b,
        "### Changelog\n\n<details><summary>{template} {from} → {to}</summary>\n\n{}\n</details>\n",
        log.trim_end()
    );
}

/// A changelog's own heading for the version (`# 2.1.0`, `## [2.1.0] - …`), left out.
fn is_version_heading(line: &str, v: &semver::Version) -> bool {
    line.starts_with('#') && line.trim_start_matches('#').trim().trim_start_matches('[').starts_with(&v.to_string())
}

fn check_section(b: &mut String, parts: &[ProjectPart]) {
    b.push_str("### `pave check` on the result\n\n");
    for p in parts {
        let lead = if parts.len() > 1 || !p.dir.is_empty() { format!("`{}`: ", cell(&p.dir)) } else { String::new() };
        match &p.findings {
            Err(why) => {
                let _ = writeln!(b, "- {lead}could not run: {}", cell(why));
            }
            Ok(findings) if findings.is_empty() => {
                let _ = writeln!(b, "- {lead}✔ every rule passes");
            }
            Ok(findings) => {
                for f in findings {
                    let mark = match f.severity {
                        crate::check::Severity::Error => "✖",
                        crate::check::Severity::Warning => "⚠",
                        crate::check::Severity::Excepted => "·",
                    };
                    let _ = writeln!(b, "- {lead}{mark} `{}`: {}", cell(&f.rule), cell(&f.message));
                }
            }
        }
    }
    b.push('\n');
}

fn support_section(b: &mut String, catalog: &Catalog, template: &str) {
    let Ok(entry) = catalog.entry(template) else { return };
    let fields: Vec<(&str, &str)> = entry.support.fields().collect();
    let _ = writeln!(b, "### Support\n\n{template} is owned by {}.", cell(&entry.owner));
    for (label, value) in fields {
        let _ = writeln!(b, "- {label}: {}", cell(value));
    }
}

/// Text safe inside a Markdown table cell or list item.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ").replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::{ProjectPart, content, file_lines, follow_up_lines};

    #[test]
    fn follow_ups_get_their_own_section_in_the_body() {
        let part = |dir: &str, follow_ups: Vec<String>| ProjectPart {
            dir: dir.into(),
            files: vec![("renamed".into(), "docs/RUNBOOK.md → docs/runbook.md".into())],
            follow_ups,
            findings: Ok(Vec::new()),
        };
        let mention = "README.md mentions docs/RUNBOOK.md, now docs/runbook.md".to_string();
        let body = content(None, "app", "1.0.0", "2.0.0", "pave/app-2.0.0", &[part("", vec![mention.clone()])]).body;
        assert!(body.contains("### Follow-ups\n"), "{body}");
        assert!(body.contains(&format!("- {mention}\n")), "{body}");
        let monorepo =
            content(None, "app", "1.0.0", "2.0.0", "b", &[part("svc", vec![mention.clone()]), part("web", vec![])]);
        assert!(monorepo.body.contains(&format!("- svc: {mention}\n")), "{}", monorepo.body);
        let none = content(None, "app", "1.0.0", "2.0.0", "b", &[part("", vec![])]).body;
        assert!(!none.contains("Follow-ups"), "{none}");
    }

    #[test]
    fn follow_ups_are_read_back_from_commit_messages() {
        let message = "Upgrade app from 1.0.0 to 2.0.0\n\nrenamed   docs/RUNBOOK.md → docs/runbook.md\n\nSeed files are the team's: pave leaves these mentions of moved paths to you.\nfollow-up README.md mentions docs/RUNBOOK.md, now docs/runbook.md";
        assert_eq!(
            follow_up_lines(message),
            vec!["README.md mentions docs/RUNBOOK.md, now docs/runbook.md".to_string()]
        );
        assert!(file_lines(message).iter().all(|(w, _)| w == "renamed"));
    }

    #[test]
    fn file_lines_are_read_back_from_commit_messages() {
        let message = "Upgrade app from 1.0.0 to 2.0.0\n\nupdated   README.md\nkept deleted docs/x.md\nrenamed   a.yml → b.yml\nconflict  src/main.rs\n\nConflicts are committed with their markers: resolve them before merging.";
        assert_eq!(
            file_lines(message),
            vec![
                ("updated".to_string(), "README.md".to_string()),
                ("kept deleted".to_string(), "docs/x.md".to_string()),
                ("renamed".to_string(), "a.yml → b.yml".to_string()),
                ("conflict".to_string(), "src/main.rs".to_string()),
            ]
        );
    }
}
