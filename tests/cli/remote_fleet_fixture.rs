//! The fixture of the remote fleet tests (issue 10): a fleet of repositories made with
//! `pave new` from the `app` fixture, as local checkouts, bare repositories over `file://`,
//! served over smart HTTP with a token, or reached over ssh (a real sshd); pave's runs over a `--repos-from` list; and checks of
//! branches, trailers and mirrors through the real git.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::fixtures::{MINI_MANIFEST, MINI_README};
use crate::git_server::{GitHttpServer, Run, TLS_CERT, publish_bare, run_pave};
use crate::sandbox::Sandbox;
use crate::ssh_server::{Client, SshServer};
use crate::support::Test;

/// The branch of an upgrade to app 2.0.0.
pub const BRANCH: &str = "pave/app-2.0.0";
/// The token the HTTP server wants.
pub const TOKEN: &str = "tok-8f3a1c9e2b7d46e0";

/// Where a fleet's repositories are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Checkouts under `fleet/`, listed by directory; nothing pushed.
    Local,
    /// Bare repositories under `srv/`, listed as `file://` URLs.
    File,
    /// The same, served by a smart-HTTP server that wants [`TOKEN`].
    Http,
    /// The same server over https; pave trusts its certificate through `SSL_CERT_FILE`.
    Https,
    /// The bare repositories over ssh, from an sshd on 127.0.0.1 (`ssh://127.0.0.1:PORT/…`).
    Ssh,
}

impl Kind {
    /// Served over http or https.
    pub fn is_served(self) -> bool {
        matches!(self, Self::Http | Self::Https)
    }
}

/// A fleet of repositories made with `pave new` from the `app` fixture, and the server serving
/// them.
pub struct Fleet {
    /// The sandbox: `catalog/`, `made/` (the checkouts the bare repositories were cloned from),
    /// `srv/` (the bare repositories), `work/` (other people's clones), `fleet/` (local kind).
    pub sb: Sandbox,
    /// Where the repositories are.
    pub kind: Kind,
    /// The HTTP server, for [`Kind::Http`].
    pub server: Option<GitHttpServer>,
    /// The ssh server, for [`Kind::Ssh`].
    pub ssh: Option<SshServer>,
    /// How many runs [`Fleet::upgrade_lines`] made: run N wrote `repos-N.txt` and `rN.json`.
    pub runs: usize,
}

/// What one `pave fleet upgrade` did.
pub struct Upgrade {
    /// Exit code and output.
    pub run: Run,
    /// The JSON report (`Null` when none was written).
    pub report: serde_json::Value,
}

impl Upgrade {
    /// The exit code.
    pub fn code(&self) -> Option<i32> {
        self.run.code
    }

    /// Every row of the report.
    pub fn rows(&self) -> Vec<&serde_json::Value> {
        self.report["projects"].as_array().map(|a| a.iter().collect()).unwrap_or_default()
    }

    /// The rows of the repository listed as `line` (its `repo`, or its `path` for a directory).
    pub fn rows_of(&self, line: &str) -> Vec<&serde_json::Value> {
        self.rows().into_iter().filter(|p| p["repo"] == line || p["path"] == line).collect()
    }

    /// The one row of the repository listed as `line`.
    #[track_caller]
    pub fn row(&self, line: &str) -> &serde_json::Value {
        let rows = self.rows_of(line);
        assert_eq!(rows.len(), 1, "one row for {line}:\n{}\n{}", self.report, self.run.output());
        rows[0]
    }

    /// The outcome of the repository listed as `line`.
    #[track_caller]
    pub fn outcome(&self, line: &str) -> String {
        self.row(line)["outcome"].as_str().unwrap_or_default().to_string()
    }

    /// Panics with the whole output unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.run.code, Some(code), "{}\n{}", self.run.output(), self.report);
        self
    }

    /// Panics unless the repository listed as `line` ended as `outcome`.
    #[track_caller]
    pub fn expect(&self, line: &str, outcome: &str) -> &Self {
        assert_eq!(self.outcome(line), outcome, "{line}\n{}\n{}", self.report, self.run.output());
        self
    }
}

static WORK: AtomicUsize = AtomicUsize::new(0);

impl Fleet {
    /// An empty fleet with the `app` catalog (and the server, for HTTP).
    pub fn new(kind: Kind) -> Self {
        let sb = Test::app().into_sandbox();
        std::fs::create_dir_all(sb.path("srv")).unwrap();
        let server = match kind {
            Kind::Http => Some(GitHttpServer::start(&sb, "srv", TOKEN, &[])),
            Kind::Https => Some(GitHttpServer::start_tls(&sb, "srv", TOKEN, &[])),
            Kind::Local | Kind::File | Kind::Ssh => None,
        };
        let ssh = (kind == Kind::Ssh).then(|| SshServer::start(&sb));
        Self { sb, kind, server, ssh, runs: 0 }
    }

