//! The fixture catalogs most tests start from: `svc`, one template with a question of every
//! kind, and `golden_paths`, one template of every maturity. Tests that need something else
//! build it with the `Test` catalog helpers.

use crate::support::{Output, Test};

/// The header of every generated fixture catalog.toml: the catalog and its default support.
pub const CATALOG_HEADER: &str = r##"[catalog]
name = "Fixture golden paths"
owner = "platform-team"

[support]
hours = "Mon-Fri 09:00-17:00 UTC"
channel = "#platform-help"
escalation = "platform-oncall"
defects = "platform-team"
requests = "open an issue with the label 'new-capability'"
"##;

/// A manifest with one question of every kind SPEC.md shows: a validated required string,
/// a choice, a bounded int, a bool, a `when`-guarded choice, a Tera default and a secret.
pub const SVC_MANIFEST: &str = r#"[template]
description = "A small service"

[questions.service_name]
type = "string"
help = "Service name (lowercase letters, digits, dashes)"
validate = "^[a-z][a-z0-9-]{1,38}[a-z0-9]$"

[questions.team]
type = "string"
help = "Owning team"

[questions.tier]
type = "choice"
help = "Tier"
choices = ["tier-1", "tier-2", "tier-3"]
default = "tier-2"

[questions.replicas]
type = "int"
help = "Replicas"
default = 2
min = 1
max = 10

[questions.database]
type = "bool"
help = "Needs a database"
default = false

[questions.database_engine]
type = "choice"
choices = ["postgres", "mysql"]
default = "postgres"
when = "database"

[questions.image]
type = "string"
default = "ghcr.io/example/{{ service_name }}"

[questions.api_token]
type = "string"
secret = true
default = ""
"#;

/// The README of the `svc` fixture: every answer, one per line.
pub const SVC_README: &str = "# {{ service_name }}
team: {{ team }}
tier: {{ tier }}
replicas: {{ replicas }}
database: {{ database }}
engine: {{ database_engine }}
image: {{ image }}
";

/// A manifest with one required question.
pub const MINI_MANIFEST: &str = r#"[template]
description = "mini"

[questions.service_name]
type = "string"
help = "Service name"
"#;

/// A README naming the answer and the template version it came from.
pub const MINI_README: &str = "# {{ service_name }} ({{ template.name }} {{ template.version }})\n";

/// The answers every `svc` test must give.
pub const SVC_REQUIRED: [&str; 4] = ["-d", "service_name=payments", "-d", "team=team-payments"];

impl Test {
    /// A catalog with the `svc` template at 1.0.0 ([`SVC_MANIFEST`], a README).
    pub fn svc() -> Self {
        Self::new().template("svc", "stable").manifest("svc", "1.0.0", SVC_MANIFEST).file(
            "svc",
            "1.0.0",
            "README.md.tera",
            SVC_README,
        )
    }

    /// A catalog with one template of every maturity, in the spirit of the built-in one:
    /// `rust-service` (stable; 1.0.0, 1.1.0 with [`SVC_MANIFEST`], 2.0.0-rc.1), `node-service`
    /// (beta, its own support channel), `worker-job` (experimental), `flask-service` (deprecated
    /// for rust-service) and `express-service` (retired for node-service).
    pub fn golden_paths() -> Self {
        let mut t = Self::new()
            .template_entry(
                r#"name = "rust-service"
description = "HTTP service in Rust"
kind = "service"
maturity = "stable"
owner = "platform-team"
"#,
            )
            .template_entry(
                r##"name = "node-service"
description = "HTTP service in TypeScript"
kind = "service"
maturity = "beta"
owner = "platform-web"

[template.support]
channel = "#platform-web"
hours = "best effort"
"##,
            )
            .template_entry(
                r#"name = "worker-job"
description = "Scheduled job"
kind = "worker"
maturity = "experimental"
owner = "platform-team"
"#,
            )
            .template_entry(
                r#"name = "flask-service"
description = "HTTP service in Python on Flask"
kind = "service"
maturity = "deprecated"
owner = "platform-team"
replacement = "rust-service"
"#,
            )
            .template_entry(
                r#"name = "express-service"
description = "HTTP service on Express"
kind = "service"
maturity = "retired"
owner = "platform-web"
replacement = "node-service"
"#,
            );
        for (name, version) in [
            ("rust-service", "1.0.0"),
            ("rust-service", "2.0.0-rc.1"),
            ("node-service", "0.9.0"),
            ("worker-job", "0.1.0"),
            ("flask-service", "1.0.0"),
            ("express-service", "1.0.0"),
        ] {
            t = t.manifest(name, version, MINI_MANIFEST).file(name, version, "README.md.tera", MINI_README);
        }
        t.manifest("rust-service", "1.1.0", SVC_MANIFEST).file("rust-service", "1.1.0", "README.md.tera", SVC_README)
    }
}

