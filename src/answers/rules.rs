//! One answer against its question: parsed from text or data, and checked against the
//! question's type, choices and `validate` pattern.

use super::{Answer, AnswerError};
use crate::manifest::{Question, QuestionType};

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