    /// Stops the HTTP server and starts another on the same repositories and the same port
    /// (so the URLs, the mirrors and the reports stay valid) with these options.
    pub fn restart_server(&mut self, extra: &[&str]) {
        let old = self.server.take().expect("an HTTP fleet");
        let (port, tls) = (old.port().to_string(), old.is_tls());
        drop(old);
        let mut args = vec!["--port", port.as_str()];
        args.extend_from_slice(extra);
        self.server = Some(if tls {
            GitHttpServer::start_tls(&self.sb, "srv", TOKEN, &args)
        } else {
            GitHttpServer::start(&self.sb, "srv", TOKEN, &args)
        });
    }

    /// Adds `NAME`, made with `pave new app@VERSION`.
    pub fn add(&self, name: &str, version: &str) -> &Self {
        self.add_with(name, |s, dir| new_app(s, version, dir))
    }

    /// Adds `NAME`, made by `make` as a checkout in the given directory (then cloned bare into
    /// `srv/` for the remote kinds).
    pub fn add_with(&self, name: &str, make: impl FnOnce(&Sandbox, &str)) -> &Self {
        if self.kind == Kind::Local {
            make(&self.sb, &format!("fleet/{name}"));
        } else {
            let src = format!("made/{name}");
            make(&self.sb, &src);
            publish_bare(&self.sb, &src, &format!("srv/{name}.git"));
        }
        self
    }

    /// Adds app 3.0.0 to the catalog (2.0.0 with another README).
    pub fn release_3(&self) -> &Self {
        self.sb.copy_dir(&Test::version_dir("app", "2.0.0"), &Test::version_dir("app", "3.0.0"));
        self.sb.write(
            &format!("{}/files/README.md.tera", Test::version_dir("app", "3.0.0")),
            "# {{ service_name }}\n\nversion three\n",
        );
        self
    }

    /// Adds the `mini` template (1.0.0 and 2.0.0) to the catalog.
    pub fn add_mini_template(&self) -> &Self {
        let catalog = self.sb.read("catalog/catalog.toml");
        self.sb.write(
            "catalog/catalog.toml",
            format!("{catalog}\n[[template]]\nname = \"mini\"\nmaturity = \"stable\"\nowner = \"platform-team\"\n"),
        );
        for v in ["1.0.0", "2.0.0"] {
            self.sb.write(&format!("{}/template.toml", Test::version_dir("mini", v)), MINI_MANIFEST);
            self.sb.write(&format!("{}/files/README.md.tera", Test::version_dir("mini", v)), MINI_README);
        }
        self
    }

    /// The `file://` URL of `srv/NAME.git`.
    pub fn file_url(&self, name: &str) -> String {
        format!("file://{}", self.sb.path(&format!("srv/{name}.git")).display())
    }

    /// How `NAME` is listed in `--repos-from`.
    pub fn line(&self, name: &str) -> String {
        match self.kind {
            Kind::Local => format!("fleet/{name}"),
            Kind::File => self.file_url(name),
            Kind::Http | Kind::Https => self.server.as_ref().unwrap().url(name),
            Kind::Ssh => self.ssh.as_ref().unwrap().url(&self.sb.path(&format!("srv/{name}.git"))),
        }
    }

    /// The repository (relative to the sandbox) holding `NAME`'s branches: the checkout, or the
    /// bare repository the server serves.
    pub fn refs(&self, name: &str) -> String {
        match self.kind {
            Kind::Local => format!("fleet/{name}"),
            Kind::File | Kind::Http | Kind::Https | Kind::Ssh => format!("srv/{name}.git"),
        }
    }

    /// The mirror pave keeps of `NAME`, relative to the sandbox (remote kinds).
    pub fn mirror(&self, name: &str) -> String {
        match self.kind {
            Kind::Local => panic!("no mirror for a local checkout"),
            Kind::File => {
                let srv = self.sb.path("srv").display().to_string();
                format!("home/.cache/pave/mirrors/local/{}/{name}.git", srv.trim_start_matches('/'))
            }
            Kind::Http | Kind::Https => {
                format!("home/.cache/pave/mirrors/127.0.0.1_{}/{name}.git", self.server.as_ref().unwrap().port())
            }
            Kind::Ssh => {
                let srv = self.sb.path("srv").display().to_string();
                let port = self.ssh.as_ref().unwrap().port();
                format!("home/.cache/pave/mirrors/127.0.0.1_{port}/{}/{name}.git", srv.trim_start_matches('/'))
            }
        }
    }

