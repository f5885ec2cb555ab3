//! The fake GitHub API itself (tests/servers/github), driven with plain HTTP requests: what
//! GitHub's description allows is served from state and real bare repositories, what it
//! refuses is a violation, pagination follows GitHub's Link headers, and every fault is served
//! as configured.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::github_server::{CheckRun, Fault, GithubServer, Pull, Repo, require};
use crate::sandbox::Sandbox;

const TOKEN: &str = "ghp-test-3c5e7a9b1d";
const BRANCH: &str = "pave/app-2.0.0";

/// A sandbox with the bare repository `srv/acme/svc-a.git`: `main` (README.md, src/lib.rs) and
/// `pave/app-2.0.0` one commit ahead; `made/svc-a` is the checkout it was cloned from.
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.git_repo("made/svc-a");
    sb.write("made/svc-a/src/lib.rs", "pub fn answer() -> u32 { 42 }\n");
    sb.commit_all("made/svc-a", "lib");
    sb.git("made/svc-a", &["checkout", "-q", "-b", BRANCH]);
    sb.write("made/svc-a/README.md", "upgraded\n");
    sb.commit_all("made/svc-a", "upgrade to app 2.0.0");
    sb.git("made/svc-a", &["checkout", "-q", "main"]);
    sb.git(".", &["clone", "-q", "--bare", "made/svc-a", "srv/acme/svc-a.git"]);
    sb
}

/// The commit a ref names in the bare repository of svc-a.
fn rev(sb: &Sandbox, refname: &str) -> String {
    sb.git("srv/acme/svc-a.git", &["rev-parse", refname]).trim().to_string()
}

/// An answer of the API.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The URL of a Link relation (`next`, `last`, ...).
    fn link(&self, rel: &str) -> Option<String> {
        let re = regex::Regex::new(r#"<([^>]+)>; rel="([a-z]+)""#).unwrap();
        re.captures_iter(self.header("link")?).find(|c| &c[2] == rel).map(|c| c[1].to_string())
    }
}

/// The headers pave sends.
fn standard(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Authorization", format!("Bearer {token}")),
        ("Accept", "application/vnd.github+json".into()),
        ("X-GitHub-Api-Version", "2022-11-28".into()),
        ("User-Agent", "pave-tests".into()),
    ]
}

/// Sends `METHOD URL` with these headers and body, waiting at most `timeout`.
fn send(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Option<&Value>,
    timeout: Duration,
) -> Result<Reply, ureq::Error> {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(timeout)).build(),
    );
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        request = request.header(*k, v);
    }
    if body.is_some() {
        request = request.header("Content-Type", "application/json");
    }
    let request = request.body(body.map(Value::to_string).unwrap_or_default()).unwrap();
    let mut response = agent.run(request)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let text = response.body_mut().read_to_string()?;
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
    Ok(Reply { status, headers, body })
}

/// `METHOD PATH` on the fake with pave's headers.
fn call(gh: &GithubServer, method: &str, path: &str, body: Option<&Value>) -> Reply {
    send(method, &format!("{}{path}", gh.url()), &standard(TOKEN), body, Duration::from_secs(30)).unwrap()
}

