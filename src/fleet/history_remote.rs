//! `pave fleet history` and `scorecard` on repositories listed by URL: each mirrored (the same
//! cache as `fleet upgrade`), its default branch walked in the mirror, and, for the scorecard,
//! each project's files checked at that branch's tip. Nothing is checked out.

use std::collections::BTreeMap;
use std::path::Path;

use super::Project;
use super::dates::Day;
use super::history::{ProjectHistory, repo_histories};
use crate::catalog::Catalog;
use crate::git::{Auth, Commits, Mirror};
use crate::project::{FILE_NAME, ProjectFile};
use crate::render::RenderedFile;

/// A repository listed by URL.
pub(crate) struct Remote<'a> {
    /// Where mirrors are kept.
    pub mirrors: &'a Path,
    /// Its URL (it may hold credentials: never shown).
    pub url: &'a str,
    /// The branch to read (default: the remote's default branch).
    pub branch: Option<&'a str>,
    /// Credentials.
    pub auth: &'a Auth,
}

/// Loads the catalog a project records.
pub(crate) type CatalogFor<'a> = &'a (dyn Fn(Option<&str>) -> Result<Catalog, String> + Sync);

/// The histories of a remote repository's projects, and (with `check`) the `pave check`
/// violations of each at the branch's tip, by project path.
pub(crate) fn remote_histories(
    r: &Remote<'_>,
    today: Day,
    check: Option<CatalogFor<'_>>,
) -> (Vec<ProjectHistory>, BTreeMap<String, usize>) {
    let name = crate::url::repo_name(r.url);
    let failed = |e: String| (vec![ProjectHistory::failed(name.clone(), e)], BTreeMap::new());
    let synced = match Mirror::sync(r.mirrors, r.url, r.auth.clone(), r.branch) {
        Ok(s) => s,
        Err(e) => return failed(e.0),
    };
    let (mirror, fetched) = (&synced.mirror, &synced.fetched);
    let commits = mirror.commits();
    let dirs = match commits.dirs_with_file(&fetched.base, FILE_NAME) {
        Ok(d) if d.is_empty() => return failed(format!("no {FILE_NAME} on {}: not a pave project", fetched.branch)),
        Ok(d) => d,
        Err(e) => return failed(e.to_string()),
    };
    let root = mirror.path();
    let path_of = |d: &str| if d.is_empty() { name.clone() } else { format!("{name}/{}", d.trim_end_matches('/')) };
    let projects: Vec<Project> =
        dirs.iter().map(|d| Project { dir: root.join(d.trim_end_matches('/')), name: path_of(d) }).collect();
    let histories = repo_histories(root, Some(&fetched.branch), &projects, today);
    let mut violations = BTreeMap::new();
    if let Some(catalog_for) = check {
        for d in &dirs {
            if let Some(n) = violations_at(&commits, &fetched.base, d, catalog_for) {
                violations.insert(path_of(d), n);
            }
        }
    }
    (histories, violations)
}

/// The errors `pave check` finds in the project at `prefix` of `commit` (`None`: it cannot run).
fn violations_at(commits: &Commits<'_>, commit: &str, prefix: &str, catalog_for: CatalogFor<'_>) -> Option<usize> {
    let Ok(Some(RenderedFile::File { bytes, .. })) = commits.read_file(commit, &format!("{prefix}{FILE_NAME}")) else {
        return None;
    };
    let file = ProjectFile::parse(FILE_NAME, &String::from_utf8_lossy(&bytes)).ok()?;
    let catalog = catalog_for(file.template.catalog.as_deref()).ok()?;
    let files = crate::check::InCommit(crate::upgrade::CommitTree { files: commits.files_at(commit, prefix).ok()? });
    let findings = crate::check::check_files(&files, &file, &catalog).ok()?;
    Some(findings.iter().filter(|f| f.severity == crate::check::Severity::Error).count())
}
