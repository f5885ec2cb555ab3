//! `pave upgrade`: every row of SPEC.md's per-path table, conflicts as markers, `.rej` and
//! `.pave-new` (and as unmerged index entries, checked with the real git), modes and line endings,
//! migrations and answers, version choice, the refusals that change nothing, and committing.

use crate::fixtures::{
    APP_CONFIG_V1, APP_CONFIG_V2, APP_GUIDE, APP_LEGACY, LOGO_V1, LOGO_V2, MIG_RUNBOOK, MINI_MANIFEST, MINI_README,
};
use crate::sandbox::Sandbox;
use crate::support::{Output, Test};

/// `config/app.yaml` with the project's edit on `port`, which the template changes too.
const CONFIG_PORT_EDIT: &str = "name: app\nport: 7000\nlog: info\nreplicas: 2\ntimeout: 30\nretries: 3\nowner: team\n";

/// The app project at 1.0.0 after `edit`, committed by the user.
fn app_with(edit: impl FnOnce(&Sandbox)) -> Output {
    let out = Test::app_project();
    edit(&out);
    out.commit_all("proj", "local edits");
    out
}

/// `pave upgrade proj` in the sandbox the earlier runs left.
fn upgrade(out: Output) -> Test {
    out.then().args(["upgrade", "proj"])
}

/// Runs `pave upgrade proj ARGS`, expects exit 2 with `message` on stderr, and checks that
/// neither the files nor the repository changed.
#[track_caller]
fn refused(out: Output, args: &[&str], message: &str) -> Output {
    let before = out.state("proj");
    let out = upgrade(out).args(args.iter().copied()).status(2).stdout("").stderr_contains(message).run();
    assert_eq!(out.state("proj"), before, "nothing may change");
    out
}

fn recorded_version(out: &Sandbox, dir: &str) -> String {
    out.pave_toml(dir)["template"]["version"].as_str().unwrap().to_string()
}

// ---- SPEC.md's table, one row at a time ----

#[test]
fn upgrade_leaves_an_edited_seed_file_as_the_team_wrote_it() {
    let out = app_with(|s| s.write("proj/src/main.rs", "// ours entirely\nfn main() { run() }\n"));
    let out = upgrade(out).run();
    assert_eq!(out.read("proj/src/main.rs"), "// ours entirely\nfn main() { run() }\n");
    assert!(!out.exists("proj/src/main.rs.pave-new"));
    assert_eq!(recorded_version(&out, "proj"), "2.0.0");
}

#[test]
fn upgrade_never_updates_an_unedited_seed_file() {
    let out = upgrade(Test::app_project()).run();
    assert_eq!(out.read("proj/src/main.rs"), "// payments one\nfn main() {}\n", "seed files are never touched");
}

#[test]
fn upgrade_keeps_local_edits_to_a_file_the_template_did_not_change() {
    let out = app_with(|s| s.write("proj/docs/guide.md", "# Our guide\n"));
    let out = upgrade(out).run();
    assert_eq!(out.read("proj/docs/guide.md"), "# Our guide\n");
}

#[test]
fn upgrade_keeps_a_deleted_file_the_template_did_not_change_deleted() {
    let out = app_with(|s| s.remove("proj/docs"));
    let out = upgrade(out).run();
    assert!(!out.exists("proj/docs/guide.md"));
    assert!(!out.exists("proj/docs"), "nothing recreated in docs/");
}

#[test]
fn upgrade_creates_a_file_the_template_added() {
    let out = upgrade(Test::app_project()).stderr_contains("added 1").run();
    assert_eq!(out.read("proj/added.txt"), "added in 2.0.0\n");
    assert_eq!(out.git("proj", &["status", "--porcelain", "--", "added.txt"]), "?? added.txt\n");
}

#[test]
fn upgrade_merges_an_added_file_with_the_projects_own_copy_over_an_empty_base() {
    let out = app_with(|s| s.write("proj/added.txt", "our own added.txt\n"));
    let out = upgrade(out).status(3).stderr_contains("added.txt").run();
    assert_eq!(
        out.read("proj/added.txt"),
        "<<<<<<< local\nour own added.txt\n=======\nadded in 2.0.0\n>>>>>>> app 2.0.0\n"
    );
    // No common ancestor: only stages 2 (ours) and 3 (theirs), as git records an add/add conflict.
    let stages: Vec<String> = out
        .git("proj", &["ls-files", "-u", "--", "added.txt"])
        .lines()
        .map(|l| l.split_whitespace().nth(2).unwrap().to_string())
        .collect();
    assert_eq!(stages, ["2", "3"]);
}

#[test]
fn upgrade_conflict_shows_both_sides_as_they_are_when_ours_lacks_a_final_newline() {
    // What `git merge-file -L local -L base -L "app 2.0.0"` writes for the same three inputs.
    let out = app_with(|s| s.write("proj/added.txt", "ours without newline"));
    let out = upgrade(out).status(3).run();
    assert_eq!(
        out.read("proj/added.txt"),
        "<<<<<<< local\nours without newline\n=======\nadded in 2.0.0\n>>>>>>> app 2.0.0\n"
    );
}

#[test]
fn upgrade_leaves_an_added_file_alone_when_the_project_already_has_the_same_bytes() {
    let out = app_with(|s| s.write("proj/added.txt", "added in 2.0.0\n"));
    let out = upgrade(out).run();
    assert_eq!(out.read("proj/added.txt"), "added in 2.0.0\n");
    assert_eq!(out.git("proj", &["ls-files", "-u"]), "");
}

#[test]
fn upgrade_deletes_a_removed_file_and_the_directories_it_emptied() {
    let out = upgrade(Test::app_project()).stderr_contains("deleted 1").run();
    assert!(!out.exists("proj/legacy/tools/old.txt"));
    assert!(!out.exists("proj/legacy/tools"));
    assert!(!out.exists("proj/legacy"), "emptied directories are removed");
    assert_eq!(out.git("proj", &["status", "--porcelain", "--", "legacy"]), " D legacy/tools/old.txt\n");
}

#[test]
fn upgrade_keeps_a_removed_file_the_project_edited_and_reports_it() {
    let out = app_with(|s| s.write("proj/legacy/tools/old.txt", format!("{APP_LEGACY}our note\n")));
    let out = upgrade(out).stderr_contains("legacy/tools/old.txt").stderr_contains("kept").run();
    assert_eq!(out.read("proj/legacy/tools/old.txt"), format!("{APP_LEGACY}our note\n"));
}

#[test]
fn upgrade_keeps_a_directory_that_still_holds_the_projects_files() {
    let out = app_with(|s| s.write("proj/legacy/tools/ours.txt", "ours\n"));
    let out = upgrade(out).run();
    assert!(!out.exists("proj/legacy/tools/old.txt"));
    assert_eq!(out.read("proj/legacy/tools/ours.txt"), "ours\n");
}

