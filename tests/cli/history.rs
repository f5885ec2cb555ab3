//! `pave fleet history` and `pave fleet scorecard` over real git repositories whose history is
//! made with the real `git` and fixed dates (`GIT_AUTHOR_DATE`, `GIT_COMMITTER_DATE`): exact
//! event dates, a malformed version in an old commit, a rewritten branch, a shallow clone, a
//! project moved inside a monorepo, lead-time figures, and the scorecard page in Chromium.

use std::fmt::Write as _;
use std::process::Command;

use crate::fixtures::{MINI_MANIFEST, MINI_README};
use crate::sandbox::{Sandbox, scrub};
use crate::support::Test;

/// A catalog with `svc` 1.0.0 (released 2026-01-05), 1.1.0 (2026-04-10), 2.0.0 (2026-10-01).
fn catalog() -> Test {
    let mut t = Test::new().template_entry(
        "name = \"svc\"\ndescription = \"svc template\"\nkind = \"service\"\nmaturity = \"stable\"\nowner = \"platform-team\"\n",
    );
    for (v, released) in [("1.0.0", "2026-01-05"), ("1.1.0", "2026-04-10"), ("2.0.0", "2026-10-01")] {
        let manifest = MINI_MANIFEST
            .replace("description = \"mini\"\n", &format!("description = \"mini\"\nreleased = {released}\n"));
        t = t.manifest("svc", v, &manifest).file("svc", v, "README.md.tera", MINI_README);
    }
    t
}

/// The text of a `.pave.toml` on `svc@version`, owned by `team`, with exceptions (rule, expiry).
fn record(version: &str, team: &str, exceptions: &[(&str, &str)]) -> String {
    let mut text = format!(
        "[template]\nname = \"svc\"\nversion = \"{version}\"\n\n[answers]\nservice_name = \"s\"\nowner = \"{team}\"\n"
    );
    for (rule, expires) in exceptions {
        write!(
            text,
            "\n[[exceptions]]\nrule = \"{rule}\"\nowner = \"alice@example.com\"\nreason = \"custom job\"\nexpires = {expires}\n"
        )
        .unwrap();
    }
    text
}

