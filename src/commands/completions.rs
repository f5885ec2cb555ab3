//! `pave completions SHELL`: a completion script on stdout.

use clap::CommandFactory;

use super::Context;
use crate::cli::{Cli, CompletionsArgs};
use crate::error::exit;

/// Prints the completion script for a shell.
pub fn run(ctx: &Context, args: &CompletionsArgs) -> i32 {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "pave", &mut buf);
    ctx.printer.out(&String::from_utf8_lossy(&buf));
    exit::OK
}