#[test]
fn upgrade_replaces_a_changed_file_the_project_did_not_edit() {
    let out = upgrade(Test::app_project()).run();
    assert_eq!(out.read("proj/README.md"), "# payments\n\nversion two\n");
    assert_eq!(out.read("proj/config/app.yaml"), APP_CONFIG_V2);
    assert_eq!(out.read_bytes("proj/logo.png"), LOGO_V2);
}

#[test]
fn upgrade_leaves_a_changed_file_the_project_deleted_deleted_and_reports_it() {
    let out = app_with(|s| s.remove("proj/config/app.yaml"));
    let out = upgrade(out).stderr_contains("kept deleted").stderr_contains("config/app.yaml").run();
    assert!(!out.exists("proj/config/app.yaml"));
}

#[test]
fn upgrade_merges_separate_edits_of_a_changed_file() {
    let out = app_with(|s| s.write("proj/config/app.yaml", APP_CONFIG_V1.replace("replicas: 2", "replicas: 5")));
    let out = upgrade(out).stderr_contains("merged 1").run();
    assert_eq!(out.read("proj/config/app.yaml"), APP_CONFIG_V2.replace("replicas: 2", "replicas: 5"));
    assert_eq!(out.git("proj", &["status", "--porcelain", "--", "config"]), " M config/app.yaml\n");
    assert_eq!(out.git("proj", &["ls-files", "-u"]), "");
}

#[test]
fn upgrade_writes_conflict_markers_for_overlapping_edits() {
    let out = app_with(|s| s.write("proj/config/app.yaml", CONFIG_PORT_EDIT));
    let out = upgrade(out)
        .status(3)
        .stderr_contains("conflict     config/app.yaml")
        .stderr_contains("Resolve the 1 conflict(s)")
        .run();
    assert_eq!(
        out.read("proj/config/app.yaml"),
        "name: app\n<<<<<<< local\nport: 7000\n=======\nport: 9090\n>>>>>>> app 2.0.0\nlog: info\nreplicas: 2\ntimeout: 30\nretries: 3\nowner: team\nmetrics: true\n"
    );
    assert_eq!(recorded_version(&out, "proj"), "2.0.0");
}

#[test]
fn upgrade_records_a_conflicted_file_as_unmerged_so_git_commit_refuses() {
    let out = app_with(|s| s.write("proj/config/app.yaml", CONFIG_PORT_EDIT));
    let out = upgrade(out).status(3).run();
    let unmerged = out.git("proj", &["ls-files", "-u"]);
    let stages: Vec<&str> = unmerged.lines().map(|l| l.split_whitespace().nth(2).unwrap()).collect();
    assert_eq!(stages, ["1", "2", "3"], "{unmerged}");
    assert!(unmerged.lines().all(|l| l.ends_with("\tconfig/app.yaml")), "{unmerged}");
    assert_eq!(out.git("proj", &["show", ":1:config/app.yaml"]), APP_CONFIG_V1, "stage 1 is the base");
    assert_eq!(out.git("proj", &["show", ":2:config/app.yaml"]), CONFIG_PORT_EDIT, "stage 2 is ours");
    assert_eq!(out.git("proj", &["show", ":3:config/app.yaml"]), APP_CONFIG_V2, "stage 3 is the template's");
    let status = out.git("proj", &["status", "--porcelain"]);
    assert!(status.lines().any(|l| l == "UU config/app.yaml"), "{status}");

    let before = out.commit_count("proj");
    let commit = out.git_output("proj", &["commit", "-q", "-m", "try"]);
    assert!(!commit.status.success(), "git commit must refuse while a path is unmerged");
    assert!(String::from_utf8_lossy(&commit.stderr).contains("unmerged"), "{commit:?}");
    assert_eq!(out.commit_count("proj"), before);
    out.git("proj", &["fsck", "--no-progress"]);
}

#[test]
fn upgrade_keeps_an_edited_binary_file_and_writes_the_templates_beside_it() {
    let ours: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR our own logo \xff\xfe";
    let out = app_with(|s| s.write("proj/logo.png", ours));
    let out = upgrade(out).status(3).stderr_contains("logo.png.pave-new").run();
    assert_eq!(out.read_bytes("proj/logo.png"), ours);
    assert_eq!(out.read_bytes("proj/logo.png.pave-new"), LOGO_V2);
    let unmerged = out.git("proj", &["ls-files", "-u", "--", "logo.png"]);
    assert_eq!(unmerged.lines().count(), 3, "recorded as unmerged: {unmerged}");
    assert_eq!(out.git_output("proj", &["show", ":1:logo.png"]).stdout, LOGO_V1, "stage 1 is the base");
}

#[test]
fn upgrade_conflict_rej_keeps_the_projects_file_and_writes_the_templates_hunk() {
    let out = app_with(|s| s.write("proj/config/app.yaml", CONFIG_PORT_EDIT));
    let out = upgrade(out).args(["--conflict", "rej"]).status(3).stderr_contains("config/app.yaml.rej").run();
    assert_eq!(out.read("proj/config/app.yaml"), CONFIG_PORT_EDIT, "ours kept, no markers");
    let rej = out.read("proj/config/app.yaml.rej");
    assert!(rej.lines().any(|l| l == "-port: 8080"), "{rej}");
    assert!(rej.lines().any(|l| l == "+port: 9090"), "{rej}");
    assert!(rej.lines().any(|l| l == "+metrics: true"), "{rej}");
    assert!(!rej.contains("7000"), "the .rej holds the template's change, not ours: {rej}");
}

#[test]
fn upgrade_makes_a_file_executable_when_the_template_does() {
    let out = Test::app_project();
    assert_eq!(out.mode("proj/run.sh"), 0o644);
    let out = upgrade(out).run();
    assert_eq!(out.mode("proj/run.sh"), 0o755);
    assert_eq!(out.read("proj/run.sh"), "#!/bin/sh\necho two\n# a\n# b\n# c\n# d\n");
}

#[test]
fn upgrade_merged_file_takes_the_templates_executable_bit_when_ours_kept_the_old_mode() {
    let out = app_with(|s| s.write("proj/run.sh", "#!/bin/sh\necho one\n# a\n# b\n# c\n# d (ours)\n"));
    let out = upgrade(out).stderr_contains("merged").run();
    assert_eq!(out.read("proj/run.sh"), "#!/bin/sh\necho two\n# a\n# b\n# c\n# d (ours)\n");
    assert_eq!(out.mode("proj/run.sh"), 0o755);
    assert_eq!(out.git("proj", &["diff", "--summary", "--", "run.sh"]), " mode change 100644 => 100755 run.sh\n");
}

