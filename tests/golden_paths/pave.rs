//! Running the `pave` binary cargo built for this test run, in a scrubbed environment (no user
//! git config, no user catalog, a fixed author, no colour), against a catalog directory.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The pave binary built for this test run.
pub const PAVE: &str = env!("CARGO_BIN_EXE_pave");

/// The repository root: the built-in catalog (catalog.toml + templates/).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A directory for this test process's renders and projects, under cargo's target dir. Directories
/// left by earlier runs whose process is gone are removed first.
pub fn work_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("golden-paths");
        std::fs::create_dir_all(&base).unwrap();
        for entry in std::fs::read_dir(&base).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("run-")
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = base.join(format!("run-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("home")).unwrap();
        dir
    })
}

/// A `Command` with the environment every tool run by these tests gets: PATH (with the
/// validators' directories), a HOME inside the work dir, no git config, a fixed author.
pub fn scrubbed(program: impl AsRef<OsStr>) -> Command {
    let home = work_dir().join("home");
    let mut cmd = Command::new(program);
    cmd.env_remove("PAVE_CATALOG")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Pat Tester")
        .env("GIT_AUTHOR_EMAIL", "pat@example.com")
        .env("GIT_COMMITTER_NAME", "Pat Tester")
        .env("GIT_COMMITTER_EMAIL", "pat@example.com")
        .env("NO_COLOR", "1");
    cmd
}

/// Runs pave with `args` against `catalog`, in `cwd`.
pub fn run(args: &[&str], catalog: &Path, cwd: &Path) -> Output {
    let mut cmd = scrubbed(PAVE);
    cmd.args(args).arg("--catalog").arg(catalog).current_dir(cwd);
    cmd.output().unwrap_or_else(|e| panic!("cannot run {PAVE}: {e}"))
}

/// stdout and stderr of a run, for failure messages.
pub fn describe(out: &Output) -> String {
    format!(
        "exit status {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().map_or_else(|| "killed".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
