//! `pave completions SHELL`: a completion script on stdout.

use clap::CommandFactory;

use super::Context;
use super::error::{Result, exit};
use crate::cli::{Cli, CompletionsArgs};

/// Prints the completion script for a shell.
pub(crate) fn run(ctx: &Context, args: &CompletionsArgs) -> Result<i32> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "pave", &mut buf);
    ctx.printer.out(&String::from_utf8_lossy(&buf))?;
    Ok(exit::OK)
}
