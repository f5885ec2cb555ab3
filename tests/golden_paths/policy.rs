//! The Rego policies a template ships (policy/*.rego, Rego v1), evaluated with regorus:
//! - each against its testdata: `policy/testdata/NAME[.CASE].pass.json` gives an empty `deny`,
//!   `NAME[.CASE].fail.json` a non-empty one; OPA unit tests (`test_*` rules) hold;
//! - a policy whose denials name their rule (`PACKAGE.RULE: message`) has one failing fixture
//!   per rule, `NAME.RULE.fail.json`, and each fixture makes exactly that rule fire: a broken
//!   rule cannot hide behind a working one, and no rule goes untested;
//! - the policies whose testdata is a Terraform plan, against the plan derived from the rendered
//!   Terraform (one per environment), and the tags policy must also deny that plan once the
//!   `owner` tag is taken away (so the derived tags really reach it);
//! - the policies whose testdata is Kubernetes objects, against the rendered base manifests with
//!   images pinned by digest, as the deploy workflow does before applying.

use serde_json::Value;

use crate::findings::{Findings, check_every_tree};
use crate::kubernetes;
use crate::terraform;
use crate::tree::Tree;

/// A policy file, its package and its testdata.
struct Policy {
    file: String,
    stem: String,
    package: String,
    pass: Vec<String>,
    fail: Vec<String>,
}

/// The non-test policies of a tree and its OPA unit-test files.
fn policies(tree: &Tree) -> (Vec<Policy>, Vec<String>) {
    let rego = tree.files_where(|f| f.ends_with(".rego") && !f.contains("/testdata/"));
    let (tests, rules): (Vec<&str>, Vec<&str>) = rego.into_iter().partition(|f| f.ends_with("_test.rego"));
    let policies = rules
        .into_iter()
        .map(|file| {
            let (dir, name) = file.rsplit_once('/').unwrap_or(("", file));
            let stem = name.trim_end_matches(".rego").to_string();
            let package = tree
                .text(file)
                .unwrap_or_default()
                .lines()
                .find_map(|l| l.trim().strip_prefix("package ").map(|p| p.trim().to_string()))
                .unwrap_or_default();
            let testdata = |suffix: &str| -> Vec<String> {
                tree.files_where(|f| {
                    f.strip_prefix(&format!("{dir}/testdata/")).is_some_and(|n| {
                        !n.contains('/') && n.ends_with(suffix) && (n.starts_with(&format!("{stem}.")))
                    })
                })
                .into_iter()
                .map(str::to_string)
                .collect()
            };
            Policy { file: file.to_string(), pass: testdata(".pass.json"), fail: testdata(".fail.json"), stem, package }
        })
        .collect();
    (policies, tests.into_iter().map(str::to_string).collect())
}

/// An engine with every policy of the tree loaded.
fn engine(tree: &Tree, files: &[&str]) -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    for file in files {
        let text = tree.text(file).ok_or_else(|| format!("{file}: not UTF-8"))?;
        engine.add_policy((*file).to_string(), text).map_err(|e| format!("{file}: {e}"))?;
    }
    Ok(engine)
}

