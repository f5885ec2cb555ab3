//! Which template versions exist, and their questions, read from `pave catalog list --all --json`
//! and `pave catalog show NAME@VERSION --json` on the repository's catalog, so that a template
//! or version added by anyone is validated with no change here.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::pave;

/// One question of a template version, as `pave catalog show --json` describes it.
#[derive(Debug, Clone)]
pub struct Question {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub choices: Vec<String>,
    pub example: Option<String>,
    pub validate: Option<String>,
    pub min: Option<i64>,
    pub when: Option<String>,
}

/// One version of one template.
#[derive(Debug, Clone)]
pub struct TemplateVersion {
    pub name: String,
    pub version: semver::Version,
    pub maturity: String,
    pub questions: Vec<Question>,
}

impl TemplateVersion {
    /// `NAME@VERSION`, the way failures name it.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The catalog directory to render this version from: the repository itself, or, for a
    /// retired template (which `pave new` refuses), a copy of catalog.toml that lists it as
    /// deprecated, next to a link to the same templates/.
    pub fn catalog_dir(&self) -> PathBuf {
        if self.maturity == "retired" { unretired_catalog() } else { pave::repo_root().to_path_buf() }
    }

    /// The flags `pave new` needs for this version's maturity.
    pub fn maturity_flags(&self) -> &'static [&'static str] {
        if self.maturity == "experimental" { &["--allow-experimental"] } else { &[] }
    }
}

/// Every version of every template in the repository's catalog, in catalog order.
pub fn template_versions() -> &'static [TemplateVersion] {
    static ALL: OnceLock<Vec<TemplateVersion>> = OnceLock::new();
    ALL.get_or_init(|| {
        let root = pave::repo_root();
        let list = json(&["catalog", "list", "--all", "--json"], root);
        let mut out = Vec::new();
        for entry in list.as_array().expect("catalog list --json is an array") {
            let name = entry["name"].as_str().unwrap().to_string();
            let maturity = entry["maturity"].as_str().unwrap_or("stable").to_string();
            for version in entry["versions"].as_array().into_iter().flatten() {
                let version = version.as_str().unwrap();
                let show = json(&["catalog", "show", &format!("{name}@{version}"), "--json"], root);
                out.push(TemplateVersion {
                    name: name.clone(),
                    version: semver::Version::parse(version).unwrap(),
                    maturity: maturity.clone(),
                    questions: show["questions"].as_array().into_iter().flatten().map(question).collect(),
                });
            }
        }
        out
    })
}

fn question(q: &Value) -> Question {
    let text = |v: &Value| match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    };
    Question {
        name: q["name"].as_str().unwrap().to_string(),
        kind: q["type"].as_str().unwrap_or("string").to_string(),
        required: q["required"].as_bool().unwrap_or(false),
        choices: q["choices"].as_array().into_iter().flatten().filter_map(text).collect(),
        example: text(&q["example"]),
        validate: text(&q["validate"]),
        min: q["min"].as_i64(),
        when: text(&q["when"]),
    }
}

fn json(args: &[&str], catalog: &Path) -> Value {
    let out = pave::run(args, catalog, pave::repo_root());
    assert!(out.status.success(), "pave {}: {}", args.join(" "), pave::describe(&out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("pave {} printed no JSON ({e}): {}", args.join(" "), pave::describe(&out)))
}

/// A catalog directory where every retired template is listed as deprecated instead, so that its
/// versions can still be rendered and validated (existing projects still use them).
fn unretired_catalog() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = pave::work_dir().join("unretired-catalog");
        std::fs::create_dir_all(&dir).unwrap();
        let text = std::fs::read_to_string(pave::repo_root().join("catalog.toml")).unwrap();
        let mut doc: toml::Table = toml::from_str(&text).unwrap();
        for entry in doc.get_mut("template").and_then(|t| t.as_array_mut()).into_iter().flatten() {
            if let Some(t) = entry.as_table_mut()
                && t.get("maturity").and_then(|m| m.as_str()) == Some("retired")
            {
                t.insert("maturity".into(), "deprecated".into());
            }
        }
        std::fs::write(dir.join("catalog.toml"), toml::to_string(&doc).unwrap()).unwrap();
        std::os::unix::fs::symlink(pave::repo_root().join("templates"), dir.join("templates")).unwrap();
        dir
    })
    .clone()
}
