//! The one place output goes through: stdout for data, stderr for status and diagnostics,
//! colour only on a terminal and never with `NO_COLOR`. A failed write to stdout is an error
//! (a closed pipe ends the process quietly); a failed write to stderr is ignored: status lines
//! never panic and never change what a command does.

use std::io::{IsTerminal, Write};

use console::Style;

/// Data could not be written to stdout or a report file.
#[derive(Debug, thiserror::Error)]
#[error("could not write output: {0}")]
pub(crate) struct OutputError(#[source] pub std::io::Error);

/// Writes a line to stderr; a failure is ignored (there is nowhere left to report it).
fn to_stderr(line: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(line).and_then(|()| err.write_all(b"\n"));
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// How chatty status output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    /// The default.
    Normal,
    /// `-v`.
    Verbose,
}

/// Writes data to stdout and status to stderr, styled or plain.
#[derive(Debug, Clone)]
pub(crate) struct Printer {
    verbosity: Verbosity,
    color_out: bool,
    color_err: bool,
}

impl Printer {
    /// A printer for the current process.
    pub(crate) fn new(color: ColorChoice, verbosity: Verbosity) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |tty: bool| match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && !no_color,
        };
        let color_out = decide(std::io::stdout().is_terminal());
        let color_err = decide(std::io::stderr().is_terminal());
        console::set_colors_enabled(color_out);
        console::set_colors_enabled_stderr(color_err);
        Self { verbosity, color_out, color_err }
    }

    /// Whether stdout is coloured.
    pub(crate) fn color_out(&self) -> bool {
        self.color_out
    }

    /// Whether detail lines are printed (`-v`).
    pub(crate) fn is_verbose(&self) -> bool {
        self.verbosity == Verbosity::Verbose
    }

    /// Whether status lines are printed.
    pub(crate) fn is_quiet(&self) -> bool {
        self.verbosity == Verbosity::Quiet
    }

    /// Writes data to stdout (listings, JSON, diffs). A closed pipe ends the process quietly;
    /// any other failure (a full disk) is the command's error.
    #[allow(clippy::unused_self)] // where data goes is the printer's decision, even if fixed today
    pub(crate) fn out(&self, text: &str) -> Result<(), OutputError> {
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            Err(e) => Err(OutputError(e)),
        }
    }

    /// A status line on stderr (hidden with `-q`).
    pub(crate) fn status(&self, text: &str) {
        if !self.is_quiet() {
            to_stderr(format_args!("{text}"));
        }
    }

    /// A detail line on stderr, with `-v` only.
    pub(crate) fn verbose(&self, text: &str) {
        if self.verbosity == Verbosity::Verbose {
            to_stderr(format_args!("{}", self.dim_err(text)));
        }
    }

    /// A warning on stderr (shown even with `-q`).
    pub(crate) fn warn(&self, text: &str) {
        to_stderr(format_args!("{} {text}", self.paint_err(Style::new().yellow().bold(), "warning:")));
    }

    /// Prints an error, its causes and a hint, on stderr.
    pub(crate) fn error(&self, message: &str, causes: &[String], hint: Option<&str>) {
        to_stderr(format_args!("{} {message}", self.paint_err(Style::new().red().bold(), "error:")));
        for c in causes {
            to_stderr(format_args!("  caused by: {c}"));
        }
        if let Some(h) = hint {
            to_stderr(format_args!("{} {h}", self.paint_err(Style::new().cyan().bold(), "hint:")));
        }
    }

    /// Styles text for stderr.
    pub(crate) fn paint_err(&self, style: Style, text: &str) -> String {
        if self.color_err { style.force_styling(true).apply_to(text).to_string() } else { text.to_string() }
    }

    /// Bold text for stderr.
    pub(crate) fn bold_err(&self, text: &str) -> String {
        self.paint_err(Style::new().bold(), text)
    }

    /// Dim text for stderr.
    pub(crate) fn dim_err(&self, text: &str) -> String {
        self.paint_err(Style::new().dim(), text)
    }
}

/// Progress over many items: an indicatif bar on a terminal, one plain line per item
/// otherwise (pipes, CI, `-q` prints nothing).
pub(crate) enum Progress {
    /// A live bar on stderr.
    Bar(indicatif::ProgressBar),
    /// A line per item on stderr.
    Lines,
    /// Nothing.
    Silent,
}

impl Printer {
    /// Progress for `len` items.
    pub(crate) fn progress(&self, len: u64) -> Progress {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        if self.is_quiet() {
            Progress::Silent
        } else if std::io::stderr().is_terminal() && !ci {
            let bar = indicatif::ProgressBar::new(len);
            let style = indicatif::ProgressStyle::with_template(
                "[{elapsed_precise}] {wide_bar} {pos}/{len}  {per_sec}  ETA {eta}  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style.progress_chars("█▉░"));
            Progress::Bar(bar)
        } else {
            Progress::Lines
        }
    }
}

impl Progress {
    /// One item finished: `line` is its plain-text result, `name` the item.
    pub(crate) fn done(&self, name: &str, line: &str) {
        match self {
            Self::Bar(bar) => {
                bar.set_message(name.to_string());
                bar.inc(1);
            }
            Self::Lines => to_stderr(format_args!("{line}")),
            Self::Silent => {}
        }
    }

    /// Clears the bar.
    pub(crate) fn finish(&self) {
        if let Self::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