/// The `deny` messages of `package` for `input`.
fn deny(engine: &mut regorus::Engine, package: &str, input: &Value) -> Result<Vec<String>, String> {
    let input = regorus::Value::from_json_str(&input.to_string()).map_err(|e| e.to_string())?;
    engine.set_input(input);
    let result = engine.eval_rule(format!("data.{package}.deny")).map_err(|e| e.to_string())?;
    let json: Value =
        serde_json::from_str(&result.to_json_str().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    Ok(match json {
        Value::Array(items) => {
            items.into_iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect()
        }
        Value::Object(m) => m.keys().cloned().collect(),
        // `deny` undefined: nothing denied.
        Value::Null => Vec::new(),
        Value::String(s) if s == "<undefined>" => Vec::new(),
        other => vec![other.to_string()],
    })
}

fn read_json(tree: &Tree, file: &str) -> Result<Value, String> {
    let text = tree.text(file).ok_or("not UTF-8")?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

#[test]
fn policies_pass_their_passing_testdata_and_deny_their_failing_testdata() {
    check_every_tree("rego testdata (regorus)", check_testdata);
}

/// The check behind `policies_pass_their_passing_testdata_and_deny_their_failing_testdata`.
pub fn check_testdata(tree: &Tree, f: &mut Findings) {
    let (policies, tests) = policies(tree);
    if policies.is_empty() {
        return;
    }
    let files: Vec<&str> = policies.iter().map(|p| p.file.as_str()).collect();
    let mut engine = match engine(tree, &files) {
        Ok(e) => e,
        Err(e) => return f.fail(tree, "policy/", format!("policies do not load: {e}")),
    };
    for p in &policies {
        if p.package.is_empty() {
            f.fail(tree, &p.file, "no `package` line");
            continue;
        }
        if p.pass.is_empty() || p.fail.is_empty() {
            f.fail(tree, &p.file, format!("needs testdata/{0}.pass.json and testdata/{0}.fail.json", p.stem));
        }
        for (cases, want_denied) in [(&p.pass, false), (&p.fail, true)] {
            for case in cases {
                f.checked();
                let result = read_json(tree, case).and_then(|input| deny(&mut engine, &p.package, &input));
                match result {
                    Err(e) => f.fail(tree, case, format!("data.{}.deny cannot be evaluated: {e}", p.package)),
                    Ok(denied) if want_denied && denied.is_empty() => {
                        f.fail(tree, case, format!("data.{}.deny is empty, but this input must fail", p.package));
                    }
                    Ok(denied) if !want_denied && !denied.is_empty() => {
                        f.fail(
                            tree,
                            case,
                            format!("data.{}.deny must be empty, but:\n{}", p.package, denied.join("\n")),
                        );
                    }
                    Ok(_) => {}
                }
            }
        }
    }
    for p in &policies {
        check_rule_fixtures(tree, p, &mut engine, f);
    }
    run_unit_tests(tree, &files, &tests, f);
}

/// The rule ids a policy's denials start with (`msg := sprintf("network.lb-public: ...`).
fn rule_ids(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"(?m)^\s*msg\s*:=\s*(?:sprintf\()?"([a-z0-9_]+\.[a-z0-9-]+): "#).unwrap();
    let mut ids: Vec<String> = re.captures_iter(text).map(|c| c[1].to_string()).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Which of the policy's rule ids a denial starts with, if any.
fn fired_rule<'a>(message: &str, ids: &'a [String]) -> Option<&'a str> {
    ids.iter().find(|id| message.starts_with(&format!("{id}: "))).map(String::as_str)
}

/// One failing fixture per rule, each firing exactly its rule, for policies whose denials name
/// their rule; a policy without rule ids keeps the older, looser convention.
fn check_rule_fixtures(tree: &Tree, p: &Policy, engine: &mut regorus::Engine, f: &mut Findings) {
    let ids = rule_ids(&tree.text(&p.file).unwrap_or_default());
    if ids.is_empty() {
        return;
    }
    let short = |id: &str| id.split_once('.').map_or(id, |(_, r)| r).to_string();
    for id in &ids {
        f.checked();
        let fixture = format!("{}.{}.fail.json", p.stem, short(id));
        if !p.fail.iter().any(|file| file.ends_with(&format!("/{fixture}"))) {
            f.fail(tree, &p.file, format!("rule {id} has no failing fixture policy/testdata/{fixture}"));
        }
    }
    for case in &p.fail {
        f.checked();
        let name = case.rsplit('/').next().unwrap_or(case);
        let rule = name.strip_prefix(&format!("{}.", p.stem)).and_then(|n| n.strip_suffix(".fail.json")).unwrap_or("");
        let expected = ids.iter().find(|id| short(id) == rule);
        let Some(expected) = expected else {
            f.fail(tree, case, format!("names no rule of {} (its rules: {})", p.file, ids.join(", ")));
            continue;
        };
        let Ok(denied) = read_json(tree, case).and_then(|input| deny(engine, &p.package, &input)) else { continue };
        let mut fired: Vec<String> =
            denied.iter().map(|m| fired_rule(m, &ids).unwrap_or("(a denial without a rule id)").to_string()).collect();
        fired.sort();
        fired.dedup();
        if fired != [expected.clone()] {
            f.fail(
                tree,
                case,
                format!("must make exactly {expected} fire, but fired: {}\n{}", fired.join(", "), denied.join("\n")),
            );
        }
    }
}

#[test]
fn rule_ids_are_read_from_denial_messages() {
    let text = "deny contains msg if {\n\tmsg := sprintf(\"network.lb-public: %s\", [x])\n}\ndeny contains msg if {\n\tmsg := \"regions.missing: no region\"\n}\n";
    assert_eq!(rule_ids(text), ["network.lb-public", "regions.missing"]);
    let ids = rule_ids(text);
    assert_eq!(fired_rule("network.lb-public: aws_lb.x: internet-facing", &ids), Some("network.lb-public"));
    assert_eq!(fired_rule("aws_lb.x: internet-facing", &ids), None);
}

/// OPA unit tests (`*_test.rego`): every `test_*` rule is true.
fn run_unit_tests(tree: &Tree, policies: &[&str], tests: &[String], f: &mut Findings) {
    let rule = regex::Regex::new(r"(?m)^(test_[A-Za-z0-9_]+)").unwrap();
    for test in tests {
        let mut files: Vec<&str> = policies.to_vec();
        files.push(test);
        let mut engine = match engine(tree, &files) {
            Ok(e) => e,
            Err(e) => return f.fail(tree, test, format!("does not load: {e}")),
        };
        let text = tree.text(test).unwrap_or_default();
        let package = text.lines().find_map(|l| l.trim().strip_prefix("package ").map(str::trim)).unwrap_or("");
        let mut names: Vec<&str> = rule.captures_iter(&text).filter_map(|c| c.get(1)).map(|m| m.as_str()).collect();
        names.dedup();
        for name in names {
            f.checked();
            match engine.eval_rule(format!("data.{package}.{name}")) {
                Ok(v) if v == regorus::Value::from(true) => {}
                Ok(v) => f.fail(tree, test, format!("{name} is {v}, not true")),
                Err(e) => f.fail(tree, test, format!("{name}: {e}")),
            }
        }
    }
}

/// Whether a policy's testdata is a Terraform plan, Kubernetes objects, or neither.
fn input_kind(tree: &Tree, p: &Policy) -> Option<&'static str> {
    let sample = read_json(tree, p.pass.first()?).ok()?;
    if sample.get("resource_changes").is_some() {
        Some("terraform")
    } else if sample.get("kind").is_some() {
        Some("kubernetes")
    } else {
        None
    }
}

