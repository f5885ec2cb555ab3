//! The temp dir a test runs in, the scrubbed environment every process gets, and ways to look
//! at what was written: files, links, leftovers, and git history through the real `git`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::support::PAVE;

/// A temp dir with files in it, and ways to look at them.
pub struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    /// A fresh temp dir, removed when the sandbox is dropped.
    pub fn new() -> Self {
        Self { dir: tempfile::Builder::new().prefix("pave-test-").tempdir().unwrap() }
    }

    /// The temp dir's root (the working directory of pave).
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the temp dir.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// Whether anything (a link included, dangling or not) is at `rel`.
    pub fn exists(&self, rel: &str) -> bool {
        fs::symlink_metadata(self.path(rel)).is_ok()
    }

    /// A file's text.
    #[track_caller]
    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// A file's bytes.
    #[track_caller]
    pub fn read_bytes(&self, rel: &str) -> Vec<u8> {
        fs::read(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Every file and link below `rel` (not directories, not `.git`), relative to it, sorted.
    pub fn files(&self, rel: &str) -> Vec<String> {
        fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
            let Ok(entries) = fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let kind = entry.file_type().unwrap();
                if entry.file_name() == ".git" {
                    continue;
                }
                if kind.is_dir() {
                    walk(base, &path, out);
                } else {
                    let rel = path.strip_prefix(base).unwrap();
                    out.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        let base = self.path(rel);
        let mut out = Vec::new();
        walk(&base, &base, &mut out);
        out.sort();
        out
    }

    /// Names in `rel` that look like a staging directory or temp file pave left behind.
    pub fn leftovers(&self, rel: &str) -> Vec<String> {
        fs::read_dir(self.path(rel))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".pave-") || n.starts_with(".tmp"))
            .collect()
    }

    /// Runs the real `git` in `rel` with the scrubbed environment and returns its stdout;
    /// panics when git fails.
    #[track_caller]
    pub fn git(&self, rel: &str, args: &[&str]) -> String {
        let out = self.git_output(rel, args);
        assert!(out.status.success(), "git {args:?} in {rel} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs the real `git` in `rel` and returns its whole output, whatever the exit status.
    pub fn git_output(&self, rel: &str, args: &[&str]) -> std::process::Output {
        let mut cmd = Command::new("git");
        scrub(&mut cmd, self.root());
        cmd.args(args).current_dir(self.path(rel)).output().expect("run git")
    }

    /// `git init` in `rel` (created when needed) and one commit of whatever is there.
    #[track_caller]
    pub fn git_repo(&self, rel: &str) {
        fs::create_dir_all(self.path(rel)).unwrap();
        self.git(rel, &["init", "-q", "-b", "main"]);
        fs::write(self.path(rel).join("README.md"), "outer\n").unwrap();
        self.git(rel, &["add", "-A"]);
        self.git(rel, &["commit", "-q", "-m", "outer"]);
    }

    /// Runs pave again in this sandbox (scrubbed environment, the fixture catalog when there is
    /// one) and returns its raw output.
    pub fn pave(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = Command::new(PAVE);
        scrub(&mut cmd, self.root());
        if self.path("catalog/catalog.toml").exists() {
            cmd.arg("--catalog").arg(self.path("catalog"));
        }
        cmd.args(args).current_dir(self.root()).stdin(Stdio::null()).output().expect("run pave")
    }

    /// Replaces every spelling of the temp dir with `[TEMP]`.
    pub fn redact(&self, text: &str) -> String {
        let raw = self.root().display().to_string();
        let canonical = fs::canonicalize(self.root()).map_or_else(|_| raw.clone(), |p| p.display().to_string());
        let text = text.replace(&canonical, "[TEMP]").replace(&raw, "[TEMP]");
        let commit = regex::Regex::new(r"first commit [0-9a-f]{7,40}").unwrap();
        commit.replace_all(&text, "first commit [COMMIT]").into_owned()
    }
}

/// Puts the scrubbed environment on a command: nothing of the caller's environment but `PATH`;
/// home, config, cache and data inside the temp dir; git without global or system config and
/// with a fixed identity; no colour.
pub fn scrub(cmd: &mut Command, root: &Path) {
    let home = root.join("home");
    fs::create_dir_all(&home).unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Pat Tester")
        .env("GIT_AUTHOR_EMAIL", "pat@example.com")
        .env("GIT_COMMITTER_NAME", "Pat Tester")
        .env("GIT_COMMITTER_EMAIL", "pat@example.com")
        .env("NO_COLOR", "1");
}
