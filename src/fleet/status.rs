//! `pave fleet status`: where each project stands: its version against the newest, its
//! template's maturity, expired exceptions and `pave check` results.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Project;
use crate::catalog::{Catalog, Maturity};
use crate::project::ProjectFile;

/// How far a project is behind the newest released version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Behind {
    /// On the newest version.
    Current,
    /// A patch release behind.
    Patch,
    /// A minor release behind.
    Minor,
    /// A major release behind.
    Major,
    /// Newer than every released version (a pre-release).
    Ahead,
}

/// Compares a recorded version with the newest.
pub(crate) fn behind(recorded: &semver::Version, latest: &semver::Version) -> Behind {
    if recorded >= latest {
        if recorded > latest { Behind::Ahead } else { Behind::Current }
    } else if recorded.major != latest.major {
        Behind::Major
    } else if recorded.minor != latest.minor {
        Behind::Minor
    } else {
        Behind::Patch
    }
}

/// One row of `fleet status`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StatusRow {
    /// The project.
    pub path: String,
    /// Its template (empty when unreadable).
    pub template: String,
    /// Recorded version.
    pub version: String,
    /// Newest released version.
    pub latest: Option<String>,
    /// How far behind.
    pub behind: Option<Behind>,
    /// The template's maturity.
    pub maturity: Option<Maturity>,
    /// What to use instead of a deprecated or retired template.
    pub replacement: Option<String>,
    /// Rules of exceptions past their expiry date.
    pub expired_exceptions: Vec<String>,
    /// `pave check` violations (exit-1 findings), when the check could run.
    pub violations: Option<usize>,
    /// `pave check` warnings.
    pub warnings: Option<usize>,
    /// The rules of the violations, for the table.
    pub violated_rules: Vec<String>,
    /// Why the project could not be read.
    pub error: Option<String>,
}

/// Where one project stands. `catalog_for` loads (and may cache) the catalog a project records.
pub(crate) fn status_of<E: std::fmt::Display>(
    project: &Project,
    catalog_for: &dyn Fn(Option<&str>) -> Result<Catalog, E>,
) -> StatusRow {
    let mut row = StatusRow {
        path: project.name.clone(),
        template: String::new(),
        version: String::new(),
        latest: None,
        behind: None,
        maturity: None,
        replacement: None,
        expired_exceptions: Vec::new(),
        violations: None,
        warnings: None,
        violated_rules: Vec::new(),
        error: None,
    };
    let file = match ProjectFile::read(&project.dir) {
        Ok(f) => f,
        Err(e) => {
            row.error = Some(e.to_string());
            return row;
        }
    };
    row.template.clone_from(&file.template.name);
    row.version = file.template.version.to_string();
    let today = crate::exceptions::today();
    row.expired_exceptions = file
        .exceptions
        .iter()
        .filter(|e| crate::exceptions::expired(&e.expires, today))
        .map(|e| e.rule.clone())
        .collect();
    let catalog = match catalog_for(file.template.catalog.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            row.error = Some(e.to_string());
            return row;
        }
    };
    match crate::check::check(&project.dir, &file, &catalog) {
        Ok(findings) => {
            use crate::check::Severity;
            row.violated_rules =
                findings.iter().filter(|f| f.severity == Severity::Error).map(|f| f.rule.clone()).collect();
            row.violations = Some(row.violated_rules.len());
            row.warnings = Some(findings.iter().filter(|f| f.severity == Severity::Warning).count());
        }
        Err(e) => row.error = Some(format!("check failed: {}", e.to_string().lines().next().unwrap_or_default())),
    }
    match catalog.entry(&file.template.name).cloned() {
        Ok(entry) => {
            row.maturity = Some(entry.maturity);
            row.replacement.clone_from(&entry.replacement);
            row.behind = entry.latest.as_ref().map(|l| behind(&file.template.version, l));
            row.latest = entry.latest.map(|l| l.to_string());
        }
        Err(e) => row.error = Some(e.to_string()),
    }
    row
}

/// Counts across the fleet.
#[derive(Debug, Default, Serialize)]
pub(crate) struct StatusSummary {
    /// Projects found.
    pub projects: usize,
    /// On the newest version.
    pub current: usize,
    /// Behind it.
    pub behind: usize,
    /// Could not be read.
    pub unreadable: usize,
    /// Made from a template the catalog does not have.
    pub unknown_template: usize,
    /// On a deprecated or retired template.
    pub on_deprecated_or_retired: usize,
    /// With an expired exception.
    pub with_expired_exceptions: usize,
    /// Failing `pave check`.
    pub with_violations: usize,
    /// Projects per template.
    pub per_template: BTreeMap<String, usize>,
    /// Projects per template and version.
    pub per_version: BTreeMap<String, BTreeMap<String, usize>>,
    /// Projects per maturity label.
    pub per_maturity: BTreeMap<String, usize>,
}

/// Sums the rows up.
pub(crate) fn summarize(rows: &[StatusRow]) -> StatusSummary {
    let mut s = StatusSummary { projects: rows.len(), ..StatusSummary::default() };
    for r in rows {
        if r.error.is_some() && r.template.is_empty() {
            s.unreadable += 1;
            continue;
        }
        if r.maturity.is_none() {
            s.unknown_template += 1;
        }
        match r.behind {
            Some(Behind::Current | Behind::Ahead) => s.current += 1,
            Some(_) => s.behind += 1,
            None => {}
        }
        if matches!(r.maturity, Some(Maturity::Deprecated | Maturity::Retired)) {
            s.on_deprecated_or_retired += 1;
        }
        if !r.expired_exceptions.is_empty() {
            s.with_expired_exceptions += 1;
        }
        if r.violations.is_some_and(|v| v > 0) {
            s.with_violations += 1;
        }
        *s.per_template.entry(r.template.clone()).or_default() += 1;
        *s.per_version.entry(r.template.clone()).or_default().entry(r.version.clone()).or_default() += 1;
        if let Some(m) = r.maturity {
            *s.per_maturity.entry(m.to_string()).or_default() += 1;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behind_levels() {
        let v = |s: &str| semver::Version::parse(s).expect("version");
        assert_eq!(behind(&v("1.0.0"), &v("2.0.0")), Behind::Major);
        assert_eq!(behind(&v("1.0.0"), &v("1.1.0")), Behind::Minor);
        assert_eq!(behind(&v("1.1.0"), &v("1.1.3")), Behind::Patch);
        assert_eq!(behind(&v("1.1.0"), &v("1.1.0")), Behind::Current);
        assert_eq!(behind(&v("2.0.0-rc.1"), &v("1.1.0")), Behind::Ahead);
    }
}
