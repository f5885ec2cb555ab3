//! Remote fleets (issue 10) beyond the branch lifecycle: the token (sent, never shown or
//! stored, `GITHUB_TOKEN` as a fallback), credentials in a URL, ssh's keys, host keys and
//! `GIT_SSH_COMMAND`, `URL REF` lines, shards of a URL list, `--only-failed`, `--dry-run` and
//! runs without `--push`.

use crate::git_server::{files_holding, run_pave};
use crate::remote_fleet_fixture::{BRANCH, Fleet, Kind, TOKEN, assert_trailers, check_mirror, new_app, rev};
use crate::ssh_server::{self, Client};

// ---- lines ----

#[test]
fn fleet_upgrade_file_url_with_a_ref_upgrades_from_that_branch() {
    let mut f = Fleet::new(Kind::File);
    f.add_with("svc-a", |s, dir| {
        new_app(s, "1.0.0", dir);
        s.git(dir, &["checkout", "-q", "-b", "stable"]);
        s.write(&format!("{dir}/docs/stable.md"), "the stable line\n");
        s.commit_all(dir, "stable");
        s.git(dir, &["checkout", "-q", "main"]);
    });
    let line = format!("{} stable", f.line("svc-a"));
    let up = f.upgrade_lines(&[line], &["--push"], &[]);
    up.expect_code(0);
    let rows = up.rows();
    assert_eq!(rows.len(), 1, "{}", up.report);
    assert_eq!(rows[0]["outcome"], "upgraded", "{}", up.report);
    f.check_branch("svc-a", BRANCH, "stable", "2.0.0");
}

// ---- credentials ----

#[test]
fn fleet_upgrade_http_token_is_sent_and_never_shown_or_stored() {
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0");
    let up = f.upgrade(&["svc-a"], &[]);
    up.expect_code(0);
    let server = f.server.as_ref().unwrap();
    let answered: Vec<_> = server.requests().into_iter().filter(|r| r["status"] != 401).collect();
    assert!(!answered.is_empty() && answered.iter().all(|r| r["auth"] == true), "{answered:?}");
    assert!(answered.iter().all(|r| r["user"] == "x-access-token"), "{answered:?}");
    assert!(!server.receive_pack_requests().is_empty(), "nothing pushed");
    for text in [&up.run.stdout, &up.run.stderr] {
        assert!(!text.contains(TOKEN), "the token was printed:\n{text}");
    }
    // The cache (mirrors), the report, the checkouts, pave's captured output: nowhere.
    assert_eq!(files_holding(f.sb.root(), TOKEN.as_bytes()), Vec::<String>::new(), "files holding the token");
    let record = f.sb.git("srv/svc-a.git", &["show", &format!("{BRANCH}:.pave.toml")]);
    assert!(!record.contains(TOKEN), "{record}");
    let mirror = f.mirror("svc-a");
    let config = f.sb.read(&format!("{mirror}/config"));
    assert!(!config.contains(TOKEN) && !config.contains("x-access-token"), "{config}");
    assert_eq!(up.row(&f.line("svc-a"))["repo"].as_str(), Some(f.line("svc-a").as_str()));
}

#[test]
fn fleet_upgrade_http_falls_back_to_github_token_and_prefers_pave_git_token() {
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    let lines = [f.line("svc-a")];
    let up = f.upgrade_lines(&lines, &["--push"], &[("GITHUB_TOKEN", TOKEN)]);
    up.expect_code(0).expect(&lines[0], "upgraded");
    f.check_branch("svc-a", BRANCH, "main", "2.0.0");
    let lines = [f.line("svc-b")];
    let up = f.upgrade_lines(&lines, &["--push"], &[("PAVE_GIT_TOKEN", TOKEN), ("GITHUB_TOKEN", "not-this-one")]);
    up.expect_code(0).expect(&lines[0], "upgraded");
    f.check_branch("svc-b", BRANCH, "main", "2.0.0");
}

