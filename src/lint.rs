//! `pave template lint`: a catalog's templates parse, render with sample answers, and released
//! versions stay exactly as they were released (digests in catalog.lock).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::answers::{self, Given, NoPrompt};
use crate::catalog::{Catalog, TemplateVersion};
use crate::manifest::QuestionType;
use crate::render;
use crate::store::SourceFile;

/// The lock file beside catalog.toml.
pub(crate) const LOCK_FILE: &str = "catalog.lock";

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// `NAME@VERSION`, or the file it is about.
    pub subject: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// What lint found, and the lock file it would write.
#[derive(Debug, Default)]
pub(crate) struct LintReport {
    /// Problems, in catalog order.
    pub problems: Vec<Problem>,
    /// Versions checked.
    pub checked: usize,
    /// Released versions not yet in the lock.
    pub newly_locked: Vec<String>,
    /// The lock's new text (digests of every released version).
    pub lock_text: String,
}

/// The manifest as the digest sees it: without `[template] released`, which is a fact about the
/// release (added or corrected after it), not part of its content. A manifest without the field
/// is taken byte for byte, so the digests locked before the field existed still hold.
fn released_left_out(manifest: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let Ok(text) = std::str::from_utf8(manifest) else { return manifest.into() };
    let Ok(mut doc) = text.parse::<toml_edit::DocumentMut>() else { return manifest.into() };
    let removed =
        doc.get_mut("template").and_then(toml_edit::Item::as_table_like_mut).and_then(|t| t.remove("released"));
    if removed.is_some() { doc.to_string().into_bytes().into() } else { manifest.into() }
}

