//! The command line, as clap derive types only: global flags, subcommands and their arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::fleet::Shard;

mod choices;
mod github;
mod history;
mod rollout;

pub(crate) use choices::{ColorChoice, ConflictStyle, OnConflict};
pub(crate) use github::GithubArgs;
pub(crate) use history::{FleetHistoryArgs, FleetScorecardArgs};
pub(crate) use rollout::FleetRolloutArgs;

/// Golden paths as code: create service repositories from versioned templates, and keep them
/// current.
#[derive(Debug, Parser)]
#[command(name = "pave", version, about, propagate_version = true, max_term_width = 100)]
pub(crate) struct Cli {
    /// Flags every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Catalog to use: a directory with catalog.toml and templates/ (default: the built-in one)
    #[arg(long, global = true, env = "PAVE_CATALOG", value_name = "SRC")]
    pub catalog: Option<String>,
    /// Fetch a git catalog again instead of using the cached copy
    #[arg(long, global = true)]
    pub refresh: bool,
    /// Never prompt: take defaults, and fail on a missing required answer
    #[arg(long, global = true)]
    pub no_input: bool,
    /// Print only errors and warnings
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// When to colour output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a project from a template
    New(NewArgs),
    /// Show what an upgrade would change, or how the project drifted from its template
    Diff(DiffArgs),
    /// Upgrade the project to a newer template version with a three-way merge
    Upgrade(UpgradeArgs),
    /// Status and bulk upgrades across many projects
    #[command(subcommand)]
    Fleet(FleetCommand),
    /// Check the golden-path contract: required files, ownership, drift, exceptions
    Check(CheckArgs),
    /// Record and list exceptions (deviations on the record, with an owner and an expiry)
    #[command(subcommand)]
    Exception(ExceptionCommand),
    /// List and inspect the templates of the catalog
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Check templates: manifests parse, versions render, released versions unchanged
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

/// `pave new`.
#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// The template, optionally with a version: rust-axum-service@1.1.0 (picked from a list on a terminal when omitted)
    #[arg(value_name = "TEMPLATE[@VERSION]")]
    pub template: Option<String>,
    /// Where to create the project (default: a directory named after the service)
    #[arg(value_name = "DEST")]
    pub dest: Option<PathBuf>,
    /// Answer a question: `-d service_name=payments` (repeatable)
    #[arg(short = 'd', long = "data", value_name = "KEY=VALUE")]
    pub data: Vec<String>,
    /// Answers from a TOML, YAML or JSON file (by extension)
    #[arg(long, value_name = "FILE")]
    pub data_file: Option<PathBuf>,
    /// Take the default for every question not answered
    #[arg(long)]
    pub defaults: bool,
    /// Allow an experimental template
    #[arg(long)]
    pub allow_experimental: bool,
    /// Do not create a git repository and first commit
    #[arg(long)]
    pub no_git: bool,
    /// Print what would be written; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Write into DEST even when it is not empty (existing files with the same path are replaced)
    #[arg(long)]
    pub force: bool,
}

/// The choice of target shared by `diff` and `upgrade`.
#[derive(Debug, Args)]
pub(crate) struct TargetArgs {
    /// The project (default: the one the current directory is in, found upwards)
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Upgrade to this version (default: the newest released one)
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Let pre-release versions be candidates
    #[arg(long)]
    pub pre: bool,
    /// Change an answer, or answer a question the new version adds (repeatable)
    #[arg(short = 'd', long = "data", value_name = "KEY=VALUE")]
    pub data: Vec<String>,
    /// How conflicts are written: markers in the file, or the template's hunk in PATH.rej
    #[arg(long, value_enum, default_value_t = ConflictStyle::Inline, value_name = "STYLE")]
    pub conflict: ConflictStyle,
}

/// `pave diff`.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// Project and target version.
    #[command(flatten)]
    pub target: TargetArgs,
    /// One line per file instead of the patch
    #[arg(long)]
    pub stat: bool,
    /// Print JSON: per file, its outcome and whether it conflicts
    #[arg(long)]
    pub json: bool,
    /// Exit 1 when there are changes
    #[arg(long)]
    pub exit_code: bool,
    /// Show how the project differs from a fresh render of its recorded version instead
    #[arg(long)]
    pub drift: bool,
}

/// `pave upgrade`.
#[derive(Debug, Args)]
pub(crate) struct UpgradeArgs {
    /// Project and target version.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Print what would change; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Upgrade even with uncommitted changes to tracked files
    #[arg(long)]
    pub allow_dirty: bool,
    /// Commit the result (not when conflicts are left)
    #[arg(long)]
    pub commit: bool,
    /// Commit the result on a new branch (not when conflicts are left)
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
}

/// `pave fleet ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum FleetCommand {
    /// Every project under the roots: template, version, latest, how far behind, maturity
    Status(FleetStatusArgs),
    /// Upgrade every project onto its own branch, in parallel, without touching working trees
    Upgrade(Box<FleetUpgradeArgs>),
    /// Where one template release stands in every repository: branches, pull requests, merges
    Rollout(FleetRolloutArgs),
    /// Each project's .pave.toml through git history: created, upgrades, exceptions, with dates
    History(FleetHistoryArgs),
    /// A quarter's golden-path scorecard: adoption, upgrade lead time, risk, with trends
    Scorecard(FleetScorecardArgs),
}

