//! The metrics that alerts, recording rules, SLOs and dashboards read are ones the application
//! emits: each name (`http_server_request_duration_seconds_count`) must appear as a string in the
//! app's source, in its Prometheus form or its OpenTelemetry form (`http.server.request.duration`,
//! unit and `_total`/`_bucket`/`_count` suffixes dropped). Recorded series read by dashboards
//! must be recorded by a rule, and the `job` the queries select must be a scrape job of the
//! project's collector or Prometheus configuration.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::findings::{Findings, check_every_tree};
use crate::promql;
use crate::tree::Tree;

/// Series that come from Prometheus, Kubernetes or the collector, not from the app. The
/// kube-state-metrics families of `CronJob` and `Job` objects are checked exactly
/// (`KUBE_STATE_METRICS`).
pub fn platform_metric(name: &str) -> bool {
    matches!(name, "up" | "ALERTS" | "ALERTS_FOR_STATE")
        || ["scrape_", "kube_", "container_", "node_", "kubelet_", "otelcol_", "probe_", "prometheus_"]
            .iter()
            .any(|p| name.starts_with(p))
}

/// The kube-state-metrics families of `CronJob` objects (`kube_cronjob_*`, labelled `namespace`,
/// `cronjob`) and `Job` objects (`kube_job_*`, labelled `namespace`, `job_name`) with their other
/// labels, as kube-state-metrics documents them (docs/metrics/workload/cronjob-metrics.md and
/// job-metrics.md). worker-job's alerts, run SLIs, dashboard and objective read them, so a
/// misspelt family, or a selector on a label the family does not carry (a kube-state-metrics
/// series has the object's `namespace`, not the pod's `environment`), would leave them empty
/// just as an app metric that is not emitted would: within these two prefixes, `kube_` is not
/// enough to count as platform-provided.
const KUBE_STATE_METRICS: [(&str, &[&str]); 29] = [
    ("kube_cronjob_annotations", &[]),
    ("kube_cronjob_info", &["schedule", "concurrency_policy", "timezone"]),
    ("kube_cronjob_labels", &[]),
    ("kube_cronjob_created", &[]),
    ("kube_cronjob_next_schedule_time", &[]),
    ("kube_cronjob_status_active", &[]),
    ("kube_cronjob_status_last_schedule_time", &[]),
    ("kube_cronjob_status_last_successful_time", &[]),
    ("kube_cronjob_spec_suspend", &[]),
    ("kube_cronjob_spec_starting_deadline_seconds", &[]),
    ("kube_cronjob_metadata_resource_version", &[]),
    ("kube_cronjob_spec_successful_job_history_limit", &[]),
    ("kube_cronjob_spec_failed_job_history_limit", &[]),
    ("kube_job_annotations", &[]),
    ("kube_job_info", &[]),
    ("kube_job_labels", &[]),
    ("kube_job_owner", &["owner_kind", "owner_name", "owner_is_controller"]),
    ("kube_job_spec_parallelism", &[]),
    ("kube_job_spec_completions", &[]),
    ("kube_job_spec_active_deadline_seconds", &[]),
    ("kube_job_status_active", &[]),
    ("kube_job_status_succeeded", &[]),
    ("kube_job_status_failed", &["reason"]),
    ("kube_job_status_start_time", &[]),
    ("kube_job_status_completion_time", &[]),
    ("kube_job_complete", &["condition"]),
    ("kube_job_failed", &["condition"]),
    ("kube_job_created", &[]),
    ("kube_job_status_suspended", &["condition"]),
];

/// Labels Prometheus adds to every series it scrapes from kube-state-metrics (target labels).
const SCRAPE_TARGET_LABELS: [&str; 7] = ["job", "instance", "pod", "container", "endpoint", "service", "cluster"];