/// Over https, the server's certificate must chain to the CA bundle (`SSL_CERT_FILE`): one that
/// does not fails that repository with a certificate reason, before any request is made.
#[test]
fn fleet_upgrade_https_refuses_a_server_it_does_not_trust() {
    let mut f = Fleet::new(Kind::Https);
    f.add("svc-a", "1.0.0");
    f.sb.write("empty-bundle.pem", "");
    let bundle = f.sb.path("empty-bundle.pem").display().to_string();
    let lines = [f.line("svc-a")];
    let up = f.upgrade_lines(&lines, &["--push"], &[("PAVE_GIT_TOKEN", TOKEN), ("SSL_CERT_FILE", &bundle)]);
    up.expect_code(1).expect(&lines[0], "failed");
    let error = up.row(&lines[0])["error"].as_str().unwrap_or_default().to_lowercase();
    assert!(error.contains("certificate"), "not a certificate reason: {error:?}");
    assert_eq!(f.server.as_ref().unwrap().requests(), Vec::<serde_json::Value>::new(), "a request went through");
    assert_eq!(f.rev("svc-a", BRANCH), None);
}

/// Over ssh, pave signs in as the user's `ssh` does: a key the server refuses fails that
/// repository with an authentication reason in ssh's words, and an unknown host key fails it
/// with how to trust it (ssh runs in batch mode: nothing waits for an answer); a repository the
/// host does not have fails with the host's git's words. Nothing is pushed in any case.
#[test]
fn fleet_upgrade_ssh_reports_a_refused_key_an_unknown_host_and_a_missing_repository() {
    let mut f = Fleet::new(Kind::Ssh);
    f.add("svc-a", "1.0.0");
    let lines = [f.line("svc-a")];
    let port = f.ssh.as_ref().unwrap().port();
    let user = ssh_server::user();
    for (client, reasons) in [
        (
            Client::WrongKey,
            [
                "authentication failed: 127.0.0.1 refused the SSH key (".to_string(),
                format!("{user}@127.0.0.1: Permission denied (publickey).)"),
                format!("pave signs in as `ssh -p {port} 127.0.0.1` does"),
            ],
        ),
        (
            Client::UnknownHost,
            [
                "the host key of 127.0.0.1 is not trusted (".to_string(),
                "Host key verification failed.)".to_string(),
                format!("by connecting once with `ssh -p {port} 127.0.0.1`"),
            ],
        ),
    ] {
        let env = f.ssh.as_ref().unwrap().env(client);
        let up = f.upgrade_lines(&lines, &["--push"], &Fleet::env_args(&env));
        up.expect_code(1).expect(&lines[0], "failed");
        let error = up.row(&lines[0])["error"].as_str().unwrap_or_default().to_string();
        for reason in &reasons {
            assert!(error.contains(reason.as_str()), "{client:?}: {reason:?} not in {error:?}\n{}", up.run.output());
        }
        assert_eq!(f.rev("svc-a", BRANCH), None);
    }
    // Signed in, but no repository there: the host's git says so, and that is the reason.
    let missing = [f.ssh.as_ref().unwrap().url(&f.sb.path("srv/missing.git"))];
    let env = f.ssh.as_ref().unwrap().env(Client::Trusted);
    let up = f.upgrade_lines(&missing, &["--push"], &Fleet::env_args(&env));
    up.expect_code(1).expect(&missing[0], "failed");
    let error = up.row(&missing[0])["error"].as_str().unwrap_or_default().to_string();
    assert!(error.contains("the SSH connection to 127.0.0.1 failed: fatal: '"), "{error:?}");
    assert!(error.contains("missing.git' does not appear to be a git repository"), "{error:?}");
    assert!(!error.contains("authentication"), "{error:?}");
}

/// `GIT_SSH_COMMAND` chooses the program, as for git: here the real `ssh` with the test
/// server's configuration, no `ssh` of the test's on `PATH`. The command runs only when pave's
/// tokens are not in its environment (they are none of the ssh program's business).
#[test]
fn fleet_upgrade_ssh_runs_git_ssh_command_without_pave_tokens() {
    let mut f = Fleet::new(Kind::Ssh);
    f.add("svc-a", "1.0.0");
    let lines = [f.line("svc-a")];
    let command =
        format!("[ -z \"${{PAVE_GIT_TOKEN}}${{GITHUB_TOKEN}}\" ] && {}", f.ssh.as_ref().unwrap().ssh_command());
    let env = [("GIT_SSH_COMMAND", command.as_str()), ("PAVE_GIT_TOKEN", TOKEN), ("GITHUB_TOKEN", TOKEN)];
    let up = f.upgrade_lines(&lines, &["--push"], &env);
    up.expect_code(0).expect(&lines[0], "upgraded");
    f.check_branch("svc-a", BRANCH, "main", "2.0.0");
}

