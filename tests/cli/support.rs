//! The `Test` builder every integration test goes through, in the spirit of casey/just's
//! `tests/test.rs`: a fresh temp dir, a scrubbed environment, a fixture catalog the test controls,
//! and expectations on exit code and output. Output is redacted (temp paths, commit ids) so it
//! can be compared exactly.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::fixtures::CATALOG_HEADER;
use crate::sandbox::{Sandbox, scrub};

/// The pave binary cargo built for this test run (shared by every test).
pub const PAVE: &str = env!("CARGO_BIN_EXE_pave");

/// What a run printed, and the sandbox it ran in.
pub struct Output {
    /// The sandbox, for looking at the files written.
    pub sandbox: Sandbox,
    /// stdout, redacted.
    pub stdout: String,
    /// stderr, redacted.
    pub stderr: String,
}

impl Output {
    /// Another run of pave in the same sandbox (the files, repositories and fixture catalog the
    /// earlier runs left), expecting exit 0 unless told otherwise.
    pub fn then(self) -> Test {
        Test::with_sandbox(self.sandbox)
    }
}

impl std::ops::Deref for Output {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

/// One invocation of pave, with its fixture and its expectations.
#[must_use]
pub struct Test {
    sandbox: Sandbox,
    args: Vec<OsString>,
    env: Vec<(String, OsString)>,
    current_dir: String,
    stdin: Option<Vec<u8>>,
    entries: Vec<String>,
    raw_catalog: bool,
    use_catalog: bool,
    unprivileged: bool,
    status: Option<i32>,
    stdout: Option<String>,
    stderr: Option<String>,
    stdout_contains: Vec<String>,
    stdout_lacks: Vec<String>,
    stderr_contains: Vec<String>,
    stderr_lacks: Vec<String>,
}

impl Test {
    /// A fresh temp dir, no catalog (the built-in one), expecting exit 0.
    pub fn new() -> Self {
        Self::with_sandbox(Sandbox::new())
    }

    /// A test in an existing sandbox; its fixture catalog (`./catalog`) is used when there is one.
    pub fn with_sandbox(sandbox: Sandbox) -> Self {
        // An existing catalog.toml is kept as it is: entries added later are ignored.
        let use_catalog = sandbox.path("catalog/catalog.toml").exists();
        Self {
            sandbox,
            args: Vec::new(),
            env: Vec::new(),
            current_dir: String::new(),
            stdin: None,
            entries: Vec::new(),
            raw_catalog: use_catalog,
            use_catalog,
            unprivileged: false,
            status: Some(0),
            stdout: None,
            stderr: None,
            stdout_contains: Vec::new(),
            stdout_lacks: Vec::new(),
            stderr_contains: Vec::new(),
            stderr_lacks: Vec::new(),
        }
    }

    /// The sandbox, to build paths while the test is being set up.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Appends an argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable on top of the scrubbed environment.
    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Self {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// Runs pave in a subdirectory of the temp dir (created).
    pub fn current_dir(mut self, rel: &str) -> Self {
        fs::create_dir_all(self.sandbox.path(rel)).unwrap();
        self.current_dir = rel.to_string();
        self
    }

    /// Feeds stdin (a pipe, never a terminal).
    pub fn stdin(mut self, text: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(text.into());
        self
    }

    /// Writes a file into the temp dir (parents created).
    pub fn write(self, rel: &str, content: impl AsRef<[u8]>) -> Self {
        let path = self.sandbox.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
        self
    }

    /// Creates a symbolic link at `rel` (parents created) pointing to `target`, verbatim.
    pub fn symlink(self, target: impl AsRef<Path>, rel: &str) -> Self {
        let path = self.sandbox.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, path).unwrap();
        self
    }

    /// Sets a file's mode.
    pub fn chmod(self, rel: &str, mode: u32) -> Self {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(self.sandbox.path(rel), fs::Permissions::from_mode(mode)).unwrap();
        self
    }

    /// Makes `rel` a git repository with one commit.
    pub fn git_repo(self, rel: &str) -> Self {
        self.sandbox.git_repo(rel);
        self
    }