#[test]
fn upgrade_keeps_the_mode_the_project_chose() {
    let out = app_with(|s| {
        s.write("proj/tool.sh", "#!/bin/sh\necho one\n# a\n# b\n# c\n# d (ours)\n");
        s.set_mode("proj/tool.sh", 0o644);
    });
    let out = upgrade(out).run();
    assert_eq!(out.read("proj/tool.sh"), "#!/bin/sh\necho two\n# a\n# b\n# c\n# d (ours)\n");
    assert_eq!(out.mode("proj/tool.sh"), 0o644, "the template kept 755; the project's own 644 stays");
}

#[test]
fn upgrade_merged_file_keeps_the_projects_crlf_line_endings() {
    let out = app_with(|s| s.write("proj/lines.txt", "l1\r\nl2\r\nl3\r\nl4\r\nl5 ours\r\nl6\r\n"));
    let out = upgrade(out).run();
    assert_eq!(out.read("proj/lines.txt"), "l1\r\nL2 from the template\r\nl3\r\nl4\r\nl5 ours\r\nl6\r\n");
}

#[test]
fn upgrade_summary_counts_every_outcome() {
    let out = app_with(|s| {
        s.write("proj/config/app.yaml", CONFIG_PORT_EDIT);
        s.write("proj/lines.txt", "l1\nl2\nl3\nl4\nl5 ours\nl6\n");
    });
    upgrade(out)
        .status(3)
        .stderr_contains("proj: app 1.0.0 → 2.0.0")
        .stderr_contains("updated 4 · merged 1 · added 1 · deleted 1 · conflict 1")
        .run();
}

#[test]
fn upgrade_treats_a_path_seeded_by_the_new_version_as_a_seed_file() {
    let t = Test::app();
    let manifest = crate::fixtures::APP_MANIFEST.replace("seed = [\"src/**\"]", "seed = [\"src/**\", \"README.md\"]");
    let out =
        t.manifest("app", "2.0.0", &manifest).args(["new", "app@1.0.0", "proj", "-d", "service_name=payments"]).run();
    let out = upgrade(out).run();
    assert_eq!(out.read("proj/README.md"), "# payments\n\nversion one\n", "seeded by 2.0.0: never touched");
    assert_eq!(out.read("proj/config/app.yaml"), APP_CONFIG_V2);
}

#[test]
fn upgrade_commit_in_a_monorepo_commits_only_the_project() {
    let t = Test::app().git_repo("mono");
    let out = t.args(["new", "app@1.0.0", "mono/a", "-d", "service_name=a"]).run();
    out.pave_ok(&["new", "app@1.0.0", "mono/b", "-d", "service_name=b"]);
    out.commit_all("mono", "two services");
    out.write("mono/b/docs/guide.md", "b's uncommitted work\n");
    out.write("mono/b/scratch.txt", "b's untracked notes\n");
    let out = out.then().args(["upgrade", "mono/a", "--commit"]).run();
    let committed = out.git("mono", &["show", "--name-only", "--format=", "HEAD"]);
    assert!(committed.lines().all(|l| l.starts_with("a/")), "only a/ is committed:\n{committed}");
    assert!(committed.lines().any(|l| l == "a/.pave.toml"), "{committed}");
    assert_eq!(out.git("mono", &["status", "--porcelain"]), " M b/docs/guide.md\n?? b/scratch.txt\n");
}

#[test]
fn upgrade_records_conflicts_of_a_project_inside_a_monorepo_under_its_path() {
    let t = Test::app().git_repo("mono");
    let out = t.args(["new", "app@1.0.0", "mono/services/a", "-d", "service_name=a"]).run();
    out.write("mono/services/a/config/app.yaml", CONFIG_PORT_EDIT);
    out.commit_all("mono", "service a");
    let out = out.then().args(["upgrade", "mono/services/a"]).status(3).run();
    let unmerged = out.git("mono", &["ls-files", "-u"]);
    assert_eq!(unmerged.lines().count(), 3, "{unmerged}");
    assert!(unmerged.lines().all(|l| l.ends_with("\tservices/a/config/app.yaml")), "{unmerged}");
    let status = out.git("mono", &["status", "--porcelain"]);
    assert!(status.lines().any(|l| l == "UU services/a/config/app.yaml"), "{status}");
}

#[test]
fn upgrade_in_the_current_directory() {
    let out = Test::app_project().then().current_dir("proj").args(["upgrade", "--commit"]).run();
    assert_eq!(recorded_version(&out, "proj"), "2.0.0");
    assert_eq!(out.commit_count("proj"), 2);
}

#[test]
fn upgrade_diff_and_check_in_a_subdirectory_find_the_project_above_as_git_does() {
    let out = Test::app_project();
    let diff = out.then().current_dir("proj/config").args(["diff", "--stat"]).stdout_contains("config/app.yaml").run();
    let diff = diff.then().current_dir("proj/legacy/tools").args(["check"]).run();
    let out =
        diff.then().current_dir("proj/config").args(["upgrade", "--commit"]).stderr_contains("proj: app 1.0.0").run();
    assert_eq!(recorded_version(&out, "proj"), "2.0.0");
    assert_eq!(out.commit_count("proj"), 2);
}

#[test]
fn upgrade_looks_for_the_project_no_higher_than_the_top_of_its_repository() {
    // A repository inside a pave project (vendored, say) is not part of that project.
    let out = Test::app_project();
    out.write("proj/vendor/lib/README", "vendored\n");
    out.git("proj/vendor/lib", &["init", "-q"]);
    let out = out
        .then()
        .current_dir("proj/vendor/lib")
        .args(["upgrade"])
        .status(2)
        .stderr_contains("vendor/lib` has no .pave.toml")
        .run();
    assert_eq!(recorded_version(&out, "proj"), "1.0.0");
}

#[test]
fn upgrade_removes_the_directory_a_renamed_file_left_empty() {
    let manifest = |v: &str| {
        if v == "2.0.0" {
            format!(
                "{MINI_MANIFEST}\n[[migrations]]\nversion = \"2.0.0\"\nrename_files = {{ \"old/deeper/notes.md\" = \"new/notes.md\" }}\n"
            )
        } else {
            MINI_MANIFEST.to_string()
        }
    };
    let out = Test::new()
        .template("mini", "stable")
        .manifest("mini", "1.0.0", &manifest("1.0.0"))
        .file("mini", "1.0.0", "README.md.tera", MINI_README)
        .file("mini", "1.0.0", "old/deeper/notes.md", "notes\n")
        .manifest("mini", "2.0.0", &manifest("2.0.0"))
        .file("mini", "2.0.0", "README.md.tera", MINI_README)
        .file("mini", "2.0.0", "new/notes.md", "notes\n")
        .args(["new", "mini@1.0.0", "proj", "-d", "service_name=payments"])
        .run();
    let out = upgrade(out).stderr_contains("renamed 1").run();
    assert_eq!(out.read("proj/new/notes.md"), "notes\n");
    assert!(!out.exists("proj/old"), "emptied directories are removed");
}

