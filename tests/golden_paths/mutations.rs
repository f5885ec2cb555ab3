//! The Rust-side checks are not vacuous: each one, run on a copy of a rendered tree with one
//! realistic defect planted, reports it. A check that stays green here would stay green on a
//! broken template too.

use std::path::Path;

use serde_json::Value;

use crate::findings::Findings;
use crate::render;
use crate::tree::{Tree, is_yaml};
use crate::{consistency, kubernetes, labels, metrics, pave, policy, promql, runbook, syntax, workflows};

/// A defect: its name, the file it is planted in (first match), how, the check that must report
/// it and a word its report must contain.
struct Mutation {
    name: &'static str,
    file: fn(&Tree) -> Option<String>,
    plant: fn(&str) -> Option<String>,
    check: fn(&Tree, &mut Findings),
    expect: &'static str,
}

fn first(tree: &Tree, pred: impl Fn(&str) -> bool) -> Option<String> {
    tree.files.iter().find(|f| pred(f)).cloned()
}

/// A YAML or JSON document changed through its JSON form (YAML accepts JSON).
fn rewrite_json(text: &str, change: impl Fn(&mut Value) -> bool) -> Option<String> {
    let mut doc: Value = serde_saphyr::from_str(text).ok()?;
    change(&mut doc).then(|| serde_json::to_string_pretty(&doc).unwrap())
}

fn kind_file(tree: &Tree, kind: &str) -> Option<String> {
    first(tree, |f| {
        f.starts_with("deploy/base/")
            && is_yaml(f)
            && tree.text(f).is_some_and(|t| t.contains(&format!("kind: {kind}\n")))
    })
}

fn rules_file(tree: &Tree) -> Option<String> {
    promql::rule_files(tree).into_iter().map(|(f, _)| f).find(|f| !f.contains("test"))
}

fn first_rule(doc: &mut Value) -> Option<&mut Value> {
    doc["groups"].as_array_mut()?.first_mut()?["rules"].as_array_mut()?.first_mut()
}

