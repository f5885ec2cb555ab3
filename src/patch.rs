//! Printing an upgrade: its effects as a git-style patch (`git apply` takes it), its plan as
//! `--stat` lines and JSON.

use std::fmt::Write as _;

use serde::Serialize;

use crate::plan::{Action, PlannedFile, UpgradePlan};
use crate::render::RenderedFile;
pub(crate) use crate::textdiff::unified;

fn mode(f: &RenderedFile) -> &'static str {
    match f {
        RenderedFile::File { executable: true, .. } => "100755",
        RenderedFile::File { .. } => "100644",
        RenderedFile::Symlink { .. } => "120000",
    }
}

/// The git-style patch of one path change.
fn file_patch(out: &mut String, from: &str, to: &str, before: Option<&RenderedFile>, after: Option<&RenderedFile>) {
    let _ = writeln!(out, "diff --git a/{from} b/{to}");
    match (before, after) {
        (None, Some(a)) => {
            let _ = writeln!(out, "new file mode {}", mode(a));
        }
        (Some(b), None) => {
            let _ = writeln!(out, "deleted file mode {}", mode(b));
        }
        (Some(b), Some(a)) if mode(b) != mode(a) => {
            let _ = writeln!(out, "old mode {}\nnew mode {}", mode(b), mode(a));
        }
        _ => {}
    }
    if from != to {
        let _ = writeln!(out, "rename from {from}\nrename to {to}");
    }
    let old = before.map_or(&[][..], RenderedFile::bytes);
    let new = after.map_or(&[][..], RenderedFile::bytes);
    if old == new {
        return;
    }
    if !crate::merge::is_text(old) || !crate::merge::is_text(new) {
        let _ = writeln!(out, "index {}..{}", blob_id(before), blob_id(after));
        out.push_str(&binary_patch(old, new));
        return;
    }
    let body = unified(from, to, old, new);
    // /dev/null on the side that does not exist, as git writes it.
    let body = match (before, after) {
        (None, _) => body.replacen(&format!("--- a/{from}"), "--- /dev/null", 1),
        (_, None) => body.replacen(&format!("+++ b/{to}"), "+++ /dev/null", 1),
        _ => body,
    };
    out.push_str(&body);
}

/// git's blob id of a file, or forty zeros for none (the full index line git apply needs
/// before it applies a binary patch).
fn blob_id(f: Option<&RenderedFile>) -> String {
    f.and_then(|f| crate::git::blob_id(f.bytes())).unwrap_or_else(|| "0".repeat(40))
}

/// git's base85 alphabet.
const BASE85: &[u8; 85] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

/// One `literal` hunk: the bytes zlib-deflated, then base85 in lines of at most 52 bytes, each
/// led by its length (`A`–`Z` for 1–26, `a`–`z` for 27–52).
fn literal(bytes: &[u8]) -> String {
    use std::io::Write as _;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = z.write_all(bytes);
    let deflated = z.finish().unwrap_or_default();
    let mut out = format!("literal {}\n", bytes.len());
    for chunk in deflated.chunks(52) {
        let n = chunk.len();
        let len_char =
            if n <= 26 { b'A' + u8::try_from(n - 1).unwrap_or(0) } else { b'a' + u8::try_from(n - 27).unwrap_or(0) };
        out.push(char::from(len_char));
        for group in chunk.chunks(4) {
            let mut word = [0u8; 4];
            word[..group.len()].copy_from_slice(group);
            let mut v = u32::from_be_bytes(word);
            let mut digits = [0u8; 5];
            for d in digits.iter_mut().rev() {
                *d = BASE85[(v % 85) as usize];
                v /= 85;
            }
            out.extend(digits.iter().map(|d| char::from(*d)));
        }
        out.push('\n');
    }
    out.push('\n');
    out
}

/// `GIT binary patch` with the new content, then the old one (for reverse application).
fn binary_patch(old: &[u8], new: &[u8]) -> String {
    format!("GIT binary patch\n{}{}", literal(new), literal(old))
}

/// The effects as one patch, in their order: exactly what `pave upgrade` would write.
pub(crate) fn patch(effects: &[crate::upgrade::Effect]) -> String {
    let mut out = String::new();
    for e in effects {
        let from = e.renamed_from.as_deref().unwrap_or(&e.path);
        file_patch(&mut out, from, &e.path, e.before.as_ref(), e.after.as_ref());
    }
    out
}

