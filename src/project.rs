//! `.pave.toml`, the record in every generated project of its template, version, catalog and
//! answers; written with `toml_edit` so that later rewrites keep the team's comments.

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;
use toml_edit::{DocumentMut, Item, Table, value};

use crate::answers::{Answer, Answers};
use crate::diagnostic::SourceError;

/// The file name, at the project root.
pub(crate) const FILE_NAME: &str = ".pave.toml";

fn answer_value(a: &Answer) -> toml_edit::Value {
    match a {
        Answer::Bool(b) => (*b).into(),
        Answer::Int(i) => (*i).into(),
        Answer::Str(s) => s.as_str().into(),
        Answer::List(items) => items.iter().map(String::as_str).collect::<toml_edit::Array>().into(),
    }
}

/// The text of a new project's `.pave.toml`.
pub(crate) fn new_file(template: &str, version: &semver::Version, catalog: &str, answers: &Answers) -> String {
    let mut doc = DocumentMut::new();
    let mut t = Table::new();
    t.decor_mut().set_prefix("# Written by pave. Keep it in version control; `pave upgrade` reads it.\n");
    t.insert("name", value(template));
    t.insert("version", value(version.to_string()));
    t.insert("catalog", value(catalog));
    doc.insert("template", Item::Table(t));
    let mut a = Table::new();
    for (k, v) in answers {
        a.insert(k, Item::Value(answer_value(v)));
    }
    doc.insert("answers", Item::Table(a));
    doc.to_string()
}

/// A `.pave.toml` that is missing or malformed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProjectError {
    /// No `.pave.toml` in the project.
    #[error("`{0}` has no .pave.toml: it was not created by pave (or the file was deleted)")]
    Missing(String),
    /// It does not parse or lacks a key.
    #[error("{0}")]
    Invalid(Box<SourceError>),
    /// It could not be read.
    #[error(transparent)]
    Fs(#[from] crate::fs::FsError),
}

/// `[template]` of `.pave.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecordedTemplate {
    /// The template's name in its catalog.
    pub name: String,
    /// The version the project was last rendered from.
    pub version: semver::Version,
    /// `builtin`, a directory or a git URL.
    #[serde(default)]
    pub catalog: Option<String>,
}

/// `[[exceptions]]`: a recorded deviation from the golden path.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Exception {
    /// The rule id it covers (`drift:PATH`, ...).
    pub rule: String,
    /// Who answers for it.
    pub owner: String,
    /// Why.
    pub reason: String,
    /// When it lapses.
    pub expires: toml::value::Datetime,
}

/// A parsed `.pave.toml`, with its text for rewriting.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectFile {
    /// Template, version, catalog.
    pub template: RecordedTemplate,
    /// Answers by question name.
    #[serde(default)]
    pub answers: IndexMap<String, toml::Value>,
    /// Recorded exceptions.
    #[serde(default)]
    pub exceptions: Vec<Exception>,
    /// The file's text, kept so rewrites preserve comments.
    #[serde(skip)]
    pub text: String,
}

impl ProjectFile {
    /// Reads `DIR/.pave.toml`.
    pub(crate) fn read(dir: &Path) -> Result<Self, ProjectError> {
        let path = dir.join(FILE_NAME);
        if crate::fs::entry_kind(&path)?.is_none() {
            return Err(ProjectError::Missing(dir.display().to_string()));
        }
        let text = crate::fs::read_to_string(&path)?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// Parses the text of a `.pave.toml`; `file` is how it is named in errors.
    pub(crate) fn parse(file: &str, text: &str) -> Result<Self, ProjectError> {
        let mut parsed: Self = toml::from_str(text)
            .map_err(|e| ProjectError::Invalid(Box::new(SourceError::from_toml(file, text, &e))))?;
        parsed.text = text.to_string();
        Ok(parsed)
    }

    /// The recorded answers as data-file values, for re-resolving them against a manifest.
    pub(crate) fn answer_values(&self) -> IndexMap<String, serde_json::Value> {
        self.answers.iter().filter_map(|(k, v)| serde_json::to_value(v).ok().map(|j| (k.clone(), j))).collect()
    }

    /// The text after an upgrade: the new version and answers, every comment and other table
    /// kept. Answers that stay keep their place; removed ones go; new ones are appended.
    pub(crate) fn updated_text(&self, version: &semver::Version, answers: &Answers) -> String {
        let Ok(mut doc) = self.text.parse::<DocumentMut>() else {
            return self.text.clone(); // parsed with toml already; unreachable in practice
        };
        if let Some(v) = doc["template"]["version"].as_value_mut() {
            replace_keeping_decor(v, version.to_string().into());
        }
        if !doc.contains_table("answers") {
            doc.insert("answers", Item::Table(Table::new()));
        }
        if let Some(table) = doc["answers"].as_table_mut() {
            let stale: Vec<String> =
                table.iter().map(|(k, _)| k.to_string()).filter(|k| !answers.contains_key(k)).collect();
            for k in stale {
                table.remove(&k);
            }
            for (k, v) in answers {
                let new = answer_value(v);
                match table.get_mut(k).and_then(Item::as_value_mut) {
                    Some(old) => replace_keeping_decor(old, new),
                    None => {
                        table.insert(k, Item::Value(new));
                    }
                }
            }
        }
        doc.to_string()
    }
}

/// Replaces a value but keeps the spaces and comment around it.
fn replace_keeping_decor(old: &mut toml_edit::Value, new: toml_edit::Value) {
    let decor = old.decor().clone();
    *old = new;
    *old.decor_mut() = decor;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_template_and_typed_answers() {
        let mut answers = Answers::new();
        answers.insert("service_name".into(), Answer::Str("payments".into()));
        answers.insert("replicas".into(), Answer::Int(3));
        answers.insert("features".into(), Answer::List(vec!["db".into()]));
        let text = new_file("svc", &semver::Version::new(1, 0, 0), "builtin", &answers);
        assert_eq!(
            text,
            "# Written by pave. Keep it in version control; `pave upgrade` reads it.\n[template]\nname = \"svc\"\nversion = \"1.0.0\"\ncatalog = \"builtin\"\n\n[answers]\nservice_name = \"payments\"\nreplicas = 3\nfeatures = [\"db\"]\n"
        );
    }

    #[test]
    fn update_keeps_comments_and_order() {
        let text = "# mine\n[template]\nname = \"svc\"\nversion = \"1.0.0\" # pinned\ncatalog = \"builtin\"\n\n[answers]\nteam = \"a\"\nservice_name = \"p\" # the name\n";
        let f = ProjectFile::parse(".pave.toml", text).expect("parses");
        let mut answers = Answers::new();
        answers.insert("service_name".into(), Answer::Str("p".into()));
        answers.insert("owner".into(), Answer::Str("a".into()));
        let out = f.updated_text(&semver::Version::new(2, 0, 0), &answers);
        assert_eq!(
            out,
            "# mine\n[template]\nname = \"svc\"\nversion = \"2.0.0\" # pinned\ncatalog = \"builtin\"\n\n[answers]\nservice_name = \"p\" # the name\nowner = \"a\"\n"
        );
    }

    #[test]
    fn malformed_file_names_line() {
        let e = ProjectFile::parse(".pave.toml", "[template]\nname = \"svc\"\nversion = \"one\"\n").unwrap_err();
        assert!(e.to_string().starts_with(".pave.toml:3:11:"), "{e}");
    }
}
