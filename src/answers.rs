//! Answers: parsing them from `-d`, data files and prompts, checking them against their
//! question's rule, resolving defaults and `when` in question order.

use indexmap::IndexMap;
use serde::Serialize;

use crate::manifest::{Manifest, Question, QuestionType};

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

fn invalid(question: &str, value: &str, rule: impl Into<String>, example: Option<String>) -> AnswerError {
    AnswerError::Invalid { question: question.into(), value: value.into(), rule: rule.into(), example }
}

/// Parses a `-d KEY=VALUE` value (or a prompt's text) for a question, then checks it.
pub(crate) fn parse_text(name: &str, q: &Question, raw: &str) -> Result<Answer, AnswerError> {
    let answer = match q.kind {
        QuestionType::String | QuestionType::Choice => Answer::Str(raw.to_string()),
        QuestionType::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "on" => Answer::Bool(true),
            "false" | "no" | "n" | "0" | "off" => Answer::Bool(false),
            _ => {
                return Err(invalid(name, raw, "a yes/no answer: true or false", Some("true".into())));
            }
        },
        QuestionType::Int => raw
            .trim()
            .parse()
            .map(Answer::Int)
            .map_err(|_| invalid(name, raw, "a whole number", Some(example_int(q))))?,
        QuestionType::Multichoice => {
            Answer::List(raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
        }
    };
    check(name, q, &answer)?;
    Ok(answer)
}

/// Converts a value from a data file (TOML, YAML or JSON) for a question, then checks it.
pub(crate) fn from_data(name: &str, q: &Question, value: &serde_json::Value) -> Result<Answer, AnswerError> {
    use serde_json::Value as V;
    let answer = match (q.kind, value) {
        (QuestionType::Bool, V::Bool(b)) => Answer::Bool(*b),
        (QuestionType::Int, V::Number(n)) => Answer::Int(
            n.as_i64().ok_or_else(|| invalid(name, &n.to_string(), "a whole number", Some(example_int(q))))?,
        ),
        (QuestionType::Multichoice, V::Array(items)) => Answer::List(
            items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| invalid(name, &i.to_string(), "a list of strings", None))
                })
                .collect::<Result<_, _>>()?,
        ),
        (_, V::String(s)) => return parse_text(name, q, s),
        (QuestionType::String | QuestionType::Choice, V::Number(n)) => Answer::Str(n.to_string()),
        (kind, v) => {
            return Err(invalid(name, &v.to_string(), format!("a {} value", kind.name()), None));
        }
    };
    check(name, q, &answer)?;
    Ok(answer)
}

fn example_int(q: &Question) -> String {
    q.min.or(q.max).unwrap_or(1).to_string()
}

/// Checks an answer against its question: type, `validate`, choices, min/max.
pub(crate) fn check(name: &str, q: &Question, answer: &Answer) -> Result<(), AnswerError> {
    match (q.kind, answer) {
        (QuestionType::String, Answer::Str(s)) => {
            if s.chars().any(char::is_control) {
                return Err(invalid(name, s, "one line of text without control characters", None));
            }
            if let Some(rule) = &q.validate
                && q.validate_regex().is_none()
            {
                // Parsed at load but too large to compile: never let an answer through unchecked.
                return Err(invalid(name, s, format!("{rule} (the template's pattern is too large to compile)"), None));
            }
            if let (Some(re), Some(rule)) = (q.validate_regex(), &q.validate)
                && !re.is_match(s)
            {
                let rule = match &q.help {
                    Some(help) => format!("{rule} ({})", help.trim_end_matches('.')),
                    None => rule.clone(),
                };
                return Err(invalid(name, s, rule, example_for(q, s)));
            }
            Ok(())
        }
        (QuestionType::Choice, Answer::Str(s)) => {
            if q.choices.contains(s) {
                Ok(())
            } else {
                Err(invalid(name, s, format!("one of: {}", q.choices.join(", ")), q.choices.first().cloned()))
            }
        }
        (QuestionType::Multichoice, Answer::List(items)) => {
            for item in items {
                if !q.choices.contains(item) {
                    return Err(invalid(
                        name,
                        item,
                        format!("each one of: {}", q.choices.join(", ")),
                        q.choices.first().cloned(),
                    ));
                }
            }
            Ok(())
        }
        (QuestionType::Int, Answer::Int(i)) => {
            let rule = match (q.min, q.max) {
                (Some(lo), Some(hi)) => format!("a whole number from {lo} to {hi}"),
                (Some(lo), None) => format!("a whole number of at least {lo}"),
                (None, Some(hi)) => format!("a whole number of at most {hi}"),
                (None, None) => return Ok(()),
            };
            if q.min.is_some_and(|lo| *i < lo) || q.max.is_some_and(|hi| *i > hi) {
                return Err(invalid(name, &i.to_string(), rule, Some(example_int(q))));
            }
            Ok(())
        }
        (QuestionType::Bool, Answer::Bool(_)) => Ok(()),
        (kind, a) => Err(invalid(name, &a.to_string(), format!("a {} value", kind.name()), None)),
    }
}

/// A plausible valid answer for the hint, made from the bad one (lowercased, dashes for the
/// rest), when it passes the rule.
fn example_for(q: &Question, bad: &str) -> Option<String> {
    let re = q.validate_regex()?;
    let guess = heck::ToKebabCase::to_kebab_case(bad);
    if re.is_match(&guess) { Some(guess) } else { q.example.clone() }
}

/// The empty value of a question's type, used for skipped questions without a default.
pub(crate) fn empty_value(q: &Question) -> Answer {
    match q.kind {
        QuestionType::String | QuestionType::Choice => Answer::Str(String::new()),
        QuestionType::Bool => Answer::Bool(false),
        QuestionType::Int => Answer::Int(0),
        QuestionType::Multichoice => Answer::List(Vec::new()),
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
fn yaml_error(file: &str, report: &str) -> String {
    let first = report.lines().next().unwrap_or(report).trim_start_matches("error: ");
    let located = first.strip_prefix("line ").and_then(|rest| {
        let (line, rest) = rest.split_once(" column ")?;
        let (col, msg) = rest.split_once(": ")?;
        Some(format!("{file}:{line}:{col}: {msg}"))
    });
    located.unwrap_or_else(|| format!("{file}: {first}"))
}

/// Reads `--data-file` (TOML, YAML or JSON, by extension; JSON when unknown).
pub(crate) fn load_data_file(path: &std::path::Path) -> Result<IndexMap<String, serde_json::Value>, AnswerError> {
    let shown = path.display().to_string();
    let text = crate::fs::read_to_string(path).map_err(|e| AnswerError::DataFile(format!("--data-file: {e}")))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let map: IndexMap<String, serde_json::Value> = match ext.as_str() {
        "toml" => toml::from_str(&text).map_err(|e| {
            AnswerError::DataFile(crate::diagnostic::SourceError::from_toml(&shown, &text, &e).to_string())
        })?,
        "yaml" | "yml" => {
            serde_saphyr::from_str(&text).map_err(|e| AnswerError::DataFile(yaml_error(&shown, &e.to_string())))?
        }
        "json" => serde_json::from_str(&text).map_err(|e| {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            AnswerError::DataFile(format!("{shown}:{}:{}: {msg}", e.line(), e.column()))
        })?,
        _ => {
            return Err(AnswerError::DataFile(format!(
                "{shown}: unknown answers file type: name it .toml, .yaml, .yml or .json"
            )));
        }
    };
    Ok(map)
}

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