/// Where the fleet's projects are.
#[derive(Debug, Args)]
pub(crate) struct FleetSource {
    /// Directories to search for projects (`.pave.toml`), skipping `.git`, `target` and `node_modules`
    #[arg(value_name = "ROOT")]
    pub roots: Vec<PathBuf>,
    /// Read repositories from a file, one per line: project directories, or git URLs (https, ssh,
    /// file) with an optional branch after a space
    #[arg(long, value_name = "FILE")]
    pub repos_from: Option<PathBuf>,
    /// Take a stable share I of N of the projects (for CI matrices and indexed Jobs)
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
}

/// `pave fleet status`.
#[derive(Debug, Args)]
pub(crate) struct FleetStatusArgs {
    /// Where the projects are.
    #[command(flatten)]
    pub source: FleetSource,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Write a self-contained HTML page (inline SVG charts, no network)
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// `pave fleet upgrade`.
#[derive(Debug, Args)]
pub(crate) struct FleetUpgradeArgs {
    /// Where the projects are.
    #[command(flatten)]
    pub source: FleetSource,
    /// GitHub: an organisation as the source, and the API for pull requests.
    #[command(flatten)]
    pub github: GithubArgs,
    /// Only projects made from this template
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// Upgrade to this version (default: the newest released one)
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Answer a question the new version adds, fleet-wide (repeatable)
    #[arg(short = 'd', long = "data", value_name = "KEY=VALUE")]
    pub data: Vec<String>,
    /// Projects upgraded at once (default: all cores)
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Branch to write (default: pave/TEMPLATE-VERSION)
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// Plan every project; write no branch
    #[arg(long)]
    pub dry_run: bool,
    /// Push each branch written to the repository's remote, with a lease (repositories listed by URL)
    #[arg(long)]
    pub push: bool,
    /// Open or update a pull request for each branch pushed (GitHub; implies --push)
    #[arg(long)]
    pub open_prs: bool,
    /// At most N open pave pull requests per template; the other repositories wait for a later run
    #[arg(long, value_name = "N", requires = "open_prs")]
    pub max_open_prs: Option<usize>,
    /// A conflicted project: no branch (skip), or a branch with the markers committed (commit)
    #[arg(long, value_enum, default_value_t = OnConflict::Skip, value_name = "WHAT")]
    pub on_conflict: OnConflict,
    /// Write a report: JSON or Markdown, by the file's extension
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Re-run only the projects that failed in an earlier JSON report
    #[arg(long, value_name = "REPORT")]
    pub only_failed: Option<PathBuf>,
}

/// `pave check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The project (default: the one the current directory is in, found upwards)
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Print JSON: findings with rule, severity, path, message
    #[arg(long)]
    pub json: bool,
}

/// `pave exception ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ExceptionCommand {
    /// Record an exception in .pave.toml
    Add(ExceptionAddArgs),
    /// List the exceptions of the project, with their state
    List(ExceptionListArgs),
}

/// `pave exception add`.
#[derive(Debug, Args)]
pub(crate) struct ExceptionAddArgs {
    /// The rule id it covers, as `pave check` prints it (a trailing * covers a prefix)
    pub rule: String,
    /// Who answers for it
    #[arg(long)]
    pub owner: String,
    /// Why the project deviates
    #[arg(long)]
    pub reason: String,
    /// When it lapses (YYYY-MM-DD, in the future, within the catalog's maximum)
    #[arg(long, value_name = "DATE")]
    pub expires: String,
    /// The project (default: the one the current directory is in, found upwards)
    #[arg(long, value_name = "PATH")]
    pub path: Option<PathBuf>,
}

/// `pave exception list`.
#[derive(Debug, Args)]
pub(crate) struct ExceptionListArgs {
    /// The project (default: the one the current directory is in, found upwards)
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

/// `pave catalog ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum CatalogCommand {
    /// Templates with their latest version, maturity and owner
    List(CatalogListArgs),
    /// One template: versions, questions, support promise, replacement
    Show(CatalogShowArgs),
    /// Write the catalog as pages: every golden path, its versions and changes, support, retirements
    Publish(CatalogPublishArgs),
}

/// The format of `catalog publish`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PublishFormat {
    /// One Markdown file, `README.md`.
    Md,
    /// One self-contained HTML file, `index.html`.
    Html,
}

/// `pave catalog publish`.
#[derive(Debug, Args)]
pub(crate) struct CatalogPublishArgs {
    /// The directory to write into
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Markdown or HTML
    #[arg(long, value_enum, default_value_t = PublishFormat::Html)]
    pub format: PublishFormat,
    /// Add adoption per template and version from `pave fleet status --json` output
    #[arg(long, value_name = "STATUS.json")]
    pub fleet: Option<PathBuf>,
}

/// `pave catalog list`.
#[derive(Debug, Args)]
pub(crate) struct CatalogListArgs {
    /// Include retired templates (the retirement list)
    #[arg(long)]
    pub all: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

/// `pave catalog show`.
#[derive(Debug, Args)]
pub(crate) struct CatalogShowArgs {
    /// The template, optionally @VERSION for that version's questions
    #[arg(value_name = "TEMPLATE[@VERSION]")]
    pub template: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

/// `pave template ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum TemplateCommand {
    /// Check a catalog (a directory with catalog.toml) or one template version
    Lint(TemplateLintArgs),
}

/// `pave template lint`.
#[derive(Debug, Args)]
pub(crate) struct TemplateLintArgs {
    /// A catalog directory, or one version's directory (templates/NAME/VERSION); default: --catalog, else the current directory
    pub dir: Option<PathBuf>,
    /// Fail instead of adding new released versions to catalog.lock (for CI)
    #[arg(long)]
    pub locked: bool,
}

/// `pave completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell
    pub shell: clap_complete::Shell,
}
