//! The built-in catalog (no `--catalog`): it works on a fresh machine. Other built-in templates
//! are being written, so these tests only assert what stays true, and read the names and
//! maturities from the repository's catalog.toml rather than repeating them.

use crate::support::Test;

/// `(name, maturity, replacement)` of every template in the repository's catalog.toml.
fn builtin_entries() -> Vec<(String, String, Option<String>)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/catalog.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    doc["template"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["maturity"].as_str().unwrap().to_string(),
                t.get("replacement").and_then(|r| r.as_str()).map(str::to_string),
            )
        })
        .collect()
}

#[test]
fn new_builtin_rust_axum_service_works_with_no_configuration() {
    let out = Test::new()
        .args(["new", "rust-axum-service", "payments", "--no-input"])
        .args(["-d", "service_name=payments", "-d", "owner=team-payments", "-d", "data_classification=internal"])
        .stderr_contains("Created payments from rust-axum-service")
        .run();
    let record = out.read("payments/.pave.toml");
    let doc: toml::Table = record.parse().unwrap();
    assert_eq!(doc["template"]["name"].as_str(), Some("rust-axum-service"));
    assert_eq!(doc["template"]["catalog"].as_str(), Some("builtin"));
    assert_eq!(doc["answers"]["service_name"].as_str(), Some("payments"));
    assert!(out.files("payments").iter().any(|f| f.starts_with("README")), "{:?}", out.files("payments"));
    assert_eq!(out.git("payments", &["status", "--porcelain"]), "");
    assert_eq!(out.git("payments", &["log", "--oneline"]).lines().count(), 1);
}

#[test]
fn catalog_list_builtin_shows_every_template_with_its_maturity() {
    let out = Test::new().args(["catalog", "list", "--all"]).run();
    for (name, maturity, _) in builtin_entries() {
        assert!(
            out.stdout.lines().any(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                cols.first() == Some(&name.as_str()) && cols.get(1) == Some(&maturity.as_str())
            }),
            "{name} ({maturity}) missing:\n{}",
            out.stdout
        );
    }
}

#[test]
fn catalog_list_builtin_json_matches_the_catalog_file() {
    let out = Test::new().args(["catalog", "list", "--all", "--json"]).run();
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let got: Vec<(String, String, Option<String>)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["maturity"].as_str().unwrap().to_string(),
                e["replacement"].as_str().map(str::to_string),
            )
        })
        .collect();
    assert_eq!(got, builtin_entries());
}

#[test]
fn new_builtin_retired_templates_are_refused_naming_their_replacement() {
    let retired: Vec<_> = builtin_entries().into_iter().filter(|(_, m, _)| m == "retired").collect();
    assert!(!retired.is_empty(), "the built-in catalog keeps its retirement list");
    for (name, _, replacement) in retired {
        let replacement = replacement.expect("a retired template names its replacement");
        Test::new()
            .args(["new", &name, "out", "--no-input"])
            .status(2)
            .stderr_contains(&format!("`{name}` is retired"))
            .stderr_contains(&replacement)
            .run();
    }
}

#[test]
fn catalog_show_builtin_names_the_replacement_of_every_deprecated_or_retired_template() {
    let mut checked = 0;
    for (name, maturity, replacement) in builtin_entries() {
        if maturity != "deprecated" && maturity != "retired" {
            continue;
        }
        let replacement = replacement.expect("deprecated and retired templates name a replacement");
        Test::new().args(["catalog", "show", &name]).stdout_contains(&format!("replacement: {replacement}")).run();
        checked += 1;
    }
    assert!(checked > 0, "the built-in catalog keeps its retirement list");
}

#[test]
fn template_lint_finds_the_builtin_catalog_locked_and_clean() {
    // Released versions are immutable: catalog.lock holds their digests, and CI fails when one
    // changes, disappears, or is released without being locked.
    let root = env!("CARGO_MANIFEST_DIR");
    Test::new()
        .args(["template", "lint", "--locked", root])
        .stderr_contains("version(s) checked: all good")
        .stdout_lacks("✖")
        .run();
}
