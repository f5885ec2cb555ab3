//! `pave diff`: the change `pave upgrade` would make, as a patch `git apply` takes, a stat and
//! JSON; `--exit-code`; read-only; and `pave diff --drift`.

use crate::fixtures::{APP_CONFIG_V1, MIG_RUNBOOK};
use crate::sandbox::Sandbox;
use crate::support::{Output, Test};

/// The app project at 1.0.0 after `edit`, committed by the user.
fn app_with(edit: impl FnOnce(&Sandbox)) -> Output {
    let out = Test::app_project();
    edit(&out);
    out.commit_all("proj", "local edits");
    out
}

/// `pave diff proj ARGS`.
fn diff(out: Output, args: &[&str]) -> Test {
    out.then().args(["diff", "proj"]).args(args.iter().copied())
}

/// Runs `pave diff` with a patch on stdout, applies it with the real `git apply` to a copy of the
/// project made before, runs `pave upgrade` on the project, and compares the two trees.
#[track_caller]
fn patch_matches_upgrade(out: Output) {
    out.copy_dir("proj", "copy");
    // The raw stdout: the builder's redaction would change the catalog path in .pave.toml's hunk.
    let raw = out.pave(&["diff", "proj"]);
    assert!(raw.status.success(), "{raw:?}");
    out.write("upgrade.patch", &raw.stdout);
    let patch = out.path("upgrade.patch").display().to_string();
    let apply = out.git_output("copy", &["apply", "--whitespace=nowarn", &patch]);
    assert!(
        apply.status.success(),
        "git apply refused the patch: {}\n{}",
        String::from_utf8_lossy(&apply.stderr),
        String::from_utf8_lossy(&raw.stdout)
    );
    let out = out.then().args(["upgrade", "proj"]).run();
    assert_eq!(out.tree("copy"), out.tree("proj"), "the patch and the upgrade differ");
}

#[test]
fn diff_prints_the_upgrade_as_a_unified_patch_on_stdout() {
    let out = diff(Test::app_project(), &[]).stderr("proj: app 1.0.0 → 2.0.0\n").run();
    let expected_hunks = [
        "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1,3 +1,3 @@\n # payments\n \n-version one\n+version two\n",
        "diff --git a/added.txt b/added.txt\nnew file mode 100644\n--- /dev/null\n+++ b/added.txt\n@@ -0,0 +1 @@\n+added in 2.0.0\n",
        "diff --git a/legacy/tools/old.txt b/legacy/tools/old.txt\ndeleted file mode 100644\n--- a/legacy/tools/old.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a legacy tool\n-second line\n",
        "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n",
        "-version = \"1.0.0\"\n+version = \"2.0.0\"\n",
    ];
    for hunk in expected_hunks {
        assert!(out.stdout.contains(hunk), "missing\n{hunk}\nin\n{}", out.stdout);
    }
    assert!(!out.stdout.contains("src/main.rs"), "seed files are not part of the change");
    assert!(!out.stdout.contains("docs/guide.md"), "unchanged files are not part of the change");
}

#[test]
fn diff_shows_the_conflict_markers_upgrade_would_write() {
    let out = app_with(|s| s.write("proj/config/app.yaml", APP_CONFIG_V1.replace("port: 8080", "port: 7000")));
    let out = diff(out, &[]).run();
    assert!(
        out.stdout.contains("+<<<<<<< local\n port: 7000\n+=======\n+port: 9090\n+>>>>>>> app 2.0.0\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn diff_is_read_only() {
    let out = app_with(|s| {
        s.write("proj/config/app.yaml", APP_CONFIG_V1.replace("port: 8080", "port: 7000"));
        s.write("proj/legacy/tools/old.txt", "edited\n");
    });
    out.write("proj/notes.txt", "untracked\n");
    let (before, mtimes) = (out.state("proj"), out.mtimes("proj"));
    let mut out = out;
    for args in [&[][..], &["--stat"], &["--json"], &["--exit-code"], &["--drift"], &["--conflict", "rej"]] {
        let status = i32::from(args == ["--exit-code"]);
        out = diff(out, args).status(status).run();
        assert_eq!(out.state("proj"), before, "pave diff {args:?} changed the project");
        assert_eq!(out.mtimes("proj"), mtimes, "pave diff {args:?} touched a file");
    }
}

#[test]
fn diff_stat_lists_one_line_per_file_with_its_outcome() {
    let out = app_with(|s| {
        s.write("proj/config/app.yaml", APP_CONFIG_V1.replace("replicas: 2", "replicas: 5"));
        s.write("proj/lines.txt", "l1\nl2 ours\nl3\nl4\nl5\nl6\n");
        s.remove("proj/tool.sh");
    });
    let out = diff(out, &["--stat"]).stderr_contains("proj: app 1.0.0 → 2.0.0").run();
    let rows: Vec<(String, String)> = out
        .stdout
        .lines()
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            if words[..2] == ["kept", "deleted"] {
                ("kept deleted".to_string(), words[2].to_string())
            } else {
                (words[0].to_string(), words[1].to_string())
            }
        })
        .collect();
    let expect = |w: &str, p: &str| (w.to_string(), p.to_string());
    assert_eq!(
        rows,
        [
            expect("updated", "README.md"),
            expect("added", "added.txt"),
            expect("merged", "config/app.yaml"),
            expect("deleted", "legacy/tools/old.txt"),
            expect("conflict", "lines.txt"),
            expect("updated", "logo.png"),
            expect("updated", "run.sh"),
            expect("kept deleted", "tool.sh"),
        ],
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("1 need(s) a decision"), "{}", out.stderr);
}