/// `linked` 1.0.0 → 2.0.0: 2.0.0 renames docs/RUNBOOK.md, which the seed README links to.
fn linked_project(readme: &str) -> Output {
    let manifest = |v: &str| {
        let seed = format!("{MINI_MANIFEST}\n[files]\nseed = [\"/README.md\", \"src/**\"]\n");
        if v == "2.0.0" {
            format!(
                "{seed}\n[[migrations]]\nversion = \"2.0.0\"\nrename_files = {{ \"docs/RUNBOOK.md\" = \"docs/runbook.md\" }}\n"
            )
        } else {
            seed
        }
    };
    Test::new()
        .template("linked", "stable")
        .manifest("linked", "1.0.0", &manifest("1.0.0"))
        .file("linked", "1.0.0", "README.md", readme)
        .file("linked", "1.0.0", "src/main.rs", "// the app\nfn main() {}\n")
        .file("linked", "1.0.0", "docs/RUNBOOK.md", "# Runbook\n\n## Rollback\n")
        .manifest("linked", "2.0.0", &manifest("2.0.0"))
        .file("linked", "2.0.0", "README.md", "See [the runbook](docs/runbook.md#rollback).\n")
        .file("linked", "2.0.0", "src/main.rs", "fn main() {}\n")
        .file("linked", "2.0.0", "docs/runbook.md", "# Runbook\n\n## Rollback\n")
        .args(["new", "linked@1.0.0", "proj", "-d", "service_name=payments"])
        .run()
}

#[test]
fn upgrade_names_the_seed_files_that_mention_a_path_it_moves_and_leaves_them_alone() {
    let readme = "See [the runbook](docs/RUNBOOK.md#rollback).\n";
    let follow_up = "follow-up    README.md mentions docs/RUNBOOK.md, now docs/runbook.md   (a seed file";
    let out = linked_project(readme);
    let out = out.then().args(["diff", "proj"]).stderr_contains(follow_up).run();
    let out = out.then().args(["diff", "proj", "--json"]).run();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        json["follow_ups"],
        serde_json::json!([{"path": "README.md", "mentions": "docs/RUNBOOK.md", "moved_to": "docs/runbook.md"}]),
        "{json}"
    );
    let out = upgrade(out).arg("--commit").stderr_contains(follow_up).run();
    assert_eq!(out.read("proj/README.md"), readme, "a seed file is never changed");
    assert_eq!(out.read("proj/docs/runbook.md"), "# Runbook\n\n## Rollback\n");
    let message = out.git("proj", &["log", "-1", "--format=%B"]);
    assert!(message.contains("follow-up README.md mentions docs/RUNBOOK.md, now docs/runbook.md"), "{message}");
    assert!(!message.contains("src/main.rs"), "a seed file that does not mention the path is not named: {message}");
}

#[test]
fn upgrade_names_no_follow_up_when_the_seed_files_no_longer_mention_the_moved_path() {
    let out = linked_project("See [the runbook](docs/runbook.md#rollback), after the rename.\n");
    let out = upgrade(out).arg("--commit").stderr_lacks("follow-up").run();
    let message = out.git("proj", &["log", "-1", "--format=%B"]);
    assert!(!message.contains("follow-up"), "{message}");
}

// ---- migrations and answers ----

/// `pave new mig@1.0.0 proj` with region eu-west-1.
fn mig_project() -> Output {
    Test::migrating().args(["new", "mig@1.0.0", "proj", "-d", "service_name=payments", "-d", "region=eu-west-1"]).run()
}

#[test]
fn upgrade_applies_the_migrations_of_every_version_crossed_in_order() {
    let out = upgrade(mig_project()).stderr_contains("proj: mig 1.0.0 → 3.0.0").run();
    let record = out.pave_toml("proj");
    assert_eq!(record["template"]["version"].as_str(), Some("3.0.0"));
    let answers = record["answers"].as_table().unwrap();
    assert_eq!(answers.get("cloud_region").and_then(|v| v.as_str()), Some("eu-west-1"), "{answers:?}");
    assert!(!answers.contains_key("region") && !answers.contains_key("aws_region"), "{answers:?}");
    assert_eq!(out.read("proj/region.txt"), "cloud_region=eu-west-1\nport=8080\n");
    assert_eq!(out.read("proj/docs/operations.md"), format!("{MIG_RUNBOOK}\n## Dashboards\n\nsee grafana\n"));
    assert!(!out.exists("proj/docs/RUNBOOK.md"));
    assert!(!out.exists("proj/docs/runbook.md"));
}

#[test]
fn upgrade_commit_records_a_migrated_file_as_moved_and_leaves_the_tree_clean() {
    let out = upgrade(mig_project()).arg("--commit").run();
    let committed = out.git("proj", &["show", "-M", "--name-status", "--format=", "HEAD"]);
    let mut lines: Vec<&str> = committed.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["M\t.pave.toml", "M\tregion.txt", "R072\tdocs/RUNBOOK.md\tdocs/operations.md"], "{committed}");
    assert_eq!(out.git("proj", &["status", "--porcelain", "--untracked-files=all"]), "");
    out.git("proj", &["fsck", "--strict", "--no-progress"]);
}

#[test]
fn upgrade_to_an_intermediate_version_applies_only_the_migrations_up_to_it() {
    let out = upgrade(mig_project()).args(["--to", "2.0.0"]).run();
    let answers = out.pave_toml("proj")["answers"].as_table().unwrap().clone();
    assert_eq!(answers.get("aws_region").and_then(|v| v.as_str()), Some("eu-west-1"), "{answers:?}");
    assert!(!answers.contains_key("cloud_region"));
    assert_eq!(out.read("proj/region.txt"), "aws_region=eu-west-1\n");
    assert_eq!(out.read("proj/docs/runbook.md"), MIG_RUNBOOK);
    assert!(!out.exists("proj/docs/RUNBOOK.md"));
}