/// Runs git in `rel` with the commit dated `date` (noon UTC).
#[track_caller]
fn git_at(s: &Sandbox, rel: &str, date: &str, args: &[&str]) {
    let mut cmd = Command::new("git");
    scrub(&mut cmd, s.root());
    let when = format!("{date}T12:00:00Z");
    let out = cmd
        .env("GIT_AUTHOR_DATE", &when)
        .env("GIT_COMMITTER_DATE", &when)
        .args(args)
        .current_dir(s.path(rel))
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Writes `file` in repository `repo` (made when needed) and commits everything on `date`.
#[track_caller]
fn commit(s: &Sandbox, repo: &str, file: &str, text: &str, date: &str) {
    if !s.exists(&format!("{repo}/.git")) {
        std::fs::create_dir_all(s.path(repo)).unwrap();
        s.git(repo, &["init", "-q", "-b", "main"]);
    }
    s.write(&format!("{repo}/{file}"), text);
    git_at(s, repo, date, &["add", "-A"]);
    git_at(s, repo, date, &["commit", "-q", "-m", &format!("{file} on {date}")]);
}

/// `fleet/a`: created, an unrelated commit, upgraded, an exception recorded, renewed after it
/// had expired, and removed.
fn project_a(s: &Sandbox) {
    commit(s, "fleet/a", ".pave.toml", &record("1.0.0", "team-a", &[]), "2026-01-10");
    commit(s, "fleet/a", "src/main.rs", "fn main() {}\n", "2026-02-01");
    commit(s, "fleet/a", ".pave.toml", &record("1.1.0", "team-a", &[]), "2026-04-20");
    let ci = "drift:ci.yml";
    commit(s, "fleet/a", ".pave.toml", &record("1.1.0", "team-a", &[(ci, "2026-06-30")]), "2026-05-02");
    commit(s, "fleet/a", ".pave.toml", &record("1.1.0", "team-a", &[(ci, "2026-12-31")]), "2026-07-15");
    commit(s, "fleet/a", ".pave.toml", &record("1.1.0", "team-a", &[]), "2026-11-01");
}

/// What `fleet history` prints for [`project_a`], after its path.
const A_EVENTS: &str = "  svc 1.1.0  owner team-a
  2026-01-10  created            svc 1.0.0
  2026-04-20  upgraded           1.0.0 → 1.1.0
  2026-05-02  exception-added    drift:ci.yml (owner alice@example.com, expires 2026-06-30)
  2026-07-01  exception-expired  drift:ci.yml (expires 2026-06-30)
  2026-07-15  exception-renewed  drift:ci.yml (owner alice@example.com, expires 2026-12-31)
  2026-11-01  exception-removed  drift:ci.yml (expires 2026-12-31)
";

#[test]
fn fleet_history_dates_every_event_from_commits() {
    let t = catalog();
    project_a(t.sandbox());
    t.args(["fleet", "history", "fleet", "--today", "2026-12-06"])
        .stdout(&format!("fleet/a{A_EVENTS}"))
        .stderr_contains("1 project, 6 events (6 commits walked in")
        .run();
}

#[test]
fn fleet_history_json_uses_the_toml_names() {
    let t = catalog();
    project_a(t.sandbox());
    let out = t.args(["fleet", "history", "fleet", "--json", "--today", "2026-12-06"]).run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let p = &v["projects"][0];
    assert_eq!(
        (p["path"].as_str(), p["owner"].as_str(), p["branch"].as_str()),
        (Some("fleet/a"), Some("team-a"), Some("main"))
    );
    let up = &p["events"][1];
    assert_eq!(up["event"], "upgraded");
    assert_eq!(
        (up["date"].as_str(), up["from"].as_str(), up["to"].as_str()),
        (Some("2026-04-20"), Some("1.0.0"), Some("1.1.0"))
    );
    assert_eq!(up["commit"].as_str().map(str::len), Some(40));
    let exc = &p["events"][2];
    assert_eq!((exc["rule"].as_str(), exc["expires"].as_str()), (Some("drift:ci.yml"), Some("2026-06-30")));
    assert_eq!(v["summary"]["events"], 6);
}

#[test]
fn fleet_history_reports_a_malformed_version_and_keeps_going() {
    let t = catalog();
    let s = t.sandbox();
    commit(s, "fleet/b", ".pave.toml", &record("1.0.0", "team-b", &[]), "2026-01-10");
    commit(s, "fleet/b", ".pave.toml", &record("1.x", "team-b", &[]), "2026-02-10");
    commit(s, "fleet/b", ".pave.toml", &record("2.0.0", "team-b", &[]), "2026-10-20");
    project_a(s);
    let out =
        t.args(["fleet", "history", "fleet", "--today", "2026-12-06"]).stderr_contains("2 projects, 9 events").run();
    assert!(out.stdout.contains("  2026-02-10  unreadable         "), "{}", out.stdout);
    assert!(
        out.stdout.contains(".pave.toml:3:11: unexpected character 'x'"),
        "names file, line and column: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains("  2026-10-20  upgraded           1.0.0 → 2.0.0"),
        "compared with the last readable record"
    );
    assert!(out.stdout.contains("note: 1 version(s) of .pave.toml could not be read and were skipped"));
    assert!(out.stdout.contains("  2026-04-20  upgraded           1.0.0 → 1.1.0"), "the other project is whole");
}

#[test]
fn fleet_history_says_when_the_branch_was_rewritten() {
    let t = catalog();
    let s = t.sandbox();
    commit(s, "fleet/c", ".pave.toml", &record("1.0.0", "team-c", &[]), "2026-01-10");
    commit(s, "fleet/c", ".pave.toml", &record("1.1.0", "team-c", &[]), "2026-05-10");
    // The upgrade is thrown away: main is force-moved back and takes another road.
    git_at(s, "fleet/c", "2026-06-01", &["branch", "-f", "other", "HEAD~1"]);
    git_at(s, "fleet/c", "2026-06-01", &["reset", "-q", "--hard", "other"]);
    commit(s, "fleet/c", ".pave.toml", &record("2.0.0", "team-c", &[]), "2026-10-12");
    let out = t.args(["fleet", "history", "fleet", "--today", "2026-12-06"]).run();
    assert!(out.stdout.contains("  2026-10-12  upgraded           1.0.0 → 2.0.0"), "{}", out.stdout);
    assert!(!out.stdout.contains("1.1.0"), "the old history is not walked: {}", out.stdout);
    assert!(
        out.stdout.contains("note: history rewritten on 2026-06-01: main was moved from "),
        "the rewrite is reported with its date: {}",
        out.stdout
    );
}

#[test]
fn fleet_history_says_where_a_shallow_clone_cuts_it() {
    let t = catalog();
    project_a(t.sandbox());
    let s = t.sandbox();
    let origin = format!("file://{}", s.path("fleet/a").display());
    s.git("", &["clone", "-q", "--depth", "2", &origin, "shallow/a"]);
    let out =
        t.args(["fleet", "history", "shallow", "--today", "2026-12-06"]).stderr_contains("1 with a cut history").run();
    assert_eq!(
        out.stdout,
        "shallow/a  svc 1.1.0  owner team-a
  2026-07-15  history-cut        svc 1.1.0
  2026-07-15  exception-added    drift:ci.yml (owner alice@example.com, expires 2026-12-31)
  2026-11-01  exception-removed  drift:ci.yml (expires 2026-12-31)
  note: history cut at 2026-07-15: the clone is shallow, nothing earlier is known
"
    );
}

#[test]
fn fleet_history_follows_a_project_moved_in_a_monorepo() {
    let t = catalog();
    let s = t.sandbox();
    commit(s, "fleet/mono", "old/b/.pave.toml", &record("1.0.0", "team-b", &[]), "2026-01-10");
    commit(s, "fleet/mono", "other/.pave.toml", &record("1.0.0", "team-o", &[]), "2026-01-11");
    std::fs::create_dir_all(s.path("fleet/mono/services")).unwrap();
    git_at(s, "fleet/mono", "2026-03-01", &["mv", "old/b", "services/b"]);
    git_at(s, "fleet/mono", "2026-03-01", &["commit", "-q", "-m", "move"]);
    commit(s, "fleet/mono", "services/b/.pave.toml", &record("1.1.0", "team-b", &[]), "2026-04-20");
    let out = t.args(["fleet", "history", "fleet", "--today", "2026-12-06"]).run();
    assert_eq!(
        out.stdout,
        "fleet/mono/other  svc 1.0.0  owner team-o
  2026-01-11  created            svc 1.0.0
fleet/mono/services/b  svc 1.1.0  owner team-b
  2026-01-10  created            svc 1.0.0
  2026-03-01  moved              old/b → services/b
  2026-04-20  upgraded           1.0.0 → 1.1.0
  note: moved from old/b to services/b on 2026-03-01
"
    );
}

/// Five projects upgrading to 2.0.0 (released 2026-10-01) 4, 10, 20 and 60 days after it, and
/// one still on 1.1.0; two teams.
fn scorecard_fleet() -> Test {
    let t = catalog();
    let s = t.sandbox();
    for (name, team, upgraded) in [
        ("p1", "team-a", "2026-10-05"),
        ("p2", "team-a", "2026-10-11"),
        ("p3", "team-b", "2026-10-21"),
        ("p4", "team-b", "2026-11-30"),
    ] {
        let repo = format!("fleet/{name}");
        commit(s, &repo, ".pave.toml", &record("1.0.0", team, &[]), "2026-02-01");
        commit(s, &repo, ".pave.toml", &record("1.1.0", team, &[]), "2026-05-10");
        commit(s, &repo, ".pave.toml", &record("2.0.0", team, &[]), upgraded);
    }
    commit(s, "fleet/p5", ".pave.toml", &record("1.1.0", "team-b", &[("drift:ci.yml", "2026-11-15")]), "2026-09-01");
    t
}

#[test]
fn fleet_scorecard_measures_lead_time_adoption_and_risk() {
    let out = scorecard_fleet()
        .args(["fleet", "scorecard", "fleet", "--quarter", "2026-Q4", "--today", "2026-12-06", "--json"])
        .run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let fleet = &v["fleet"];
    assert_eq!((v["quarter"].as_str(), v["as_of"].as_str()), (Some("2026-Q4"), Some("2026-12-06")));
    assert_eq!(
        (fleet["projects"].as_u64(), fleet["previous"].as_u64(), fleet["change"].as_i64()),
        (Some(5), Some(5), Some(0))
    );
    assert_eq!(fleet["versions"]["svc"]["2.0.0"], 4);
    assert_eq!(fleet["on_latest"], 4);
    assert_eq!(fleet["on_latest_share"], 0.8);
    // Lead times 4, 10, 20, 60 days: median (10 + 20) / 2, p90 the 4th of 4 by nearest rank.
    assert_eq!(fleet["lead_time"], serde_json::json!({ "upgrades": 4, "median": 15, "p90": 60 }));
    assert_eq!(
        v["behind"][0],
        serde_json::json!({ "path": "fleet/p5", "template": "svc", "version": "1.1.0", "latest": "2.0.0", "since": "2026-10-01", "days": 66 })
    );
    assert_eq!(fleet["risk"]["expired_exceptions"], 1);
    assert_eq!(fleet["risk"]["open_exceptions"], 0);
    // Per team: team-a took 2.0.0 after 4 and 10 days.
    assert_eq!(v["teams"]["team-a"]["lead_time"], serde_json::json!({ "upgrades": 2, "median": 7, "p90": 10 }));
    assert_eq!(v["teams"]["team-b"]["behind"], 1);
    // The trend: the four quarters to 2026-Q4; in Q2 the 1.1.0 upgrades came 30 days after
    // 1.1.0's release.
    let trend = fleet["trend"].as_array().unwrap();
    let quarters: Vec<&str> = trend.iter().filter_map(|f| f["quarter"].as_str()).collect();
    assert_eq!(quarters, ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]);
    assert_eq!(trend[0]["projects"], 4);
    assert_eq!(trend[1]["lead_time"]["median"], 30);
    assert_eq!(trend[2]["projects"], 5);
}

