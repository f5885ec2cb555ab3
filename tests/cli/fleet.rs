//! `pave fleet status` and `pave fleet upgrade` over a fleet of real git repositories made with
//! `pave new`: some upgradable, one conflicting, one current, broken ones (dirty, locked, detached,
//! no commits, unknown template, corrupt `.pave.toml`) and a monorepo with two projects.

use std::collections::BTreeMap;

use crate::fixtures::{APP_CONFIG_V1, MINI_MANIFEST, MINI_README};
use crate::sandbox::Sandbox;
use crate::support::{Output, Test};

/// The branch fleet upgrade writes by default.
const BRANCH: &str = "pave/app-2.0.0";

/// Every git repository of the fleet, relative to the sandbox.
const REPOS: [&str; 11] = [
    "fleet/mono",
    "fleet/svc-clean",
    "fleet/svc-conflict",
    "fleet/svc-corrupt",
    "fleet/svc-current",
    "fleet/svc-detached",
    "fleet/svc-dirty",
    "fleet/svc-edited",
    "fleet/svc-empty",
    "fleet/svc-locked",
    "fleet/svc-unknown",
];

/// The repositories a fleet upgrade can write a branch into.
const UPGRADABLE: [&str; 3] = ["fleet/mono", "fleet/svc-clean", "fleet/svc-edited"];

/// How each project of [`fleet`] ends in a default `fleet upgrade` (the report's outcome).
const OUTCOMES: [(&str, &str); 12] = [
    ("fleet/mono/services/a", "upgraded"),
    ("fleet/mono/services/b", "upgraded"),
    ("fleet/svc-clean", "upgraded"),
    ("fleet/svc-conflict", "conflict"),
    ("fleet/svc-corrupt", "failed"),
    ("fleet/svc-current", "current"),
    ("fleet/svc-detached", "failed"),
    ("fleet/svc-dirty", "failed"),
    ("fleet/svc-edited", "upgraded"),
    ("fleet/svc-empty", "failed"),
    ("fleet/svc-locked", "failed"),
    ("fleet/svc-unknown", "failed"),
];

/// `pave new app@VERSION DIR` in an existing sandbox.
fn new_app(s: &Sandbox, version: &str, dir: &str) {
    let name = dir.rsplit('/').next().unwrap().replace("svc-", "");
    s.pave_ok(&["new", &format!("app@{version}"), dir, "-d", &format!("service_name={name}")]);
}

/// The fleet under `fleet/`, every project made with `pave new` from the `app` fixture at 1.0.0
/// (one at 2.0.0), each repository in the state its name says.
fn fleet() -> Output {
    let out = Test::app().args(["new", "app@1.0.0", "fleet/svc-clean", "-d", "service_name=clean"]).run();
    let s: &Sandbox = &out;

    new_app(s, "1.0.0", "fleet/svc-edited");
    s.write("fleet/svc-edited/config/app.yaml", APP_CONFIG_V1.replace("replicas: 2", "replicas: 5"));
    s.commit_all("fleet/svc-edited", "more replicas");

    new_app(s, "1.0.0", "fleet/svc-conflict");
    s.write("fleet/svc-conflict/config/app.yaml", APP_CONFIG_V1.replace("port: 8080", "port: 7000"));
    s.commit_all("fleet/svc-conflict", "our port");

    new_app(s, "2.0.0", "fleet/svc-current");

    new_app(s, "1.0.0", "fleet/svc-dirty");
    s.write("fleet/svc-dirty/docs/guide.md", "work in progress\n");

    new_app(s, "1.0.0", "fleet/svc-locked");
    s.write("fleet/svc-locked/.git/index.lock", "");

    new_app(s, "1.0.0", "fleet/svc-detached");
    s.git("fleet/svc-detached", &["checkout", "-q", "--detach"]);

    s.pave_ok(&["new", "app@1.0.0", "fleet/svc-empty", "--no-git", "-d", "service_name=empty"]);
    s.git("fleet/svc-empty", &["init", "-q", "-b", "main"]);

    new_app(s, "1.0.0", "fleet/svc-unknown");
    let text = s.read("fleet/svc-unknown/.pave.toml").replace("name = \"app\"", "name = \"nope\"");
    s.write("fleet/svc-unknown/.pave.toml", text);
    s.commit_all("fleet/svc-unknown", "a template that is not in the catalog");

    new_app(s, "1.0.0", "fleet/svc-corrupt");
    let text = s.read("fleet/svc-corrupt/.pave.toml").replace("version = \"1.0.0\"", "version = [");
    s.write("fleet/svc-corrupt/.pave.toml", text);
    s.commit_all("fleet/svc-corrupt", "break the record");

    s.git_repo("fleet/mono");
    new_app(s, "1.0.0", "fleet/mono/services/a");
    new_app(s, "1.0.0", "fleet/mono/services/b");
    s.commit_all("fleet/mono", "two services");
    out
}

