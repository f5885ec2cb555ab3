//! base / theirs / ours → an upgrade plan: one outcome per path, following SPEC.md's table.
//! Pure: the project is read through [`ProjectFiles`], so the same plan serves the working tree
//! (`pave upgrade`), the patch printer (`pave diff`) and a commit's tree (`pave fleet`).

use std::collections::{BTreeMap, BTreeSet};

use crate::merge;
use crate::render::{RenderedFile, RenderedTree};

/// The project's current files, wherever they are read from: its working tree, or a commit.
pub(crate) trait ProjectFiles {
    /// The project's file at `path`, or `None` when there is none.
    fn get(&self, path: &str) -> Result<Option<RenderedFile>, ReadError>;
    /// Whether a file exists at `path` that git does not track (it must never be overwritten).
    fn is_untracked(&self, path: &str) -> bool;
}

/// A project file that could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// The file system failed.
    #[error(transparent)]
    Fs(#[from] crate::fs::FsError),
    /// git failed.
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    /// The path cannot be read or written safely (a link on the way, a directory in its place).
    #[error("{message}")]
    Unsafe {
        /// What stands in the way.
        message: String,
        /// What to do next.
        hint: String,
    },
}

/// How conflicts are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ConflictStyle {
    /// `<<<<<<< local` / `=======` / `>>>>>>> TEMPLATE VERSION` in the file.
    #[default]
    Inline,
    /// The project's file kept, the template's change in `PATH.rej`.
    Rej,
}

/// A conflict left for a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Conflict {
    /// The file now holds conflict markers.
    Markers,
    /// The file is kept; the template's change is in `PATH.rej`.
    Rej {
        /// The unified diff written to `PATH.rej`.
        rej: Vec<u8>,
    },
    /// A binary (or link) file is kept; the template's version is written to `PATH.pave-new`.
    Binary {
        /// The template's file.
        theirs: RenderedFile,
    },
}

/// What happens to one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Ours equalled base: replaced by theirs.
    Update,
    /// Added by the template; the project had no such file.
    Create,
    /// Both changed; merged without overlap.
    Merge,
    /// Both changed and overlapped, or a binary file both changed.
    Conflict(Conflict),
    /// Removed from the template; ours equalled base.
    Delete,
    /// Removed from the template, but the project changed it: kept.
    KeptModified,
    /// Changed in the template, but the project deleted it: stays deleted.
    KeptDeleted,
    /// Only moved by a `rename_files` migration.
    Move,
}

impl Action {
    /// The word shown in summaries.
    pub(crate) fn word(&self) -> &'static str {
        match self {
            Self::Update => "updated",
            Self::Create => "added",
            Self::Merge => "merged",
            Self::Conflict(_) => "conflict",
            Self::Delete => "deleted",
            Self::KeptModified => "kept",
            Self::KeptDeleted => "kept deleted",
            Self::Move => "renamed",
        }
    }
}

/// One path's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlannedFile {
    /// The path after the upgrade (the new path of a renamed file).
    pub path: String,
    /// What happens.
    pub action: Action,
    /// The project's file before (at `moved_from` when moved).
    pub before: Option<RenderedFile>,
    /// The file after (`None`: absent). For `Rej` and `Binary` conflicts, the project's file.
    pub after: Option<RenderedFile>,
    /// The old path, when a migration moves the file.
    pub moved_from: Option<String>,
    /// base, ours, theirs contents, for the index's conflict stages.
    pub stages: Option<[Option<Vec<u8>>; 3]>,
}

impl PlannedFile {
    /// Whether the file's bytes or mode change at `path` (or it moves).
    pub(crate) fn changes_tree(&self) -> bool {
        self.before != self.after || self.moved_from.is_some() || matches!(self.action, Action::Conflict(_))
    }

    /// `OLD → NEW` for a moved file, else the path.
    pub(crate) fn display_path(&self) -> String {
        match &self.moved_from {
            Some(old) => format!("{old} → {}", self.path),
            None => self.path.clone(),
        }
    }

    /// The extra file a conflict writes beside this one, with its content.
    pub(crate) fn side_file(&self) -> Option<(String, RenderedFile)> {
        match &self.action {
            Action::Conflict(Conflict::Rej { rej }) => {
                Some((format!("{}.rej", self.path), RenderedFile::File { bytes: rej.clone(), executable: false }))
            }
            Action::Conflict(Conflict::Binary { theirs }) => Some((format!("{}.pave-new", self.path), theirs.clone())),
            _ => None,
        }
    }
}

/// The whole upgrade of one project.
#[derive(Debug, Clone, Default)]
pub(crate) struct UpgradePlan {
    /// Every path with an outcome other than "untouched", sorted by path.
    pub files: Vec<PlannedFile>,
    /// Paths the upgrade would write where an untracked file stands: the upgrade must refuse.
    pub blocked: Vec<String>,
    /// Seed files that mention a path this upgrade moves: the team's to update.
    pub follow_ups: Vec<FollowUp>,
}

