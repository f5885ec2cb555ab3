//! The command layer's error: every library error converts into it (`From`), and this is the one
//! place that maps errors to exit codes (SPEC.md) and to the hint printed under them.

use crate::answers::AnswerError;
use crate::catalog::CatalogError;
use crate::check::CheckError;
use crate::config::ConfigError;
use crate::fs::FsError;
use crate::git::GitError;
use crate::github::ApiError;
use crate::manifest::ManifestError;
use crate::plan::ReadError;
use crate::project::ProjectError;
use crate::remote::RemoteError;
use crate::render::RenderError;
use crate::scaffold::ScaffoldError;
use crate::upgrade::UpgradeError;

/// Exit codes shared by every command (SPEC.md, "Command line").
pub(crate) mod exit {
    /// Success.
    pub(crate) const OK: i32 = 0;
    /// An error, violations found, or changes found with `--exit-code`.
    pub(crate) const FAILURE: i32 = 1;
    /// Usage, input or precondition error: nothing was changed.
    pub(crate) const USAGE: i32 = 2;
    /// An upgrade finished but left conflicts for a human.
    pub(crate) const CONFLICTS: i32 = 3;
}

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
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
    Project(#[from] ProjectError),
    /// A git catalog could not be fetched.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The user configuration is malformed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file could not be read or written.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// A git operation failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// A project file could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// An upgrade could not be prepared.
    #[error(transparent)]
    Upgrade(#[from] UpgradeError),
    /// `pave check` could not run.
    #[error(transparent)]
    Check(#[from] CheckError),
    /// `pave new` could not write its destination.
    #[error(transparent)]
    Scaffold(#[from] ScaffoldError),
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
    /// GitHub's API refused or failed a call the whole command needs.
    #[error(transparent)]
    Github(#[from] ApiError),
    /// Output could not be written (a closed pipe is handled before this).
    #[error(transparent)]
    Output(#[from] crate::ui::OutputError),
}

impl Error {
    /// A usage or precondition error with a hint.
    pub(crate) fn usage(message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        Self::Usage { message: message.into(), hint: hint.into() }
    }

    /// The process exit code for this error (SPEC.md).
    pub(crate) fn exit_code(&self) -> i32 {
        // Every render error stops before anything is written: an unsafe answer or a defect in
        // the template, both input to pave, like a malformed template.toml.
        let input = match self {
            Self::Catalog(e) | Self::Upgrade(UpgradeError::Catalog(e)) | Self::Check(CheckError::Catalog(e)) => {
                e.is_input()
            }
            Self::Read(e) | Self::Upgrade(UpgradeError::Read(e)) | Self::Check(CheckError::Read(e)) => {
                matches!(e, ReadError::Unsafe { .. })
            }
            Self::Remote(e) => matches!(e, RemoteError::NotACatalog(_)),
            Self::Scaffold(e) => matches!(e, ScaffoldError::Destination { .. }),
            Self::Project(e) => !matches!(e, ProjectError::Fs(_)),
            Self::Config(e) => matches!(e, ConfigError::Invalid(_)),
            Self::Render(_)
            | Self::Upgrade(UpgradeError::Answer(_) | UpgradeError::Refused { .. } | UpgradeError::Render(_))
            | Self::Check(CheckError::Answer(_) | CheckError::Render(_))
            | Self::Manifest(_)
            | Self::Answer(_)
            | Self::Usage { .. }
            | Self::Cancelled => true,
            Self::Github(e) => matches!(e, ApiError::Insecure(_)),
            Self::Fs(_) | Self::Git(_) | Self::Check(CheckError::Git(_)) | Self::Prompt(_) | Self::Output(_) => false,
        };
        if input { exit::USAGE } else { exit::FAILURE }
    }

    /// What the user can do next, when we know.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            Self::Catalog(e) | Self::Upgrade(UpgradeError::Catalog(e)) | Self::Check(CheckError::Catalog(e)) => {
                e.hint()
            }
            Self::Answer(e) | Self::Upgrade(UpgradeError::Answer(e)) | Self::Check(CheckError::Answer(e)) => e.hint(),
            Self::Read(e) | Self::Upgrade(UpgradeError::Read(e)) | Self::Check(CheckError::Read(e)) => read_hint(e),
            Self::Upgrade(UpgradeError::Refused { hint, .. }) => Some(hint.clone()),
            Self::Usage { hint, .. } | Self::Scaffold(ScaffoldError::Destination { hint, .. }) => hint.clone(),
            Self::Git(e) | Self::Check(CheckError::Git(e)) => e.hint(),
            Self::Project(ProjectError::Missing(_)) => Some(
                "run it in a project made by `pave new` (or pass its path); a deleted .pave.toml can be restored from git".into(),
            ),
            Self::Remote(RemoteError::NotACatalog(_)) => {
                Some("pass --catalog with a directory holding catalog.toml and templates/".into())
            }
            Self::Remote(_) => {
                Some("check the URL and your access to it; `--catalog builtin` uses the built-in catalog".into())
            }
            Self::Github(ApiError::Insecure(_)) => Some("use https://, as GitHub Enterprise Server does".into()),
            Self::Github(ApiError::Unauthorized) => Some(
                "the token needs the repo scope (classic) or pull requests: write and contents: read (fine-grained)".into(),
            ),
            Self::Github(ApiError::NotFound { .. }) => {
                Some("check the organisation's name, and that the token can see it".into())
            }
            _ => None,
        }
    }
}

fn read_hint(e: &ReadError) -> Option<String> {
    match e {
        ReadError::Unsafe { hint, .. } => Some(hint.clone()),
        ReadError::Git(e) => e.hint(),
        ReadError::Fs(_) => None,
    }
}

/// Result with the command layer's error.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;