    /// The commit `refname` names in `NAME`'s repository ([`Fleet::refs`]), if any.
    pub fn rev(&self, name: &str, refname: &str) -> Option<String> {
        rev(&self.sb, &self.refs(name), refname)
    }

    /// Every ref of `NAME`'s repository with its commit.
    pub fn all_refs(&self, name: &str) -> String {
        self.sb.git(&self.refs(name), &["for-each-ref", "--format=%(refname) %(objectname)"])
    }

    /// The environment of a run: the token for HTTP, the certificate to trust for https, the
    /// ssh client of the server for ssh.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        match self.kind {
            Kind::Http => vec![("PAVE_GIT_TOKEN", TOKEN.to_string())],
            Kind::Https => vec![("PAVE_GIT_TOKEN", TOKEN.to_string()), ("SSL_CERT_FILE", TLS_CERT.to_string())],
            Kind::Ssh => self.ssh.as_ref().unwrap().env(Client::Trusted),
            Kind::Local | Kind::File => Vec::new(),
        }
    }

    /// [`Fleet::env`] as [`run_pave`] takes it.
    pub fn env_args<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
        env.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    /// `pave fleet upgrade --repos-from LIST --report rN.json [--push] EXTRA` over these
    /// repositories (`--push` for the remote kinds).
    pub fn upgrade(&mut self, names: &[&str], extra: &[&str]) -> Upgrade {
        let lines: Vec<String> = names.iter().map(|n| self.line(n)).collect();
        let mut args: Vec<&str> = Vec::new();
        if self.kind != Kind::Local {
            args.push("--push");
        }
        args.extend_from_slice(extra);
        let env = self.env();
        self.upgrade_lines(&lines, &args, &Self::env_args(&env))
    }

    /// `pave fleet upgrade --repos-from LIST --report rN.json ARGS` with these list lines and
    /// this environment.
    pub fn upgrade_lines(&mut self, lines: &[String], args: &[&str], env: &[(&str, &str)]) -> Upgrade {
        self.runs += 1;
        let (list, report) = (format!("repos-{}.txt", self.runs), format!("r{}.json", self.runs));
        self.sb.write(&list, format!("# the fleet, run {}\n\n{}\n", self.runs, lines.join("\n")));
        let mut all = vec!["fleet", "upgrade", "--repos-from", &list, "--report", &report];
        all.extend_from_slice(args);
        let mut env = env.to_vec();
        if self.kind == Kind::Https && !env.iter().any(|(k, _)| *k == "SSL_CERT_FILE") {
            env.push(("SSL_CERT_FILE", TLS_CERT));
        }
        let run = run_pave(&self.sb, &all, &env);
        let report = if self.sb.exists(&report) {
            let text = self.sb.read(&report);
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{report}: {e}\n{text}"))
        } else {
            serde_json::Value::Null
        };
        Upgrade { run, report }
    }

    /// Someone else works on `branch` of `NAME`: in the checkout itself (local kind) or in a
    /// clone of the bare repository, pushed back afterwards (straight to the directory, not
    /// through the server).
    pub fn with_checkout(&self, name: &str, branch: &str, work: impl FnOnce(&Sandbox, &str, &str)) {
        let sb = &self.sb;
        if self.kind == Kind::Local {
            let dir = format!("fleet/{name}");
            sb.git(&dir, &["checkout", "-q", branch]);
            work(sb, &dir, "");
            sb.git(&dir, &["checkout", "-q", "main"]);
            return;
        }
        let dir = format!("work/{name}");
        if sb.exists(&dir) {
            sb.git(&dir, &["fetch", "-q", "--prune", "origin"]);
        } else {
            sb.git(".", &["clone", "-q", &format!("srv/{name}.git"), &dir]);
        }
        sb.git(&dir, &["checkout", "-q", "-B", branch, &format!("origin/{branch}")]);
        work(sb, &dir, "origin/");
        sb.git(&dir, &["push", "-q", "origin", branch]);
    }

    /// A colleague's commit on the default branch of `NAME` (a new file, nothing pave renders).
    pub fn advance_main(&self, name: &str) {
        let n = WORK.fetch_add(1, Ordering::SeqCst);
        self.with_checkout(name, "main", |sb, dir, _| {
            sb.write(&format!("{dir}/docs/notes-{n}.md"), format!("a note {n}\n"));
            sb.commit_all(dir, "a colleague's change on main");
        });
    }

    /// Someone else's commit on `branch` of `NAME`.
    pub fn edit_branch(&self, name: &str, branch: &str) {
        self.with_checkout(name, branch, |sb, dir, _| {
            sb.write(&format!("{dir}/docs/review.md"), "a reviewer's fix\n");
            sb.commit_all(dir, "a reviewer's fix");
        });
    }

    /// Merges `branch` into the default branch of `NAME` with a merge commit, as a pull request
    /// would.
    pub fn merge(&self, name: &str, branch: &str) {
        self.with_checkout(name, "main", |sb, dir, prefix| {
            sb.git(dir, &["merge", "-q", "--no-ff", "-m", "Merge the upgrade", &format!("{prefix}{branch}")]);
        });
    }

    /// Checks that `branch` of `NAME` is one pave commit on top of `base` (a ref of the same
    /// repository) that records `version`, with pave's trailers; returns its id.
    #[track_caller]
    pub fn check_branch(&self, name: &str, branch: &str, base: &str, version: &str) -> String {
        check_branch(&self.sb, &self.refs(name), branch, base, &[("", version)])
    }
}