/// A seed file that mentions a path the upgrade moves (a migration's `rename_files`). pave never
/// changes a seed file, so the mention, a link in a README most often, is left for the team and
/// said everywhere the upgrade is reported: the summary, the commit message, the pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FollowUp {
    /// The seed file.
    pub file: String,
    /// The path it mentions, which the upgrade moves away.
    pub old: String,
    /// Where that path goes.
    pub new: String,
}

impl FollowUp {
    /// The line the summary and the commit message carry (after the word `follow-up`).
    pub(crate) fn describe(&self) -> String {
        format!("{} mentions {}, now {}", self.file, self.old, self.new)
    }
}

impl UpgradePlan {
    /// Files that change the project (everything but reports).
    pub(crate) fn changes(&self) -> impl Iterator<Item = &PlannedFile> {
        self.files.iter().filter(|f| f.changes_tree())
    }

    /// How many paths left conflicts.
    pub(crate) fn conflicts(&self) -> usize {
        self.files.iter().filter(|f| matches!(f.action, Action::Conflict(_))).count()
    }

    /// Counts per action word, in a fixed order.
    pub(crate) fn counts(&self) -> Vec<(&'static str, usize)> {
        let order = ["updated", "merged", "added", "deleted", "renamed", "kept", "kept deleted", "conflict"];
        order
            .iter()
            .map(|w| (*w, self.files.iter().filter(|f| f.action.word() == *w).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// What the planner needs besides the trees.
pub(crate) struct PlanInput<'a> {
    /// The old version rendered with the old answers, paths already moved by migrations.
    pub base: &'a RenderedTree,
    /// The new version rendered with the new answers.
    pub theirs: &'a RenderedTree,
    /// `rename_files` of every version crossed, composed: old path → new path.
    pub renames: &'a BTreeMap<String, String>,
    /// Seed globs of the old and the new version.
    pub seed: &'a [String],
    /// Label for conflict markers: `TEMPLATE VERSION`.
    pub label: &'a str,
    /// How to write conflicts.
    pub style: ConflictStyle,
}

/// Builds the plan.
pub(crate) fn plan(input: &PlanInput<'_>, ours: &dyn ProjectFiles) -> Result<UpgradePlan, ReadError> {
    let seed = crate::manifest::globset(input.seed);
    let reverse: BTreeMap<&str, &str> = input.renames.iter().map(|(o, n)| (n.as_str(), o.as_str())).collect();
    let paths: BTreeSet<&String> = input.base.files.keys().chain(input.theirs.files.keys()).collect();
    // Renamed files first: the paths they leave are then free for whatever the new version puts
    // there, and the project's copy at the old path is not planned twice.
    let (targets, others): (Vec<&String>, Vec<&String>) =
        paths.into_iter().partition(|p| reverse.contains_key(p.as_str()));
    let mut vacated: BTreeSet<String> = BTreeSet::new();
    let mut out = UpgradePlan::default();
    for path in targets.into_iter().chain(others) {
        if path == crate::project::FILE_NAME {
            continue;
        }
        if seed.is_match(path.as_str()) {
            if !input.renames.is_empty() {
                out.follow_ups.extend(follow_ups(path, input.renames, ours)?);
            }
            continue;
        }
        let b = input.base.files.get(path);
        let t = input.theirs.files.get(path);
        if b.is_some() && b == t && !reverse.contains_key(path.as_str()) {
            continue; // the template does not change it and no migration moves it: untouched
        }
        let here = if vacated.contains(path.as_str()) { None } else { ours.get(path)? };
        // A renamed file is read from its old path unless the project already has the new one.
        let (current, moved_from) = match (here, reverse.get(path.as_str())) {
            (None, Some(old)) if !seed.is_match(old) => (ours.get(old)?, Some((*old).to_string())),
            (o, _) => (o, None),
        };
        let moved_from = moved_from.filter(|_| current.is_some());
        let Some(mut planned) = decide(path, b, t, current, input) else { continue };
        if matches!(planned.action, Action::KeptModified) {
            planned.moved_from = None; // a kept file stays where it is
        } else {
            planned.moved_from = moved_from;
        }
        if planned.action == Action::Update && planned.before == planned.after {
            if planned.moved_from.is_none() {
                continue; // untouched
            }
            planned.action = Action::Move;
        }
        if let Some(old) = &planned.moved_from {
            vacated.insert(old.clone());
        }
        out.files.push(planned);
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in &out.files {
        let writes = f.after.is_some() && f.changes_tree();
        if writes && ours.is_untracked(&f.path) {
            out.blocked.push(f.path.clone());
        }
        if let Some((side, _)) = f.side_file()
            && ours.is_untracked(&side)
        {
            out.blocked.push(side);
        }
    }
    Ok(out)
}

/// The paths of `renames` that the seed file at `path` mentions.
fn follow_ups(
    path: &str,
    renames: &BTreeMap<String, String>,
    ours: &dyn ProjectFiles,
) -> Result<Vec<FollowUp>, ReadError> {
    let Some(RenderedFile::File { bytes, .. }) = ours.get(path)? else { return Ok(Vec::new()) };
    let Ok(text) = std::str::from_utf8(&bytes) else { return Ok(Vec::new()) };
    Ok(renames
        .iter()
        .filter(|(old, _)| text.contains(old.as_str()))
        .map(|(old, new)| FollowUp { file: path.to_string(), old: old.clone(), new: new.clone() })
        .collect())
}

fn file(path: &str, action: Action, before: Option<RenderedFile>, after: Option<RenderedFile>) -> PlannedFile {
    PlannedFile { path: path.into(), action, before, after, moved_from: None, stages: None }
}

fn exec(f: &RenderedFile) -> bool {
    matches!(f, RenderedFile::File { executable: true, .. })
}

/// The executable bit follows the template where ours still has base's mode.
fn with_mode(bytes: Vec<u8>, base: Option<&RenderedFile>, ours: &RenderedFile, theirs: &RenderedFile) -> RenderedFile {
    let executable = if base.is_none_or(|b| exec(b) == exec(ours)) { exec(theirs) } else { exec(ours) };
    RenderedFile::File { bytes, executable }
}

fn mergeable(f: &RenderedFile) -> bool {
    matches!(f, RenderedFile::File { bytes, .. } if merge::is_text(bytes))
}

/// One row of SPEC.md's table; `None` when the path is untouched.
fn decide(
    path: &str,
    b: Option<&RenderedFile>,
    t: Option<&RenderedFile>,
    o: Option<RenderedFile>,
    input: &PlanInput<'_>,
) -> Option<PlannedFile> {
    match (b, t) {
        (None, None) => None,
        // Unchanged by the template: local edits and deletions stay. A migration still moves it.
        (Some(b), Some(t)) if b == t => o.map(|o| file(path, Action::Update, Some(o.clone()), Some(o))),
        (None, Some(t)) => match o {
            None => Some(file(path, Action::Create, None, Some(t.clone()))),
            Some(o) if &o == t => None,
            Some(o) => Some(three_way(path, None, o, t, input)),
        },
        (Some(b), None) => match o {
            None => None,
            Some(o) if &o == b => Some(file(path, Action::Delete, Some(o), None)),
            Some(o) => Some(file(path, Action::KeptModified, Some(o.clone()), Some(o))),
        },
        (Some(b), Some(t)) => match o {
            None => Some(file(path, Action::KeptDeleted, None, None)),
            Some(o) if &o == b => Some(file(path, Action::Update, Some(o), Some(t.clone()))),
            Some(o) if &o == t => None,
            Some(o) => Some(three_way(path, Some(b), o, t, input)),
        },
    }
}

fn three_way(
    path: &str,
    b: Option<&RenderedFile>,
    o: RenderedFile,
    t: &RenderedFile,
    input: &PlanInput<'_>,
) -> PlannedFile {
    let stages = Some([b.map(|b| b.bytes().to_vec()), Some(o.bytes().to_vec()), Some(t.bytes().to_vec())]);
    let text = mergeable(&o) && mergeable(t) && b.is_none_or(mergeable);
    if !text {
        let mut f = file(path, Action::Conflict(Conflict::Binary { theirs: t.clone() }), Some(o.clone()), Some(o));
        f.stages = stages;
        return f;
    }
    let base_bytes = b.map_or(&[][..], RenderedFile::bytes);
    // libgit2 refusing to merge is treated like a binary conflict: nothing is lost.
    let Ok(merged) = merge::merge(base_bytes, o.bytes(), t.bytes(), input.label) else {
        let mut f = file(path, Action::Conflict(Conflict::Binary { theirs: t.clone() }), Some(o.clone()), Some(o));
        f.stages = stages;
        return f;
    };
    let after = with_mode(merged.bytes, b, &o, t);
    if !merged.conflicted {
        return file(path, Action::Merge, Some(o), Some(after));
    }
    let mut f = match input.style {
        ConflictStyle::Inline => file(path, Action::Conflict(Conflict::Markers), Some(o), Some(after)),
        ConflictStyle::Rej => {
            let rej = crate::textdiff::unified(path, path, base_bytes, t.bytes()).into_bytes();
            file(path, Action::Conflict(Conflict::Rej { rej }), Some(o.clone()), Some(o))
        }
    };
    f.stages = stages;
    f
}
