//! Faults of a remote fleet upgrade, each ending as one repository's outcome while the others
//! go on: an unreachable remote, a refused token, branch protection, a branch moved between
//! fetch and push, an empty repository, one without `.pave.toml`, a corrupt mirror, a run
//! killed halfway, and two runs at once on one cache.

use std::time::Duration;

use crate::git_server::{closed_port, kill_after_line, pave_command, protect, wait_bounded};
use crate::remote_fleet_fixture::{BRANCH, Fleet, Kind, TOKEN};

/// Checks, after a fault, that `name` (listed as `line`) was upgraded and its branch pushed.
#[track_caller]
fn pushed(f: &Fleet, name: &str) {
    f.check_branch(name, BRANCH, "main", "2.0.0");
}

#[test]
fn fleet_upgrade_unreachable_remote_fails_alone() {
    let mut f = Fleet::new(Kind::File);
    f.add("svc-a", "1.0.0").add("svc-z", "1.0.0");
    let dead = format!("http://127.0.0.1:{}/svc-m.git", closed_port());
    let dead_ssh = format!("ssh://127.0.0.1:{}/svc-n.git", closed_port());
    let lines = [f.line("svc-a"), dead.clone(), dead_ssh.clone(), f.line("svc-z")];
    let up = f.upgrade_lines(&lines, &["--push", "--jobs", "1"], &[]);
    up.expect_code(1).expect(&lines[0], "upgraded").expect(&lines[3], "upgraded");
    for line in [&dead, &dead_ssh] {
        up.expect(line, "failed");
        let error = up.row(line)["error"].as_str().unwrap_or_default().to_string();
        assert!(!error.is_empty(), "no reason:\n{}", up.report);
    }
    pushed(&f, "svc-a");
    pushed(&f, "svc-z");
}

#[test]
fn fleet_upgrade_refused_token_fails_that_repository_with_an_authentication_reason() {
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    let wrong = "wrong-token-71c2e0aa";
    let lines = [f.line("svc-a"), f.file_url("svc-b")];
    let up = f.upgrade_lines(&lines, &["--push"], &[("PAVE_GIT_TOKEN", wrong)]);
    up.expect_code(1).expect(&lines[0], "failed").expect(&lines[1], "upgraded");
    let error = up.row(&lines[0])["error"].as_str().unwrap_or_default().to_lowercase();
    assert!(error.contains("auth"), "not an authentication reason: {error:?}");
    assert!(!error.contains(wrong));
    assert!(!up.run.stdout.contains(wrong) && !up.run.stderr.contains(wrong), "{}", up.run.output());
    let leaks = crate::git_server::files_holding(f.sb.root(), wrong.as_bytes());
    assert_eq!(leaks, Vec::<String>::new(), "files holding the token");
    assert_eq!(f.rev("svc-a", BRANCH), None);
    pushed(&f, "svc-b");
}

/// A push refused by a `pre-receive` hook: failed, with the server's message. (HTTP only:
/// libgit2 pushes to a `file://` remote by writing the objects and refs itself, so no hook
/// runs there.)
fn protected(kind: Kind) {
    let mut f = Fleet::new(kind);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    let message = "GL-HOOK-ERR: pave/* is protected by branch protection";
    protect(&f.sb, "srv/svc-a.git", "refs/heads/pave/", message);
    let up = f.upgrade(&["svc-a", "svc-b"], &[]);
    up.expect_code(1).expect(&f.line("svc-a"), "failed").expect(&f.line("svc-b"), "upgraded");
    let error = up.row(&f.line("svc-a"))["error"].as_str().unwrap_or_default().to_string();
    assert!(error.contains("pave/* is protected by branch protection"), "not the server's message: {error:?}");
    assert_eq!(f.rev("svc-a", BRANCH), None);
    pushed(&f, "svc-b");
}

#[test]
fn fleet_upgrade_http_push_refused_by_a_hook_fails_with_the_servers_message() {
    protected(Kind::Http);
}

/// The lines of a fleet whose HTTP repositories race, with `svc-b` over `file://` beside them.
fn racing_lines(f: &Fleet) -> [String; 2] {
    [f.line("svc-a"), f.file_url("svc-b")]
}

