//! `PromQL` in a rendered tree: Prometheus rule files (plain and `PrometheusRule` objects),
//! promtool test files, Grafana dashboards and `OpenSLO` queries. Every expression must parse with
//! promql-parser, and rule files must have the structure Prometheus loads.

use promql_parser::parser::{self, Expr};
use serde_json::Value;

use crate::findings::{Findings, check_every_tree};
use crate::tree::{Tree, is_yaml};

/// Where a query comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Record,
    Alert,
    Dashboard,
    Slo,
    Test,
}

/// One `PromQL` expression and where it was found.
pub struct Query {
    pub file: String,
    pub what: String,
    pub source: Source,
    pub expr: String,
}

/// An alerting rule.
pub struct Alert {
    pub file: String,
    pub name: String,
    pub labels: Value,
    pub annotations: Value,
}

/// The rule groups of a YAML document: a Prometheus rule file or a `PrometheusRule` object.
fn groups(doc: &Value) -> Option<&Vec<Value>> {
    if doc["kind"].as_str() == Some("PrometheusRule") {
        return doc["spec"]["groups"].as_array();
    }
    doc["groups"].as_array().filter(|g| g.iter().all(|g| g["rules"].is_array() || g["rules"].is_null()))
}

/// Every YAML file of the tree with rule groups, with its documents.
pub fn rule_files(tree: &Tree) -> Vec<(String, Vec<Value>)> {
    let mut out = Vec::new();
    for file in tree.files_where(is_yaml) {
        if let Ok(docs) = tree.yaml_docs(file)
            && docs.iter().any(|d| groups(d).is_some())
        {
            out.push((file.to_string(), docs));
        }
    }
    out
}

/// Every alerting rule of the tree.
pub fn alerts(tree: &Tree) -> Vec<Alert> {
    let mut out = Vec::new();
    for (file, docs) in rule_files(tree) {
        for rule in docs.iter().filter_map(groups).flatten().flat_map(|g| g["rules"].as_array().into_iter().flatten()) {
            if let Some(name) = rule["alert"].as_str() {
                out.push(Alert {
                    file: file.clone(),
                    name: name.to_string(),
                    labels: rule["labels"].clone(),
                    annotations: rule["annotations"].clone(),
                });
            }
        }
    }
    out
}

/// The names recording rules define.
pub fn recorded_names(tree: &Tree) -> Vec<String> {
    recording_rules(tree).into_iter().map(|r| r.name).collect()
}

/// A recording rule.
pub struct RecordingRule {
    pub name: String,
    pub expr: String,
    /// The names of the labels its `labels:` sets.
    pub labels: Vec<String>,
}

/// Every recording rule of the tree.
pub fn recording_rules(tree: &Tree) -> Vec<RecordingRule> {
    rule_files(tree)
        .iter()
        .flat_map(|(_, docs)| docs.iter().filter_map(groups).flatten())
        .flat_map(|g| g["rules"].as_array().into_iter().flatten())
        .filter_map(|r| {
            Some(RecordingRule {
                name: r["record"].as_str()?.to_string(),
                expr: scalar_text(&r["expr"]),
                labels: r["labels"].as_object().map(|l| l.keys().cloned().collect()).unwrap_or_default(),
            })
        })
        .collect()
}

/// The expressions Prometheus and Grafana run: every one but those of rule unit tests.
pub fn served_queries(tree: &Tree) -> Vec<Query> {
    queries(tree).into_iter().filter(|q| q.source != Source::Test).collect()
}

