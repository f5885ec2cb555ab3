//! The options that reach GitHub: an organisation as the fleet's source, and where its API is.

use clap::Args;

/// `--github-org` and `--api-url`, for `fleet upgrade` and `fleet rollout`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct GithubArgs {
    /// The repositories of this GitHub organisation that use pave (instead of --repos-from)
    #[arg(long, value_name = "ORG")]
    pub github_org: Option<String>,
    /// With --github-org: only repositories with this topic
    #[arg(long, value_name = "TOPIC", requires = "github_org")]
    pub topic: Option<String>,
    /// With --github-org: archived repositories too (skipped by default)
    #[arg(long, requires = "github_org")]
    pub include_archived: bool,
    /// With --github-org: forks too (skipped by default)
    #[arg(long, requires = "github_org")]
    pub include_forks: bool,
    /// GitHub's API: `https://api.github.com` (default), or `https://HOST/api/v3` for GitHub Enterprise Server
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
}
