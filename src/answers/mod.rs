//! Answers: parsing them from `-d`, data files and prompts, checking them against their
//! question's rule, resolving defaults and `when` in question order.

use indexmap::IndexMap;

mod data_file;
mod rules;

pub(crate) use data_file::load_data_file;
pub(crate) use rules::{empty_value, from_data, parse_text};
use serde::Serialize;

use crate::manifest::{Manifest, Question};

/// One answer, typed by its question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(crate) enum Answer {
    /// bool questions.
    Bool(bool),
    /// int questions.
    Int(i64),
    /// string and choice questions.
    Str(String),
    /// multichoice questions.
    List(Vec<String>),
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Str(s) => f.write_str(s),
            Self::List(items) => f.write_str(&items.join(",")),
        }
    }
}

/// Answers by question name, in question order.
pub(crate) type Answers = IndexMap<String, Answer>;

/// An answer that is missing, unknown or breaks its rule.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AnswerError {
    /// The answer breaks the question's rule.
    #[error("invalid answer for `{question}`: {value:?}\n  rule: {rule}")]
    Invalid {
        /// The question.
        question: String,
        /// The answer given.
        value: String,
        /// The rule it breaks, in words.
        rule: String,
        /// An example of a good answer.
        example: Option<String>,
    },
    /// A required answer was not given and cannot be asked.
    #[error("missing answer for `{question}` ({help}): it has no default and prompts are off")]
    Missing {
        /// The question.
        question: String,
        /// Its help text.
        help: String,
    },
    /// An answer for a question the template does not ask.
    #[error("unknown question `{key}` in {origin}")]
    Unknown {
        /// The key given.
        key: String,
        /// Where it came from (`-d`, a data file).
        origin: String,
        /// The template asked for.
        template: String,
        /// Near names.
        suggestions: Vec<String>,
    },
    /// `-d` without `=`.
    #[error("`-d {0}` is not KEY=VALUE")]
    Malformed(String),
    /// A data file could not be read or parsed.
    #[error("{0}")]
    DataFile(String),
    /// The terminal could not be read (it went away).
    #[error("could not read the answer from the terminal: {0}")]
    Prompt(String),
    /// A default or `when` expression failed to render.
    #[error("question `{question}`: {message}")]
    Expression {
        /// The question.
        question: String,
        /// Tera's message.
        message: String,
    },
}

impl AnswerError {
    /// What to do next.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            Self::Invalid { question, example: Some(ex), .. } => Some(format!("for example -d {question}={ex}")),
            Self::Missing { question, .. } => {
                Some(format!("pass -d {question}=VALUE (prompts are off: no terminal, or --no-input)"))
            }
            Self::Unknown { suggestions, .. } if !suggestions.is_empty() => {
                Some(format!("did you mean `{}`?", suggestions.join("` or `")))
            }
            Self::Unknown { template, .. } => Some(format!("see the questions with `pave catalog show {template}`")),
            _ => None,
        }
    }
}

/// Where answers come from before anyone is asked.
#[derive(Debug, Default, Clone)]
pub(crate) struct Given {
    /// `-d KEY=VALUE`, raw text, in the order given.
    pub cli: Vec<(String, String)>,
    /// `--data-file` values, or the answers recorded in `.pave.toml`.
    pub data: IndexMap<String, serde_json::Value>,
    /// Defaults that replace the template's (the user config's `[answers]`).
    pub defaults: IndexMap<String, serde_json::Value>,
    /// Secret questions not given are empty instead of asked (upgrades: secrets are never
    /// recorded, so they exist only when given again with `-d`).
    pub secrets_empty: bool,
}

impl Given {
    /// Parses `KEY=VALUE` pairs.
    pub(crate) fn from_pairs(pairs: &[String]) -> Result<Self, AnswerError> {
        let mut cli = Vec::new();
        for pair in pairs {
            let (k, v) = pair.split_once('=').ok_or_else(|| AnswerError::Malformed(pair.clone()))?;
            cli.push((k.trim().to_string(), v.to_string()));
        }
        Ok(Self { cli, ..Self::default() })
    }

    /// Unknown keys given with `-d` are errors (a typo would silently lose an answer); unknown
    /// keys of a data file are returned for a warning, since one file may serve many templates.
    pub(crate) fn check_keys(&self, manifest: &Manifest, template: &str) -> Result<Vec<String>, AnswerError> {
        for (key, _) in &self.cli {
            if !manifest.questions.contains_key(key) {
                return Err(AnswerError::Unknown {
                    key: key.clone(),
                    origin: "-d".into(),
                    template: template.into(),
                    suggestions: near(key, manifest.questions.keys()),
                });
            }
        }
        Ok(self.data.keys().filter(|k| !manifest.questions.contains_key(*k)).cloned().collect())
    }