/// Every `PromQL` expression of the tree.
pub fn queries(tree: &Tree) -> Vec<Query> {
    let mut out = Vec::new();
    for (file, docs) in rule_files(tree) {
        for g in docs.iter().filter_map(groups).flatten() {
            for rule in g["rules"].as_array().into_iter().flatten() {
                let (source, what) = match (rule["record"].as_str(), rule["alert"].as_str()) {
                    (Some(r), _) => (Source::Record, format!("record {r}")),
                    (None, Some(a)) => (Source::Alert, format!("alert {a}")),
                    _ => continue,
                };
                out.push(Query { file: file.clone(), what, source, expr: scalar_text(&rule["expr"]) });
            }
        }
    }
    for file in tree.files_where(is_yaml) {
        let Ok(docs) = tree.yaml_docs(file) else { continue };
        for doc in &docs {
            // promtool unit tests: `promql_expr_test[].expr` and the input series selectors.
            if doc["rule_files"].is_array() {
                for (i, test) in doc["tests"].as_array().into_iter().flatten().enumerate() {
                    for t in test["promql_expr_test"].as_array().into_iter().flatten() {
                        let expr = scalar_text(&t["expr"]);
                        out.push(Query {
                            file: file.to_string(),
                            what: format!("tests[{i}] expr"),
                            source: Source::Test,
                            expr,
                        });
                    }
                    for s in test["input_series"].as_array().into_iter().flatten() {
                        let expr = scalar_text(&s["series"]);
                        out.push(Query {
                            file: file.to_string(),
                            what: format!("tests[{i}] series"),
                            source: Source::Test,
                            expr,
                        });
                    }
                }
            }
            if doc["apiVersion"].as_str().is_some_and(|v| v.starts_with("openslo/")) {
                let name = doc["metadata"]["name"].as_str().unwrap_or("").to_string();
                collect_slo_queries(doc, &mut |expr| {
                    out.push(Query {
                        file: file.to_string(),
                        what: format!("OpenSLO {name}"),
                        source: Source::Slo,
                        expr,
                    });
                });
            }
        }
    }
    for file in tree.files_where(|f| f.ends_with(".json")) {
        let Some(Ok(doc)) = tree.text(file).map(|t| serde_json::from_str::<Value>(&t)) else { continue };
        let dashboard = if doc["dashboard"].is_object() { &doc["dashboard"] } else { &doc };
        if dashboard["panels"].is_array() {
            collect_panel_queries(&dashboard["panels"], &mut |what, expr| {
                out.push(Query {
                    file: file.to_string(),
                    what,
                    source: Source::Dashboard,
                    expr: grafana_to_promql(&expr),
                });
            });
        }
    }
    out
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn collect_slo_queries(v: &Value, push: &mut impl FnMut(String)) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("query" | "promql" | "goodQuery" | "badQuery" | "totalQuery", Value::String(s)) => push(s.clone()),
                    _ => collect_slo_queries(v, push),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_slo_queries(v, push)),
        _ => {}
    }
}

/// Panels (rows nest theirs) and their Prometheus targets.
fn collect_panel_queries(panels: &Value, push: &mut impl FnMut(String, String)) {
    for panel in panels.as_array().into_iter().flatten() {
        let title = panel["title"].as_str().unwrap_or("(untitled)");
        for (i, target) in panel["targets"].as_array().into_iter().flatten().enumerate() {
            if let Some(expr) = target["expr"].as_str() {
                push(format!("panel {title:?} targets[{i}]"), expr.to_string());
            }
        }
        if panel["panels"].is_array() {
            collect_panel_queries(&panel["panels"], push);
        }
    }
}

/// A Grafana query with its macros and dashboard variables replaced by what Grafana sends.
pub fn grafana_to_promql(expr: &str) -> String {
    let mut s = expr.to_string();
    for (from, to) in [
        ("$__rate_interval", "5m"),
        ("${__rate_interval}", "5m"),
        ("$__interval", "1m"),
        ("${__interval}", "1m"),
        ("$__range", "1h"),
        ("${__range}", "1h"),
        ("$__range_s", "3600"),
        ("$__interval_ms", "60000"),
    ] {
        s = s.replace(from, to);
    }
    // Remaining `$var` / `${var}`: label values in matchers; a placeholder keeps the syntax.
    let var = regex::Regex::new(r"\$\{?[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?\}?").unwrap();
    var.replace_all(&s, "grafana_variable").into_owned()
}

/// Parses a query; the error names the position the way promql-parser does.
pub fn parse(expr: &str) -> Result<Expr, String> {
    parser::parse(expr)
}

/// The metric names a parsed expression selects (`__name__` matchers included).
pub fn metric_names(expr: &Expr, out: &mut Vec<String>) {
    selectors(expr, &mut |vs| vector_names(vs, out));
}

