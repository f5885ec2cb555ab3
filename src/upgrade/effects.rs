//! A plan → the writes and removals it makes, worked out once for every consumer.

use std::collections::BTreeSet;

use crate::plan::UpgradePlan;
use crate::render::RenderedFile;

/// One path an upgrade writes or removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Effect {
    /// The path written or removed, project-relative.
    pub path: String,
    /// What the project has there now (for a renamed file: at `renamed_from`).
    pub before: Option<RenderedFile>,
    /// The new content; `None` removes the path.
    pub after: Option<RenderedFile>,
    /// The old path of a file a migration moves here. It is removed, unless another effect
    /// writes it (a new version may put a new file where an old one moved away from).
    pub renamed_from: Option<String>,
}

impl Effect {
    /// Whether the effect removes a path rather than writing one.
    pub(crate) fn is_removal(&self) -> bool {
        self.after.is_none()
    }
}

/// The paths an effect list removes: removed paths and the old paths of renames, except those
/// another effect writes. In the order the effects name them.
pub(crate) fn removed_paths(effects: &[Effect]) -> Vec<&str> {
    let written: BTreeSet<&str> = effects.iter().filter(|e| !e.is_removal()).map(|e| e.path.as_str()).collect();
    let mut out = Vec::new();
    for e in effects {
        let gone = if e.is_removal() { Some(e.path.as_str()) } else { e.renamed_from.as_deref() };
        if let Some(p) = gone.filter(|p| !written.contains(p)) {
            out.push(p);
        }
    }
    out
}

/// Every path the effects write or remove, each once: what a commit of the upgrade holds.
pub(crate) fn touched_paths(effects: &[Effect]) -> Vec<&str> {
    let mut seen = BTreeSet::new();
    let written = effects.iter().filter(|e| !e.is_removal()).map(|e| e.path.as_str());
    removed_paths(effects).into_iter().chain(written).filter(|p| seen.insert(*p)).collect()
}

/// The effects as a commit's tree changes: removals first, then writes, `.pave.toml` last.
pub(crate) fn tree_changes(effects: &[Effect]) -> Vec<crate::git::TreeChange> {
    let mut out: Vec<crate::git::TreeChange> =
        removed_paths(effects).into_iter().map(|p| (p.to_string(), None)).collect();
    out.extend(effects.iter().filter_map(|e| e.after.clone().map(|a| (e.path.clone(), Some(a)))));
    out
}

/// The effects of `plan`, then `.pave.toml` (`record` = old and new text) when it changes.
pub(super) fn of(plan: &UpgradePlan, record: Option<(&str, &str)>) -> Vec<Effect> {
    let mut out = Vec::new();
    for f in plan.changes() {
        // A conflict that keeps the project's file (.rej, .pave-new) changes only its side file.
        if f.before != f.after || f.moved_from.is_some() {
            // A file the template removes after a migration moved it is removed where it is.
            let effect = match (&f.after, &f.moved_from) {
                (None, Some(old)) => {
                    Effect { path: old.clone(), before: f.before.clone(), after: None, renamed_from: None }
                }
                _ => Effect {
                    path: f.path.clone(),
                    before: f.before.clone(),
                    after: f.after.clone(),
                    renamed_from: f.moved_from.clone(),
                },
            };
            out.push(effect);
        }
        if let Some((side, content)) = f.side_file() {
            out.push(Effect { path: side, before: None, after: Some(content), renamed_from: None });
        }
    }
    if let Some((old, new)) = record {
        out.push(Effect {
            path: crate::project::FILE_NAME.to_string(),
            before: Some(RenderedFile::File { bytes: old.as_bytes().to_vec(), executable: false }),
            after: Some(RenderedFile::File { bytes: new.as_bytes().to_vec(), executable: false }),
            renamed_from: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> RenderedFile {
        RenderedFile::File { bytes: text.as_bytes().to_vec(), executable: false }
    }

    #[test]
    fn a_path_a_rename_leaves_is_free_for_a_new_file() {
        let effects = vec![
            Effect { path: "pipeline.yml".into(), before: None, after: Some(file("new")), renamed_from: None },
            Effect {
                path: "pipeline/main.yml".into(),
                before: Some(file("old")),
                after: Some(file("merged")),
                renamed_from: Some("pipeline.yml".into()),
            },
            Effect { path: "gone.txt".into(), before: Some(file("x")), after: None, renamed_from: None },
        ];
        assert_eq!(removed_paths(&effects), vec!["gone.txt"]);
    }

    #[test]
    fn a_rename_removes_its_old_path() {
        let effects = vec![Effect {
            path: "b.txt".into(),
            before: Some(file("x")),
            after: Some(file("x")),
            renamed_from: Some("a.txt".into()),
        }];
        assert_eq!(removed_paths(&effects), vec!["a.txt"]);
    }
}
