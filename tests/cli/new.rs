//! `pave new`: answers from `-d`, data files, defaults and `--no-input`, their validation, `when`,
//! secrets, maturity rules and version selection.

use crate::fixtures::SVC_REQUIRED;
use crate::support::Test;

/// The `[answers]` table of a generated project's .pave.toml.
fn recorded_answers(out: &crate::support::Output, dest: &str) -> toml::Table {
    let text = out.read(&format!("{dest}/.pave.toml"));
    let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
    doc["answers"].as_table().expect("[answers]").clone()
}

#[test]
fn new_renders_the_template_with_answers_from_data_flags() {
    let out = Test::svc()
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .args(["-d", "tier=tier-1", "-d", "replicas=3"])
        .stdout("")
        .stderr(
            "Created out from svc 1.0.0: 2 files, first commit [COMMIT].\n  cd out\nSupport: #platform-help (Mon-Fri 09:00-17:00 UTC), escalation: platform-oncall.\n",
        )
        .run();
    assert_eq!(
        out.read("out/README.md"),
        "# payments\nteam: team-payments\ntier: tier-1\nreplicas: 3\ndatabase: false\nengine: postgres\nimage: ghcr.io/example/payments\n"
    );
}

#[test]
fn new_without_dest_creates_a_directory_named_after_the_service() {
    let out =
        Test::svc().args(["new", "svc"]).args(SVC_REQUIRED).stderr_contains("Created payments from svc 1.0.0").run();
    assert!(out.exists("payments/README.md"));
}

#[test]
fn new_data_file_toml_answers_questions_with_types() {
    let out = Test::svc()
        .write(
            "answers.toml",
            "service_name = \"payments\"\nteam = \"team-payments\"\nreplicas = 4\ndatabase = true\ndatabase_engine = \"mysql\"\n",
        )
        .args(["new", "svc", "out", "--data-file", "answers.toml"])
        .run();
    let answers = recorded_answers(&out, "out");
    assert_eq!(answers["service_name"].as_str(), Some("payments"));
    assert_eq!(answers["replicas"].as_integer(), Some(4));
    assert_eq!(answers["database"].as_bool(), Some(true));
    assert_eq!(answers["database_engine"].as_str(), Some("mysql"));
    assert!(out.read("out/README.md").contains("engine: mysql\n"));
}

#[test]
fn new_data_file_yaml_answers_questions_with_types() {
    let out = Test::svc()
        .write("answers.yaml", "service_name: payments\nteam: team-payments\nreplicas: 5\ndatabase: true\n")
        .args(["new", "svc", "out", "--data-file", "answers.yaml"])
        .run();
    let answers = recorded_answers(&out, "out");
    assert_eq!(answers["team"].as_str(), Some("team-payments"));
    assert_eq!(answers["replicas"].as_integer(), Some(5));
    assert_eq!(answers["database"].as_bool(), Some(true));
    assert!(out.read("out/README.md").contains("replicas: 5\n"));
}

#[test]
fn new_data_file_json_answers_questions_with_types() {
    let out = Test::svc()
        .write(
            "answers.json",
            r#"{"service_name": "payments", "team": "team-payments", "replicas": 6, "tier": "tier-3"}"#,
        )
        .args(["new", "svc", "out", "--data-file", "answers.json"])
        .run();
    let answers = recorded_answers(&out, "out");
    assert_eq!(answers["replicas"].as_integer(), Some(6));
    assert_eq!(answers["tier"].as_str(), Some("tier-3"));
}

