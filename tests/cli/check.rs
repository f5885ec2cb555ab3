//! `pave check`: the golden-path contract, one rule broken at a time, exceptions covering
//! violations, expired and stale exceptions, `--json`; and `pave exception add` / `list`.

use crate::fixtures::PAVED_CI;
use crate::sandbox::date_in_days;
use crate::support::{Output, Test};

/// `pave check proj`, expecting exit 1.
fn check_fails(out: Output) -> Test {
    out.then().args(["check", "proj"]).status(1)
}

/// Rewrites a project file with `edit`.
fn edit(out: &Output, rel: &str, edit: impl FnOnce(String) -> String) {
    let path = format!("proj/{rel}");
    let text = edit(out.read(&path));
    out.write(&path, text);
}

/// Sets the maturity of `paved` in the fixture catalog (`replacement` names `paved-next`).
fn set_maturity(out: &Output, maturity: &str) {
    let text = out.read("catalog/catalog.toml");
    let needle = "name = \"paved\"\ndescription = \"paved template\"\nkind = \"service\"\nmaturity = \"stable\"\n";
    assert!(text.contains(needle), "{text}");
    let replaced = format!(
        "name = \"paved\"\ndescription = \"paved template\"\nkind = \"service\"\nmaturity = \"{maturity}\"\nreplacement = \"paved-next\"\n"
    );
    out.write("catalog/catalog.toml", text.replace(needle, &replaced));
}

/// Appends an exception to `.pave.toml` by hand, as a reviewer might.
fn write_exception(out: &Output, rule: &str, expires: &str) {
    edit(out, ".pave.toml", |t| {
        format!(
            "{t}\n[[exceptions]]\nrule = \"{rule}\"\nowner = \"alice@example.com\"\nreason = \"written by hand\"\nexpires = {expires}\n"
        )
    });
}

#[test]
fn check_passes_on_a_fresh_project() {
    Test::paved_project()
        .then()
        .args(["check", "proj"])
        .stdout("")
        .stderr("✔ the project keeps the golden-path contract\n")
        .run();
}

#[test]
fn check_reports_a_missing_required_file() {
    let out = Test::paved_project();
    out.remove("proj/CODEOWNERS");
    check_fails(out)
        .stdout_contains("✖ required-file:CODEOWNERS")
        .stdout_contains("CODEOWNERS is missing")
        .stderr_contains("1 violation(s)")
        .run();
}

#[test]
fn check_reports_an_empty_required_file() {
    let out = Test::paved_project();
    out.write("proj/CODEOWNERS", "\n  \n");
    check_fails(out).stdout_contains("✖ required-file:CODEOWNERS").stdout_contains("is empty").run();
}

#[test]
fn check_reports_a_missing_required_section() {
    let out = Test::paved_project();
    edit(&out, "docs/runbook.md", |t| t[..t.find("## Escalation").unwrap()].to_string());
    check_fails(out).stdout_contains("✖ required-section:docs/runbook.md#Escalation").stdout_lacks("#Rollback").run();
}

#[test]
fn check_reports_an_empty_required_section() {
    let out = Test::paved_project();
    edit(&out, "docs/runbook.md", |t| t.replace("kubectl rollout undo deployment/payments\n", ""));
    check_fails(out).stdout_contains("✖ required-section:docs/runbook.md#Rollback").run();
}

#[test]
fn check_accepts_edits_to_a_file_that_is_not_enforced() {
    let out = Test::paved_project();
    edit(&out, "docs/runbook.md", |t| format!("{t}\n## Dashboards\n\nsee grafana\n"));
    out.then().args(["check", "proj"]).run();
}

#[test]
fn check_reports_drift_in_an_enforced_file() {
    let out = Test::paved_project();
    out.write("proj/.github/workflows/ci.yml", PAVED_CI.replace("make test", "make test || true"));
    check_fails(out)
        .stdout_contains("✖ drift:.github/workflows/ci.yml")
        .stdout_contains("pave exception add drift:.github/workflows/ci.yml")
        .run();
}