const MUTATIONS: [Mutation; 14] = [
    Mutation {
        name: "a YAML syntax error",
        file: |t| first(t, |f| f.starts_with("deploy/") && is_yaml(f)),
        plant: |t| Some(format!("{t}\nbroken: [unclosed\n")),
        check: syntax::check_syntax,
        expect: "deploy/",
    },
    Mutation {
        name: "a Deployment without containers",
        file: |t| kind_file(t, "Deployment"),
        plant: |t| t.contains("containers:").then(|| t.replacen("containers:", "initContainers:", 1)),
        check: kubernetes::check_structure,
        expect: "containers is missing",
    },
    Mutation {
        name: "a Service selecting no pods",
        file: |t| kind_file(t, "Service"),
        plant: |t| {
            rewrite_json(t, |d| {
                d["spec"]["selector"] = serde_json::json!({ "app.kubernetes.io/name": "someone-else" });
                true
            })
        },
        check: kubernetes::check_labels,
        expect: "selects no workload",
    },
    Mutation {
        name: "an unbalanced PromQL expression",
        file: rules_file,
        plant: |t| {
            rewrite_json(t, |d| {
                first_rule(d).map(|r| r["expr"] = Value::from("sum(rate(http_requests_total[5m])")).is_some()
            })
        },
        check: promql::check_promql,
        expect: "parenthesis",
    },
    Mutation {
        name: "an alert linking to a missing runbook section",
        file: rules_file,
        plant: |t| {
            rewrite_json(t, |d| {
                let groups = d["groups"].as_array_mut().into_iter().flatten();
                let alert = groups
                    .flat_map(|g| g["rules"].as_array_mut().into_iter().flatten())
                    .find(|r| r["alert"].is_string());
                alert
                    .and_then(|a| a["annotations"]["runbook_url"].as_str().map(str::to_string).map(|u| (a, u)))
                    .is_some_and(|(a, url)| {
                        let base = url.split('#').next().unwrap_or("").to_string();
                        a["annotations"]["runbook_url"] = Value::from(format!("{base}#no-such-section"));
                        true
                    })
            })
        },
        check: runbook::check_links,
        expect: "#no-such-section",
    },
    Mutation {
        name: "a dashboard reading a metric the app does not emit",
        file: |t| first(t, |f| f.ends_with(".json") && f.contains("dashboard")),
        plant: |t| {
            let re = regex::Regex::new(r#""expr": "[^"\\]*(\\.[^"\\]*)*""#).unwrap();
            re.is_match(t).then(|| re.replace(t, r#""expr": "sum(rate(no_such_metric_total[5m]))""#).into_owned())
        },
        check: metrics::check_metrics,
        expect: "no_such_metric_total",
    },
    Mutation {
        name: "a rule selecting a kube-state-metrics series by a label it does not have",
        file: rules_file,
        plant: |t| {
            t.contains("kube_cronjob_created{namespace=").then(|| {
                t.replacen(
                    "kube_cronjob_created{namespace=",
                    "kube_cronjob_created{environment=\"production\", namespace=",
                    1,
                )
            })
        },
        check: metrics::check_metrics,
        expect: "selects environment=... on kube_cronjob_created",
    },
    Mutation {
        name: "a rule selecting an app metric by a label the app does not give it",
        file: rules_file,
        plant: |t| {
            t.contains("http_response_status_code=~")
                .then(|| t.replacen("http_response_status_code=~", "http_status=~", 1))
        },
        check: labels::check_labels,
        expect: "selects http_status=~",
    },
    Mutation {
        name: "a recording rule aggregating away the label its alerts select",
        file: rules_file,
        plant: |t| {
            rewrite_json(t, |d| {
                let mut changed = false;
                // A rule file, or a PrometheusRule object.
                let groups = if d["spec"]["groups"].is_array() { &mut d["spec"]["groups"] } else { &mut d["groups"] };
                for g in groups.as_array_mut().into_iter().flatten() {
                    for r in g["rules"].as_array_mut().into_iter().flatten().filter(|r| r["record"].is_string()) {
                        let expr = r["expr"].as_str().unwrap_or_default().to_string();
                        if expr.contains("by (job, environment)") {
                            r["expr"] = Value::from(expr.replace("by (job, environment)", "by (job)"));
                            r.as_object_mut().map(|o| o.remove("labels"));
                            changed = true;
                        }
                    }
                }
                changed
            })
        },
        check: labels::check_labels,
        expect: "its recording rule keeps only {\"job\"}",
    },
    Mutation {
        name: "passing policy testdata that breaks the policy",
        file: |t| first(t, |f| f.ends_with("tags.pass.json")),
        plant: |t| {
            let mut doc: Value = serde_json::from_str(t).ok()?;
            for rc in doc["resource_changes"].as_array_mut()? {
                for key in ["tags", "tags_all"] {
                    if let Some(tags) = rc["change"]["after"][key].as_object_mut() {
                        tags.remove("owner");
                    }
                }
            }
            Some(serde_json::to_string_pretty(&doc).unwrap())
        },
        check: policy::check_testdata,
        expect: "must be empty",
    },
    Mutation {
        name: "Terraform without the owner tag",
        file: |t| first(t, |f| f.ends_with(".tf") && t.text(f).is_some_and(|s| s.contains("\"owner\""))),
        plant: |t| {
            let re = regex::Regex::new(r#"(?m)^\s*"owner"\s*=.*\n"#).unwrap();
            re.is_match(t).then(|| re.replace_all(t, "").into_owned())
        },
        check: policy::check_rendered,
        expect: "owner",
    },
    Mutation {
        name: "CODEOWNERS naming another team",
        file: |t| first(t, |f| f.ends_with("CODEOWNERS")),
        plant: |t| {
            let re = regex::Regex::new(r"(?m)^\*(\s+)@\S+").unwrap();
            re.is_match(t).then(|| re.replace(t, "*${1}@example/another-team").into_owned())
        },
        check: consistency::check_owner,
        expect: "another-team",
    },
    Mutation {
        name: "an action pinned by tag",
        file: |t| first(t, |f| f.starts_with(".github/workflows/") && is_yaml(f)),
        plant: |t| {
            let re = regex::Regex::new(r"@[0-9a-f]{40}").unwrap();
            re.is_match(t).then(|| re.replace(t, "@v4").into_owned())
        },
        check: workflows::check_pins,
        expect: "not a 40-hex commit SHA",
    },
    Mutation {
        name: "a patch for an object the base does not have",
        file: |t| first(t, |f| f.starts_with("deploy/overlays/") && f.contains("patch") && is_yaml(f)),
        plant: |t| {
            rewrite_json(t, |d| {
                d["metadata"]["name"] = Value::from("no-such-object");
                true
            })
        },
        check: kubernetes::check_structure,
        expect: "no base manifest defines",
    },
];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn every_rust_side_check_reports_a_planted_defect() {
    let bases: Vec<&Tree> = render::trees().iter().filter(|t| t.label == t.template.id()).collect();
    let mut missed = Vec::new();
    for (n, m) in MUTATIONS.iter().enumerate() {
        // The first template version with a file to plant the defect in.
        let Some((base, file, planted)) = bases.iter().find_map(|t| {
            let file = (m.file)(t)?;
            let planted = (m.plant)(&t.text(&file)?)?;
            Some((*t, file, planted))
        }) else {
            eprintln!("mutation {:?}: no template version has a file to plant it in", m.name);
            continue;
        };
        let dir = pave::work_dir().join("mutations").join(n.to_string());
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&base.root, &dir);
        std::fs::write(dir.join(&file), planted).unwrap();
        let tree = Tree::new(base.template, &format!("with {}", m.name), base.answers.clone(), dir);
        let mut findings = Findings::new("mutation");
        (m.check)(&tree, &mut findings);
        let reported = findings.problems().iter().any(|p| p.contains(m.expect));
        eprintln!("mutation {:?} in {} {file}: {}", m.name, base.label, if reported { "reported" } else { "MISSED" });
        if !reported {
            missed.push(format!("{} ({} {file}): got {:?}", m.name, base.label, findings.problems()));
        }
    }
    assert!(missed.is_empty(), "checks that did not report a planted defect:\n{}", missed.join("\n"));
}

/// A workflow that check-jsonschema (integer `runs-on`), actionlint (unknown runner label) and
/// yamllint (trailing spaces) reject, and zizmor cannot audit.
const MUTANT_WORKFLOW: &str = "name: mutant\non: issues\npermissions: {}\njobs:\n  greet:\n    runs-on: 1\n    steps:\n      - run: echo hello   \n";

/// A valid workflow with a template injection zizmor rates High.
const INJECTION_WORKFLOW: &str = "name: injection\non: issues\npermissions: {}\njobs:\n  greet:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo \"${{ github.event.issue.title }}\"\n";

#[test]
fn every_tool_reports_planted_defects() {
    let Some(base) = render::trees().iter().find(|t| t.label == t.template.id() && t.has("catalog-info.yaml")) else {
        return;
    };
    let dir = pave::work_dir().join("mutations").join("tools");
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&base.root, &dir);
    let write = |rel: &str, text: String| {
        std::fs::create_dir_all(dir.join(rel).parent().unwrap()).unwrap();
        std::fs::write(dir.join(rel), text).unwrap();
    };
    let read = |rel: &str| std::fs::read_to_string(dir.join(rel)).unwrap_or_default();
    write(".github/workflows/mutant.yml", MUTANT_WORKFLOW.to_string());
    write(".github/workflows/injection.yml", INJECTION_WORKFLOW.to_string());
    write("scripts/mutant.sh", "#!/bin/sh\nrm -rf $1/*\n".to_string());
    if let Some(file) = kind_file(base, "Deployment") {
        let planted = rewrite_json(&read(&file), |d| {
            d["spec"]["replicaz"] = Value::from(3);
            true
        });
        write(&file, planted.unwrap());
    }
    if let Some(file) = rules_file(base) {
        let planted = rewrite_json(&read(&file), |d| first_rule(d).map(|r| r["expr"] = Value::from("sum(")).is_some());
        write(&file, planted.unwrap());
    }
    if let Some(file) = first(base, |f| f.ends_with("Dockerfile")) {
        write(&file, format!("{}\nRUN cd /tmp && apt-get install curl\n", read(&file)));
    }
    let catalog = rewrite_json(&read("catalog-info.yaml"), |d| {
        d["spec"]["owner"] = Value::from("");
        true
    });
    write("catalog-info.yaml", catalog.unwrap());
    if let Some(file) = first(base, |f| f.ends_with(".tf")) {
        write(&file, format!("{}\nresource \"broken\" \"x\" {{\n", read(&file)));
    }
    let tree: &'static Tree =
        Box::leak(Box::new(Tree::new(base.template, "with planted tool defects", base.answers.clone(), dir)));

    let mut missed = Vec::new();
    for (name, check) in crate::tools::TOOL_CHECKS {
        let reports = check(&[tree]);
        if reports.is_empty() {
            eprintln!("{name}: not installed, skipped");
            continue;
        }
        let reported = reports.iter().any(|r| !r.is_clean());
        eprintln!("{name}: {}", if reported { "reported the planted defect" } else { "MISSED" });
        for r in &reports {
            for p in r.problems() {
                eprintln!("  {}", p.lines().next().unwrap_or(""));
            }
        }
        if !reported {
            missed.push(name);
        }
    }
    assert!(missed.is_empty(), "validators that did not report a planted defect: {missed:?}");
}
