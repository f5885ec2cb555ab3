//! `pave fleet upgrade --open-prs` (issue 11): against the real git HTTP server for the pushes and
//! the fake GitHub API, which checks every request and response against GitHub's `OpenAPI`
//! description (a broken contract fails the test when the server is dropped).

use serde_json::Value;

use crate::github_server::{Fault, GithubServer, Pull, Repo, require};
use crate::remote_fleet_fixture::{BRANCH, Fleet, Kind, TOKEN, Upgrade, new_app};
use crate::sandbox::Sandbox;

/// The API token the fake wants.
pub const API_TOKEN: &str = "ghp-test-7c1d2e";
/// The organisation of the forge's repositories.
pub const OWNER: &str = "acme";

/// A fleet of `acme/…` repositories served over smart HTTP, and GitHub's API for them (also
/// the fixture of `rollout_api`).
pub struct Forge {
    /// The repositories, under `srv/acme/`, served by the git HTTP server.
    pub f: Fleet,
    /// The API, whose `clone_url`s point at that server.
    pub gh: GithubServer,
}

impl Forge {
    /// `names` (under `acme/`), each made with `pave new app@1.0.0`.
    pub fn new(names: &[&str]) -> Self {
        let forge = Self::unlisted(names, &[]);
        for n in names {
            forge.gh.add_repo(Repo::new(OWNER, n));
        }
        forge
    }

    /// [`Forge::new`] with options for the fake, and no repository on the API yet.
    pub fn unlisted(names: &[&str], extra: &[&str]) -> Self {
        let f = Fleet::new(Kind::Http);
        for n in names {
            f.add(&format!("{OWNER}/{n}"), "1.0.0");
        }
        let git = format!("http://127.0.0.1:{}", f.server.as_ref().unwrap().port());
        let mut args = vec!["--git-url", git.as_str()];
        args.extend_from_slice(extra);
        let gh = GithubServer::start_with(&f.sb, "srv", API_TOKEN, &args);
        Self { f, gh }
    }

    /// How `acme/NAME` is listed in `--repos-from`.
    pub fn line(&self, name: &str) -> String {
        self.f.line(&format!("{OWNER}/{name}"))
    }

    /// `pave fleet upgrade --open-prs --api-url … EXTRA` over `names`.
    pub fn upgrade(&mut self, names: &[&str], extra: &[&str]) -> Upgrade {
        let lines: Vec<String> = names.iter().map(|n| self.line(n)).collect();
        let api = self.gh.url();
        let mut args = vec!["--open-prs", "--api-url", api.as_str()];
        args.extend_from_slice(extra);
        let env = [("PAVE_GIT_TOKEN", TOKEN), ("GITHUB_TOKEN", API_TOKEN), ("PAVE_GITHUB_TOKEN", "")];
        self.f.upgrade_lines(&lines, &args, &env)
    }

    /// The pull requests of `acme/NAME`.
    pub fn pulls(&self, name: &str) -> Vec<Value> {
        self.gh.pulls(OWNER, name)
    }

    /// The one open pull request of `acme/NAME`.
    #[track_caller]
    pub fn open_pull(&self, name: &str) -> Value {
        let open: Vec<Value> = self.pulls(name).into_iter().filter(|p| p["state"] == "open").collect();
        assert_eq!(open.len(), 1, "{name}: {open:#?}");
        open.into_iter().next().unwrap()
    }

    /// The mutating calls the fake served since `clear_requests`.
    fn writes(&self) -> Vec<String> {
        self.gh
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {} {}", r.method, r.path, r.status))
            .collect()
    }
}

fn pr_of(up: &Upgrade, line: &str) -> Value {
    up.row(line)["pr"].clone()
}

