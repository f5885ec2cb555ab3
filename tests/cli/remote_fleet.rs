//! `pave fleet upgrade --repos-from` over git URLs (issue 10): each row of the branch
//! lifecycle is a test on local checkouts (no push), on bare repositories over `file://`, over
//! smart HTTP (`git http-backend` with a token, over http and https) and over ssh (a real sshd),
//! pushed with a lease; then the other outcomes,
//! the reports, exit codes and monorepos. Credentials, shards and re-runs are in
//! `remote_fleet_access`, faults in `remote_fleet_faults`, the fixture in `remote_fleet_fixture`.

use crate::fixtures::APP_CONFIG_V1;
use crate::git_server::run_pave;
use crate::remote_fleet_fixture::{BRANCH, Fleet, Kind, TOKEN, assert_trailers, check_mirror, new_app};
use crate::sandbox::Sandbox;

/// Runs a scenario on each kind as its own test.
macro_rules! on_each_kind {
    ($scenario:ident: $($test:ident => $kind:ident),+ $(,)?) => {
        $(
            #[test]
            fn $test() {
                $scenario(Kind::$kind);
            }
        )+
    };
}

// ---- the branch lifecycle, one row a test ----

/// No branch: `upgraded`, the branch created (and pushed), one pave commit on the default
/// branch; the mirror is bare and holds only what pave fetches.
fn no_branch(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    if kind != Kind::Local {
        // Branches and tags pave has no business fetching.
        let sb = &f.sb;
        sb.git("made/svc-a", &["checkout", "-q", "-b", "feature/other"]);
        sb.write("made/svc-a/docs/other.md", "someone's feature\n");
        sb.commit_all("made/svc-a", "a feature");
        sb.git("made/svc-a", &["tag", "v9"]);
        sb.git("made/svc-a", &["push", "-q", "../../srv/svc-a.git", "feature/other", "v9"]);
        sb.git("made/svc-a", &["checkout", "-q", "main"]);
    }
    let before = if kind == Kind::Local { f.sb.state("fleet/svc-a") } else { String::new() };
    let up = f.upgrade(&["svc-a", "svc-b"], &[]);
    up.expect_code(0).expect(&f.line("svc-a"), "upgraded").expect(&f.line("svc-b"), "upgraded");
    let keys = ["path", "repo", "template", "from", "to", "outcome", "branch", "commit", "files_changed"];
    for row in up.rows() {
        for key in keys.iter().chain(&["conflicts", "superseded", "error"]) {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
    }
    assert!(up.report["summary"].is_object(), "no summary: {}", up.report);
    for name in ["svc-a", "svc-b"] {
        let row = up.row(&f.line(name));
        let tip = f.check_branch(name, BRANCH, "main", "2.0.0");
        assert_eq!(row["branch"], BRANCH, "{row}");
        assert_eq!(row["commit"].as_str(), Some(tip.as_str()), "{row}");
        assert_eq!(
            (row["template"].as_str(), row["from"].as_str(), row["to"].as_str()),
            (Some("app"), Some("1.0.0"), Some("2.0.0"))
        );
        assert_eq!(row["files_changed"], 8, "{row}");
        if kind != Kind::Local {
            assert_eq!(row["repo"].as_str(), Some(f.line(name).as_str()), "{row}");
            check_mirror(&f.sb, &f.mirror(name));
        }
    }
    if kind == Kind::Local {
        let after = f.sb.state("fleet/svc-a");
        let strip = |s: &str| s.lines().filter(|l| !l.starts_with("refs/heads/pave/")).collect::<Vec<_>>().join("\n");
        assert_eq!(strip(&after), strip(&before), "the checkout changed");
    } else if kind.is_served() {
        // Over file:// libgit2 may copy more objects than the refs it fetches need; over HTTP
        // only what the default branch and pave/* reach comes down.
        let mirror = f.mirror("svc-a");
        let other = f.rev("svc-a", "feature/other").unwrap();
        assert!(
            !f.sb.git_output(&mirror, &["cat-file", "-e", &other]).status.success(),
            "the mirror fetched feature/other"
        );
        assert_eq!(f.sb.git(&mirror, &["tag", "--list"]), "", "the mirror fetched tags");
    }
}

on_each_kind!(no_branch:
    fleet_upgrade_local_without_a_branch_creates_it => Local,
    fleet_upgrade_file_without_a_branch_creates_and_pushes_it => File,
    fleet_upgrade_http_without_a_branch_creates_and_pushes_it => Http,
    fleet_upgrade_https_without_a_branch_creates_and_pushes_it => Https,
    fleet_upgrade_ssh_without_a_branch_creates_and_pushes_it => Ssh,
);

/// Nothing changed since the last run: `unchanged`, no new commit, nothing pushed, and it says
/// so.
fn second_run(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add("svc-a", "1.0.0");
    f.upgrade(&["svc-a"], &[]).expect_code(0).expect(&f.line("svc-a"), "upgraded");
    let refs = f.all_refs("svc-a");
    let mirror = (kind != Kind::Local).then(|| f.sb.git(&f.mirror("svc-a"), &["for-each-ref"]));
    if let Some(server) = &f.server {
        server.clear_log();
    }
    let up = f.upgrade(&["svc-a"], &[]);
    up.expect_code(0).expect(&f.line("svc-a"), "unchanged");
    assert_eq!(f.all_refs("svc-a"), refs, "a ref moved");
    if let Some(before) = mirror {
        assert_eq!(f.sb.git(&f.mirror("svc-a"), &["for-each-ref"]), before, "a mirror ref moved");
    }
    if let Some(server) = &f.server {
        assert_eq!(server.receive_pack_requests(), Vec::<serde_json::Value>::new(), "pushed anyway");
    }
    assert!(up.run.stderr.contains("unchanged"), "it does not say so:\n{}", up.run.output());
}

on_each_kind!(second_run:
    fleet_upgrade_local_second_run_is_unchanged => Local,
    fleet_upgrade_file_second_run_is_unchanged_and_pushes_nothing => File,
    fleet_upgrade_http_second_run_is_unchanged_and_pushes_nothing => Http,
    fleet_upgrade_https_second_run_is_unchanged_and_pushes_nothing => Https,
    fleet_upgrade_ssh_second_run_is_unchanged_and_pushes_nothing => Ssh,
);

/// The default branch moved, the branch holds only pave's commit: `regenerated`, rebuilt on the
/// new tip (force-pushed with the lease).
fn main_moved(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add("svc-a", "1.0.0");
    f.upgrade(&["svc-a"], &[]).expect_code(0);
    let old = f.rev("svc-a", BRANCH).unwrap();
    f.advance_main("svc-a");
    let up = f.upgrade(&["svc-a"], &[]);
    up.expect_code(0).expect(&f.line("svc-a"), "regenerated");
    let tip = f.check_branch("svc-a", BRANCH, "main", "2.0.0");
    assert_ne!(tip, old);
    assert_eq!(up.row(&f.line("svc-a"))["commit"].as_str(), Some(tip.as_str()));
    let refs = f.refs("svc-a");
    assert!(!f.sb.git_output(&refs, &["merge-base", "--is-ancestor", &old, &tip]).status.success(), "not rebuilt");
    let notes = f.sb.git(&refs, &["ls-tree", "-r", "--name-only", BRANCH, "docs"]);
    assert!(notes.contains("docs/notes-"), "the new default branch's change is not in the branch:\n{notes}");
}

on_each_kind!(main_moved:
    fleet_upgrade_local_rebuilds_its_branch_when_main_moved => Local,
    fleet_upgrade_file_rebuilds_and_force_pushes_when_main_moved => File,
    fleet_upgrade_http_rebuilds_and_force_pushes_when_main_moved => Http,
    fleet_upgrade_https_rebuilds_and_force_pushes_when_main_moved => Https,
    fleet_upgrade_ssh_rebuilds_and_force_pushes_when_main_moved => Ssh,
);

/// Someone else's commit on the branch: `edited`, left alone (even though the default branch
/// moved too).
fn edited(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    f.upgrade(&["svc-a", "svc-b"], &[]).expect_code(0);
    f.edit_branch("svc-a", BRANCH);
    let theirs = f.rev("svc-a", BRANCH).unwrap();
    f.advance_main("svc-a");
    f.advance_main("svc-b");
    if let Some(server) = &f.server {
        server.clear_log();
    }
    let up = f.upgrade(&["svc-a", "svc-b"], &[]);
    up.expect_code(0).expect(&f.line("svc-a"), "edited").expect(&f.line("svc-b"), "regenerated");
    assert_eq!(f.rev("svc-a", BRANCH), Some(theirs), "the edited branch was moved");
    if let Some(server) = &f.server {
        let pushes = server.receive_pack_requests();
        let svc_a = |r: &&serde_json::Value| r["method"] == "POST" && r["path"] == "/svc-a.git/git-receive-pack";
        assert!(!pushes.iter().any(|r| svc_a(&r)), "pushed to the edited repository: {pushes:?}");
    }
}

on_each_kind!(edited:
    fleet_upgrade_local_leaves_an_edited_branch_alone => Local,
    fleet_upgrade_file_leaves_an_edited_branch_alone => File,
    fleet_upgrade_http_leaves_an_edited_branch_alone => Http,
    fleet_upgrade_https_leaves_an_edited_branch_alone => Https,
    fleet_upgrade_ssh_leaves_an_edited_branch_alone => Ssh,
);

/// The branch was merged into the default branch: `merged`, nothing written.
fn merged(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add("svc-a", "1.0.0");
    f.upgrade(&["svc-a"], &[]).expect_code(0);
    f.merge("svc-a", BRANCH);
    let refs = f.all_refs("svc-a");
    if let Some(server) = &f.server {
        server.clear_log();
    }
    let up = f.upgrade(&["svc-a"], &[]);
    up.expect_code(0).expect(&f.line("svc-a"), "merged");
    assert_eq!(f.all_refs("svc-a"), refs, "something was written");
    if let Some(server) = &f.server {
        assert_eq!(server.receive_pack_requests(), Vec::<serde_json::Value>::new(), "pushed anyway");
    }
}

on_each_kind!(merged:
    fleet_upgrade_local_merged_branch_writes_nothing => Local,
    fleet_upgrade_file_merged_branch_writes_nothing => File,
    fleet_upgrade_http_merged_branch_writes_nothing => Http,
);

/// `--to` older than an existing pave branch: `superseded`, nothing written.
fn older_target(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.release_3().add("svc-a", "1.0.0");
    f.upgrade(&["svc-a"], &["--to", "3.0.0"]).expect_code(0).expect(&f.line("svc-a"), "upgraded");
    f.check_branch("svc-a", "pave/app-3.0.0", "main", "3.0.0");
    let refs = f.all_refs("svc-a");
    let up = f.upgrade(&["svc-a"], &["--to", "2.0.0"]);
    up.expect_code(0).expect(&f.line("svc-a"), "superseded");
    assert_eq!(f.all_refs("svc-a"), refs, "something was written");
    assert_eq!(f.rev("svc-a", BRANCH), None);
}

on_each_kind!(older_target:
    fleet_upgrade_local_older_target_than_a_pave_branch_is_superseded => Local,
    fleet_upgrade_file_older_target_than_a_pave_branch_is_superseded => File,
    fleet_upgrade_http_older_target_than_a_pave_branch_is_superseded => Http,
);

/// A new release's branch while an older `pave/app-*` branch exists: `upgraded`, and the row
/// lists the older branch under `superseded`.
fn newer_release(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.release_3().add("svc-a", "1.0.0");
    f.upgrade(&["svc-a"], &["--to", "2.0.0"]).expect_code(0).expect(&f.line("svc-a"), "upgraded");
    let up = f.upgrade(&["svc-a"], &[]);
    up.expect_code(0).expect(&f.line("svc-a"), "upgraded");
    let row = up.row(&f.line("svc-a"));
    assert_eq!(row["branch"], "pave/app-3.0.0", "{row}");
    assert_eq!(row["superseded"], serde_json::json!([BRANCH]), "{row}");
    f.check_branch("svc-a", "pave/app-3.0.0", "main", "3.0.0");
}

on_each_kind!(newer_release:
    fleet_upgrade_local_new_release_lists_the_branch_it_supersedes => Local,
    fleet_upgrade_file_new_release_lists_the_branch_it_supersedes => File,
    fleet_upgrade_http_new_release_lists_the_branch_it_supersedes => Http,
);

// ---- the other outcomes, the report and exit codes ----

/// `app` 1.0.0 with a local edit to the line 2.0.0 changes.
fn conflicting(s: &Sandbox, dir: &str) {
    new_app(s, "1.0.0", dir);
    s.write(&format!("{dir}/config/app.yaml"), APP_CONFIG_V1.replace("port: 8080", "port: 7000"));
    s.commit_all(dir, "our port");
}

/// up-to-date, conflict, skipped beside an upgrade; exit 3 (conflicts, nothing failed).
fn other_outcomes(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add_mini_template();
    f.add("svc-clean", "1.0.0").add("svc-current", "2.0.0").add_with("svc-conflict", conflicting);
    f.add_with("svc-mini", |s, dir| s.pave_ok(&["new", "mini@1.0.0", dir, "-d", "service_name=mini"]));
    let names = ["svc-clean", "svc-current", "svc-conflict", "svc-mini"];
    let up = f.upgrade(&names, &["--template", "app"]);
    up.expect_code(3)
        .expect(&f.line("svc-clean"), "upgraded")
        .expect(&f.line("svc-current"), "up-to-date")
        .expect(&f.line("svc-conflict"), "conflict")
        .expect(&f.line("svc-mini"), "skipped");
    assert_eq!(up.row(&f.line("svc-conflict"))["conflicts"], serde_json::json!(["config/app.yaml"]));
    assert_eq!(up.row(&f.line("svc-conflict"))["branch"], serde_json::Value::Null);
    for name in ["svc-current", "svc-conflict", "svc-mini"] {
        assert_eq!(f.sb.git(&f.refs(name), &["branch", "--list", "pave/*"]), "", "{name} got a branch");
    }
    let summary = &up.report["summary"];
    assert!(summary.is_object(), "no summary:\n{}", up.report);
}

on_each_kind!(other_outcomes:
    fleet_upgrade_local_reports_up_to_date_conflict_and_skipped => Local,
    fleet_upgrade_file_reports_up_to_date_conflict_and_skipped => File,
    fleet_upgrade_http_reports_up_to_date_conflict_and_skipped => Http,
);

/// `--on-conflict commit`: `conflict` with a branch and a commit (pushed); exit 3; and the
/// Markdown report is a table with a row per repository.
fn conflict_committed(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add_with("svc-conflict", conflicting).add("svc-clean", "1.0.0");
    let up = f.upgrade(&["svc-conflict", "svc-clean"], &["--on-conflict", "commit"]);
    up.expect_code(3).expect(&f.line("svc-conflict"), "conflict");
    let row = up.row(&f.line("svc-conflict"));
    let tip = f.check_branch("svc-conflict", BRANCH, "main", "2.0.0");
    assert_eq!(row["branch"], BRANCH, "{row}");
    assert_eq!(row["commit"].as_str(), Some(tip.as_str()), "{row}");
    let file = f.sb.git(&f.refs("svc-conflict"), &["show", &format!("{BRANCH}:config/app.yaml")]);
    assert!(file.contains("<<<<<<< local\nport: 7000\n=======\nport: 9090\n>>>>>>> app 2.0.0\n"), "{file}");

    // The same fleet again, reported in Markdown: nothing changed, every row `unchanged`.
    let list = format!("{}\n{}\n", f.line("svc-conflict"), f.line("svc-clean"));
    f.sb.write("md.txt", list);
    let mut args = vec!["fleet", "upgrade", "--repos-from", "md.txt", "--report", "r.md", "--on-conflict", "commit"];
    if kind != Kind::Local {
        args.push("--push");
    }
    let env = f.env();
    let run = run_pave(&f.sb, &args, &Fleet::env_args(&env));
    let md = f.sb.read("r.md");
    assert!(md.lines().any(|l| l.starts_with("| ") && l.contains(" outcome ")), "no table header:\n{md}");
    assert!(md.lines().any(|l| l.starts_with("|---") || l.starts_with("| ---")), "no table rule:\n{md}");
    for name in ["svc-conflict", "svc-clean"] {
        let row =
            md.lines().find(|l| l.starts_with('|') && l.contains(name)).unwrap_or_else(|| panic!("{name}:\n{md}"));
        assert!(row.contains("| unchanged |"), "{row}\n{}", run.output());
    }
    assert!(!md.contains(TOKEN));
}

on_each_kind!(conflict_committed:
    fleet_upgrade_local_on_conflict_commit_writes_the_branch_and_a_markdown_report => Local,
    fleet_upgrade_file_on_conflict_commit_pushes_the_branch_and_a_markdown_report => File,
    fleet_upgrade_http_on_conflict_commit_pushes_the_branch_and_a_markdown_report => Http,
    fleet_upgrade_https_on_conflict_commit_pushes_the_branch_and_a_markdown_report => Https,
    fleet_upgrade_ssh_on_conflict_commit_pushes_the_branch_and_a_markdown_report => Ssh,
);

/// A monorepo: one branch with both projects, one row each. (Local monorepos are listed by
/// project directory, as before: `fleet.rs` covers them.)
fn monorepo(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add_with("mono", |s, dir| {
        s.git_repo(dir);
        new_app(s, "1.0.0", &format!("{dir}/services/a"));
        new_app(s, "1.0.0", &format!("{dir}/services/b"));
        s.commit_all(dir, "two services");
    });
    let up = f.upgrade(&["mono"], &[]);
    up.expect_code(0);
    let rows = up.rows_of(&f.line("mono"));
    assert_eq!(rows.len(), 2, "{}", up.report);
    assert!(rows.iter().all(|r| r["outcome"] == "upgraded" && r["branch"] == BRANCH), "{}", up.report);
    // One commit per project, or one for both: every one pave's, on top of the default branch.
    let (sb, repo) = (&f.sb, f.refs("mono"));
    assert!(sb.git_output(&repo, &["merge-base", "--is-ancestor", "main", BRANCH]).status.success(), "not on main");
    let commits = sb.git(&repo, &["rev-list", &format!("main..{BRANCH}")]);
    assert!((1..=2).contains(&commits.lines().count()), "{commits}");
    for commit in commits.lines() {
        assert_trailers(&sb.git(&repo, &["log", "-1", "--format=%B", commit]));
    }
    for project in ["services/a", "services/b"] {
        let record = sb.git(&repo, &["show", &format!("{BRANCH}:{project}/.pave.toml")]);
        assert!(record.contains("version = \"2.0.0\""), "{project}:\n{record}");
    }
}

on_each_kind!(monorepo:
    fleet_upgrade_file_monorepo_gets_one_branch_with_both_projects => File,
    fleet_upgrade_http_monorepo_gets_one_branch_with_both_projects => Http,
);