#[test]
fn fleet_scorecard_text_names_the_figures() {
    scorecard_fleet()
        .args(["fleet", "scorecard", "fleet", "--quarter", "2026-Q4", "--today", "2026-12-06"])
        .stdout_contains("Golden-path scorecard 2026-Q4 (2026-10-01 to 2026-12-31, as of 2026-12-06)")
        .stdout_contains("  lead time   median 15 d, p90 60 d over 4 upgrade(s); 1 behind")
        .stdout_contains("  fleet/p5  svc 1.1.0 (newest 2.0.0) since 2026-10-01: 66 days")
        .run();
}

#[test]
fn fleet_scorecard_refuses_a_bad_quarter() {
    catalog()
        .args(["fleet", "scorecard", "fleet", "--quarter", "2026-Q5"])
        .status(2)
        .stderr_contains("`2026-Q5` is not a quarter YYYY-QN (for example 2026-Q4)")
        .run();
}

#[test]
fn fleet_scorecard_html_renders_in_chromium() {
    let out = scorecard_fleet()
        .args(["fleet", "scorecard", "fleet", "--quarter", "2026-Q4", "--today", "2026-12-06", "--html", "card.html"])
        .stderr_contains("Wrote card.html")
        .run();
    let html = out.read("card.html");
    assert!(html.contains("<svg") && html.contains("Median lead time"), "trend charts are inline SVG");
    assert!(html.contains("@media print"), "laid out for print");
    for fetch in ["<script", "<link", " src=", "@import", "url(", "http://", "https://"] {
        assert!(!html.contains(fetch), "the page loads something: {fetch}");
    }
    crate::publish::check_in_chromium(&out.sandbox.path("card.html"), &out.sandbox, "fleet-scorecard.png");
}

