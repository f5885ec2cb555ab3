//! The labels that alerts, SLOs and dashboards select on are ones the series carry. A matcher
//! that needs a label (`status="5xx"`, `route=~".+"`) on a series without it matches nothing,
//! and the alert stays silent or the panel empty exactly as if the metric were not emitted:
//!
//! - on an app metric, the label must come from the app (a string in its source, in its
//!   Prometheus spelling or its OpenTelemetry one: `http.route` for `http_route`), from the
//!   scrape (Prometheus's and the Prometheus Operator's target labels, and every label a
//!   relabeling or a static config of the project writes), or from the series' shape (`le`,
//!   `quantile`);
//! - on a recorded series, every recording rule of that name must keep it: in its aggregation's
//!   `by (...)`, or in its `labels:`.
//!
//! A matcher that a series without the label also satisfies (`code!~"5.."`, `env=""`) is not
//! checked. Series from Kubernetes, the collector or a client library's default collectors are
//! left to `metrics.rs`.

use std::collections::{BTreeMap, BTreeSet};

use promql_parser::label::MatchOp;
use promql_parser::parser::{Expr, VectorSelector};
use serde_json::Value;

use crate::findings::{Findings, check_every_tree};
use crate::metrics;
use crate::promql;
use crate::tree::Tree;

/// Labels every scraped series carries: Prometheus's target labels, and those the Prometheus
/// Operator sets for a `ServiceMonitor` or `PodMonitor` target.
const TARGET_LABELS: [&str; 7] = ["job", "instance", "namespace", "pod", "container", "service", "endpoint"];

/// Labels a histogram's buckets or a summary's quantiles carry by themselves.
const SHAPE_LABELS: [&str; 2] = ["le", "quantile"];

/// The labels a recorded series can carry, as far as its rule's expression shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// A scalar: no series, no labels.
    Scalar,
    /// Exactly these labels (an aggregation `by (...)`, `absent(...)`).
    Labels(BTreeSet<String>),
    /// Whatever the selected series carry (a selector passed through, `without (...)`).
    Any,
}

impl Kept {
    fn union(self, other: Kept) -> Kept {
        match (self, other) {
            (Kept::Any, _) | (_, Kept::Any) => Kept::Any,
            (Kept::Scalar, k) | (k, Kept::Scalar) => k,
            (Kept::Labels(mut a), Kept::Labels(b)) => {
                a.extend(b);
                Kept::Labels(a)
            }
        }
    }

    fn with(self, labels: impl IntoIterator<Item = String>) -> Kept {
        self.union(Kept::Labels(labels.into_iter().collect()))
    }
}

/// The labels the result of `expr` carries.
pub fn kept(expr: &Expr) -> Kept {
    match expr {
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => Kept::Scalar,
        Expr::VectorSelector(_) | Expr::MatrixSelector(_) | Expr::Extension(_) => Kept::Any,
        Expr::Paren(p) => kept(&p.expr),
        Expr::Unary(u) => kept(&u.expr),
        Expr::Subquery(s) => kept(&s.expr),
        Expr::Aggregate(a) => match (a.op.to_string().as_str(), &a.modifier) {
            // These pick series and keep all their labels.
            ("topk" | "bottomk" | "limitk" | "limit_ratio", _) => kept(&a.expr),
            (_, Some(promql_parser::parser::LabelModifier::Include(by))) => {
                let by = Kept::Labels(by.labels.iter().cloned().collect());
                if a.op.to_string() == "count_values" {
                    let label = a.param.as_deref().and_then(string_literal);
                    by.with(label)
                } else {
                    by
                }
            }
            (_, Some(promql_parser::parser::LabelModifier::Exclude(_))) => Kept::Any,
            (_, None) => Kept::Labels(BTreeSet::new()),
        },
        Expr::Binary(b) => {
            let (lhs, rhs) = (kept(&b.lhs), kept(&b.rhs));
            if lhs == Kept::Scalar || rhs == Kept::Scalar {
                return lhs.union(rhs);
            }
            let op = b.op.to_string();
            if op == "or" {
                return lhs.union(rhs);
            }
            match b.modifier.as_ref().map(|m| &m.card) {
                Some(promql_parser::parser::VectorMatchCardinality::ManyToOne(include)) => {
                    lhs.with(include.labels.iter().cloned())
                }
                Some(promql_parser::parser::VectorMatchCardinality::OneToMany(include)) => {
                    rhs.with(include.labels.iter().cloned())
                }
                _ => lhs,
            }
        }
        Expr::Call(c) => {
            let args = &c.args.args;
            match c.func.name {
                "time" | "scalar" | "pi" => Kept::Scalar,
                "vector" => Kept::Labels(BTreeSet::new()),
                "absent" | "absent_over_time" => {
                    let mut labels = BTreeSet::new();
                    if let Some(arg) = args.first() {
                        promql::selectors(arg, &mut |vs| {
                            labels.extend(
                                vs.matchers
                                    .matchers
                                    .iter()
                                    .filter(|m| matches!(m.op, MatchOp::Equal) && m.name != "__name__")
                                    .map(|m| m.name.clone()),
                            );
                        });
                    }
                    Kept::Labels(labels)
                }
                "label_replace" | "label_join" => {
                    let base = args.first().map_or(Kept::Scalar, |a| kept(a));
                    base.with(args.get(1).and_then(|a| string_literal(a)))
                }
                // The first argument that is a vector gives the labels (`histogram_quantile`'s
                // second, `rate`'s first); `le` is consumed but never needed downstream.
                _ => args.iter().map(|a| kept(a)).find(|k| *k != Kept::Scalar).unwrap_or(Kept::Scalar),
            }
        }
    }
}

fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.val.clone()),
        Expr::Paren(p) => string_literal(&p.expr),
        _ => None,
    }
}

/// Whether a series without the label `m.name` fails `m` (its value is then the empty string).
pub fn needs_label(op: &MatchOp, value: &str) -> bool {
    let matches_empty = |pattern: &str| regex::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|re| re.is_match(""));
    match op {
        MatchOp::Equal => !value.is_empty(),
        MatchOp::NotEqual => value.is_empty(),
        MatchOp::Re(_) => !matches_empty(value),
        MatchOp::NotRe(_) => matches_empty(value),
    }
}

/// Every label a relabeling or a static config of the tree's YAML writes: `targetLabel` of a
/// `ServiceMonitor` or `PodMonitor`, `target_label` of a Prometheus or collector relabel config,
/// and the keys of `static_configs[].labels`.
fn scrape_labels(tree: &Tree) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    tree.each_yaml_mapping(&mut |m| {
        for key in ["targetLabel", "target_label"] {
            if let Some(Value::String(label)) = m.get(key) {
                out.insert(label.clone());
            }
        }
        if let Some(Value::Array(configs)) = m.get("static_configs") {
            for c in configs {
                out.extend(c["labels"].as_object().into_iter().flat_map(|l| l.keys().cloned()));
            }
        }
    });
    out
}

