//! A rendered project on disk, and ways to read it: its files, their text, their YAML documents.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::catalog::TemplateVersion;

/// One rendered project.
pub struct Tree {
    /// The template version it was rendered from.
    pub template: &'static TemplateVersion,
    /// `NAME@VERSION`, plus the answer that made this render differ, e.g. `[tier=tier-1]`.
    pub label: String,
    /// The answers given with `-d`.
    pub answers: Vec<(String, String)>,
    /// Where it is.
    pub root: PathBuf,
    /// Every file (and link), relative to `root`, sorted; `.git` left out.
    pub files: Vec<String>,
}

impl Tree {
    /// A tree rendered from `template` into `root`; `variant` names what sets it apart.
    pub fn new(
        template: &'static TemplateVersion,
        variant: &str,
        answers: Vec<(String, String)>,
        root: PathBuf,
    ) -> Self {
        let label = if variant.is_empty() { template.id() } else { format!("{} [{variant}]", template.id()) };
        let files = list_files(&root);
        Self { template, label, answers, root, files }
    }

    /// The answer given for `key`, if any.
    pub fn answer(&self, key: &str) -> Option<&str> {
        self.answers.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The owning team's answer (`owner`, or `team` in older templates).
    pub fn owner_answer(&self) -> Option<&str> {
        self.answer("owner").or_else(|| self.answer("team"))
    }

    /// Whether the tree has the file `rel`.
    pub fn has(&self, rel: &str) -> bool {
        self.files.iter().any(|f| f == rel)
    }

    /// The files whose path matches `pred`.
    pub fn files_where(&self, pred: impl Fn(&str) -> bool) -> Vec<&str> {
        self.files.iter().map(String::as_str).filter(|f| pred(f)).collect()
    }

    /// A file's text; None when it is missing or not UTF-8.
    pub fn text(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(rel)).ok()
    }

    /// Absolute path of a file.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// The documents of a YAML file, as JSON values (empty documents left out); Err on a parse
    /// error.
    pub fn yaml_docs(&self, rel: &str) -> Result<Vec<Value>, String> {
        let text = self.text(rel).ok_or_else(|| "not readable as UTF-8 text".to_string())?;
        yaml_docs(&text)
    }
}

impl Tree {
    /// Calls `visit` on every mapping of every YAML document of the tree, nested ones included.
    pub fn each_yaml_mapping(&self, visit: &mut dyn FnMut(&serde_json::Map<String, Value>)) {
        fn walk(v: &Value, visit: &mut dyn FnMut(&serde_json::Map<String, Value>)) {
            match v {
                Value::Object(m) => {
                    visit(m);
                    m.values().for_each(|v| walk(v, visit));
                }
                Value::Array(a) => a.iter().for_each(|v| walk(v, visit)),
                _ => {}
            }
        }
        for file in self.files_where(is_yaml) {
            for doc in self.yaml_docs(file).unwrap_or_default() {
                walk(&doc, visit);
            }
        }
    }
}

/// The documents of a YAML text, as JSON values (empty documents left out).
pub fn yaml_docs(text: &str) -> Result<Vec<Value>, String> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| e.to_string())?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Whether a path is a YAML file.
pub fn is_yaml(rel: &str) -> bool {
    rel.ends_with(".yaml") || rel.ends_with(".yml")
}

/// Every file and link below `root`, relative, sorted, `.git` and dependency/build directories
/// left out.
pub fn list_files(root: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if matches!(name.to_str(), Some(".git" | "node_modules" | "target" | ".venv" | "__pycache__")) {
                continue;
            }
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(base, &path, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}