#[test]
fn new_data_flag_overrides_the_data_file() {
    let out = Test::svc()
        .write("answers.json", r#"{"service_name": "payments", "team": "team-a"}"#)
        .args(["new", "svc", "out", "--data-file", "answers.json", "-d", "team=team-b"])
        .run();
    assert_eq!(recorded_answers(&out, "out")["team"].as_str(), Some("team-b"));
}

#[test]
fn new_data_file_invalid_answer_is_refused() {
    let out = Test::svc()
        .write("answers.yaml", "service_name: payments\nteam: team-payments\nreplicas: 50\n")
        .args(["new", "svc", "out", "--data-file", "answers.yaml"])
        .status(2)
        .stderr_contains("invalid answer for `replicas`")
        .stderr_contains("a whole number from 1 to 10")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_malformed_data_file_names_the_file_and_line() {
    Test::svc()
        .write("answers.toml", "service_name = \"payments\"\nteam = \n")
        .args(["new", "svc", "out", "--data-file", "answers.toml"])
        .status(2)
        .stderr_contains("answers.toml:2:8:")
        .run();
}

#[test]
fn new_defaults_takes_the_default_of_every_unanswered_question() {
    let out = Test::svc().args(["new", "svc", "out", "--defaults"]).args(SVC_REQUIRED).run();
    let answers = recorded_answers(&out, "out");
    assert_eq!(answers["tier"].as_str(), Some("tier-2"));
    assert_eq!(answers["replicas"].as_integer(), Some(2));
    assert_eq!(answers["database"].as_bool(), Some(false));
    assert_eq!(answers["image"].as_str(), Some("ghcr.io/example/payments"));
}

#[test]
fn new_no_input_missing_required_answer_names_the_question() {
    let out = Test::svc()
        .args(["new", "svc", "out", "--no-input", "-d", "service_name=payments"])
        .status(2)
        .stdout("")
        .stderr(
            "error: missing answer for `team` (Owning team): it has no default and prompts are off\nhint: pass -d team=VALUE (prompts are off: no terminal, or --no-input)\n",
        )
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_without_a_terminal_never_prompts() {
    // stdin is a pipe with an answer in it: pave must not read it as a prompt's answer.
    let out = Test::svc()
        .args(["new", "svc", "out", "-d", "service_name=payments"])
        .stdin("team-from-stdin\n")
        .status(2)
        .stdout("")
        .stderr(
            "error: missing answer for `team` (Owning team): it has no default and prompts are off\nhint: pass -d team=VALUE (prompts are off: no terminal, or --no-input)\n",
        )
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_without_a_terminal_takes_defaults_silently() {
    let out = Test::svc()
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .stdin("tier-3\n")
        .stderr(
            "Created out from svc 1.0.0: 2 files, first commit [COMMIT].\n  cd out\nSupport: #platform-help (Mon-Fri 09:00-17:00 UTC), escalation: platform-oncall.\n",
        )
        .run();
    assert_eq!(recorded_answers(&out, "out")["tier"].as_str(), Some("tier-2"));
}

#[test]
fn new_invalid_answer_names_the_question_and_its_regex() {
    let out = Test::svc()
        .args(["new", "svc", "out", "-d", "service_name=Payments_API", "-d", "team=t"])
        .status(2)
        .stdout("")
        .run();
    insta::assert_snapshot!(out.stderr, @r#"
    error: invalid answer for `service_name`: "Payments_API"
      rule: ^[a-z][a-z0-9-]{1,38}[a-z0-9]$ (Service name (lowercase letters, digits, dashes))
    hint: for example -d service_name=payments-api
    "#);
    assert!(!out.exists("out"));
}

#[test]
fn new_invalid_choice_names_the_question_and_the_choices() {
    Test::svc()
        .args(["new", "svc", "out", "-d", "tier=gold"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("invalid answer for `tier`: \"gold\"")
        .stderr_contains("one of: tier-1, tier-2, tier-3")
        .run();
}

#[test]
fn new_int_out_of_bounds_names_the_question_and_the_bounds() {
    Test::svc()
        .args(["new", "svc", "out", "-d", "replicas=11"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("invalid answer for `replicas`: \"11\"")
        .stderr_contains("a whole number from 1 to 10")
        .run();
}

#[test]
fn new_int_that_is_not_a_number_is_refused() {
    Test::svc()
        .args(["new", "svc", "out", "-d", "replicas=three"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("invalid answer for `replicas`: \"three\"")
        .stderr_contains("a whole number")
        .run();
}

#[test]
fn new_bool_answer_must_be_yes_or_no() {
    Test::svc()
        .args(["new", "svc", "out", "-d", "database=maybe"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("invalid answer for `database`: \"maybe\"")
        .stderr_contains("true or false")
        .run();
}

#[test]
fn new_bool_accepts_yes() {
    let out = Test::svc().args(["new", "svc", "out", "-d", "database=yes"]).args(SVC_REQUIRED).run();
    assert_eq!(recorded_answers(&out, "out")["database"].as_bool(), Some(true));
}

#[test]
fn new_unknown_data_key_suggests_the_near_question() {
    let out = Test::svc()
        .args(["new", "svc", "out", "-d", "servce_name=payments", "-d", "team=t"])
        .status(2)
        .stdout("")
        .stderr("error: unknown question `servce_name` in -d\nhint: did you mean `service_name`?\n")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_data_flag_without_equals_is_a_usage_error() {
    Test::svc()
        .args(["new", "svc", "out", "-d", "service_name"])
        .status(2)
        .stderr_contains("`-d service_name` is not KEY=VALUE")
        .run();
}

#[test]
fn new_default_is_tera_over_earlier_answers() {
    let out = Test::svc().args(["new", "svc", "out", "-d", "service_name=billing", "-d", "team=t"]).run();
    assert_eq!(recorded_answers(&out, "out")["image"].as_str(), Some("ghcr.io/example/billing"));
    assert!(out.read("out/README.md").contains("image: ghcr.io/example/billing\n"));
}

#[test]
fn new_when_false_skips_the_question_and_does_not_record_it() {
    let out = Test::svc().args(["new", "svc", "out", "-d", "database=false"]).args(SVC_REQUIRED).run();
    let answers = recorded_answers(&out, "out");
    assert!(!answers.contains_key("database_engine"), "a skipped question is not recorded: {answers:?}");
    // In rendering a skipped question takes its default.
    assert!(out.read("out/README.md").contains("engine: postgres\n"));
}

#[test]
fn new_when_true_asks_and_records_the_question() {
    let out = Test::svc()
        .args(["new", "svc", "out", "-d", "database=true", "-d", "database_engine=mysql"])
        .args(SVC_REQUIRED)
        .run();
    assert_eq!(recorded_answers(&out, "out")["database_engine"].as_str(), Some("mysql"));
}

#[test]
fn new_skipped_question_without_default_renders_empty() {
    let out = Test::new()
        .template("svc", "stable")
        .manifest(
            "svc",
            "1.0.0",
            "[template]\n[questions.database]\ntype = \"bool\"\ndefault = false\n[questions.db_name]\ntype = \"string\"\nwhen = \"database\"\n",
        )
        .file("svc", "1.0.0", "db.txt.tera", "db=[{{ db_name }}]\n")
        .args(["new", "svc", "out", "--no-input"])
        .run();
    assert_eq!(out.read("out/db.txt"), "db=[]\n");
    assert!(!recorded_answers(&out, "out").contains_key("db_name"));
}

#[test]
fn new_secret_answer_renders_but_is_never_recorded() {
    let out = Test::svc()
        .file("svc", "1.0.0", "config/token.txt.tera", "token={{ api_token }}\n")
        .args(["new", "svc", "out", "-d", "api_token=s3cr3t-t0ken"])
        .args(SVC_REQUIRED)
        .run();
    assert_eq!(out.read("out/config/token.txt"), "token=s3cr3t-t0ken\n");
    let record = out.read("out/.pave.toml");
    assert!(!record.contains("s3cr3t-t0ken"), "{record}");
    assert!(!record.contains("api_token"), "{record}");
    assert!(!out.stderr.contains("s3cr3t-t0ken"));
}

#[test]
fn new_experimental_template_is_refused_without_allow_experimental() {
    let out = Test::golden_paths()
        .args(["new", "worker-job", "out", "-d", "service_name=nightly"])
        .status(2)
        .stdout("")
        .stderr(
            "error: template `worker-job` is experimental: it may change or disappear without notice\nhint: pass --allow-experimental to use it anyway\n",
        )
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_experimental_template_is_created_with_allow_experimental() {
    let out = Test::golden_paths()
        .args(["new", "worker-job", "out", "--allow-experimental", "-d", "service_name=nightly"])
        .stderr_contains("Created out from worker-job 0.1.0")
        .run();
    assert_eq!(out.read("out/README.md"), "# nightly (worker-job 0.1.0)\n");
}

#[test]
fn new_deprecated_template_warns_naming_the_replacement() {
    let out = Test::golden_paths().args(["new", "flask-service", "out", "-d", "service_name=legacy"]).stdout("").run();
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("warning: flask-service is deprecated") && first.contains("rust-service"),
        "{}",
        out.stderr
    );
    assert!(out.exists("out/README.md"));
}

#[test]
fn new_retired_template_is_refused_naming_the_replacement() {
    let out = Test::golden_paths()
        .args(["new", "express-service", "out", "-d", "service_name=legacy"])
        .status(2)
        .stdout("")
        .stderr_contains("error: template `express-service` is retired: use `node-service` instead")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_picks_the_latest_released_version_never_a_prerelease() {
    let out = Test::golden_paths()
        .args(["new", "rust-service", "out", "-d", "service_name=payments", "-d", "team=t"])
        .stderr_contains("from rust-service 1.1.0")
        .run();
    assert!(out.read("out/.pave.toml").contains("version = \"1.1.0\""));
}

#[test]
fn new_uses_a_prerelease_when_asked_for_exactly() {
    let out = Test::golden_paths()
        .args(["new", "rust-service@2.0.0-rc.1", "out", "-d", "service_name=payments"])
        .stderr_contains("from rust-service 2.0.0-rc.1")
        .run();
    assert!(out.read("out/.pave.toml").contains("version = \"2.0.0-rc.1\""));
    assert_eq!(out.read("out/README.md"), "# payments (rust-service 2.0.0-rc.1)\n");
}

#[test]
fn new_uses_an_older_version_when_asked() {
    let out = Test::golden_paths().args(["new", "rust-service@1.0.0", "out", "-d", "service_name=payments"]).run();
    assert_eq!(out.read("out/README.md"), "# payments (rust-service 1.0.0)\n");
}

#[test]
fn new_unknown_template_suggests_a_near_miss() {
    let out = Test::golden_paths()
        .args(["new", "rust-servise", "out"])
        .status(2)
        .stdout("")
        .stderr("error: unknown template `rust-servise`\nhint: did you mean `rust-service`? See `pave catalog list`\n")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_unknown_template_without_near_miss_points_to_the_list() {
    Test::golden_paths()
        .args(["new", "cobol-mainframe", "out"])
        .status(2)
        .stderr_contains("error: unknown template `cobol-mainframe`")
        .stderr_contains("pave catalog list")
        .stderr_lacks("did you mean")
        .run();
}

#[test]
fn new_unknown_version_lists_the_available_versions() {
    let out = Test::golden_paths()
        .args(["new", "rust-service@3.0.0", "out"])
        .status(2)
        .stdout("")
        .stderr("error: template `rust-service` has no version `3.0.0`\nhint: available: 1.0.0, 1.1.0, 2.0.0-rc.1; see `pave catalog show rust-service`\n")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_without_template_and_without_terminal_is_a_usage_error() {
    Test::golden_paths()
        .args(["new"])
        .status(2)
        .stderr_contains("no template given")
        .stderr_contains("pave catalog list")
        .run();
}

#[test]
fn new_template_with_only_prereleases_asks_for_an_exact_version() {
    Test::new()
        .template("next", "beta")
        .manifest("next", "2.0.0-rc.1", "[template]\n")
        .args(["new", "next", "out"])
        .status(2)
        .stderr_contains("template `next` has no released version")
        .stderr_contains("@VERSION")
        .run();
}

#[test]
fn new_data_file_key_that_is_not_a_question_is_a_warning() {
    let out = Test::svc()
        .write("answers.yaml", "service_name: payments\nteam: team-payments\nregion: eu-west-1\n")
        .args(["new", "svc", "out", "--data-file", "answers.yaml"])
        .stderr_contains("warning: `region` in answers.yaml is not a question of svc; ignored")
        .run();
    assert!(!out.read("out/.pave.toml").contains("region"));
}

#[test]
fn new_multichoice_takes_a_comma_separated_list() {
    let out = Test::new()
        .template("svc", "stable")
        .manifest(
            "svc",
            "1.0.0",
            "[template]\n[questions.features]\ntype = \"multichoice\"\nchoices = [\"metrics\", \"tracing\", \"queue\"]\ndefault = []\n",
        )
        .file("svc", "1.0.0", "f.txt.tera", "{{ features | join(sep=\"+\") }}\n")
        .args(["new", "svc", "out", "-d", "features=metrics,queue"])
        .run();
    assert_eq!(out.read("out/f.txt"), "metrics+queue\n");
    assert!(
        out.read("out/.pave.toml").contains("features = [\"metrics\", \"queue\"]"),
        "{}",
        out.read("out/.pave.toml")
    );
}

#[test]
fn new_multichoice_item_outside_the_choices_is_refused() {
    Test::new()
        .template("svc", "stable")
        .manifest(
            "svc",
            "1.0.0",
            "[template]\n[questions.features]\ntype = \"multichoice\"\nchoices = [\"metrics\", \"tracing\"]\n",
        )
        .args(["new", "svc", "out", "-d", "features=metrics,kafka"])
        .status(2)
        .stderr_contains("invalid answer for `features`: \"kafka\"")
        .stderr_contains("metrics, tracing")
        .run();
}

#[test]
fn new_quiet_prints_nothing_but_warnings() {
    Test::golden_paths()
        .args(["-q", "new", "flask-service", "out", "-d", "service_name=legacy"])
        .stdout("")
        .stderr("warning: flask-service is deprecated: new projects should use rust-service (pave new rust-service)\n")
        .run();
}

#[test]
fn new_without_dest_or_service_name_uses_the_template_name() {
    let out = Test::new()
        .template("docs-site", "stable")
        .manifest("docs-site", "1.0.0", "[template]\n")
        .file("docs-site", "1.0.0", "index.md", "# Docs\n")
        .args(["new", "docs-site"])
        .run();
    assert_eq!(out.read("docs-site/index.md"), "# Docs\n");
}
