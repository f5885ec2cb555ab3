//! One file per subcommand, and the one dispatch `match`.

mod catalog;
mod check;
mod completions;
mod diff;
pub(crate) mod error;
mod exception;
mod fleet;
mod fleet_history;
mod fleet_rollout;
mod fleet_upgrade;
mod new;
mod template;
mod upgrade;

use std::io::IsTerminal;
use std::path::Path;

use self::error::Result;
use crate::catalog::{Catalog, CatalogError};
use crate::cli::{Cli, Command, GlobalArgs};
use crate::store::Store;
use crate::ui::{Printer, Verbosity};

/// What every command gets: the printer and the global flags.
pub(crate) struct Context {
    /// Where output goes.
    pub printer: Printer,
    /// Global flags.
    pub global: GlobalArgs,
    /// Whether prompts may be shown (terminal on stdin and stderr, no `--no-input`).
    pub interactive: bool,
    /// The user's configuration file.
    pub config: crate::config::Config,
}

impl Context {
    /// The context for a parsed command line.
    pub(crate) fn new(global: GlobalArgs) -> Result<Self> {
        let verbosity = if global.quiet {
            Verbosity::Quiet
        } else if global.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        let interactive = !global.no_input && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        let config = crate::config::load()?;
        Ok(Self { printer: Printer::new(global.color.into(), verbosity), global, interactive, config })
    }

    /// Loads the catalog chosen by `--catalog` / `PAVE_CATALOG`, else the user config's, else
    /// the built-in one.
    pub(crate) fn catalog(&self) -> Result<Catalog> {
        self.load_catalog(self.global.catalog.as_deref().or(self.config.catalog.as_deref()))
    }

    /// The catalog for an existing project: `--catalog` / `PAVE_CATALOG` when given, else the
    /// one its `.pave.toml` records.
    pub(crate) fn catalog_for(&self, recorded: Option<&str>) -> Result<Catalog> {
        self.load_catalog(self.global.catalog.as_deref().or(recorded).or(self.config.catalog.as_deref()))
    }

    fn load_catalog(&self, source: Option<&str>) -> Result<Catalog> {
        match source.filter(|s| !s.is_empty() && *s != "builtin") {
            None => Ok(Catalog::load(Store::Embedded, "builtin".into())?),
            Some(src) if crate::remote::is_git_source(src) => {
                let dir = crate::remote::checkout(src, self.global.refresh)?;
                Ok(Catalog::load(Store::Dir(dir), crate::url::redact(src))?)
            }
            Some(src) => {
                let path = Path::new(src);
                if !crate::fs::is_dir(path) {
                    return Err(CatalogError::Missing(src.to_string()).into());
                }
                let root = crate::fs::canonicalize(path)?;
                let source = root.display().to_string();
                Ok(Catalog::load(Store::Dir(root), source)?)
            }
        }
    }
}

/// Says what became of a page written with [`crate::fs::write_output`].
fn wrote(ctx: &Context, path: &std::path::Path, written: bool) {
    if written {
        ctx.printer.status(&format!("Wrote {}", path.display()));
    } else {
        ctx.printer.status(&format!("{} is up to date: nothing written", path.display()));
    }
}

/// Refuses a branch name git would refuse, before anything is written (exit 2).
fn check_branch_name(name: &str) -> Result<()> {
    if crate::git::is_valid_branch_name(name) {
        return Ok(());
    }
    Err(error::Error::usage(
        format!("`{name}` is not a valid branch name"),
        Some(
            "use letters, digits, `-`, `_`, `.` and `/` (as `git check-ref-format --branch` allows), e.g. pave/upgrade"
                .to_string(),
        ),
    ))
}

/// Runs the parsed command.
pub(crate) fn dispatch(cli: Cli) -> Result<i32> {
    let ctx = Context::new(cli.global)?;
    match cli.command {
        Command::New(args) => new::run(&ctx, &args),
        Command::Diff(args) => diff::run(&ctx, &args),
        Command::Upgrade(args) => upgrade::run(&ctx, &args),
        Command::Fleet(cmd) => fleet::run(&ctx, &cmd),
        Command::Check(args) => check::run(&ctx, &args),
        Command::Exception(cmd) => exception::run(&ctx, &cmd),
        Command::Catalog(cmd) => catalog::run(&ctx, &cmd),
        Command::Template(cmd) => template::run(&ctx, &cmd),
        Command::Completions(args) => completions::run(&ctx, &args),
    }
}