/// What is wrong with the `CronJob` and `Job` selectors of `expr`: a family kube-state-metrics does
/// not export, or a label matcher its series cannot satisfy.
fn kube_state_metrics_problems(expr: &promql_parser::parser::Expr, out: &mut Vec<String>) {
    use promql_parser::parser::VectorSelector;
    let mut check = |vs: &VectorSelector| {
        let Some(name) = vs.name.as_deref() else { return };
        let object = if name.starts_with("kube_cronjob_") {
            "cronjob"
        } else if name.starts_with("kube_job_") {
            "job_name"
        } else {
            return;
        };
        let Some((_, labels)) = KUBE_STATE_METRICS.iter().find(|(family, _)| *family == name) else {
            return out.push(format!("reads {name}, which kube-state-metrics does not export"));
        };
        // `*_labels` and `*_annotations` carry `label_*` / `annotation_*` from the allowlists.
        let allowlisted = if name.ends_with("_labels") {
            Some("label_")
        } else if name.ends_with("_annotations") {
            Some("annotation_")
        } else {
            None
        };
        for m in &vs.matchers.matchers {
            let known = ["__name__", "namespace", object].contains(&m.name.as_str())
                || labels.contains(&m.name.as_str())
                || SCRAPE_TARGET_LABELS.contains(&m.name.as_str())
                || allowlisted.is_some_and(|p| m.name.starts_with(p));
            if !known {
                out.push(format!("selects {}=... on {name}, which kube-state-metrics does not label so", m.name));
            }
        }
    };
    promql::selectors(expr, &mut check);
}

/// Metric families a client library registers by itself once the app asks for its default
/// collectors: `(what the app's source says, the prefixes it then emits)`.
const DEFAULT_COLLECTORS: [(&str, &[&str]); 4] = [
    // prom-client: collectDefaultMetrics() → process_*, nodejs_*
    ("collectDefaultMetrics", &["process_", "nodejs_"]),
    // prometheus_client (Python): the default registry carries process_* and python_*
    ("prometheus_client", &["process_", "python_"]),
    // client_golang: collectors.NewGoCollector / NewProcessCollector
    ("prometheus/client_golang", &["go_", "process_"]),
    // the Rust prometheus crate's process collector
    ("ProcessCollector", &["process_"]),
];

/// The prefixes of the metric families the default collectors that `sources` turn on register.
pub fn default_collector_prefixes(sources: &[(String, String)]) -> Vec<&'static str> {
    DEFAULT_COLLECTORS
        .iter()
        .filter(|(marker, _)| sources.iter().any(|(_, t)| t.contains(marker)))
        .flat_map(|(_, prefixes)| prefixes.iter().copied())
        .collect()
}

/// Directories that hold configuration, not the application.
const NOT_APP: [&str; 7] = ["observability/", "deploy/", "infra/", "policy/", "docs/", ".github/", "scripts/"];

/// Extensions of source files that can emit metrics.
const SOURCE_EXT: [&str; 11] = ["rs", "py", "ts", "mts", "cts", "js", "mjs", "cjs", "go", "java", "kt"];

/// The application's source files and their text.
pub fn app_sources(tree: &Tree) -> Vec<(String, String)> {
    tree.files_where(|f| {
        !NOT_APP.iter().any(|d| f.starts_with(d))
            && f.rsplit_once('.').is_some_and(|(_, ext)| SOURCE_EXT.contains(&ext))
    })
    .into_iter()
    .filter_map(|f| tree.text(f).map(|t| (f.to_string(), t)))
    .collect()
}

/// The spellings under which an app's source may name metric `name`.
fn spellings(name: &str) -> Vec<String> {
    let mut out = vec![name.to_string()];
    let base = ["_bucket", "_sum", "_count", "_total", "_created"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name)
        .to_string();
    let unitless = ["_seconds", "_milliseconds", "_bytes", "_ratio"]
        .iter()
        .find_map(|s| base.strip_suffix(s))
        .unwrap_or(&base)
        .to_string();
    for s in [base, unitless] {
        out.push(s.replace('_', "."));
        out.push(s);
    }
    out.sort();
    out.dedup();
    out
}

/// The scrape job names of every Prometheus-style `scrape_configs` in the tree's YAML.
fn scrape_jobs(tree: &Tree) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    tree.each_yaml_mapping(&mut |m| {
        if let Some(Value::Array(configs)) = m.get("scrape_configs") {
            out.extend(configs.iter().filter_map(|c| c["job_name"].as_str().map(str::to_string)));
        }
    });
    out
}

