//! `pave fleet rollout` with pull requests, against the contract-checked GitHub server
//! (`tests/servers/github`, [`GithubServer`](crate::github_server::GithubServer)), which checks
//! every request pave sends and every answer it reads against GitHub's `OpenAPI` description, over
//! real repositories served by the git HTTP server ([`Forge`]): open, draft, merged (its branch
//! deleted), closed, the checks of an open one, an API error that fails one repository alone,
//! the API-call budget of a re-run, `--github-org`, a local checkout's `origin`, and the
//! burndown.

use crate::github_server::{CheckRun, Fault, Pull, Repo, Request, require};
use crate::pull_requests::{API_TOKEN, Forge, OWNER};
use crate::remote_fleet_fixture::{BRANCH, Fleet, Kind};
use crate::rollout::{Rollout, rollout};
use crate::sandbox::Sandbox;

const TODAY: &str = "2026-12-06";

/// The order the rows and the table list them in.
const NAMES: [&str; 7] = ["svc-closed", "svc-current", "svc-draft", "svc-merged", "svc-new", "svc-open", "svc-unknown"];

/// `pave fleet rollout app@2.0.0 --api-url … --today TODAY ARGS`, with the API's token.
fn rollout_api(forge: &Forge, args: &[&str]) -> Rollout {
    let api = forge.gh.url();
    let mut all = vec!["app@2.0.0", "--api-url", api.as_str(), "--today", TODAY];
    all.extend_from_slice(args);
    rollout(&forge.f, &all, &[("PAVE_GITHUB_TOKEN", API_TOKEN)])
}

/// `--repos-from repos.txt` listing the fleet of [`fleet_with_pulls`].
fn over_the_fleet(forge: &Forge, args: &[&str]) -> Rollout {
    let mut all = vec!["--repos-from", "repos.txt"];
    all.extend_from_slice(args);
    rollout_api(forge, &all)
}

/// A fleet with a pull request in each state, opened and ended at fixed times: `svc-open` (its
/// checks passing), `svc-draft` (failing), `svc-merged` (merged in git too, its branch then
/// deleted as GitHub does), `svc-closed`; `svc-new` without a branch, `svc-current` on 2.0.0
/// already, and `svc-unknown`, served by git but unknown to the API.
fn fleet_with_pulls() -> Forge {
    let mut forge = Forge::new(&["svc-open", "svc-draft", "svc-merged", "svc-closed", "svc-new"]);
    forge.f.add(&format!("{OWNER}/svc-current"), "2.0.0");
    forge.gh.add_repo(Repo::new(OWNER, "svc-current"));
    forge.f.add(&format!("{OWNER}/svc-unknown"), "1.0.0");
    let with_branch: Vec<String> =
        ["svc-open", "svc-draft", "svc-merged", "svc-closed"].iter().map(|n| format!("{OWNER}/{n}")).collect();
    let with_branch: Vec<&str> = with_branch.iter().map(String::as_str).collect();
    forge.f.upgrade(&with_branch, &[]).expect_code(0);
    let gh = &forge.gh;
    let pull = |name: &str, created_at: &str| Pull::new(OWNER, name, BRANCH).created_at(created_at);
    gh.add_pull(pull("svc-open", "2026-12-01T09:00:00Z"));
    gh.add_check_run(CheckRun::new(OWNER, "svc-open", BRANCH, "ci").status("completed").conclusion("success"));
    gh.add_check_run(CheckRun::new(OWNER, "svc-open", BRANCH, "lint").status("completed").conclusion("skipped"));
    gh.add_pull(pull("svc-draft", "2026-12-02T09:00:00Z").draft());
    gh.add_check_run(CheckRun::new(OWNER, "svc-draft", BRANCH, "ci").status("completed").conclusion("failure"));
    let merged = gh.add_pull(pull("svc-merged", "2026-12-01T12:00:00Z"));
    forge.f.merge(&format!("{OWNER}/svc-merged"), BRANCH);
    gh.merge_pull_at(OWNER, "svc-merged", merged, "2026-12-03T15:00:00Z");
    forge.f.sb.git(&format!("srv/{OWNER}/svc-merged.git"), &["branch", "-D", BRANCH]);
    let closed = gh.add_pull(pull("svc-closed", "2026-12-02T12:00:00Z"));
    gh.close_pull_at(OWNER, "svc-closed", closed, "2026-12-04T08:00:00Z");
    let lines: Vec<String> = NAMES.iter().map(|n| forge.line(n)).collect();
    forge.f.sb.write("repos.txt", lines.join("\n"));
    forge
}

/// The query parameter `name` of a logged request, percent-decoded.
fn param(r: &Request, name: &str) -> Option<String> {
    r.query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).map(|v| {
        let mut out = v.to_string();
        for (code, c) in [("%3A", ":"), ("%3a", ":"), ("%2F", "/"), ("%2f", "/")] {
            out = out.replace(code, c);
        }
        out
    })
}