    // ---- the fixture catalog (./catalog, passed with --catalog) ----

    /// Adds a catalog entry: `NAME template`, kind service, owned by platform-team.
    pub fn template(self, name: &str, maturity: &str) -> Self {
        self.template_entry(&format!(
            "name = \"{name}\"\ndescription = \"{name} template\"\nkind = \"service\"\nmaturity = \"{maturity}\"\nowner = \"platform-team\"\n"
        ))
    }

    /// Adds a catalog entry from the body of a `[[template]]` table.
    pub fn template_entry(mut self, body: &str) -> Self {
        self.entries.push(body.to_string());
        self.write_catalog()
    }

    /// Replaces catalog.toml with this text (entries added later are ignored).
    pub fn catalog_toml(mut self, text: &str) -> Self {
        self.raw_catalog = true;
        self.use_catalog = true;
        self.write("catalog/catalog.toml", text)
    }

    fn write_catalog(mut self) -> Self {
        self.use_catalog = true;
        if self.raw_catalog {
            return self;
        }
        let mut text = CATALOG_HEADER.to_string();
        for e in &self.entries {
            write!(text, "\n[[template]]\n{e}").unwrap();
        }
        self.write("catalog/catalog.toml", text)
    }

    /// Path of a template version's directory, relative to the temp dir.
    pub fn version_dir(name: &str, version: &str) -> String {
        format!("catalog/templates/{name}/{version}")
    }

    /// Writes a version's template.toml.
    pub fn manifest(self, name: &str, version: &str, text: &str) -> Self {
        let rel = format!("{}/template.toml", Self::version_dir(name, version));
        self.write(&rel, text)
    }

    /// Writes a file under a version's `files/`.
    pub fn file(self, name: &str, version: &str, rel: &str, content: impl AsRef<[u8]>) -> Self {
        let rel = format!("{}/files/{rel}", Self::version_dir(name, version));
        self.write(&rel, content)
    }

    /// Creates a link under a version's `files/`.
    pub fn file_link(self, name: &str, version: &str, rel: &str, target: &str) -> Self {
        let rel = format!("{}/files/{rel}", Self::version_dir(name, version));
        self.symlink(target, &rel)
    }

    /// Runs pave as an unprivileged user, so that file permissions mean what they say: as root
    /// (CI, this machine) the whole sandbox is handed to `nobody` (uid/gid 65534) for the run,
    /// pave runs under `setpriv`, and the sandbox is given back to root afterwards, so the checks
    /// (the real git included, which insists on owning the repository) run as before. Not root:
    /// pave runs as the current user.
    pub fn unprivileged(mut self) -> Self {
        self.unprivileged = true;
        self
    }

    // ---- expectations ----

    /// The expected exit code (default 0).
    pub fn status(mut self, code: i32) -> Self {
        self.status = Some(code);
        self
    }

    /// Expects a failure without fixing its exit code, for tests about what a failure leaves.
    pub fn failure(mut self) -> Self {
        self.status = None;
        self
    }

    /// The exact expected stdout (redacted).
    pub fn stdout(mut self, text: &str) -> Self {
        self.stdout = Some(text.to_string());
        self
    }

    /// The exact expected stderr (redacted).
    pub fn stderr(mut self, text: &str) -> Self {
        self.stderr = Some(text.to_string());
        self
    }

    /// A piece the stdout must contain.
    pub fn stdout_contains(mut self, text: &str) -> Self {
        self.stdout_contains.push(text.to_string());
        self
    }

    /// A piece the stdout must not contain.
    pub fn stdout_lacks(mut self, text: &str) -> Self {
        self.stdout_lacks.push(text.to_string());
        self
    }

    /// A piece the stderr must contain.
    pub fn stderr_contains(mut self, text: &str) -> Self {
        self.stderr_contains.push(text.to_string());
        self
    }

    /// A piece the stderr must not contain.
    pub fn stderr_lacks(mut self, text: &str) -> Self {
        self.stderr_lacks.push(text.to_string());
        self
    }

