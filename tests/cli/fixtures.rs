//! The fixture catalogs most tests start from: `svc`, one template with a question of every
//! kind, and `golden_paths`, one template of every maturity. Tests that need something else
//! build it with the `Test` catalog helpers.

use crate::support::Test;

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
