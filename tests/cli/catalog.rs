//! `pave catalog list` and `pave catalog show`: the table, the JSON fields of SPEC.md, the
//! retirement list, questions and the support promise.

use crate::support::Test;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn catalog_list_prints_a_table_without_retired_templates() {
    let out = Test::golden_paths().args(["catalog", "list"]).run();
    insta::assert_snapshot!(out.stdout, @"
    NAME           MATURITY      LATEST      OWNER             DESCRIPTION
    rust-service   stable        1.1.0       platform-team     HTTP service in Rust
    node-service   beta          0.9.0       platform-web      HTTP service in TypeScript
    worker-job     experimental  0.1.0       platform-team     Scheduled job
    flask-service  deprecated    1.0.0       platform-team     HTTP service in Python on Flask (use rust-service)
    ");
    insta::assert_snapshot!(out.stderr, @"1 retired template(s) not shown: pave catalog list --all");
}

#[test]
fn catalog_list_all_adds_the_retired_templates() {
    let out = Test::golden_paths().args(["catalog", "list", "--all"]).stderr("").run();
    insta::assert_snapshot!(out.stdout, @"
    NAME             MATURITY      LATEST      OWNER             DESCRIPTION
    rust-service     stable        1.1.0       platform-team     HTTP service in Rust
    node-service     beta          0.9.0       platform-web      HTTP service in TypeScript
    worker-job       experimental  0.1.0       platform-team     Scheduled job
    flask-service    deprecated    1.0.0       platform-team     HTTP service in Python on Flask (use rust-service)
    express-service  retired       1.0.0       platform-web      HTTP service on Express (use node-service)
    ");
}

#[test]
fn catalog_list_json_has_the_fields_of_the_spec() {
    let out = Test::golden_paths().args(["catalog", "list", "--json"]).stderr("").run();
    let list = json(&out.stdout);
    let entries = list.as_array().expect("a JSON array");
    let names: Vec<&str> = entries.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["rust-service", "node-service", "worker-job", "flask-service"],
        "retired templates are left out without --all"
    );
    for entry in entries {
        let mut keys: Vec<&str> = entry.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["description", "kind", "latest", "maturity", "name", "owner", "replacement", "support", "versions"],
            "{entry}"
        );
    }
    assert_eq!(
        entries[0],
        serde_json::json!({
            "name": "rust-service",
            "description": "HTTP service in Rust",
            "kind": "service",
            "maturity": "stable",
            "owner": "platform-team",
            "replacement": null,
            "versions": ["1.0.0", "1.1.0", "2.0.0-rc.1"],
            "latest": "1.1.0",
            "support": {
                "hours": "Mon-Fri 09:00-17:00 UTC",
                "channel": "#platform-help",
                "escalation": "platform-oncall",
                "defects": "platform-team",
                "requests": "open an issue with the label 'new-capability'"
            }
        })
    );
    assert_eq!(entries[3]["maturity"], "deprecated");
    assert_eq!(entries[3]["replacement"], "rust-service");
}

#[test]
fn catalog_list_json_all_includes_retired_with_replacement() {
    let out = Test::golden_paths().args(["catalog", "list", "--json", "--all"]).stderr("").run();
    let list = json(&out.stdout);
    let retired = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "express-service")
        .expect("the retired template is listed with --all");
    assert_eq!(retired["maturity"], "retired");
    assert_eq!(retired["replacement"], "node-service");
    assert_eq!(retired["kind"], "service");
    assert_eq!(retired["owner"], "platform-web");
}

#[test]
fn catalog_list_json_template_support_overrides_the_default() {
    let out = Test::golden_paths().args(["catalog", "list", "--json"]).run();
    let list = json(&out.stdout);
    let node = &list[1];
    assert_eq!(node["name"], "node-service");
    assert_eq!(
        node["support"],
        serde_json::json!({
            "hours": "best effort",
            "channel": "#platform-web",
            "escalation": "platform-oncall",
            "defects": "platform-team",
            "requests": "open an issue with the label 'new-capability'"
        }),
        "the template's own support fields win, the rest come from the catalog"
    );
}