// ---- `app`: two versions whose files cover every row of SPEC.md's upgrade table ----

/// The manifest of every `app` version: one required answer, `src/**` seeded.
pub const APP_MANIFEST: &str = r#"[template]
description = "An app whose files cover every row of the upgrade table"

[questions.service_name]
type = "string"
help = "Service name"

[files]
seed = ["src/**"]
"#;

/// `config/app.yaml` at 1.0.0: the file both sides change.
pub const APP_CONFIG_V1: &str = "name: app\nport: 8080\nlog: info\nreplicas: 2\ntimeout: 30\nretries: 3\nowner: team\n";
/// `config/app.yaml` at 2.0.0: `port` changed, `metrics` appended.
pub const APP_CONFIG_V2: &str =
    "name: app\nport: 9090\nlog: info\nreplicas: 2\ntimeout: 30\nretries: 3\nowner: team\nmetrics: true\n";
/// `logo.png` at 1.0.0 (binary: a NUL, not UTF-8).
pub const LOGO_V1: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR version one \xff\xfe";
/// `logo.png` at 2.0.0.
pub const LOGO_V2: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR version two \xff\xfe";
/// `docs/guide.md`, the same in both versions.
pub const APP_GUIDE: &str = "# Guide\n\nThe template never changes this file.\n";
/// `legacy/tools/old.txt`, only in 1.0.0.
pub const APP_LEGACY: &str = "a legacy tool\nsecond line\n";
/// `lines.txt` at 1.0.0, for line-ending tests.
pub const APP_LINES_V1: &str = "l1\nl2\nl3\nl4\nl5\nl6\n";
/// `lines.txt` at 2.0.0.
pub const APP_LINES_V2: &str = "l1\nL2 from the template\nl3\nl4\nl5\nl6\n";

impl Test {
    /// A catalog with `app` at 1.0.0 and 2.0.0, whose files cover SPEC.md's upgrade table:
    /// `README.md` changed; `src/main.rs` changed but seeded; `docs/guide.md` unchanged;
    /// `config/app.yaml` changed on two separate lines; `legacy/tools/old.txt` removed;
    /// `added.txt` added; `logo.png` a changed binary; `run.sh` changed and made executable;
    /// `tool.sh` executable in both, changed; `lines.txt` changed on its second line.
    pub fn app() -> Self {
        let mut t = Self::new().template("app", "stable");
        for (version, n, config, logo, lines) in [
            ("1.0.0", "one", APP_CONFIG_V1, LOGO_V1, APP_LINES_V1),
            ("2.0.0", "two", APP_CONFIG_V2, LOGO_V2, APP_LINES_V2),
        ] {
            let script = format!("#!/bin/sh\necho {n}\n# a\n# b\n# c\n# d\n");
            t = t
                .manifest("app", version, APP_MANIFEST)
                .file("app", version, "README.md.tera", format!("# {{{{ service_name }}}}\n\nversion {n}\n"))
                .file("app", version, "src/main.rs.tera", format!("// {{{{ service_name }}}} {n}\nfn main() {{}}\n"))
                .file("app", version, "docs/guide.md", APP_GUIDE)
                .file("app", version, "config/app.yaml", config)
                .file("app", version, "logo.png", logo)
                .file("app", version, "run.sh", &script)
                .file("app", version, "tool.sh", &script)
                .file("app", version, "lines.txt", lines)
                .chmod(&format!("{}/files/run.sh", Self::version_dir("app", version)), 0o644)
                .chmod(&format!("{}/files/tool.sh", Self::version_dir("app", version)), 0o755);
        }
        t.file("app", "1.0.0", "legacy/tools/old.txt", APP_LEGACY)
            .file("app", "2.0.0", "added.txt", "added in 2.0.0\n")
            .chmod(&format!("{}/files/run.sh", Self::version_dir("app", "2.0.0")), 0o755)
    }

    /// `pave new app@1.0.0 proj -d service_name=payments`: a git repository with one commit.
    pub fn app_project() -> Output {
        Self::app().args(["new", "app@1.0.0", "proj", "-d", "service_name=payments"]).run()
    }
}

// ---- `mig`: three versions with migrations ----

/// `docs/RUNBOOK.md` of `mig` 1.0.0 (moved to docs/runbook.md by 2.0.0, docs/operations.md by 3.0.0).
pub const MIG_RUNBOOK: &str = "# Runbook\n\n## Rollback\n\nkubectl rollout undo\n\n## Escalation\n\npage the team\n";