fn names(reply: &Reply) -> Vec<String> {
    reply.body.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn github_server_serves_the_pull_request_flow_within_the_description() {
    if !require() {
        return;
    }
    let sb = sandbox();
    let gh = GithubServer::start(&sb, "srv", TOKEN);
    let repo = gh.add_repo(Repo::new("acme", "svc-a").topics(&["pave", "rust"]));
    assert_eq!(repo["clone_url"], format!("file://{}/acme/svc-a.git", sb.path("srv").display()));
    gh.add_team("acme", "platform");

    let created = call(
        &gh,
        "POST",
        "/repos/acme/svc-a/pulls",
        Some(&json!({"title": "Upgrade to app 2.0.0", "head": BRANCH, "base": "main", "body": "From pave.",
                    "draft": false, "maintainer_can_modify": true})),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let pr = &created.body;
    assert_eq!(pr["number"], 1);
    assert_eq!(pr["state"], "open");
    assert_eq!(pr["user"]["login"], "pave-bot");
    assert_eq!(pr["head"]["label"], format!("acme:{BRANCH}"));
    assert_eq!(pr["head"]["sha"], rev(&sb, BRANCH));
    assert_eq!(pr["base"]["sha"], rev(&sb, "main"));
    assert_eq!(pr["commits"], 1);
    assert_eq!(created.header("location"), Some(format!("{}/repos/acme/svc-a/pulls/1", gh.url()).as_str()));
    assert_eq!(created.header("x-ratelimit-limit"), Some("5000"));

    let again =
        call(&gh, "POST", "/repos/acme/svc-a/pulls", Some(&json!({"title": "Again", "head": BRANCH, "base": "main"})));
    assert_eq!(again.status, 422);
    assert_eq!(again.body["errors"][0]["message"], format!("A pull request already exists for acme:{BRANCH}."));
    let nothing = call(
        &gh,
        "POST",
        "/repos/acme/svc-a/pulls",
        Some(&json!({"title": "Nothing", "head": "main", "base": "main"})),
    );
    assert_eq!(nothing.status, 422);
    let missing =
        call(&gh, "POST", "/repos/acme/svc-a/pulls", Some(&json!({"title": "Gone", "head": "nope", "base": "main"})));
    assert_eq!((missing.status, &missing.body["errors"][0]["field"]), (422, &json!("head")));

    let labels = call(&gh, "POST", "/repos/acme/svc-a/issues/1/labels", Some(&json!({"labels": ["pave", "upgrade"]})));
    assert_eq!(labels.status, 200);
    assert_eq!(names(&labels), ["pave", "upgrade"]);
    let review = call(
        &gh,
        "POST",
        "/repos/acme/svc-a/pulls/1/requested_reviewers",
        Some(&json!({"team_reviewers": ["platform"]})),
    );
    assert_eq!(review.status, 201);
    assert_eq!(review.body["requested_teams"][0]["slug"], "platform");
    let unknown = call(
        &gh,
        "POST",
        "/repos/acme/svc-a/pulls/1/requested_reviewers",
        Some(&json!({"team_reviewers": ["ghosts"]})),
    );
    assert_eq!(unknown.status, 422);
    let comment = call(&gh, "POST", "/repos/acme/svc-a/issues/1/comments", Some(&json!({"body": "Regenerated."})));
    assert_eq!(comment.status, 201);

    // pave force-pushes a regenerated branch: the pull request shows the new head at once.
    sb.git("made/svc-a", &["checkout", "-q", BRANCH]);
    sb.write("made/svc-a/README.md", "regenerated\n");
    sb.commit_all("made/svc-a", "regenerate");
    sb.git("made/svc-a", &["push", "-q", "-f", "../../srv/acme/svc-a.git", BRANCH]);
    let listed = call(&gh, "GET", &format!("/repos/acme/svc-a/pulls?state=open&head=acme:{BRANCH}&per_page=100"), None);
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body[0]["head"]["sha"], rev(&sb, BRANCH));
    assert_eq!(listed.body[0]["labels"][1]["name"], "upgrade");

    let edited = call(
        &gh,
        "PATCH",
        "/repos/acme/svc-a/pulls/1",
        Some(&json!({"title": "Upgrade to app 2.0.1", "body": "Again."})),
    );
    assert_eq!((edited.status, &edited.body["title"]), (200, &json!("Upgrade to app 2.0.1")));
    let closed = call(&gh, "PATCH", "/repos/acme/svc-a/pulls/1", Some(&json!({"state": "closed"})));
    assert_eq!(closed.body["state"], "closed");
    assert!(closed.body["closed_at"].is_string());

    let pulls = gh.pulls("acme", "svc-a");
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0]["title"], "Upgrade to app 2.0.1");
    assert_eq!(gh.labels("acme", "svc-a", 1), ["pave", "upgrade"]);
    assert_eq!(gh.comments("acme", "svc-a", 1)[0]["body"], "Regenerated.");
    assert_eq!(gh.calls_per_repo()["acme/svc-a"], gh.requests().len());
    assert!(gh.violations().is_empty());

    let full = call(&gh, "GET", "/repos/acme/svc-a", None);
    assert_eq!((full.status, &full.body["topics"]), (200, &json!(["pave", "rust"])));
    assert_eq!(call(&gh, "GET", "/repos/acme/nothing", None).status, 404);
}