/// Colours a patch for a terminal.
pub(crate) fn colorize(patch: &str) -> String {
    use console::Style;
    let mut out = String::with_capacity(patch.len() + patch.len() / 8);
    for line in patch.split_inclusive('\n') {
        let style = if line.starts_with("diff --git") || line.starts_with("--- ") || line.starts_with("+++ ") {
            Style::new().bold()
        } else if line.starts_with("@@") {
            Style::new().cyan()
        } else if line.starts_with('+') {
            Style::new().green()
        } else if line.starts_with('-') {
            Style::new().red()
        } else {
            out.push_str(line);
            continue;
        };
        let (body, nl) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
        let _ = write!(out, "{}{nl}", style.force_styling(true).apply_to(body));
    }
    out
}

/// Lines added and removed in one planned file.
pub(crate) fn line_counts(f: &PlannedFile) -> (usize, usize) {
    let old = f.before.as_ref().map_or(&[][..], RenderedFile::bytes);
    let new = f.after.as_ref().map_or(&[][..], RenderedFile::bytes);
    let (Ok(old), Ok(new)) = (std::str::from_utf8(old), std::str::from_utf8(new)) else { return (0, 0) };
    let diff = similar::TextDiff::from_lines(old, new);
    let mut counts = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => counts.0 += 1,
            similar::ChangeTag::Delete => counts.1 += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    counts
}

/// What the user should know about a file, beyond its action word.
pub(crate) fn note(f: &PlannedFile) -> String {
    match &f.action {
        Action::Merge => "merged with your edits".into(),
        Action::KeptModified => "removed from the template, but you edited it: kept".into(),
        Action::KeptDeleted => "changed in the template, but you deleted it: stays deleted".into(),
        Action::Conflict(crate::plan::Conflict::Markers) => {
            "you and the template changed the same lines: resolve the markers".into()
        }
        Action::Conflict(crate::plan::Conflict::Rej { .. }) => {
            format!("your file kept; the template's change is in {}.rej", f.path)
        }
        Action::Conflict(crate::plan::Conflict::Binary { .. }) => {
            format!("binary: yours kept, the template's in {}.pave-new", f.path)
        }
        _ => {
            let (add, del) = line_counts(f);
            match (add, del) {
                (0, 0) => match (&f.before, &f.after) {
                    (Some(b), Some(a)) if mode(b) != mode(a) => format!("mode {} → {}", mode(b), mode(a)),
                    _ => String::new(),
                },
                (a, 0) => format!("+{a}"),
                (0, d) => format!("−{d}"),
                (a, d) => format!("+{a} −{d}"),
            }
        }
    }
}

/// `--stat`: one line per path, then the count.
pub(crate) fn stat(plan: &UpgradePlan) -> String {
    let mut out = String::new();
    let width = plan.files.iter().map(|f| f.display_path().chars().count()).max().unwrap_or(0);
    for f in &plan.files {
        let _ = writeln!(out, "  {:12} {:width$}  {}", f.action.word(), f.display_path(), note(f));
    }
    out
}

/// One file in `--json`.
#[derive(Debug, Serialize)]
pub(crate) struct JsonFile {
    /// The path after the upgrade.
    pub path: String,
    /// The old path of a moved file.
    pub renamed_from: Option<String>,
    /// updated, added, merged, conflict, deleted, kept, kept deleted, renamed.
    pub outcome: &'static str,
    /// Whether a human must resolve it.
    pub conflict: bool,
    /// Lines added.
    pub added: usize,
    /// Lines removed.
    pub removed: usize,
}

/// The plan's files for `--json`.
pub(crate) fn json_files(plan: &UpgradePlan) -> Vec<JsonFile> {
    plan.files
        .iter()
        .map(|f| {
            let (added, removed) = line_counts(f);
            JsonFile {
                path: f.path.clone(),
                renamed_from: f.moved_from.clone(),
                outcome: f.action.word(),
                conflict: matches!(f.action, Action::Conflict(_)),
                added,
                removed,
            }
        })
        .collect()
}