/// A server that moved the repository (a rename answers with a redirect, as GitHub's do): pave
/// follows the first request's redirect and fetches and pushes at the new place, credentials
/// included (same origin).
#[test]
fn fleet_upgrade_http_follows_a_renamed_repository() {
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0");
    f.restart_server(&["--redirect", "old-name.git=svc-a.git"]);
    let old = f.server.as_ref().unwrap().url("old-name");
    let up = f.upgrade_lines(std::slice::from_ref(&old), &["--push"], &[("PAVE_GIT_TOKEN", TOKEN)]);
    up.expect_code(0).expect(&old, "upgraded");
    f.check_branch("svc-a", BRANCH, "main", "2.0.0");
    let requests = f.server.as_ref().unwrap().requests();
    let redirected: Vec<_> = requests.iter().filter(|r| r["status"] == 301).collect();
    assert!(!redirected.is_empty(), "never redirected: {requests:?}");
    assert!(
        redirected.iter().all(|r| r["method"] == "GET" && r["path"].as_str().unwrap().starts_with("/old-name.git/")),
        "only the first request of a connection follows a redirect: {requests:?}"
    );
    let posts: Vec<_> = requests.iter().filter(|r| r["method"] == "POST").collect();
    assert!(!posts.is_empty() && posts.iter().all(|r| r["path"].as_str().unwrap().starts_with("/svc-a.git/")));
}

/// Credentials go out after the server first asks for them (401), then at once for the rest
/// of the run: one 401 for a whole fleet on one server, not one a request.
#[test]
fn fleet_upgrade_http_is_asked_for_credentials_once_a_run() {
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0").add("svc-c", "1.0.0");
    let up = f.upgrade(&["svc-a", "svc-b", "svc-c"], &["--jobs", "1"]);
    up.expect_code(0);
    let requests = f.server.as_ref().unwrap().requests();
    let asked: Vec<_> = requests.iter().filter(|r| r["status"] == 401).collect();
    assert_eq!(asked.len(), 1, "{requests:?}");
    assert_eq!(asked[0]["auth"], false, "{requests:?}");
    assert!(requests.len() > 10, "{requests:?}");
    for name in ["svc-a", "svc-b", "svc-c"] {
        f.check_branch(name, BRANCH, "main", "2.0.0");
    }
}

// ---- shards and re-runs ----

#[test]
fn fleet_upgrade_url_shards_cover_every_repository_once_as_their_directories_do() {
    let mut f = Fleet::new(Kind::File);
    let names: Vec<String> = (0..8).map(|i| format!("svc-{i}")).collect();
    for n in &names {
        f.add(n, "1.0.0");
    }
    let urls: Vec<String> = names.iter().map(|n| f.line(n)).collect();
    let dirs: Vec<String> = names.iter().map(|n| format!("made/{n}")).collect();
    let short = |v: &str| v.rsplit('/').next().unwrap().trim_end_matches(".git").to_string();
    let mut seen: Vec<String> = Vec::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let by_url = f.upgrade_lines(&urls, &["--dry-run", "--shard", &shard], &[]);
        assert!(by_url.code().is_some_and(|c| c != 2), "{}", by_url.run.output());
        let mut mine: Vec<String> =
            by_url.rows().iter().map(|r| short(r["repo"].as_str().unwrap_or_default())).collect();
        let by_dir = f.upgrade_lines(&dirs, &["--dry-run", "--shard", &shard], &[]);
        let mut theirs: Vec<String> =
            by_dir.rows().iter().map(|r| short(r["path"].as_str().unwrap_or_default())).collect();
        mine.sort();
        theirs.sort();
        assert_eq!(mine, theirs, "shard {shard}: by URL and by directory differ");
        seen.extend(mine);
    }
    seen.sort();
    assert_eq!(seen, names, "every repository exactly once");
}