#[test]
fn github_server_records_what_the_description_refuses() {
    if !require() {
        return;
    }
    let sb = sandbox();
    let gh = GithubServer::start(&sb, "srv", TOKEN);
    gh.add_repo(Repo::new("acme", "svc-a"));

    let typo =
        call(&gh, "POST", "/repos/acme/svc-a/pulls", Some(&json!({"title": "T", "heads": BRANCH, "base": "main"})));
    assert_eq!(typo.status, 422);
    let no_head = call(&gh, "POST", "/repos/acme/svc-a/pulls", Some(&json!({"title": "T", "base": "main"})));
    assert_eq!(no_head.status, 422);
    let wrong_type = call(
        &gh,
        "POST",
        "/repos/acme/svc-a/pulls",
        Some(&json!({"title": "T", "head": BRANCH, "base": "main", "draft": "yes"})),
    );
    assert_eq!(wrong_type.status, 422);
    assert_eq!(call(&gh, "PUT", "/repos/acme/svc-a/pulls", Some(&json!({}))).status, 404);
    assert_eq!(call(&gh, "GET", "/repos/acme/svc-a/pulls?stat=open", None).status, 422);
    assert_eq!(call(&gh, "GET", "/repos/acme/svc-a/pulls?state=merged", None).status, 422);
    assert_eq!(call(&gh, "GET", "/repos/acme/svc-a/pulls/first", None).status, 422);
    assert_eq!(call(&gh, "GET", "/repos/acme/svc-a/pull-requests", None).status, 404);
    assert_eq!(call(&gh, "GET", "/repos/acme/svc-a/issues", None).status, 404);
    let unpinned: Vec<_> = standard(TOKEN).into_iter().filter(|(k, _)| *k != "X-GitHub-Api-Version").collect();
    let url = format!("{}/repos/acme/svc-a", gh.url());
    assert_eq!(send("GET", &url, &unpinned, None, Duration::from_secs(30)).unwrap().status, 422);

    let taken = gh.take_violations();
    let summary: Vec<(String, String)> = taken.iter().map(|v| (v.kind.clone(), v.problems.join(" | "))).collect();
    let expect = [
        (
            "request",
            "request body: (root) must have required property 'head' | request body: (root) must NOT have additional properties (heads)",
        ),
        ("request", "request body: (root) must have required property 'head'"),
        ("request", "request body: /draft must be boolean"),
        ("endpoint", "/repos/{owner}/{repo}/pulls takes GET, POST, not PUT"),
        (
            "request",
            "unknown query parameter stat=open (pulls/list takes: state, head, base, sort, direction, per_page, page)",
        ),
        (
            "request",
            "query parameter state=merged: (root) must be equal to one of the allowed values ([\"open\",\"closed\",\"all\"])",
        ),
        ("request", "path parameter pull_number: (root) must be integer"),
        ("endpoint", "no path of GitHub's API has the shape /repos/acme/svc-a/pull-requests"),
        (
            "endpoint",
            "pave called an endpoint the fake does not implement: GET /repos/{owner}/{repo}/issues (issues/list-for-repo)",
        ),
        ("request", "X-GitHub-Api-Version: (none); pave pins 2022-11-28"),
    ];
    let expect: Vec<(String, String)> = expect.iter().map(|(k, p)| ((*k).to_string(), (*p).to_string())).collect();
    assert_eq!(summary, expect);
    assert!(gh.violations().is_empty(), "take_violations empties the list");
    let logged: Vec<(u64, String, String, u16)> =
        gh.requests().into_iter().map(|r| (r.seq, r.method, format!("{}?{}", r.path, r.query), r.status)).collect();
    let pulls = "/repos/acme/svc-a/pulls";
    let want = [
        ("POST", format!("{pulls}?"), 422),
        ("POST", format!("{pulls}?"), 422),
        ("POST", format!("{pulls}?"), 422),
        ("PUT", format!("{pulls}?"), 404),
        ("GET", format!("{pulls}?stat=open"), 422),
        ("GET", format!("{pulls}?state=merged"), 422),
        ("GET", format!("{pulls}/first?"), 422),
        ("GET", "/repos/acme/svc-a/pull-requests?".to_string(), 404),
        ("GET", "/repos/acme/svc-a/issues?".to_string(), 404),
        ("GET", "/repos/acme/svc-a?".to_string(), 422),
    ];
    let want: Vec<(u64, String, String, u16)> =
        (1..).zip(want).map(|(n, (m, p, s))| (n, m.to_string(), p, s)).collect();
    assert_eq!(logged, want);
}

