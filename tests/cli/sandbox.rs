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

    /// Writes a file (parents created), replacing whatever was there.
    #[track_caller]
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap_or_else(|e| panic!("write {rel}: {e}"));
    }

    /// Removes a file, a link or a whole directory.
    #[track_caller]
    pub fn remove(&self, rel: &str) {
        let path = self.path(rel);
        let meta = fs::symlink_metadata(&path).unwrap_or_else(|e| panic!("remove {rel}: {e}"));
        if meta.is_dir() { fs::remove_dir_all(path) } else { fs::remove_file(path) }.unwrap();
    }

    /// A file's permission bits (`0o644`, `0o755`).
    #[track_caller]
    pub fn mode(&self, rel: &str) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(self.path(rel)).unwrap_or_else(|e| panic!("stat {rel}: {e}")).permissions().mode() & 0o777
    }

    /// Sets a file's permission bits.
    #[track_caller]
    pub fn set_mode(&self, rel: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(self.path(rel), fs::Permissions::from_mode(mode)).unwrap();
    }

    /// Creates a symbolic link at `rel` pointing to `target`, verbatim.
    #[track_caller]
    pub fn symlink(&self, target: impl AsRef<Path>, rel: &str) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, path).unwrap();
    }

    /// Stages everything in `rel` and commits it with the real git.
    #[track_caller]
    pub fn commit_all(&self, rel: &str, message: &str) {
        self.git(rel, &["add", "-A"]);
        self.git(rel, &["commit", "-q", "-m", message]);
    }

    /// The commit HEAD points to in `rel` (full id).
    #[track_caller]
    pub fn head(&self, rel: &str) -> String {
        self.git(rel, &["rev-parse", "HEAD"]).trim().to_string()
    }

    /// How many commits HEAD has in `rel`.
    #[track_caller]
    pub fn commit_count(&self, rel: &str) -> usize {
        self.git(rel, &["rev-list", "--count", "HEAD"]).trim().parse().unwrap()
    }

    /// Everything a user could see of the directory `rel`: every file, link and directory with
    /// its mode and bytes (`.git` left out), and the repository as the real git reports it
    /// (status with untracked and ignored files, HEAD, refs, the index with its stages). Two
    /// equal states mean nothing was changed.
    pub fn state(&self, rel: &str) -> String {
        use std::fmt::Write as _;
        use std::os::unix::fs::PermissionsExt;
        fn walk(base: &Path, dir: &Path, out: &mut String) {
            let Ok(entries) = fs::read_dir(dir) else { return };
            let mut entries: Vec<_> = entries.flatten().collect();
            entries.sort_by_key(fs::DirEntry::file_name);
            for entry in entries {
                if entry.file_name() == ".git" {
                    continue;
                }
                let path = entry.path();
                let rel = path.strip_prefix(base).unwrap().display().to_string();
                let meta = fs::symlink_metadata(&path).unwrap();
                if meta.file_type().is_symlink() {
                    writeln!(out, "{rel} -> {}", fs::read_link(&path).unwrap().display()).unwrap();
                } else if meta.is_dir() {
                    writeln!(out, "{rel}/").unwrap();
                    walk(base, &path, out);
                } else {
                    let bytes = fs::read(&path).unwrap();
                    let mode = meta.permissions().mode() & 0o777;
                    writeln!(out, "{rel} {mode:o} {:?}", String::from_utf8_lossy(&bytes)).unwrap();
                }
            }
        }
        let base = self.path(rel);
        let mut out = String::new();
        walk(&base, &base, &mut out);
        for args in [
            &["status", "--porcelain=v1", "--untracked-files=all", "--ignored"][..],
            &["rev-parse", "HEAD"],
            &["for-each-ref", "--format=%(refname) %(objectname)"],
            &["ls-files", "-s"],
            &["stash", "list"],
        ] {
            let o = self.git_output(rel, args);
            writeln!(
                out,
                "$ git {}\n{}{}",
                args.join(" "),
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
            .unwrap();
        }
        for marker in ["index.lock", "MERGE_HEAD"] {
            writeln!(out, ".git/{marker}: {}", base.join(".git").join(marker).exists()).unwrap();
        }
        out
    }

    /// The modification time of every file below `rel` (`.git` left out).
    pub fn mtimes(&self, rel: &str) -> Vec<(String, std::time::SystemTime)> {
        self.files(rel)
            .into_iter()
            .map(|f| {
                let t = fs::symlink_metadata(self.path(rel).join(&f)).unwrap().modified().unwrap();
                (f, t)
            })
            .collect()
    }

    /// Every file and link below `rel` with its mode and bytes (`.git` left out), for comparing
    /// two trees.
    pub fn tree(&self, rel: &str) -> Vec<(String, u32, Vec<u8>)> {
        use std::os::unix::fs::PermissionsExt;
        self.files(rel)
            .into_iter()
            .map(|f| {
                let path = self.path(rel).join(&f);
                let meta = fs::symlink_metadata(&path).unwrap();
                if meta.file_type().is_symlink() {
                    (f, 0o120_000, fs::read_link(&path).unwrap().into_os_string().into_encoded_bytes())
                } else {
                    (f, meta.permissions().mode() & 0o777, fs::read(&path).unwrap())
                }
            })
            .collect()
    }

    /// Every directory below `rel` (`.git` left out), relative to it, sorted: with [`Sandbox::tree`],
    /// enough to tell two trees apart, empty directories included.
    pub fn dirs(&self, rel: &str) -> Vec<String> {
        fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
            for entry in fs::read_dir(dir).unwrap().flatten() {
                if entry.file_name() != ".git" && entry.file_type().unwrap().is_dir() {
                    out.push(entry.path().strip_prefix(base).unwrap().display().to_string());
                    walk(base, &entry.path(), out);
                }
            }
        }
        let base = self.path(rel);
        let mut out = Vec::new();
        walk(&base, &base, &mut out);
        out.sort();
        out
    }

    /// Copies the directory `from` to `to` (which must not exist), `.git` included, keeping modes
    /// and links.
    pub fn copy_dir(&self, from: &str, to: &str) {
        fn copy(src: &Path, dst: &Path) {
            fs::create_dir_all(dst).unwrap();
            for entry in fs::read_dir(src).unwrap().flatten() {
                let (s, d) = (entry.path(), dst.join(entry.file_name()));
                let kind = entry.file_type().unwrap();
                if kind.is_symlink() {
                    std::os::unix::fs::symlink(fs::read_link(&s).unwrap(), &d).unwrap();
                } else if kind.is_dir() {
                    copy(&s, &d);
                } else {
                    fs::copy(&s, &d).unwrap();
                }
            }
        }
        assert!(!self.exists(to), "{to} exists");
        copy(&self.path(from), &self.path(to));
    }

    /// The project's `.pave.toml` at `rel`, parsed.
    #[track_caller]
    pub fn pave_toml(&self, rel: &str) -> toml::Table {
        let text = self.read(&format!("{rel}/.pave.toml"));
        text.parse().unwrap_or_else(|e| panic!("{rel}/.pave.toml: {e}\n{text}"))
    }

    /// Runs pave like [`Sandbox::pave`] for setting a test up, and panics unless it succeeds.
    #[track_caller]
    pub fn pave_ok(&self, args: &[&str]) {
        let out = self.pave(args);
        assert!(
            out.status.success(),
            "pave {args:?} failed ({:?}):\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
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

/// The date `days` from today (UTC, negative for the past) as `YYYY-MM-DD`, for exception expiries.
pub fn date_in_days(days: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    // Howard Hinnant's civil_from_days.
    let z = i64::try_from(now / 86_400).unwrap() + days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