/// What the user sees of a repository's working tree and checkout: files, status, HEAD, the
/// checked-out branch and the index (not the other refs, which a fleet upgrade may add).
fn checkout_state(s: &Sandbox, repo: &str) -> String {
    let state = s.state(repo);
    let mut out: Vec<&str> = Vec::new();
    let mut in_refs = false;
    for line in state.lines() {
        if line.starts_with("$ git ") {
            in_refs = line.starts_with("$ git for-each-ref");
        }
        if !in_refs {
            out.push(line);
        }
    }
    let branch = s.git_output(repo, &["branch", "--show-current"]);
    format!("{}\nbranch: {}", out.join("\n"), String::from_utf8_lossy(&branch.stdout))
}

/// Every repository's checkout state and refs, to compare before and after a run.
fn snapshot(s: &Sandbox) -> BTreeMap<&'static str, (String, String)> {
    REPOS
        .iter()
        .map(|r| {
            let refs = s.git_output(r, &["for-each-ref", "--format=%(refname) %(objectname)"]);
            (*r, (checkout_state(s, r), String::from_utf8_lossy(&refs.stdout).into_owned()))
        })
        .collect()
}

/// A JSON report written by `--report`, parsed.
fn report(s: &Sandbox, rel: &str) -> serde_json::Value {
    let text = s.read(rel);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}\n{text}"))
}

/// path → outcome of every project in a report.
fn outcomes(report: &serde_json::Value) -> BTreeMap<String, String> {
    report["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["path"].as_str().unwrap().to_string(), p["outcome"].as_str().unwrap().to_string()))
        .collect()
}

/// One project of a report.
fn project<'a>(report: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    report["projects"].as_array().unwrap().iter().find(|p| p["path"] == path).unwrap_or_else(|| panic!("{path} not in the report"))
}

fn expected_outcomes() -> BTreeMap<String, String> {
    OUTCOMES.iter().map(|(p, o)| ((*p).to_string(), (*o).to_string())).collect()
}

/// Whether `branch` exists in `repo`.
fn has_branch(s: &Sandbox, repo: &str, branch: &str) -> bool {
    !s.git(repo, &["branch", "--list", branch]).is_empty()
}

// ---- fleet status ----

#[test]
fn fleet_status_lists_every_project_with_its_version_latest_and_how_far_behind() {
    let out = fleet().then().args(["fleet", "status", "fleet"]).run();
    let rows: BTreeMap<&str, Vec<&str>> =
        out.stdout.lines().skip(1).map(|l| (l.split_whitespace().next().unwrap(), l.split_whitespace().collect())).collect();
    assert_eq!(rows.len(), 12, "{}", out.stdout);
    assert!(out.stdout.starts_with("PATH"), "{}", out.stdout);
    assert_eq!(rows["fleet/svc-clean"][1..6], ["app", "1.0.0", "2.0.0", "major", "stable"], "{}", out.stdout);
    assert_eq!(rows["fleet/svc-current"][1..6], ["app", "2.0.0", "2.0.0", "current", "stable"], "{}", out.stdout);
    assert_eq!(rows["fleet/mono/services/b"][1..3], ["app", "1.0.0"], "{}", out.stdout);
    let corrupt = out.stdout.lines().find(|l| l.starts_with("fleet/svc-corrupt ")).unwrap();
    assert!(corrupt.contains("fleet/svc-corrupt/.pave.toml:5:9:"), "the reason, with file and line: {corrupt}");
    let unknown = out.stdout.lines().find(|l| l.starts_with("fleet/svc-unknown ")).unwrap();
    assert!(unknown.contains("unknown template `nope`"), "{unknown}");
    assert!(out.stderr.starts_with("12 projects: 1 current · 9 behind"), "{}", out.stderr);
    assert!(out.stderr.contains("1 unreadable"), "{}", out.stderr);
    assert!(out.stderr.contains("app: 2.0.0 ×1, 1.0.0 ×9"), "{}", out.stderr);
}