/// The names the app's source spells as strings, dots read as underscores (OpenTelemetry's
/// `http.response.status_code` is Prometheus's `http_response_status_code`).
fn source_names(sources: &[(String, String)]) -> BTreeSet<String> {
    let quoted = regex::Regex::new(r#"["'`]([A-Za-z_][A-Za-z0-9_.]*)["'`]"#).unwrap();
    sources
        .iter()
        .flat_map(|(_, text)| quoted.captures_iter(text).map(|c| c[1].replace('.', "_")).collect::<Vec<_>>())
        .collect()
}

/// What the check knows of one tree.
pub struct Provenance {
    /// Labels an app metric can carry.
    pub app: BTreeSet<String>,
    /// Each recorded name and the labels each of its rules keeps (a rule's `labels:` included).
    pub recorded: BTreeMap<String, Vec<Kept>>,
    /// Whether a metric comes from elsewhere (Kubernetes, the collector, a client library's
    /// default collectors): not checked here.
    pub elsewhere: Box<dyn Fn(&str) -> bool>,
}

/// What is wrong with the label matchers of `vs`, an expression's selector.
pub fn selector_problems(vs: &VectorSelector, known: &Provenance) -> Vec<String> {
    let Some(name) = vs.name.as_deref() else { return Vec::new() };
    if (known.elsewhere)(name) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for m in vs.matchers.matchers.iter().filter(|m| m.name != "__name__" && needs_label(&m.op, &m.value)) {
        let label = m.name.as_str();
        if let Some(rules) = known.recorded.get(name) {
            let dropped: Vec<String> = rules
                .iter()
                .filter_map(|k| match k {
                    Kept::Labels(kept) if !kept.contains(label) => Some(format!("{kept:?}")),
                    Kept::Scalar => Some("none (a scalar)".to_string()),
                    _ => None,
                })
                .collect();
            if !dropped.is_empty() {
                out.push(format!(
                    "selects {label}{}{:?} on {name}, but its recording rule keeps only {}",
                    m.op,
                    m.value,
                    dropped.join(" / ")
                ));
            }
        } else if !known.app.contains(label) {
            out.push(format!(
                "selects {label}{}{:?} on {name}, a label nothing gives it: not a string in the app's source, a target label, or written by a relabeling",
                m.op, m.value
            ));
        }
    }
    out
}

/// The recording rules of a tree: each name with what each of its rules keeps.
fn recorded(tree: &Tree) -> BTreeMap<String, Vec<Kept>> {
    let mut out: BTreeMap<String, Vec<Kept>> = BTreeMap::new();
    for rule in promql::recording_rules(tree) {
        let Ok(expr) = promql::parse(&rule.expr) else { continue }; // reported by the PromQL check
        let keeps = kept(&expr).with(rule.labels);
        out.entry(rule.name).or_default().push(keeps);
    }
    out
}

#[test]
fn selected_labels_are_carried_by_the_series() {
    check_every_tree("selected labels", check_labels);
}

/// The check behind `selected_labels_are_carried_by_the_series`.
pub fn check_labels(tree: &Tree, f: &mut Findings) {
    let queries = promql::served_queries(tree);
    if queries.is_empty() {
        return;
    }
    let sources = metrics::app_sources(tree);
    let mut app: BTreeSet<String> = source_names(&sources);
    app.extend(scrape_labels(tree));
    app.extend(TARGET_LABELS.iter().chain(&SHAPE_LABELS).map(|l| (*l).to_string()));
    let defaults = metrics::default_collector_prefixes(&sources);
    let elsewhere = move |name: &str| metrics::platform_metric(name) || defaults.iter().any(|p| name.starts_with(p));
    let known = Provenance { app, recorded: recorded(tree), elsewhere: Box::new(elsewhere) };
    let mut reported = BTreeSet::new();
    for q in &queries {
        let Ok(expr) = promql::parse(&q.expr) else { continue };
        let mut problems = Vec::new();
        promql::selectors(&expr, &mut |vs| {
            f.checked();
            problems.extend(selector_problems(vs, &known));
        });
        for problem in problems {
            if reported.insert((q.file.clone(), problem.clone())) {
                f.fail(tree, &q.file, format!("{}: {problem}", q.what));
            }
        }
    }
}

fn kept_of(q: &str) -> Kept {
    kept(&promql::parse(q).unwrap())
}

fn labels(l: &[&str]) -> Kept {
    Kept::Labels(l.iter().map(|s| (*s).to_string()).collect())
}

#[test]
fn what_a_rule_keeps_follows_its_aggregation() {
    assert_eq!(kept_of("sum by (job, environment) (rate(x_total[5m]))"), labels(&["environment", "job"]));
    assert_eq!(kept_of("sum(rate(x_total[5m]))"), labels(&[]));
    assert_eq!(kept_of("sum without (pod) (x)"), Kept::Any);
    assert_eq!(kept_of("rate(x_total[5m])"), Kept::Any);
    assert_eq!(kept_of("1 - sum by (job) (a) / sum by (job) (b)"), labels(&["job"]));
    assert_eq!(kept_of("time() - max by (namespace) (x)"), labels(&["namespace"]));
    assert_eq!(kept_of("sum by (a) (x) or sum by (b) (y)"), labels(&["a", "b"]));
    assert_eq!(kept_of(r#"label_replace(sum by (a) (x), "b", "$1", "a", "(.*)")"#), labels(&["a", "b"]));
    assert_eq!(kept_of(r#"absent(up{job="a", env=~"p.*"})"#), labels(&["job"]));
    assert_eq!(kept_of("histogram_quantile(0.9, sum by (le, route) (rate(h_bucket[5m])))"), labels(&["le", "route"]));
    assert_eq!(kept_of("sum by (a) (x) * on (a) group_left (b) info"), labels(&["a", "b"]));
}

#[test]
fn only_matchers_an_unlabelled_series_fails_need_the_label() {
    let needs = |q: &str| {
        let mut out = Vec::new();
        promql::selectors(&promql::parse(q).unwrap(), &mut |vs| {
            out.extend(vs.matchers.matchers.iter().filter(|m| needs_label(&m.op, &m.value)).map(|m| m.name.clone()));
        });
        out
    };
    assert_eq!(needs(r#"x{a="1", b="", c!="1", d!="", e=~"5..", f=~".*", g!~"5..", h!~""}"#), ["a", "d", "e", "h"]);
}

#[test]
fn a_label_nothing_gives_the_series_is_reported() {
    let known = Provenance {
        app: ["job", "le", "http_route"].into_iter().map(String::from).collect(),
        recorded: BTreeMap::from([("job:errors:rate5m".to_string(), vec![labels(&["job"])])]),
        elsewhere: Box::new(metrics::platform_metric),
    };
    let problems = |q: &str| {
        let mut out = Vec::new();
        promql::selectors(&promql::parse(q).unwrap(), &mut |vs| out.extend(selector_problems(vs, &known)));
        out
    };
    assert!(problems(r#"sum(rate(h_bucket{job="a", le="0.3", http_route="/x"}[5m]))"#).is_empty());
    assert!(problems(r#"h_count{job="a", status!~"5..", tenant=""}"#).is_empty());
    assert!(problems(r#"kube_pod_info{anything="x"}"#).is_empty());
    let found = problems(r#"h_count{job="a", status=~"5.."}"#);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("selects status=~\"5..\" on h_count"), "{found:?}");
    let found = problems(r#"job:errors:rate5m{job="a", environment="production"} > 0.1"#);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("its recording rule keeps only {\"job\"}"), "{found:?}");
}

#[test]
fn the_apps_strings_are_read_in_both_spellings() {
    let names = source_names(&[(
        "app.rs".into(),
        r#"KeyValue::new("http.response.status_code", code); labels(['http_route']); x = `method`"#.into(),
    )]);
    for label in ["http_response_status_code", "http_route", "method"] {
        assert!(names.contains(label), "{label} in {names:?}");
    }
}