#[test]
fn check_reports_a_deleted_enforced_file_matched_by_a_glob() {
    let out = Test::paved_project();
    out.remove("proj/policy/tags.rego");
    check_fails(out).stdout_contains("✖ drift:policy/tags.rego").run();
}

#[test]
fn check_reports_a_catalog_info_without_owner() {
    let out = Test::paved_project();
    edit(&out, "catalog-info.yaml", |t| t.replace("  owner: team-payments\n", ""));
    check_fails(out).stdout_contains("✖ ownership:owner").stdout_lacks("ownership:lifecycle").run();
}

#[test]
fn check_reports_a_lifecycle_backstage_does_not_know() {
    let out = Test::paved_project();
    edit(&out, "catalog-info.yaml", |t| t.replace("lifecycle: production", "lifecycle: live"));
    check_fails(out).stdout_contains("✖ ownership:lifecycle").stdout_contains("\"live\"").run();
}

#[test]
fn check_lets_a_service_declare_its_own_lifecycle_on_a_beta_template() {
    // The lifecycle is the service's: a production service may run on a beta template, and an
    // experimental one on a stable template.
    let out = Test::paved_project();
    set_maturity(&out, "beta");
    let out = out.then().args(["check", "proj"]).stdout_lacks("ownership:lifecycle").run();
    edit(&out, "catalog-info.yaml", |t| t.replace("lifecycle: production", "lifecycle: experimental"));
    out.then().args(["check", "proj"]).stdout_lacks("ownership:lifecycle").run();
}

#[test]
fn check_warns_about_a_production_service_on_an_experimental_template() {
    let out = Test::paved_project();
    set_maturity(&out, "experimental");
    out.then()
        .args(["check", "proj"])
        .stdout_contains("⚠ ownership:lifecycle")
        .stdout_contains("experimental template")
        .run();
}

#[test]
fn check_reports_missing_template_annotations() {
    let out = Test::paved_project();
    edit(&out, "catalog-info.yaml", |t| {
        t.replace("    pave.dev/template: paved\n", "").replace("    pave.dev/template-version: \"1.0.0\"\n", "")
    });
    check_fails(out).stdout_contains("✖ ownership:annotations").run();
}

#[test]
fn check_reports_a_retired_template_and_names_its_replacement() {
    let out = Test::paved_project();
    set_maturity(&out, "retired");
    check_fails(out).stdout_contains("✖ retired").stdout_contains("paved-next").run();
}

#[test]
fn check_warns_about_a_deprecated_template() {
    let out = Test::paved();
    let out = out.args(["new", "paved", "proj", "-d", "service_name=payments", "-d", "team=team-payments"]);
    let out = {
        set_maturity_before(&out, "deprecated");
        out.stderr_contains("deprecated").run()
    };
    assert!(out.read("proj/catalog-info.yaml").contains("lifecycle: deprecated"));
    out.then()
        .args(["check", "proj"])
        .stdout_contains("⚠ deprecated")
        .stdout_contains("paved-next")
        .stderr_contains("0 violation(s), 1 warning(s)")
        .run();
}

/// [`set_maturity`] on a test that has not run yet.
fn set_maturity_before(t: &Test, maturity: &str) {
    let s = t.sandbox();
    let text = std::fs::read_to_string(s.path("catalog/catalog.toml")).unwrap();
    let needle = "name = \"paved\"\ndescription = \"paved template\"\nkind = \"service\"\nmaturity = \"stable\"\n";
    assert!(text.contains(needle));
    s.write(
        "catalog/catalog.toml",
        text.replace(
            needle,
            &format!("name = \"paved\"\ndescription = \"paved template\"\nkind = \"service\"\nmaturity = \"{maturity}\"\nreplacement = \"paved-next\"\n"),
        ),
    );
}

#[test]
fn check_warns_when_a_major_version_behind() {
    let out = Test::paved_project();
    out.copy_dir(&Test::version_dir("paved", "1.0.0"), &Test::version_dir("paved", "2.0.0"));
    out.then()
        .args(["check", "proj"])
        .stdout_contains("⚠ behind-major")
        .stdout_contains("1.0.0 is a major version behind 2.0.0")
        .run();
}