#[test]
fn fleet_upgrade_http_branch_moved_between_fetch_and_push_is_raced() {
    let mut f = Fleet::new(Kind::Http);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    let lines = racing_lines(&f);
    let env = [("PAVE_GIT_TOKEN", TOKEN)];
    f.upgrade_lines(&lines, &["--push"], &env).expect_code(0);
    f.advance_main("svc-a");
    f.advance_main("svc-b");
    // From now on, whenever pave has fetched svc-a, someone pushes onto its pave branch.
    f.restart_server(&["--move-after-fetch", BRANCH]);
    let up = f.upgrade_lines(&lines, &["--push"], &env);
    up.expect_code(1).expect(&lines[0], "raced").expect(&lines[1], "regenerated");
    let tip = f.rev("svc-a", BRANCH).unwrap();
    let message = f.sb.git("srv/svc-a.git", &["log", "-1", "--format=%an %s", &tip]);
    assert_eq!(message, "Other Writer someone else pushed here\n", "the other writer's push was overwritten");
    pushed(&f, "svc-b");

    // --only-failed re-runs the raced repository alone; the other writer's commit is now on the
    // branch, so pave leaves it alone.
    f.restart_server(&[]);
    let report = "r2.json";
    let again = crate::git_server::run_pave(
        &f.sb,
        &["fleet", "upgrade", "--only-failed", report, "--push", "--report", "again.json"],
        &env,
    );
    let again_report: serde_json::Value = serde_json::from_str(&f.sb.read("again.json"))
        .unwrap_or_else(|e| panic!("again.json: {e}\n{}", again.output()));
    let rows = again_report["projects"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{again_report}");
    assert_eq!(rows[0]["path"], "svc-a", "{again_report}");
    assert_eq!(rows[0]["outcome"], "edited", "{again_report}");
    assert_eq!(f.rev("svc-a", BRANCH), Some(tip));
}

#[test]
fn fleet_upgrade_http_branch_created_between_fetch_and_push_is_raced() {
    let mut f = Fleet::new(Kind::Http);
    f.restart_server(&["--move-after-fetch", BRANCH]);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    let lines = racing_lines(&f);
    let up = f.upgrade_lines(&lines, &["--push"], &[("PAVE_GIT_TOKEN", TOKEN)]);
    up.expect_code(1).expect(&lines[0], "raced").expect(&lines[1], "upgraded");
    let tip = f.rev("svc-a", BRANCH).unwrap();
    let message = f.sb.git("srv/svc-a.git", &["log", "-1", "--format=%an %s", &tip]);
    assert_eq!(message, "Other Writer someone else pushed here\n", "the other writer's branch was overwritten");
    pushed(&f, "svc-b");
}

#[test]
fn fleet_upgrade_empty_repository_fails_with_no_commits() {
    let mut f = Fleet::new(Kind::File);
    f.add("svc-a", "1.0.0");
    f.sb.git(".", &["init", "-q", "--bare", "-b", "main", "srv/svc-empty.git"]);
    let up = f.upgrade(&["svc-empty", "svc-a"], &[]);
    up.expect_code(1).expect(&f.line("svc-empty"), "failed").expect(&f.line("svc-a"), "upgraded");
    let error = up.row(&f.line("svc-empty"))["error"].as_str().unwrap_or_default().to_string();
    assert!(error.contains("no commits"), "{error:?}");
    pushed(&f, "svc-a");
}

#[test]
fn fleet_upgrade_repository_without_pave_toml_says_so() {
    let mut f = Fleet::new(Kind::File);
    f.add("svc-a", "1.0.0");
    f.add_with("plain", |s, dir| s.git_repo(dir));
    let up = f.upgrade(&["plain", "svc-a"], &[]);
    up.expect(&f.line("svc-a"), "upgraded");
    let row = up.row(&f.line("plain"));
    let outcome = row["outcome"].as_str().unwrap_or_default();
    assert!(outcome == "skipped" || outcome == "failed", "{row}");
    let reason = row["error"].as_str().unwrap_or_default();
    let line = up.run.stderr.lines().find(|l| l.contains("plain.git")).unwrap_or_default();
    assert!(reason.contains(".pave.toml") || line.contains(".pave.toml"), "no reason naming .pave.toml: {row}\n{line}");
    assert_eq!(up.code(), Some(i32::from(outcome == "failed")), "{}", up.run.output());
    pushed(&f, "svc-a");
}

/// A mirror broken by `damage` after a first (dry) run: made again, and the upgrade goes on.
fn corrupt_mirror(damage: impl FnOnce(&Fleet, &str)) {
    let mut f = Fleet::new(Kind::File);
    f.add("svc-a", "1.0.0").add("svc-b", "1.0.0");
    f.upgrade(&["svc-a", "svc-b"], &["--dry-run"]).expect_code(0);
    let mirror = f.mirror("svc-a");
    assert!(f.sb.exists(&format!("{mirror}/HEAD")), "no mirror after a dry run:\n{:?}", f.sb.files("home/.cache"));
    damage(&f, &mirror);
    let up = f.upgrade(&["svc-a", "svc-b"], &[]);
    up.expect_code(0).expect(&f.line("svc-a"), "upgraded").expect(&f.line("svc-b"), "upgraded");
    pushed(&f, "svc-a");
    pushed(&f, "svc-b");
    crate::remote_fleet_fixture::check_mirror(&f.sb, &mirror);
}

#[test]
fn fleet_upgrade_mirror_with_a_truncated_head_is_cloned_again() {
    corrupt_mirror(|f, mirror| f.sb.write(&format!("{mirror}/HEAD"), ""));
}

#[test]
fn fleet_upgrade_mirror_without_its_packs_is_cloned_again() {
    corrupt_mirror(|f, mirror| {
        let packs = f.sb.path(&format!("{mirror}/objects/pack"));
        let mut removed = 0;
        for entry in std::fs::read_dir(&packs).unwrap().flatten() {
            std::fs::remove_file(entry.path()).unwrap();
            removed += 1;
        }
        // A mirror that keeps loose objects instead: remove those too.
        for entry in std::fs::read_dir(f.sb.path(&format!("{mirror}/objects"))).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.len() == 2 && name.chars().all(|c| c.is_ascii_hexdigit()) {
                std::fs::remove_dir_all(entry.path()).unwrap();
                removed += 1;
            }
        }
        assert!(removed > 0, "the mirror had no objects to remove");
    });
}