/// A first run opens one labelled pull request per repository, with pave's title and body; a
/// re-run with nothing changed writes nothing and costs one API call per repository.
#[test]
fn open_prs_opens_a_pull_request_per_branch_and_a_rerun_costs_one_call_per_repository() {
    if !require() {
        return;
    }
    let mut forge = Forge::new(&["svc-a", "svc-b"]);
    let up = forge.upgrade(&["svc-a", "svc-b"], &[]);
    up.expect_code(0);
    for name in ["svc-a", "svc-b"] {
        let line = forge.line(name);
        up.expect(&line, "upgraded");
        let pr = forge.open_pull(name);
        assert_eq!(pr["title"], "Upgrade app from 1.0.0 to 2.0.0", "{pr:#}");
        assert_eq!(pr["head"]["ref"], BRANCH);
        assert_eq!(pr["base"]["ref"], "main");
        assert_eq!(pr["draft"], false);
        // The pull request's head is the branch pushed to the real git server.
        assert_eq!(pr["head"]["sha"].as_str(), forge.f.rev(&format!("{OWNER}/{name}"), BRANCH).as_deref());
        let body = pr["body"].as_str().unwrap();
        assert!(body.starts_with("<!-- pave:pull-request -->"), "{body}");
        for part in ["### Files", "| `README.md` | updated", "### `pave check` on the result", "### Support"] {
            assert!(body.contains(part), "no {part:?} in the body:\n{body}");
        }
        let number = pr["number"].as_u64().unwrap();
        assert_eq!(forge.gh.labels(OWNER, name, number), ["pave", "template/app"]);
        let reported = pr_of(&up, &line);
        assert_eq!(reported["number"].as_u64(), Some(number), "{reported}");
        assert_eq!(reported["state"], "open");
        assert_eq!(reported["url"], pr["html_url"]);
    }
    assert!(up.run.stderr.contains("#1 open") || up.run.stdout.contains("#1 open"), "{}", up.run.output());
    assert!(up.run.stderr.contains("Pull requests: 2 opened."), "{}", up.run.output());

    forge.gh.clear_requests();
    let again = forge.upgrade(&["svc-a", "svc-b"], &[]);
    again.expect_code(0);
    for name in ["svc-a", "svc-b"] {
        again.expect(&forge.line(name), "unchanged");
        assert_eq!(forge.pulls(name).len(), 1, "a re-run opened another pull request");
    }
    assert!(forge.writes().is_empty(), "a re-run with nothing changed wrote: {:?}", forge.writes());
    let calls = forge.gh.calls_per_repo();
    for name in ["svc-a", "svc-b"] {
        assert_eq!(calls.get(&format!("{OWNER}/{name}")), Some(&1), "{calls:?}");
    }
    assert_eq!(again.report["summary"]["api_calls"], 2, "{}", again.report["summary"]);
    assert!(again.run.stderr.contains("Nothing changed since the last run"), "{}", again.run.output());
    assert!(!again.run.stderr.contains("Pull requests:"), "{}", again.run.output());
}

/// A branch rebuilt on a moved default branch keeps its pull request, whose body is updated in
/// place; labels someone removed come back.
#[test]
fn a_regenerated_branch_updates_its_pull_request_in_place() {
    if !require() {
        return;
    }
    let mut forge = Forge::new(&["svc-a"]);
    forge.upgrade(&["svc-a"], &[]).expect_code(0);
    let first = forge.open_pull("svc-a");
    forge.f.advance_main(&format!("{OWNER}/svc-a"));
    forge.gh.clear_requests();
    let up = forge.upgrade(&["svc-a"], &[]);
    up.expect_code(0).expect(&forge.line("svc-a"), "regenerated");
    let pr = forge.open_pull("svc-a");
    assert_eq!(pr["number"], first["number"], "the same pull request");
    assert_ne!(pr["head"]["sha"], first["head"]["sha"], "the pull request follows the rebuilt branch");
    assert_eq!(forge.pulls("svc-a").len(), 1);
    let writes = forge.writes();
    assert!(!writes.iter().any(|w| w.starts_with("POST /repos/acme/svc-a/pulls ")), "{writes:?}");
}