#[test]
fn upgrade_moves_a_renamed_file_with_its_local_edits() {
    let out = mig_project();
    out.write(
        "proj/docs/RUNBOOK.md",
        MIG_RUNBOOK.replace("kubectl rollout undo\n", "kubectl rollout undo deployment/payments\n"),
    );
    out.commit_all("proj", "our rollback");
    let out = upgrade(out).run();
    assert_eq!(
        out.read("proj/docs/operations.md"),
        format!(
            "{}\n## Dashboards\n\nsee grafana\n",
            MIG_RUNBOOK.replace("kubectl rollout undo\n", "kubectl rollout undo deployment/payments\n")
        ),
        "the local edit moved with the file and merged with the template's change"
    );
    assert!(!out.exists("proj/docs/RUNBOOK.md"), "the old path is gone");
    assert!(!out.exists("proj/docs/runbook.md"));
}

#[test]
fn upgrade_records_the_default_of_a_question_the_new_version_adds() {
    let out = upgrade(mig_project()).arg("--no-input").run();
    assert_eq!(out.pave_toml("proj")["answers"]["port"].as_integer(), Some(8080));
}

/// `mini` 1.0.0, and 2.0.0 adding the required question `owner` (no default).
fn owner_question() -> Output {
    let v2 = format!("{MINI_MANIFEST}\n[questions.owner]\ntype = \"string\"\nhelp = \"Owning team\"\n");
    Test::new()
        .template("mini", "stable")
        .manifest("mini", "1.0.0", MINI_MANIFEST)
        .file("mini", "1.0.0", "README.md.tera", MINI_README)
        .manifest("mini", "2.0.0", &v2)
        .file("mini", "2.0.0", "README.md.tera", "# {{ service_name }}\nowner: {{ owner }}\n")
        .args(["new", "mini@1.0.0", "proj", "-d", "service_name=payments"])
        .run()
}

#[test]
fn upgrade_no_input_names_a_new_required_question_without_default() {
    let out = owner_question();
    let before = out.state("proj");
    let out = upgrade(out).arg("--no-input").status(2).stderr_contains("owner").run();
    assert_eq!(out.state("proj"), before, "nothing may change");
}

#[test]
fn upgrade_data_answers_a_new_required_question() {
    let out = upgrade(owner_question()).args(["--no-input", "-d", "owner=team-payments"]).run();
    assert_eq!(out.read("proj/README.md"), "# payments\nowner: team-payments\n");
    let record = out.pave_toml("proj");
    assert_eq!(record["answers"]["owner"].as_str(), Some("team-payments"));
    assert_eq!(record["template"]["version"].as_str(), Some("2.0.0"));
}

#[test]
fn upgrade_data_without_a_newer_version_rerenders_the_recorded_version() {
    let out = Test::app().args(["new", "app@2.0.0", "proj", "-d", "service_name=payments"]).run();
    let out = upgrade(out).args(["-d", "service_name=billing"]).stderr_contains("(re-rendered)").run();
    assert_eq!(out.read("proj/README.md"), "# billing\n\nversion two\n");
    let record = out.pave_toml("proj");
    assert_eq!(record["template"]["version"].as_str(), Some("2.0.0"));
    assert_eq!(record["answers"]["service_name"].as_str(), Some("billing"));
    assert_eq!(out.read("proj/src/main.rs"), "// payments two\nfn main() {}\n", "seed files stay");
}

#[test]
fn upgrade_data_merges_a_changed_answer_with_local_edits() {
    let out = Test::app().args(["new", "app@2.0.0", "proj", "-d", "service_name=payments"]).run();
    out.write("proj/README.md", "# payments\n\nversion two\n\nOur notes.\n");
    out.commit_all("proj", "notes");
    let out = upgrade(out).args(["-d", "service_name=billing"]).run();
    assert_eq!(out.read("proj/README.md"), "# billing\n\nversion two\n\nOur notes.\n");
}

#[test]
fn upgrade_refuses_data_for_a_question_the_template_does_not_ask() {
    refused(Test::app_project(), &["-d", "no_such_question=1"], "no_such_question");
}

#[test]
fn upgrade_refuses_an_invalid_answer() {
    let out = Test::svc().args(["new", "svc", "proj"]).args(crate::fixtures::SVC_REQUIRED).run();
    out.copy_dir(&Test::version_dir("svc", "1.0.0"), &Test::version_dir("svc", "1.1.0"));
    refused(out, &["-d", "replicas=50"], "invalid answer for `replicas`");
}

#[test]
fn upgrade_creates_an_added_executable_file_executable() {
    let out = Test::app()
        .file("app", "2.0.0", "bin/start.sh", "#!/bin/sh\nexec app\n")
        .chmod(&format!("{}/files/bin/start.sh", Test::version_dir("app", "2.0.0")), 0o755)
        .args(["new", "app@1.0.0", "proj", "-d", "service_name=payments"])
        .run();
    let out = upgrade(out).run();
    assert_eq!(out.read("proj/bin/start.sh"), "#!/bin/sh\nexec app\n");
    assert_eq!(out.mode("proj/bin/start.sh"), 0o755);
}

// ---- which version ----

/// The app catalog plus a pre-release 3.0.0-rc.1 whose README says so.
fn app_with_pre_release() -> Test {
    let mut t = Test::app();
    let dir = Test::version_dir("app", "2.0.0");
    for rel in ["template.toml", "files/config/app.yaml", "files/docs/guide.md", "files/src/main.rs.tera"] {
        let text = std::fs::read(t.sandbox().path(&format!("{dir}/{rel}"))).unwrap();
        t = t.write(&format!("{}/{rel}", Test::version_dir("app", "3.0.0-rc.1")), text);
    }
    t.file("app", "3.0.0-rc.1", "README.md.tera", "# {{ service_name }}\n\nrelease candidate\n")
}

#[test]
fn upgrade_ignores_pre_releases_without_pre() {
    let out = app_with_pre_release().args(["new", "app@1.0.0", "proj", "-d", "service_name=payments"]).run();
    let out = upgrade(out).stderr_contains("1.0.0 → 2.0.0").run();
    assert_eq!(recorded_version(&out, "proj"), "2.0.0");
}

#[test]
fn upgrade_pre_picks_the_newest_pre_release() {
    let out = app_with_pre_release().args(["new", "app@1.0.0", "proj", "-d", "service_name=payments"]).run();
    let out = upgrade(out).arg("--pre").stderr_contains("1.0.0 → 3.0.0-rc.1").run();
    assert_eq!(recorded_version(&out, "proj"), "3.0.0-rc.1");
    assert_eq!(out.read("proj/README.md"), "# payments\n\nrelease candidate\n");
}

#[test]
fn upgrade_to_picks_the_version_asked_for() {
    let out = app_with_pre_release().args(["new", "app@1.0.0", "proj", "-d", "service_name=payments"]).run();
    let out = upgrade(out).args(["--to", "2.0.0"]).run();
    assert_eq!(recorded_version(&out, "proj"), "2.0.0");
    assert_eq!(out.read("proj/README.md"), "# payments\n\nversion two\n");
}

