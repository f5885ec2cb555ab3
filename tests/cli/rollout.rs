//! `pave fleet rollout TEMPLATE@VERSION` from git alone (no API): every state git can tell, on
//! local checkouts (ROOT) and on remote repositories (`--repos-from` over `file://` and smart
//! HTTP); read-only; the usage errors; the page in headless Chromium. The pull-request states
//! are in `rollout_api`.

use crate::fixtures::APP_CONFIG_V1;
use crate::git_server::{Run, run_pave};
use crate::remote_fleet_fixture::{BRANCH, Fleet, Kind, TOKEN, new_app};
use crate::sandbox::Sandbox;

/// `app` 1.0.0 with a local edit to the line 2.0.0 changes.
pub fn conflicting(s: &Sandbox, dir: &str) {
    new_app(s, "1.0.0", dir);
    s.write(&format!("{dir}/config/app.yaml"), APP_CONFIG_V1.replace("port: 8080", "port: 7000"));
    s.commit_all(dir, "our port");
}

/// What one rollout printed.
pub struct Rollout {
    /// Exit code and output.
    pub run: Run,
    /// The `--json` document (`Null` without `--json`).
    pub json: serde_json::Value,
}

impl Rollout {
    /// The row of `path`.
    #[track_caller]
    pub fn row(&self, path: &str) -> &serde_json::Value {
        let rows = self.json["projects"].as_array().unwrap();
        let found: Vec<_> = rows.iter().filter(|r| r["path"] == path).collect();
        assert_eq!(found.len(), 1, "one row for {path}:\n{:#}\n{}", self.json, self.run.output());
        found[0]
    }

    /// The state of `path`.
    #[track_caller]
    pub fn state(&self, path: &str) -> &str {
        self.row(path)["state"].as_str().unwrap()
    }
}

/// `pave fleet rollout ARGS` in the fleet's sandbox (with the token for HTTP); JSON parsed when
/// `--json` is among the arguments.
pub fn rollout(f: &Fleet, args: &[&str], env: &[(&str, &str)]) -> Rollout {
    let mut all = vec!["fleet", "rollout"];
    all.extend_from_slice(args);
    let mut env = env.to_vec();
    if f.kind == Kind::Http {
        env.push(("PAVE_GIT_TOKEN", TOKEN));
    }
    let run = run_pave(&f.sb, &all, &env);
    let json = if args.contains(&"--json") {
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{}", run.output()))
    } else {
        serde_json::Value::Null
    };
    Rollout { run, json }
}

/// The row's path of repository `name` in `kind`'s fleet: `fleet/NAME` walked, else `NAME`.
fn path(kind: Kind, name: &str) -> String {
    if kind == Kind::Local { format!("fleet/{name}") } else { name.to_string() }
}

/// A fleet with a repository in each state git can tell, and another template beside them.
fn every_state(kind: Kind) -> Fleet {
    let mut f = Fleet::new(kind);
    f.add_mini_template();
    for name in ["svc-new", "svc-branch", "svc-merged", "svc-edited"] {
        f.add(name, "1.0.0");
    }
    f.add("svc-current", "2.0.0");
    f.add_with("svc-conflict", conflicting).add_with("svc-resolved", conflicting);
    f.add_with("svc-mini", |s, dir| s.pave_ok(&["new", "mini@1.0.0", dir, "-d", "service_name=mini"]));
    f.upgrade(&["svc-branch", "svc-merged", "svc-edited"], &[]).expect_code(0);
    f.upgrade(&["svc-conflict", "svc-resolved"], &["--on-conflict", "commit"]).expect_code(3);
    f.merge("svc-merged", BRANCH);
    f.edit_branch("svc-edited", BRANCH);
    // A reviewer resolves the markers: someone else's commit, and no conflict left.
    f.with_checkout("svc-resolved", BRANCH, |sb, dir, _| {
        sb.write(&format!("{dir}/config/app.yaml"), APP_CONFIG_V1.replace("port: 8080", "port: 7000\nmetrics: true"));
        sb.commit_all(dir, "resolve the port");
    });
    // Released after the rollout began: a project already on 3.0.0 is ahead of 2.0.0.
    f.release_3().add("svc-ahead", "3.0.0");
    f
}

const NAMES: [&str; 9] = [
    "svc-new",
    "svc-branch",
    "svc-merged",
    "svc-edited",
    "svc-current",
    "svc-conflict",
    "svc-resolved",
    "svc-mini",
    "svc-ahead",
];

/// Every ref of every repository (and, for checkouts, their state): what a read-only run keeps.
fn snapshot(f: &Fleet) -> Vec<String> {
    NAMES.iter().map(|n| if f.kind == Kind::Local { f.sb.state(&f.refs(n)) } else { f.all_refs(n) }).collect()
}