#[test]
fn check_accepts_violations_covered_by_valid_exceptions_and_shows_them_excepted() {
    let out = Test::paved_project();
    out.remove("proj/CODEOWNERS");
    out.write("proj/.github/workflows/ci.yml", "name: ours\n");
    edit(&out, "catalog-info.yaml", |t| t.replace("  owner: team-payments\n", ""));
    edit(&out, "docs/runbook.md", |t| t[..t.find("## Escalation").unwrap()].to_string());
    let expires = date_in_days(30);
    let rules = [
        "required-file:CODEOWNERS",
        "drift:.github/workflows/ci.yml",
        "ownership:owner",
        "required-section:docs/runbook.md#Escalation",
    ];
    for rule in rules {
        out.pave_ok(&[
            "exception",
            "add",
            rule,
            "--owner",
            "alice@example.com",
            "--reason",
            "migrating to the new pipeline",
            "--expires",
            &expires,
            "--path",
            "proj",
        ]);
    }
    let mut t = out.then().args(["check", "proj"]).stdout_lacks("✖");
    for rule in rules {
        t = t.stdout_contains(&format!("○ {rule}"));
    }
    t.stdout_contains(&format!("excepted until {expires}")).run();
}

#[test]
fn check_exception_with_a_trailing_star_covers_a_prefix() {
    let out = Test::paved_project();
    out.remove("proj/policy/tags.rego");
    write_exception(&out, "drift:policy/*", &date_in_days(10));
    out.then().args(["check", "proj"]).stdout_contains("○ drift:policy/tags.rego").run();
}

#[test]
fn check_reports_an_expired_exception_as_a_violation() {
    let out = Test::paved_project();
    out.write("proj/.github/workflows/ci.yml", "name: ours\n");
    write_exception(&out, "drift:.github/workflows/ci.yml", "2020-01-31");
    check_fails(out)
        .stdout_contains("✖ exception-expired:drift:.github/workflows/ci.yml")
        .stdout_contains("✖ drift:.github/workflows/ci.yml")
        .stdout_contains("2020-01-31")
        .run();
}

#[test]
fn check_warns_about_a_stale_exception() {
    let out = Test::paved_project();
    write_exception(&out, "drift:policy/tags.rego", &date_in_days(10));
    out.then()
        .args(["check", "proj"])
        .stdout_contains("⚠ exception-stale:drift:policy/tags.rego")
        .stderr_contains("0 violation(s), 1 warning(s)")
        .run();
}

#[test]
fn check_json_lists_rule_severity_path_and_message() {
    let out = Test::paved_project();
    out.remove("proj/CODEOWNERS");
    write_exception(&out, "drift:policy/tags.rego", &date_in_days(10));
    let out = check_fails(out).arg("--json").run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", out.stdout));
    let findings = doc["findings"].as_array().unwrap();
    let missing = findings.iter().find(|f| f["rule"] == "required-file:CODEOWNERS").expect("the violation");
    assert_eq!(missing["severity"], "error");
    assert_eq!(missing["path"], "CODEOWNERS");
    assert!(missing["message"].as_str().unwrap().contains("missing"));
    let stale = findings.iter().find(|f| f["rule"] == "exception-stale:drift:policy/tags.rego").expect("the warning");
    assert_eq!(stale["severity"], "warning");
    assert_eq!(stale["path"], ".pave.toml");
    for f in findings {
        for key in ["rule", "severity", "path", "message"] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
    }
}

#[test]
fn check_reports_a_project_without_pave_toml() {
    let out = Test::paved_project();
    out.remove("proj/.pave.toml");
    check_fails(out).stdout_contains(".pave.toml").run();
}

// ---- pave exception ----