#[test]
fn upgrade_to_a_pre_release_needs_no_pre_flag() {
    let out = app_with_pre_release().args(["new", "app@1.0.0", "proj", "-d", "service_name=payments"]).run();
    let out = upgrade(out).args(["--to", "3.0.0-rc.1"]).run();
    assert_eq!(recorded_version(&out, "proj"), "3.0.0-rc.1");
}

#[test]
fn upgrade_never_moves_backwards_from_a_version_newer_than_every_candidate() {
    let out = app_with_pre_release().args(["new", "app@3.0.0-rc.1", "proj", "-d", "service_name=payments"]).run();
    let before = out.state("proj");
    let out = upgrade(out).stderr_contains("3.0.0-rc.1 is newer than every candidate version").run();
    assert_eq!(out.state("proj"), before);
}

#[test]
fn upgrade_to_an_older_version_is_refused() {
    let out = Test::app().args(["new", "app@2.0.0", "proj", "-d", "service_name=payments"]).run();
    refused(out, &["--to", "1.0.0"], "does not downgrade");
}

// ---- refusals: exit 2, nothing changed ----

#[test]
fn upgrade_refuses_uncommitted_changes_to_tracked_files() {
    let out = Test::app_project();
    out.write("proj/docs/guide.md", "uncommitted\n");
    refused(out, &[], "uncommitted changes to tracked files: docs/guide.md");
}

#[test]
fn upgrade_refuses_staged_but_uncommitted_changes() {
    let out = Test::app_project();
    out.write("proj/docs/guide.md", "staged\n");
    out.git("proj", &["add", "docs/guide.md"]);
    refused(out, &[], "uncommitted changes to tracked files: docs/guide.md");
}

#[test]
fn upgrade_allow_dirty_upgrades_on_top_of_uncommitted_changes() {
    let out = Test::app_project();
    out.write("proj/docs/guide.md", "uncommitted\n");
    let out = upgrade(out).arg("--allow-dirty").run();
    assert_eq!(out.read("proj/docs/guide.md"), "uncommitted\n");
    assert_eq!(out.read("proj/README.md"), "# payments\n\nversion two\n");
}

#[test]
fn upgrade_ignores_a_dirty_sibling_project_in_a_monorepo() {
    let t = Test::app().git_repo("mono");
    let out = t.args(["new", "app@1.0.0", "mono/a", "-d", "service_name=a"]).run();
    out.pave_ok(&["new", "app@1.0.0", "mono/b", "-d", "service_name=b"]);
    out.commit_all("mono", "two services");
    out.write("mono/b/docs/guide.md", "b's uncommitted work\n");
    let out = out.then().args(["upgrade", "mono/a"]).run();
    assert_eq!(out.read("mono/a/README.md"), "# a\n\nversion two\n");
    assert_eq!(out.read("mono/b/docs/guide.md"), "b's uncommitted work\n");
    assert_eq!(recorded_version(&out, "mono/b"), "1.0.0");
}

#[test]
fn upgrade_refuses_a_repository_in_the_middle_of_a_merge() {
    let out = Test::app_project();
    out.git("proj", &["checkout", "-q", "-b", "other"]);
    out.write("proj/docs/guide.md", "other side\n");
    out.commit_all("proj", "other");
    out.git("proj", &["checkout", "-q", "main"]);
    out.write("proj/docs/guide.md", "main side\n");
    out.commit_all("proj", "main");
    let merge = out.git_output("proj", &["merge", "-q", "other"]);
    assert!(!merge.status.success(), "the merge conflicts");
    assert!(out.path("proj/.git/MERGE_HEAD").exists());
    refused(out, &[], "merge is in progress");
}

#[test]
fn upgrade_refuses_a_locked_index() {
    let out = Test::app_project();
    out.write("proj/.git/index.lock", "");
    refused(out, &[], ".git/index.lock");
}

#[test]
fn upgrade_refuses_to_overwrite_an_untracked_file_and_names_it() {
    let out = Test::app_project();
    out.write("proj/added.txt", "untracked notes\n");
    let out = refused(out, &[], "added.txt");
    assert!(out.stderr.contains("untracked"), "{}", out.stderr);
}

#[test]
fn upgrade_refuses_to_overwrite_an_ignored_file() {
    let out = Test::app_project();
    out.write("proj/.gitignore", "added.txt\n");
    out.commit_all("proj", "ignore");
    out.write("proj/added.txt", "ignored notes\n");
    refused(out, &[], "added.txt");
}

#[test]
fn upgrade_refuses_a_target_version_missing_from_the_catalog() {
    refused(Test::app_project(), &["--to", "9.9.9"], "template `app` has no version `9.9.9`");
}

#[test]
fn upgrade_refuses_a_recorded_version_missing_from_the_catalog() {
    let out = Test::app_project();
    out.remove(&Test::version_dir("app", "1.0.0"));
    refused(out, &[], "template `app` has no version `1.0.0`");
}

#[test]
fn upgrade_refuses_a_retired_template_and_names_its_replacement() {
    let out = Test::app_project();
    let catalog = out
        .read("catalog/catalog.toml")
        .replace("maturity = \"stable\"", "maturity = \"retired\"\nreplacement = \"app-next\"");
    out.write(
        "catalog/catalog.toml",
        format!("{catalog}\n[[template]]\nname = \"app-next\"\nmaturity = \"stable\"\nowner = \"platform-team\"\n"),
    );
    out.write(&format!("{}/template.toml", Test::version_dir("app-next", "1.0.0")), MINI_MANIFEST);
    out.write(&format!("{}/files/README.md.tera", Test::version_dir("app-next", "1.0.0")), MINI_README);
    let out = refused(out, &[], "retired");
    assert!(out.stderr.contains("app-next"), "{}", out.stderr);
}

#[test]
fn upgrade_refuses_a_project_without_pave_toml() {
    let out = Test::app_project();
    out.remove("proj/.pave.toml");
    out.commit_all("proj", "drop the record");
    refused(out, &[], "has no .pave.toml");
}

#[test]
fn upgrade_refuses_a_malformed_pave_toml_naming_file_and_line() {
    let out = Test::app_project();
    let text = out.read("proj/.pave.toml").replace("version = \"1.0.0\"", "version = \"one\"");
    out.write("proj/.pave.toml", text);
    out.commit_all("proj", "break the record");
    refused(out, &[], ".pave.toml:4:");
}

#[test]
fn upgrade_refuses_a_pave_toml_lacking_an_answer_the_old_version_needs() {
    let out = Test::app_project();
    let text = out.read("proj/.pave.toml").replace("service_name = \"payments\"\n", "");
    out.write("proj/.pave.toml", text);
    out.commit_all("proj", "lose an answer");
    refused(out, &[], "service_name");
}

