//! `pave check`: the golden-path contract of one project. Each rule yields findings; an
//! exception in `.pave.toml` covers a finding until it expires; stale exceptions are reported.

use serde::Serialize;

use crate::answers::{self, Given, NoPrompt};
use crate::catalog::{Catalog, CatalogError, Maturity};
use crate::drift::{self, DriftKind};
use crate::git::{GitError, ProjectRepo};
use crate::plan::{ProjectFiles, ReadError};
use crate::project::ProjectFile;
use crate::render::{self, RenderedFile};
use crate::upgrade::WorkTree;

/// Why the check itself could not run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CheckError {
    /// The catalog or the recorded version.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The recorded answers no longer resolve.
    #[error(transparent)]
    Answer(#[from] answers::AnswerError),
    /// The recorded version could not be rendered.
    #[error(transparent)]
    Render(#[from] render::RenderError),
    /// A project file could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The repository could not be opened.
    #[error(transparent)]
    Git(#[from] GitError),
}

type Result<T, E = CheckError> = std::result::Result<T, E>;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    /// Covered by a valid exception.
    Excepted,
    /// Worth knowing; does not fail the check.
    Warning,
    /// A violation: `pave check` exits 1.
    Error,
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Finding {
    /// The rule id, as exceptions name it (`drift:.github/workflows/ci.yml`).
    pub rule: String,
    /// error, warning or excepted.
    pub severity: Severity,
    /// The file it is about, if any.
    pub path: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

fn finding(
    rule: impl Into<String>,
    severity: Severity,
    path: Option<&str>,
    message: impl Into<String>,
    hint: Option<String>,
) -> Finding {
    Finding { rule: rule.into(), severity, path: path.map(str::to_string), message: message.into(), hint }
}

/// Backstage's well-known `spec.lifecycle` values.
const LIFECYCLES: [&str; 3] = ["experimental", "production", "deprecated"];

/// The `spec.lifecycle` a new project on a template of this maturity starts with.
pub(crate) fn lifecycle_for(m: Maturity) -> &'static str {
    match m {
        Maturity::Experimental | Maturity::Beta => "experimental",
        Maturity::Stable => "production",
        Maturity::Deprecated | Maturity::Retired => "deprecated",
    }
}

/// Checks a project's working tree against its template version; `file` is its parsed
/// `.pave.toml`.
pub(crate) fn check(root: &std::path::Path, file: &ProjectFile, catalog: &Catalog) -> Result<Vec<Finding>> {
    check_files(&InWorkTree(root), file, catalog)
}

/// A project's working tree; its repository is opened only when a rule needs git (drift).
struct InWorkTree<'a>(&'a std::path::Path);

impl CheckedFiles for InWorkTree<'_> {
    fn read(&self, path: &str) -> Result<Option<RenderedFile>> {
        Ok(crate::upgrade::read_file(self.0, path)?)
    }

    fn with_tracked(&self, f: WithTracked<'_>) -> Result<()> {
        let repo = ProjectRepo::open(self.0)?.ok();
        let ours = WorkTree { root: self.0, repo: repo.as_ref() };
        let tracked = repo.as_ref().map(ProjectRepo::tracked_paths).unwrap_or_default();
        f(&ours, &tracked)
    }
}

/// What a drift rule is given: the files and the paths git tracks.
type WithTracked<'f> = &'f mut dyn FnMut(&dyn ProjectFiles, &[String]) -> Result<()>;

/// A project's files as the check reads them: one by one, or whole with the paths git tracks.
pub(crate) trait CheckedFiles {
    /// The file at `path`, if any.
    fn read(&self, path: &str) -> Result<Option<RenderedFile>>;
    /// Calls `f` with the files and the tracked paths (for drift).
    fn with_tracked(&self, f: WithTracked<'_>) -> Result<()>;
}

/// A project's files in a commit (a fleet branch's result): every file is tracked.
pub(crate) struct InCommit<'a>(pub crate::upgrade::CommitTree<'a>);

