//! The generated application of every template version builds and passes its own tests, the way
//! its own CI would run them. Slow (dependencies are fetched and compiled), so one test per
//! language, with the time of each step printed:
//! - Rust: `cargo fmt --check`, `cargo clippy --locked --all-targets -D warnings`, `cargo test
//!   --locked`, all renders sharing one `CARGO_TARGET_DIR` (target/golden-apps/target);
//! - Python: a venv per template version under tests/validators/.app-venvs, with the rendered
//!   lockfile installed (hashes checked when it has them) on a Python that meets
//!   `requires-python`, then `ruff check` and `ruff format --check` (when the lock installs ruff)
//!   and `python -m pytest`;
//! - Node: `npm ci`, then the `typecheck`, `lint`, `build` and `test` scripts it defines.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::catalog::TemplateVersion;
use crate::findings::Findings;
use crate::pave;
use crate::render::{fixture_answers, render};
use crate::tools;
use crate::tree::Tree;

/// target/golden-apps: rendered projects and the shared cargo target dir.
fn apps_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("golden-apps")
}

/// A fresh render of `tv` with the fixture answers, at a stable path (so incremental builds and
/// installed dependencies are reused between runs).
fn fresh_project(tv: &'static TemplateVersion) -> Result<Tree, String> {
    let dir = apps_dir().join("projects").join(tv.id());
    let answers = fixture_answers(tv);
    render(tv, &answers, &dir)?;
    Ok(Tree::new(tv, "", answers, dir))
}

/// The template versions whose rendered tree has `marker` at its root.
fn versions_with(marker: &str) -> Vec<&'static TemplateVersion> {
    crate::render::trees().iter().filter(|t| t.label == t.template.id() && t.has(marker)).map(|t| t.template).collect()
}

/// Runs one step in `dir`, printing its duration; Err carries the command's output.
fn step(label: &str, what: &str, cmd: &mut Command) -> Result<(), String> {
    let started = Instant::now();
    let result = tools::run(cmd);
    eprintln!("{label}: {what}: {} in {:.1?}", if result.is_ok() { "ok" } else { "FAILED" }, started.elapsed());
    result.map(|_| ()).map_err(|e| format!("{what} failed:\n{}", tail(&e, 150)))
}

/// The last `n` lines of a long output.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= n {
        text.to_string()
    } else {
        format!("[... {} lines]\n{}", lines.len() - n, lines[lines.len() - n..].join("\n"))
    }
}

/// A command for the generated project, without the outer `cargo test`'s CARGO_* variables.
fn project_command(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
    let mut cmd = pave::scrubbed(program);
    cmd.current_dir(dir);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if (key.starts_with("CARGO_") && key != "CARGO_HOME") || key.starts_with("RUSTC") || key == "RUSTFLAGS" {
            cmd.env_remove(&key);
        }
    }
    // The user's cargo and rustup homes stay where they are (HOME is scrubbed).
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        cmd.env("CARGO_HOME", std::env::var_os("CARGO_HOME").map_or_else(|| home.join(".cargo"), PathBuf::from));
        cmd.env("RUSTUP_HOME", std::env::var_os("RUSTUP_HOME").map_or_else(|| home.join(".rustup"), PathBuf::from));
        cmd.env("npm_config_cache", home.join(".npm"));
        cmd.env("PIP_CACHE_DIR", home.join(".cache/pip"));
    }
    cmd
}

/// Runs `build` for every version, collecting failures.
fn each_app(language: &'static str, marker: &str, build: impl Fn(&Tree) -> Result<(), String>) {
    let versions = versions_with(marker);
    let mut findings = Findings::new(language);
    if versions.is_empty() {
        eprintln!("{language}: no template version renders {marker}");
    }
    for tv in versions {
        findings.tree();
        findings.checked();
        let started = Instant::now();
        let project = match fresh_project(tv) {
            Ok(p) => p,
            Err(e) => {
                findings.fail_general(format!("{}: cannot render: {e}", tv.id()));
                continue;
            }
        };
        if let Err(e) = build(&project) {
            findings.fail(&project, marker, e);
        }
        eprintln!("{language}: {} done in {:.1?}", tv.id(), started.elapsed());
    }
    findings.finish();
}

#[test]
fn generated_rust_apps_build_lint_and_pass_their_tests() {
    let Some(cargo) = tools::require("cargo", "generated Rust apps") else { return };
    let target = apps_dir().join("target");
    each_app("generated Rust app (cargo)", "Cargo.toml", |p| {
        let cmd = |args: &[&str]| {
            let mut c = project_command(&cargo, &p.root);
            c.args(args).env("CARGO_TARGET_DIR", &target).env("CARGO_TERM_COLOR", "never");
            c
        };
        step(&p.label, "cargo fmt --check", &mut cmd(&["fmt", "--check"]))?;
        step(&p.label, "cargo clippy", &mut cmd(&["clippy", "--locked", "--all-targets", "--", "-D", "warnings"]))?;
        step(&p.label, "cargo test", &mut cmd(&["test", "--locked"]))
    });
}