#[test]
fn fleet_upgrade_killed_halfway_finishes_on_the_next_run() {
    let mut f = Fleet::new(Kind::File);
    let names: Vec<String> = (1..=6).map(|i| format!("svc-{i}")).collect();
    for n in &names {
        f.add(n, "1.0.0");
    }
    let lines: Vec<String> = names.iter().map(|n| f.line(n)).collect();
    f.sb.write("kill.txt", lines.join("\n") + "\n");
    let cmd = pave_command(&f.sb, &["fleet", "upgrade", "--repos-from", "kill.txt", "--push", "--jobs", "1"], &[]);
    let (seen, running) = kill_after_line(cmd, |l| l.contains("svc-"), Duration::from_mins(2));
    assert!(seen.iter().any(|l| l.contains("svc-")), "no progress line per repository on stderr: {seen:?}");
    assert!(running, "pave finished before it could be killed: {seen:?}");
    let done = names.iter().filter(|n| f.rev(n, BRANCH).is_some()).count();
    assert!(done < names.len(), "every branch was pushed before the kill: {seen:?}");
    let up = f.upgrade_lines(&lines, &["--push", "--jobs", "1"], &[]);
    up.expect_code(0);
    for (name, line) in names.iter().zip(&lines) {
        let outcome = up.outcome(line);
        assert!(outcome == "upgraded" || outcome == "unchanged", "{name}: {outcome}\n{}", up.report);
        pushed(&f, name);
        f.sb.git(&f.mirror(name), &["fsck", "--no-progress"]);
    }
}

#[test]
fn fleet_upgrade_two_runs_at_once_on_one_cache_leave_everything_sound() {
    let mut f = Fleet::new(Kind::File);
    let names: Vec<String> = (1..=4).map(|i| format!("svc-{i}")).collect();
    for n in &names {
        f.add(n, "1.0.0");
    }
    let lines: Vec<String> = names.iter().map(|n| f.line(n)).collect();
    f.sb.write("both.txt", lines.join("\n") + "\n");
    let spawn = |report: &str| {
        pave_command(&f.sb, &["fleet", "upgrade", "--repos-from", "both.txt", "--push", "--report", report], &[])
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(f.sb.path(&format!("{report}.err"))).unwrap())
            .spawn()
            .expect("spawn pave")
    };
    let (one, two) = (spawn("one.json"), spawn("two.json"));
    let limit = Duration::from_mins(4);
    let codes = [wait_bounded(one, limit, "the first run"), wait_bounded(two, limit, "the second run")];
    let errs = format!("{}\n{}", f.sb.read("one.json.err"), f.sb.read("two.json.err"));
    assert!(codes.iter().all(|c| matches!(c, Some(0 | 1))), "{codes:?}\n{errs}");
    for name in &names {
        pushed(&f, name);
        f.sb.git(&f.mirror(name), &["fsck", "--no-progress"]);
    }
    // Whatever each run did, a third finds nothing to do.
    let up = f.upgrade_lines(&lines, &["--push"], &[]);
    up.expect_code(0);
    for line in &lines {
        up.expect(line, "unchanged");
    }
}
