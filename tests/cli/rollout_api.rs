//! `pave fleet rollout` with pull requests, against [`FakeGithub`]: open, draft, merged (its
//! branch deleted), closed, the checks of an open one, an API error that fails one repository
//! alone, the API-call budget of a re-run, `--github-org`, a local checkout's `origin`, and the
//! burndown.

use crate::fake_github::{FakeGithub, Pull};
use crate::remote_fleet_fixture::{BRANCH, Fleet, Kind};
use crate::rollout::rollout;

const TODAY: &str = "2026-12-06";

/// A fleet over `file://` with a pull request in each state, and the API that knows them.
fn fleet_with_pulls() -> (Fleet, FakeGithub) {
    let mut f = Fleet::new(Kind::File);
    for name in ["svc-open", "svc-draft", "svc-merged", "svc-closed", "svc-new", "svc-unknown"] {
        f.add(name, "1.0.0");
    }
    f.add("svc-current", "2.0.0");
    f.upgrade(&["svc-open", "svc-draft", "svc-merged", "svc-closed"], &[]).expect_code(0);
    let gh = FakeGithub::start();
    // `file:///…/srv/NAME.git` is the repository `srv/NAME` to the API.
    for name in ["svc-new", "svc-current"] {
        gh.add_repo(&format!("srv/{name}"));
    }
    let tip = |name: &str| f.rev(name, BRANCH).unwrap();
    let pull = |name: &str, created_at: &str, draft: bool| {
        let sha = tip(name);
        gh.add_pull(&format!("srv/{name}"), &Pull { head: BRANCH, sha: &sha, created_at, draft })
    };
    pull("svc-open", "2026-12-01T09:00:00Z", false);
    gh.add_check_run(&tip("svc-open"), "ci", Some("success"));
    gh.add_check_run(&tip("svc-open"), "lint", Some("skipped"));
    pull("svc-draft", "2026-12-02T09:00:00Z", true);
    gh.add_check_run(&tip("svc-draft"), "ci", Some("failure"));
    let n = pull("svc-merged", "2026-12-01T12:00:00Z", false);
    gh.merge_pull("srv/svc-merged", n, "2026-12-03T15:00:00Z");
    let n = pull("svc-closed", "2026-12-02T12:00:00Z", false);
    gh.close_pull("srv/svc-closed", n, "2026-12-04T08:00:00Z");
    // Merged on the forge, and its branch deleted, as GitHub does.
    f.merge("svc-merged", BRANCH);
    f.sb.git("srv/svc-merged.git", &["branch", "-D", BRANCH]);
    let lines: Vec<String> =
        ["svc-open", "svc-draft", "svc-merged", "svc-closed", "svc-new", "svc-current", "svc-unknown"]
            .iter()
            .map(|n| f.line(n))
            .collect();
    f.sb.write("repos.txt", lines.join("\n"));
    (f, gh)
}

#[test]
fn fleet_rollout_shows_pull_requests_their_checks_and_age() {
    let (f, gh) = fleet_with_pulls();
    let args = ["app@2.0.0", "--repos-from", "repos.txt", "--api-url", &gh.url(), "--today", TODAY];
    let r = rollout(&f, &[&args[..], &["--json"]].concat(), &[]);
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
    assert_eq!(open["url"], "https://github.com/srv/svc-open/pull/1");
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
    assert_eq!(r.row("svc-closed")["pr"]["closed_at"], "2026-12-04T08:00:00Z");
    let unknown = r.row("svc-unknown");
    assert!(unknown["error"].as_str().unwrap().contains("GitHub:"), "{unknown}");
    assert!(unknown["error"].as_str().unwrap().contains("404"), "{unknown}");
    assert_eq!(
        (unknown["from"].as_str(), unknown["branch"].as_null()),
        (Some("1.0.0"), Some(())),
        "git was read: {unknown}"
    );
    let summary = &r.json["summary"];
    assert_eq!((summary["draft"].as_u64(), summary["failing_checks"].as_u64()), (Some(1), Some(1)), "{summary}");

    // The budget: one call per repository for its pull requests, one more for an open one's
    // checks; only GETs; and the same again for a re-run where nothing changed.
    let calls = gh.requests();
    assert_eq!(r.json["api_calls"].as_u64(), Some(calls.len() as u64), "{calls:#?}");
    assert_eq!(calls.len(), 7 + 2, "{calls:#?}");
    assert!(calls.iter().all(|c| c.starts_with("GET /repos/srv/")), "{calls:#?}");
    for name in ["svc-open", "svc-draft", "svc-merged", "svc-new"] {
        let of = calls.iter().filter(|c| c.contains(&format!("/srv/{name}/"))).count();
        assert!(of <= 2, "{name}: {of} calls");
    }
    let again = rollout(&f, &[&args[..], &["--json"]].concat(), &[]);
    assert_eq!(again.json["api_calls"], r.json["api_calls"], "a re-run costs the same");
    assert_eq!(gh.requests().len(), 2 * calls.len());

    // The table.
    let t = rollout(&f, &args, &[]);
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
    let (f, gh) = fleet_with_pulls();
    let r = rollout(
        &f,
        &["app@2.0.0", "--repos-from", "repos.txt", "--api-url", &gh.url(), "--today", TODAY, "--html", "r.html"],
        &[],
    );
    assert_eq!(r.run.code, Some(0), "{}", r.run.output());
    let html = f.sb.read("r.html");
    // From the day before the first was opened to today: by today two open, one merged, one
    // closed.
    assert!(html.contains(">2026-11-30</text>") && html.contains(">2026-12-06</text>"), "the x axis runs to today");
    assert!(html.contains("open (2)") && html.contains("merged (1)") && html.contains("to move (6)"), "{html}");
    assert!(html.contains("<a href=\"https://github.com/srv/svc-draft/pull/1\">#1</a> (draft)"), "{html}");
    for fetch in ["<script", "<link", " src=", "@import", "url("] {
        assert!(!html.contains(fetch), "the page loads something: {fetch}");
    }
    crate::publish::check_in_chromium(&f.sb.path("r.html"), &f.sb, "fleet-rollout-burndown.png");
}

