//! How a project differs from a fresh render of its recorded version and answers: the
//! golden-path files its team changed, deleted, or added beside them.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::plan::{ProjectFiles, ReadError};
use crate::render::{RenderedFile, RenderedTree};

/// How one path drifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DriftKind {
    /// The content or mode differs.
    Modified,
    /// The template renders it; the project has none.
    Deleted,
    /// The project has a file beside the template's, in a directory the template owns.
    Added,
}

impl DriftKind {
    /// The word shown to users.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Modified => "modified",
            Self::Deleted => "deleted",
            Self::Added => "added",
        }
    }
}

/// One drifted path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Drift {
    /// Project-relative path.
    pub path: String,
    /// How.
    pub kind: DriftKind,
    /// The template's file (for modified and deleted).
    #[serde(skip)]
    pub expected: Option<RenderedFile>,
    /// The project's file (for modified and added).
    #[serde(skip)]
    pub actual: Option<RenderedFile>,
}

/// Compares `rendered` with the project. Seed files are the team's and never drift.
/// `tracked` lists the project's tracked files, to find files added beside the template's.
pub(crate) fn compute(
    rendered: &RenderedTree,
    seed: &[String],
    ours: &dyn ProjectFiles,
    tracked: &[String],
) -> Result<Vec<Drift>, ReadError> {
    let seed = crate::manifest::globset(seed);
    let mut out = Vec::new();
    let mut owned_dirs = BTreeSet::new();
    for (path, expected) in &rendered.files {
        if seed.is_match(path.as_str()) || path == crate::project::FILE_NAME {
            continue;
        }
        if let Some((dir, _)) = path.rsplit_once('/') {
            owned_dirs.insert(dir.to_string());
        }
        match ours.get(path)? {
            None => out.push(Drift {
                path: path.clone(),
                kind: DriftKind::Deleted,
                expected: Some(expected.clone()),
                actual: None,
            }),
            Some(actual) if &actual != expected => {
                out.push(Drift {
                    path: path.clone(),
                    kind: DriftKind::Modified,
                    expected: Some(expected.clone()),
                    actual: Some(actual),
                });
            }
            Some(_) => {}
        }
    }
    for path in tracked {
        let dir = path.rsplit_once('/').map(|(d, _)| d);
        if dir.is_some_and(|d| owned_dirs.contains(d))
            && !rendered.files.contains_key(path)
            && !seed.is_match(path.as_str())
        {
            out.push(Drift { path: path.clone(), kind: DriftKind::Added, expected: None, actual: ours.get(path)? });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