#[test]
fn github_server_paginates_with_link_headers() {
    if !require() {
        return;
    }
    let sb = sandbox();
    let gh = GithubServer::start_with(&sb, "srv", TOKEN, &["--max-per-page", "2", "--git-url", "http://127.0.0.1:9"]);
    for name in ["svc-a", "svc-b", "svc-c", "svc-d"] {
        gh.add_repo(Repo::new("acme", name));
    }
    gh.add_repo(Repo::new("acme", "svc-e").fork().archived());
    gh.add_repo(Repo::new("someone", "elsewhere").user_owned());

    let first = call(&gh, "GET", "/orgs/acme/repos?type=all&per_page=100", None);
    assert_eq!(first.status, 200);
    assert_eq!(first.body.as_array().unwrap().len(), 2);
    let base = format!("{}/orgs/acme/repos?type=all&per_page=100", gh.url());
    assert_eq!(
        first.header("link"),
        Some(format!(r#"<{base}&page=2>; rel="next", <{base}&page=3>; rel="last""#).as_str())
    );
    assert_eq!(first.body[0]["clone_url"], "http://127.0.0.1:9/acme/svc-e.git");

    let mut seen = names(&first);
    let mut next = first.link("next");
    let mut pages = 1;
    while let Some(url) = next {
        let page = send("GET", &url, &standard(TOKEN), None, Duration::from_secs(30)).unwrap();
        assert_eq!(page.status, 200);
        if pages == 1 {
            for rel in ["prev", "next", "last", "first"] {
                assert!(page.link(rel).is_some(), "page 2 has no rel={rel}: {:?}", page.header("link"));
            }
        }
        seen.extend(names(&page));
        next = page.link("next");
        pages += 1;
    }
    assert_eq!(pages, 3);
    seen.sort();
    assert_eq!(seen, ["svc-a", "svc-b", "svc-c", "svc-d", "svc-e"]);

    let sources = call(&gh, "GET", "/orgs/acme/repos?type=sources&sort=full_name&per_page=1", None);
    assert_eq!(names(&sources), ["svc-a"]);
    assert!(sources.link("next").unwrap().ends_with("page=2"));
    assert_eq!(call(&gh, "GET", "/orgs/nobody/repos", None).status, 404);
    assert_eq!(call(&gh, "GET", "/orgs/acme/repos?page=9", None).body, json!([]));
}

#[test]
fn github_server_serves_each_fault_as_configured() {
    if !require() {
        return;
    }
    let sb = sandbox();
    let gh = GithubServer::start(&sb, "srv", TOKEN);
    gh.add_repo(Repo::new("acme", "svc-a"));
    let get = |path: &str| call(&gh, "GET", path, None);
    let repo = "/repos/acme/svc-a";

    gh.fault(Fault::bad_credentials("GET", "^/repos/acme/svc-a$").once());
    let r = get(repo);
    assert_eq!((r.status, &r.body["message"]), (401, &json!("Bad credentials")));
    assert_eq!(get(repo).status, 200);

    gh.fault(Fault::rate_limited("GET", "^/repos/", 1).once());
    let r = get(repo);
    assert_eq!(r.status, 403);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    let reset: u64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert!((now()..=now() + 2).contains(&reset), "reset {reset}, now {}", now());
    assert!(r.body["message"].as_str().unwrap().starts_with("API rate limit exceeded"));

    gh.fault(Fault::too_many_requests("*", "svc-a", 1).once());
    let r = get(repo);
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));

    gh.fault(Fault::server_error("GET", "svc-a$", 502).once());
    assert_eq!(get(repo).status, 502);
    assert_eq!(get(repo).status, 200);

    gh.fault(Fault::secondary_rate_limit("GET", "svc-a$", 1).once());
    let r = get(repo);
    assert_eq!((r.status, r.header("retry-after")), (403, Some("1")));
    assert!(r.body["message"].as_str().unwrap().starts_with("You have exceeded a secondary rate limit"));

    gh.fault(Fault::slow("GET", "svc-a$", 1500).once());
    let url = format!("{}{repo}", gh.url());
    let timed_out = send("GET", &url, &standard(TOKEN), None, Duration::from_millis(300));
    assert!(matches!(timed_out, Err(ureq::Error::Timeout(_))), "{:?}", timed_out.map(|r| r.status));
    assert_eq!(get(repo).status, 200);

    gh.fault(Fault::server_error("GET", "svc-a$", 500).times(2).body(json!({"message": "Server Error"})));
    assert_eq!((get(repo).status, get(repo).status, get(repo).status), (500, 500, 200));

    // A fault GitHub would never send is itself a violation: the tests keep to the contract too.
    gh.fault(Fault::new("GET", "svc-a$").status(418).once());
    assert_eq!(get(repo).status, 418);
    let taken = gh.take_violations();
    assert_eq!(taken.len(), 1, "{taken:?}");
    assert_eq!(taken[0].kind, "fault");
    assert!(taken[0].problems[0].starts_with("repos/get does not answer 418"), "{}", taken[0]);

    std::thread::sleep(Duration::from_millis(1400));
    let requests = gh.requests();
    assert!(requests.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    let injected: Vec<u16> = requests.iter().filter(|r| r.injected).map(|r| r.status).collect();
    assert_eq!(injected, [401, 403, 429, 502, 403, 500, 500, 418]);
    let slow = requests.iter().find(|r| r.duration_ms >= 1500).expect("the slow request is logged");
    assert!(slow.client_gone && !slow.injected, "{slow:?}");
    assert!(requests.iter().all(|r| r.operation.as_deref() == Some("repos/get")));

    gh.fault(Fault::server_error("*", ".", 503));
    assert_eq!(get(repo).status, 503);
    gh.clear_faults();
    gh.clear_requests();
    assert_eq!(get(repo).status, 200);
    assert_eq!(gh.requests().len(), 1);
}

#[test]
fn github_server_wants_the_token() {
    if !require() {
        return;
    }
    let sb = sandbox();
    let gh = GithubServer::start(&sb, "srv", TOKEN);
    gh.add_repo(Repo::new("acme", "svc-a"));
    let url = format!("{}/repos/acme/svc-a", gh.url());
    let with = |auth: Option<&str>| {
        let mut headers: Vec<_> = standard(TOKEN).into_iter().filter(|(k, _)| *k != "Authorization").collect();
        if let Some(a) = auth {
            headers.push(("Authorization", a.to_string()));
        }
        send("GET", &url, &headers, None, Duration::from_secs(30)).unwrap()
    };
    let r = with(None);
    assert_eq!((r.status, &r.body["message"]), (401, &json!("Requires authentication")));
    let r = with(Some("Bearer ghp-wrong"));
    assert_eq!((r.status, &r.body["message"]), (401, &json!("Bad credentials")));
    assert_eq!(with(Some(&format!("token {TOKEN}"))).status, 200);
    let r = with(Some(&format!("Bearer {TOKEN}")));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-ratelimit-used"), Some("2"), "only authenticated requests count");
}

#[test]
fn github_server_reads_trees_from_the_bare_repositories() {
    if !require() {
        return;
    }
    let sb = sandbox();
    sb.git(".", &["init", "-q", "--bare", "srv/acme/empty.git"]);
    let gh = GithubServer::start(&sb, "srv", TOKEN);
    gh.add_repo(Repo::new("acme", "svc-a"));
    gh.add_repo(Repo::new("acme", "empty"));

    let tree = call(&gh, "GET", "/repos/acme/svc-a/git/trees/main?recursive=1", None);
    assert_eq!(tree.status, 200);
    let got: Vec<String> = tree.body["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {}\t{}",
                e["mode"].as_str().unwrap(),
                e["type"].as_str().unwrap(),
                e["sha"].as_str().unwrap(),
                e["path"].as_str().unwrap()
            )
        })
        .collect();
    let want = sb.git("srv/acme/svc-a.git", &["ls-tree", "-r", "-t", "main"]);
    assert_eq!(got, want.lines().collect::<Vec<_>>());
    assert_eq!(tree.body["sha"], rev(&sb, "main^{tree}"));
    assert_eq!(tree.body["truncated"], false);
    let top = call(&gh, "GET", &format!("/repos/acme/svc-a/git/trees/{}", rev(&sb, "main")), None);
    assert_eq!(top.body["tree"].as_array().unwrap().len(), 2, "README.md and src/ only: {}", top.body);

    let empty = call(&gh, "GET", "/repos/acme/empty/git/trees/main?recursive=1", None);
    assert_eq!((empty.status, &empty.body["message"]), (409, &json!("Git Repository is empty.")));
    assert_eq!(call(&gh, "GET", "/repos/acme/svc-a/git/trees/no-such-branch", None).status, 404);
}