/// The calls of `acme/NAME`, `OPERATION ?query` each.
fn calls_of(requests: &[Request], name: &str) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.repo.as_deref() == Some(&format!("{OWNER}/{name}")))
        .map(|r| format!("{} {}", r.operation.as_deref().unwrap_or("?"), r.path))
        .collect()
}

#[test]
fn fleet_rollout_shows_pull_requests_their_checks_and_age() {
    if !require() {
        return;
    }
    let forge = fleet_with_pulls();
    let r = over_the_fleet(&forge, &["--json"]);
    assert_eq!(r.run.code, Some(0), "{}", r.run.output());
    for (name, state) in [
        ("svc-open", "pr-open"),
        ("svc-draft", "pr-open"),
        ("svc-merged", "merged"),
        ("svc-closed", "closed"),
        ("svc-new", "not-started"),
        ("svc-current", "on-version"),
        ("svc-unknown", "failed"),
    ] {
        assert_eq!(r.state(name), state, "{name}:\n{:#}", r.json);
    }
    let open = &r.row("svc-open")["pr"];
    assert_eq!(open["number"], 1);
    assert_eq!(open["url"], format!("https://github.com/{OWNER}/svc-open/pull/1"));
    assert_eq!((open["state"].as_str(), open["draft"].as_bool()), (Some("open"), Some(false)), "{open}");
    assert_eq!((open["checks"].as_str(), open["age_days"].as_i64()), (Some("passing"), Some(5)), "{open}");
    assert_eq!(open["created_at"], "2026-12-01T09:00:00Z");
    let draft = &r.row("svc-draft")["pr"];
    assert_eq!((draft["state"].as_str(), draft["draft"].as_bool()), (Some("draft"), Some(true)), "{draft}");
    assert_eq!(draft["checks"], "failing");
    let merged = r.row("svc-merged");
    assert_eq!(
        (merged["pr"]["state"].as_str(), merged["pr"]["merged_at"].as_str()),
        (Some("merged"), Some("2026-12-03T15:00:00Z"))
    );
    assert_eq!(merged["pr"]["checks"], serde_json::Value::Null, "checks are asked of open pull requests only");
    assert_eq!(merged["pr"]["age_days"], 2, "open from the 1st to the 3rd");
    assert_eq!(merged["branch"], BRANCH, "the branch of the pull request, though deleted");
    assert_eq!(forge.f.rev(&format!("{OWNER}/svc-merged"), BRANCH), None, "the branch is deleted");
    assert_eq!(r.row("svc-closed")["pr"]["closed_at"], "2026-12-04T08:00:00Z");
    let unknown = r.row("svc-unknown");
    let error = unknown["error"].as_str().unwrap();
    assert!(error.contains("GitHub:") && error.contains("404"), "the API does not know it: {unknown}");
    assert_eq!(
        (unknown["from"].as_str(), unknown["branch"].as_null()),
        (Some("1.0.0"), Some(())),
        "git was read: {unknown}"
    );
    let summary = &r.json["summary"];
    assert_eq!((summary["draft"].as_u64(), summary["failing_checks"].as_u64()), (Some(1), Some(1)), "{summary}");

    // The budget: one call per repository for its branch's pull requests, one more for an open
    // one's checks (of the commit at its head); only reads; and the same again for a re-run
    // where nothing changed.
    let calls = forge.gh.requests();
    assert_eq!(r.json["api_calls"].as_u64(), Some(calls.len() as u64), "{calls:#?}");
    assert_eq!(calls.len(), 7 + 2, "{calls:#?}");
    assert!(calls.iter().all(|c| c.method == "GET"), "a rollout only reads: {calls:#?}");
    for c in calls.iter().filter(|c| c.operation.as_deref() == Some("pulls/list")) {
        assert_eq!(param(c, "state").as_deref(), Some("all"), "{c:?}");
        assert_eq!(param(c, "head"), Some(format!("{OWNER}:{BRANCH}")), "{c:?}");
    }
    for name in NAMES {
        let pulls = format!("pulls/list /repos/{OWNER}/{name}/pulls");
        let expected = match name {
            "svc-open" | "svc-draft" => {
                let sha = forge.f.rev(&format!("{OWNER}/{name}"), BRANCH).unwrap();
                vec![pulls, format!("checks/list-for-ref /repos/{OWNER}/{name}/commits/{sha}/check-runs")]
            }
            _ => vec![pulls],
        };
        assert_eq!(calls_of(&calls, name), expected, "{name}");
    }
    let per_repo = forge.gh.calls_per_repo();
    forge.gh.clear_requests();
    let again = over_the_fleet(&forge, &["--json"]);
    assert_eq!(again.json["api_calls"], r.json["api_calls"], "a re-run costs the same");
    assert_eq!(forge.gh.calls_per_repo(), per_repo, "{}", again.run.output());

    // The table.
    let t = over_the_fleet(&forge, &[]);
    assert!(
        t.run.stdout.starts_with(
            "7 repositories: 1 merged · 1 on-version · 2 pr-open (1 draft, 1 failing checks) · 1 not-started · 1 closed · 1 failed\n"
        ),
        "{}",
        t.run.output()
    );
    let line = |name: &str| t.run.stdout.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap().to_string();
    let draft = line("svc-draft");
    assert!(
        draft.contains(" pr-open ")
            && draft.contains("#1 draft")
            && draft.contains(" 4d ")
            && draft.ends_with(" failing"),
        "{draft}"
    );
    assert!(t.run.stderr.contains("GitHub API: 9 calls"), "{}", t.run.output());
}

