//! The one error type the commands return, its exit code and the hint printed under it.

use std::path::PathBuf;

use crate::{answers::AnswerError, catalog::CatalogError, git::GitError, manifest::ManifestError};
use crate::{fs::FsError, render::RenderError};

/// Exit codes shared by every command (SPEC.md, "Command line").
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// An error, violations found, or changes found with `--exit-code`.
    pub const FAILURE: i32 = 1;
    /// Usage, input or precondition error: nothing was changed.
    pub const USAGE: i32 = 2;
    /// An upgrade finished but left conflicts for a human.
    pub const CONFLICTS: i32 = 3;
}

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The catalog could not be loaded, or a template or version is not in it.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A template.toml is malformed.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// An answer is missing or breaks its question's rule.
    #[error(transparent)]
    Answer(#[from] AnswerError),
    /// A template could not be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A project's `.pave.toml` is missing or malformed.
    #[error(transparent)]
    Project(#[from] crate::project::ProjectError),
    /// A git catalog could not be fetched.
    #[error(transparent)]
    Remote(#[from] crate::remote::RemoteError),
    /// The user configuration is malformed.
    #[error("{0}")]
    Config(Box<crate::diagnostic::SourceError>),
    /// A file could not be read or written.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// A git operation failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The command line or a precondition is wrong; nothing was changed.
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do next.
        hint: Option<String>,
    },
    /// The user declined a confirmation.
    #[error("cancelled: nothing was written")]
    Cancelled,
    /// A prompt failed (the terminal went away).
    #[error("could not read the answer from the terminal: {0}")]
    Prompt(#[from] dialoguer::Error),
    /// Output could not be written (a closed pipe is handled before this).
    #[error("could not write output: {0}")]
    Output(#[source] std::io::Error),
    /// A destination that is refused.
    #[error("destination `{}` {reason}", path.display())]
    Destination {
        /// The destination asked for.
        path: PathBuf,
        /// Why it is refused.
        reason: String,
        /// What to do next.
        hint: Option<String>,
    },
}

impl Error {
    /// A usage or precondition error with a hint.
    pub fn usage(message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        Self::Usage { message: message.into(), hint: hint.into() }
    }

    /// The process exit code for this error (SPEC.md).
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Catalog(e) if e.is_input() => exit::USAGE,
            Self::Render(e) if e.is_input() => exit::USAGE,
            Self::Manifest(_)
            | Self::Project(_)
            | Self::Config(_)
            | Self::Answer(_)
            | Self::Usage { .. }
            | Self::Destination { .. }
            | Self::Cancelled => exit::USAGE,
            _ => exit::FAILURE,
        }
    }

    /// What the user can do next, when we know.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Catalog(e) => e.hint(),
            Self::Answer(e) => e.hint(),
            Self::Usage { hint, .. } | Self::Destination { hint, .. } => hint.clone(),
            Self::Git(e) => e.hint(),
            Self::Project(crate::project::ProjectError::Missing(_)) => Some(
                "run it in a project made by `pave new` (or pass its path); a deleted .pave.toml can be restored from git".into(),
            ),
            Self::Remote(_) => {
                Some("check the URL and your access to it; `--catalog builtin` uses the built-in catalog".into())
            }
            _ => None,
        }
    }
}

/// Result with the top-level error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
