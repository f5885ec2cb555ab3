//! `pave fleet status` and `pave fleet upgrade` over a fleet of real git repositories made with
//! `pave new`: some upgradable, one conflicting, one current, broken ones (dirty, locked, detached,
//! no commits, unknown template, corrupt `.pave.toml`) and a monorepo with two projects.

use std::collections::BTreeMap;

use crate::fixtures::{APP_CONFIG_V1, MINI_MANIFEST, MINI_README};
use crate::sandbox::Sandbox;
use crate::support::Test;

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
    ("fleet/svc-current", "up-to-date"),
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

/// Makes the repository `repo` of the fleet (one of [`REPOS`]) with `pave new` from the `app`
/// fixture, in the state its name says.
fn add_repo(s: &Sandbox, repo: &str) {
    match repo {
        "fleet/svc-clean" => new_app(s, "1.0.0", repo),
        "fleet/svc-edited" => {
            new_app(s, "1.0.0", repo);
            s.write(&format!("{repo}/config/app.yaml"), APP_CONFIG_V1.replace("replicas: 2", "replicas: 5"));
            s.commit_all(repo, "more replicas");
        }
        "fleet/svc-conflict" => {
            new_app(s, "1.0.0", repo);
            s.write(&format!("{repo}/config/app.yaml"), APP_CONFIG_V1.replace("port: 8080", "port: 7000"));
            s.commit_all(repo, "our port");
        }
        "fleet/svc-current" => new_app(s, "2.0.0", repo),
        "fleet/svc-dirty" => {
            new_app(s, "1.0.0", repo);
            s.write(&format!("{repo}/docs/guide.md"), "work in progress\n");
        }
        "fleet/svc-locked" => {
            new_app(s, "1.0.0", repo);
            s.write(&format!("{repo}/.git/index.lock"), "");
        }
        "fleet/svc-detached" => {
            new_app(s, "1.0.0", repo);
            s.git(repo, &["checkout", "-q", "--detach"]);
        }
        "fleet/svc-empty" => {
            s.pave_ok(&["new", "app@1.0.0", repo, "--no-git", "-d", "service_name=empty"]);
            s.git(repo, &["init", "-q", "-b", "main"]);
        }
        "fleet/svc-unknown" => {
            new_app(s, "1.0.0", repo);
            let text = s.read(&format!("{repo}/.pave.toml")).replace("name = \"app\"", "name = \"nope\"");
            s.write(&format!("{repo}/.pave.toml"), text);
            s.commit_all(repo, "a template that is not in the catalog");
        }
        "fleet/svc-corrupt" => {
            new_app(s, "1.0.0", repo);
            let text = s.read(&format!("{repo}/.pave.toml")).replace("version = \"1.0.0\"", "version = [");
            s.write(&format!("{repo}/.pave.toml"), text);
            s.commit_all(repo, "break the record");
        }
        "fleet/mono" => {
            s.git_repo(repo);
            new_app(s, "1.0.0", &format!("{repo}/services/a"));
            new_app(s, "1.0.0", &format!("{repo}/services/b"));
            s.commit_all(repo, "two services");
        }
        other => panic!("no such fleet repository: {other}"),
    }
}

/// A sandbox with the `app` catalog and these repositories of the fleet under `fleet/`.
fn fleet_of(repos: &[&str]) -> Sandbox {
    let s = Test::app().into_sandbox();
    for repo in repos {
        add_repo(&s, repo);
    }
    s
}

/// The whole fleet: every repository of [`REPOS`].
fn fleet() -> Sandbox {
    fleet_of(&REPOS)
}