/// A digest of a version's manifest (without its release date) and files: paths, modes, links
/// and bytes.
pub(crate) fn digest(manifest: &[u8], files: &[SourceFile]) -> String {
    let mut h = Sha256::new();
    h.update(b"template.toml\0");
    h.update(released_left_out(manifest));
    for f in files {
        h.update(b"\0file\0");
        h.update(f.path.as_bytes());
        h.update(if f.executable { b"\0x\0" } else { b"\0-\0" });
        match &f.link {
            Some(t) => {
                h.update(b"link\0");
                h.update(t.as_bytes());
            }
            None => h.update(&f.bytes),
        }
    }
    let out = h.finalize();
    let mut hex = String::with_capacity(71);
    hex.push_str("sha256:");
    for b in out {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// Parses catalog.lock: `"NAME@VERSION" = "sha256:..."` under `[versions]`.
pub(crate) fn parse_lock(text: &str) -> Result<BTreeMap<String, String>, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Lock {
        #[serde(default)]
        versions: BTreeMap<String, String>,
    }
    toml::from_str::<Lock>(text).map(|l| l.versions).map_err(|e| e.message().to_string())
}

fn lock_text(versions: &BTreeMap<String, String>) -> String {
    let mut out = String::from(
        "# Written by `pave template lint`: digests of released template versions.\n# A released version never changes: release a new version instead of editing one.\n\n[versions]\n",
    );
    for (k, v) in versions {
        let _ = writeln!(out, "{} = \"{v}\"", toml::Value::String(k.clone()));
    }
    out
}

/// Lints every version of every template; `lock` is the current catalog.lock, if any.
pub(crate) fn lint_catalog(catalog: &Catalog, lock: &BTreeMap<String, String>) -> LintReport {
    let mut report = LintReport::default();
    let mut new_lock = BTreeMap::new();
    for entry in &catalog.entries {
        if entry.versions.is_empty() {
            report.problems.push(Problem {
                subject: entry.name.clone(),
                message: format!("no version on disk: add templates/{}/VERSION/", entry.name),
            });
        }
        for version in &entry.versions {
            let subject = format!("{}@{version}", entry.name);
            report.checked += 1;
            let tv = match catalog.version(entry, version) {
                Ok(tv) => tv,
                Err(e) => {
                    report.problems.push(Problem { subject, message: e.to_string() });
                    continue;
                }
            };
            let renders = match render_sample(catalog, &tv) {
                Ok(()) => true,
                Err(message) => {
                    report.problems.push(Problem { subject: subject.clone(), message });
                    false
                }
            };
            if !version.pre.is_empty() {
                continue; // pre-releases may still change
            }
            let manifest = catalog
                .store
                .read(&format!("templates/{}/{version}/template.toml", entry.name))
                .ok()
                .flatten()
                .unwrap_or_default();
            let d = digest(&manifest, &tv.files);
            match lock.get(&subject) {
                Some(locked) if locked != &d => report.problems.push(Problem {
                    subject: subject.clone(),
                    message: "this released version changed since it was locked: revert it and release the change as a new version".into(),
                }),
                Some(_) => {}
                // A version is locked only once it passes: fixing a lint error must not
                // count as changing a released version.
                None if !renders => continue,
                None => report.newly_locked.push(subject.clone()),
            }
            new_lock.insert(subject, d);
        }
    }
    for locked in lock.keys() {
        if !new_lock.contains_key(locked) {
            report.problems.push(Problem {
                subject: locked.clone(),
                message:
                    "this released version was removed: projects made from it can no longer be upgraded; restore it"
                        .into(),
            });
            // Keep it in the lock so the problem stays visible.
            if let Some(d) = lock.get(locked) {
                new_lock.insert(locked.clone(), d.clone());
            }
        }
    }
    report.lock_text = lock_text(&new_lock);
    report
}

/// Renders a version with its defaults, and each required question's `example` (or a guess).
fn render_sample(catalog: &Catalog, tv: &TemplateVersion) -> Result<(), String> {
    let mut given = Given::default();
    for (name, q) in &tv.manifest.questions {
        if q.default.is_some() {
            continue;
        }
        let sample = q.example.clone().or_else(|| guess(q.kind, &q.choices));
        match sample {
            Some(s) if answers::parse_text(name, q, &s).is_ok() => {
                given.cli.push((name.clone(), s));
            }
            _ => {
                return Err(format!(
                    "question `{name}` has no default and no valid `example`: add `example = \"...\"` so the version can be checked"
                ));
            }
        }
    }
    let resolved =
        answers::resolve(&tv.manifest, &given, &mut NoPrompt, &render::meta(tv, catalog)).map_err(|e| e.to_string())?;
    let ctx = render::context(tv, catalog, &resolved.values);
    render::render(tv, &ctx).map(|_| ()).map_err(|e| e.to_string())
}

fn guess(kind: QuestionType, choices: &[String]) -> Option<String> {
    match kind {
        QuestionType::String => Some("example".into()),
        QuestionType::Bool => Some("false".into()),
        QuestionType::Int => Some("1".into()),
        QuestionType::Choice | QuestionType::Multichoice => choices.first().cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn file(path: &str, bytes: &'static [u8], executable: bool) -> SourceFile {
        SourceFile { path: path.into(), bytes: Cow::Borrowed(bytes), executable, link: None }
    }

    #[test]
    fn digest_sees_content_mode_and_path() {
        let base = digest(b"m", &[file("a", b"x", false)]);
        assert_ne!(base, digest(b"m", &[file("a", b"y", false)]));
        assert_ne!(base, digest(b"m", &[file("a", b"x", true)]));
        assert_ne!(base, digest(b"m", &[file("b", b"x", false)]));
        assert_ne!(base, digest(b"n", &[file("a", b"x", false)]));
        assert_eq!(base, digest(b"m", &[file("a", b"x", false)]));
    }

    #[test]
    fn release_date_is_left_out_of_the_digest() {
        let files = [file("a", b"x", false)];
        let without = "# c\n[template]\ndescription = \"d\" # why\nmin_pave_version = \"0.1.0\"\n\n[questions.a]\ntype = \"bool\"\n";
        let with = without.replace("\"0.1.0\"\n", "\"0.1.0\"\nreleased = 2026-11-29\n");
        assert_eq!(digest(with.as_bytes(), &files), digest(without.as_bytes(), &files));
        let changed = with.replace("description = \"d\"", "description = \"e\"");
        assert_ne!(digest(changed.as_bytes(), &files), digest(without.as_bytes(), &files));
        let moved = without.replace("type = \"bool\"\n", "type = \"bool\"\nreleased = 2026-11-29\n");
        assert_ne!(digest(moved.as_bytes(), &files), digest(without.as_bytes(), &files), "only [template] released");
    }

    #[test]
    fn lock_round_trips() {
        let mut v = BTreeMap::new();
        v.insert("svc@1.0.0".to_string(), "sha256:ab".to_string());
        assert_eq!(parse_lock(&lock_text(&v)), Ok(v));
    }
}