impl CheckedFiles for InCommit<'_> {
    fn read(&self, path: &str) -> Result<Option<RenderedFile>> {
        Ok(self.0.get(path)?)
    }

    fn with_tracked(&self, f: WithTracked<'_>) -> Result<()> {
        let tracked = self.0.files.paths();
        f(&self.0, &tracked)
    }
}

/// Checks a project's files, wherever they are, against its template version.
pub(crate) fn check_files(root: &dyn CheckedFiles, file: &ProjectFile, catalog: &Catalog) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    let recorded = &file.template;
    let entry = match catalog.entry(&recorded.name) {
        Ok(e) => e,
        Err(e) => {
            out.push(finding("template", Severity::Error, Some(".pave.toml"), e.to_string(), e.hint()));
            return Ok(apply_exceptions(out, file, catalog));
        }
    };
    if !entry.versions.contains(&recorded.version) {
        out.push(finding(
            "version",
            Severity::Error,
            Some(".pave.toml"),
            format!("{} {} is not in the catalog", entry.name, recorded.version),
            Some(format!(
                "versions: {}",
                entry.versions.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            )),
        ));
        return Ok(apply_exceptions(out, file, catalog));
    }
    match entry.maturity {
        Maturity::Retired => out.push(finding(
            "retired",
            Severity::Error,
            None,
            format!("{} is retired", entry.name),
            entry.replacement.as_ref().map(|r| format!("move to {r}: pave new {r}, then carry your code over")),
        )),
        Maturity::Deprecated => out.push(finding(
            "deprecated",
            Severity::Warning,
            None,
            format!("{} is deprecated", entry.name),
            entry.replacement.as_ref().map(|r| format!("plan the move to {r}")),
        )),
        _ => {}
    }
    if let Some(latest) = &entry.latest
        && latest.major > recorded.version.major
    {
        out.push(finding(
            "behind-major",
            Severity::Warning,
            None,
            format!("{} is a major version behind {latest}", recorded.version),
            Some("see the change with `pave diff`, apply it with `pave upgrade`".into()),
        ));
    }

    let tv = catalog.version(entry, &recorded.version)?;
    required(root, &tv, &mut out)?;
    ownership(root, entry.maturity, &tv.entry.name, &recorded.version, &mut out)?;

    enforced_drift(root, file, catalog, &tv, &mut out)?;
    Ok(apply_exceptions(out, file, catalog))
}

fn required(root: &dyn CheckedFiles, tv: &crate::catalog::TemplateVersion, out: &mut Vec<Finding>) -> Result<()> {
    for required in &tv.manifest.checks.required_files {
        match root.read(required)? {
            Some(RenderedFile::File { bytes, .. }) if !bytes.iter().all(u8::is_ascii_whitespace) => {}
            Some(_) => out.push(finding(
                format!("required-file:{required}"),
                Severity::Error,
                Some(required),
                format!("{required} is empty"),
                None,
            )),
            None => out.push(finding(
                format!("required-file:{required}"),
                Severity::Error,
                Some(required),
                format!("{required} is missing"),
                Some("restore it from the template: pave diff --drift shows what it should hold".into()),
            )),
        }
    }
    for (path, headings) in &tv.manifest.checks.required_sections {
        let Some(RenderedFile::File { bytes, .. }) = root.read(path)? else { continue };
        let text = String::from_utf8_lossy(&bytes);
        for heading in headings {
            if !section_has_content(&text, heading) {
                out.push(finding(
                    format!("required-section:{path}#{heading}"),
                    Severity::Error,
                    Some(path),
                    format!("{path} has no non-empty \"{heading}\" section"),
                    Some(format!("add a Markdown heading `## {heading}` with its content")),
                ));
            }
        }
    }
    Ok(())
}

