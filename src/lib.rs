//! pave: golden paths as code. The library renders, plans and applies; the binary only parses
//! the command line and prints errors.
//!
//! Data flows one way: answers → render → plan → effects → (working tree | git tree | patch).
//! See docs/decisions.md, "The module map".

mod answers;
mod catalog;
mod check;
mod cli;
mod commands;
mod config;
mod diagnostic;
mod drift;
mod engine;
mod exceptions;
mod fleet;
mod fs;
mod git;
mod github;
mod lint;
mod manifest;
mod merge;
mod patch;
mod plan;
mod project;
mod prompt;
mod publish;
mod releases;
mod remote;
mod render;
mod scaffold;
mod store;
mod textdiff;
mod tls;
mod ui;
mod upgrade;
mod url;

use clap::Parser;

use crate::commands::error::{Error, exit};
use crate::ui::{Printer, Verbosity};

/// Runs pave with the process arguments and returns its exit code.
pub fn run() -> i32 {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            return code;
        }
    };
    let (color, quiet) = (cli.global.color, cli.global.quiet);
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            let printer = Printer::new(color.into(), if quiet { Verbosity::Quiet } else { Verbosity::Normal });
            report(&printer, &err);
            err.exit_code()
        }
    }
}

/// Prints an error with its causes and hint, in one place: each cause once, and none that the
/// message already says.
fn report(printer: &Printer, err: &Error) {
    let mut causes: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(err);
    let top = err.to_string();
    while let Some(s) = source {
        let text = s.to_string();
        if !top.contains(&text) && !causes.iter().any(|c| c.contains(&text)) {
            causes.push(text);
        }
        source = s.source();
    }
    printer.error(&top, &causes, err.hint().as_deref());
}
