//! What `pave new` leaves on disk: `.pave.toml`, the git repository and its one commit (checked
//! with the real git), `--no-git`, a destination inside another work tree, `--dry-run`, the
//! destination rules and that nothing is half-written when rendering fails.

use crate::fixtures::SVC_REQUIRED;
use crate::support::Test;

#[test]
fn new_writes_pave_toml_with_template_version_catalog_and_answers() {
    let out = Test::svc().args(["new", "svc", "out", "-d", "tier=tier-1"]).args(SVC_REQUIRED).run();
    insta::assert_snapshot!(out.redact(&out.read("out/.pave.toml")), @r#"
    # Written by pave. Keep it in version control; `pave upgrade` reads it.
    [template]
    name = "svc"
    version = "1.0.0"
    catalog = "[TEMP]/catalog"

    [answers]
    service_name = "payments"
    team = "team-payments"
    tier = "tier-1"
    replicas = 2
    database = false
    image = "ghcr.io/example/payments"
    "#);
}

#[test]
fn new_initialises_git_with_one_commit_holding_every_file() {
    let out = Test::svc()
        .file("svc", "1.0.0", "src/main.rs", "fn main() {}\n")
        .file("svc", "1.0.0", ".gitignore", "target/\n")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .run();
    let log = out.git("out", &["log", "--oneline"]);
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.contains("Create out from svc 1.0.0"), "{log}");
    assert_eq!(out.git("out", &["status", "--porcelain", "--ignored"]), "");
    out.git("out", &["fsck", "--strict"]);
    // Written as one pack, as a clone would be, not a loose file per object.
    let objects = out.git("out", &["count-objects", "-v"]);
    assert!(objects.starts_with("count: 0\n") && objects.contains("\npacks: 1\n"), "{objects}");
    let reflog = out.git("out", &["reflog", "--format=%gs"]);
    assert_eq!(reflog, "commit (initial): Create out from svc 1.0.0\n");
    let tracked = out.git("out", &["ls-files"]);
    let tracked: Vec<&str> = tracked.lines().collect();
    assert_eq!(tracked, out.files("out"));
    assert_eq!(tracked, [".gitignore", ".pave.toml", "README.md", "src/main.rs"]);
}

#[test]
fn new_stages_every_file_as_git_add_would_with_its_filters_modes_and_stat() {
    let dir = Test::version_dir("svc", "1.0.0");
    let out = Test::svc()
        .file("svc", "1.0.0", ".gitattributes", "*.txt text\nversion.c ident\n")
        .file("svc", "1.0.0", "crlf.txt", "one\r\ntwo\r\n")
        .file("svc", "1.0.0", "version.c", "/* $Id: 0123456789abcdef $ */\n")
        .file("svc", "1.0.0", "run.sh", "#!/bin/sh\n")
        .chmod(&format!("{dir}/files/run.sh"), 0o755)
        .symlink("README.md", &format!("{dir}/files/docs-link"))
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .run();
    // The tree git itself makes of the same files, in a repository of its own.
    out.copy_dir("out", "check");
    std::fs::remove_dir_all(out.path("check/.git")).unwrap();
    out.git("check", &["init", "-q"]);
    out.git("check", &["add", "-A"]);
    assert_eq!(out.git("out", &["rev-parse", "HEAD^{tree}"]), out.git("check", &["write-tree"]));
    // Filters applied on the way in, as git does: line endings normalised, the ident collapsed.
    assert_eq!(out.git("out", &["cat-file", "-p", "HEAD:crlf.txt"]), "one\ntwo\n");
    assert_eq!(out.git("out", &["cat-file", "-p", "HEAD:version.c"]), "/* $Id$ */\n");
    let staged = out.git("out", &["ls-files", "-s", "run.sh", "docs-link", "README.md"]);
    let modes: Vec<&str> = staged.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(modes, ["100644", "120000", "100755"], "{staged}");
    // The index holds what lstat says of every file: git finds nothing to look at again.
    assert_eq!(out.git("out", &["diff-files", "--name-only"]), "", "stat data differs from the files");
    assert_eq!(out.git("out", &["status", "--porcelain"]), "");
}

#[test]
fn new_starts_the_branch_that_init_default_branch_names() {
    let out = Test::svc()
        .write("home/.gitconfig", "[init]\n\tdefaultBranch = trunk\n")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .run();
    assert_eq!(out.git("out", &["branch", "--show-current"]), "trunk\n");
    assert_eq!(out.git("out", &["log", "--format=%s", "trunk"]), "Create out from svc 1.0.0\n");
    assert_eq!(out.git("out", &["branch", "--list"]), "* trunk\n", "no other branch");
}