#[test]
fn fleet_status_json_has_the_fields_of_every_project_and_a_summary() {
    let out = fleet().then().args(["fleet", "status", "fleet", "--json"]).run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", out.stdout));
    let projects = doc["projects"].as_array().unwrap();
    let paths: Vec<&str> = projects.iter().map(|p| p["path"].as_str().unwrap()).collect();
    assert_eq!(paths, OUTCOMES.map(|(p, _)| p), "every project, in path order");
    for p in projects {
        for key in ["path", "template", "version", "latest", "behind", "maturity", "violations"] {
            assert!(p.get(key).is_some(), "{key} missing in {p}");
        }
    }
    let clean = projects.iter().find(|p| p["path"] == "fleet/svc-clean").unwrap();
    assert_eq!(clean["template"], "app");
    assert_eq!(clean["version"], "1.0.0");
    assert_eq!(clean["latest"], "2.0.0");
    assert_eq!(clean["behind"], "major");
    assert_eq!(clean["maturity"], "stable");
    assert_eq!(clean["violations"], 0);
    let corrupt = projects.iter().find(|p| p["path"] == "fleet/svc-corrupt").unwrap();
    assert!(corrupt["error"].as_str().unwrap().contains("fleet/svc-corrupt/.pave.toml:5:9:"), "{corrupt}");
    assert_eq!(doc["summary"]["projects"], 12);
    assert_eq!(doc["summary"]["current"], 1);
    assert_eq!(doc["summary"]["unreadable"], 1);
}

#[test]
fn fleet_status_html_writes_a_self_contained_page() {
    let out = fleet().then().args(["fleet", "status", "fleet", "--html", "status.html"]).stderr_contains("status.html").run();
    let html = out.read("status.html");
    assert!(html.contains("<svg"), "charts are inline SVG");
    assert!(!html.contains("http://") && !html.contains("https://"), "no network references:\n{html}");
    assert!(!html.contains("<script"), "no scripts");
    for (path, _) in OUTCOMES {
        assert!(html.contains(path), "{path} missing from the page");
    }
}

#[test]
fn fleet_status_changes_nothing() {
    let out = fleet();
    let before = snapshot(&out);
    let out = out.then().args(["fleet", "status", "fleet", "--json"]).run();
    assert_eq!(snapshot(&out), before);
}

// ---- fleet upgrade ----

#[test]
fn fleet_upgrade_reports_every_project_and_exits_1_when_some_failed() {
    let out = fleet().then().args(["fleet", "upgrade", "fleet", "--report", "r.json"]).status(1).run();
    let r = report(&out, "r.json");
    assert_eq!(outcomes(&r), expected_outcomes());
    for p in r["projects"].as_array().unwrap() {
        for key in ["path", "template", "from", "to", "outcome", "branch", "commit", "files_changed", "conflicts", "error"] {
            assert!(p.get(key).is_some(), "{key} missing in {p}");
        }
    }
    let clean = project(&r, "fleet/svc-clean");
    assert_eq!((clean["from"].as_str(), clean["to"].as_str()), (Some("1.0.0"), Some("2.0.0")));
    assert_eq!(clean["branch"], BRANCH);
    assert_eq!(clean["commit"].as_str().unwrap(), out.git("fleet/svc-clean", &["rev-parse", BRANCH]).trim());
    assert_eq!(clean["files_changed"], 8);
    let conflict = project(&r, "fleet/svc-conflict");
    assert_eq!(conflict["conflicts"], serde_json::json!(["config/app.yaml"]));
    assert_eq!(conflict["branch"], serde_json::Value::Null);
    for (path, reason) in [
        ("fleet/svc-dirty", "uncommitted changes"),
        ("fleet/svc-locked", "index.lock"),
        ("fleet/svc-detached", "detached"),
        ("fleet/svc-empty", "no commits"),
        ("fleet/svc-unknown", "nope"),
        ("fleet/svc-corrupt", ".pave.toml"),
    ] {
        let error = project(&r, path)["error"].as_str().unwrap_or_default().to_string();
        assert!(error.contains(reason), "{path}: {error:?} should say {reason:?}");
    }
    assert!(out.stderr.contains("failed:"), "{}", out.stderr);
    assert!(out.stderr.contains("--only-failed r.json"), "{}", out.stderr);
}

