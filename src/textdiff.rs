//! Unified diffs of text, as git prints them: a leaf that the planner (`.rej` files) and the
//! patch printer both use.

use std::fmt::Write as _;

/// A unified diff of one file's text, with `--- a/OLD` and `+++ b/NEW` headers.
pub(crate) fn unified(old_path: &str, new_path: &str, old: &[u8], new: &[u8]) -> String {
    let (Ok(old), Ok(new)) = (std::str::from_utf8(old), std::str::from_utf8(new)) else {
        return format!("Binary files a/{old_path} and b/{new_path} differ\n");
    };
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = String::new();
    let _ = write!(
        out,
        "{}",
        diff.unified_diff()
            .context_radius(3)
            .missing_newline_hint(true)
            .header(&format!("a/{old_path}"), &format!("b/{new_path}"))
    );
    out
}
