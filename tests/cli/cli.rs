//! The command line itself: `--version`, `--help` of every subcommand, completions, usage
//! errors, colour.

use crate::support::Test;

#[test]
fn version_prints_the_name_and_version() {
    Test::new().arg("--version").stdout(&format!("pave {}\n", env!("CARGO_PKG_VERSION"))).stderr("").run();
}

#[test]
fn help_of_every_subcommand_exits_zero() {
    for args in [
        vec!["--help"],
        vec!["new", "--help"],
        vec!["catalog", "--help"],
        vec!["catalog", "list", "--help"],
        vec!["catalog", "show", "--help"],
        vec!["completions", "--help"],
        vec!["help", "new"],
    ] {
        let usage = match args.as_slice() {
            ["--help"] => "Usage: pave [OPTIONS] <COMMAND>".to_string(),
            ["help", rest @ ..] => format!("Usage: pave {}", rest.join(" ")),
            other => format!("Usage: pave {}", other[..other.len() - 1].join(" ")),
        };
        let out = Test::new().args(&args).stderr("").run();
        assert!(out.stdout.contains(&usage), "{args:?}:\n{}", out.stdout);
    }
}

#[test]
fn help_lists_every_command() {
    let out = Test::new().arg("--help").run();
    for command in ["new", "catalog", "completions"] {
        assert!(out.stdout.lines().any(|l| l.trim_start().starts_with(command)), "{command} missing:\n{}", out.stdout);
    }
}

#[test]
fn new_help_documents_every_flag_of_the_spec() {
    let out = Test::new().args(["new", "--help"]).run();
    for flag in [
        "--data",
        "--data-file",
        "--defaults",
        "--no-input",
        "--allow-experimental",
        "--no-git",
        "--dry-run",
        "--force",
        "--catalog",
    ] {
        assert!(out.stdout.contains(flag), "{flag} missing:\n{}", out.stdout);
    }
}

#[test]
fn completions_bash_prints_a_script() {
    let out = Test::new().args(["completions", "bash"]).stderr("").run();
    assert!(out.stdout.contains("_pave()"), "{}", out.stdout);
    assert!(out.stdout.contains("complete -F _pave"), "{}", out.stdout);
}

#[test]
fn completions_zsh_prints_a_script() {
    let out = Test::new().args(["completions", "zsh"]).stderr("").run();
    assert!(out.stdout.starts_with("#compdef pave"), "{}", out.stdout);
}

#[test]
fn completions_fish_prints_a_script() {
    let out = Test::new().args(["completions", "fish"]).stderr("").run();
    assert!(out.stdout.contains("complete -c pave"), "{}", out.stdout);
    assert!(out.stdout.contains("allow-experimental"), "{}", out.stdout);
}

#[test]
fn completions_unknown_shell_is_a_usage_error() {
    Test::new().args(["completions", "cmd"]).status(2).stdout("").stderr_contains("invalid value 'cmd'").run();
}

#[test]
fn new_unknown_flag_is_a_usage_error() {
    Test::new()
        .args(["new", "svc", "--frobnicate"])
        .status(2)
        .stdout("")
        .stderr_contains("unexpected argument '--frobnicate'")
        .run();
}

#[test]
fn catalog_errors_are_never_coloured_with_no_color() {
    let out = Test::svc().args(["--color", "auto", "new", "nope", "out"]).status(2).run();
    assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
    assert!(out.stderr.starts_with("error: unknown template `nope`"));
}

#[test]
fn catalog_list_quiet_still_prints_data() {
    Test::golden_paths().args(["-q", "catalog", "list"]).stdout_contains("rust-service").stderr("").run();
}