#[test]
fn fleet_upgrade_writes_branches_only_in_upgradable_repos_and_never_touches_working_trees() {
    let out = fleet();
    let before = snapshot(&out);
    let out = out.then().args(["fleet", "upgrade", "fleet"]).status(1).run();
    let after = snapshot(&out);
    for repo in REPOS {
        assert_eq!(after[repo].0, before[repo].0, "{repo}: working tree, index, HEAD or checked-out branch changed");
        if UPGRADABLE.contains(&repo) {
            assert!(has_branch(&out, repo, BRANCH), "{repo} has no {BRANCH}");
            out.git(repo, &["fsck", "--strict", "--no-progress"]);
        } else {
            assert_eq!(after[repo].1, before[repo].1, "{repo}: refs changed");
        }
    }
    for repo in ["fleet/svc-clean", "fleet/svc-edited"] {
        let head = out.head(repo);
        assert_eq!(out.git(repo, &["rev-parse", &format!("{BRANCH}^")]).trim(), head, "{repo}: the parent is HEAD");
        assert_eq!(out.git(repo, &["rev-list", "--count", &format!("HEAD..{BRANCH}")]).trim(), "1");
    }
    assert_eq!(out.git("fleet/svc-edited", &["show", &format!("{BRANCH}:config/app.yaml")]).lines().nth(3), Some("replicas: 5"));
    assert!(out.git("fleet/svc-clean", &["show", &format!("{BRANCH}:.pave.toml")]).contains("version = \"2.0.0\""));
    assert_eq!(out.git("fleet/svc-clean", &["ls-tree", BRANCH, "run.sh"]).split_whitespace().next(), Some("100755"));
    assert_eq!(out.git("fleet/svc-clean", &["ls-tree", "-r", "--name-only", BRANCH, "legacy"]), "");
}

#[test]
fn fleet_upgrade_branch_holds_the_same_tree_as_pave_upgrade() {
    let out = fleet();
    let out = out.then().args(["fleet", "upgrade", "fleet"]).status(1).run();
    let repo = "fleet/svc-edited";
    let branch_tree = out.git(repo, &["rev-parse", &format!("{BRANCH}^{{tree}}")]);
    let out = out.then().args(["upgrade", repo, "--commit"]).run();
    assert_eq!(out.git(repo, &["rev-parse", "HEAD^{tree}"]), branch_tree, "fleet and upgrade write the same files");
}

#[test]
fn fleet_upgrade_writes_one_branch_with_both_projects_of_a_monorepo() {
    let out = fleet().then().args(["fleet", "upgrade", "fleet"]).status(1).run();
    let refs = out.git("fleet/mono", &["for-each-ref", "--format=%(refname)", "refs/heads"]);
    assert_eq!(refs, format!("refs/heads/main\nrefs/heads/{BRANCH}\n"));
    let changed = out.git("fleet/mono", &["diff", "--name-only", "HEAD", BRANCH]);
    for project in ["services/a", "services/b"] {
        assert!(changed.lines().any(|l| l == format!("{project}/README.md")), "{project} missing:\n{changed}");
        let record = out.git("fleet/mono", &["show", &format!("{BRANCH}:{project}/.pave.toml")]);
        assert!(record.contains("version = \"2.0.0\""), "{record}");
    }
    assert!(
        out.git_output("fleet/mono", &["merge-base", "--is-ancestor", "HEAD", BRANCH]).status.success(),
        "the branch grows from HEAD"
    );
}

#[test]
fn fleet_upgrade_on_conflict_commit_writes_the_markers_on_a_branch() {
    let out = fleet();
    let state = checkout_state(&out, "fleet/svc-conflict");
    let out = out
        .then()
        .args(["fleet", "upgrade", "fleet", "--on-conflict", "commit", "--report", "r.json"])
        .status(1)
        .run();
    let r = report(&out, "r.json");
    assert_eq!(project(&r, "fleet/svc-conflict")["outcome"], "conflict-committed");
    let file = out.git("fleet/svc-conflict", &["show", &format!("{BRANCH}:config/app.yaml")]);
    assert!(file.contains("<<<<<<< local\nport: 7000\n=======\nport: 9090\n>>>>>>> app 2.0.0\n"), "{file}");
    assert_eq!(checkout_state(&out, "fleet/svc-conflict"), state);
}