#[test]
fn template_lint_locked_ignores_a_release_date_added_later() {
    let out = catalog().args(["template", "lint", "catalog"]).run();
    let lock = out.read("catalog/catalog.lock");
    // A release date corrected after the release is metadata, not a change of the version.
    let path = "catalog/templates/svc/1.0.0/template.toml";
    out.write(path, out.read(path).replace("released = 2026-01-05", "released = 2026-01-06"));
    let out = out.then().args(["template", "lint", "--locked", "catalog"]).run();
    assert_eq!(out.read("catalog/catalog.lock"), lock);
    out.write(path, out.read(path).replace("description = \"mini\"", "description = \"changed\""));
    let out = out
        .then()
        .args(["template", "lint", "--locked", "catalog"])
        .status(1)
        .stdout_contains("this released version changed since it was locked")
        .run();
    out.write(path, out.read(path).replace("released = 2026-01-06", "released = \"soon\""));
    out.then().args(["template", "lint", "catalog"]).status(1).stdout_contains("released = \"soon\"").run();
}

#[test]
fn builtin_catalog_passes_lint_locked_with_release_dates() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut versions = 0;
    for template in std::fs::read_dir(root.join("templates")).unwrap() {
        for version in std::fs::read_dir(template.unwrap().path()).unwrap() {
            let manifest = std::fs::read_to_string(version.unwrap().path().join("template.toml")).unwrap();
            assert!(manifest.lines().any(|l| l.starts_with("released = 20")), "no release date:\n{manifest}");
            versions += 1;
        }
    }
    Test::new()
        .args(["template", "lint", "--locked"])
        .arg(root)
        .stderr_contains(&format!("{versions} version(s) checked: all good"))
        .run();
}