/// `pave exception add RULE --owner ... --reason ... --expires EXPIRES --path proj`.
fn add_exception(out: Output, rule: &str, expires: &str) -> Test {
    out.then()
        .args(["exception", "add", rule, "--owner", "alice@example.com", "--reason", "custom release job"])
        .args(["--expires", expires, "--path", "proj"])
}

#[test]
fn exception_add_records_rule_owner_reason_and_expiry() {
    let expires = date_in_days(90);
    let out = add_exception(Test::paved_project(), "drift:.github/workflows/ci.yml", &expires)
        .stderr_contains("Recorded an exception for drift:.github/workflows/ci.yml")
        .run();
    let record = out.pave_toml("proj");
    let ex = &record["exceptions"].as_array().unwrap()[0];
    assert_eq!(ex["rule"].as_str(), Some("drift:.github/workflows/ci.yml"));
    assert_eq!(ex["owner"].as_str(), Some("alice@example.com"));
    assert_eq!(ex["reason"].as_str(), Some("custom release job"));
    assert_eq!(ex["expires"].as_datetime().map(ToString::to_string), Some(expires));
}

#[test]
fn exception_add_again_writes_nothing_and_renews_an_expired_one_in_place() {
    let out = Test::paved_project();
    out.write("proj/.github/workflows/ci.yml", "name: ours\n");
    write_exception(&out, "drift:.github/workflows/ci.yml", "2020-01-31");
    let out = check_fails(out).stdout_contains("✖ exception-expired:drift:.github/workflows/ci.yml").run();
    edit(&out, ".pave.toml", |t| {
        t.replace("owner = \"alice@example.com\"\n", "owner = \"alice@example.com\" # agreed in review\n")
    });
    let renewed = date_in_days(30);
    let out = out
        .then()
        .args(["exception", "add", "drift:.github/workflows/ci.yml", "--owner", "alice@example.com"])
        .args(["--reason", "written by hand", "--expires", &renewed, "--path", "proj"])
        .stderr_contains(&format!(
            "Updated the exception for drift:.github/workflows/ci.yml: expires 2020-01-31 → {renewed}"
        ))
        .run();
    let record = out.pave_toml("proj");
    let all = record["exceptions"].as_array().unwrap();
    assert_eq!(all.len(), 1, "renewed, not added beside the expired one: {all:?}");
    assert_eq!(all[0]["expires"].as_datetime().map(ToString::to_string), Some(renewed.clone()));
    assert!(
        out.read("proj/.pave.toml").contains("owner = \"alice@example.com\" # agreed in review\n"),
        "what did not change keeps its comment"
    );
    let out = out.then().args(["check", "proj"]).stdout_contains("○ drift:.github/workflows/ci.yml").run();

    // The same exception again: nothing is written.
    let (text, mtimes) = (out.read("proj/.pave.toml"), out.mtimes("proj"));
    let out = out
        .then()
        .args(["exception", "add", "drift:.github/workflows/ci.yml", "--owner", "alice@example.com"])
        .args(["--reason", "written by hand", "--expires", &renewed, "--path", "proj"])
        .stderr_contains("already records this exception")
        .run();
    assert_eq!(out.read("proj/.pave.toml"), text);
    assert_eq!(out.mtimes("proj"), mtimes);
}

#[test]
fn exception_add_keeps_the_comments_of_pave_toml() {
    let out = Test::paved_project();
    edit(&out, ".pave.toml", |t| t.replace("[answers]\n", "[answers]\n# agreed with the platform team\n"));
    let before = out.read("proj/.pave.toml");
    let out = add_exception(out, "ownership:owner", &date_in_days(10)).run();
    let after = out.read("proj/.pave.toml");
    assert!(after.starts_with(&before), "the file is only appended to:\n{after}");
    assert!(after.contains("# agreed with the platform team\n"));
    assert!(after.contains("# Written by pave."));
}

#[test]
fn exception_add_refuses_an_expiry_in_the_past() {
    let out = Test::paved_project();
    let before = out.read("proj/.pave.toml");
    let out =
        add_exception(out, "ownership:owner", &date_in_days(-1)).status(2).stderr_contains("not in the future").run();
    assert_eq!(out.read("proj/.pave.toml"), before);
}