/// Conflict markers committed (`--on-conflict commit`) open a draft that lists the conflicts and
/// says how to resolve them.
#[test]
fn committed_conflicts_open_a_draft_that_says_how_to_resolve_them() {
    if !require() {
        return;
    }
    let mut forge = Forge::new(&[]);
    forge.f.add_with(&format!("{OWNER}/svc-c"), |s: &Sandbox, dir: &str| {
        new_app(s, "1.0.0", dir);
        let path = format!("{dir}/config/app.yaml");
        let text = s.read(&path).replace("port: 8080", "port: 7000");
        s.write(&path, text);
        s.commit_all(dir, "our port");
    });
    forge.gh.add_repo(Repo::new(OWNER, "svc-c"));
    let up = forge.upgrade(&["svc-c"], &["--on-conflict", "commit"]);
    up.expect_code(3).expect(&forge.line("svc-c"), "conflict");
    let pr = forge.open_pull("svc-c");
    assert_eq!(pr["draft"], true, "{pr:#}");
    assert_eq!(pr_of(&up, &forge.line("svc-c"))["state"], "draft");
    let body = pr["body"].as_str().unwrap();
    assert!(body.contains("### Conflicts") && body.contains("- `config/app.yaml`"), "{body}");
    assert!(body.contains("git switch pave/app-2.0.0"), "{body}");
}

/// The team the project's catalog-info.yaml names as its owner is asked for review.
#[test]
fn the_owning_team_is_asked_for_review() {
    if !require() {
        return;
    }
    let mut forge = Forge::new(&[]);
    forge.f.add_with(&format!("{OWNER}/svc-o"), |s: &Sandbox, dir: &str| {
        new_app(s, "1.0.0", dir);
        s.write(
            &format!("{dir}/catalog-info.yaml"),
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: o\nspec:\n  type: service\n  lifecycle: production\n  owner: group:default/payments\n",
        );
        s.commit_all(dir, "ownership");
    });
    forge.gh.add_repo(Repo::new(OWNER, "svc-o"));
    forge.gh.add_team(OWNER, "payments");
    forge.upgrade(&["svc-o"], &[]).expect_code(0);
    let pr = forge.open_pull("svc-o");
    let teams: Vec<&str> =
        pr["requested_teams"].as_array().unwrap().iter().filter_map(|t| t["slug"].as_str()).collect();
    assert_eq!(teams, ["payments"], "{pr:#}");
}

/// A newer release opens a new pull request and closes the older one with a link to it.
#[test]
fn a_newer_release_closes_the_older_pull_request_with_a_link() {
    if !require() {
        return;
    }
    let mut forge = Forge::new(&["svc-a"]);
    forge.upgrade(&["svc-a"], &[]).expect_code(0);
    let old = forge.open_pull("svc-a");
    forge.f.release_3();
    let up = forge.upgrade(&["svc-a"], &[]);
    up.expect_code(0).expect(&forge.line("svc-a"), "upgraded");
    let new = forge.open_pull("svc-a");
    assert_eq!(new["head"]["ref"], "pave/app-3.0.0");
    assert_eq!(new["title"], "Upgrade app from 1.0.0 to 3.0.0");
    let number = old["number"].as_u64().unwrap();
    let closed = forge.pulls("svc-a").into_iter().find(|p| p["number"] == number).unwrap();
    assert_eq!(closed["state"], "closed", "{closed:#}");
    let comments = forge.gh.comments(OWNER, "svc-a", number);
    assert!(
        comments.iter().any(|c| c["body"].as_str().unwrap().contains(new["html_url"].as_str().unwrap())),
        "{comments:#?}"
    );
}

/// `--max-open-prs 2` over three repositories: two pull requests, one `waiting` with nothing
/// pushed; once one is merged, the next run opens the third.
#[test]
fn max_open_prs_leaves_the_rest_waiting_until_a_slot_frees() {
    if !require() {
        return;
    }
    let names = ["svc-a", "svc-b", "svc-c"];
    let mut forge = Forge::new(&names);
    let up = forge.upgrade(&names, &["--max-open-prs", "2"]);
    up.expect_code(0);
    let waiting: Vec<&str> = names.iter().copied().filter(|n| up.outcome(&forge.line(n)) == "waiting").collect();
    assert_eq!(waiting.len(), 1, "{}", up.report);
    let opened: Vec<&str> = names.iter().copied().filter(|n| !waiting.contains(n)).collect();
    for n in &opened {
        forge.open_pull(n);
    }
    let w = waiting[0];
    assert!(forge.pulls(w).is_empty());
    assert_eq!(forge.f.rev(&format!("{OWNER}/{w}"), BRANCH), None, "a waiting branch is not pushed");
    assert!(up.row(&forge.line(w))["error"].as_str().unwrap().contains("--max-open-prs 2"));

    let merged = forge.open_pull(opened[0]);
    forge.gh.merge_pull(OWNER, opened[0], merged["number"].as_u64().unwrap());
    let again = forge.upgrade(&names, &["--max-open-prs", "2"]);
    again.expect(&forge.line(w), "upgraded");
    forge.open_pull(w);
    again.expect(&forge.line(opened[0]), "merged");
}