impl Test {
    /// A catalog with `mig` at 1.0.0, 2.0.0 and 3.0.0. 2.0.0 renames the answer `region` to
    /// `aws_region` and the file `docs/RUNBOOK.md` to `docs/runbook.md`; 3.0.0 renames
    /// `aws_region` to `cloud_region` and `docs/runbook.md` to `docs/operations.md` (adding a
    /// section at its end), and adds the question `port` (default 8080).
    pub fn migrating() -> Self {
        let q = |name: &str| format!("[questions.{name}]\ntype = \"string\"\nhelp = \"{name}\"\n");
        let v1 = format!("[template]\n\n{}\n{}", q("service_name"), q("region"));
        let v2 = format!(
            "[template]\n\n{}\n{}\n[[migrations]]\nversion = \"2.0.0\"\nrename_answers = {{ region = \"aws_region\" }}\nrename_files = {{ \"docs/RUNBOOK.md\" = \"docs/runbook.md\" }}\n",
            q("service_name"),
            q("aws_region")
        );
        let v3 = format!(
            "[template]\n\n{}\n{}\n[questions.port]\ntype = \"int\"\ndefault = 8080\n\n[[migrations]]\nversion = \"3.0.0\"\nrename_answers = {{ aws_region = \"cloud_region\" }}\nrename_files = {{ \"docs/runbook.md\" = \"docs/operations.md\" }}\n",
            q("service_name"),
            q("cloud_region")
        );
        Self::new()
            .template("mig", "stable")
            .manifest("mig", "1.0.0", &v1)
            .file("mig", "1.0.0", "region.txt.tera", "region={{ region }}\n")
            .file("mig", "1.0.0", "docs/RUNBOOK.md", MIG_RUNBOOK)
            .manifest("mig", "2.0.0", &v2)
            .file("mig", "2.0.0", "region.txt.tera", "aws_region={{ aws_region }}\n")
            .file("mig", "2.0.0", "docs/runbook.md", MIG_RUNBOOK)
            .manifest("mig", "3.0.0", &v3)
            .file("mig", "3.0.0", "region.txt.tera", "cloud_region={{ cloud_region }}\nport={{ port }}\n")
            .file("mig", "3.0.0", "docs/operations.md", format!("{MIG_RUNBOOK}\n## Dashboards\n\nsee grafana\n"))
    }
}

// ---- `paved`: a template with a golden-path contract for `pave check` ----

/// The manifest of `paved` 1.0.0: enforced files and the `[checks]` of SPEC.md.
pub const PAVED_MANIFEST: &str = r#"[template]
description = "A service with a golden-path contract"

[questions.service_name]
type = "string"
help = "Service name"

[questions.team]
type = "string"
help = "Owning team"

[files]
seed = ["src/**"]
enforced = [".github/workflows/ci.yml", "policy/**"]

[checks]
required_files = ["CODEOWNERS", "catalog-info.yaml", "docs/runbook.md"]
required_sections = { "docs/runbook.md" = ["Rollback", "Escalation"] }
"#;

/// Backstage metadata naming the owner, the lifecycle that matches the template's maturity, and
/// the template and version it came from.
pub const PAVED_CATALOG_INFO: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {{ service_name }}
  annotations:
    pave.dev/template: {{ template.name }}
    pave.dev/template-version: "{{ template.version }}"
spec:
  type: service
  owner: {{ team }}
  lifecycle: {% if template.maturity == "stable" %}production{% elif template.maturity == "deprecated" or template.maturity == "retired" %}deprecated{% else %}experimental{% endif %}
"#;

/// The enforced CI workflow of `paved`.
pub const PAVED_CI: &str =
    "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n";

impl Test {
    /// A catalog with `paved` 1.0.0 (stable), whose manifest has `[checks]` and `[files] enforced`,
    /// and a second template `paved-next` to name as a replacement.
    pub fn paved() -> Self {
        Self::new()
            .template("paved", "stable")
            .template("paved-next", "stable")
            .manifest("paved-next", "1.0.0", MINI_MANIFEST)
            .file("paved-next", "1.0.0", "README.md.tera", MINI_README)
            .manifest("paved", "1.0.0", PAVED_MANIFEST)
            .file("paved", "1.0.0", "CODEOWNERS.tera", "* @example/{{ team }}\n")
            .file("paved", "1.0.0", "catalog-info.yaml.tera", PAVED_CATALOG_INFO)
            .file(
                "paved",
                "1.0.0",
                "docs/runbook.md.tera",
                "# Runbook\n\n## Rollback\n\nkubectl rollout undo deployment/{{ service_name }}\n\n## Escalation\n\npage {{ team }}\n",
            )
            .file("paved", "1.0.0", ".github/workflows/ci.yml", PAVED_CI)
            .file("paved", "1.0.0", "policy/tags.rego", "package tags\n\ndefault allow := false\n")
            .file("paved", "1.0.0", "src/main.rs", "fn main() {}\n")
    }

    /// `pave new paved proj` for team-payments.
    pub fn paved_project() -> Output {
        Self::paved().args(["new", "paved", "proj", "-d", "service_name=payments", "-d", "team=team-payments"]).run()
    }
}
