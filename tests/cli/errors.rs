//! Malformed catalog.toml and template.toml: every error names the file, the line and column,
//! the key, and what was expected; unknown keys are errors, never ignored.

use crate::fixtures::CATALOG_HEADER;
use crate::support::Test;

fn with_manifest(manifest: &str) -> Test {
    Test::new().template("svc", "stable").manifest("svc", "1.0.0", manifest).file(
        "svc",
        "1.0.0",
        "README.md",
        "readme\n",
    )
}

#[test]
fn new_unknown_question_type_shows_line_column_and_allowed_types() {
    let out = with_manifest("[template]\ndescription = \"x\"\n\n[questions.service_name]\ntype = \"strnig\"\n")
        .args(["new", "svc", "out", "-d", "service_name=x"])
        .status(2)
        .stdout("")
        .run();
    insta::assert_snapshot!(out.stderr, @r#"
    error: [TEMP]/catalog/templates/svc/1.0.0/template.toml:5:8: unknown variant `strnig`, expected one of `string`, `bool`, `int`, `choice`, `multichoice`
      |
    5 | type = "strnig"
      |        ^^^^^^^^
    "#);
    assert!(!out.exists("out"));
}

#[test]
fn catalog_show_unknown_question_type_is_reported_too() {
    Test::new()
        .template("svc", "stable")
        .manifest("svc", "1.0.0", "[template]\n[questions.a]\ntype = \"strnig\"\n")
        .args(["catalog", "show", "svc"])
        .status(2)
        .stderr_contains("[TEMP]/catalog/templates/svc/1.0.0/template.toml:3:8:")
        .stderr_contains("strnig")
        .run();
}

#[test]
fn new_unknown_key_in_template_toml_is_an_error() {
    let out = with_manifest("[template]\n\n[questions.service_name]\ntype = \"string\"\nhepl = \"Service name\"\n")
        .args(["new", "svc", "out", "-d", "service_name=x"])
        .status(2)
        .stdout("")
        .run();
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("error: [TEMP]/catalog/templates/svc/1.0.0/template.toml:5:1: unknown field `hepl`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("help"), "names the expected keys: {}", out.stderr);
    assert!(out.stderr.contains("5 | hepl = \"Service name\""), "{}", out.stderr);
}

#[test]
fn new_unknown_table_in_template_toml_is_an_error() {
    with_manifest("[template]\n\n[hooks]\npost = \"rm -rf /\"\n")
        .args(["new", "svc", "out"])
        .status(2)
        .stderr_contains("template.toml:3:")
        .stderr_contains("unknown field `hooks`")
        .run();
}

#[test]
fn new_template_toml_syntax_error_names_the_line() {
    with_manifest("[template]\ndescription = \"unterminated\n")
        .args(["new", "svc", "out"])
        .status(2)
        .stderr_contains("[TEMP]/catalog/templates/svc/1.0.0/template.toml:2:")
        .run();
}

#[test]
fn new_choice_default_outside_the_choices_names_the_question() {
    with_manifest("[template]\n[questions.tier]\ntype = \"choice\"\nchoices = [\"a\", \"b\"]\ndefault = \"c\"\n")
        .args(["new", "svc", "out"])
        .status(2)
        .stderr_contains("template.toml:2:1: question `tier`: default `c` is not one of")
        .run();
}

#[test]
fn new_invalid_validate_regex_names_the_question() {
    with_manifest("[template]\n[questions.name]\ntype = \"string\"\nvalidate = \"([a-z\"\n")
        .args(["new", "svc", "out"])
        .status(2)
        .stderr_contains("template.toml:2:1: question `name`")
        .stderr_contains("`validate` is not a valid regular expression")
        .run();
}

#[test]
fn new_missing_template_toml_names_the_file() {
    Test::new()
        .template("svc", "stable")
        .file("svc", "1.0.0", "README.md", "x\n")
        .args(["new", "svc", "out"])
        .status(2)
        .stderr_contains("[TEMP]/catalog/templates/svc/1.0.0/template.toml")
        .stderr_contains("missing")
        .run();
}

#[test]
fn catalog_list_unknown_key_in_catalog_toml_names_file_line_and_key() {
    let out = Test::new()
        .catalog_toml(&format!("{CATALOG_HEADER}\n[[template]]\nname = \"svc\"\nmaturty = \"stable\"\nowner = \"t\"\n"))
        .args(["catalog", "list"])
        .status(2)
        .stdout("")
        .run();
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: [TEMP]/catalog/catalog.toml:14:1: unknown field `maturty`"), "{}", out.stderr);
    assert!(out.stderr.contains("maturity"), "names the expected keys: {}", out.stderr);
}

#[test]
fn catalog_list_unknown_maturity_lists_the_allowed_ones() {
    let out = Test::new()
        .catalog_toml(&format!(
            "{CATALOG_HEADER}\n[[template]]\nname = \"svc\"\nmaturity = \"stabel\"\nowner = \"t\"\n"
        ))
        .args(["catalog", "list"])
        .status(2)
        .run();
    insta::assert_snapshot!(out.stderr, @r#"
    error: [TEMP]/catalog/catalog.toml:14:12: unknown variant `stabel`, expected one of `experimental`, `beta`, `stable`, `deprecated`, `retired`
       |
    14 | maturity = "stabel"
       |            ^^^^^^^^
    "#);
}

#[test]
fn catalog_list_deprecated_without_replacement_is_an_error() {
    Test::new()
        .template("old", "deprecated")
        .args(["catalog", "list"])
        .status(2)
        .stderr_contains("[TEMP]/catalog/catalog.toml:13:")
        .stderr_contains("template `old` is deprecated and must name a `replacement`")
        .run();
}

#[test]
fn catalog_list_replacement_missing_from_the_catalog_is_an_error() {
    Test::new()
        .template_entry("name = \"old\"\nmaturity = \"retired\"\nowner = \"t\"\nreplacement = \"nowhere\"\n")
        .args(["catalog", "list"])
        .status(2)
        .stderr_contains("catalog.toml:16:")
        .stderr_contains("names a replacement `nowhere` that is not in the catalog")
        .run();
}

#[test]
fn catalog_list_version_directory_that_is_not_semver_is_an_error() {
    Test::new()
        .template("svc", "stable")
        .manifest("svc", "latest", "[template]\n")
        .args(["catalog", "list"])
        .status(2)
        .stderr_contains("templates/svc/latest is not a semantic version")
        .run();
}

#[test]
fn catalog_list_catalog_toml_syntax_error_names_the_line() {
    Test::new()
        .catalog_toml("[catalog]\nname = \"x\"\nowner = \n")
        .args(["catalog", "list"])
        .status(2)
        .stderr_contains("[TEMP]/catalog/catalog.toml:3:")
        .run();
}

#[test]
fn catalog_list_missing_catalog_directory_says_what_to_pass() {
    Test::new()
        .args(["--catalog", "nowhere", "catalog", "list"])
        .status(2)
        .stdout("")
        .stderr_contains("error: no catalog at `nowhere`")
        .stderr_contains("hint: pass --catalog")
        .run();
}

#[test]
fn catalog_list_reads_the_catalog_from_the_environment() {
    let t = Test::new();
    let dir = t.sandbox().path("elsewhere");
    t.write(
        "elsewhere/catalog.toml",
        format!("{CATALOG_HEADER}\n[[template]]\nname = \"from-env\"\nmaturity = \"beta\"\nowner = \"t\"\n"),
    )
    .env("PAVE_CATALOG", dir)
    .args(["catalog", "list"])
    .stdout_contains("from-env")
    .run();
}