    /// The command this test runs: pave with the scrubbed environment, in the temp dir, with
    /// `--catalog` pointing at the fixture catalog when the test built one.
    pub fn command(&self) -> Command {
        let mut cmd = if self.unprivileged && is_root() {
            let mut cmd = Command::new("setpriv");
            cmd.args([
                format!("--reuid={NOBODY}"),
                format!("--regid={NOBODY}"),
                "--clear-groups".to_string(),
                "--".to_string(),
                PAVE.to_string(),
            ]);
            cmd
        } else {
            Command::new(PAVE)
        };
        scrub(&mut cmd, self.sandbox.root());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if self.use_catalog {
            cmd.arg("--catalog").arg(self.sandbox.path("catalog"));
        }
        cmd.args(&self.args).current_dir(self.sandbox.path(&self.current_dir));
        cmd
    }

    /// Gives up the test's sandbox (for tests that drive pave themselves, as the PTY tests do).
    pub fn into_sandbox(self) -> Sandbox {
        self.sandbox
    }

    /// Runs pave and checks every expectation; returns the output and the sandbox.
    #[track_caller]
    pub fn run(self) -> Output {
        let handed_over = self.unprivileged && is_root();
        if handed_over {
            chown_all(self.sandbox.root(), NOBODY);
        }
        let mut cmd = self.command();
        cmd.stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn pave");
        if let Some(input) = &self.stdin {
            use std::io::Write as _;
            let mut pipe = child.stdin.take().unwrap();
            // pave may exit before reading; a closed pipe is fine.
            let _ = pipe.write_all(input);
        }
        let out = child.wait_with_output().expect("wait for pave");
        if handed_over {
            chown_all(self.sandbox.root(), 0);
        }
        let stdout = self.sandbox.redact(&String::from_utf8_lossy(&out.stdout));
        let stderr = self.sandbox.redact(&String::from_utf8_lossy(&out.stderr));
        let status = out.status.code().expect("pave was killed by a signal");

        let mut problems = Vec::new();
        match self.status {
            Some(want) if status != want => {
                problems.push(format!("exit code {status}, expected {want}"));
            }
            None if status == 0 => problems.push("exit code 0, expected a failure".into()),
            _ => {}
        }
        if let Some(want) = &self.stdout
            && &stdout != want
        {
            problems.push(format!("stdout differs; expected:\n{want}"));
        }
        if let Some(want) = &self.stderr
            && &stderr != want
        {
            problems.push(format!("stderr differs; expected:\n{want}"));
        }
        for piece in &self.stdout_contains {
            if !stdout.contains(piece.as_str()) {
                problems.push(format!("stdout lacks {piece:?}"));
            }
        }
        for piece in &self.stdout_lacks {
            if stdout.contains(piece.as_str()) {
                problems.push(format!("stdout contains {piece:?}"));
            }
        }
        for piece in &self.stderr_contains {
            if !stderr.contains(piece.as_str()) {
                problems.push(format!("stderr lacks {piece:?}"));
            }
        }
        for piece in &self.stderr_lacks {
            if stderr.contains(piece.as_str()) {
                problems.push(format!("stderr contains {piece:?}"));
            }
        }
        assert!(
            problems.is_empty(),
            "pave {:?}:\n- {}\n--- stdout ---\n{stdout}--- stderr ---\n{stderr}",
            self.args,
            problems.join("\n- ")
        );
        Output { sandbox: self.sandbox, stdout, stderr }
    }
}

/// The unprivileged user (and group) of [`Test::unprivileged`]: `nobody`.
pub const NOBODY: u32 = 65_534;

/// Whether the tests run as root (CI does), where permission bits do not stop anything.
pub fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// `chown -R UID:UID` of everything below `dir`, `dir` included (links themselves, not targets).
#[track_caller]
pub fn chown_all(dir: &Path, uid: u32) {
    let status =
        Command::new("chown").args(["-R", "-h", &format!("{uid}:{uid}")]).arg(dir).status().expect("run chown");
    assert!(status.success(), "chown -R {uid} {} failed", dir.display());
}