#[test]
fn generated_python_apps_pass_their_tests() {
    each_app("generated Python app (pytest)", "pyproject.toml", |p| {
        let python = python_for(p)?;
        let venv = tools::validators_dir().join(".app-venvs").join(p.template.id());
        let lock = ["requirements-dev.lock", "requirements-dev.txt", "requirements.lock", "requirements.txt"]
            .into_iter()
            .find(|f| p.has(f))
            .ok_or("no requirements lockfile (requirements-dev.lock, requirements.lock, requirements*.txt)")?;
        let lock_text = p.text(lock).unwrap_or_default();
        let stamp = venv.join(".pave-lock");
        if std::fs::read_to_string(&stamp).ok().as_deref() != Some(lock_text.as_str()) {
            let _ = std::fs::remove_dir_all(&venv);
            step(
                &p.label,
                &format!("{} -m venv", python.display()),
                project_command(&python, &p.root).arg("-m").arg("venv").arg(&venv),
            )?;
            let mut install = project_command(venv.join("bin/python"), &p.root);
            install.args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input"]);
            if lock_text.contains("--hash") {
                install.arg("--require-hashes");
            }
            step(&p.label, &format!("pip install -r {lock}"), install.args(["-r", lock]))?;
            std::fs::write(&stamp, &lock_text).unwrap();
        }
        // The linters its CI runs, when its dev lock installs them.
        let ruff = venv.join("bin/ruff");
        if ruff.is_file() {
            step(&p.label, "ruff check", project_command(&ruff, &p.root).args(["check", "--no-cache", "."]))?;
            step(
                &p.label,
                "ruff format --check",
                project_command(&ruff, &p.root).args(["format", "--check", "--no-cache", "."]),
            )?;
        }
        step(
            &p.label,
            "pytest",
            project_command(venv.join("bin/python"), &p.root).args(["-m", "pytest", "-q", "-p", "no:cacheprovider"]),
        )
    });
}

/// A Python interpreter that meets the project's `requires-python` (its `.python-version`
/// first, else the oldest one that fits), from PATH or pyenv's versions.
fn python_for(p: &Tree) -> Result<PathBuf, String> {
    let pyproject: toml::Table =
        toml::from_str(&p.text("pyproject.toml").unwrap_or_default()).map_err(|e| e.to_string())?;
    let spec = pyproject.get("project").and_then(|p| p.get("requires-python")).and_then(|v| v.as_str()).unwrap_or("");
    let wanted = p.text(".python-version").map(|v| v.trim().to_string());
    let mut found: Vec<((u32, u32), PathBuf)> = Vec::new();
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".pyenv"), PathBuf::from);
    for entry in std::fs::read_dir(pyenv.join("versions")).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let bin = entry.path().join("bin/python3");
        if let Some(v) = minor(&name)
            && bin.is_file()
        {
            found.push((v, bin));
        }
    }
    for v in 8..=20 {
        // pyenv's shims fail for a version that is not selected: its versions are listed above.
        if let Some(bin) = tools::locate(&format!("python3.{v}")).filter(|b| !b.to_string_lossy().contains("/shims/")) {
            found.push(((3, v), bin));
        }
    }
    found.sort();
    if let Some(w) = wanted.as_deref().and_then(minor)
        && let Some((_, bin)) = found.iter().find(|(v, _)| *v == w)
    {
        return Ok(bin.clone());
    }
    found
        .into_iter()
        .find(|(v, _)| fits(*v, spec))
        .map(|(_, bin)| bin)
        .ok_or_else(|| format!("no Python interpreter meets requires-python = {spec:?}"))
}

/// `3.12.1` → (3, 12).
fn minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.trim().split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.trim_end_matches('*').parse().ok()?))
}

/// Whether a minor version meets a `requires-python` spec (>=, >, <, <=, ==, ~= clauses).
fn fits(v: (u32, u32), spec: &str) -> bool {
    spec.split(',').map(str::trim).filter(|c| !c.is_empty()).all(|clause| {
        let op_len = clause.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
        let (op, rest) = clause.split_at(op_len);
        let Some(bound) = minor(rest) else { return true };
        match op.trim() {
            ">=" | "~=" => v >= bound,
            ">" => v > bound,
            "<" => v < bound,
            "<=" => v <= bound,
            "==" => v == bound,
            "!=" => v != bound,
            _ => true,
        }
    })
}

#[test]
fn generated_node_apps_build_and_pass_their_tests() {
    let Some(npm) = tools::require("npm", "generated Node apps") else { return };
    each_app("generated Node app (npm)", "package.json", |p| {
        let manifest: serde_json::Value =
            serde_json::from_str(&p.text("package.json").unwrap_or_default()).map_err(|e| e.to_string())?;
        let npm_cmd = |args: &[&str]| {
            let mut c = project_command(&npm, &p.root);
            c.args(args).args(["--no-audit", "--no-fund"]).env("CI", "true");
            c
        };
        if !p.has("package-lock.json") {
            return Err("no package-lock.json: `npm ci` needs the lockfile".into());
        }
        step(&p.label, "npm ci", &mut npm_cmd(&["ci"]))?;
        for script in ["typecheck", "lint", "build", "test"] {
            if manifest["scripts"][script].is_string() {
                step(&p.label, &format!("npm run {script}"), &mut npm_cmd(&["run", script]))?;
            }
        }
        Ok(())
    });
}

#[test]
fn python_version_rules() {
    assert!(fits((3, 12), ">=3.12"));
    assert!(!fits((3, 11), ">=3.12"));
    assert!(fits((3, 12), ">=3.11,<3.14"));
    assert!(!fits((3, 14), ">=3.11,<3.14"));
}