#[test]
fn catalog_publish_with_fleet_shows_adoption_and_release_dates() {
    let t = catalog();
    project_a(t.sandbox());
    let out = t.args(["fleet", "status", "fleet", "--json"]).run();
    out.write("status.json", &out.stdout);
    let out =
        out.then().args(["catalog", "publish", "--out", "site", "--format", "md", "--fleet", "status.json"]).run();
    let md = out.read("site/README.md");
    assert!(
        md.contains(
            "- **Versions:** 1.0.0 (released 2026-01-05), 1.1.0 (released 2026-04-10), 2.0.0 (released 2026-10-01)"
        ),
        "{md}"
    );
    assert!(md.contains("### Adoption\n\n1 project(s) in the fleet.\n\n| version | released | projects |\n|---|---|---|\n| 2.0.0 | 2026-10-01 | 0 |\n| 1.1.0 | 2026-04-10 | 1 |\n| 1.0.0 | 2026-01-05 | 0 |\n"), "{md}");
    assert!(md.contains("#### 2.0.0 — released 2026-10-01"), "{md}");
    out.write("bad.json", "{}");
    out.then()
        .args(["catalog", "publish", "--out", "site", "--fleet", "bad.json"])
        .status(2)
        .stderr_contains("bad.json is not fleet status JSON")
        .run();
}

#[test]
fn catalog_publish_shows_defaults_as_words() {
    let out = Test::new().args(["catalog", "publish", "--out", "site", "--format", "md"]).run();
    let md = out.read("site/README.md");
    assert!(md.contains("| derived from service_name |"), "a Tera default reads as words");
    assert!(!md.contains("{{"), "no template source on the page");
}

#[test]
fn catalog_in_git_dates_a_version_without_released_by_its_commit() {
    let t = catalog();
    let s = t.sandbox();
    let path = "catalog/templates/svc/2.0.0/template.toml";
    s.write(path, s.read(path).replace("released = 2026-10-01\n", ""));
    s.git("catalog", &["init", "-q", "-b", "main"]);
    git_at(s, "catalog", "2026-09-20", &["add", "-A"]);
    git_at(s, "catalog", "2026-09-20", &["commit", "-q", "-m", "three versions"]);
    let out = t.args(["catalog", "publish", "--out", "site", "--format", "md"]).run();
    let md = out.read("site/README.md");
    assert!(
        md.contains(
            "- **Versions:** 1.0.0 (released 2026-01-05), 1.1.0 (released 2026-04-10), 2.0.0 (released 2026-09-20)"
        ),
        "the field wins; without it, the commit that added the version: {md}"
    );
}

