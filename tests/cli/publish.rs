//! `pave catalog publish`: the catalog as pages, checked as a reader sees them — the HTML opened
//! in headless Chromium, which must render it without errors, and a screenshot taken.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::Test;

/// Headless Chromium, or `None` (a failure under CI=true, where setup-validators installs it).
fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.exists());
    if found.is_none() {
        assert!(std::env::var("CI").is_err(), "chromium is missing under CI: scripts/setup-validators installs it");
        eprintln!(
            "note: chromium is not installed; the browser check is skipped (scripts/setup-validators installs it)"
        );
    }
    found
}

/// Renders `page` in headless Chromium into `png`; returns Chromium's log.
fn screenshot(page: &Path, png: &Path, profile: &Path) -> String {
    let out = Command::new(chromium().expect("checked by the caller"))
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,1800",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed: {log}");
    log
}

/// Keeps a copy of a screenshot where a human can look at it after the run.
fn keep(png: &Path, name: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(png, dir.join(name)).unwrap();
}

fn assert_png(png: &Path) {
    let bytes = std::fs::read(png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(bytes.len() > 20_000, "a blank page? only {} bytes", bytes.len());
}

/// Opens `page` in headless Chromium (when it is installed): no console error, and a screenshot
/// that is not blank, kept as `name`.
pub fn check_in_chromium(page: &Path, sandbox: &crate::sandbox::Sandbox, name: &str) {
    if chromium().is_none() {
        return;
    }
    let png = sandbox.path(name);
    let log = screenshot(page, &png, &sandbox.path("chrome-profile"));
    assert!(!log.contains("CONSOLE") && !log.contains("Uncaught"), "the page logged errors:\n{log}");
    assert_png(&png);
    keep(&png, name);
}

#[test]
fn catalog_publish_html_is_self_contained_and_renders_in_chromium() {
    let out =
        Test::new().args(["catalog", "publish", "--out", "site"]).stderr_contains("Published 6 golden paths").run();
    let html = out.read("site/index.html");
    for name in ["rust-axum-service", "python-fastapi-service", "node-ts-service", "worker-job", "python-flask-service"]
    {
        assert!(html.contains(&format!("<h2 id=\"{name}\">")), "{name} has no section");
    }
    assert!(html.contains("EXPERIMENTAL — opt-in only"), "experimental paths are clearly marked");
    assert!(html.contains("Retirement list") && html.contains("node-express-service"), "retired paths are listed");
    assert!(html.contains("#platform-help"), "the support promise is shown");
    // Self-contained: nothing the browser would fetch.
    for fetch in ["<script", "<link", " src=", "@import", "url("] {
        assert!(!html.contains(fetch), "the page loads something: {fetch}");
    }
    if chromium().is_none() {
        return;
    }
    let png = out.sandbox.path("catalog.png");
    let log = screenshot(&out.sandbox.path("site/index.html"), &png, &out.sandbox.path("chrome-profile"));
    assert!(!log.contains("CONSOLE") && !log.contains("Uncaught"), "the page logged errors:\n{log}");
    assert_png(&png);
    keep(&png, "catalog.png");
}

#[test]
fn catalog_publish_markdown_lists_versions_changes_and_retirements() {
    let out = Test::new().args(["catalog", "publish", "--out", "site", "--format", "md"]).run();
    let md = out.read("site/README.md");
    assert!(md.contains("| [rust-axum-service](#rust-axum-service) | stable |"), "{md}");
    assert!(
        md.contains(
            "- **Versions:** 1.0.0 (released 2026-11-29), 1.1.0 (released 2026-11-29), 2.0.0 (released 2026-11-29)"
        ),
        "every version is listed with its release date"
    );
    assert!(md.contains("#### 2.0.0 — released 2026-11-29"), "each version has its changes");
    assert!(md.contains("## Retirement list\n\n- **node-express-service** — use node-ts-service"), "{md}");
    assert!(
        md.contains("Replacement: [python-fastapi-service](#python-fastapi-service)"),
        "deprecated names its replacement"
    );
    let mtimes = out.mtimes("site");
    assert_eq!(mtimes.len(), 1, "{mtimes:?}");
    let out = out
        .then()
        .args(["catalog", "publish", "--out", "site", "--format", "md"])
        .stderr_contains("already holds these")
        .run();
    assert_eq!(out.mtimes("site"), mtimes, "publishing the same catalog again writes nothing");
}

#[test]
fn fleet_status_html_renders_in_chromium() {
    let out = Test::new()
        .args([
            "new",
            "rust-axum-service@1.0.0",
            "fleet/a",
            "--no-input",
            "-d",
            "service_name=pay",
            "-d",
            "team=team-a",
        ])
        .run()
        .then()
        .args(["fleet", "status", "fleet", "--html", "status.html"])
        .stderr_contains("Wrote status.html")
        .run();
    let html = out.read("status.html");
    assert!(html.contains("<svg") && html.contains("Adoption per template"), "charts are inline SVG");
    assert!(!html.contains("http://") && !html.contains("https://"), "no network reference");
    if chromium().is_none() {
        return;
    }
    let png = out.sandbox.path("status.png");
    let log = screenshot(&out.sandbox.path("status.html"), &png, &out.sandbox.path("chrome-profile"));
    assert!(!log.contains("CONSOLE") && !log.contains("Uncaught"), "the page logged errors:\n{log}");
    assert_png(&png);
    keep(&png, "fleet-status.png");
}