#[test]
fn diff_json_lists_path_outcome_and_conflict_of_every_file() {
    let out = app_with(|s| {
        s.write("proj/config/app.yaml", APP_CONFIG_V1.replace("port: 8080", "port: 7000"));
        s.write("proj/legacy/tools/old.txt", "edited\n");
    });
    let out = diff(out, &["--json"]).run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", out.stdout));
    assert_eq!(doc["template"], "app");
    assert_eq!(doc["from"], "1.0.0");
    assert_eq!(doc["to"], "2.0.0");
    let files: Vec<(String, String, bool)> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["outcome"].as_str().unwrap().into(),
                f["conflict"].as_bool().unwrap(),
            )
        })
        .collect();
    let row = |p: &str, o: &str, c: bool| (p.to_string(), o.to_string(), c);
    assert_eq!(
        files,
        [
            row("README.md", "updated", false),
            row("added.txt", "added", false),
            row("config/app.yaml", "conflict", true),
            row("legacy/tools/old.txt", "kept", false),
            row("lines.txt", "updated", false),
            row("logo.png", "updated", false),
            row("run.sh", "updated", false),
            row("tool.sh", "updated", false),
        ]
    );
    assert_eq!(doc["summary"]["conflicts"], 1);
}

#[test]
fn diff_exit_code_is_1_when_the_upgrade_changes_something() {
    diff(Test::app_project(), &["--exit-code"]).status(1).run();
}

#[test]
fn diff_exit_code_is_0_on_the_newest_version() {
    let out = Test::app().args(["new", "app@2.0.0", "proj", "-d", "service_name=payments"]).run();
    diff(out, &["--exit-code"]).stdout("").stderr_contains("nothing to do").run();
}

#[test]
fn diff_json_on_the_newest_version_lists_no_files() {
    let out = Test::app().args(["new", "app@2.0.0", "proj", "-d", "service_name=payments"]).run();
    let out = diff(out, &["--json"]).run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["files"], serde_json::json!([]));
    assert_eq!(doc["from"], "2.0.0");
}

#[test]
fn diff_to_shows_the_change_to_that_version() {
    let out = Test::migrating()
        .args(["new", "mig@1.0.0", "proj", "-d", "service_name=payments", "-d", "region=eu-west-1"])
        .run();
    let out = diff(out, &["--to", "2.0.0"]).stderr("proj: mig 1.0.0 → 2.0.0\n").run();
    assert!(out.stdout.contains("-region=eu-west-1\n+aws_region=eu-west-1\n"), "{}", out.stdout);
    assert!(out.stdout.contains("rename from docs/RUNBOOK.md\nrename to docs/runbook.md\n"), "{}", out.stdout);
    assert!(!out.stdout.contains("operations.md"), "{}", out.stdout);
}

#[test]
fn diff_patch_applied_with_git_apply_gives_the_upgraded_tree() {
    // Text changes, a merge, a mode change, a deletion that empties directories, an added file.
    let out = app_with(|s| {
        s.write("proj/config/app.yaml", APP_CONFIG_V1.replace("replicas: 2", "replicas: 5"));
        s.write("proj/logo.png", crate::fixtures::LOGO_V2);
    });
    patch_matches_upgrade(out);
}

