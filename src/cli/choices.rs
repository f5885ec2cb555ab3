//! The command line's value choices, mirrored from the library's own types so that clap stays
//! in the CLI layer.

use clap::ValueEnum;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl From<ColorChoice> for crate::ui::ColorChoice {
    fn from(c: ColorChoice) -> Self {
        match c {
            ColorChoice::Auto => Self::Auto,
            ColorChoice::Always => Self::Always,
            ColorChoice::Never => Self::Never,
        }
    }
}

/// `--conflict`: how `pave upgrade` writes a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum ConflictStyle {
    /// `<<<<<<< local` / `=======` / `>>>>>>> TEMPLATE VERSION` in the file.
    #[default]
    Inline,
    /// The project's file kept, the template's change in `PATH.rej`.
    Rej,
}

impl From<ConflictStyle> for crate::plan::ConflictStyle {
    fn from(c: ConflictStyle) -> Self {
        match c {
            ConflictStyle::Inline => Self::Inline,
            ConflictStyle::Rej => Self::Rej,
        }
    }
}

/// `--on-conflict`: what `pave fleet upgrade` does with a conflicted project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum OnConflict {
    /// No branch: the project is reported for a human.
    #[default]
    Skip,
    /// Commit with the markers on the branch, flagged in the report.
    Commit,
}

impl From<OnConflict> for crate::fleet::upgrade::OnConflict {
    fn from(c: OnConflict) -> Self {
        match c {
            OnConflict::Skip => Self::Skip,
            OnConflict::Commit => Self::Commit,
        }
    }
}