/// A pull request someone else opened for pave's branch is reported and left alone; one closed
/// without merging stays closed and its branch is not pushed again.
#[test]
fn pull_requests_of_people_are_left_as_they_are() {
    if !require() {
        return;
    }
    let mut forge = Forge::new(&["svc-a", "svc-b"]);
    // The branches exist (pushed without --open-prs), and a colleague opened svc-a's by hand.
    let lines: Vec<String> = ["svc-a", "svc-b"].iter().map(|n| forge.line(n)).collect();
    forge.f.upgrade_lines(&lines, &["--push"], &[("PAVE_GIT_TOKEN", TOKEN)]).expect_code(0);
    let theirs =
        forge.gh.add_pull(Pull::new(OWNER, "svc-a", BRANCH).user("someone-else").title("my title").body("mine"));
    let up = forge.upgrade(&["svc-a", "svc-b"], &[]);
    up.expect_code(0);
    // The branches were already there: only svc-b's pull request is new, and that is news.
    assert!(up.run.stderr.contains("Pull requests: 1 opened."), "{}", up.run.output());
    assert!(!up.run.stderr.contains("Nothing changed"), "{}", up.run.output());
    let pr = forge.open_pull("svc-a");
    assert_eq!(pr["number"].as_u64(), Some(theirs));
    assert_eq!((pr["title"].as_str(), pr["body"].as_str()), (Some("my title"), Some("mine")));
    assert_eq!(pr_of(&up, &forge.line("svc-a"))["number"].as_u64(), Some(theirs));
    assert!(up.row(&forge.line("svc-a"))["error"].as_str().unwrap().contains("@someone-else"));

    let b = forge.open_pull("svc-b")["number"].as_u64().unwrap();
    forge.gh.close_pull(OWNER, "svc-b", b);
    forge.gh.clear_requests();
    let again = forge.upgrade(&["svc-a", "svc-b"], &[]);
    again.expect_code(0);
    assert_eq!(forge.pulls("svc-b").len(), 1, "no second pull request for a closed one");
    assert_eq!(pr_of(&again, &forge.line("svc-b"))["state"], "closed");
    assert!(again.row(&forge.line("svc-b"))["error"].as_str().unwrap().contains("closed without merging"));
    assert!(forge.writes().is_empty(), "{:?}", forge.writes());
}

