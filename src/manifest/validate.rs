//! Validation of template.toml's questions: names, types, defaults, `when` expressions and
//! `validate` patterns, each checked against the earlier questions it may read.

use super::{Question, QuestionType, RESERVED};

pub(super) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub(super) fn validate_question(
    name: &str,
    q: &mut Question,
    tera: &tera::Tera,
    earlier: &[String],
) -> Result<(), String> {
    use QuestionType as T;
    let has_choices = matches!(q.kind, T::Choice | T::Multichoice);
    if has_choices && q.choices.is_empty() {
        return Err(format!("a {} question needs `choices`", q.kind.name()));
    }
    if !has_choices && !q.choices.is_empty() {
        return Err(format!("`choices` only applies to choice and multichoice questions, not {}", q.kind.name()));
    }
    if q.validate.is_some() && q.kind != T::String {
        return Err("`validate` only applies to string questions".into());
    }
    if (q.min.is_some() || q.max.is_some()) && q.kind != T::Int {
        return Err("`min` and `max` only apply to int questions".into());
    }
    if q.secret && q.kind != T::String {
        return Err("only string questions can be `secret`".into());
    }
    if let Some(re) = &q.validate {
        // regex-lite: answers are short, so compiling fast matters more than matching fast
        // (a {1,200} repeat took a millisecond to compile with the full regex crate).
        let compiled =
            regex_lite::Regex::new(re).map_err(|e| format!("`validate` is not a valid regular expression: {e}"))?;
        let _ = q.validate_re.set(Some(compiled));
    }
    if let Some(when) = &q.when {
        let vars = check_tera(tera, &format!("{{% if {when} %}}{{% endif %}}"))
            .map_err(|e| format!("`when` does not parse: {e}"))?;
        check_references("when", &vars, earlier)?;
    }
    let Some(default) = &q.default else {
        return Ok(());
    };
    // A string default is a Tera template for any type; it is checked again once rendered.
    if let toml::Value::String(s) = default {
        let vars = check_tera(tera, s).map_err(|e| format!("`default` does not parse as Tera: {e}"))?;
        check_references("default", &vars, earlier)?;
        let literal = !s.contains("{{") && !s.contains("{%");
        let fits = match q.kind {
            T::Choice => q.choices.contains(s),
            T::Bool => matches!(s.to_ascii_lowercase().as_str(), "true" | "false" | "yes" | "no"),
            T::Int => s.trim().parse::<i64>().is_ok(),
            T::String | T::Multichoice => true,
        };
        if literal && !fits {
            return Err(match q.kind {
                T::Choice => format!("default `{s}` is not one of the choices {:?}", q.choices),
                kind => format!("default \"{s}\" is not a valid {} value", kind.name()),
            });
        }
        return Ok(());
    }
    match (q.kind, default) {
        (T::Bool, toml::Value::Boolean(_)) => Ok(()),
        (T::Int, toml::Value::Integer(i)) => {
            if q.min.is_some_and(|m| *i < m) || q.max.is_some_and(|m| *i > m) {
                Err(format!("default {i} is outside min/max"))
            } else {
                Ok(())
            }
        }
        (T::Multichoice, toml::Value::Array(items)) => {
            for item in items {
                match item.as_str() {
                    Some(s) if q.choices.iter().any(|c| c == s) => {}
                    _ => {
                        return Err(format!("default item {item} is not one of the choices {:?}", q.choices));
                    }
                }
            }
            Ok(())
        }
        (kind, v) => Err(format!("default {v} is not a valid {} value", kind.name())),
    }
    .map_err(|e: String| format!("{e} (in `{name}`)"))
}

/// Parses a Tera expression or template and returns the top-level variables it reads.
fn check_tera(tera: &tera::Tera, source: &str) -> Result<Vec<String>, String> {
    let mut t = tera.clone();
    t.add_raw_template("expression", source).map_err(|e| crate::engine::tera_message(&e))?;
    let vars = t.get_template_variables("expression").map_err(|e| crate::engine::tera_message(&e))?;
    let mut vars: Vec<String> = vars.into_iter().map(str::to_string).collect();
    vars.sort();
    Ok(vars)
}

/// A default or `when` may read earlier answers and the rendering context, nothing else: a
/// later or misspelt question would silently be undefined or false.
fn check_references(what: &str, vars: &[String], earlier: &[String]) -> Result<(), String> {
    for v in vars {
        if !earlier.contains(v) && !RESERVED.contains(&v.as_str()) {
            return Err(format!(
                "`{what}` reads `{v}`, which is not a question asked before this one{}",
                if earlier.is_empty() { String::new() } else { format!(" (earlier: {})", earlier.join(", ")) }
            ));
        }
    }
    Ok(())
}