/// Drift in enforced files, against a fresh render of the recorded version and answers.
fn enforced_drift(
    root: &dyn CheckedFiles,
    file: &ProjectFile,
    catalog: &Catalog,
    tv: &crate::catalog::TemplateVersion,
    out: &mut Vec<Finding>,
) -> Result<()> {
    let (entry, recorded) = (&tv.entry, &file.template);
    if !tv.manifest.files.enforced.is_empty() {
        let given = Given { data: file.answer_values(), secrets_empty: true, ..Given::default() };
        let resolved = answers::resolve(&tv.manifest, &given, &mut NoPrompt, &render::meta(tv, catalog))?;
        let rendered = render::render(tv, &render::context(tv, catalog, &resolved.values))?;
        let enforced = crate::manifest::globset(&tv.manifest.files.enforced);
        let mut drifts = Vec::new();
        root.with_tracked(&mut |ours, tracked| {
            drifts = drift::compute(&rendered, &tv.manifest.files.seed, ours, tracked)?;
            Ok(())
        })?;
        for d in drifts {
            if !enforced.is_match(&d.path) {
                continue;
            }
            let what = match d.kind {
                DriftKind::Modified => format!("differs from {} {}", entry.name, recorded.version),
                DriftKind::Deleted => "was deleted".to_string(),
                DriftKind::Added => "was added".to_string(),
            };
            out.push(finding(
                format!("drift:{}", d.path),
                Severity::Error,
                Some(&d.path),
                format!("{} {what} (an enforced file)", d.path),
                Some(format!(
                    "see: pave diff --drift; or record it: pave exception add drift:{} --owner you@example.com --reason \"...\" --expires YYYY-MM-DD",
                    d.path
                )),
            ));
        }
    }
    Ok(())
}

/// Whether a Markdown heading (any level) exists with some text before the next heading of the
/// same or a higher level.
pub(crate) fn section_has_content(text: &str, heading: &str) -> bool {
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let level = line.chars().take_while(|c| *c == '#').count();
        if level == 0 || !line[level..].starts_with(' ') {
            continue;
        }
        if !line[level..].trim().eq_ignore_ascii_case(heading) {
            continue;
        }
        for next in lines.by_ref() {
            let l = next.chars().take_while(|c| *c == '#').count();
            if l > 0 && l <= level && next[l..].starts_with(' ') {
                return false;
            }
            if !next.trim().is_empty() {
                return true;
            }
        }
        return false;
    }
    false
}

fn ownership(
    root: &dyn CheckedFiles,
    maturity: Maturity,
    template: &str,
    version: &semver::Version,
    out: &mut Vec<Finding>,
) -> Result<()> {
    const FILE: &str = "catalog-info.yaml";
    let Some(RenderedFile::File { bytes, .. }) = root.read(FILE)? else {
        return Ok(()); // a missing file is required-file's finding, when the template requires it
    };
    let doc: serde_json::Value = match serde_saphyr::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            out.push(finding(
                "ownership:catalog-info",
                Severity::Error,
                Some(FILE),
                format!("{FILE} is not valid YAML: {e}"),
                None,
            ));
            return Ok(());
        }
    };
    let owner = doc.pointer("/spec/owner").and_then(|v| v.as_str()).unwrap_or_default();
    if owner.trim().is_empty() {
        out.push(finding(
            "ownership:owner",
            Severity::Error,
            Some(FILE),
            format!("{FILE} names no spec.owner"),
            Some("set spec.owner to the owning team".into()),
        ));
    }
    // The lifecycle is the service's, not its template's: a production service may stand on a
    // beta template. It must be one Backstage knows; a production service on an experimental
    // template is the risk worth a warning.
    let lifecycle = doc.pointer("/spec/lifecycle").and_then(|v| v.as_str()).unwrap_or_default();
    if !LIFECYCLES.contains(&lifecycle) {
        out.push(finding(
            "ownership:lifecycle",
            Severity::Error,
            Some(FILE),
            format!("spec.lifecycle is \"{lifecycle}\": Backstage knows experimental, production and deprecated"),
            Some(format!(
                "set spec.lifecycle: {} (or production, once the service serves users)",
                lifecycle_for(maturity)
            )),
        ));
    } else if lifecycle == "production" && maturity == Maturity::Experimental {
        out.push(finding(
            "ownership:lifecycle",
            Severity::Warning,
            Some(FILE),
            format!("a production service on {template}, an experimental template that may change or disappear without notice"),
            Some("move to a stable template, or record the decision: pave exception add ownership:lifecycle ...".into()),
        ));
    }
    let annotation = |k: &str| {
        doc.pointer("/metadata/annotations").and_then(|a| a.get(k)).and_then(|v| v.as_str()).map(str::to_string)
    };
    if annotation("pave.dev/template").as_deref() != Some(template)
        || annotation("pave.dev/template-version").as_deref() != Some(version.to_string().as_str())
    {
        out.push(finding(
            "ownership:annotations",
            Severity::Error,
            Some(FILE),
            format!("metadata.annotations must name the source: pave.dev/template: {template}, pave.dev/template-version: \"{version}\""),
            None,
        ));
    }
    Ok(())
}