/// Each fault GitHub can answer with: what pave waits for and retries, and what fails only the
/// repository it hit.
#[test]
fn api_faults_are_retried_or_fail_one_repository() {
    if !require() {
        return;
    }
    let names = ["svc-a", "svc-b", "svc-c", "svc-d", "svc-e", "svc-f"];
    let mut forge = Forge::new(&names);
    // Retried: a secondary rate limit (403 with Retry-After) on labelling.
    forge.gh.fault(Fault::secondary_rate_limit("POST", "^/repos/acme/svc-f/issues/[0-9]+/labels$", 1).once());
    // Retried: a rate limit until a reset a second away, 429 with Retry-After, 502, a timeout.
    forge.gh.fault(Fault::rate_limited("GET", "^/repos/acme/svc-a/pulls$", 1).once());
    forge.gh.fault(Fault::too_many_requests("POST", "^/repos/acme/svc-b/pulls$", 1).once());
    forge.gh.fault(Fault::server_error("GET", "^/repos/acme/svc-c/pulls$", 502).once());
    forge.gh.fault(Fault::slow("GET", "^/repos/acme/svc-d/pulls$", 4000).once());
    // Failed: the repository is archived (read-only).
    forge.gh.add_repo(Repo::new(OWNER, "svc-e").archived());
    let lines: Vec<String> = names.iter().map(|n| forge.line(n)).collect();
    let api = forge.gh.url();
    let env = [("PAVE_GIT_TOKEN", TOKEN), ("GITHUB_TOKEN", API_TOKEN), ("PAVE_GITHUB_TIMEOUT", "1")];
    let up = forge.f.upgrade_lines(&lines, &["--open-prs", "--api-url", &api], &env);
    up.expect_code(1);
    for n in ["svc-a", "svc-b", "svc-c", "svc-d", "svc-f"] {
        up.expect(&forge.line(n), "upgraded");
        forge.open_pull(n);
    }
    assert_eq!(forge.gh.labels(OWNER, "svc-f", forge.open_pull("svc-f")["number"].as_u64().unwrap()).len(), 2);
    let archived = up.row(&forge.line("svc-e"));
    assert_eq!(archived["outcome"], "failed", "{archived}");
    assert!(archived["error"].as_str().unwrap().contains("archived"), "{archived}");
    let injected: Vec<String> = forge
        .gh
        .requests()
        .into_iter()
        .filter(|r| r.injected)
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    assert_eq!(injected.len(), 4, "{injected:?}");
    // The slow answer was given up on after a second, and asked again.
    let slow: Vec<_> =
        forge.gh.requests().into_iter().filter(|r| r.method == "GET" && r.path == "/repos/acme/svc-d/pulls").collect();
    assert!(
        slow.len() >= 2 && slow.iter().any(|r| r.client_gone || r.status == 0 || r.duration_ms >= 1000),
        "{slow:#?}"
    );
}

/// A token GitHub refuses fails every repository with that said once, and nothing is retried.
#[test]
fn a_refused_token_fails_with_a_clear_message() {
    if !require() {
        return;
    }
    let mut forge = Forge::new(&["svc-a"]);
    forge.gh.fault(Fault::bad_credentials("GET", "^/repos/"));
    let up = forge.upgrade(&["svc-a"], &[]);
    up.expect_code(1).expect(&forge.line("svc-a"), "failed");
    let error = up.row(&forge.line("svc-a"))["error"].as_str().unwrap().to_string();
    assert!(error.contains("GitHub refused the token"), "{error}");
    assert!(!up.run.output().contains(API_TOKEN), "the token was printed");
    assert_eq!(forge.gh.requests().len(), 1, "a 401 is not retried");
}

/// `--github-org` lists the organisation (all pages), skips archived repositories, forks, those
/// without the topic and those without a `.pave.toml`, and upgrades the rest.
#[test]
fn github_org_finds_the_repositories_that_use_pave() {
    if !require() {
        return;
    }
    let mut forge = Forge::unlisted(&["svc-a", "svc-old", "svc-fork", "svc-other"], &["--max-per-page", "2"]);
    forge.gh.add_repo(Repo::new(OWNER, "svc-other"));
    forge.f.add_with(&format!("{OWNER}/plain"), |s: &Sandbox, dir: &str| {
        s.write(&format!("{dir}/README.md"), "not a pave project\n");
        s.git(".", &["init", "-q", "-b", "main", dir]);
        s.commit_all(dir, "a plain repository");
    });
    forge.gh.add_repo(Repo::new(OWNER, "plain").topics(&["golden"]));
    forge.gh.add_repo(Repo::new(OWNER, "svc-a").topics(&["golden"]));
    forge.gh.add_repo(Repo::new(OWNER, "svc-old").archived().topics(&["golden"]));
    forge.gh.add_repo(Repo::new(OWNER, "svc-fork").fork().topics(&["golden"]));
    let api = forge.gh.url();
    let env = [("PAVE_GIT_TOKEN", TOKEN), ("GITHUB_TOKEN", API_TOKEN)];
    let up = forge.f.upgrade_lines(&[], &["--github-org", OWNER, "--topic", "golden", "--api-url", &api], &env);
    up.expect_code(0);
    let rows = up.rows();
    assert_eq!(rows.len(), 1, "{}", up.report);
    assert_eq!(rows[0]["path"], "svc-a");
    assert_eq!(rows[0]["outcome"], "upgraded");
    assert!(
        up.run.stderr.contains(
            "acme: 5 repositories, 1 use pave · 1 archived skipped · 1 forks skipped · 1 without the topic skipped"
        ),
        "{}",
        up.run.output()
    );
    let pages = forge.gh.requests().into_iter().filter(|r| r.path == "/orgs/acme/repos").count();
    assert_eq!(pages, 3, "five repositories, two a page");
}