#[test]
fn fleet_history_in_a_shallow_clone_still_sees_a_creation_after_the_cut() {
    let t = catalog();
    let s = t.sandbox();
    commit(s, "fleet/d", "README.md", "d\n", "2026-02-01");
    commit(s, "fleet/d", "src/main.rs", "fn main() {}\n", "2026-03-01");
    commit(s, "fleet/d", ".pave.toml", &record("1.1.0", "team-d", &[]), "2026-03-01");
    let origin = format!("file://{}", s.path("fleet/d").display());
    s.git("", &["clone", "-q", "--depth", "2", &origin, "shallow/d"]);
    let out = t.args(["fleet", "history", "shallow", "--today", "2026-12-06"]).run();
    assert_eq!(
        out.stdout,
        "shallow/d  svc 1.1.0  owner team-d
  2026-03-01  created            svc 1.1.0
  note: history cut at 2026-03-01: the clone is shallow, nothing earlier is known
"
    );
}

/// Bare clones of the sandbox's `fleet/NAME` repositories under `srv/`, listed as `file://` URLs
/// in `remotes.txt`.
fn publish(s: &Sandbox, names: &[&str]) {
    let mut list = String::new();
    for n in names {
        s.git(".", &["clone", "-q", "--bare", &format!("fleet/{n}"), &format!("srv/{n}.git")]);
        writeln!(list, "file://{}", s.path(&format!("srv/{n}.git")).display()).unwrap();
    }
    s.write("remotes.txt", list);
}

#[test]
fn fleet_history_reads_repositories_listed_by_url_from_their_mirrors() {
    let t = catalog();
    project_a(t.sandbox());
    publish(t.sandbox(), &["a"]);
    t.args(["fleet", "history", "--repos-from", "remotes.txt", "--today", "2026-12-06"])
        .stdout(&format!("a{A_EVENTS}"))
        .stderr_contains("1 project, 6 events (6 commits walked in")
        .run();
}

#[test]
fn fleet_scorecard_of_remote_repositories_matches_their_checkouts() {
    let t = scorecard_fleet();
    publish(t.sandbox(), &["p1", "p2", "p3", "p4", "p5"]);
    let out = t.args(["fleet", "scorecard", "fleet", "--quarter", "2026-Q4", "--today", "2026-12-06", "--json"]).run();
    let local: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let remote = out
        .then()
        .args(["fleet", "scorecard", "--repos-from", "remotes.txt", "--quarter", "2026-Q4", "--today", "2026-12-06"])
        .arg("--json")
        .run();
    let remote: serde_json::Value = serde_json::from_str(&remote.stdout).unwrap();
    for key in ["projects", "versions", "on_latest", "lead_time", "risk", "trend"] {
        assert_eq!(remote["fleet"][key], local["fleet"][key], "{key}");
    }
    assert_eq!(remote["behind"][0]["path"], "p5");
    assert_eq!(remote["behind"][0]["days"], 66);
}

#[test]
fn fleet_history_of_an_unreachable_remote_fails_it_alone() {
    let t = catalog();
    project_a(t.sandbox());
    publish(t.sandbox(), &["a"]);
    let s = t.sandbox();
    let list = s.read("remotes.txt");
    s.write("remotes.txt", format!("{list}file://{}\n", s.path("srv/missing.git").display()));
    let out =
        t.args(["fleet", "history", "--repos-from", "remotes.txt", "--json", "--today", "2026-12-06"]).status(1).run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let paths: Vec<&str> = v["projects"].as_array().unwrap().iter().filter_map(|p| p["path"].as_str()).collect();
    assert_eq!(paths, ["a", "missing"]);
    assert_eq!(v["projects"][0]["events"].as_array().unwrap().len(), 6);
    assert!(v["projects"][1]["error"].as_str().is_some_and(|e| !e.is_empty()), "{}", v["projects"][1]);
}
