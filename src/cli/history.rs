//! The arguments of `pave fleet history` and `pave fleet scorecard`.

use std::path::PathBuf;

use clap::Args;

use super::FleetSource;

/// `pave fleet history`.
#[derive(Debug, Args)]
pub(crate) struct FleetHistoryArgs {
    /// Where the projects are.
    #[command(flatten)]
    pub source: FleetSource,
    /// Print JSON: per project, its events
    #[arg(long)]
    pub json: bool,
    /// The day taken as today, for expired exceptions (tests)
    #[arg(long, value_name = "YYYY-MM-DD", hide = true)]
    pub today: Option<crate::fleet::dates::Day>,
}

/// `pave fleet scorecard`.
#[derive(Debug, Args)]
pub(crate) struct FleetScorecardArgs {
    /// Where the projects are.
    #[command(flatten)]
    pub source: FleetSource,
    /// The quarter: YYYY-QN, e.g. 2026-Q4
    #[arg(long, value_name = "YYYY-QN")]
    pub quarter: crate::fleet::dates::Quarter,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Write a self-contained HTML page (inline SVG trend charts, no script, printable)
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// The day taken as today, for "still behind" and expired exceptions (tests)
    #[arg(long, value_name = "YYYY-MM-DD", hide = true)]
    pub today: Option<crate::fleet::dates::Day>,
}