/// A fork's pull request from a branch of the same name is not pave's: pave opens its own.
#[test]
fn a_forks_branch_of_the_same_name_is_not_taken_for_paves() {
    if !require() {
        return;
    }
    let mut forge = Forge::new(&["svc-a"]);
    let fork = forge.gh.add_pull(Pull::new(OWNER, "svc-a", BRANCH).head_owner("someone").user("someone"));
    let up = forge.upgrade(&["svc-a"], &[]);
    up.expect_code(0).expect(&forge.line("svc-a"), "upgraded");
    let ours = pr_of(&up, &forge.line("svc-a"))["number"].as_u64().unwrap();
    assert_ne!(ours, fork);
    let open: Vec<Value> = forge.pulls("svc-a").into_iter().filter(|p| p["state"] == "open").collect();
    assert_eq!(open.len(), 2, "{open:#?}");
}

/// Over https, pave verifies GitHub's certificate against the CA bundle it is given
/// (`SSL_CERT_FILE`, as git does), and refuses a server that does not chain to it.
#[test]
fn the_api_is_verified_against_the_ca_bundle() {
    if !require() {
        return;
    }
    let tls = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/servers/github/tls");
    let (cert, key) = (tls.join("cert.pem").display().to_string(), tls.join("key.pem").display().to_string());
    let forge = Forge::unlisted(&["svc-a"], &["--tls-cert", &cert, "--tls-key", &key]);
    forge.gh.add_repo(Repo::new(OWNER, "svc-a"));
    let api = forge.gh.url();
    assert!(api.starts_with("https://127.0.0.1:"), "{api}");
    let args = ["fleet", "upgrade", "--github-org", OWNER, "--api-url", &api, "--dry-run"];
    let trusted = crate::git_server::run_pave(
        &forge.f.sb,
        &args,
        &[("PAVE_GIT_TOKEN", TOKEN), ("GITHUB_TOKEN", API_TOKEN), ("SSL_CERT_FILE", &cert)],
    );
    assert_eq!(trusted.code, Some(0), "{}", trusted.output());
    assert!(trusted.stderr.contains("acme: 1 repository, 1 use pave"), "{}", trusted.output());

    // The system's bundle does not hold the test certificate: refused, nothing listed.
    let system = crate::git_server::run_pave(&forge.f.sb, &args, &[("GITHUB_TOKEN", API_TOKEN)]);
    assert_eq!(system.code, Some(1), "{}", system.output());
    assert!(system.stderr.to_lowercase().contains("certificate"), "{}", system.output());
}

/// The API is reached over https only; plain http only on this machine.
#[test]
fn an_api_url_over_plain_http_is_refused() {
    let sb = crate::support::Test::app().into_sandbox();
    sb.write("repos.txt", "https://github.com/acme/svc-a.git\n");
    let args =
        ["fleet", "upgrade", "--repos-from", "repos.txt", "--open-prs", "--api-url", "http://ghe.example.com/api/v3"];
    let run = crate::git_server::run_pave(&sb, &args, &[("GITHUB_TOKEN", API_TOKEN)]);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(run.stderr.contains("not an https URL"), "{}", run.output());
    let none = crate::git_server::run_pave(&sb, &args[..5], &[("GITHUB_TOKEN", ""), ("PAVE_GITHUB_TOKEN", "")]);
    assert_eq!(none.code, Some(2), "{}", none.output());
    assert!(none.stderr.contains("needs a token"), "{}", none.output());
}
