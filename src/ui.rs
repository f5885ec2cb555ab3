//! The one place output goes through: stdout for data, stderr for status and diagnostics,
//! colour only on a terminal and never with `NO_COLOR`.

use std::io::{IsTerminal, Write};

use console::Style;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
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
pub enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    /// The default.
    Normal,
    /// `-v`.
    Verbose,
}

/// Writes data to stdout and status to stderr, styled or plain.
#[derive(Debug, Clone)]
pub struct Printer {
    verbosity: Verbosity,
    color_out: bool,
    color_err: bool,
}

impl Printer {
    /// A printer for the current process.
    pub fn new(color: ColorChoice, verbosity: Verbosity) -> Self {
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
    pub fn color_out(&self) -> bool {
        self.color_out
    }

    /// Whether status lines are printed.
    pub fn is_quiet(&self) -> bool {
        self.verbosity == Verbosity::Quiet
    }

    /// Writes data to stdout (listings, JSON, diffs). A closed pipe ends the process quietly.
    pub fn out(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        if out.write_all(text.as_bytes()).and_then(|()| out.flush()).is_err() {
            std::process::exit(0);
        }
    }

    /// A status line on stderr (hidden with `-q`).
    pub fn status(&self, text: &str) {
        if !self.is_quiet() {
            eprintln!("{text}");
        }
    }

    /// A detail line on stderr, with `-v` only.
    pub fn verbose(&self, text: &str) {
        if self.verbosity == Verbosity::Verbose {
            eprintln!("{}", self.dim_err(text));
        }
    }

    /// A warning on stderr (shown even with `-q`).
    pub fn warn(&self, text: &str) {
        eprintln!("{} {text}", self.paint_err(Style::new().yellow().bold(), "warning:"));
    }

    /// Prints an error, its causes and a hint, on stderr.
    pub fn error(&self, message: &str, causes: &[String], hint: Option<&str>) {
        eprintln!("{} {message}", self.paint_err(Style::new().red().bold(), "error:"));
        for c in causes {
            eprintln!("  caused by: {c}");
        }
        if let Some(h) = hint {
            eprintln!("{} {h}", self.paint_err(Style::new().cyan().bold(), "hint:"));
        }
    }

    /// Styles text for stdout.
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.color_out { style.force_styling(true).apply_to(text).to_string() } else { text.to_string() }
    }

    /// Styles text for stderr.
    pub fn paint_err(&self, style: Style, text: &str) -> String {
        if self.color_err { style.force_styling(true).apply_to(text).to_string() } else { text.to_string() }
    }

    /// Bold text for stderr.
    pub fn bold_err(&self, text: &str) -> String {
        self.paint_err(Style::new().bold(), text)
    }

    /// Dim text for stderr.
    pub fn dim_err(&self, text: &str) -> String {
        self.paint_err(Style::new().dim(), text)
    }
}

/// Progress over many items: an indicatif bar on a terminal, one plain line per item
/// otherwise (pipes, CI, `-q` prints nothing).
pub enum Progress {
    /// A live bar on stderr.
    Bar(indicatif::ProgressBar),
    /// A line per item on stderr.
    Lines,
    /// Nothing.
    Silent,
}

impl Printer {
    /// Progress for `len` items.
    pub fn progress(&self, len: u64) -> Progress {
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
    pub fn done(&self, name: &str, line: &str) {
        match self {
            Self::Bar(bar) => {
                bar.set_message(name.to_string());
                bar.inc(1);
            }
            Self::Lines => eprintln!("{line}"),
            Self::Silent => {}
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Self::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