#[test]
fn upgrade_refuses_a_directory_that_is_not_a_git_repository() {
    let out = Test::app().args(["new", "app@1.0.0", "proj", "--no-git", "-d", "service_name=payments"]).run();
    let before = out.state("proj");
    let out = upgrade(out).status(2).stderr_contains("not in a git repository").run();
    assert_eq!(out.state("proj"), before);
}

#[test]
fn upgrade_refuses_to_write_through_a_symlinked_directory() {
    let out = Test::app_project();
    out.write("outside/config/app.yaml", APP_CONFIG_V1);
    out.remove("proj/config");
    out.symlink("../outside/config", "proj/config");
    out.commit_all("proj", "config lives elsewhere");
    let before_outside = out.state("outside");
    let out = refused(out, &[], "symbolic link");
    assert_eq!(out.state("outside"), before_outside, "nothing written outside the project");
    assert_eq!(out.read("outside/config/app.yaml"), APP_CONFIG_V1);
}

// ---- no-op, dry run, commit, branch ----

#[test]
fn upgrade_on_the_newest_version_touches_nothing() {
    let out = Test::app().args(["new", "app@2.0.0", "proj", "-d", "service_name=payments"]).run();
    let (before, mtimes) = (out.state("proj"), out.mtimes("proj"));
    let out = upgrade(out).stderr_contains("app 2.0.0 is the newest version: nothing to do").run();
    assert_eq!(out.mtimes("proj"), mtimes, "no file touched");
    assert_eq!(out.state("proj"), before);
    assert_eq!(out.commit_count("proj"), 1);
}

#[test]
fn upgrade_dry_run_writes_nothing() {
    let out = app_with(|s| s.write("proj/config/app.yaml", APP_CONFIG_V1.replace("replicas: 2", "replicas: 5")));
    let (before, mtimes) = (out.state("proj"), out.mtimes("proj"));
    let out = upgrade(out).arg("--dry-run").stderr_contains("nothing was written").run();
    assert_eq!(out.state("proj"), before);
    assert_eq!(out.mtimes("proj"), mtimes);
}

#[test]
fn upgrade_commit_makes_one_commit_naming_template_and_version() {
    let out = Test::app_project();
    let head = out.head("proj");
    let out = upgrade(out).arg("--commit").stderr_contains("committed").run();
    assert_eq!(out.commit_count("proj"), 2);
    assert_eq!(out.git("proj", &["rev-parse", "HEAD~1"]).trim(), head);
    let subject = out.git("proj", &["log", "-1", "--format=%s"]);
    assert!(subject.contains("app") && subject.contains("2.0.0"), "{subject}");
    assert_eq!(out.git("proj", &["status", "--porcelain", "--untracked-files=all"]), "");
    assert_eq!(out.git("proj", &["show", "HEAD:README.md"]), "# payments\n\nversion two\n");
    assert_eq!(out.git("proj", &["ls-files", "-s", "run.sh"]).split_whitespace().next(), Some("100755"));
    out.git("proj", &["fsck", "--strict", "--no-progress"]);
}

#[test]
fn upgrade_branch_commits_on_a_new_branch_that_head_then_points_to() {
    let out = Test::app_project();
    let head = out.head("proj");
    let out = upgrade(out).args(["--branch", "upgrade/app-2"]).run();
    assert_eq!(out.git("proj", &["branch", "--show-current"]), "upgrade/app-2\n");
    assert_eq!(out.git("proj", &["rev-parse", "upgrade/app-2~1"]).trim(), head);
    assert_eq!(out.git("proj", &["rev-parse", "main"]).trim(), head, "main is left where it was");
    assert_eq!(out.git("proj", &["status", "--porcelain", "--untracked-files=all"]), "");
    assert!(out.git("proj", &["show", "upgrade/app-2:.pave.toml"]).contains("version = \"2.0.0\""));
    out.git("proj", &["fsck", "--strict", "--no-progress"]);
}

#[test]
fn upgrade_branch_run_again_on_its_own_branch_has_nothing_to_do() {
    let out = upgrade(Test::app_project()).args(["--branch", "upgrade/app-2"]).run();
    let (state, head) = (out.state("proj"), out.head("proj"));
    let out = upgrade(out)
        .args(["--branch", "upgrade/app-2"])
        .stderr_contains("2.0.0 is the newest version: nothing to do")
        .run();
    assert_eq!(out.state("proj"), state);
    assert_eq!(out.head("proj"), head);
}

#[test]
fn upgrade_branch_refuses_an_existing_branch_name() {
    let out = Test::app_project();
    out.git("proj", &["branch", "taken"]);
    refused(out, &["--branch", "taken"], "branch `taken` already exists");
}

#[test]
fn upgrade_commit_with_conflicts_left_commits_nothing_and_says_so() {
    let out = app_with(|s| s.write("proj/config/app.yaml", CONFIG_PORT_EDIT));
    let out = upgrade(out).arg("--commit").status(3).stderr_contains("Nothing was committed").run();
    assert_eq!(out.commit_count("proj"), 2);
    assert!(out.read("proj/config/app.yaml").contains("<<<<<<< local\n"));
}

#[test]
fn upgrade_branch_with_conflicts_left_creates_no_branch() {
    let out = app_with(|s| s.write("proj/config/app.yaml", CONFIG_PORT_EDIT));
    let head = out.head("proj");
    let out = upgrade(out).args(["--branch", "up"]).status(3).stderr_contains("Nothing was committed").run();
    assert_eq!(out.git("proj", &["branch", "--list", "up"]), "");
    assert_eq!(out.git("proj", &["branch", "--show-current"]), "main\n");
    assert_eq!(out.head("proj"), head);
}

#[test]
fn upgrade_keeps_the_comments_of_pave_toml() {
    let out = Test::app_project();
    let text = out.read("proj/.pave.toml").replace("[answers]\n", "[answers]\n# chosen by the payments team\n");
    out.write("proj/.pave.toml", &text);
    out.commit_all("proj", "comment");
    let out = upgrade(out).run();
    let after = out.read("proj/.pave.toml");
    assert!(after.contains("# chosen by the payments team\n"), "{after}");
    assert!(after.contains("# Written by pave."), "{after}");
    assert_eq!(after, text.replace("version = \"1.0.0\"", "version = \"2.0.0\""));
}

#[test]
fn upgrade_guide_stays_byte_for_byte_when_unchanged_by_the_template() {
    let out = upgrade(Test::app_project()).run();
    assert_eq!(out.read("proj/docs/guide.md"), APP_GUIDE);
    let status = out.git("proj", &["status", "--porcelain"]);
    assert!(!status.contains("docs/guide.md"), "{status}");
    assert_eq!(out.read_bytes("proj/logo.png"), LOGO_V2);
    assert!(!out.exists("proj/logo.png.pave-new"));
}