#[test]
fn fleet_upgrade_leaves_someone_elses_branch_alone() {
    let out = fleet();
    let repo = "fleet/svc-clean";
    out.git(repo, &["checkout", "-q", "-b", BRANCH]);
    out.write(&format!("{repo}/docs/guide.md"), "a colleague's work\n");
    out.commit_all(repo, "by hand");
    out.git(repo, &["checkout", "-q", "main"]);
    let theirs = out.git(repo, &["rev-parse", BRANCH]);
    let out = out.then().args(["fleet", "upgrade", "fleet", "--report", "r.json"]).status(1).run();
    assert_eq!(out.git(repo, &["rev-parse", BRANCH]), theirs, "the branch was moved");
    let r = report(&out, "r.json");
    assert_eq!(project(&r, repo)["outcome"], "skipped");
    assert!(project(&r, repo)["error"].as_str().unwrap().contains("already exists"));
}

#[test]
fn fleet_upgrade_runs_again_over_its_own_branch() {
    let out = fleet().then().args(["fleet", "upgrade", "fleet"]).status(1).run();
    let out = out.then().args(["fleet", "upgrade", "fleet", "--report", "r.json"]).status(1).run();
    assert_eq!(outcomes(&report(&out, "r.json")), expected_outcomes());
    for repo in ["fleet/svc-clean", "fleet/svc-edited"] {
        assert_eq!(out.git(repo, &["rev-parse", &format!("{BRANCH}^")]).trim(), out.head(repo));
    }
    assert_eq!(out.git("fleet/mono", &["rev-list", "--count", &format!("HEAD..{BRANCH}")]).trim(), "2");
    let changed = out.git("fleet/mono", &["diff", "--name-only", "HEAD", BRANCH]);
    assert!(changed.contains("services/a/README.md") && changed.contains("services/b/README.md"), "{changed}");
}

#[test]
fn fleet_upgrade_dry_run_writes_no_branch() {
    let out = fleet();
    let before = snapshot(&out);
    let out = out.then().args(["fleet", "upgrade", "fleet", "--dry-run", "--report", "r.json"]).status(1).run();
    assert_eq!(snapshot(&out), before);
    let r = report(&out, "r.json");
    assert_eq!(project(&r, "fleet/svc-clean")["outcome"], "would-upgrade");
    assert_eq!(project(&r, "fleet/svc-clean")["commit"], serde_json::Value::Null);
}

#[test]
fn fleet_upgrade_report_md_is_a_markdown_table_of_every_project() {
    let out = fleet().then().args(["fleet", "upgrade", "fleet", "--report", "r.md"]).status(1).run();
    let md = out.read("r.md");
    assert!(md.starts_with("# pave fleet upgrade\n"), "{md}");
    assert!(md.contains("| project | template | from | to | outcome |"), "{md}");
    for (path, outcome) in OUTCOMES {
        let row = md.lines().find(|l| l.starts_with(&format!("| {path} |"))).unwrap_or_else(|| panic!("{path}:\n{md}"));
        assert!(row.contains(&format!("| {outcome} |")), "{row}");
    }
}

#[test]
fn fleet_upgrade_only_failed_reruns_only_the_failed_projects() {
    let out = fleet().then().args(["fleet", "upgrade", "fleet", "--report", "r.json"]).status(1).run();
    let failed: Vec<String> =
        outcomes(&report(&out, "r.json")).into_iter().filter(|(_, o)| o == "failed").map(|(p, _)| p).collect();
    out.commit_all("fleet/svc-dirty", "finish the work");
    let out = out.then().args(["fleet", "upgrade", "--only-failed", "r.json", "--report", "r2.json"]).status(1).run();
    let again = outcomes(&report(&out, "r2.json"));
    assert_eq!(again.keys().cloned().collect::<Vec<_>>(), failed);
    assert_eq!(again["fleet/svc-dirty"], "upgraded");
    assert!(has_branch(&out, "fleet/svc-dirty", BRANCH));
}

#[test]
fn fleet_upgrade_shards_cover_every_project_exactly_once() {
    let mut out = fleet();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for i in 1..=3 {
        let rel = format!("r{i}.json");
        out = out.then().args(["fleet", "upgrade", "fleet", "--dry-run", "--shard", &format!("{i}/3"), "--report", &rel]).failure().run();
        for path in outcomes(&report(&out, &rel)).into_keys() {
            *seen.entry(path).or_default() += 1;
        }
    }
    let every: BTreeMap<String, usize> = OUTCOMES.iter().map(|(p, _)| ((*p).to_string(), 1)).collect();
    assert_eq!(seen, every);
}