/// Marks findings covered by a valid exception, and reports expired and stale exceptions.
fn apply_exceptions(mut findings: Vec<Finding>, file: &ProjectFile, catalog: &Catalog) -> Vec<Finding> {
    let today = crate::exceptions::today();
    let max_days = catalog.meta.max_exception_days.unwrap_or(crate::exceptions::DEFAULT_MAX_EXCEPTION_DAYS);
    let mut extra = Vec::new();
    for ex in &file.exceptions {
        // `pave exception add` caps the expiry; one written by hand is held to the same cap.
        if crate::exceptions::days_until(&ex.expires, today).is_some_and(|d| d > i64::from(max_days)) {
            extra.push(finding(
                format!("exception-too-long:{}", ex.rule),
                Severity::Error,
                Some(".pave.toml"),
                format!(
                    "the exception for {} runs until {}, beyond the catalog's maximum of {max_days} days",
                    ex.rule, ex.expires
                ),
                Some("set an earlier expiry, and renew the exception when it lapses".into()),
            ));
        }
        let matching: Vec<&mut Finding> = findings.iter_mut().filter(|f| rule_matches(&ex.rule, &f.rule)).collect();
        if crate::exceptions::expired(&ex.expires, today) {
            extra.push(finding(
                format!("exception-expired:{}", ex.rule),
                Severity::Error,
                Some(".pave.toml"),
                format!("the exception for {} ({}, owner {}) expired on {}", ex.rule, ex.reason, ex.owner, ex.expires),
                Some("fix the deviation, or renew the exception with a new expiry".into()),
            ));
            continue;
        }
        if matching.is_empty() {
            extra.push(finding(
                format!("exception-stale:{}", ex.rule),
                Severity::Warning,
                Some(".pave.toml"),
                format!("the exception for {} no longer matches anything", ex.rule),
                Some("remove it from .pave.toml".into()),
            ));
        }
        for f in matching {
            f.severity = Severity::Excepted;
            f.message = format!("{} — excepted until {} ({}: {})", f.message, ex.expires, ex.owner, ex.reason);
        }
    }
    findings.extend(extra);
    findings
}

/// An exception's rule covers a finding's rule exactly, or by a trailing `*` (`drift:policy/*`).
pub(crate) fn rule_matches(pattern: &str, rule: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => rule.starts_with(prefix),
        None => pattern == rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_need_content() {
        let md = "# Runbook\n\n## Rollback\n\nkubectl rollout undo\n\n## Escalation\n\n## Other\ntext\n";
        assert!(section_has_content(md, "Rollback"));
        assert!(!section_has_content(md, "Escalation"));
        assert!(!section_has_content(md, "Missing"));
        assert!(section_has_content("## Escalation\n### Pager\ncall\n", "Escalation"));
    }

    #[test]
    fn exception_rules_match_exactly_or_by_prefix() {
        assert!(rule_matches("drift:a.yml", "drift:a.yml"));
        assert!(!rule_matches("drift:a.yml", "drift:b.yml"));
        assert!(rule_matches("drift:policy/*", "drift:policy/tags.rego"));
    }

    #[test]
    fn lifecycle_mapping() {
        assert_eq!(lifecycle_for(Maturity::Beta), "experimental");
        assert_eq!(lifecycle_for(Maturity::Stable), "production");
        assert_eq!(lifecycle_for(Maturity::Deprecated), "deprecated");
    }
}