fn check_states(f: &Fleet, r: &Rollout) {
    let k = f.kind;
    let expect = [
        ("svc-new", "not-started"),
        ("svc-branch", "branch-only"),
        ("svc-merged", "merged"),
        ("svc-edited", "edited"),
        ("svc-current", "on-version"),
        ("svc-conflict", "conflict"),
        ("svc-resolved", "edited"),
        ("svc-ahead", "on-version"),
    ];
    for (name, state) in expect {
        assert_eq!(r.state(&path(k, name)), state, "{name}:\n{:#}", r.json);
    }
    let ahead = r.row(&path(k, "svc-ahead"));
    assert_eq!((ahead["from"].as_str(), ahead["note"].as_str()), (Some("3.0.0"), Some("ahead: on 3.0.0")), "{ahead}");
    let row = r.row(&path(k, "svc-branch"));
    for key in ["path", "repo", "from", "state", "branch", "pr", "error"] {
        assert!(row.get(key).is_some(), "{key} missing in {row}");
    }
    assert_eq!((row["from"].as_str(), row["branch"].as_str()), (Some("1.0.0"), Some(BRANCH)), "{row}");
    assert_eq!(row["pr"], serde_json::Value::Null, "no API, no pull request: {row}");
    assert_eq!(r.row(&path(k, "svc-new"))["branch"], serde_json::Value::Null);
    assert!(r.json["projects"].as_array().unwrap().iter().all(|p| p["path"] != path(k, "svc-mini")), "{:#}", r.json);
    assert_eq!((r.json["template"].as_str(), r.json["version"].as_str()), (Some("app"), Some("2.0.0")));
    assert_eq!(r.json["api_calls"], 0);
    let summary = &r.json["summary"];
    assert_eq!(summary["skipped"], 1, "{summary}");
    let counts = &summary["counts"];
    for (state, n) in [("merged", 1), ("on-version", 2), ("branch-only", 1), ("not-started", 1), ("edited", 2)] {
        assert_eq!(counts[state], n, "{state}: {summary}");
    }
    assert_eq!(counts.as_object().unwrap().len(), 9, "every state is counted: {summary}");
}

/// The states of a remote fleet, listed by URL, with a repository that cannot be read; nothing
/// written or pushed anywhere.
fn remote_states(kind: Kind) {
    let f = every_state(kind);
    let mut lines: Vec<String> = NAMES.iter().map(|n| f.line(n)).collect();
    let missing = if kind == Kind::File { f.file_url("svc-gone") } else { f.server.as_ref().unwrap().url("svc-gone") };
    lines.push(missing.clone());
    f.sb.write("repos.txt", lines.join("\n"));
    if let Some(server) = &f.server {
        server.clear_log();
    }
    let before = snapshot(&f);
    let r = rollout(&f, &["app@2.0.0", "--repos-from", "repos.txt", "--json"], &[]);
    assert_eq!(r.run.code, Some(0), "{}", r.run.output());
    check_states(&f, &r);
    let gone = r.row("svc-gone");
    assert_eq!(gone["state"], "failed", "{gone}");
    assert!(gone["error"].as_str().is_some_and(|e| !e.is_empty()), "{gone}");
    assert_eq!(r.row("svc-branch")["repo"].as_str(), Some(f.line("svc-branch").as_str()));
    assert_eq!(snapshot(&f), before, "a rollout writes nothing");
    if let Some(server) = &f.server {
        assert!(server.receive_pack_requests().is_empty(), "a rollout pushed something");
    }

    // The table: the counts first, then a row per project.
    let r = rollout(&f, &["app@2.0.0", "--repos-from", "repos.txt"], &[]);
    let mut out = r.run.stdout.lines();
    assert_eq!(
        out.next(),
        Some(
            "9 repositories: 1 merged · 2 on-version · 1 branch-only · 1 not-started · 2 edited · 1 conflict · 1 failed · 1 skipped (another template, or no project)"
        ),
        "{}",
        r.run.output()
    );
    let header = out.next().unwrap();
    for column in ["PATH", "FROM", "STATE", "PR", "AGE", "CHECKS", "NOTE"] {
        assert!(header.contains(column), "{header}");
    }
    let conflict = r.run.stdout.lines().find(|l| l.starts_with("svc-conflict ")).unwrap();
    assert!(
        conflict.contains(" 1.0.0 ") && conflict.contains(" conflict ") && conflict.contains("markers"),
        "{conflict}"
    );
}

#[test]
fn fleet_rollout_file_shows_every_state_and_writes_nothing() {
    remote_states(Kind::File);
}

#[test]
fn fleet_rollout_http_shows_every_state_and_pushes_nothing() {
    remote_states(Kind::Http);
}

/// Local checkouts walked from a ROOT: the same states, read at `HEAD`; the working trees and
/// the branches untouched; a directory that is not a repository fails alone.
#[test]
fn fleet_rollout_local_roots_show_every_state() {
    let f = every_state(Kind::Local);
    f.sb.write("fleet/not-git/.pave.toml", f.sb.read("fleet/svc-new/.pave.toml"));
    let before = snapshot(&f);
    let r = rollout(&f, &["app@2.0.0", "fleet", "--json"], &[]);
    assert_eq!(r.run.code, Some(0), "{}", r.run.output());
    check_states(&f, &r);
    let failed = r.row("fleet/not-git");
    assert_eq!(failed["state"], "failed");
    assert!(failed["error"].as_str().unwrap().contains("not in a git repository"), "{failed}");
    assert_eq!(r.row("fleet/svc-new")["repo"], serde_json::Value::Null);
    assert_eq!(snapshot(&f), before, "a rollout changes no checkout");
}

