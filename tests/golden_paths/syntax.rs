//! Every template version renders, and every YAML (all documents), JSON, TOML and HCL file it
//! renders parses.

use crate::findings::{Findings, check_every_tree};
use crate::render;
use crate::tree::{Tree, is_yaml};

#[test]
fn every_template_version_renders() {
    let renders = render::renders();
    let versions = crate::catalog::template_versions();
    assert!(!versions.is_empty(), "the catalog lists no template version");
    for tree in &renders.trees {
        eprintln!("rendered {} ({} files) in {}", tree.label, tree.files.len(), tree.root.display());
    }
    let mut findings = Findings::new("pave new");
    for failure in &renders.failures {
        findings.fail_general(failure);
    }
    for tv in versions {
        if !renders.trees.iter().any(|t| std::ptr::eq(t.template, tv)) {
            findings.fail_general(format!("{}: no render succeeded", tv.id()));
        }
    }
    findings.checked_n(renders.trees.len());
    findings.finish();
}

#[test]
fn rendered_yaml_json_toml_and_hcl_files_parse() {
    check_every_tree("syntax (serde-saphyr, serde_json, toml, hcl-rs)", check_syntax);
}

/// The check behind `rendered_yaml_json_toml_and_hcl_files_parse`.
pub fn check_syntax(tree: &Tree, f: &mut Findings) {
    for file in &tree.files {
        if let Some(result) = parse(tree, file) {
            f.checked();
            if let Err(e) = result {
                f.fail(tree, file, e);
            }
        }
    }
}

/// Parses `file` by its type; None when it is none of the checked types.
fn parse(tree: &Tree, file: &str) -> Option<Result<(), String>> {
    let name = file.rsplit('/').next().unwrap_or(file);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let kind = match ext {
        _ if is_yaml(file) => "yaml",
        "json" | "jsonc" => "json",
        "toml" => "toml",
        "lock" if matches!(name, "Cargo.lock" | "uv.lock" | "poetry.lock") => "toml",
        "tf" | "tfvars" | "tfbackend" | "hcl" => "hcl",
        _ => return None,
    };
    let Some(text) = tree.text(file) else {
        return Some(Err("not UTF-8 text".into()));
    };
    Some(match kind {
        "yaml" => tree.yaml_docs(file).map(|_| ()),
        "json" => {
            let text = if jsonc_allowed(file) { strip_json_comments(&text) } else { text };
            serde_json::from_str::<serde_json::Value>(&text).map(|_| ()).map_err(|e| e.to_string())
        }
        "toml" => toml::from_str::<toml::Table>(&text).map(|_| ()).map_err(|e| e.to_string()),
        _ => hcl::parse(&text).map(|_| ()).map_err(|e| e.to_string()),
    })
}

/// JSON files whose tools accept comments (TypeScript and editor configs, `.jsonc`).
fn jsonc_allowed(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    file.ends_with(".jsonc")
        || name.starts_with("tsconfig")
        || name.starts_with("jsconfig")
        || file.starts_with(".vscode/")
        || name == "devcontainer.json"
}

/// Removes `//` and `/* */` comments outside strings, and trailing commas before `}`/`]`.
fn strip_json_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            _ => out.push(c),
        }
    }
    let trailing = regex::Regex::new(r",(\s*[}\]])").unwrap();
    trailing.replace_all(&out, "$1").into_owned()
}
