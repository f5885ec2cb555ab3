//! pave: golden paths as code. The library renders, plans and applies; the binary only parses
//! the command line and prints errors.

pub mod answers;
pub mod apply;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnostic;
pub mod diff;
pub mod drift;
pub mod engine;
pub mod error;
pub mod fleet;
pub mod fleet_html;
pub mod fs;
pub mod git;
pub mod lint;
pub mod manifest;
pub mod merge;
pub mod plan;
pub mod project;
pub mod prompt;
pub mod publish;
pub mod remote;
pub mod render;
pub mod store;
pub mod ui;
pub mod upgrade;
pub mod write;

use clap::Parser;

use crate::error::exit;
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
            let printer = Printer::new(color, if quiet { Verbosity::Quiet } else { Verbosity::Normal });
            report(&printer, &err);
            err.exit_code()
        }
    }
}

/// Prints an error with its causes and hint, in one place.
fn report(printer: &Printer, err: &error::Error) {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(err);
    let top = err.to_string();
    while let Some(s) = source {
        let text = s.to_string();
        if !top.contains(&text) {
            causes.push(text);
        }
        source = s.source();
    }
    printer.error(&top, &causes, err.hint().as_deref());
}
