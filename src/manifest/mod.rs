//! template.toml: the model of one template version (questions, file classes, checks,
//! migrations) and its validation. Unknown keys are errors, every error names file and line.

use indexmap::IndexMap;
use serde::Deserialize;

mod validate;

use validate::{is_identifier, validate_question};

use crate::diagnostic::SourceError;

/// Names the rendering context already uses; a question may not shadow them.
const RESERVED: &[&str] = &["template", "catalog", "pave"];

/// A malformed template.toml.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ManifestError(pub Box<SourceError>);

/// One template version's manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    /// Description and requirements.
    pub template: TemplateMeta,
    /// Questions, in file order.
    #[serde(default)]
    pub questions: IndexMap<String, Question>,
    /// File classes.
    #[serde(default)]
    pub files: FileRules,
    /// What `pave check` requires of a project.
    #[serde(default)]
    pub checks: Checks,
    /// Migrations this version declares (its own version only).
    #[serde(default)]
    pub migrations: Vec<Migration>,
}

/// `[template]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateMeta {
    /// One line on what the version renders.
    #[serde(default)]
    pub description: Option<String>,
    /// The oldest pave that can render this version.
    #[serde(default)]
    pub min_pave_version: Option<String>,
    /// The day this version was released (`released = 2026-11-29`): metadata about the release,
    /// so catalog.lock's digest leaves it out.
    #[serde(default)]
    pub released: Option<toml::value::Datetime>,
}

/// The type of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum QuestionType {
    /// Free text, optionally checked by `validate`.
    String,
    /// Yes or no.
    Bool,
    /// A whole number, optionally within `min`..=`max`.
    Int,
    /// One of `choices`.
    Choice,
    /// Any subset of `choices`.
    Multichoice,
}

impl QuestionType {
    /// The name used in template.toml.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Bool => "bool",
            Self::Int => "int",
            Self::Choice => "choice",
            Self::Multichoice => "multichoice",
        }
    }
}

/// `[questions.NAME]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Question {
    /// The answer's type.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// The prompt shown to the user.
    #[serde(default)]
    pub help: Option<String>,
    /// The default; strings are Tera over earlier answers. No default: the answer is required.
    #[serde(default)]
    pub default: Option<toml::Value>,
    /// The allowed values of a choice or multichoice.
    #[serde(default)]
    pub choices: Vec<String>,
    /// A regular expression a string answer must match.
    #[serde(default)]
    pub validate: Option<String>,
    /// Tera expression over earlier answers; the question is skipped when it is false.
    #[serde(default)]
    pub when: Option<String>,
    /// Asked hidden and never written to .pave.toml.
    #[serde(default)]
    pub secret: bool,
    /// Smallest allowed int.
    #[serde(default)]
    pub min: Option<i64>,
    /// Largest allowed int.
    #[serde(default)]
    pub max: Option<i64>,
    /// A valid answer shown in hints and used by `pave template lint` for required questions.
    #[serde(default)]
    pub example: Option<String>,
    /// The compiled `validate`, filled when the manifest is validated.
    #[serde(skip)]
    validate_re: std::sync::OnceLock<Option<regex_lite::Regex>>,
}

impl Question {
    /// The compiled `validate` pattern.
    pub(crate) fn validate_regex(&self) -> Option<&regex_lite::Regex> {
        self.validate_re
            .get_or_init(|| self.validate.as_deref().and_then(|re| regex_lite::Regex::new(re).ok()))
            .as_ref()
    }

    /// The text to show when asking: `help`, or the name.
    pub(crate) fn prompt<'a>(&'a self, name: &'a str) -> &'a str {
        self.help.as_deref().unwrap_or(name)
    }
}

/// `[files]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileRules {
    /// Source globs never rendered.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Rendered-path globs written by `new` and never touched by upgrades.
    #[serde(default)]
    pub seed: Vec<String>,
    /// Rendered-path globs whose drift is a `pave check` violation.
    #[serde(default)]
    pub enforced: Vec<String>,
}

/// `[checks]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Checks {
    /// Files that must exist and not be empty.
    #[serde(default)]
    pub required_files: Vec<String>,
    /// Markdown headings each file must have.
    #[serde(default)]
    pub required_sections: IndexMap<String, Vec<String>>,
}