#[test]
fn github_server_serves_seeded_pull_requests_and_check_runs() {
    if !require() {
        return;
    }
    let sb = sandbox();
    let gh = GithubServer::start(&sb, "srv", TOKEN);
    gh.add_repo(Repo::new("acme", "svc-a"));
    gh.add_repo(Repo::new("acme", "frozen").archived().git_dir("acme/svc-a.git"));
    let theirs = gh.add_pull(Pull::new("acme", "svc-a", BRANCH).user("someone-else").title("Their upgrade"));
    let old = gh.add_pull(Pull::new("acme", "svc-a", "pave/app-1.0.0").closed());
    assert_eq!((theirs, old), (1, 2));

    let open = call(&gh, "GET", &format!("/repos/acme/svc-a/pulls?head=acme:{BRANCH}"), None);
    assert_eq!(open.body.as_array().unwrap().len(), 1);
    assert_eq!(open.body[0]["user"]["login"], "someone-else");
    let all = call(&gh, "GET", "/repos/acme/svc-a/pulls?state=all", None);
    let numbers: Vec<u64> = all.body.as_array().unwrap().iter().map(|p| p["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [2, 1], "newest first");
    let closed = call(&gh, "GET", "/repos/acme/svc-a/pulls?state=closed&head=acme:pave/app-1.0.0", None);
    assert_eq!(closed.body[0]["state"], "closed");
    // GitHub ignores a head filter without the owner: every open pull request comes back.
    let bare = call(&gh, "GET", "/repos/acme/svc-a/pulls?head=pave/other", None);
    assert_eq!(bare.body.as_array().unwrap().len(), 1);

    gh.add_check_run(CheckRun::new("acme", "svc-a", BRANCH, "ci").conclusion("failure"));
    gh.add_check_run(CheckRun::new("acme", "svc-a", BRANCH, "ci").conclusion("success"));
    gh.add_check_run(CheckRun::new("acme", "svc-a", &rev(&sb, BRANCH), "lint").status("in_progress"));
    let runs =
        call(&gh, "GET", &format!("/repos/acme/svc-a/commits/{}/check-runs?per_page=100", rev(&sb, BRANCH)), None);
    assert_eq!(runs.status, 200);
    assert_eq!(runs.body["total_count"], 2, "only the latest run of each name: {}", runs.body);
    let ci = runs.body["check_runs"].as_array().unwrap().iter().find(|r| r["name"] == "ci").unwrap();
    assert_eq!((&ci["status"], &ci["conclusion"]), (&json!("completed"), &json!("success")));
    assert_eq!(ci["pull_requests"][0]["number"], theirs);
    let lint = call(&gh, "GET", &format!("/repos/acme/svc-a/commits/{BRANCH}/check-runs?check_name=lint"), None);
    assert_eq!(lint.body["check_runs"][0]["conclusion"], Value::Null);
    let encoded = call(&gh, "GET", "/repos/acme/svc-a/commits/pave%2Fapp-2.0.0/check-runs?filter=all", None);
    assert_eq!(encoded.body["total_count"], 3);
    assert_eq!(call(&gh, "GET", "/repos/acme/svc-a/commits/nowhere/check-runs", None).status, 422);

    sb.git("made/svc-a", &["merge", "-q", "--no-ff", "-m", "merge", BRANCH]);
    sb.git("made/svc-a", &["push", "-q", "../../srv/acme/svc-a.git", "main"]);
    let merged = gh.merge_pull("acme", "svc-a", theirs);
    assert_eq!((&merged["merged"], &merged["state"]), (&json!(true), &json!("closed")));
    assert_eq!(merged["merge_commit_sha"], rev(&sb, "main"));
    let listed = call(&gh, "GET", "/repos/acme/svc-a/pulls?state=closed", None);
    assert!(listed.body.as_array().unwrap().iter().all(|p| p["merged_at"].is_string() || p["number"] == old));
    let reopen = call(&gh, "PATCH", &format!("/repos/acme/svc-a/pulls/{theirs}"), Some(&json!({"state": "open"})));
    assert_eq!(reopen.status, 422);

    let refused =
        call(&gh, "POST", "/repos/acme/frozen/pulls", Some(&json!({"title": "T", "head": BRANCH, "base": "main"})));
    assert_eq!((refused.status, &refused.body["message"]), (403, &json!("Repository was archived so is read-only.")));
    assert_eq!(gh.close_pull("acme", "svc-a", old)["state"], "closed");
}

#[test]
fn github_server_starts_from_a_seed_document() {
    if !require() {
        return;
    }
    let sb = sandbox();
    // A fork of svc-a by a user, with its own branch; both served from the same bare repository.
    sb.git("srv/acme/svc-a.git", &["branch", "their-fix", BRANCH]);
    let seed = json!({
        "repos": [
            {"owner": "acme", "name": "svc-a", "default_branch": "main", "private": true,
             "clone_url": "https://git.example.com/acme/svc-a.git"},
            {"owner": "someone", "name": "svc-a", "owner_type": "User", "fork": true, "git_dir": "acme/svc-a.git"},
        ],
        "teams": [{"org": "acme", "slug": "platform"}],
    });
    sb.write("state.json", seed.to_string());
    let gh = GithubServer::start_with(
        &sb,
        "srv",
        TOKEN,
        &["--state", sb.path("state.json").to_str().unwrap(), "--user", "robot"],
    );
    assert!(gh.stderr().contains("description loaded in"), "{}", gh.stderr());
    let repo = call(&gh, "GET", "/repos/acme/svc-a", None);
    assert_eq!((&repo.body["private"], &repo.body["visibility"]), (&json!(true), &json!("private")));
    assert_eq!(repo.body["clone_url"], "https://git.example.com/acme/svc-a.git");
    assert_eq!(call(&gh, "GET", "/orgs/acme/repos?type=private", None).body.as_array().unwrap().len(), 1);

    let seeded = gh.seed(&json!({
        "pulls": [Value::from(
            Pull::new("acme", "svc-a", "their-fix").head_owner("someone").user("someone").base("main").body("A fix.").draft(),
        )],
        "check_runs": [Value::from(CheckRun::new("acme", "svc-a", "their-fix", "ci"))],
    }));
    assert_eq!((&seeded["pulls"], &seeded["teams"]), (&json!([1]), &json!([])));
    let pr = &gh.pulls("acme", "svc-a")[0];
    assert_eq!(pr["head"]["label"], "someone:their-fix");
    assert_eq!(pr["head"]["repo"]["full_name"], "someone/svc-a");
    assert_eq!((&pr["draft"], &pr["body"]), (&json!(true), &json!("A fix.")));

    let created = call(
        &gh,
        "POST",
        "/repos/acme/svc-a/pulls",
        Some(&json!({"title": "From the fork", "head": format!("someone:{BRANCH}"), "base": "main"})),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        (&created.body["user"]["login"], &created.body["head"]["label"]),
        (&json!("robot"), &json!(format!("someone:{BRANCH}")))
    );
}

#[test]
fn github_server_fails_the_test_that_leaves_a_violation() {
    if !require() {
        return;
    }
    let sb = sandbox();
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let gh = GithubServer::start(&sb, "srv", TOKEN);
        gh.add_repo(Repo::new("acme", "svc-a"));
        assert_eq!(call(&gh, "GET", "/repos/acme/svc-a?fields=name", None).status, 422);
    }));
    let message = dropped.expect_err("dropping the server with a violation panics");
    let message = message.downcast_ref::<String>().unwrap();
    assert!(message.starts_with("1 request(s) or response(s) broke GitHub's API description"), "{message}");
    assert!(message.contains("#1 request GET /repos/acme/svc-a?fields=name (repos/get)"), "{message}");
    assert!(message.contains("unknown query parameter fields=name (repos/get takes: none)"), "{message}");
}

