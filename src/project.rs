//! `.pave.toml`, the record in every generated project of its template, version, catalog and
//! answers; written with `toml_edit` so that later rewrites keep the team's comments.

use toml_edit::{DocumentMut, Item, Table, value};

use crate::answers::{Answer, Answers};

/// The file name, at the project root.
pub const FILE_NAME: &str = ".pave.toml";

fn answer_value(a: &Answer) -> toml_edit::Value {
    match a {
        Answer::Bool(b) => (*b).into(),
        Answer::Int(i) => (*i).into(),
        Answer::Str(s) => s.as_str().into(),
        Answer::List(items) => items
            .iter()
            .map(String::as_str)
            .collect::<toml_edit::Array>()
            .into(),
    }
}

/// The text of a new project's `.pave.toml`.
pub fn new_file(
    template: &str,
    version: &semver::Version,
    catalog: &str,
    answers: &Answers,
) -> String {
    let mut doc = DocumentMut::new();
    let mut t = Table::new();
    t.decor_mut()
        .set_prefix("# Written by pave. Keep it in version control; `pave upgrade` reads it.\n");
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
}