#[test]
fn policies_pass_the_rendered_terraform_and_kubernetes_manifests() {
    check_every_tree("rego on rendered artifacts (regorus)", check_rendered);
}

/// The check behind `policies_pass_the_rendered_terraform_and_kubernetes_manifests`.
pub fn check_rendered(tree: &Tree, f: &mut Findings) {
    let (policies, _) = policies(tree);
    if policies.is_empty() {
        return;
    }
    let files: Vec<&str> = policies.iter().map(|p| p.file.as_str()).collect();
    let Ok(mut engine) = engine(tree, &files) else { return };
    let plans = match terraform::derive_plans(tree) {
        Ok(p) => p,
        Err(e) => return f.fail(tree, "infra/", format!("cannot derive a plan from the Terraform: {e}")),
    };
    let manifests = pinned(kubernetes::as_list(tree));
    for p in &policies {
        match input_kind(tree, p) {
            Some("terraform") => {
                for plan in &plans {
                    f.checked();
                    let at = format!("{}/ (environment {})", plan.module, plan.environment);
                    match deny(&mut engine, &p.package, &plan.json) {
                        Ok(d) if d.is_empty() => {}
                        Ok(d) => f.fail(tree, &at, format!("{} denies the derived plan:\n{}", p.file, d.join("\n"))),
                        Err(e) => f.fail(tree, &at, format!("{}: {e}", p.file)),
                    }
                    if p.stem == "tags" {
                        check_tags_reach_policy(tree, f, &mut engine, p, plan, &at);
                    }
                }
            }
            Some("kubernetes") if manifests["items"].as_array().is_some_and(|i| !i.is_empty()) => {
                f.checked();
                match deny(&mut engine, &p.package, &manifests) {
                    Ok(d) if d.is_empty() => {}
                    Ok(d) => {
                        f.fail(tree, "deploy/", format!("{} denies the base manifests:\n{}", p.file, d.join("\n")));
                    }
                    Err(e) => f.fail(tree, "deploy/", format!("{}: {e}", p.file)),
                }
            }
            _ => {}
        }
    }
}

/// The derived plan has taggable resources whose tags come from the Terraform, and the tags
/// policy denies it once the owner tag is gone.
fn check_tags_reach_policy(
    tree: &Tree,
    f: &mut Findings,
    engine: &mut regorus::Engine,
    p: &Policy,
    plan: &terraform::Plan,
    at: &str,
) {
    let changes = plan.json["resource_changes"].as_array().map_or(&[][..], Vec::as_slice);
    if changes.is_empty() {
        return f.fail(tree, at, "the Terraform declares no resource for the tags policy to check");
    }
    let mut stripped = plan.json.clone();
    for rc in stripped["resource_changes"].as_array_mut().into_iter().flatten() {
        for key in ["tags", "tags_all"] {
            if let Some(tags) = rc["change"]["after"][key].as_object_mut() {
                tags.remove("owner");
            }
        }
    }
    match deny(engine, &p.package, &stripped) {
        Ok(d) if !d.is_empty() => {}
        Ok(_) => {
            f.fail(tree, at, format!("{} still passes with the owner tag removed: it does not see the tags", p.file));
        }
        Err(e) => f.fail(tree, at, format!("{}: {e}", p.file)),
    }
}

/// Kubernetes objects with every container image pinned by digest (`kustomize edit set image`
/// in the deploy workflow); an image already pinned is left alone.
fn pinned(mut list: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(image)) = m.get_mut("image")
                    && !image.contains("@sha256:")
                {
                    let repo =
                        image.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')).map_or(image.as_str(), |(r, _)| r);
                    *image = format!("{repo}@sha256:{}", "0".repeat(64));
                }
                m.values_mut().for_each(walk);
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut list);
    list
}