/// A run of pave in the fleet's sandbox.
fn pave(s: Sandbox) -> Test {
    Test::with_sandbox(s)
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
    report["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in the report"))
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
    let out = pave(fleet()).args(["fleet", "status", "fleet"]).run();
    let rows: BTreeMap<&str, Vec<&str>> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| (l.split_whitespace().next().unwrap(), l.split_whitespace().collect()))
        .collect();
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
    let out = pave(fleet()).args(["fleet", "status", "fleet", "--json"]).run();
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
    let out =
        pave(fleet()).args(["fleet", "status", "fleet", "--html", "status.html"]).stderr_contains("status.html").run();
    let html = out.read("status.html");
    assert!(html.contains("<svg"), "charts are inline SVG");
    assert!(!html.contains("http://") && !html.contains("https://"), "no network references:\n{html}");
    assert!(!html.contains("<script"), "no scripts");
    for (path, _) in OUTCOMES {
        assert!(html.contains(path), "{path} missing from the page");
    }
    let before = std::fs::metadata(out.path("status.html")).and_then(|m| m.modified()).unwrap();
    let out = out
        .then()
        .args(["fleet", "status", "fleet", "--html", "status.html"])
        .stderr_contains("status.html is up to date: nothing written")
        .run();
    let after = std::fs::metadata(out.path("status.html")).and_then(|m| m.modified()).unwrap();
    assert_eq!(after, before, "the same page is not written again");
}

#[test]
fn fleet_status_changes_nothing() {
    let s = fleet();
    let before = snapshot(&s);
    let out = pave(s).args(["fleet", "status", "fleet", "--json"]).run();
    assert_eq!(snapshot(&out), before);
}

// ---- fleet upgrade ----