#[test]
fn new_prints_the_commit_it_made() {
    let t = Test::svc().args(["new", "svc", "out"]).args(SVC_REQUIRED);
    let mut cmd = t.command();
    let raw = cmd.stdin(std::process::Stdio::null()).output().unwrap();
    let sandbox = t.into_sandbox();
    let stderr = String::from_utf8_lossy(&raw.stderr);
    let head = sandbox.git("out", &["rev-parse", "--short=7", "HEAD"]);
    assert!(stderr.contains(&format!("first commit {}.", head.trim())), "{stderr}\nHEAD is {head}");
}

#[test]
fn new_commit_uses_the_git_identity_of_the_environment() {
    let out = Test::svc().args(["new", "svc", "out"]).args(SVC_REQUIRED).run();
    assert_eq!(out.git("out", &["log", "-1", "--format=%an <%ae>"]), "Pat Tester <pat@example.com>\n");
}

#[test]
fn new_no_git_creates_no_repository() {
    let out = Test::svc()
        .args(["new", "svc", "out", "--no-git"])
        .args(SVC_REQUIRED)
        .stderr_lacks("first commit")
        .stderr_contains("Created out from svc 1.0.0: 2 files.")
        .run();
    assert!(!out.exists("out/.git"));
    assert_eq!(out.files("out"), [".pave.toml", "README.md"]);
}

#[test]
fn new_inside_an_existing_work_tree_creates_no_nested_repository() {
    let out = Test::svc()
        .git_repo("mono")
        .args(["new", "svc", "mono/services/payments"])
        .args(SVC_REQUIRED)
        .stderr_contains(
            "mono/services/payments is inside the git work tree [TEMP]/mono/: no nested repository was created and nothing was committed.",
        )
        .stderr_lacks("first commit")
        .run();
    assert!(out.exists("mono/services/payments/.pave.toml"));
    assert!(!out.exists("mono/services/payments/.git"));
    let log = out.git("mono", &["log", "--oneline"]);
    assert_eq!(log.lines().count(), 1, "nothing was committed: {log}");
    assert_eq!(
        out.git("mono", &["status", "--porcelain"]),
        "?? services/\n",
        "the new project is left untracked for the user to commit"
    );
}