/// The page: the burndown from the pull requests' own timestamps, their links, in Chromium.
#[test]
fn fleet_rollout_html_burndown_follows_the_pull_requests() {
    if !require() {
        return;
    }
    let forge = fleet_with_pulls();
    let r = over_the_fleet(&forge, &["--html", "r.html"]);
    assert_eq!(r.run.code, Some(0), "{}", r.run.output());
    let html = forge.f.sb.read("r.html");
    // From the day before the first was opened to today: by today two open, one merged, one
    // closed.
    assert!(html.contains(">2026-11-30</text>") && html.contains(">2026-12-06</text>"), "the x axis runs to today");
    assert!(html.contains("open (2)") && html.contains("merged (1)") && html.contains("to move (6)"), "{html}");
    assert!(
        html.contains(&format!("<a href=\"https://github.com/{OWNER}/svc-draft/pull/1\">#1</a> (draft)")),
        "{html}"
    );
    for fetch in ["<script", "<link", " src=", "@import", "url("] {
        assert!(!html.contains(fetch), "the page loads something: {fetch}");
    }
    crate::publish::check_in_chromium(&forge.f.sb.path("r.html"), &forge.f.sb, "fleet-rollout-burndown.png");
}

/// An error GitHub answers for one repository fails that repository alone, after the retries
/// it was worth: checks the token may not read (403) fail the one whose pull request is open; a
/// 502 on another's pull requests is asked again. The pull requests are pave's own, opened by
/// `pave fleet upgrade --open-prs`.
#[test]
fn fleet_rollout_an_api_error_fails_one_repository_alone() {
    if !require() {
        return;
    }
    let names = ["svc-a", "svc-b", "svc-c"];
    let mut forge = Forge::new(&names);
    forge.upgrade(&names, &[]).expect_code(0);
    for name in names {
        forge.open_pull(name);
        forge.gh.add_check_run(CheckRun::new(OWNER, name, BRANCH, "ci").status("completed").conclusion("success"));
    }
    forge.gh.fault(
        Fault::new("GET", &format!("^/repos/{OWNER}/svc-a/commits/[^/]+/check-runs$"))
            .status(403)
            .message("Resource not accessible by integration"),
    );
    forge.gh.fault(Fault::server_error("GET", &format!("^/repos/{OWNER}/svc-b/pulls$"), 502).once());
    let lines: Vec<String> = names.iter().map(|n| forge.line(n)).collect();
    forge.f.sb.write("repos.txt", lines.join("\n"));
    forge.gh.clear_requests();
    let r = rollout_api(&forge, &["--repos-from", "repos.txt", "--json"]);
    assert_eq!(r.run.code, Some(0), "{}", r.run.output());
    let a = r.row("svc-a");
    assert_eq!(a["state"], "failed", "{a}");
    let error = a["error"].as_str().unwrap();
    assert!(error.starts_with("GitHub: ") && error.contains("Resource not accessible by integration"), "{a}");
    assert_eq!(a["from"], "1.0.0", "git was read: {a}");
    for name in ["svc-b", "svc-c"] {
        assert_eq!((r.state(name), r.row(name)["pr"]["checks"].as_str()), ("pr-open", Some("passing")), "{name}");
    }
    let injected: Vec<String> = forge
        .gh
        .requests()
        .into_iter()
        .filter(|q| q.injected)
        .map(|q| format!("{} {} {}", q.method, q.path, q.status))
        .collect();
    assert_eq!(injected.len(), 2, "the 403 is not retried, the 502 once: {injected:?}");
    let per_repo = forge.gh.calls_per_repo();
    assert_eq!(
        [&format!("{OWNER}/svc-a"), &format!("{OWNER}/svc-b"), &format!("{OWNER}/svc-c")].map(|k| per_repo.get(k)),
        [Some(&2), Some(&3), Some(&2)],
        "{per_repo:?}"
    );
    assert_eq!(r.json["api_calls"].as_u64(), Some(7), "every attempt counts");
}

