//! Errors that point into a file: `file:line:col: message`, then the line and a caret, as rustc
//! and Tera print them. Used for catalog.toml, template.toml, .pave.toml and answer files.

use std::fmt;
use std::ops::Range;

/// A message about a place in a text file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceError {
    /// The file, as shown to the user.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// The offending line and the width to underline.
    pub excerpt: Option<(String, usize)>,
}

impl SourceError {
    /// An error at a byte span of `text`.
    pub(crate) fn at(file: &str, text: &str, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        let message = message.into();
        let Some(span) = span else {
            return Self { file: file.into(), line: None, column: 0, message, excerpt: None };
        };
        let start = span.start.min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let source_line = text[line_start..line_end].trim_end_matches('\r').to_string();
        let width = text[start..span.end.clamp(start, line_end)].chars().count().max(1);
        Self { file: file.into(), line: Some(line), column, message, excerpt: Some((source_line, width)) }
    }

    /// An error at the first line of `text` that starts with `needle` (after spaces).
    pub(crate) fn at_line_starting(file: &str, text: &str, needle: &str, message: impl Into<String>) -> Self {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim_start();
            if trimmed.starts_with(needle) {
                let start = offset + (line.len() - trimmed.len());
                return Self::at(file, text, Some(start..start + needle.len()), message);
            }
            offset += line.len();
        }
        Self::at(file, text, None, message)
    }

    /// An error from the toml parser, whose message has its own excerpt that we redo.
    pub(crate) fn from_toml(file: &str, text: &str, err: &toml::de::Error) -> Self {
        Self::at(file, text, err.span(), err.message().trim_end())
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}:{}: {}", self.file, line, self.column, self.message)?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let (Some(line), Some((text, width))) = (self.line, &self.excerpt) {
            let num = line.to_string();
            let pad = " ".repeat(num.len());
            let lead: String = text.chars().take(self.column - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
            write!(f, "\n{pad} |\n{num} | {text}\n{pad} | {lead}{}", "^".repeat(*width))?;
        }
        Ok(())
    }
}

impl std::error::Error for SourceError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_line_and_column() {
        let text = "[a]\nkey = \"strnig\"\n";
        let start = text.find("\"strnig\"").unwrap_or(0);
        let e = SourceError::at("t.toml", text, Some(start..start + 8), "bad");
        assert_eq!(e.line, Some(2));
        assert_eq!(e.column, 7);
        assert_eq!(e.to_string(), "t.toml:2:7: bad\n  |\n2 | key = \"strnig\"\n  |       ^^^^^^^^");
    }

    #[test]
    fn finds_a_table_header() {
        let text = "x = 1\n\n  [questions.name]\ntype = 1\n";
        let e = SourceError::at_line_starting("t.toml", text, "[questions.name]", "oops");
        assert_eq!((e.line, e.column), (Some(3), 3));
    }
}