/// `pave new app@VERSION DIR -d service_name=NAME` (the last part of DIR, without `svc-`).
pub fn new_app(s: &Sandbox, version: &str, dir: &str) {
    let name = dir.rsplit('/').next().unwrap().replace("svc-", "");
    s.pave_ok(&["new", &format!("app@{version}"), dir, "-d", &format!("service_name={name}")]);
}

/// The commit `refname` names in the repository `repo`, if any.
pub fn rev(sb: &Sandbox, repo: &str, refname: &str) -> Option<String> {
    let out = sb.git_output(repo, &["rev-parse", "--verify", "-q", &format!("{refname}^{{commit}}")]);
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Checks that `branch` of `repo` is one pave commit on top of `base` whose `.pave.toml` files
/// (at each `(dir, version)`) record those versions, with pave's trailers; returns its id.
#[track_caller]
pub fn check_branch(sb: &Sandbox, repo: &str, branch: &str, base: &str, projects: &[(&str, &str)]) -> String {
    let tip = rev(sb, repo, branch).unwrap_or_else(|| panic!("{repo} has no {branch}:\n{}", refs_of(sb, repo)));
    let parent = rev(sb, repo, &format!("{branch}^"));
    assert_eq!(parent, rev(sb, repo, base), "{repo}: {branch} should grow from {base}");
    let message = sb.git(repo, &["log", "-1", "--format=%B", branch]);
    assert_trailers(&message);
    for (dir, version) in projects {
        let file = if dir.is_empty() { ".pave.toml".to_string() } else { format!("{dir}/.pave.toml") };
        let record = sb.git(repo, &["show", &format!("{branch}:{file}")]);
        assert!(record.contains(&format!("version = \"{version}\"")), "{repo} {branch}:{file}\n{record}");
    }
    tip
}

/// Checks a commit message for `Generated-by: pave fleet` and `Pave-Inputs: <64 hex>`.
#[track_caller]
pub fn assert_trailers(message: &str) {
    assert!(message.lines().any(|l| l == "Generated-by: pave fleet"), "no Generated-by trailer:\n{message}");
    let inputs = regex::Regex::new(r"(?m)^Pave-Inputs: [0-9a-f]{64}$").unwrap();
    assert!(inputs.is_match(message), "no Pave-Inputs trailer:\n{message}");
}

/// The refs of a repository, for messages.
pub fn refs_of(sb: &Sandbox, repo: &str) -> String {
    String::from_utf8_lossy(&sb.git_output(repo, &["for-each-ref", "--format=%(refname) %(objectname)"]).stdout)
        .into_owned()
}

/// Checks that the mirror at `mirror` is a sound bare repository with no work tree, holding
/// only the default branch and pave's branches as remote-tracking refs.
#[track_caller]
pub fn check_mirror(sb: &Sandbox, mirror: &str) {
    assert!(sb.exists(mirror), "no mirror at {mirror}; the cache holds:\n{:?}", sb.files("home/.cache/pave"));
    assert_eq!(sb.git(mirror, &["rev-parse", "--is-bare-repository"]), "true\n", "{mirror} is not bare");
    for name in ["README.md", ".pave.toml", "config/app.yaml"] {
        assert!(!sb.exists(&format!("{mirror}/{name}")), "{mirror} has a work tree ({name})");
    }
    sb.git(mirror, &["fsck", "--no-progress"]);
    let refs = sb.git(mirror, &["for-each-ref", "--format=%(refname)"]);
    for r in refs.lines() {
        let tracked = r == "refs/remotes/origin/main"
            || r.starts_with("refs/remotes/origin/pave/")
            || r.starts_with("refs/heads/pave/");
        assert!(tracked, "{mirror} holds {r}; pave fetches only the default branch and pave/*:\n{refs}");
    }
    assert!(refs.lines().any(|r| r == "refs/remotes/origin/main"), "{mirror}: no refs/remotes/origin/main:\n{refs}");
}
