//! `pave fleet rollout` against the contract-checked GitHub server (`tests/servers/github`,
//! `GithubServer`), which checks every request pave sends against GitHub's OpenAPI
//! description. Written against that server's Rust API as it is being merged; `main.rs`
//! declares this module once `tests/cli/github_server.rs` has landed. `rollout_api` covers
//! the same ground against a canned stand-in meanwhile.

use crate::git_server::publish_bare;
use crate::github_server::{CheckRun, GithubServer, Pull, Repo, require};
use crate::remote_fleet_fixture::{BRANCH, Fleet, Kind};
use crate::rollout::rollout;

const TOKEN: &str = "gh-tok-7c1e";

/// The bare repositories of a `file://` fleet are `srv/NAME.git`: with the sandbox as the git
/// root they are the repositories `srv/NAME` of the server.
fn server(f: &Fleet, names: &[&str]) -> GithubServer {
    let gh = GithubServer::start(&f.sb, ".", TOKEN);
    for name in names {
        gh.add_repo(Repo::new("srv", name));
    }
    gh
}

#[test]
fn fleet_rollout_github_server_pull_request_states_within_the_call_budget() {
    if !require() {
        return;
    }
    let names = ["svc-open", "svc-draft", "svc-merged", "svc-closed", "svc-new"];
    let mut f = Fleet::new(Kind::File);
    for name in names {
        f.add(name, "1.0.0");
    }
    f.upgrade(&names[..4], &[]).expect_code(0);
    let gh = server(&f, &names);
    gh.add_pull(Pull::new("srv", "svc-open", BRANCH));
    gh.add_check_run(CheckRun::new("srv", "svc-open", BRANCH, "ci").status("completed").conclusion("success"));
    gh.add_pull(Pull::new("srv", "svc-draft", BRANCH).draft());
    gh.add_check_run(CheckRun::new("srv", "svc-draft", BRANCH, "ci").status("completed").conclusion("failure"));
    let n = gh.add_pull(Pull::new("srv", "svc-merged", BRANCH));
    f.merge("svc-merged", BRANCH);
    gh.merge_pull("srv", "svc-merged", n);
    let n = gh.add_pull(Pull::new("srv", "svc-closed", BRANCH));
    gh.close_pull("srv", "svc-closed", n);
    let lines: Vec<String> = names.iter().map(|n| f.line(n)).collect();
    f.sb.write("repos.txt", lines.join("\n"));

    let args = ["app@2.0.0", "--repos-from", "repos.txt", "--api-url", &gh.url(), "--json"];
    let env = [("PAVE_GITHUB_TOKEN", TOKEN)];
    let r = rollout(&f, &args, &env);
    assert_eq!(r.run.code, Some(0), "{}", r.run.output());
    for (name, state) in [
        ("svc-open", "pr-open"),
        ("svc-draft", "pr-open"),
        ("svc-merged", "merged"),
        ("svc-closed", "closed"),
        ("svc-new", "not-started"),
    ] {
        assert_eq!(r.state(name), state, "{name}:\n{:#}", r.json);
    }
    assert_eq!(r.row("svc-open")["pr"]["checks"], "passing");
    assert_eq!((r.row("svc-draft")["pr"]["draft"].as_bool(), r.row("svc-draft")["pr"]["checks"].as_str()), (Some(true), Some("failing")));
    // One call per repository, two for an open pull request; reads only; the same on a re-run.
    let per_repo = gh.calls_per_repo();
    assert_eq!(per_repo.get("srv/svc-open"), Some(&2), "{per_repo:?}");
    assert_eq!(per_repo.get("srv/svc-new"), Some(&1), "{per_repo:?}");
    assert!(per_repo.values().all(|n| *n <= 2), "{per_repo:?}");
    assert!(gh.requests().iter().all(|q| q.method == "GET"), "a rollout only reads");
    assert_eq!(r.json["api_calls"].as_u64(), Some(gh.requests().len() as u64));
    gh.clear_requests();
    let again = rollout(&f, &args, &env);
    assert_eq!(gh.calls_per_repo(), per_repo, "{}", again.run.output());
}

#[test]
fn fleet_rollout_github_server_org_form_reads_the_organisation() {
    if !require() {
        return;
    }
    let mut f = Fleet::new(Kind::File);
    f.add("svc-a", "1.0.0").add("svc-b", "2.0.0");
    f.sb.git_repo("made/website");
    f.sb.write("made/website/index.html", "<h1>hello</h1>\n");
    f.sb.commit_all("made/website", "the site");
    publish_bare(&f.sb, "made/website", "srv/website.git");
    f.upgrade(&["svc-a"], &[]).expect_code(0);
    let gh = server(&f, &["svc-a", "svc-b", "website"]);
    gh.add_pull(Pull::new("srv", "svc-a", BRANCH));
    let r = rollout(
        &f,
        &["app@2.0.0", "--github-org", "srv", "--api-url", &gh.url(), "--json"],
        &[("PAVE_GITHUB_TOKEN", TOKEN)],
    );
    assert_eq!(r.run.code, Some(0), "{}", r.run.output());
    assert!(r.run.stderr.contains("srv: 3 repositories, 2 use pave"), "{}", r.run.output());
    assert_eq!((r.state("svc-a"), r.state("svc-b")), ("pr-open", "on-version"), "{:#}", r.json);
    assert_eq!(r.row("svc-a")["pr"]["checks"], "none");
}