/// A local checkout's pull request is found through its `origin` remote.
#[test]
fn fleet_rollout_local_checkout_asks_about_its_origin() {
    let mut f = Fleet::new(Kind::Local);
    f.add("svc-a", "1.0.0");
    f.sb.git("fleet/svc-a", &["remote", "add", "origin", "https://github.com/acme/svc-a.git"]);
    f.upgrade(&["svc-a"], &[]).expect_code(0);
    let gh = FakeGithub::start();
    let sha = f.rev("svc-a", BRANCH).unwrap();
    gh.add_pull("acme/svc-a", &Pull { head: BRANCH, sha: &sha, created_at: "2026-12-05T10:00:00Z", draft: false });
    let r = rollout(&f, &["app@2.0.0", "fleet", "--api-url", &gh.url(), "--today", TODAY, "--json"], &[]);
    assert_eq!(r.state("fleet/svc-a"), "pr-open", "{:#}\n{}", r.json, r.run.output());
    assert_eq!(r.row("fleet/svc-a")["pr"]["checks"], "none");
    assert_eq!(gh.requests().len(), 2, "{:#?}", gh.requests());
}

/// A token alone asks github.com about github.com's repositories only: a fleet elsewhere costs
/// no call.
#[test]
fn fleet_rollout_asks_github_com_only_about_its_own_repositories() {
    let mut f = Fleet::new(Kind::File);
    f.add("svc-a", "1.0.0");
    f.sb.write("repos.txt", f.line("svc-a"));
    let r = rollout(&f, &["app@2.0.0", "--repos-from", "repos.txt", "--json"], &[("PAVE_GITHUB_TOKEN", "t0k")]);
    assert_eq!((r.state("svc-a"), r.json["api_calls"].as_u64()), ("not-started", Some(0)), "{}", r.run.output());
}

/// `--github-org`: the organisation's repositories that use pave, each asked about once more.
#[test]
fn fleet_rollout_github_org_lists_the_repositories_that_use_pave() {
    let mut f = Fleet::new(Kind::File);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    f.upgrade(&["svc-a"], &[]).expect_code(0);
    let gh = FakeGithub::start();
    // The organisation `srv`, so that `file:///…/srv/NAME.git` is `srv/NAME` to the API too.
    gh.add_org_repo("srv", "svc-a", &f.file_url("svc-a"), &[".pave.toml", "README.md"]);
    gh.add_org_repo("srv", "svc-b", &f.file_url("svc-b"), &[".pave.toml"]);
    gh.add_org_repo("srv", "website", &f.file_url("website"), &["index.html"]);
    let sha = f.rev("svc-a", BRANCH).unwrap();
    gh.add_pull("srv/svc-a", &Pull { head: BRANCH, sha: &sha, created_at: "2026-12-04T10:00:00Z", draft: false });
    gh.add_check_run(&sha, "ci", None);
    let r = rollout(&f, &["app@2.0.0", "--github-org", "srv", "--api-url", &gh.url(), "--today", TODAY, "--json"], &[]);
    assert_eq!(r.run.code, Some(0), "{}", r.run.output());
    assert!(r.run.stderr.contains("srv: 3 repositories, 2 use pave"), "{}", r.run.output());
    assert_eq!((r.state("svc-a"), r.state("svc-b")), ("pr-open", "not-started"), "{:#}", r.json);
    assert_eq!(r.row("svc-a")["pr"]["checks"], "pending");
    assert_eq!(r.json["projects"].as_array().unwrap().len(), 2);
    // The listing, a tree per repository; then the pull requests of the two, and one's checks.
    assert_eq!(r.json["api_calls"].as_u64(), Some(1 + 3 + 2 + 1), "{:#?}", gh.requests());
}