#[test]
fn catalog_show_prints_versions_questions_and_support() {
    let out = Test::golden_paths().args(["catalog", "show", "rust-service"]).stderr("").run();
    insta::assert_snapshot!(out.stdout, @r#"
    rust-service — HTTP service in Rust
      maturity     stable
      owner        platform-team
      kind         service
      versions     1.0.0, 1.1.0 (latest), 2.0.0-rc.1
      1.1.0        A small service

    Questions of 1.1.0:
      service_name     Service name (lowercase letters, digits, dashes)  (string, required, must match ^[a-z][a-z0-9-]{1,38}[a-z0-9]$)
      team             Owning team  (string, required)
      tier             Tier  (choice [tier-1|tier-2|tier-3], default "tier-2")
      replicas         Replicas  (int, default 2, 1 to 10)
      database         Needs a database  (bool, default false)
      database_engine  database_engine  (choice [postgres|mysql], default "postgres", asked when database)
      image            image  (string, default "ghcr.io/example/{{ service_name }}")
      api_token        api_token  (string, default "", secret)

    Support:
      hours            Mon-Fri 09:00-17:00 UTC
      channel          #platform-help
      escalation       platform-oncall
      template defects platform-team
      requests         open an issue with the label 'new-capability'
    "#);
}

#[test]
fn catalog_show_names_the_replacement_of_a_deprecated_template() {
    Test::golden_paths()
        .args(["catalog", "show", "flask-service"])
        .stdout_contains("deprecated")
        .stdout_contains("replacement: rust-service")
        .run();
}

#[test]
fn catalog_show_names_the_replacement_of_a_retired_template() {
    Test::golden_paths()
        .args(["catalog", "show", "express-service"])
        .stdout_contains("retired")
        .stdout_contains("replacement: node-service")
        .run();
}

#[test]
fn catalog_show_prints_the_support_promise_of_the_template() {
    let out = Test::golden_paths().args(["catalog", "show", "node-service"]).run();
    let support = out.stdout.split_once("Support:").map(|(_, s)| s).expect("a Support section");
    insta::assert_snapshot!(support, @"

    hours            best effort
    channel          #platform-web
    escalation       platform-oncall
    template defects platform-team
    requests         open an issue with the label 'new-capability'
    ");
}

#[test]
fn catalog_show_json_has_versions_questions_support_and_replacement() {
    let out = Test::golden_paths().args(["catalog", "show", "rust-service", "--json"]).stderr("").run();
    let show = json(&out.stdout);
    assert_eq!(show["name"], "rust-service");
    assert_eq!(show["versions"], serde_json::json!(["1.0.0", "1.1.0", "2.0.0-rc.1"]));
    assert_eq!(show["latest"], "1.1.0");
    assert_eq!(show["replacement"], serde_json::Value::Null);
    assert_eq!(show["support"]["channel"], "#platform-help");
    assert_eq!(show["support"]["escalation"], "platform-oncall");
    let questions = show["questions"].as_array().expect("questions");
    let names: Vec<&str> = questions.iter().map(|q| q["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["service_name", "team", "tier", "replicas", "database", "database_engine", "image", "api_token"],
        "questions in file order"
    );
    assert_eq!(questions[0]["type"], "string");
    assert_eq!(questions[0]["validate"], "^[a-z][a-z0-9-]{1,38}[a-z0-9]$");
    assert_eq!(questions[0]["required"], true);
    assert_eq!(questions[2]["choices"], serde_json::json!(["tier-1", "tier-2", "tier-3"]));
    assert_eq!(questions[2]["default"], "tier-2");
    assert_eq!(questions[5]["when"], "database");
    assert_eq!(questions[7]["secret"], true);
}

#[test]
fn catalog_show_json_names_the_replacement_of_a_retired_template() {
    let out = Test::golden_paths().args(["catalog", "show", "express-service", "--json"]).run();
    let show = json(&out.stdout);
    assert_eq!(show["maturity"], "retired");
    assert_eq!(show["replacement"], "node-service");
}

#[test]
fn catalog_show_version_shows_that_versions_questions() {
    let out = Test::golden_paths().args(["catalog", "show", "rust-service@1.0.0", "--json"]).run();
    let show = json(&out.stdout);
    assert_eq!(show["version"], "1.0.0");
    let names: Vec<&str> = show["questions"].as_array().unwrap().iter().map(|q| q["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["service_name"]);
}

#[test]
fn catalog_show_unknown_template_suggests_a_near_name() {
    Test::golden_paths()
        .args(["catalog", "show", "rust-servce"])
        .status(2)
        .stdout("")
        .stderr("error: unknown template `rust-servce`\nhint: did you mean `rust-service`? See `pave catalog list`\n")
        .run();
}

#[test]
fn catalog_show_retired_template_without_versions_names_its_replacement() {
    // Retired templates stay in the catalog after their files are gone: showing one must still
    // tell the user what replaced it.
    let out = Test::golden_paths()
        .template_entry(
            "name = \"java-service\"\ndescription = \"HTTP service in Java\"\nmaturity = \"retired\"\nowner = \"platform-team\"\nreplacement = \"rust-service\"\n",
        )
        .args(["catalog", "show", "java-service"])
        .stderr("")
        .run();
    assert!(out.stdout.contains("retired"), "{}", out.stdout);
    assert!(out.stdout.contains("replacement: rust-service"), "{}", out.stdout);
    assert!(out.stdout.contains("#platform-help"), "{}", out.stdout);
}

#[test]
fn catalog_list_shows_a_template_without_versions() {
    Test::golden_paths()
        .template_entry(
            "name = \"java-service\"\ndescription = \"HTTP service in Java\"\nmaturity = \"retired\"\nowner = \"platform-team\"\nreplacement = \"rust-service\"\n",
        )
        .args(["catalog", "list", "--all"])
        .stdout_contains(
            "java-service     retired       -           platform-team     HTTP service in Java (use rust-service)",
        )
        .run();
}