#[test]
fn fleet_upgrade_shards_keep_both_projects_of_a_monorepo_on_its_branch() {
    // The two projects of fleet/mono fall in different shards of 3; running the shards one after
    // the other must still leave one branch holding both upgrades.
    let mut out = fleet();
    for i in 1..=3 {
        out = out.then().args(["fleet", "upgrade", "fleet", "--shard", &format!("{i}/3")]).failure().run();
    }
    for project in ["services/a", "services/b"] {
        let record = out.git("fleet/mono", &["show", &format!("{BRANCH}:{project}/.pave.toml")]);
        assert!(record.contains("version = \"2.0.0\""), "{project} lost from {BRANCH}:\n{record}");
    }
}

#[test]
fn fleet_upgrade_template_filters_the_projects() {
    let out = fleet();
    out.write(
        "catalog/catalog.toml",
        format!(
            "{}\n[[template]]\nname = \"mini\"\nmaturity = \"stable\"\nowner = \"platform-team\"\n",
            out.read("catalog/catalog.toml")
        ),
    );
    for v in ["1.0.0", "2.0.0"] {
        out.write(&format!("{}/template.toml", Test::version_dir("mini", v)), MINI_MANIFEST);
        out.write(&format!("{}/files/README.md.tera", Test::version_dir("mini", v)), MINI_README);
    }
    out.pave_ok(&["new", "mini@1.0.0", "fleet/svc-mini", "-d", "service_name=mini"]);
    let out = out.then().args(["fleet", "upgrade", "fleet", "--template", "mini", "--report", "r.json"]).status(1).run();
    let r = outcomes(&report(&out, "r.json"));
    assert_eq!(r["fleet/svc-mini"], "upgraded");
    assert_eq!(r["fleet/svc-clean"], "skipped");
    assert_eq!(r["fleet/mono/services/a"], "skipped");
    assert!(has_branch(&out, "fleet/svc-mini", "pave/mini-2.0.0"));
    for repo in UPGRADABLE {
        assert!(!has_branch(&out, repo, BRANCH), "{repo} was upgraded despite --template mini");
    }
}

#[test]
fn fleet_upgrade_exits_0_when_every_project_is_upgraded_or_current() {
    let out = Test::app().args(["new", "app@1.0.0", "fleet/svc-clean", "-d", "service_name=clean"]).run();
    new_app(&out, "2.0.0", "fleet/svc-current");
    let out = out.then().args(["fleet", "upgrade", "fleet", "--report", "r.json"]).run();
    let r = outcomes(&report(&out, "r.json"));
    assert_eq!(r["fleet/svc-clean"], "upgraded");
    assert_eq!(r["fleet/svc-current"], "current");
    assert!(out.stderr.contains("working trees untouched"), "{}", out.stderr);
}

#[test]
fn fleet_upgrade_exits_3_when_only_conflicts_remain() {
    let out = Test::app().args(["new", "app@1.0.0", "fleet/svc-clean", "-d", "service_name=clean"]).run();
    new_app(&out, "1.0.0", "fleet/svc-conflict");
    out.write("fleet/svc-conflict/config/app.yaml", APP_CONFIG_V1.replace("port: 8080", "port: 7000"));
    out.commit_all("fleet/svc-conflict", "our port");
    let out = out.then().args(["fleet", "upgrade", "fleet"]).status(3).stderr_contains("svc-conflict").run();
    assert!(!has_branch(&out, "fleet/svc-conflict", BRANCH));
    assert!(has_branch(&out, "fleet/svc-clean", BRANCH));
}

#[test]
fn fleet_upgrade_a_corrupted_repository_never_stops_the_others() {
    let out = Test::app().args(["new", "app@1.0.0", "fleet/a-svc", "-d", "service_name=a"]).run();
    new_app(&out, "1.0.0", "fleet/m-broken");
    new_app(&out, "1.0.0", "fleet/z-svc");
    // Every object of the middle repository is gone: HEAD names a commit that no longer exists.
    out.remove("fleet/m-broken/.git/objects");
    std::fs::create_dir(out.path("fleet/m-broken/.git/objects")).unwrap();
    let out = out.then().args(["fleet", "upgrade", "fleet", "--jobs", "1", "--report", "r.json"]).status(1).run();
    let r = report(&out, "r.json");
    let o = outcomes(&r);
    assert_eq!(o.len(), 3);
    assert_eq!(o["fleet/a-svc"], "upgraded");
    assert_eq!(o["fleet/m-broken"], "failed");
    assert_eq!(o["fleet/z-svc"], "upgraded");
    assert!(!project(&r, "fleet/m-broken")["error"].as_str().unwrap_or_default().is_empty());
    assert!(has_branch(&out, "fleet/z-svc", BRANCH));
}