/// A pull request seeded with the times it was opened, merged and closed shows them, as GitHub
/// shows a pull request's history; a time not written as GitHub writes them is refused.
#[test]
fn github_server_keeps_the_times_a_seed_gives() {
    if !require() {
        return;
    }
    let sb = sandbox();
    sb.git("srv/acme/svc-a.git", &["branch", "pave/other", BRANCH]);
    let gh = GithubServer::start(&sb, "srv", TOKEN);
    gh.add_repo(Repo::new("acme", "svc-a"));
    let merged = gh.add_pull(Pull::new("acme", "svc-a", BRANCH).created_at("2026-12-01T09:00:00Z"));
    let closed = gh.add_pull(Pull::new("acme", "svc-a", "pave/other").created_at("2026-12-02T12:00:00Z"));
    gh.merge_pull_at("acme", "svc-a", merged, "2026-12-03T15:00:00Z");
    gh.close_pull_at("acme", "svc-a", closed, "2026-12-04T08:00:00Z");
    let all = call(&gh, "GET", "/repos/acme/svc-a/pulls?state=all", None);
    assert_eq!(all.status, 200, "{}", all.body);
    let times: Vec<[&Value; 3]> =
        all.body.as_array().unwrap().iter().map(|p| [&p["created_at"], &p["merged_at"], &p["closed_at"]]).collect();
    assert_eq!(
        times,
        [
            [&json!("2026-12-02T12:00:00Z"), &Value::Null, &json!("2026-12-04T08:00:00Z")],
            [&json!("2026-12-01T09:00:00Z"), &json!("2026-12-03T15:00:00Z"), &json!("2026-12-03T15:00:00Z")],
        ],
        "{:#}",
        all.body
    );
    for bad in ["2026-12-01", "yesterday"] {
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            gh.add_pull(Pull::new("acme", "svc-a", BRANCH).created_at(bad));
        }));
        let message = refused.expect_err("a time GitHub would not write is refused");
        let message = message.downcast_ref::<String>().unwrap();
        assert!(message.contains("400") && message.contains("created_at is a time as GitHub writes them"), "{message}");
    }
    assert_eq!(gh.pulls("acme", "svc-a").len(), 2, "nothing was added");
}
