//! The bugs of issue 9, one or more tests each, as a user meets them: a rename whose old path the
//! new version reuses; a `.git` file pointing to a separate git directory; failed writes to
//! stdout and stderr; git errors printed twice; the fleet ignoring the user config's answers; a
//! success summary printed before applying fails; file modes on replace and roll back; and an
//! invalid branch name found after the upgrade was written.

use std::fs::File;
use std::process::{Command, Stdio};

use crate::fixtures::{APP_LEGACY, MINI_MANIFEST, MINI_README};
use crate::sandbox::Sandbox;
use crate::support::{Output, Test};

/// `pave upgrade proj` in the sandbox the earlier runs left.
fn upgrade(out: Output) -> Test {
    out.then().args(["upgrade", "proj"])
}

/// Runs the test's pave command with the given stdout and stderr (stdin empty); returns the
/// sandbox and the exit code, with whatever stdout/stderr were captured (empty when not piped).
fn run_with(t: Test, stdout: Stdio, stderr: Stdio) -> (Sandbox, i32, String, String) {
    let mut cmd: Command = t.command();
    let out = cmd.stdin(Stdio::null()).stdout(stdout).stderr(stderr).output().expect("run pave");
    let code = out.status.code().expect("pave was killed by a signal");
    let sandbox = t.into_sandbox();
    let (o, e) = (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    (sandbox, code, o, e)
}

/// A writer whose every write fails with ENOSPC.
fn dev_full() -> Stdio {
    Stdio::from(File::options().write(true).open("/dev/full").expect("open /dev/full"))
}

// ---- 1. a rename whose old path the new version reuses ----

/// `pipeline.yml` at 1.0.0.
const PIPELINE_V1: &str =
    "stages:\n  - build\n  - test\n\nbuild:\n  script: make build\n\ntest:\n  script: make test\n";
/// `pipeline/main.yml` at 2.0.0: the old pipeline, moved, with a deploy stage added at its end.
const PIPELINE_MAIN_V2: &str = "stages:\n  - build\n  - test\n\nbuild:\n  script: make build\n\ntest:\n  script: make test\n\ndeploy:\n  script: make deploy\n";
/// The new `pipeline.yml` of 2.0.0: a different file at the old path.
const PIPELINE_INCLUDE_V2: &str = "include:\n  - pipeline/main.yml\n";
/// The project's edit of `pipeline.yml`, on a line the template never changes.
fn pipeline_edited(text: &str) -> String {
    text.replace("script: make build", "script: make build-release")
}

/// `pipe` 1.0.0 with `pipeline.yml`; 2.0.0 renames it to `pipeline/main.yml` (changing it) and
/// adds a new `pipeline.yml`. The project made from 1.0.0 edited `pipeline.yml` and committed it.
fn pipe_project(dir: &str) -> Output {
    let v2 = format!(
        "{MINI_MANIFEST}\n[[migrations]]\nversion = \"2.0.0\"\nrename_files = {{ \"pipeline.yml\" = \"pipeline/main.yml\" }}\n"
    );
    let out = Test::new()
        .template("pipe", "stable")
        .manifest("pipe", "1.0.0", MINI_MANIFEST)
        .file("pipe", "1.0.0", "README.md.tera", MINI_README)
        .file("pipe", "1.0.0", "pipeline.yml", PIPELINE_V1)
        .manifest("pipe", "2.0.0", &v2)
        .file("pipe", "2.0.0", "README.md.tera", MINI_README)
        .file("pipe", "2.0.0", "pipeline/main.yml", PIPELINE_MAIN_V2)
        .file("pipe", "2.0.0", "pipeline.yml", PIPELINE_INCLUDE_V2)
        .args(["new", "pipe@1.0.0", dir, "-d", "service_name=payments"])
        .run();
    out.write(&format!("{dir}/pipeline.yml"), pipeline_edited(PIPELINE_V1));
    out.commit_all(dir, "release builds");
    out
}

#[test]
fn upgrade_moves_an_edited_file_away_from_a_path_the_new_version_reuses() {
    let out = upgrade(pipe_project("proj")).run();
    assert_eq!(
        out.read("proj/pipeline/main.yml"),
        pipeline_edited(PIPELINE_MAIN_V2),
        "the edit followed the file to its new path and merged with the template's change"
    );
    assert_eq!(out.read("proj/pipeline.yml"), PIPELINE_INCLUDE_V2, "the old path is free: the new file is created");
    assert_eq!(out.git("proj", &["ls-files", "-u"]), "", "nothing unmerged");
    let status = out.git("proj", &["status", "--porcelain", "--untracked-files=all"]);
    assert!(!status.lines().any(|l| l.starts_with("UU") || l.starts_with("AA") || l.starts_with("DU")), "{status}");
    assert_eq!(out.pave_toml("proj")["template"]["version"].as_str(), Some("2.0.0"));
}

#[test]
fn diff_patch_matches_upgrade_when_a_renamed_path_is_reused() {
    let out = pipe_project("proj");
    out.copy_dir("proj", "copy");
    // The raw stdout: the builder's redaction would change the catalog path in .pave.toml's hunk.
    let raw = out.pave(&["diff", "proj"]);
    assert_eq!(raw.status.code(), Some(0), "{}", String::from_utf8_lossy(&raw.stderr));
    out.write("upgrade.patch", &raw.stdout);
    let patch = out.path("upgrade.patch").display().to_string();
    let apply = out.git_output("copy", &["apply", "--whitespace=nowarn", &patch]);
    assert!(
        apply.status.success(),
        "git apply refused the patch: {}\n{}",
        String::from_utf8_lossy(&apply.stderr),
        String::from_utf8_lossy(&raw.stdout)
    );
    assert_eq!(out.read("copy/pipeline.yml"), PIPELINE_INCLUDE_V2);
    assert_eq!(out.read("copy/pipeline/main.yml"), pipeline_edited(PIPELINE_MAIN_V2));
    let out = upgrade(out).run();
    assert_eq!(out.tree("copy"), out.tree("proj"), "the patch and the upgrade differ");
}

#[test]
fn fleet_upgrade_moves_an_edited_file_away_from_a_path_the_new_version_reuses() {
    let out = pipe_project("fleet/svc");
    let head = out.head("fleet/svc");
    let out = out.then().args(["fleet", "upgrade", "fleet"]).run();
    let branch = "pave/pipe-2.0.0";
    assert_eq!(
        out.git("fleet/svc", &["show", &format!("{branch}:pipeline/main.yml")]),
        pipeline_edited(PIPELINE_MAIN_V2)
    );
    assert_eq!(out.git("fleet/svc", &["show", &format!("{branch}:pipeline.yml")]), PIPELINE_INCLUDE_V2);
    assert_eq!(out.git("fleet/svc", &["rev-parse", &format!("{branch}~1")]).trim(), head);
    assert_eq!(out.head("fleet/svc"), head, "the checkout is untouched");
}

// ---- 2. a `.git` file: separate git directory, worktree ----

/// `pave new app@1.0.0 DIR --no-git`, then `git init --separate-git-dir DIR.git` (the git
/// directory beside the project, `.git` a file pointing to it) and one commit.
fn separate_git_dir(dir: &str) -> Output {
    let out = Test::app().args(["new", "app@1.0.0", dir, "--no-git", "-d", "service_name=payments"]).run();
    let gitdir = out.path(&format!("{dir}.git")).display().to_string();
    out.git(dir, &["init", "-q", "-b", "main", "--separate-git-dir", &gitdir]);
    assert!(out.read(&format!("{dir}/.git")).starts_with("gitdir: "), ".git is a file");
    out.commit_all(dir, "import");
    assert_eq!(out.git(dir, &["status", "--porcelain", "--untracked-files=all"]), "", "git sees a clean tree");
    out
}

#[test]
fn upgrade_works_in_a_project_whose_git_directory_is_separate() {
    let out = upgrade(separate_git_dir("proj")).arg("--commit").run();
    assert_eq!(out.read("proj/README.md"), "# payments\n\nversion two\n");
    assert_eq!(out.commit_count("proj"), 2);
    assert_eq!(out.git("proj", &["status", "--porcelain", "--untracked-files=all"]), "");
    assert_eq!(out.git("proj", &["show", "HEAD:README.md"]), "# payments\n\nversion two\n");
}

#[test]
fn fleet_upgrade_works_in_a_project_whose_git_directory_is_separate() {
    let out = separate_git_dir("fleet/svc");
    let head = out.head("fleet/svc");
    let out = out.then().args(["fleet", "upgrade", "fleet"]).run();
    assert_eq!(out.git("fleet/svc", &["show", "pave/app-2.0.0:README.md"]), "# payments\n\nversion two\n");
    assert_eq!(out.git("fleet/svc", &["rev-parse", "pave/app-2.0.0~1"]).trim(), head);
}

#[test]
fn upgrade_works_in_a_linked_worktree() {
    let out = Test::app_project();
    let wt = out.path("wt").display().to_string();
    out.git("proj", &["worktree", "add", "-q", "-b", "work", &wt]);
    let out = out.then().args(["upgrade", "wt", "--commit"]).run();
    assert_eq!(out.read("wt/README.md"), "# payments\n\nversion two\n");
    assert_eq!(out.git("wt", &["rev-list", "--count", "work"]).trim(), "2");
    assert_eq!(out.git("proj", &["rev-list", "--count", "main"]).trim(), "1", "the main checkout is left alone");
}

// ---- 3. failed writes to stdout and stderr ----

#[test]
fn catalog_list_json_to_a_full_disk_exits_1_with_a_message() {
    let (_s, code, _, stderr) =
        run_with(Test::golden_paths().args(["catalog", "list", "--json"]), dev_full(), Stdio::piped());
    assert_eq!(code, 1, "a failed write to stdout is a failure; stderr:\n{stderr}");
    assert!(stderr.contains("error:"), "{stderr}");
    assert!(stderr.contains("No space left on device"), "says why: {stderr}");
}

#[test]
fn catalog_list_to_a_full_disk_exits_1_with_a_message() {
    let (_s, code, _, stderr) = run_with(Test::golden_paths().args(["catalog", "list"]), dev_full(), Stdio::piped());
    assert_eq!(code, 1, "stderr:\n{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

#[test]
fn catalog_list_json_into_a_closed_pipe_exits_0_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // as `| head -c0` does: nobody reads
    let (_s, code, _, stderr) =
        run_with(Test::golden_paths().args(["catalog", "list", "--json"]), Stdio::from(writer), Stdio::piped());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "", "a closed pipe is not an error");
}

#[test]
fn upgrade_with_stderr_to_a_full_disk_still_upgrades() {
    let t = Test::app_project().then().args(["upgrade", "proj"]);
    let (s, code, stdout, _) = run_with(t, Stdio::piped(), dev_full());
    assert_ne!(code, 101, "pave panicked on a failed write to stderr");
    assert_eq!(code, 0, "stdout:\n{stdout}");
    assert_eq!(s.read("proj/README.md"), "# payments\n\nversion two\n");
    assert_eq!(s.pave_toml("proj")["template"]["version"].as_str(), Some("2.0.0"));
}

#[test]
fn new_with_stderr_to_a_full_disk_still_creates_the_project() {
    let t = Test::app().args(["new", "app@1.0.0", "proj", "-d", "service_name=payments"]);
    let (s, code, stdout, _) = run_with(t, Stdio::piped(), dev_full());
    assert_ne!(code, 101, "pave panicked on a failed write to stderr");
    assert_eq!(code, 0, "stdout:\n{stdout}");
    assert_eq!(s.read("proj/README.md"), "# payments\n\nversion one\n");
    assert_eq!(s.commit_count("proj"), 1);
}

#[test]
fn upgrade_error_with_stderr_to_a_full_disk_keeps_its_exit_code() {
    let out = Test::app_project();
    out.write("proj/docs/guide.md", "uncommitted\n");
    let before = out.state("proj");
    let (s, code, _, _) = run_with(out.then().args(["upgrade", "proj"]), Stdio::piped(), dev_full());
    assert_eq!(code, 2, "a refusal stays exit 2 even when it cannot be printed");
    assert_eq!(s.state("proj"), before);
}

// ---- 4. git errors print libgit2's cause once ----

#[test]
fn upgrade_git_error_prints_the_libgit2_message_once_without_class_and_code() {
    let out = Test::app_project();
    out.write("proj/.git/HEAD", "ref: refs/heads/ma..in\n");
    let out = upgrade(out).status(1).stderr_contains("refs/heads/ma..in").run();
    let message = "the given reference name 'refs/heads/ma..in' is not valid";
    assert_eq!(out.stderr.matches(message).count(), 1, "libgit2's message exactly once:\n{}", out.stderr);
    assert!(!out.stderr.contains("class="), "{}", out.stderr);
    assert!(!out.stderr.contains("code="), "{}", out.stderr);
}

#[test]
fn fleet_upgrade_git_error_prints_the_libgit2_message_once_without_class_and_code() {
    let out = Test::app().args(["new", "app@1.0.0", "fleet/svc", "-d", "service_name=payments"]).run();
    out.write("fleet/svc/.git/HEAD", "ref: refs/heads/ma..in\n");
    let out = out.then().args(["fleet", "upgrade", "fleet", "--report", "r.json"]).status(1).run();
    let report = out.read("r.json");
    for text in [&out.stderr, &report] {
        assert!(!text.contains("class="), "{text}");
        assert!(!text.contains("code="), "{text}");
    }
}

// ---- 5. the fleet reads the user config's [answers] ----

/// `mini` 1.0.0, and 2.0.0 adding `port` (template default 8080); a user config whose
/// `[answers]` sets `port = 9000`; a project made from 1.0.0 at `dir`.
fn port_question(dir: &str) -> Output {
    let v2 = format!("{MINI_MANIFEST}\n[questions.port]\ntype = \"int\"\ndefault = 8080\n");
    Test::new()
        .template("mini", "stable")
        .manifest("mini", "1.0.0", MINI_MANIFEST)
        .file("mini", "1.0.0", "README.md.tera", MINI_README)
        .manifest("mini", "2.0.0", &v2)
        .file("mini", "2.0.0", "README.md.tera", "# {{ service_name }}\nport: {{ port }}\n")
        .write("home/.config/pave/config.toml", "[answers]\nport = 9000\n")
        .args(["new", "mini@1.0.0", dir, "-d", "service_name=payments"])
        .run()
}

#[test]
fn upgrade_records_the_user_configs_default_for_a_new_question() {
    // What the fleet must match: `pave upgrade` honours the config today.
    let out = upgrade(port_question("proj")).arg("--no-input").run();
    assert_eq!(out.pave_toml("proj")["answers"]["port"].as_integer(), Some(9000));
    assert_eq!(out.read("proj/README.md"), "# payments\nport: 9000\n");
}

#[test]
fn fleet_upgrade_records_the_user_configs_default_for_a_new_question() {
    let out = port_question("fleet/svc").then().args(["fleet", "upgrade", "fleet"]).run();
    let record: toml::Table = out.git("fleet/svc", &["show", "pave/mini-2.0.0:.pave.toml"]).parse().unwrap();
    assert_eq!(record["answers"]["port"].as_integer(), Some(9000), "the config's default, as `pave upgrade` records");
    assert_eq!(out.git("fleet/svc", &["show", "pave/mini-2.0.0:README.md"]), "# payments\nport: 9000\n");
}

// ---- 6 and 7. applying fails: what is said, what is rolled back; modes ----

/// The app project at 1.0.0 whose `legacy/tools/` (which the upgrade deletes from, after every
/// write) is read-only, so applying fails after the other files were replaced. `prepare` runs
/// on the project before the directory is locked.
fn app_failing_to_apply(prepare: impl FnOnce(&Sandbox)) -> Output {
    let out = Test::app_project();
    prepare(&out);
    out.set_mode("proj/legacy/tools", 0o555);
    out
}

#[test]
fn upgrade_that_fails_to_apply_prints_no_success_summary_and_changes_nothing() {
    let out = app_failing_to_apply(|_| {});
    let before = out.state("proj");
    let out = upgrade(out).unprivileged().status(1).stderr_contains("error:").run();
    let (said_before, _) = out.stderr.split_once("error:").unwrap();
    // "updated 6 · added 1 · deleted 1" is what was done; a plan may be announced in other words.
    let done = regex::Regex::new(r"\b(updated|added|deleted|merged|renamed) [0-9]+|now records").unwrap();
    assert!(!done.is_match(said_before), "said as done before the error:\n{}", out.stderr);
    assert_eq!(out.read("proj/legacy/tools/old.txt"), APP_LEGACY);
    // `state` records no directory modes: the read-only legacy/tools/ compares equal.
    assert_eq!(out.state("proj"), before, "the tree and the repository are as they were");
}

#[test]
fn upgrade_roll_back_restores_the_mode_of_a_file_it_had_replaced() {
    let out = app_failing_to_apply(|s| s.set_mode("proj/README.md", 0o444));
    let out = upgrade(out).unprivileged().failure().run();
    assert_eq!(out.read("proj/README.md"), "# payments\n\nversion one\n", "the bytes are back");
    assert_eq!(format!("{:o}", out.mode("proj/README.md")), "444", "and so is the mode");
}

#[test]
fn upgrade_roll_back_restores_the_mode_of_an_executable_file_it_had_replaced() {
    let out = app_failing_to_apply(|s| s.set_mode("proj/tool.sh", 0o700));
    let out = upgrade(out).unprivileged().failure().run();
    assert_eq!(out.read("proj/tool.sh"), "#!/bin/sh\necho one\n# a\n# b\n# c\n# d\n");
    assert_eq!(format!("{:o}", out.mode("proj/tool.sh")), "700");
}

#[test]
fn upgrade_keeps_the_permission_bits_of_a_file_it_replaces() {
    let out = Test::app_project();
    out.set_mode("proj/README.md", 0o600);
    let out = upgrade(out).run();
    assert_eq!(out.read("proj/README.md"), "# payments\n\nversion two\n");
    assert_eq!(format!("{:o}", out.mode("proj/README.md")), "600", "a private file stays private");
}

#[test]
fn upgrade_adds_the_templates_executable_bit_to_the_projects_own_permission_bits() {
    let out = Test::app_project();
    out.set_mode("proj/run.sh", 0o640);
    let out = upgrade(out).run();
    assert_eq!(out.read("proj/run.sh"), "#!/bin/sh\necho two\n# a\n# b\n# c\n# d\n");
    assert_eq!(format!("{:o}", out.mode("proj/run.sh")), "750", "x where r is, nothing for others");
}

#[test]
fn upgrade_keeps_the_permission_bits_of_a_file_it_merges() {
    let out = Test::app_project();
    out.write("proj/lines.txt", "l1\nl2\nl3\nl4\nl5 ours\nl6\n");
    out.commit_all("proj", "ours");
    out.set_mode("proj/lines.txt", 0o600);
    let out = upgrade(out).run();
    assert_eq!(out.read("proj/lines.txt"), "l1\nL2 from the template\nl3\nl4\nl5 ours\nl6\n");
    assert_eq!(format!("{:o}", out.mode("proj/lines.txt")), "600");
}

// ---- 8. an invalid branch name is refused before anything is written ----

#[test]
fn upgrade_branch_refuses_an_invalid_name_before_writing_anything() {
    for name in ["refs/heads/../../HEAD", "bad..name", "ends-with.lock"] {
        let out = Test::app_project();
        let before = out.state("proj");
        let out = upgrade(out).args(["--branch", name]).status(2).stderr_contains(name).run();
        assert_eq!(out.state("proj"), before, "--branch {name}: nothing may change (tree, index, refs)");
    }
}

#[test]
fn fleet_upgrade_branch_refuses_an_invalid_name_before_touching_any_project() {
    let s = Test::app().into_sandbox();
    for dir in ["fleet/svc-a", "fleet/svc-b"] {
        let name = dir.rsplit('-').next().unwrap();
        s.pave_ok(&["new", "app@1.0.0", dir, "-d", &format!("service_name=svc-{name}")]);
    }
    let before: Vec<String> = ["fleet/svc-a", "fleet/svc-b"].iter().map(|r| s.state(r)).collect();
    let out = Test::with_sandbox(s)
        .args(["fleet", "upgrade", "fleet", "--branch", "bad..name"])
        .status(2)
        .stderr_contains("bad..name")
        .run();
    assert!(!out.stderr.contains("failed"), "refused once, not project by project:\n{}", out.stderr);
    let after: Vec<String> = ["fleet/svc-a", "fleet/svc-b"].iter().map(|r| out.state(r)).collect();
    assert_eq!(after, before);
}