/// A local checkout's pull request is found through its `origin` remote: the clone of a
/// developer whose `origin` is github.com, pave's branch among its remote-tracking ones, its
/// pull request the one pave opened.
#[test]
fn fleet_rollout_local_checkout_asks_about_its_origin() {
    if !require() {
        return;
    }
    let mut forge = Forge::new(&["svc-a"]);
    forge.upgrade(&["svc-a"], &[]).expect_code(0);
    let number = forge.open_pull("svc-a")["number"].as_u64().unwrap();
    let sb = &forge.f.sb;
    sb.git(".", &["clone", "-q", &format!("srv/{OWNER}/svc-a.git"), "checkouts/svc-a"]);
    sb.git("checkouts/svc-a", &["remote", "set-url", "origin", &format!("https://github.com/{OWNER}/svc-a.git")]);
    forge.gh.clear_requests();
    let r = rollout_api(&forge, &["checkouts", "--json"]);
    assert_eq!(r.state("checkouts/svc-a"), "pr-open", "{:#}\n{}", r.json, r.run.output());
    let pr = &r.row("checkouts/svc-a")["pr"];
    assert_eq!((pr["number"].as_u64(), pr["checks"].as_str()), (Some(number), Some("none")), "{pr}");
    let calls: Vec<Option<String>> = forge.gh.requests().into_iter().map(|q| q.operation).collect();
    assert_eq!(calls, [Some("pulls/list".to_string()), Some("checks/list-for-ref".to_string())]);
    assert_eq!(forge.gh.calls_per_repo().keys().collect::<Vec<_>>(), [&format!("{OWNER}/svc-a")]);
}

/// A token alone asks github.com about github.com's repositories only: a fleet elsewhere costs
/// no call.
#[test]
fn fleet_rollout_asks_github_com_only_about_its_own_repositories() {
    let f = Fleet::new(Kind::File);
    f.add("svc-a", "1.0.0");
    f.sb.write("repos.txt", f.line("svc-a"));
    let r = rollout(&f, &["app@2.0.0", "--repos-from", "repos.txt", "--json"], &[("PAVE_GITHUB_TOKEN", "t0k")]);
    assert_eq!((r.state("svc-a"), r.json["api_calls"].as_u64()), ("not-started", Some(0)), "{}", r.run.output());
}

/// `--github-org`: the organisation's repositories that use pave (a `.pave.toml` in their
/// tree), each asked about once more; pave fetches them from their `clone_url`.
#[test]
fn fleet_rollout_github_org_lists_the_repositories_that_use_pave() {
    if !require() {
        return;
    }
    let mut forge = Forge::new(&["svc-a", "svc-b"]);
    forge.f.add(&format!("{OWNER}/svc-c"), "2.0.0");
    forge.f.add_with(&format!("{OWNER}/website"), |s: &Sandbox, dir: &str| {
        s.git(".", &["init", "-q", "-b", "main", dir]);
        s.write(&format!("{dir}/index.html"), "<h1>hello</h1>\n");
        s.commit_all(dir, "the site");
    });
    for name in ["svc-c", "website"] {
        forge.gh.add_repo(Repo::new(OWNER, name));
    }
    forge.upgrade(&["svc-a"], &[]).expect_code(0);
    forge.open_pull("svc-a");
    forge.gh.add_check_run(CheckRun::new(OWNER, "svc-a", BRANCH, "ci").status("in_progress"));
    forge.gh.clear_requests();
    let r = rollout_api(&forge, &["--github-org", OWNER, "--json"]);
    assert_eq!(r.run.code, Some(0), "{}", r.run.output());
    assert!(r.run.stderr.contains("acme: 4 repositories, 3 use pave"), "{}", r.run.output());
    assert_eq!(
        (r.state("svc-a"), r.state("svc-b"), r.state("svc-c")),
        ("pr-open", "not-started", "on-version"),
        "{:#}",
        r.json
    );
    assert_eq!(r.row("svc-a")["pr"]["checks"], "pending");
    assert_eq!(r.json["projects"].as_array().unwrap().len(), 3);
    // The listing, a tree per repository; then the pull requests of the three, and one's checks.
    let requests = forge.gh.requests();
    let count = |op: &str| requests.iter().filter(|q| q.operation.as_deref() == Some(op)).count();
    assert_eq!(
        ["repos/list-for-org", "git/get-tree", "pulls/list", "checks/list-for-ref"].map(count),
        [1, 4, 3, 1],
        "{requests:#?}"
    );
    assert_eq!(r.json["api_calls"].as_u64(), Some(1 + 4 + 3 + 1), "{requests:#?}");
}