/// `[[migrations]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Migration {
    /// The version that declares it (must be the manifest's own).
    pub version: semver::Version,
    /// Old answer name → new answer name.
    #[serde(default)]
    pub rename_answers: IndexMap<String, String>,
    /// Old rendered path → new rendered path.
    #[serde(default)]
    pub rename_files: IndexMap<String, String>,
}

impl Manifest {
    /// Parses and validates the manifest of `version`; `file` is how the path is shown.
    pub(crate) fn parse(file: &str, text: &str, version: &semver::Version) -> Result<Self, ManifestError> {
        let mut manifest: Self =
            toml::from_str(text).map_err(|e| ManifestError(Box::new(SourceError::from_toml(file, text, &e))))?;
        manifest.validate(file, text, version)?;
        Ok(manifest)
    }

    fn validate(&mut self, file: &str, text: &str, version: &semver::Version) -> Result<(), ManifestError> {
        let err =
            |needle: &str, msg: String| ManifestError(Box::new(SourceError::at_line_starting(file, text, needle, msg)));
        if let Some(min) = &self.template.min_pave_version {
            let min = semver::Version::parse(min).map_err(|e| {
                err("min_pave_version", format!("min_pave_version `{min}` is not a semantic version: {e}"))
            })?;
            let ours =
                semver::Version::parse(env!("CARGO_PKG_VERSION")).unwrap_or_else(|_| semver::Version::new(0, 0, 0));
            if min > ours {
                return Err(err(
                    "min_pave_version",
                    format!("this template version needs pave {min} or newer; this is pave {ours}: upgrade pave"),
                ));
            }
        }
        if let Some(r) = &self.template.released
            && (r.date.is_none() || r.time.is_some())
        {
            return Err(err("released", format!("released = {r} is not a date: write it as YYYY-MM-DD, unquoted")));
        }
        let tera = crate::engine::engine();
        let mut earlier: Vec<String> = Vec::new();
        for (name, q) in &mut self.questions {
            let header = format!("[questions.{name}]");
            let bad = |msg: String| err(&header, format!("question `{name}`: {msg}"));
            if !is_identifier(name) {
                return Err(bad("a question name is lowercase letters, digits and `_`, starting with a letter".into()));
            }
            if RESERVED.contains(&name.as_str()) {
                return Err(bad(format!("`{name}` is reserved for the rendering context; choose another name")));
            }
            validate_question(name, q, &tera, &earlier).map_err(bad)?;
            earlier.push(name.clone());
        }
        for glob in self.files.exclude.iter().chain(&self.files.seed).chain(&self.files.enforced) {
            globset::GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .map_err(|e| err("[files]", format!("invalid glob `{glob}`: {e}")))?;
        }
        for m in &self.migrations {
            if &m.version != version {
                return Err(err(
                    "[[migrations]]",
                    format!(
                        "a migration for {} is declared in version {version}: each version declares only its own migrations (version = \"{version}\")",
                        m.version
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Compiles `[files]` patterns with gitignore-like semantics: `*` stays within one path
/// component, `**` crosses directories. Patterns were validated with the manifest.
pub(crate) fn globset(patterns: &[String]) -> globset::GlobSet {
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        if let Ok(g) = globset::GlobBuilder::new(&gitignore_form(p)).literal_separator(true).build() {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| globset::GlobSet::empty())
}

/// As in .gitignore: a pattern with no `/` matches at any depth (`*.log`, `.DS_Store`); one
/// with a `/` is relative to the project root, and a leading `/` only anchors it.
fn gitignore_form(pattern: &str) -> String {
    match pattern.strip_prefix('/') {
        Some(anchored) => anchored.to_string(),
        None if !pattern.contains('/') => format!("**/{pattern}"),
        None => pattern.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap_or_else(|_| semver::Version::new(0, 0, 0))
    }

    fn parse(text: &str) -> Result<Manifest, String> {
        Manifest::parse("template.toml", text, &v("1.0.0")).map_err(|e| e.to_string())
    }

    #[test]
    fn questions_keep_file_order() {
        let m = parse("[template]\n[questions.zeta]\ntype='string'\n[questions.alpha]\ntype='bool'\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<_> = m.questions.keys().cloned().collect();
        assert_eq!(names, ["zeta", "alpha"]);
    }

    #[test]
    fn unknown_type_names_line_and_choices() {
        let e = parse("[template]\n\n[questions.name]\ntype = \"strnig\"\n").unwrap_err();
        assert!(e.starts_with("template.toml:4:8: unknown variant `strnig`"), "{e}");
        assert!(e.contains("`string`, `bool`, `int`, `choice`, `multichoice`"), "{e}");
    }

    #[test]
    fn unknown_key_is_an_error() {
        let e = parse("[template]\ndescriptoin = 'x'\n").unwrap_err();
        assert!(e.starts_with("template.toml:2:1: unknown field `descriptoin`"), "{e}");
    }

    #[test]
    fn choice_default_must_be_a_choice() {
        let e = parse("[template]\n[questions.tier]\ntype='choice'\nchoices=['a','b']\ndefault='c'\n").unwrap_err();
        assert!(e.starts_with("template.toml:2:1: question `tier`: default `c` is not one of"), "{e}");
    }

    #[test]
    fn bad_regex_is_reported() {
        let e = parse("[template]\n[questions.n]\ntype='string'\nvalidate='(['\n").unwrap_err();
        assert!(e.contains("`validate` is not a valid regular expression"), "{e}");
    }

    #[test]
    fn migration_of_another_version_is_refused() {
        let e = parse("[template]\n[[migrations]]\nversion='2.0.0'\n").unwrap_err();
        assert!(e.contains("each version declares only its own migrations"), "{e}");
    }

    #[test]
    fn reserved_and_bad_names_are_refused() {
        assert!(parse("[template]\n[questions.template]\ntype='string'\n").unwrap_err().contains("reserved"));
        assert!(parse("[template]\n[questions.Name]\ntype='string'\n").unwrap_err().contains("lowercase"));
    }

    #[test]
    fn when_and_defaults_read_only_earlier_questions() {
        let e = parse("[template]\n[questions.a]\ntype='bool'\nwhen='later'\n[questions.later]\ntype='bool'\n")
            .unwrap_err();
        assert!(e.contains("`when` reads `later`, which is not a question asked before this one"), "{e}");
        let ok = "[template]\n[questions.name]\ntype='string'\n[questions.img]\ntype='string'\ndefault='{{ name | snake_case }}-{{ template.name }}'\n";
        assert!(parse(ok).is_ok());
    }

    #[test]
    fn literal_default_must_fit_its_type() {
        let e = parse("[template]\n[questions.n]\ntype='int'\ndefault='many'\n").unwrap_err();
        assert!(e.contains("default \"many\" is not a valid int value"), "{e}");
    }

    #[test]
    fn globs_follow_gitignore() {
        let set = globset(&["deep.md".into(), "src/**".into(), "/top.txt".into(), "*.tera".into()]);
        assert!(set.is_match("docs/sub/deep.md"), "no slash: any depth");
        assert!(set.is_match("src/a/b.rs") && !set.is_match("lib/src/a.rs"), "a slash anchors at the root");
        assert!(set.is_match("top.txt") && !set.is_match("a/top.txt"), "a leading slash anchors");
        assert!(set.is_match("docs/x.md.tera"), "* matches within a component at any depth");
    }

    #[test]
    fn released_is_a_bare_date() {
        let m = parse("[template]\nreleased = 2026-11-29\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.template.released.map(|d| d.to_string()), Some("2026-11-29".into()));
        let e = parse("[template]\nreleased = 2026-11-29T10:00:00Z\n").unwrap_err();
        assert!(e.starts_with("template.toml:2:1: released = 2026-11-29T10:00:00Z is not a date"), "{e}");
        assert!(parse("[template]\nreleased = '2026-11-29'\n").is_err(), "a string is not a date");
    }

    #[test]
    fn bad_when_expression_is_reported() {
        let e = parse("[template]\n[questions.a]\ntype='bool'\nwhen='database =='\n").unwrap_err();
        assert!(e.contains("`when` does not parse"), "{e}");
    }
}
