//! Upgrading one project, once for every consumer: `pave upgrade` applies a [`Session`]'s
//! effects to the working tree, `pave diff` prints them as a patch, and every project of
//! `pave fleet upgrade` commits them onto a branch.
//!
//! ```text
//! .pave.toml + catalog ──prepare──▶ versions, migrations, answers, base/theirs renders
//!                                      │
//! project files (work tree | commit) ──plan──▶ UpgradePlan (one outcome per path)
//!                                      │
//!                                  effects()  ──▶ worktree::apply │ git tree │ patch
//! ```

mod effects;
mod prepare;
mod source;
pub(crate) mod worktree;
pub(crate) use source::read_file;

use crate::answers::{AnswerError, Prompter};
use crate::catalog::{Catalog, CatalogError};
use crate::plan::{Action, PlannedFile, ReadError, UpgradePlan};
use crate::project::ProjectFile;
use crate::render::{RenderError, RenderedFile};

pub(crate) use effects::{Effect, touched_paths, tree_changes};
pub(crate) use prepare::{Prepared, Request, target};
pub(crate) use source::{CommitTree, WorkTree};

/// Why a project cannot be upgraded; nothing was written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UpgradeError {
    /// The catalog, the template or one of its versions.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// An answer is missing or breaks its rule.
    #[error(transparent)]
    Answer(#[from] AnswerError),
    /// A version could not be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The project's files could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The upgrade is refused as asked (a downgrade, a record the old version cannot render).
    #[error("{message}")]
    Refused {
        /// What is wrong.
        message: String,
        /// What to do next.
        hint: String,
    },
}

/// Where the project stands when nothing is newer.
#[derive(Debug, Clone)]
pub(crate) struct Current {
    /// The recorded version.
    pub recorded: semver::Version,
    /// The newest candidate version, if any.
    pub newest: Option<semver::Version>,
}

/// The upgrade of one project: what it records, where it goes, and what it writes.
pub(crate) struct Session {
    project: ProjectFile,
    state: State,
}

enum State {
    Current(Current),
    Upgrade { prepared: Box<Prepared>, plan: UpgradePlan },
}

impl Session {
    /// Prepares the upgrade of `project` (its `.pave.toml`, as read from `files`' source) to what
    /// `req` asks, and plans it against `files`. Prompts only through `prompter`.
    pub(crate) fn open(
        project: ProjectFile,
        catalog: &Catalog,
        files: &dyn crate::plan::ProjectFiles,
        req: &Request,
        prompter: &mut dyn Prompter,
    ) -> Result<Self, UpgradeError> {
        let state = match prepare::prepare(catalog, &project, req, prompter)? {
            prepare::Target::Current { recorded, newest } => State::Current(Current { recorded, newest }),
            prepare::Target::Upgrade(prepared) => {
                let plan = crate::plan::plan(&prepared.plan_input(), files)?;
                State::Upgrade { prepared, plan }
            }
        };
        Ok(Self { project, state })
    }

    /// `Some` when nothing is newer than the recorded version (and no answer changes).
    pub(crate) fn current(&self) -> Option<&Current> {
        match &self.state {
            State::Current(c) => Some(c),
            State::Upgrade { .. } => None,
        }
    }

    /// The prepared versions and renders, when there is an upgrade.
    pub(crate) fn prepared(&self) -> Option<&Prepared> {
        match &self.state {
            State::Upgrade { prepared, .. } => Some(prepared),
            State::Current(_) => None,
        }
    }

    /// The plan (empty when nothing is newer).
    pub(crate) fn plan(&self) -> &UpgradePlan {
        static EMPTY: UpgradePlan = UpgradePlan { files: Vec::new(), blocked: Vec::new(), follow_ups: Vec::new() };
        match &self.state {
            State::Upgrade { plan, .. } => plan,
            State::Current(_) => &EMPTY,
        }
    }

    /// The template's name.
    pub(crate) fn template(&self) -> &str {
        &self.project.template.name
    }

    /// The recorded version and the one the upgrade goes to.
    pub(crate) fn versions(&self) -> (&semver::Version, &semver::Version) {
        match &self.state {
            State::Upgrade { prepared, .. } => (&prepared.from.version, &prepared.to.version),
            State::Current(c) => (&c.recorded, &c.recorded),
        }
    }

    /// The new `.pave.toml` text, if it changes.
    fn new_record(&self) -> Option<&str> {
        self.prepared().map(|p| p.record.as_str()).filter(|r| *r != self.project.text)
    }

    /// Whether the upgrade changes nothing at all: no file, and not the record.
    pub(crate) fn is_noop(&self) -> bool {
        self.plan().changes().next().is_none() && self.new_record().is_none()
    }

    /// Paths that would be written where an untracked file stands (the upgrade must refuse).
    pub(crate) fn blocked(&self) -> &[String] {
        &self.plan().blocked
    }

    /// The files left in conflict for a human.
    pub(crate) fn conflicts(&self) -> Vec<&PlannedFile> {
        self.plan().files.iter().filter(|f| matches!(f.action, Action::Conflict(_))).collect()
    }

    /// The conflicted paths with their base, ours and theirs contents, for the index.
    pub(crate) fn conflict_entries(&self) -> Vec<crate::git::ConflictEntry> {
        self.conflicts()
            .into_iter()
            .filter_map(|f| {
                let exec = matches!(f.after, Some(RenderedFile::File { executable: true, .. }));
                f.stages.clone().map(|stages| (f.path.clone(), stages, exec))
            })
            .collect()
    }

    /// The commit message: what moved where, one line per file, and a warning about conflicts
    /// committed with their markers. `place` names the project's directory in a monorepo.
    pub(crate) fn commit_message(&self, place: Option<&str>) -> String {
        use std::fmt::Write as _;
        let (from, to) = self.versions();
        let place = place.filter(|p| !p.is_empty()).map(|p| format!(" in {p}")).unwrap_or_default();
        let mut message = if from == to {
            format!("Re-render {} {to}{place} with changed answers\n\n", self.template())
        } else {
            format!("Upgrade {} from {from} to {to}{place}\n\n", self.template())
        };
        for f in &self.plan().files {
            let _ = writeln!(message, "{:9} {}", f.action.word(), f.display_path());
        }
        if !self.plan().follow_ups.is_empty() {
            message.push_str("\nSeed files are the team's: pave leaves these mentions of moved paths to you.\n");
            for f in &self.plan().follow_ups {
                let _ = writeln!(message, "follow-up {}", f.describe());
            }
        }
        if !self.conflicts().is_empty() {
            message.push_str("\nConflicts are committed with their markers: resolve them before merging.\n");
        }
        message.trim_end().to_string()
    }

    /// Every write and removal the upgrade makes, `.pave.toml` last: the one list that the
    /// working-tree writer, the git-tree writer and the patch printer consume.
    pub(crate) fn effects(&self) -> Vec<Effect> {
        effects::of(self.plan(), self.new_record().map(|r| (self.project.text.as_str(), r)))
    }
}
