//! Validation of every built-in template version: each one is rendered with the real `pave`
//! binary (fixture answers, plus one render per choice that changes the file set), then checked.
//!
//! - Rust-side checks, always, in seconds: YAML/JSON/TOML/HCL syntax, Kubernetes object
//!   structure and labels, `PromQL`, Rego policies (testdata and the rendered Terraform and
//!   manifests), cross-file consistency (owner, runbook anchors, metric names and the labels queries select,
//!   pinned actions).
//! - The real tools, installed by `scripts/setup-validators`: check-jsonschema, actionlint,
//!   zizmor, yamllint, kubernetes-validate, promtool, hadolint, shellcheck, python-hcl2 and the
//!   Backstage validator. A missing tool fails its test under `CI=true` and is skipped with a
//!   note otherwise.
//! - The generated applications build and pass their own tests (slow; one test per language).
//! - Upgrades from every released version to the latest, with local edits, end valid, and every
//!   upgraded project stays consistent across files (metrics, links, runbook sections).
//! - The overlays deploy the rules, the dashboard and the collector of each environment.
//!
//! Templates are discovered through `pave catalog list/show --json`: a new template or version is
//! validated with no change here.
#![allow(clippy::unwrap_used)]
// clippy.toml keeps std::fs inside src/fs/; the tests read rendered trees with std::fs on
// purpose, independently of the code under test.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
// Rendered paths are compared exactly as templates spell them (`.yaml`, `Dockerfile`).
#![allow(clippy::case_sensitive_file_extension_comparisons)]

mod apps;
mod catalog;
mod consistency;
mod deployed;
mod findings;
mod kubernetes;
mod labels;
mod metrics;
mod mutations;
mod pave;
mod policy;
mod promql;
mod render;
mod runbook;
mod syntax;
mod terraform;
mod tools;
mod tree;
mod upgrade;
mod workflows;