#[test]
fn fleet_upgrade_reports_every_project_and_exits_1_when_some_failed() {
    let out = pave(fleet()).args(["fleet", "upgrade", "fleet", "--report", "r.json"]).status(1).run();
    let r = report(&out, "r.json");
    assert_eq!(outcomes(&r), expected_outcomes());
    for p in r["projects"].as_array().unwrap() {
        for key in
            ["path", "template", "from", "to", "outcome", "branch", "commit", "files_changed", "conflicts", "error"]
        {
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
fn fleet_upgrade_refuses_every_kind_of_uncommitted_change_and_only_those() {
    let s = Test::app().into_sandbox();
    for name in ["edited", "staged", "deleted", "executable", "same-size-and-time", "touched"] {
        new_app(&s, "1.0.0", &format!("fleet/svc-{name}"));
    }
    add_repo(&s, "fleet/mono");
    let guide = |name: &str| format!("fleet/svc-{name}/docs/guide.md");
    s.write(&guide("edited"), "work in progress\n");
    s.write(&guide("staged"), "staged work\n");
    s.git("fleet/svc-staged", &["add", "docs/guide.md"]);
    std::fs::remove_file(s.path(&guide("deleted"))).unwrap();
    let mut perms = std::fs::metadata(s.path(&guide("executable"))).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(s.path(&guide("executable")), perms).unwrap();
    // The same number of bytes, and the old modification time put back: only the inode's
    // change time tells.
    let path = s.path(&guide("same-size-and-time"));
    let before = std::fs::metadata(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.to_uppercase()).unwrap();
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(before.modified().unwrap()).unwrap();
    // Written again with the same bytes: not a change, though its times moved.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(s.path(&guide("touched")), std::fs::read(s.path(&guide("touched"))).unwrap()).unwrap();
    // In a monorepo, a change in one project's directory is that project's alone.
    s.write("fleet/mono/services/b/docs/guide.md", "b's work in progress\n");
    let out = pave(s).args(["fleet", "upgrade", "fleet", "--report", "r.json"]).status(1).run();
    let r = report(&out, "r.json");
    for path in ["edited", "staged", "deleted", "executable", "same-size-and-time", "mono/services/b"] {
        let path = if path.contains('/') { format!("fleet/{path}") } else { format!("fleet/svc-{path}") };
        let row = project(&r, &path);
        assert_eq!(row["outcome"], "failed", "{path}: {row}");
        let error = row["error"].as_str().unwrap_or_default();
        assert!(error.contains("uncommitted changes") && error.contains("docs/guide.md"), "{path}: {error}");
    }
    for path in ["fleet/svc-touched", "fleet/mono/services/a"] {
        let row = project(&r, path);
        assert_eq!(row["outcome"], "upgraded", "{path}: {row}");
    }
}

#[test]
fn fleet_upgrade_writes_branches_only_in_upgradable_repos_and_never_touches_working_trees() {
    let s = fleet();
    let before = snapshot(&s);
    let loose_before: std::collections::HashMap<&str, String> = REPOS
        .iter()
        .map(|repo| (*repo, s.git(repo, &["count-objects", "-v"]).lines().next().unwrap_or_default().to_string()))
        .collect();
    let out = pave(s).args(["fleet", "upgrade", "fleet"]).status(1).run();
    let after = snapshot(&out);
    for repo in REPOS {
        assert_eq!(after[repo].0, before[repo].0, "{repo}: working tree, index, HEAD or checked-out branch changed");
        if UPGRADABLE.contains(&repo) {
            assert!(has_branch(&out, repo, BRANCH), "{repo} has no {BRANCH}");
            out.git(repo, &["fsck", "--strict", "--no-progress"]);
            // The branch's new objects are one pack, not a loose file each.
            let objects = out.git(repo, &["count-objects", "-v"]);
            let loose = objects.lines().next().unwrap_or_default();
            assert_eq!(loose, loose_before[repo], "{repo}: loose objects were written\n{objects}");
        } else {
            assert_eq!(after[repo].1, before[repo].1, "{repo}: refs changed");
        }
    }
    for repo in ["fleet/svc-clean", "fleet/svc-edited"] {
        let head = out.head(repo);
        assert_eq!(out.git(repo, &["rev-parse", &format!("{BRANCH}^")]).trim(), head, "{repo}: the parent is HEAD");
        assert_eq!(out.git(repo, &["rev-list", "--count", &format!("HEAD..{BRANCH}")]).trim(), "1");
    }
    let edited = out.git("fleet/svc-edited", &["show", &format!("{BRANCH}:config/app.yaml")]);
    assert_eq!(edited.lines().nth(3), Some("replicas: 5"), "the local edit is merged:\n{edited}");
    assert!(out.git("fleet/svc-clean", &["show", &format!("{BRANCH}:.pave.toml")]).contains("version = \"2.0.0\""));
    assert_eq!(out.git("fleet/svc-clean", &["ls-tree", BRANCH, "run.sh"]).split_whitespace().next(), Some("100755"));
    assert_eq!(out.git("fleet/svc-clean", &["ls-tree", "-r", "--name-only", BRANCH, "legacy"]), "");
}

#[test]
fn fleet_upgrade_branch_holds_the_same_tree_as_pave_upgrade() {
    let out = pave(fleet_of(&["fleet/svc-edited"])).args(["fleet", "upgrade", "fleet"]).run();
    let repo = "fleet/svc-edited";
    let branch_tree = out.git(repo, &["rev-parse", &format!("{BRANCH}^{{tree}}")]);
    let out = out.then().args(["upgrade", repo, "--commit"]).run();
    assert_eq!(out.git(repo, &["rev-parse", "HEAD^{tree}"]), branch_tree, "fleet and upgrade write the same files");
}

#[test]
fn fleet_upgrade_writes_one_branch_with_both_projects_of_a_monorepo() {
    let s = fleet_of(&["fleet/mono"]);
    let state = checkout_state(&s, "fleet/mono");
    let out = pave(s).args(["fleet", "upgrade", "fleet"]).run();
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
    assert_eq!(checkout_state(&out, "fleet/mono"), state);
    out.git("fleet/mono", &["fsck", "--strict", "--no-progress"]);
}

#[test]
fn fleet_upgrade_on_conflict_commit_writes_the_markers_on_a_branch() {
    let s = fleet_of(&["fleet/svc-conflict"]);
    let state = checkout_state(&s, "fleet/svc-conflict");
    let out =
        pave(s).args(["fleet", "upgrade", "fleet", "--on-conflict", "commit", "--report", "r.json"]).status(3).run();
    let r = report(&out, "r.json");
    assert_eq!(project(&r, "fleet/svc-conflict")["outcome"], "conflict");
    assert_eq!(
        project(&r, "fleet/svc-conflict")["commit"].as_str().unwrap(),
        out.git("fleet/svc-conflict", &["rev-parse", BRANCH]).trim()
    );
    let file = out.git("fleet/svc-conflict", &["show", &format!("{BRANCH}:config/app.yaml")]);
    assert!(file.contains("<<<<<<< local\nport: 7000\n=======\nport: 9090\n>>>>>>> app 2.0.0\n"), "{file}");
    assert_eq!(checkout_state(&out, "fleet/svc-conflict"), state);
}

#[test]
fn fleet_upgrade_leaves_someone_elses_branch_alone() {
    let s = fleet_of(&["fleet/svc-clean", "fleet/svc-edited"]);
    let repo = "fleet/svc-clean";
    s.git(repo, &["checkout", "-q", "-b", BRANCH]);
    s.write(&format!("{repo}/docs/guide.md"), "a colleague's work\n");
    s.commit_all(repo, "by hand");
    s.git(repo, &["checkout", "-q", "main"]);
    let theirs = s.git(repo, &["rev-parse", BRANCH]);
    let out = pave(s).args(["fleet", "upgrade", "fleet", "--report", "r.json"]).run();
    assert_eq!(out.git(repo, &["rev-parse", BRANCH]), theirs, "the branch was moved");
    let r = report(&out, "r.json");
    assert_eq!(project(&r, repo)["outcome"], "edited");
    assert!(project(&r, repo)["error"].as_str().unwrap().contains("not pave's"));
    assert_eq!(project(&r, "fleet/svc-edited")["outcome"], "upgraded");
}

#[test]
fn fleet_upgrade_explains_a_branch_another_process_holds_locked() {
    let s = fleet_of(&["fleet/svc-clean", "fleet/svc-edited"]);
    // What a git process writing the branch at that moment (or one that crashed) leaves.
    s.write(&format!("fleet/svc-clean/.git/refs/heads/{BRANCH}.lock"), "");
    let out = pave(s).args(["fleet", "upgrade", "fleet", "--report", "r.json"]).status(1).run();
    let r = report(&out, "r.json");
    let locked = project(&r, "fleet/svc-clean");
    assert_eq!(locked["outcome"], "failed");
    let error = locked["error"].as_str().unwrap();
    assert!(error.contains(&format!("{BRANCH}.lock")), "{error}");
    assert!(error.contains("another git process is writing it: run again once it has finished"), "{error}");
    assert!(!has_branch(&out, "fleet/svc-clean", BRANCH), "no branch where the lock is held");
    assert_eq!(project(&r, "fleet/svc-edited")["outcome"], "upgraded");
    assert!(has_branch(&out, "fleet/svc-edited", BRANCH));
}

#[test]
fn fleet_upgrade_runs_again_over_its_own_branch() {
    let s = fleet_of(&["fleet/svc-clean", "fleet/mono"]);
    let out = pave(s).args(["fleet", "upgrade", "fleet"]).run();
    let tips = (out.git("fleet/svc-clean", &["rev-parse", BRANCH]), out.git("fleet/mono", &["rev-parse", BRANCH]));
    let objects =
        |s: &Sandbox| ["fleet/svc-clean", "fleet/mono"].map(|r| s.git(r, &["count-objects", "-v"])).join("\n");
    let before = objects(&out);
    let out = out
        .then()
        .args(["fleet", "upgrade", "fleet", "--report", "r.json"])
        .stderr_contains("nothing was written or pushed")
        .run();
    assert_eq!(objects(&out), before, "a re-run with nothing changed writes no object and no pack");
    let o = outcomes(&report(&out, "r.json"));
    assert!(o.values().all(|v| v == "unchanged"), "{o:?}");
    let again = (out.git("fleet/svc-clean", &["rev-parse", BRANCH]), out.git("fleet/mono", &["rev-parse", BRANCH]));
    assert_eq!(again, tips, "a re-run with nothing changed writes no commit");
    assert_eq!(out.git("fleet/svc-clean", &["rev-parse", &format!("{BRANCH}^")]).trim(), out.head("fleet/svc-clean"));
    assert_eq!(out.git("fleet/mono", &["rev-list", "--count", &format!("HEAD..{BRANCH}")]).trim(), "2");
    let changed = out.git("fleet/mono", &["diff", "--name-only", "HEAD", BRANCH]);
    assert!(changed.contains("services/a/README.md") && changed.contains("services/b/README.md"), "{changed}");
}

#[test]
fn fleet_upgrade_dry_run_writes_no_branch() {
    let s = fleet();
    let before = snapshot(&s);
    let out = pave(s).args(["fleet", "upgrade", "fleet", "--dry-run", "--report", "r.json"]).status(1).run();
    assert_eq!(snapshot(&out), before);
    let r = report(&out, "r.json");
    for path in ["fleet/svc-clean", "fleet/svc-edited", "fleet/mono/services/a"] {
        assert_eq!(project(&r, path)["outcome"], "would-upgrade");
        assert_eq!(project(&r, path)["commit"], serde_json::Value::Null);
    }
}

#[test]
fn fleet_upgrade_report_md_is_a_markdown_table_of_every_project() {
    let out = pave(fleet()).args(["fleet", "upgrade", "fleet", "--report", "r.md"]).status(1).run();
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
    let out = pave(fleet()).args(["fleet", "upgrade", "fleet", "--report", "r.json"]).status(1).run();
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
    let mut s = fleet();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for i in 1..=3 {
        let rel = format!("r{i}.json");
        let shard = format!("{i}/3");
        let out = pave(s)
            .args(["fleet", "upgrade", "fleet", "--dry-run", "--shard", &shard, "--report", &rel])
            .failure()
            .run();
        for path in outcomes(&report(&out, &rel)).into_keys() {
            *seen.entry(path).or_default() += 1;
        }
        s = out.sandbox;
    }
    let every: BTreeMap<String, usize> = OUTCOMES.iter().map(|(p, _)| ((*p).to_string(), 1)).collect();
    assert_eq!(seen, every);
}

#[test]
fn fleet_upgrade_shards_keep_both_projects_of_a_monorepo_on_its_branch() {
    // fleet/mono/services/a falls in shard 3 of 3 and fleet/mono/services/b in shard 1: running
    // the shards one after the other must still leave one branch holding both upgrades.
    let mut s = fleet_of(&["fleet/mono"]);
    for i in 1..=3 {
        s = pave(s).args(["fleet", "upgrade", "fleet", "--shard", &format!("{i}/3")]).run().sandbox;
    }
    for project in ["services/a", "services/b"] {
        let record = s.git("fleet/mono", &["show", &format!("{BRANCH}:{project}/.pave.toml")]);
        assert!(record.contains("version = \"2.0.0\""), "{project} lost from {BRANCH}:\n{record}");
    }
}

#[test]
fn fleet_upgrade_template_filters_the_projects() {
    let s = fleet_of(&["fleet/svc-clean", "fleet/mono"]);
    let catalog = s.read("catalog/catalog.toml");
    s.write(
        "catalog/catalog.toml",
        format!("{catalog}\n[[template]]\nname = \"mini\"\nmaturity = \"stable\"\nowner = \"platform-team\"\n"),
    );
    for v in ["1.0.0", "2.0.0"] {
        s.write(&format!("{}/template.toml", Test::version_dir("mini", v)), MINI_MANIFEST);
        s.write(&format!("{}/files/README.md.tera", Test::version_dir("mini", v)), MINI_README);
    }
    s.pave_ok(&["new", "mini@1.0.0", "fleet/svc-mini", "-d", "service_name=mini"]);
    let out = pave(s).args(["fleet", "upgrade", "fleet", "--template", "mini", "--report", "r.json"]).run();
    let r = outcomes(&report(&out, "r.json"));
    assert_eq!(r["fleet/svc-mini"], "upgraded");
    assert_eq!(r["fleet/svc-clean"], "skipped");
    assert_eq!(r["fleet/mono/services/a"], "skipped");
    assert!(has_branch(&out, "fleet/svc-mini", "pave/mini-2.0.0"));
    for repo in ["fleet/svc-clean", "fleet/mono"] {
        assert!(!has_branch(&out, repo, BRANCH), "{repo} was upgraded despite --template mini");
    }
}

#[test]
fn fleet_upgrade_branch_names_the_branch_to_write() {
    let out =
        pave(fleet_of(&["fleet/svc-clean"])).args(["fleet", "upgrade", "fleet", "--branch", "platform/app-2"]).run();
    assert!(has_branch(&out, "fleet/svc-clean", "platform/app-2"));
    assert!(!has_branch(&out, "fleet/svc-clean", BRANCH));
    assert_eq!(out.git("fleet/svc-clean", &["branch", "--show-current"]), "main\n");
}

#[test]
fn fleet_upgrade_exits_0_when_every_project_is_upgraded_or_current() {
    let s = fleet_of(&["fleet/svc-clean", "fleet/svc-current"]);
    let out = pave(s)
        .args(["fleet", "upgrade", "fleet", "--report", "r.json"])
        .stderr_contains("working trees untouched")
        .run();
    let r = outcomes(&report(&out, "r.json"));
    assert_eq!(r["fleet/svc-clean"], "upgraded");
    assert_eq!(r["fleet/svc-current"], "up-to-date");
    assert!(!has_branch(&out, "fleet/svc-current", BRANCH));
}

#[test]
fn fleet_upgrade_exits_3_when_only_conflicts_remain() {
    let s = fleet_of(&["fleet/svc-clean", "fleet/svc-conflict"]);
    let out = pave(s).args(["fleet", "upgrade", "fleet"]).status(3).stderr_contains("svc-conflict").run();
    assert!(!has_branch(&out, "fleet/svc-conflict", BRANCH));
    assert!(has_branch(&out, "fleet/svc-clean", BRANCH));
}

#[test]
fn fleet_upgrade_a_corrupted_repository_never_stops_the_others() {
    let s = Test::app().into_sandbox();
    for repo in ["fleet/a-svc", "fleet/m-broken", "fleet/z-svc"] {
        new_app(&s, "1.0.0", repo);
    }
    // Every object of the middle repository is gone: HEAD names a commit that no longer exists.
    s.remove("fleet/m-broken/.git/objects");
    std::fs::create_dir(s.path("fleet/m-broken/.git/objects")).unwrap();
    let out = pave(s).args(["fleet", "upgrade", "fleet", "--jobs", "1", "--report", "r.json"]).status(1).run();
    let r = report(&out, "r.json");
    let o = outcomes(&r);
    assert_eq!(o.len(), 3);
    assert_eq!(o["fleet/a-svc"], "upgraded");
    assert_eq!(o["fleet/m-broken"], "failed");
    assert_eq!(o["fleet/z-svc"], "upgraded");
    assert!(!project(&r, "fleet/m-broken")["error"].as_str().unwrap_or_default().is_empty());
    assert!(has_branch(&out, "fleet/z-svc", BRANCH));
}

#[test]
fn fleet_upgrade_data_never_changes_an_answer_a_project_has() {
    // `-d` answers questions a new version adds; a project already on the newest version, and
    // one whose answer differs, keep theirs.
    let out = Test::app()
        .args(["new", "app@2.0.0", "fleet/current", "-d", "service_name=payments"])
        .run()
        .then()
        .args(["fleet", "upgrade", "fleet", "-d", "service_name=billing", "--report", "r.json"])
        .run();
    let report: serde_json::Value = serde_json::from_str(&out.read("r.json")).unwrap();
    assert_eq!(report["projects"][0]["outcome"], "up-to-date", "{report}");
    assert_eq!(out.git("fleet/current", &["branch", "--list", "pave/*"]), "", "no branch for a current project");
    assert_eq!(out.pave_toml("fleet/current")["answers"]["service_name"].as_str(), Some("payments"));
}

#[test]
fn fleet_shards_are_the_same_whether_walked_or_listed() {
    // Six repositories; shard 1/2 walked from the root and read from --repos-from (even with
    // another spelling of the paths) must pick the same repositories.
    let mut t = Test::app();
    for i in 0..6 {
        t = t
            .args(["new", "app@1.0.0", &format!("fleet/svc-{i}"), "-d", &format!("service_name=svc-{i}")])
            .run()
            .then();
    }
    let out = t.args(["fleet", "status", "fleet", "--shard", "1/2", "--json"]).run();
    let walked: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let list = (0..6).map(|i| format!("./fleet/svc-{i}/")).collect::<Vec<_>>().join("\n");
    out.write("repos.txt", list);
    let out = out.then().args(["fleet", "status", "--repos-from", "repos.txt", "--shard", "1/2", "--json"]).run();
    let listed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let names = |v: &serde_json::Value| -> Vec<String> {
        let mut n: Vec<String> = v["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["path"].as_str().unwrap().rsplit('/').next().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    assert!(!names(&walked).is_empty() && names(&walked).len() < 6, "a real share: {:?}", names(&walked));
    assert_eq!(names(&walked), names(&listed));
}

/// A re-run recognises unchanged repositories from their branches and what the last run
/// learned (a memo in each `.git`), and gives the rows the long way gives; whatever moved still
/// takes the long way: a new commit on the base, a branch moved by hand, a merge in progress. A
/// re-run with nothing changed does not write the memo; a broken one is ignored.
#[test]
fn fleet_upgrade_re_run_from_the_memo_notices_whatever_moved() {
    const MEMOS: [&str; 3] = [
        "fleet/svc-clean/.git/pave-fleet-memo.json",
        "fleet/svc-edited/.git/pave-fleet-memo.json",
        "fleet/mono/.git/pave-fleet-memo.json",
    ];
    let s = fleet_of(&["fleet/svc-clean", "fleet/svc-edited", "fleet/mono"]);
    let out = pave(s).args(["fleet", "upgrade", "fleet", "--dry-run"]).run();
    assert!(MEMOS.iter().all(|m| !out.exists(m)), "a dry run writes no memo");
    let out = out.then().args(["fleet", "upgrade", "fleet"]).run();
    assert!(MEMOS.iter().all(|m| out.exists(m)), "the first run keeps what it learned");
    // The same facts, laid out otherwise: a rewrite would lay them out as pave does.
    for memo in MEMOS {
        let facts: serde_json::Value = serde_json::from_str(&out.read(memo)).unwrap();
        out.write(memo, serde_json::to_string_pretty(&facts).unwrap());
    }
    let kept = MEMOS.map(|m| out.read(m));

    // Unchanged: from the memo, then the long way (the memos removed): the same rows.
    let out = out
        .then()
        .args(["fleet", "upgrade", "fleet", "--report", "memo.json", "-v"])
        .stderr_contains("3 of 3 repositories recognised unchanged")
        .run();
    assert_eq!(MEMOS.map(|m| out.read(m)), kept, "a re-run with nothing changed writes nothing, the memo included");
    for memo in MEMOS {
        out.remove(memo);
    }
    let out = out
        .then()
        .args(["fleet", "upgrade", "fleet", "--report", "long.json", "-v"])
        .stderr_contains("0 of 3 repositories recognised unchanged")
        .run();
    let rows = |s: &Sandbox, rel: &str| report(s, rel)["projects"].clone();
    assert_eq!(rows(&out, "memo.json"), rows(&out, "long.json"));
    assert!(outcomes(&report(&out, "memo.json")).values().all(|o| o == "unchanged"));

    // Whatever moved is noticed.
    out.write("fleet/svc-clean/docs/notes.md", "a new commit on main\n");
    out.commit_all("fleet/svc-clean", "notes");
    out.git("fleet/svc-edited", &["branch", "-f", BRANCH, "HEAD"]);
    let mono_head = out.head("fleet/mono");
    out.write("fleet/mono/.git/MERGE_HEAD", format!("{mono_head}\n"));
    let out = out
        .then()
        .args(["fleet", "upgrade", "fleet", "--report", "moved.json", "-v"])
        .stderr_contains("0 of 3 repositories recognised unchanged")
        .status(1)
        .run();
    let r = report(&out, "moved.json");
    assert_eq!(project(&r, "fleet/svc-clean")["outcome"], "regenerated", "a new commit on the base");
    assert_eq!(project(&r, "fleet/svc-edited")["outcome"], "merged", "the branch moved onto the base");
    for path in ["fleet/mono/services/a", "fleet/mono/services/b"] {
        let row = project(&r, path);
        assert_eq!(row["outcome"], "failed", "{path}: {row}");
        assert!(row["error"].as_str().unwrap_or_default().contains("merge is in progress"), "{path}: {row}");
    }
    out.remove("fleet/mono/.git/MERGE_HEAD");

    // A memo that is not one: ignored, and replaced by what this run learns.
    out.write(MEMOS[2], "not a memo");
    let out = out
        .then()
        .args(["fleet", "upgrade", "fleet", "--report", "broken.json", "-v"])
        .stderr_contains("1 of 3 repositories recognised unchanged")
        .run();
    let o = outcomes(&report(&out, "broken.json"));
    assert_eq!(o["fleet/svc-clean"], "unchanged", "{o:?}");
    assert_eq!(o["fleet/svc-edited"], "merged", "{o:?}");
    assert_eq!(o["fleet/mono/services/a"], "unchanged", "{o:?}");
    assert_eq!(o["fleet/mono/services/b"], "unchanged", "{o:?}");
    assert!(out.read(MEMOS[2]).starts_with('{'), "the memo was written again");
    // git itself sees nothing of it: the working trees are clean.
    for repo in ["fleet/svc-clean", "fleet/svc-edited", "fleet/mono"] {
        assert_eq!(out.git(repo, &["status", "--porcelain"]), "", "{repo}");
    }
}

#[test]
fn fleet_upgrades_run_at_once_move_each_branch_once_and_report_each_upgrade_once() {
    let s = Test::app().into_sandbox();
    let repos: Vec<String> = (0..16).map(|i| format!("fleet/r{i:02}")).collect();
    for repo in &repos {
        new_app(&s, "1.0.0", repo);
    }
    let args = ["fleet", "upgrade", "fleet", "--to", "2.0.0", "--jobs", "1"];
    let runs = std::thread::scope(|t| {
        let a = t.spawn(|| s.pave(&args));
        let b = t.spawn(|| s.pave(&args));
        [a.join().unwrap(), b.join().unwrap()]
    });
    let mut upgraded = Vec::new();
    for run in &runs {
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{stderr}");
        for line in stderr.lines() {
            assert!(!line.starts_with("failed") && !line.starts_with("raced"), "{stderr}");
            if line.starts_with("upgraded") {
                upgraded.push(line.split_whitespace().nth(1).unwrap_or_default().to_string());
            }
        }
    }
    upgraded.sort();
    assert_eq!(upgraded, repos, "each repository is reported upgraded by one run, the other finds it unchanged");
    for repo in &repos {
        let reflog = s.git(repo, &["reflog", "show", "pave/app-2.0.0"]);
        assert_eq!(reflog.lines().count(), 1, "{repo}: the branch moved once:\n{reflog}");
    }
    let again = s.pave(&args);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("16 unchanged"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}