#[test]
fn diff_patch_applied_with_git_apply_moves_renamed_files_with_their_edits() {
    let out = Test::migrating()
        .args(["new", "mig@1.0.0", "proj", "-d", "service_name=payments", "-d", "region=eu-west-1"])
        .run();
    out.write(
        "proj/docs/RUNBOOK.md",
        MIG_RUNBOOK.replace("kubectl rollout undo\n", "kubectl rollout undo deployment/payments\n"),
    );
    out.commit_all("proj", "our rollback");
    patch_matches_upgrade(out);
}

#[test]
fn diff_patch_applied_with_git_apply_carries_a_binary_change() {
    // logo.png changes in the template and the project kept it: the patch must carry the new bytes.
    patch_matches_upgrade(Test::app_project());
}

#[test]
fn diff_warns_when_upgrade_would_refuse_an_untracked_file() {
    let out = Test::app_project();
    out.write("proj/added.txt", "untracked notes\n");
    diff(out, &["--stat"]).stderr_contains("would refuse").stderr_contains("added.txt").run();
}

// ---- --drift ----

#[test]
fn diff_drift_lists_modified_deleted_and_added_golden_path_files_but_not_seed_files() {
    let out = app_with(|s| {
        s.write("proj/docs/guide.md", "# Our guide\n");
        s.remove("proj/README.md");
        s.write("proj/docs/extra.md", "ours\n");
        s.write("proj/src/main.rs", "// ours\n");
        s.write("proj/src/lib.rs", "// ours too\n");
    });
    let out = diff(out, &["--drift", "--stat"]).stderr_contains("differences from app 1.0.0").run();
    let rows: Vec<Vec<&str>> = out.stdout.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(
        rows,
        [vec!["deleted", "README.md"], vec!["added", "docs/extra.md"], vec!["modified", "docs/guide.md"]],
        "{}",
        out.stdout
    );
}

#[test]
fn diff_drift_prints_a_patch_from_the_template_to_the_project() {
    let out = app_with(|s| {
        s.write("proj/docs/guide.md", "# Our guide\n");
        s.write("proj/docs/extra.md", "ours\n");
    });
    let out = diff(out, &["--drift"]).run();
    assert!(out.stdout.contains("--- a/docs/guide.md\n+++ b/docs/guide.md\n"), "{}", out.stdout);
    assert!(out.stdout.contains("+# Our guide\n"), "{}", out.stdout);
    assert!(out.stdout.contains("--- /dev/null\n+++ b/docs/extra.md\n@@ -0,0 +1 @@\n+ours\n"), "{}", out.stdout);
}

#[test]
fn diff_drift_on_an_untouched_project_finds_none() {
    diff(Test::app_project(), &["--drift", "--exit-code"]).stdout("").stderr_contains("no drift").run();
}

#[test]
fn diff_drift_exit_code_is_1_with_drift() {
    let out = app_with(|s| s.write("proj/docs/guide.md", "# Our guide\n"));
    diff(out, &["--drift", "--exit-code"]).status(1).run();
}

#[test]
fn diff_with_a_binary_conflict_is_a_patch_git_applies() {
    // ours edits the binary logo too: a conflict that keeps our file and adds logo.png.pave-new.
    let out = crate::support::Test::app_project();
    out.write("proj/logo.png", b"\x89PNG\r\n\x1a\n\x00ours\xff".as_slice());
    out.commit_all("proj", "our logo");
    out.copy_dir("proj", "copy");
    // The raw output: the harness redacts temp paths, and .pave.toml's hunk names the catalog's.
    let raw = out.pave(&["diff", "proj"]);
    assert!(raw.status.success());
    std::fs::write(out.path("p.diff"), &raw.stdout).unwrap();
    let applied = out.git_output("copy", &["apply", "../p.diff"]);
    assert!(applied.status.success(), "git apply: {}", String::from_utf8_lossy(&applied.stderr));
    assert!(out.exists("copy/logo.png.pave-new"), "the template's logo is written beside ours");
    assert_eq!(out.read_bytes("copy/logo.png"), b"\x89PNG\r\n\x1a\n\x00ours\xff".to_vec(), "ours is kept");
}