#[test]
fn fleet_upgrade_only_failed_reruns_only_the_failed_repositories() {
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    // svc-a over file://, svc-b over HTTP with a wrong token: only svc-b fails.
    let lines = [f.file_url("svc-a"), f.line("svc-b")];
    let first = f.upgrade_lines(&lines, &["--push"], &[("PAVE_GIT_TOKEN", "not-the-token")]);
    first.expect_code(1).expect(&lines[0], "upgraded").expect(&lines[1], "failed");
    let r1 = format!("r{}.json", f.runs);
    let run = run_pave(
        &f.sb,
        &["fleet", "upgrade", "--only-failed", &r1, "--push", "--report", "again.json"],
        &[("PAVE_GIT_TOKEN", TOKEN)],
    );
    assert_eq!(run.code, Some(0), "{}", run.output());
    let again: serde_json::Value = serde_json::from_str(&f.sb.read("again.json")).unwrap();
    let rows = again["projects"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{again}");
    assert_eq!(rows[0]["repo"].as_str(), Some(lines[1].as_str()), "{again}");
    assert_eq!(rows[0]["outcome"], "upgraded", "{again}");
    f.check_branch("svc-b", BRANCH, "main", "2.0.0");
}

#[test]
fn fleet_upgrade_http_credentials_in_a_url_are_never_reported_or_stored() {
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0");
    let plain = f.line("svc-a");
    let with_credentials = plain.replace("http://", &format!("http://x-access-token:{TOKEN}@"));
    let up = f.upgrade_lines(&[with_credentials], &["--push"], &[("PAVE_GIT_TOKEN", TOKEN)]);
    up.expect_code(0);
    let rows = up.rows();
    assert_eq!(rows.len(), 1, "{}", up.report);
    assert_eq!(rows[0]["repo"].as_str(), Some(plain.as_str()), "{}", up.report);
    assert_eq!(rows[0]["outcome"], "upgraded", "{}", up.report);
    assert!(!up.run.stdout.contains(TOKEN) && !up.run.stderr.contains(TOKEN), "{}", up.run.output());
    // Everywhere but the list file the test wrote.
    for dir in ["home", "logs", "srv"] {
        let leaks = files_holding(&f.sb.path(dir), TOKEN.as_bytes());
        assert_eq!(leaks, Vec::<String>::new(), "files under {dir} holding the token");
    }
    assert!(!f.sb.read("r1.json").contains(TOKEN));
    let named: Vec<String> = f.sb.files("home").into_iter().filter(|p| p.contains(TOKEN)).collect();
    assert_eq!(named, Vec::<String>::new(), "paths naming the token");
    check_mirror(&f.sb, &f.mirror("svc-a"));
    f.check_branch("svc-a", BRANCH, "main", "2.0.0");
}

#[test]
fn fleet_upgrade_http_with_an_empty_cache_finds_its_branch_unchanged() {
    // The branch on the remote has the same parent and tree as the upgrade would make: a run
    // that starts from nothing (a new CI machine) pushes nothing.
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0");
    f.upgrade(&["svc-a"], &[]).expect_code(0).expect(&f.line("svc-a"), "upgraded");
    let refs = f.all_refs("svc-a");
    f.sb.remove("home/.cache/pave");
    f.server.as_ref().unwrap().clear_log();
    f.upgrade(&["svc-a"], &[]).expect_code(0).expect(&f.line("svc-a"), "unchanged");
    assert_eq!(f.all_refs("svc-a"), refs);
    let pushes = f.server.as_ref().unwrap().receive_pack_requests();
    assert!(!pushes.iter().any(|r| r["method"] == "POST"), "pushed anyway: {pushes:?}");
}

#[test]
fn fleet_upgrade_file_dry_run_pushes_nothing() {
    let mut f = Fleet::new(Kind::File);
    f.add("svc-a", "1.0.0");
    let refs = f.all_refs("svc-a");
    let up = f.upgrade(&["svc-a"], &["--dry-run"]);
    up.expect_code(0);
    assert_eq!(f.all_refs("svc-a"), refs, "a dry run wrote to the remote");
    assert_eq!(up.row(&f.line("svc-a"))["commit"], serde_json::Value::Null, "{}", up.report);
}

#[test]
fn fleet_upgrade_file_without_push_leaves_the_remote_alone() {
    let mut f = Fleet::new(Kind::File);
    f.add("svc-a", "1.0.0");
    let refs = f.all_refs("svc-a");
    let lines = [f.line("svc-a")];
    let up = f.upgrade_lines(&lines, &[], &[]);
    up.expect_code(0).expect(&lines[0], "upgraded");
    assert_eq!(f.all_refs("svc-a"), refs, "pushed without --push");
    // The branch is in the mirror, one pave commit on the fetched default branch.
    let mirror = f.mirror("svc-a");
    let commit = up.row(&lines[0])["commit"].as_str().unwrap_or_default().to_string();
    assert_trailers(&f.sb.git(&mirror, &["log", "-1", "--format=%B", &commit]));
    assert_eq!(rev(&f.sb, &mirror, &format!("{commit}^")), f.rev("svc-a", "main"));
}