#[test]
fn alert_and_dashboard_metrics_are_emitted_by_the_app() {
    check_every_tree("metric names", check_metrics);
}

/// The check behind `alert_and_dashboard_metrics_are_emitted_by_the_app`, also run on upgraded
/// projects, whose application code (seed files) is still the old version's: no exception for a
/// rename a changelog documents, since the panel stays empty all the same.
pub fn check_metrics(tree: &Tree, f: &mut Findings) {
    let queries = promql::served_queries(tree);
    if queries.is_empty() {
        return;
    }
    let recorded: BTreeSet<String> = promql::recorded_names(tree).into_iter().collect();
    let sources = app_sources(tree);
    let defaults = default_collector_prefixes(&sources);
    let jobs = scrape_jobs(tree);
    let mut reported = BTreeSet::new();
    for q in &queries {
        let Ok(expr) = promql::parse(&q.expr) else { continue }; // reported by the PromQL check
        let mut problems = Vec::new();
        kube_state_metrics_problems(&expr, &mut problems);
        for problem in problems {
            f.fail(tree, &q.file, format!("{}: {problem}", q.what));
        }
        let mut names = Vec::new();
        promql::metric_names(&expr, &mut names);
        for name in names {
            f.checked();
            let from_defaults = defaults.iter().any(|p| name.starts_with(p));
            if recorded.contains(&name) || platform_metric(&name) || from_defaults {
                continue;
            }
            if name.contains(':') {
                f.fail(
                    tree,
                    &q.file,
                    format!("{}: reads {name}, which no recording rule of the project records", q.what),
                );
                continue;
            }
            let candidates = spellings(&name);
            let emitted = sources.iter().any(|(_, text)| {
                candidates
                    .iter()
                    .any(|c| ['"', '\'', '`'].iter().any(|quote| text.contains(&format!("{quote}{c}{quote}"))))
            });
            if !emitted && reported.insert(name.clone()) {
                let files: Vec<&str> = sources.iter().map(|(f, _)| f.as_str()).collect();
                f.fail(
                    tree,
                    &q.file,
                    format!(
                        "{}: reads {name}, which the app does not emit: none of {candidates:?} is a string in its source ({})",
                        q.what,
                        if files.is_empty() { "no source files".to_string() } else { files.join(", ") }
                    ),
                );
            }
        }
        if !jobs.is_empty() {
            let mut selected = Vec::new();
            promql::label_values(&expr, "job", &mut selected);
            for job in selected.into_iter().filter(|j| !jobs.contains(j) && j != "grafana_variable") {
                f.fail(tree, &q.file, format!("{}: selects job=\"{job}\", but the scrape jobs are {jobs:?}", q.what));
            }
        }
    }
}

#[test]
fn metric_spellings_cover_prometheus_and_opentelemetry_names() {
    let s = spellings("http_server_request_duration_seconds_count");
    assert!(s.contains(&"http.server.request.duration".to_string()), "{s:?}");
    assert!(spellings("app_hello_requests_total").contains(&"app.hello.requests".to_string()));
}

#[test]
fn kube_state_metrics_selectors_are_checked_by_family_and_label() {
    let problems = |q: &str| {
        let mut out = Vec::new();
        kube_state_metrics_problems(&promql::parse(q).unwrap(), &mut out);
        out
    };
    assert!(problems(r#"kube_cronjob_status_last_schedule_time{namespace="a-production", cronjob="a"}"#).is_empty());
    assert!(problems(r#"kube_job_owner{owner_kind="CronJob", owner_name="a", job="kube-state-metrics"}"#).is_empty());
    assert!(problems(r#"kube_cronjob_labels{label_team="a"}"#).is_empty());
    assert_eq!(problems("kube_cronjob_status_last_succesful_time").len(), 1);
    assert_eq!(problems(r#"max(kube_job_failed{environment="production", cronjob="a"})"#).len(), 2);
    assert_eq!(problems(r#"kube_job_labels{annotation_x="a"}"#).len(), 1);
}
