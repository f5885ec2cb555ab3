//! The arguments of `pave fleet rollout`.

use std::path::PathBuf;

use clap::Args;

use super::{FleetSource, GithubArgs};

/// `pave fleet rollout`.
#[derive(Debug, Args)]
pub(crate) struct FleetRolloutArgs {
    /// The release to follow: TEMPLATE@VERSION, e.g. rust-axum-service@2.0.0
    #[arg(value_name = "TEMPLATE@VERSION")]
    pub release: String,
    /// Where the projects are.
    #[command(flatten)]
    pub source: FleetSource,
    /// GitHub: an organisation as the source, and the API for pull requests.
    #[command(flatten)]
    pub github: GithubArgs,
    /// The branch pave writes the release on (default: pave/TEMPLATE-VERSION)
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// Repositories read at once (default: all cores)
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Write a self-contained HTML page (a burndown chart as inline SVG, no script, no network)
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// The day taken as today, for the age of pull requests and the burndown (tests)
    #[arg(long, value_name = "YYYY-MM-DD", hide = true)]
    pub today: Option<crate::fleet::dates::Day>,
}