/// A monorepo: the projects share the branch, and the conflict belongs to the project whose
/// commit carries it.
#[test]
fn fleet_rollout_monorepo_tells_its_projects_apart() {
    let mut f = Fleet::new(Kind::File);
    f.add_with("mono", |s, dir| {
        s.git_repo(dir);
        conflicting(s, &format!("{dir}/services/a"));
        new_app(s, "1.0.0", &format!("{dir}/services/b"));
        s.commit_all(dir, "two services");
    });
    f.upgrade(&["mono"], &["--on-conflict", "commit"]).expect_code(3);
    f.sb.write("repos.txt", f.line("mono"));
    let r = rollout(&f, &["app@2.0.0", "--repos-from", "repos.txt", "--json"], &[]);
    assert_eq!(r.state("mono/services/a"), "conflict", "{:#}", r.json);
    assert_eq!(r.state("mono/services/b"), "branch-only", "{:#}", r.json);
    assert_eq!(
        (r.json["summary"]["projects"].as_u64(), r.json["summary"]["repositories"].as_u64()),
        (Some(2), Some(1))
    );
    let table = rollout(&f, &["app@2.0.0", "--repos-from", "repos.txt"], &[]);
    assert!(
        table.run.stdout.starts_with("2 projects in 1 repository: 1 branch-only · 1 conflict\n"),
        "{}",
        table.run.output()
    );
}

/// `--branch` follows another branch name, as `fleet upgrade --branch` wrote it.
#[test]
fn fleet_rollout_follows_the_branch_given() {
    let mut f = Fleet::new(Kind::File);
    f.add("svc-a", "1.0.0");
    f.upgrade(&["svc-a"], &["--branch", "platform/app-2"]).expect_code(0);
    f.sb.write("repos.txt", f.line("svc-a"));
    let r = rollout(&f, &["app@2.0.0", "--repos-from", "repos.txt", "--json"], &[]);
    assert_eq!(r.state("svc-a"), "not-started", "{:#}", r.json);
    let r = rollout(&f, &["app@2.0.0", "--repos-from", "repos.txt", "--branch", "platform/app-2", "--json"], &[]);
    assert_eq!(r.state("svc-a"), "branch-only", "{:#}", r.json);
    assert_eq!(r.row("svc-a")["branch"], "platform/app-2");
}

#[test]
fn fleet_rollout_refuses_an_unknown_template_or_version() {
    let mut f = Fleet::new(Kind::Local);
    f.add("svc-a", "1.0.0");
    let expect = |args: &[&str], message: &str, hint: &str| {
        let r = rollout(&f, args, &[]);
        assert_eq!(r.run.code, Some(2), "{}", r.run.output());
        assert!(r.run.stderr.contains(message) && r.run.stderr.contains(hint), "{}", r.run.output());
    };
    expect(&["ap@2.0.0", "fleet"], "error: unknown template `ap`", "did you mean `app`");
    expect(&["app@4.0.0", "fleet"], "error: template `app` has no version `4.0.0`", "available: 1.0.0, 2.0.0");
    expect(&["app", "fleet"], "`app`: which release? name it as TEMPLATE@VERSION", "app@2.0.0");
    expect(&["app@2.0.0"], "error: no projects to look at", "--github-org ORG");
    expect(&["app@2.0.0", "fleet", "--branch", "bad..name"], "not a valid branch name", "check-ref-format");
    let _ = &mut f;
}

/// `--html`: one self-contained page (no script, nothing fetched) with the counts, the chart and
/// every project, rendered by headless Chromium.
#[test]
fn fleet_rollout_html_renders_in_chromium() {
    let f = every_state(Kind::File);
    let lines: Vec<String> = NAMES.iter().map(|n| f.line(n)).collect();
    f.sb.write("repos.txt", lines.join("\n"));
    let r = rollout(
        &f,
        &["app@2.0.0", "--repos-from", "repos.txt", "--html", "rollout.html", "--today", "2026-12-06"],
        &[],
    );
    assert_eq!(r.run.code, Some(0), "{}", r.run.output());
    assert!(r.run.stderr.contains("Wrote rollout.html"), "{}", r.run.output());
    let html = f.sb.read("rollout.html");
    assert!(html.contains("<h1>Rollout of app 2.0.0</h1>") && html.contains("as of 2026-12-06"), "{html}");
    assert!(html.contains("8 repositories: 1 merged"), "the counts are on the page");
    assert!(html.contains("<svg") && html.contains("No pull request yet"), "the chart is inline SVG");
    for name in NAMES.iter().filter(|n| **n != "svc-mini") {
        assert!(html.contains(&format!("<td>{name}</td>")), "{name} is not listed");
    }
    for fetch in ["<script", "<link", " src=", "@import", "url(", "http://", "https://"] {
        assert!(!html.contains(fetch), "the page loads something: {fetch}");
    }
    crate::publish::check_in_chromium(&f.sb.path("rollout.html"), &f.sb, "fleet-rollout.png");
}