    fn lookup(&self, name: &str, q: &Question) -> Option<Result<Answer, AnswerError>> {
        if let Some((_, raw)) = self.cli.iter().rev().find(|(k, _)| k == name) {
            return Some(parse_text(name, q, raw));
        }
        self.data.get(name).map(|v| from_data(name, q, v))
    }
}

fn near<'a>(key: &str, names: impl Iterator<Item = &'a String>) -> Vec<String> {
    names.filter(|n| strsim::jaro_winkler(key, n) > 0.8).cloned().collect()
}

/// Asks one question; the binary gives a terminal prompter, scripts a non-interactive one.
pub(crate) trait Prompter {
    /// Returns the answer to `q`, given its rendered default.
    fn ask(&mut self, name: &str, q: &Question, default: Option<Answer>) -> Result<Answer, AnswerError>;
}

/// Never asks: takes the default, or fails for a required answer.
#[derive(Debug, Default)]
pub(crate) struct NoPrompt;

impl Prompter for NoPrompt {
    fn ask(&mut self, name: &str, q: &Question, default: Option<Answer>) -> Result<Answer, AnswerError> {
        default.ok_or_else(|| AnswerError::Missing { question: name.into(), help: q.prompt(name).to_string() })
    }
}

/// The outcome of going through the questions.
#[derive(Debug, Default, Clone)]
pub(crate) struct Resolved {
    /// Answers of the questions that were asked (secrets included), in question order.
    pub asked: Answers,
    /// Every question's value for rendering: skipped ones take their default or empty value.
    pub values: Answers,
    /// Questions answered with `-d` but not asked (their `when` was false): the answer is unused.
    pub ignored: Vec<String>,
}

impl Resolved {
    /// The answers to record in `.pave.toml`: asked and not secret.
    pub(crate) fn recorded(&self, manifest: &Manifest) -> Answers {
        self.asked
            .iter()
            .filter(|(k, _)| manifest.questions.get(*k).is_some_and(|q| !q.secret))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Goes through the questions in order: `when` decides whether each is asked, a given answer
/// wins, otherwise the prompter decides (a prompt, or the default). `meta` holds `template`,
/// `catalog` and `pave`, which defaults and `when` may read besides earlier answers.
pub(crate) fn resolve(
    manifest: &Manifest,
    given: &Given,
    prompter: &mut dyn Prompter,
    meta: &tera::Context,
) -> Result<Resolved, AnswerError> {
    let tera = crate::engine::engine();
    let mut out = Resolved::default();
    for (name, q) in &manifest.questions {
        let mut ctx = meta.clone();
        for (k, v) in &out.values {
            ctx.insert(k.clone(), v);
        }
        let default = match given.defaults.get(name) {
            Some(v) => Some(
                from_data(name, q, v)
                    .map_err(|e| AnswerError::DataFile(format!("default from your config file: {e}")))?,
            ),
            None => default_value(&tera, name, q, &ctx)?,
        };
        if let Some(when) = &q.when
            && !eval_when(&tera, name, when, &ctx)?
        {
            // An answer given on the command line for a question that is not asked is still
            // checked, and reported, so a typo or a wrong assumption does not pass silently.
            if let Some((_, raw)) = given.cli.iter().rev().find(|(k, _)| k == name) {
                parse_text(name, q, raw)?;
                out.ignored.push(name.clone());
            }
            out.values.insert(name.clone(), default.unwrap_or_else(|| empty_value(q)));
            continue;
        }
        let answer = match given.lookup(name, q) {
            Some(result) => result?,
            None if q.secret && given.secrets_empty => Answer::Str(String::new()),
            None => prompter.ask(name, q, default)?,
        };
        out.values.insert(name.clone(), answer.clone());
        out.asked.insert(name.clone(), answer);
    }
    Ok(out)
}

/// Evaluates a `when` expression over earlier answers.
pub(crate) fn eval_when(tera: &tera::Tera, name: &str, when: &str, ctx: &tera::Context) -> Result<bool, AnswerError> {
    let source = format!("{{% if {when} %}}true{{% endif %}}");
    let out = tera.render_str(&source, ctx, false).map_err(|e| AnswerError::Expression {
        question: name.into(),
        message: format!("`when = \"{when}\"` failed: {}", crate::engine::tera_message(&e)),
    })?;
    Ok(out == "true")
}

/// The default of a question with its Tera expressions rendered over earlier answers.
pub(crate) fn default_value(
    tera: &tera::Tera,
    name: &str,
    q: &Question,
    ctx: &tera::Context,
) -> Result<Option<Answer>, AnswerError> {
    let Some(default) = &q.default else {
        return Ok(None);
    };
    let answer = match default {
        toml::Value::String(template) => {
            let rendered = tera.render_str(template, ctx, false).map_err(|e| AnswerError::Expression {
                question: name.into(),
                message: format!("default failed: {}", crate::engine::tera_message(&e)),
            })?;
            return parse_text(name, q, &rendered).map(Some).map_err(|e| match e {
                AnswerError::Invalid { rule, value, .. } => AnswerError::Expression {
                    question: name.into(),
                    message: format!(
                        "the default renders to {value:?}, which breaks the rule {rule}: fix the template"
                    ),
                },
                other => other,
            });
        }
        toml::Value::Boolean(b) => Answer::Bool(*b),
        toml::Value::Integer(i) => Answer::Int(*i),
        toml::Value::Array(items) => {
            Answer::List(items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect())
        }
        other => {
            return Err(AnswerError::Expression {
                question: name.into(),
                message: format!("unsupported default {other}"),
            });
        }
    };
    Ok(Some(answer))
}

/// `FILE:LINE:COL: message` from serde-saphyr's multi-line report (`error: line L column C: ...`).
#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> Manifest {
        let v = semver::Version::new(1, 0, 0);
        Manifest::parse("t.toml", text, &v).unwrap_or_else(|e| panic!("{e}"))
    }

