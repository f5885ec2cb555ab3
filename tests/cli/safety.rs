//! Templates are data and answers are input: nothing either says may make pave write outside
//! the destination, into `.git`, through a link, or read the environment.

use crate::fixtures::SVC_REQUIRED;
use crate::support::Test;

/// A template with one file whose directory is the answer to `dir` (no validation).
fn dir_template() -> Test {
    Test::new()
        .template("svc", "stable")
        .manifest("svc", "1.0.0", "[template]\n[questions.dir]\ntype = \"string\"\nhelp = \"Directory\"\n")
        .file("svc", "1.0.0", "README.md", "readme\n")
        .file("svc", "1.0.0", "{{ dir }}/hooks/post-checkout", "#!/bin/sh\necho pwned\n")
}

/// Runs `pave new svc out -d dir=VALUE` and checks it is refused with nothing written anywhere.
#[track_caller]
fn refused(value: &str, reason: &str) -> crate::support::Output {
    let out = dir_template()
        .args(["new", "svc", "out", "-d"])
        .arg(format!("dir={value}"))
        .status(2)
        .stdout("")
        .stderr_contains("error: refusing to write")
        .stderr_contains("{{ dir }}/hooks/post-checkout")
        .stderr_contains(reason)
        .run();
    assert!(!out.exists("out"), "nothing is written");
    assert!(!out.exists("hooks"), "nothing is written beside the destination");
    assert_eq!(out.leftovers(""), Vec::<String>::new());
    out
}

#[test]
fn new_refuses_an_answer_that_renders_a_parent_path() {
    refused("..", "`..`");
}

#[test]
fn new_refuses_an_answer_that_climbs_out_through_a_nested_path() {
    let out = refused("a/../../escape", "`..`");
    assert!(!out.exists("escape"));
}

#[test]
fn new_refuses_an_answer_that_renders_an_absolute_path() {
    let t = dir_template();
    let target = t.sandbox().path("abs-target");
    let out = t
        .args(["new", "svc", "out", "-d"])
        .arg(format!("dir={}", target.display()))
        .status(2)
        .stderr_contains("error: refusing to write")
        .stderr_contains("absolute")
        .run();
    assert!(!out.exists("abs-target"), "nothing written at the absolute path");
    assert!(!out.exists("out"));
}

#[test]
fn new_refuses_an_answer_that_renders_into_dot_git() {
    refused(".git", "`.git`");
}

#[test]
fn new_refuses_an_answer_that_renders_into_dot_git_in_any_case() {
    refused(".GIT", "`.git`");
}

#[test]
fn new_refuses_an_answer_with_a_nul_byte() {
    // A NUL cannot travel in argv; a JSON data file carries it.
    let out = dir_template()
        .write("answers.json", r#"{"dir": "a\u0000b"}"#)
        .args(["new", "svc", "out", "--data-file", "answers.json"])
        .status(2)
        .stdout("")
        .stderr_contains("invalid answer for `dir`")
        .run();
    assert!(!out.exists("out"));
    assert!(!out.exists("a"));
}

#[test]
fn new_refuses_a_template_file_inside_dot_git() {
    let out = Test::svc()
        .file("svc", "1.0.0", ".git/hooks/pre-commit", "#!/bin/sh\necho pwned\n")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("template file `.git/hooks/pre-commit`")
        .stderr_contains("never writes inside `.git`")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_refuses_a_template_symlink_pointing_outside() {
    let out = Test::svc()
        .write("outside/id_rsa", "private key\n")
        .file_link("svc", "1.0.0", "key", "../../../../../outside/id_rsa")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("template file `key` is a link to `../../../../../outside/id_rsa`")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_refuses_a_template_symlink_into_dot_git() {
    let out = Test::svc()
        .file_link("svc", "1.0.0", "cfg", ".git/config")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("template file `cfg` is a link to `.git/config`")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_force_never_writes_through_a_symlinked_directory_in_the_destination() {
    let t = Test::svc().file("svc", "1.0.0", "src/main.rs", "fn main() {}\n");
    let elsewhere = t.sandbox().path("elsewhere");
    let out = t
        .write("elsewhere/keep.txt", "keep\n")
        .write("out/notes.txt", "mine\n")
        .symlink(&elsewhere, "out/src")
        .args(["new", "svc", "out", "--force"])
        .args(SVC_REQUIRED)
        .status(2)
        .stdout("")
        .stderr_contains("has a symbolic link at `out/src`")
        .run();
    assert_eq!(out.files("elsewhere"), ["keep.txt"], "nothing written through the link");
    assert_eq!(out.files("out"), ["notes.txt", "src"], "nothing written at all");
    assert_eq!(out.leftovers("out"), Vec::<String>::new());
    assert_eq!(out.leftovers(""), Vec::<String>::new());
}

#[test]
fn new_get_env_is_not_available_to_templates() {
    let out = Test::svc()
        .file("svc", "1.0.0", "env.txt.tera", "home\n{{ get_env(name=\"HOME\") }}\n")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stdout("")
        .stderr_contains("env.txt.tera:2:")
        .stderr_contains("get_env")
        .stderr_lacks("[TEMP]/home\n")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_templates_cannot_read_the_clock() {
    let out = Test::svc()
        .file("svc", "1.0.0", "when.txt.tera", "{{ now() }}\n")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("when.txt.tera:1:")
        .stderr_contains("now")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_templates_cannot_include_files_from_outside() {
    let out = Test::svc()
        .file("svc", "1.0.0", "inc.txt.tera", "{% include \"/etc/passwd\" %}\n")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("inc.txt.tera:1:")
        .stderr_lacks("root:")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_refuses_an_answer_that_renders_a_backslash() {
    refused("..\\..\\evil", "backslash");
}

#[test]
fn new_dry_run_refuses_an_unsafe_answer_too() {
    let out = dir_template()
        .args(["new", "svc", "out", "--dry-run", "-d", "dir=.."])
        .status(2)
        .stdout("")
        .stderr_contains("error: refusing to write")
        .run();
    assert!(!out.exists("out"));
}