#[test]
fn new_dry_run_lists_the_files_and_writes_nothing() {
    let dir = Test::version_dir("svc", "1.0.0");
    let out = Test::svc()
        .file("svc", "1.0.0", "run.sh", "#!/bin/sh\n")
        .chmod(&format!("{dir}/files/run.sh"), 0o755)
        .file_link("svc", "1.0.0", "LINK.md", "README.md")
        .args(["new", "svc", "out", "--dry-run"])
        .args(SVC_REQUIRED)
        .run();
    // .pave.toml records the catalog's path, so its size depends on where the temp dir is.
    let listing = regex::Regex::new(r"\.pave\.toml  \(\d+ bytes\)")
        .unwrap()
        .replace(&out.stdout, ".pave.toml  (N bytes)")
        .into_owned();
    insta::assert_snapshot!(listing, @"
    out/.pave.toml  (N bytes)
    out/LINK.md  (link to README.md)
    out/README.md  (121 bytes)
    out/run.sh  (10 bytes, executable)
    ");
    insta::assert_snapshot!(out.stderr, @"Dry run: 4 files from svc 1.0.0 would be written to out; nothing was written.");
    assert!(!out.exists("out"));
    assert_eq!(out.leftovers(""), Vec::<String>::new());
}

#[test]
fn new_refuses_a_destination_that_is_not_empty() {
    let out = Test::svc()
        .write("out/notes.txt", "mine\n")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stdout("")
        .stderr(
            "error: destination `out` exists and is not empty\nhint: choose another directory, or pass --force to write into it (files with the same path are replaced)\n",
        )
        .run();
    assert_eq!(out.files("out"), ["notes.txt"]);
    assert_eq!(out.read("out/notes.txt"), "mine\n");
}

#[test]
fn new_force_writes_into_a_destination_that_is_not_empty() {
    let out = Test::svc()
        .write("out/notes.txt", "mine\n")
        .write("out/README.md", "old readme\n")
        .args(["new", "svc", "out", "--force", "--no-git"])
        .args(SVC_REQUIRED)
        .run();
    assert_eq!(out.files("out"), [".pave.toml", "README.md", "notes.txt"]);
    assert_eq!(out.read("out/notes.txt"), "mine\n");
    assert!(out.read("out/README.md").starts_with("# payments\n"));
}

#[test]
fn new_accepts_an_empty_existing_destination() {
    let out = Test::svc().current_dir("out").args(["new", "svc", "."]).args(SVC_REQUIRED).run();
    assert_eq!(out.files("out"), [".pave.toml", "README.md"]);
    assert_eq!(out.git("out", &["log", "--oneline"]).lines().count(), 1);
}

#[test]
fn new_refuses_a_destination_that_is_a_file() {
    let out = Test::svc()
        .write("out", "a file\n")
        .args(["new", "svc", "out", "--force"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("error: destination `out` exists and is not a directory")
        .run();
    assert_eq!(out.read("out"), "a file\n");
}

#[test]
fn new_leaves_nothing_behind_when_the_last_file_fails_to_render() {
    let out = Test::svc()
        .file("svc", "1.0.0", "a.txt", "first\n")
        .file("svc", "1.0.0", "src/lib.rs.tera", "// {{ service_name }}\n")
        .file("svc", "1.0.0", "zz/last.txt.tera", "{{ service_name | no_such_filter }}\n")
        .args(["new", "svc", "parent/out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stdout("")
        .stderr_contains("last.txt.tera")
        .run();
    assert!(!out.exists("parent/out"));
    if out.exists("parent") {
        assert_eq!(out.files("parent"), Vec::<String>::new());
    }
    assert_eq!(out.leftovers(""), Vec::<String>::new());
}

#[test]
fn new_leaves_a_forced_destination_untouched_when_rendering_fails() {
    let out = Test::svc()
        .write("out/notes.txt", "mine\n")
        .file("svc", "1.0.0", "zz.txt.tera", "{{ nope }}\n")
        .args(["new", "svc", "out", "--force"])
        .args(SVC_REQUIRED)
        .status(2)
        .run();
    assert_eq!(out.files("out"), ["notes.txt"]);
    assert_eq!(out.leftovers(""), Vec::<String>::new());
    assert_eq!(out.leftovers("out"), Vec::<String>::new());
}

#[test]
fn new_template_cannot_write_its_own_pave_toml() {
    let out = Test::svc()
        .file("svc", "1.0.0", ".pave.toml", "[template]\nname = \"forged\"\n")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("renders a `.pave.toml` of its own")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_force_into_the_root_of_an_existing_repository_commits_nothing() {
    // The destination is itself the top of a work tree with history: it is "inside an existing
    // git work tree" (SPEC.md), so pave writes the files, commits nothing and says so.
    let out = Test::svc()
        .git_repo("repo")
        .args(["new", "svc", "repo", "--force"])
        .args(SVC_REQUIRED)
        .stderr_contains("no nested repository was created and nothing was committed")
        .stderr_lacks("first commit")
        .run();
    assert!(out.exists("repo/.pave.toml"));
    let log = out.git("repo", &["log", "--oneline"]);
    assert_eq!(log.lines().count(), 1, "nothing was committed: {log}");
    assert_eq!(
        out.git("repo", &["status", "--porcelain"]),
        " M README.md\n?? .pave.toml\n",
        "the user's index is left alone"
    );
}

#[test]
fn new_force_leaves_the_destination_untouched_when_a_file_is_in_the_way() {
    // The template needs a directory `src/` where the destination has a file `src`: nothing may
    // be written (no .pave.toml claiming a project that was never created).
    let out = Test::svc()
        .file("svc", "1.0.0", "src/main.rs", "fn main() {}\n")
        .write("out/src", "mine\n")
        .args(["new", "svc", "out", "--force", "--no-git"])
        .args(SVC_REQUIRED)
        .failure()
        .stdout("")
        .stderr_contains("src")
        .run();
    assert_eq!(out.files("out"), ["src"], "nothing half-written");
    assert_eq!(out.read("out/src"), "mine\n");
    assert_eq!(out.leftovers(""), Vec::<String>::new());
}

#[test]
fn new_force_replaces_a_linked_file_instead_of_writing_through_it() {
    let t = Test::svc();
    let outside = t.sandbox().path("outside.txt");
    let out = t
        .write("outside.txt", "not yours\n")
        .write("out/notes.txt", "mine\n")
        .symlink(&outside, "out/README.md")
        .args(["new", "svc", "out", "--force", "--no-git"])
        .args(SVC_REQUIRED)
        .run();
    assert_eq!(out.read("outside.txt"), "not yours\n", "never written through the link");
    assert!(out.read("out/README.md").starts_with("# payments\n"));
    assert!(!std::fs::symlink_metadata(out.path("out/README.md")).unwrap().file_type().is_symlink());
}

#[test]
fn new_with_a_relative_destination_inside_a_work_tree_creates_no_nested_repository() {
    // Run from the repository's root with a relative DEST whose parents do not exist yet.
    let out = Test::new()
        .template("svc", "stable")
        .manifest("svc", "1.0.0", "[template]\n[questions.service_name]\ntype = \"string\"\n")
        .file("svc", "1.0.0", "README.md.tera", "# {{ service_name }}\n")
        .git_repo("mono")
        .current_dir("mono")
        .args(["new", "svc", "services/billing", "-d", "service_name=billing"])
        .stderr_contains("no nested repository was created and nothing was committed")
        .run();
    assert!(!out.exists("mono/services/billing/.git"), "a nested repository was created");
    assert_eq!(out.commit_count("mono"), 1, "nothing was committed in the outer repository");
    assert_eq!(out.git("mono", &["status", "--porcelain"]), "?? services/\n");
}