#[test]
fn exception_add_refuses_an_expiry_beyond_180_days() {
    let out = Test::paved_project();
    let before = out.read("proj/.pave.toml");
    let out = add_exception(out, "ownership:owner", &date_in_days(181)).status(2).stderr_contains("at most 180").run();
    assert_eq!(out.read("proj/.pave.toml"), before);
}

#[test]
fn exception_add_accepts_an_expiry_180_days_away() {
    add_exception(Test::paved_project(), "ownership:owner", &date_in_days(180)).run();
}

#[test]
fn exception_add_refuses_an_expiry_beyond_the_catalogs_maximum() {
    let out = Test::paved_project();
    let catalog = out.read("catalog/catalog.toml").replacen("[catalog]\n", "[catalog]\nmax_exception_days = 30\n", 1);
    out.write("catalog/catalog.toml", catalog);
    let before = out.read("proj/.pave.toml");
    let out = add_exception(out, "ownership:owner", &date_in_days(31)).status(2).stderr_contains("at most 30").run();
    assert_eq!(out.read("proj/.pave.toml"), before);
    add_exception(out, "ownership:owner", &date_in_days(30)).run();
}

#[test]
fn exception_add_refuses_a_date_that_is_not_a_date() {
    add_exception(Test::paved_project(), "ownership:owner", "next week").status(2).stderr_contains("not a date").run();
}

#[test]
fn exception_add_refuses_an_empty_owner() {
    let out = Test::paved_project();
    let before = out.read("proj/.pave.toml");
    let expires = date_in_days(10);
    let out = out
        .then()
        .args(["exception", "add", "ownership:owner", "--owner", " ", "--reason", "because"])
        .args(["--expires", &expires, "--path", "proj"])
        .status(2)
        .stderr_contains("--owner")
        .run();
    assert_eq!(out.read("proj/.pave.toml"), before);
}

#[test]
fn exception_list_shows_each_exception_and_its_state() {
    let out = Test::paved_project();
    write_exception(&out, "drift:.github/workflows/ci.yml", "2020-01-31");
    let expires = date_in_days(20);
    let out = add_exception(out, "ownership:owner", &expires).run();
    let out = out.then().args(["exception", "list", "proj"]).run();
    let rows: Vec<Vec<&str>> = out.stdout.lines().map(|l| l.split_whitespace().take(4).collect()).collect();
    assert_eq!(rows[0], ["RULE", "EXPIRES", "STATE", "OWNER"], "{}", out.stdout);
    assert_eq!(rows[1], ["drift:.github/workflows/ci.yml", "2020-01-31", "expired", "alice@example.com"]);
    assert_eq!(rows[2], ["ownership:owner", expires.as_str(), "valid", "alice@example.com"]);
    assert_eq!(rows.len(), 3);
}

#[test]
fn exception_list_json_shows_each_exception() {
    let expires = date_in_days(20);
    let out = add_exception(Test::paved_project(), "ownership:owner", &expires).run();
    let out = out.then().args(["exception", "list", "proj", "--json"]).run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        doc,
        serde_json::json!([{
            "rule": "ownership:owner",
            "owner": "alice@example.com",
            "reason": "custom release job",
            "expires": expires,
            "expired": false,
        }])
    );
}

#[test]
fn check_holds_a_hand_written_exception_to_the_expiry_cap() {
    let out = crate::support::Test::paved_project();
    let record = out.read("proj/.pave.toml");
    let far = crate::sandbox::date_in_days(400);
    out.write(
        "proj/.pave.toml",
        format!("{record}\n[[exceptions]]\nrule = \"behind-major\"\nowner = \"a@example.com\"\nreason = \"later\"\nexpires = {far}\n"),
    );
    out.then()
        .args(["check", "proj"])
        .status(1)
        .stdout_contains("exception-too-long:behind-major")
        .stdout_contains("beyond the catalog's maximum of 180 days")
        .run();
}