/// Calls `f` on every vector selector of a parsed expression (those of range vectors included).
pub fn selectors(expr: &Expr, f: &mut dyn FnMut(&promql_parser::parser::VectorSelector)) {
    match expr {
        Expr::VectorSelector(vs) => f(vs),
        Expr::MatrixSelector(ms) => f(&ms.vs),
        Expr::Aggregate(a) => {
            selectors(&a.expr, f);
            if let Some(p) = &a.param {
                selectors(p, f);
            }
        }
        Expr::Unary(u) => selectors(&u.expr, f),
        Expr::Binary(b) => {
            selectors(&b.lhs, f);
            selectors(&b.rhs, f);
        }
        Expr::Paren(p) => selectors(&p.expr, f),
        Expr::Subquery(s) => selectors(&s.expr, f),
        Expr::Call(c) => c.args.args.iter().for_each(|a| selectors(a, f)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn vector_names(vs: &parser::VectorSelector, out: &mut Vec<String>) {
    if let Some(name) = &vs.name {
        out.push(name.clone());
    }
    for m in &vs.matchers.matchers {
        if m.name == "__name__" && matches!(m.op, promql_parser::label::MatchOp::Equal) {
            out.push(m.value.clone());
        }
    }
}

/// The values of `label="..."` equality matchers in an expression.
pub fn label_values(expr: &Expr, label: &str, out: &mut Vec<String>) {
    match expr {
        Expr::VectorSelector(vs) => label_values_vs(vs, label, out),
        Expr::MatrixSelector(ms) => label_values_vs(&ms.vs, label, out),
        Expr::Aggregate(a) => label_values(&a.expr, label, out),
        Expr::Unary(u) => label_values(&u.expr, label, out),
        Expr::Binary(b) => {
            label_values(&b.lhs, label, out);
            label_values(&b.rhs, label, out);
        }
        Expr::Paren(p) => label_values(&p.expr, label, out),
        Expr::Subquery(s) => label_values(&s.expr, label, out),
        Expr::Call(c) => c.args.args.iter().for_each(|a| label_values(a, label, out)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn label_values_vs(vs: &parser::VectorSelector, label: &str, out: &mut Vec<String>) {
    for m in &vs.matchers.matchers {
        if m.name == label && matches!(m.op, promql_parser::label::MatchOp::Equal) {
            out.push(m.value.clone());
        }
    }
}

#[test]
fn prometheus_rules_dashboards_and_slos_are_valid_promql() {
    check_every_tree("promql (promql-parser)", check_promql);
}

/// The check behind `prometheus_rules_dashboards_and_slos_are_valid_promql`.
pub fn check_promql(tree: &Tree, f: &mut Findings) {
    for q in queries(tree) {
        f.checked();
        if q.expr.trim().is_empty() {
            f.fail(tree, &q.file, format!("{}: empty expression", q.what));
        } else if let Err(e) = parse(&q.expr) {
            f.fail(tree, &q.file, format!("{}: {e}\n{}", q.what, q.expr.trim()));
        }
    }
    for (file, docs) in rule_files(tree) {
        for problem in docs.iter().filter_map(groups).flatten().flat_map(rule_structure) {
            f.fail(tree, &file, problem);
        }
    }
}

/// What Prometheus checks when it loads a rule group.
fn rule_structure(group: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let gname = group["name"].as_str().unwrap_or("");
    if gname.is_empty() {
        p.push("a rule group has no name".into());
    }
    let duration = regex::Regex::new(r"^([0-9]+(ms|s|m|h|d|w|y))+$").unwrap();
    if let Some(i) = group["interval"].as_str()
        && !duration.is_match(i)
    {
        p.push(format!("group {gname}: interval {i:?} is not a duration"));
    }
    let metric_name = regex::Regex::new(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$").unwrap();
    let label_name = regex::Regex::new(r"^[a-zA-Z_][a-zA-Z0-9_]*$").unwrap();
    for rule in group["rules"].as_array().into_iter().flatten() {
        let (record, alert) = (rule["record"].as_str(), rule["alert"].as_str());
        let what = record.or(alert).unwrap_or("(unnamed)");
        match (record, alert) {
            (Some(_), Some(_)) | (None, None) => {
                p.push(format!("group {gname}: rule {what}: needs exactly one of record and alert"));
            }
            (Some(r), None) if !metric_name.is_match(r) => {
                p.push(format!("group {gname}: record {r:?} is not a valid metric name"));
            }
            _ => {}
        }
        if let Some(d) = rule["for"].as_str()
            && !duration.is_match(d)
        {
            p.push(format!("group {gname}: rule {what}: for {d:?} is not a duration"));
        }
        for key in ["labels", "annotations"] {
            for (k, v) in rule[key].as_object().into_iter().flatten() {
                if !label_name.is_match(k) {
                    p.push(format!("group {gname}: rule {what}: {key} name {k:?} is not a valid label name"));
                }
                if !v.is_string() {
                    p.push(format!("group {gname}: rule {what}: {key}.{k} must be a string, is {v}"));
                }
            }
        }
        if record.is_some() && !rule["annotations"].is_null() {
            p.push(format!("group {gname}: record {what}: recording rules take no annotations"));
        }
    }
    p
}