/// A catalog with `reads` 1.0.0 and 2.0.0. Every file but `parts/` has the same source in both
/// versions, yet each of the first four renders differently in 2.0.0: through a partial it
/// includes, a component defined elsewhere, the template's version, and a question 2.0.0 adds.
fn same_sources_different_output() -> Test {
    let manifest = |extra: &str| {
        format!(
            "[template]\n\n[questions.service_name]\ntype = \"string\"\nhelp = \"name\"\n{extra}\n[files]\nexclude = [\"parts/**\"]\n"
        )
    };
    let mut t = Test::new().template("reads", "stable").manifest("reads", "1.0.0", &manifest("")).manifest(
        "reads",
        "2.0.0",
        &manifest("\n[questions.color]\ntype = \"string\"\ndefault = \"blue\"\n"),
    );
    for v in ["1.0.0", "2.0.0"] {
        t = t
            .file("reads", v, "page.txt.tera", "{% include \"parts/head.tera\" %}\n{{ service_name }}\n")
            .file("reads", v, "badge.txt.tera", "{{ <badge label={service_name} /> }}\n")
            .file("reads", v, "version.txt.tera", "made by {{ template.name }} {{ template.version }}\n")
            .file("reads", v, "color.txt.tera", "{% if color is defined %}{{ color }}{% else %}none{% endif %}\n")
            .file("reads", v, "name.txt.tera", "{{ template.name }}: {{ service_name }}\n")
            .file("reads", v, "{{ service_name }}.conf", "plain\n")
            .file("reads", v, "parts/head.tera", format!("head {v}"))
            .file(
                "reads",
                v,
                "parts/badge.tera",
                format!("{{% component badge(label) %}}[{{{{ label }}}} {v}]{{% endcomponent %}}"),
            );
    }
    t
}

#[test]
fn upgrade_updates_a_file_whose_source_is_unchanged_but_whose_output_is_not() {
    let out = same_sources_different_output().args(["new", "reads@1.0.0", "proj", "-d", "service_name=pay"]).run();
    assert_eq!(out.read("proj/page.txt"), "head 1.0.0\npay\n");
    assert_eq!(out.read("proj/badge.txt"), "[pay 1.0.0]\n");
    out.write("proj/name.txt", "reads: pay, edited\n");
    out.commit_all("proj", "local edit");
    let out = upgrade(out).stderr_contains("updated 4").run();
    assert_eq!(out.read("proj/page.txt"), "head 2.0.0\npay\n", "an included partial changed");
    assert_eq!(out.read("proj/badge.txt"), "[pay 2.0.0]\n", "a component defined elsewhere changed");
    assert_eq!(out.read("proj/version.txt"), "made by reads 2.0.0\n", "the template's version changed");
    assert_eq!(out.read("proj/color.txt"), "blue\n", "a new question's default");
    assert_eq!(out.read("proj/name.txt"), "reads: pay, edited\n", "unchanged output: the local edit stays");
    assert_eq!(out.read("proj/pay.conf"), "plain\n");
    let status = out.git("proj", &["status", "--porcelain"]);
    assert!(!status.contains("name.txt") && !status.contains("pay.conf"), "{status}");
}

#[test]
fn upgrade_commit_holds_the_upgrade_and_nothing_the_user_left_around_it() {
    let out = Test::app_project();
    out.write("proj/notes.txt", "my notes, never committed\n");
    // --allow-dirty: a staged change and an unstaged one to files the upgrade leaves alone.
    out.write("proj/docs/guide.md", "staged, for a commit of my own\n");
    out.git("proj", &["add", "docs/guide.md"]);
    out.write("proj/src/main.rs", "// unstaged work\n");
    let out = upgrade(out).args(["--commit", "--allow-dirty"]).stderr_contains("committed").run();
    let committed = out.git("proj", &["show", "--name-status", "--format=", "HEAD"]);
    let mut lines: Vec<&str> = committed.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "A\tadded.txt",
            "D\tlegacy/tools/old.txt",
            "M\t.pave.toml",
            "M\tREADME.md",
            "M\tconfig/app.yaml",
            "M\tlines.txt",
            "M\tlogo.png",
            "M\trun.sh",
            "M\ttool.sh",
        ],
        "{committed}"
    );
    assert_eq!(out.git("proj", &["show", "HEAD:docs/guide.md"]), crate::fixtures::APP_GUIDE);
    assert_eq!(out.git("proj", &["ls-tree", "--name-only", "HEAD", "legacy"]), "", "the emptied directory is gone");
    assert_eq!(
        out.git("proj", &["status", "--porcelain", "--untracked-files=all"]),
        "M  docs/guide.md\n M src/main.rs\n?? notes.txt\n",
        "the user's work is as they left it: staged, unstaged, untracked"
    );
    out.git("proj", &["fsck", "--strict", "--no-progress"]);
}

#[test]
fn upgrade_commit_leaves_files_the_project_ignores_out_of_its_commit_as_new_does() {
    let out = Test::new()
        .template("mini", "stable")
        .manifest("mini", "1.0.0", MINI_MANIFEST)
        .file("mini", "1.0.0", "README.md.tera", MINI_README)
        .file("mini", "1.0.0", ".gitignore", "*.local\n")
        .file("mini", "1.0.0", "dev.local", "for development\n")
        .file("mini", "1.0.0", "old.local", "gone in 2.0.0\n")
        .manifest("mini", "2.0.0", MINI_MANIFEST)
        .file("mini", "2.0.0", "README.md.tera", format!("{MINI_README}\nmore\n"))
        .file("mini", "2.0.0", ".gitignore", "*.local\n")
        .file("mini", "2.0.0", "dev.local", "for development\n")
        .file("mini", "2.0.0", "new.local", "added in 2.0.0\n")
        .args(["new", "mini@1.0.0", "proj", "-d", "service_name=payments"])
        .run();
    assert_eq!(
        out.git("proj", &["ls-files"]),
        ".gitignore\n.pave.toml\nREADME.md\n",
        "pave new commits no ignored file"
    );
    let out = upgrade(out).arg("--commit").stderr_contains("committed").run();
    assert_eq!(out.git("proj", &["ls-files"]), ".gitignore\n.pave.toml\nREADME.md\n", "nor does the upgrade");
    assert!(out.exists("proj/new.local") && !out.exists("proj/old.local"));
    assert_eq!(out.git("proj", &["status", "--porcelain"]), "");
    out.git("proj", &["fsck", "--strict", "--no-progress"]);
}