    const M: &str = r#"
[template]
[questions.service_name]
type = "string"
help = "Service name"
validate = "^[a-z][a-z0-9-]{1,38}[a-z0-9]$"
[questions.database]
type = "bool"
default = false
[questions.engine]
type = "choice"
choices = ["postgres", "mysql"]
default = "postgres"
when = "database"
[questions.image]
type = "string"
default = "ghcr.io/example/{{ service_name }}"
[questions.replicas]
type = "int"
default = 2
min = 1
max = 10
[questions.token]
type = "string"
secret = true
default = ""
"#;

    #[test]
    fn defaults_render_over_earlier_answers_and_when_skips() {
        let m = manifest(M);
        let given = Given::from_pairs(&["service_name=payments".into()]).unwrap_or_default();
        let r = resolve(&m, &given, &mut NoPrompt, &tera::Context::new()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.asked.get("image"), Some(&Answer::Str("ghcr.io/example/payments".into())));
        assert!(!r.asked.contains_key("engine"), "skipped by when");
        assert_eq!(r.values.get("engine"), Some(&Answer::Str("postgres".into())));
        assert!(!r.recorded(&m).contains_key("token"), "secrets are never recorded");
    }

    #[test]
    fn missing_required_answer_names_the_question() {
        let m = manifest(M);
        let e = resolve(&m, &Given::default(), &mut NoPrompt, &tera::Context::new()).unwrap_err();
        assert!(e.to_string().starts_with("missing answer for `service_name`"), "{e}");
    }

    #[test]
    fn invalid_answer_names_the_rule_and_suggests() {
        let m = manifest(M);
        let q = &m.questions["service_name"];
        let e = parse_text("service_name", q, "Payments_API").unwrap_err();
        assert!(e.to_string().contains("rule: ^[a-z][a-z0-9-]{1,38}[a-z0-9]$ (Service name)"), "{e}");
        assert_eq!(e.hint().as_deref(), Some("for example -d service_name=payments-api"));
    }

    #[test]
    fn int_bounds_and_bool_words() {
        let m = manifest(M);
        assert!(parse_text("replicas", &m.questions["replicas"], "11").is_err());
        assert_eq!(parse_text("replicas", &m.questions["replicas"], "3").ok(), Some(Answer::Int(3)));
        assert_eq!(parse_text("database", &m.questions["database"], "yes").ok(), Some(Answer::Bool(true)));
    }

    #[test]
    fn newline_in_a_string_is_refused() {
        let m = manifest(M);
        assert!(parse_text("image", &m.questions["image"], "a\nb").is_err());
    }

    #[test]
    fn unknown_cli_key_suggests() {
        let m = manifest(M);
        let given = Given::from_pairs(&["service_nme=x".into()]).unwrap_or_default();
        let e = given.check_keys(&m, "svc").unwrap_err();
        assert_eq!(e.hint().as_deref(), Some("did you mean `service_name`?"));
    }
}
